"""The scorer's training data and its fine-tuning: graded pairs with held-out products and phrasing,
a quick real training run whose adapter loads in the app and changes its scores, and the fallback
when an adapter is broken."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.scorer import CrossEncoderRelevance, ScorerConfig, load_cross_encoder, relevance_for
from assistant.store import product_text
from finetune.pairs import EXACT, IRRELEVANT, PARTIAL, TEST_TEMPLATES, TRAIN_TEMPLATES, Wish, build_queries, grade, training_pairs
from finetune.scorer import DEFAULT_OUT, ScorerTrainConfig, load_embedded_products, train

PRODUCTS = load_embedded_products()


def test_grades_follow_the_wish() -> None:
    shoe = next(p for p in PRODUCTS if p.category == "running_shoes" and p.attributes.get("color"))
    wish = Wish("running_shoes", {"color": shoe.attributes["color"]}, max_price=shoe.price)
    assert grade(shoe, wish) == EXACT
    other_colour = next(p for p in PRODUCTS if p.category == "running_shoes" and p.attributes.get("color") not in (None, shoe.attributes["color"])
                        and p.price <= shoe.price)
    assert grade(other_colour, wish) == PARTIAL
    assert grade(shoe, replace(wish, max_price=shoe.price - 1)) == PARTIAL  # over budget
    assert grade(shoe, replace(wish, max_price=shoe.price - 1, attributes={"color": "no-such-colour"})) == IRRELEVANT
    elsewhere = next(p for p in PRODUCTS if p.category != "running_shoes")
    assert grade(elsewhere, Wish("running_shoes")) == IRRELEVANT


def test_test_queries_use_unseen_products_and_unseen_templates() -> None:
    splits = build_queries(PRODUCTS)
    train_ids = {p.id for p in splits.train_products}
    assert splits.train and splits.test and splits.dev
    assert all(q.seed in train_ids for q in splits.train)
    assert not any(q.seed in train_ids for q in splits.test + splits.dev)
    assert {q.template for q in splits.train} <= set(TRAIN_TEMPLATES)
    assert {q.template for q in splits.test} <= set(TEST_TEMPLATES)
    assert not set(TRAIN_TEMPLATES) & set(TEST_TEMPLATES)
    assert build_queries(PRODUCTS).train == splits.train  # deterministic for a seed


def test_training_pairs_hold_every_grade_and_only_training_products() -> None:
    splits = build_queries(PRODUCTS)
    pairs = training_pairs(splits.train[:40], splits.train_products)
    labels = {label for _, _, label in pairs}
    assert labels == {EXACT, PARTIAL, IRRELEVANT}
    held_out = {product_text(p) for p in splits.test_products}
    assert not any(text in held_out for _, text, _ in pairs)


@pytest.fixture(scope="module")
def quick_adapter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("scorer")
    return out, train(ScorerTrainConfig.quick(), out)


def test_quick_training_writes_a_small_adapter_with_its_card(quick_adapter: tuple[Path, dict]) -> None:
    out, metrics = quick_adapter
    assert (out / "adapter_model.safetensors").stat().st_size < 5_000_000
    assert "/work" not in (out / "adapter_config.json").read_text()  # no machine-specific path in the artifact
    card = (out / "README.md").read_text()
    assert "python -m finetune.scorer" in card and str(metrics["pairs"]) in card
    assert 0.0 <= metrics["test_ndcg10"] <= 1.0


def test_the_adapter_loads_in_the_app_and_changes_the_scores(quick_adapter: tuple[Path, dict], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = quick_adapter
    monkeypatch.setenv("SHOP_MODEL_CACHE", str(tmp_path))  # the ONNX export of this test's adapter goes with it
    relevance = relevance_for(ScorerConfig(relevance_model=str(out)))
    assert isinstance(relevance, CrossEncoderRelevance) and relevance.fallback is None
    products = PRODUCTS[:6]
    tuned = relevance.score("waterproof trail running shoes", products)
    base = np.asarray(load_cross_encoder().predict([("waterproof trail running shoes", t) for t in map(product_text, products)]))
    assert tuned.shape == (6,) and np.isfinite(tuned).all()
    assert not np.allclose(tuned, base.reshape(-1), atol=1e-4)


def test_a_corrupt_adapter_falls_back_with_a_clear_message(quick_adapter: tuple[Path, dict], tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    out, _ = quick_adapter
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "adapter_config.json").write_text((out / "adapter_config.json").read_text())
    (broken / "adapter_model.safetensors").write_bytes((out / "adapter_model.safetensors").read_bytes()[:1000])
    with caplog.at_level(logging.WARNING, logger="assistant.scorer"):
        relevance = CrossEncoderRelevance(broken)
    assert relevance.fallback is not None and "falling back" in caplog.text and "adapter_model.safetensors" in caplog.text
    assert relevance.score("trail shoes", PRODUCTS[:3]).shape == (3,)


def test_the_shipped_scorer_is_the_default_and_loads() -> None:
    config = ScorerConfig.load()
    assert Path(config.relevance_model).resolve() == DEFAULT_OUT.resolve()
    relevance = relevance_for(config)
    assert isinstance(relevance, CrossEncoderRelevance) and relevance.fallback is None

