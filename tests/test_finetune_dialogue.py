"""Dialogue LLM fine-tuning: reply targets are grounded, the evaluation metrics can fail, a quick real
training run writes an adapter that loads and changes the model's outputs, the shipped adapter is the
default one and keeps replies grounded, and a missing or damaged adapter falls back with a clear message."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from assistant import guard
from assistant.llm import DEFAULT_ADAPTER, LLMConfig, LocalLLM, configured_llm
from assistant.state import DialogueState, Intent
from assistant.understand import to_json
from finetune import eval_dialogue
from finetune.dialogue import DialogueTrainConfig, held_out, train
from finetune.replies import LEADS, build_replies
from finetune.understanding import build_examples


@pytest.fixture(scope="module")
def examples(assistant):
    shop = assistant.current_shop()
    return build_examples(shop.products, shop.faq, [(o.order_id, o.email) for o in shop.orders.values()],
                          sizes={"train": 21, "dev": 3, "test": 6})


@pytest.fixture(scope="module")
def replies(assistant, examples):
    sources = [e for e in examples if e.label.intent in (Intent.RECOMMEND, Intent.REFINE, Intent.FAQ, Intent.CHITCHAT,
                                                         Intent.HUMAN)][::3]
    return build_replies(assistant, sources)


def test_reply_targets_are_grounded_keep_the_wishes_and_follow_the_format(assistant, replies) -> None:
    shop = assistant.current_shop()
    brands = {p.brand.lower() for p in shop.products if p.brand}
    assert {r.situation for r in replies} >= {"picks", "clarify", "policy", "greet", "handoff"}
    for reply in replies:
        assert not guard.check(reply.target, reply.sheet, shop), reply.target
        assert eval_dialogue.keeps_constraints(reply.target, reply.sheet, brands), reply.target
        assert eval_dialogue.follows_format(reply.target, reply.sheet), reply.target


def test_test_replies_use_phrasings_training_never_sees() -> None:
    for situation, (train_texts, test_texts) in LEADS.items():
        assert not set(train_texts) & set(test_texts), situation


def test_the_reply_metrics_catch_bad_replies(assistant, replies) -> None:
    shop = assistant.current_shop()
    brands = {p.brand.lower() for p in shop.products if p.brand}
    picks = next(r for r in replies if r.situation == "picks")
    clarify = next(r for r in replies if r.situation == "clarify")
    invented = "Here are the best ones, and the Zeta Mega Blender is only $3.50!"
    assert guard.check(invented, picks.sheet, shop)
    assert not eval_dialogue.keeps_constraints("Nothing matches, sorry.", picks.sheet, brands)  # there are matches
    other_brand = next(b for b in brands if all(b not in w.lower() for w in picks.sheet.wishes)
                       and all(b != p.brand.lower() for p in picks.sheet.products))
    assert not eval_dialogue.keeps_constraints(f"Here are picks from {other_brand}:", picks.sheet, brands)
    assert not eval_dialogue.follows_format("Sure. Tell me more.", clarify.sheet)  # the sheet's question is missing
    assert not eval_dialogue.follows_format("1. **A thing**: $10\n2. **B**: $20", picks.sheet)
    assert not eval_dialogue.follows_format("word " * 60, picks.sheet)


def test_understanding_scores_count_invalid_json_and_wrong_slots(assistant, examples) -> None:
    shop = assistant.current_shop()
    vocab = assistant.vocabulary(shop)
    recommend = next(e for e in examples if e.label.intent == Intent.RECOMMEND and e.label.preferences.category)
    perfect = eval_dialogue.score_understanding([to_json(recommend.label)], [recommend], vocab, shop)
    assert (perfect.intent_accuracy, perfect.json_validity, perfect.slot_f1) == (1.0, 1.0, 1.0)
    broken = eval_dialogue.score_understanding(['{"intent": "recommend", "category": "spaceships"', "I think you want shoes"],
                                               [recommend, recommend], vocab, shop)
    assert broken.json_validity == 0.0 and broken.intent_accuracy == 0.0 and broken.slot_f1 == 0.0
    wrong = eval_dialogue.score_understanding(['{"intent": "faq"}'], [recommend], vocab, shop)
    assert wrong.json_validity == 1.0 and wrong.intent_accuracy == 0.0


def test_the_wish_metrics_catch_invented_wishes() -> None:
    from assistant.state import Preferences, Understanding

    rows = [{"relevant": {"categories": ["laptops"], "max_price": 1500, "attributes": {"ram_gb": {"min": 16}}}}] * 3
    exact = Understanding(Intent.RECOMMEND, Preferences(category="laptops", budget_max=1500.0, must_have={"ram_gb": {"min": 16}}))
    invented = Understanding(Intent.RECOMMEND, Preferences(category="laptops", budget_max=16.0, must_have={"gpu": True}))
    score = eval_dialogue.score_wishes([exact, invented, None], rows)
    assert (score.category_accuracy, score.budget_accuracy, score.invented_rate) == (2 / 3, 1 / 3, 1 / 3)
    assert eval_dialogue.invented_wish(Understanding(Intent.RECOMMEND, Preferences(brands=["Kestrel"])), rows[0]["relevant"])


def test_slots_read_positions_as_the_products_shown() -> None:
    state = DialogueState("t", shown=["A-1", "B-2", "C-3"])
    assert eval_dialogue.slots({"intent": "compare", "refs": [1, 3]}, state) == eval_dialogue.slots(
        {"intent": "compare", "refs": ["A-1", "C-3"]}, state)


def test_support_sample_is_fixed_and_routing_is_scored_against_the_map(tmp_path: Path) -> None:
    path = tmp_path / "support.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(handle, fieldnames=["instruction", "intent"])
        out.writeheader()
        for i in range(6):
            out.writerow({"instruction": f"where is my parcel {i}", "intent": "track_order"})
            out.writerow({"instruction": f"i want my money back {i}", "intent": "get_refund"})
    rows = eval_dialogue.support_rows(str(path), 2)
    assert rows == eval_dialogue.support_rows(str(path), 2) and len(rows) == 4
    right = ['{"intent": "order_status"}' if r["intent"] == "track_order" else '{"intent": "faq"}' for r in rows]
    assert eval_dialogue.routing_accuracy(right, rows) == 1.0
    assert eval_dialogue.routing_accuracy(['{"intent": "faq"}'] * 4, rows) == 0.5


@pytest.fixture(scope="module")
def quick_adapter(assistant, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("dialogue-adapter")
    return out, train(DialogueTrainConfig.quick(), out, assistant)


def test_quick_training_writes_a_small_adapter_with_its_card(quick_adapter: tuple[Path, dict]) -> None:
    out, metrics = quick_adapter
    assert (out / "adapter_model.safetensors").stat().st_size < 20_000_000
    assert "/work" not in (out / "adapter_config.json").read_text() and "/root" not in (out / "adapter_config.json").read_text()
    assert json.loads((out / "training.json").read_text())["metrics"]["steps"] == metrics["steps"] == 3
    assert "python -m finetune.dialogue" in (out / "README.md").read_text()
    assert metrics["trained_tokens"] > 0 and metrics["tokens_per_second"] > 0


def test_the_adapter_loads_and_changes_the_model_outputs(quick_adapter: tuple[Path, dict]) -> None:
    import torch

    out, _ = quick_adapter
    base = LocalLLM(LLMConfig(use="on"))
    tuned = LocalLLM(LLMConfig(use="on", adapter_path=str(out)))
    inputs = base.inputs([{"role": "user", "content": "waterproof jacket under $200"}])
    with torch.inference_mode():
        difference = (base.model(**inputs).logits - tuned.model(**inputs).logits).abs().max().item()
    assert difference > 1e-3


def test_a_missing_or_damaged_adapter_falls_back_with_a_clear_message(quick_adapter, tmp_path: Path, caplog) -> None:
    out, _ = quick_adapter
    assert configured_llm(LLMConfig(use="auto", adapter_path=str(tmp_path / "nowhere"))) is None
    assert "adapter unusable" in caplog.text and "nowhere" in caplog.text and "finetune.dialogue" in caplog.text
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "adapter_config.json").write_text((out / "adapter_config.json").read_text())
    (broken / "adapter_model.safetensors").write_bytes((out / "adapter_model.safetensors").read_bytes()[:500])
    caplog.clear()
    assert configured_llm(LLMConfig(use="auto", adapter_path=str(broken))) is None
    assert "cannot be loaded" in caplog.text
    forced = configured_llm(LLMConfig(use="on", adapter_path=str(broken), runtime="transformers"))
    assert isinstance(forced, LocalLLM) and forced.config.adapter_path is None  # `on`: the base model, said so


def test_the_shipped_adapter_is_the_default_adapter(monkeypatch) -> None:
    for name in ("SHOP_LLM_ADAPTER", "SHOP_LLM_MODEL_PATH", "SHOP_LLM_BACKEND", "SHOP_LLM_USE"):
        monkeypatch.delenv(name, raising=False)
    config = LLMConfig.from_env()
    assert config.adapter_path == str(DEFAULT_ADAPTER)
    assert config.enabled()  # the app reads and writes with the fine-tuned LLM by default
    monkeypatch.setenv("SHOP_LLM_USE", "on")
    assert LLMConfig.from_env().enabled() and LLMConfig.from_env().adapter_path == str(DEFAULT_ADAPTER)
    monkeypatch.delenv("SHOP_LLM_USE")
    monkeypatch.setenv("SHOP_LLM_ADAPTER", "/srv/my-adapter")
    assert LLMConfig.from_env().enabled()  # an adapter the owner trained and configured turns auto on
    monkeypatch.setenv("SHOP_LLM_ADAPTER", "none")
    assert LLMConfig.from_env().adapter_path is None and not LLMConfig.from_env().enabled()
    monkeypatch.delenv("SHOP_LLM_ADAPTER")
    monkeypatch.setenv("SHOP_LLM_MODEL_PATH", "/models/other-chat-model")
    assert LLMConfig.from_env().adapter_path is None  # the shipped adapter fits the packaged model only
    assert LLMConfig.from_env().resolved_role() == "full"  # a model the owner chose reads and writes
    monkeypatch.delenv("SHOP_LLM_MODEL_PATH")
    assert LLMConfig.from_env().resolved_role() == "router"  # the packaged 135M model routes what the rules guess at
    monkeypatch.setenv("SHOP_LLM_ROLE", "full")
    assert LLMConfig.from_env().resolved_role() == "full"
    monkeypatch.setenv("SHOP_LLM_ROLE", "everything")
    with pytest.raises(ValueError, match="SHOP_LLM_ROLE"):
        LLMConfig.from_env().resolved_role()
    assert LLMConfig.from_env().wait_s == 1.0
    monkeypatch.setenv("SHOP_LLM_WAIT_S", "0.25")
    assert LLMConfig.from_env().wait_s == 0.25
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv("SHOP_LLM_WAIT_S", bad)
        with pytest.raises(ValueError, match="SHOP_LLM_WAIT_S must be a number of seconds"):
            LLMConfig.from_env()


def test_the_shipped_adapter_answers_in_the_understanding_format(assistant) -> None:
    llm = configured_llm(LLMConfig(use="on", adapter_path=str(DEFAULT_ADAPTER), runtime="transformers"))  # batched eval
    assert isinstance(llm, LocalLLM) and llm.config.adapter_path == str(DEFAULT_ADAPTER)
    shop = assistant.current_shop()
    vocab = assistant.vocabulary(shop)
    tests, _ = held_out(assistant, DialogueTrainConfig(), 10)
    chats = eval_dialogue.understanding_prompts([(e.message, e.state) for e in tests], vocab, shop, tuned=llm.tuned)
    outputs = eval_dialogue.generate(llm, chats, eval_dialogue.UNDERSTAND_TOKENS)
    score = eval_dialogue.score_understanding(outputs.texts, tests, vocab, shop)
    assert score.json_validity >= 0.6 and score.intent_accuracy >= 0.3  # the base model: no valid JSON at all


def test_by_default_the_shipped_adapter_settles_what_the_rules_guess_at(llm_assistant) -> None:
    """The app's default: the rules read what they recognise (no model call), the fine-tuned model routes the rest."""
    assert llm_assistant.llm.role == "router" and llm_assistant.writer.llm is None  # templates write
    shop = llm_assistant.current_shop()
    first = llm_assistant.reply("router", "waterproof hiking jacket under $250")
    assert first.understood_by == "rules" and first.action == "recommend" and first.products
    second = llm_assistant.reply("router", "put me through to a person")  # the rules would greet
    assert second.understood_by == "llm" and second.action == "handoff"
    for reply in (first, second):
        assert not guard.check(reply.text, reply.sheet, shop)


def test_reading_and_writing_with_the_shipped_adapter_stays_grounded(embedded_shop, tmp_path: Path) -> None:
    from assistant.engine import Assistant
    from assistant.sessions import SessionStore

    llm = configured_llm(LLMConfig(use="on", role="full", adapter_path=str(DEFAULT_ADAPTER)))
    sessions = SessionStore(tmp_path / "sessions.sqlite")
    bot = Assistant(embedded_shop, sessions, llm=llm)
    assert bot.writer.llm is llm
    first = bot.reply("s", "waterproof hiking jacket under $250")
    assert first.action == "recommend" and first.products and first.understood_by == "llm"
    for product in first.products:  # whatever the lead-in says, every pick is listed with its price
        assert product["title"] in first.text
    second = bot.reply("s", "how long do i have to send it back?")
    assert second.action == "faq_answer" and "[returns-" in second.text
    for reply in (first, second):
        assert not guard.check(reply.text, reply.sheet, embedded_shop)
    sessions.close()


def test_a_turn_does_not_queue_behind_a_busy_model(llm_assistant) -> None:
    """While another turn holds the local model, a turn waits at most `wait_s`, then answers with the rules;
    once the model is free the next turn uses it again."""
    llm = llm_assistant.llm
    assert llm._lock.acquire(timeout=60)  # as a long generation for another shopper would
    try:
        started = time.perf_counter()
        busy = llm_assistant.reply("busy", "put me through to a person")
        waited = time.perf_counter() - started
    finally:
        llm._lock.release()
    assert busy.understood_by == "rules" and busy.text.strip()
    assert llm.config.wait_s <= waited < llm.config.wait_s + 30
    assert not guard.check(busy.text, busy.sheet, llm_assistant.current_shop())
    free = llm_assistant.reply("busy", "put me through to a person")
    assert free.understood_by == "llm" and free.action == "handoff"
