"""Ranking of retrieved candidates: hard constraints hold, relevance leads, business goals and diversity count."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.filters import ProductFilter
from assistant.retriever import search_products
from assistant.scorer import (
    DEFAULT_CONFIG,
    PARTS,
    BiEncoderRelevance,
    CrossEncoderRelevance,
    ScorerConfig,
    base_title,
    relevance_for,
    score,
)
from assistant.shop import Shop
from knowledge.schema import Product


class FixedRelevance:
    """Relevance by product id (default 0.5), to test the business parts in isolation."""

    def __init__(self, values: dict[str, float] | None = None) -> None:
        self.values = values or {}

    def score(self, query: str, products: list[Product]) -> np.ndarray:
        return np.array([self.values.get(p.id, 0.5) for p in products])


@pytest.fixture(scope="module")
def biencoder() -> BiEncoderRelevance:
    return BiEncoderRelevance()


@pytest.fixture(scope="module")
def config() -> ScorerConfig:
    return ScorerConfig.load(DEFAULT_CONFIG)


def prices(shop: Shop, products: list[Product]) -> dict[str, float]:
    return {p.id: shop.price_of(p) for p in products}


def candidates(shop: Shop, query: str, k: int = 20, filters: ProductFilter | None = None) -> list[Product]:
    return [shop.by_id[h.id] for h in search_products(shop, query, filters, k=k)]


def random_filter(shop: Shop, rng: random.Random) -> ProductFilter:
    """A filter built from catalog values: budget, brands, stock, attributes, in random combinations."""
    product = rng.choice(shop.products)
    price = shop.price_of(product)
    f = ProductFilter()
    if rng.random() < 0.5:
        f.max_price = round(price * rng.uniform(0.8, 1.5), 2)
    if rng.random() < 0.3:
        f.min_price = round(price * rng.uniform(0.3, 0.9), 2)
    if rng.random() < 0.4:
        other = rng.choice(shop.products).brand
        f.exclude_brands = [other, product.brand] if rng.random() < 0.3 else [other]
    if rng.random() < 0.4:
        f.in_stock = True
    if rng.random() < 0.3:
        f.categories = [product.category]
    if rng.random() < 0.5 and product.attributes:
        name = rng.choice(sorted(product.attributes))
        value = product.attributes[name]
        if isinstance(value, list):
            f.attributes[name] = rng.choice(value) if value else "none"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            f.attributes[name] = {"min": value}
        else:
            f.attributes[name] = value
    return f


def test_hard_constraints_never_broken(embedded_shop: Shop, config: ScorerConfig) -> None:
    rng = random.Random(7)
    queries = ["gift for a runner", "something waterproof", "good value laptop", "coffee", "headphones for travel"]
    unfiltered = {q: candidates(embedded_shop, q, 10) for q in queries}
    non_empty = 0
    for _ in range(30):
        filters = random_filter(embedded_shop, rng)
        query = rng.choice(queries)
        # The retriever's own (filtered) results, plus unfiltered results and random products: violators included.
        pool = candidates(embedded_shop, query, 10, filters) + unfiltered[query] + rng.sample(embedded_shop.products, 10)
        allowed = {p.id for p in pool if filters.matches(p, embedded_shop.price_of(p))}
        # Violators get the best relevance, so only the filter check can keep them out.
        relevance = FixedRelevance({p.id: 1.0 if p.id not in allowed else rng.random() for p in pool})
        result = score(query, pool, prices(embedded_shop, pool), filters, config, relevance, k=3)
        assert {s.product_id for s in result} <= allowed, filters
        assert len(result) == min(3, len(allowed))
        non_empty += bool(result)
    assert non_empty >= 10, "the random filters should mostly leave something to recommend"


def test_parts_sum_to_total(embedded_shop: Shop, config: ScorerConfig, biencoder: BiEncoderRelevance) -> None:
    pool = candidates(embedded_shop, "waterproof hiking jacket", 20)
    result = score("waterproof hiking jacket", pool, prices(embedded_shop, pool), None, config, biencoder, k=8)
    assert len(result) == 8
    for item in result:
        assert set(item.parts) == set(PARTS)
        assert item.total == pytest.approx(sum(item.parts.values()), abs=1e-12)
        assert all(np.isfinite(v) for v in item.parts.values())


def test_relevance_dominates(embedded_shop: Shop, config: ScorerConfig, biencoder: BiEncoderRelevance) -> None:
    query = "noise cancelling over-ear headphones"
    hits = search_products(embedded_shop, query, k=20)
    pool = [embedded_shop.by_id[h.id] for h in hits]
    for fused in (None, {h.id: h.score for h in hits}):
        result = score(query, pool, prices(embedded_shop, pool), None, config, biencoder, retrieval_scores=fused)
        top = embedded_shop.by_id[result[0].product_id]
        assert top.category == "headphones"
        assert top.attributes.get("noise_cancelling") is True
        assert result[0].parts["relevance"] > result[0].parts["stock"] + result[0].parts["margin"] + result[0].parts["rating"]


def test_business_weights_change_the_order(embedded_shop: Shop, config: ScorerConfig, biencoder: BiEncoderRelevance) -> None:
    query = "trail running shoes"
    pool = candidates(embedded_shop, query, 20)
    shop_prices = prices(embedded_shop, pool)
    margin_first = replace(config, relevance=0.05, stock=0.0, rating=0.0, margin=1.0, diversity=1.0, max_per_brand=99)
    default_order = [s.product_id for s in score(query, pool, shop_prices, None, config, biencoder, k=5)]
    margin_order = [s.product_id for s in score(query, pool, shop_prices, None, margin_first, biencoder, k=5)]
    assert margin_order != default_order
    margins = lambda order: [embedded_shop.by_id[pid].margin or 0.0 for pid in order]  # noqa: E731
    assert sum(margins(margin_order)) > sum(margins(default_order))
    only_margin = replace(margin_first, relevance=0.0)
    top = score(query, pool, shop_prices, None, only_margin, biencoder, k=1)[0].product_id
    assert embedded_shop.by_id[top].margin == max(p.margin or 0.0 for p in pool)

    # Among otherwise equal products, the margin weight alone decides, and ties go to the lower id.
    base = pool[0]
    twins = [replace(base, id=f"T-{i}", margin=m) for i, m in enumerate([0.2, 0.5, 0.4, 0.5])]
    order = [s.product_id for s in score(query, twins, None, None, margin_first, FixedRelevance(), k=4)]
    assert order == ["T-1", "T-3", "T-2", "T-0"]


def test_out_of_stock_below_in_stock(embedded_shop: Shop, config: ScorerConfig) -> None:
    base = embedded_shop.products[0]
    # Ids chosen so the tie-break alone would favour the out-of-stock one.
    stocks = (("A-OUT", 0), ("B-IN", 50), ("C-LOW", 2), ("D-UNK", None))
    gone, there, low, unknown = (replace(base, id=i, stock=s) for i, s in stocks)
    lax = replace(config, diversity=1.0, max_per_brand=99)
    order = [s.product_id for s in score("shoe", [gone, there, low, unknown], None, None, lax, FixedRelevance(), k=4)]
    assert order == ["B-IN", "C-LOW", "D-UNK", "A-OUT"]


def test_rating_smoothing(embedded_shop: Shop, config: ScorerConfig) -> None:
    base = embedded_shop.products[0]
    few = replace(base, id="A-FEW", rating=5.0, review_count=2)
    many = replace(base, id="B-MANY", rating=4.7, review_count=900)
    lax = replace(config, diversity=1.0, max_per_brand=99)
    result = score("shoe", [few, many], None, None, lax, FixedRelevance(), k=2)
    assert [s.product_id for s in result] == ["B-MANY", "A-FEW"]
    assert result[0].parts["rating"] > result[1].parts["rating"]


def siblings_and_others(shop: Shop) -> tuple[list[Product], dict[str, float], str]:
    """Three products of one brand and line (most relevant) plus other headphones (a bit less relevant)."""
    headphones = [p for p in shop.products if p.category == "headphones"]
    lines: dict[str, list[Product]] = {}
    for p in headphones:
        lines.setdefault(base_title(p), []).append(p)
    line = next(group for _, group in sorted(lines.items()) if len(group) >= 3)[:3]
    brand = line[0].brand
    others = [p for p in headphones if p.brand != brand][:6]
    values = {**{p.id: 1.0 for p in line}, **{p.id: 0.85 for p in others}}
    return line + others, values, brand


def test_diversity_limits_one_brand(embedded_shop: Shop, config: ScorerConfig) -> None:
    pool, values, brand = siblings_and_others(embedded_shop)
    result = score("headphones", pool, prices(embedded_shop, pool), None, config, FixedRelevance(values), k=3)
    brands = [embedded_shop.by_id[s.product_id].brand for s in result]
    assert brands.count(brand) <= config.max_per_brand
    assert brands[0] == brand  # the most relevant still leads
    assert any(s.parts["diversity_penalty"] < 0 for s in result) or brands.count(brand) == 1

    no_diversity = replace(config, diversity=1.0, max_per_brand=99)
    result = score("headphones", pool, prices(embedded_shop, pool), None, no_diversity, FixedRelevance(values), k=3)
    assert [embedded_shop.by_id[s.product_id].brand for s in result] == [brand] * 3
    assert all(s.parts["diversity_penalty"] == 0 for s in result)


def test_near_duplicates_without_brand_and_cap_yields(embedded_shop: Shop, config: ScorerConfig) -> None:
    base = replace(embedded_shop.products[0], brand="", model="")
    colourways = [replace(base, id=f"C-{c}", title=f"{base.title} - {c}") for c in ("Black", "Red", "Blue")]
    other = replace(base, id="Z-OTHER", title="Something Else Entirely")
    filler = replace(base, id="Z-FILLER", title="Filler")  # least relevant, so 0.9 normalises to 0.9
    values = {**{p.id: 1.0 for p in colourways}, "Z-OTHER": 0.9, "Z-FILLER": 0.0}
    picked = [s.product_id for s in score("x", [*colourways, other, filler], None, None, config, FixedRelevance(values), k=2)]
    assert picked == ["C-Black", "Z-OTHER"]
    # Only one brand left: the cap yields rather than returning fewer than k.
    same = [replace(embedded_shop.products[0], id=f"S-{i}") for i in range(3)]
    assert len(score("x", same, None, None, config, FixedRelevance(), k=3)) == 3


def test_filters_applied_with_fixed_relevance(embedded_shop: Shop, config: ScorerConfig) -> None:
    pool = embedded_shop.products[:40]
    filters = ProductFilter(in_stock=True, exclude_brands=[pool[0].brand])
    best = {p.id: 1.0 for p in pool if not filters.matches(p, embedded_shop.price_of(p))}  # violators look best
    result = score("x", pool, prices(embedded_shop, pool), filters, config, FixedRelevance(best), k=3)
    assert result and all(s.product_id not in best for s in result)


def test_shipped_config_loads() -> None:
    loaded = ScorerConfig.load()
    assert replace(loaded, relevance_model="") == ScorerConfig()  # the shipped file states the default weights
    assert loaded.relevance > loaded.stock + loaded.margin + loaded.rating - 1e-9
    assert Path(loaded.relevance_model).resolve() == (Path(DEFAULT_CONFIG).parent.parent / "finetune" / "artifacts" / "scorer").resolve()


@pytest.mark.parametrize(
    "text, field",
    [
        ("margin = -0.1", "margin"),
        ("relevance = -1", "relevance"),
        ("diversity = 1.5", "diversity"),
        ("diversity = -0.1", "diversity"),
        ("max_per_brand = 0", "max_per_brand"),
        ("low_stock = -1", "low_stock"),
        ('stock = "high"', "stock"),
        ("margn = 0.3", "margn"),
    ],
)
def test_invalid_config_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ValueError, match=field):
        ScorerConfig.load(path)


def test_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "scoring.toml"
    path.write_text('margin = 0.5\nrelevance = 0.4\nrelevance_model = "models/ce"\n')
    monkeypatch.setenv("SHOP_SCORING_CONFIG", str(path))
    loaded = ScorerConfig.load()
    assert (loaded.margin, loaded.relevance, loaded.stock) == (0.5, 0.4, ScorerConfig().stock)
    assert loaded.relevance_model == str(tmp_path / "models" / "ce")  # relative to the TOML file
    assert ScorerConfig.load(DEFAULT_CONFIG).margin == ScorerConfig().margin  # an explicit path still wins


def test_cross_encoder_missing_folder_falls_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, embedded_shop: Shop, biencoder: BiEncoderRelevance
) -> None:
    products = embedded_shop.products[:5]
    with caplog.at_level(logging.WARNING, logger="assistant.scorer"):
        relevance = relevance_for(replace(ScorerConfig(), relevance_model=str(tmp_path / "no-such-model")))
    assert isinstance(relevance, CrossEncoderRelevance) and relevance.fallback is not None
    assert "falling back" in caplog.text and "no-such-model" in caplog.text
    np.testing.assert_allclose(relevance.score("trail shoes", products), biencoder.score("trail shoes", products), rtol=1e-5)


def test_cross_encoder_refuses_untrained_head(caplog: pytest.LogCaptureFixture) -> None:
    from assistant.models import minilm_path

    with caplog.at_level(logging.WARNING, logger="assistant.scorer"):
        relevance = CrossEncoderRelevance(minilm_path())  # a bi-encoder checkpoint: its head would be random
    assert relevance.fallback is not None and relevance.model is None
    assert "not a fine-tuned cross-encoder" in caplog.text


def test_cross_encoder_loads_a_trained_folder(tmp_path: Path, embedded_shop: Shop, monkeypatch) -> None:
    from sentence_transformers import CrossEncoder

    from assistant.models import minilm_path

    monkeypatch.setenv("SHOP_MODEL_CACHE", str(tmp_path / "cache"))  # its ONNX export is of this test's model only

    # Saved with a classification head, as training would leave it (the head is random here: loading only).
    CrossEncoder(str(minilm_path()), num_labels=1, device="cpu").save(str(tmp_path / "ce"))
    relevance = relevance_for(ScorerConfig(relevance_model=str(tmp_path / "ce")))
    assert isinstance(relevance, CrossEncoderRelevance) and relevance.fallback is None
    scores = relevance.score("trail shoes", embedded_shop.products[:4])
    assert scores.shape == (4,) and np.isfinite(scores).all()


def test_the_shipped_cross_encoder_scores_the_same_on_onnx_as_on_transformers(embedded_shop: Shop, caplog) -> None:
    from assistant.onnx_cross_encoder import OnnxCrossEncoder

    path = ScorerConfig.load(DEFAULT_CONFIG).relevance_model
    with caplog.at_level(logging.WARNING, logger="assistant.scorer"):
        fast, slow = CrossEncoderRelevance(path), CrossEncoderRelevance(path, runtime="transformers")
    assert isinstance(fast.model, OnnxCrossEncoder) and fast.fallback is None
    assert not [r for r in caplog.records if r.name == "assistant.scorer"]  # exported, not fallen back
    rng = random.Random(5)
    for query in ("waterproof jacket for hiking", "noise cancelling headphones under $150", "a gift for my dad"):
        products = rng.sample(embedded_shop.products, 12)  # the pool size: padded pairs of different lengths
        np.testing.assert_allclose(fast.score(query, products), slow.score(query, products), atol=1e-5)
    assert fast.score("anything", []).shape == (0,)


def test_recommendations_logged_without_query(
    embedded_shop: Shop, config: ScorerConfig, caplog: pytest.LogCaptureFixture
) -> None:
    query = "my secret query about jane@example.com"
    with caplog.at_level(logging.INFO, logger="assistant.scorer"):
        result = score(query, embedded_shop.products[:10], None, None, config, FixedRelevance(), k=3)
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "assistant.scorer"]
    assert [r["product_id"] for r in records] == [s.product_id for s in result]
    assert all(set(r["parts"]) == set(PARTS) and r["query_hash"] for r in records)
    assert "jane" not in caplog.text and "secret" not in caplog.text
