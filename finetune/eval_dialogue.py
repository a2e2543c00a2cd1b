"""Held-out evaluation of a dialogue LLM (base or fine-tuned) on the two jobs it has in the app.

Understanding (message + state -> JSON): intent accuracy, preference-slot F1 and the rate of outputs
that pass `understand.from_json` validation, on generated test examples (unseen products and
phrasing templates) and on real customer-support requests (routing accuracy). Replies (fact sheet ->
text): grounded-claim rate (`guard.check` finds nothing), constraint satisfaction and format. Outputs
are generated in batches (greedy, like the app) because a CPU makes about 12 tokens a second.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from assistant import guard, rules, writer
from assistant.constrained import Schema
from assistant.factsheet import FactSheet
from assistant.policy import Action
from assistant.currency import money
from assistant.retriever import likely_categories
from assistant.shop import Shop
from assistant.state import DialogueState, Intent, Understanding
from assistant.understand import first_json_object, from_json, prompt, to_json, understand, understanding_schema
from assistant.vocabulary import Vocabulary
from finetune.replies import ReplyExample
from finetune.understanding import Example

UNDERSTAND_TOKENS = 64
REPLY_TOKENS = 80
LIST_LINE_RE = re.compile(r"^\s*(?:[-*•|]|\d+[.)])", re.M)
MAX_LEAD_WORDS = 45


@dataclass
class Generated:
    texts: list[str]
    new_tokens: int
    seconds: float


@dataclass
class UnderstandingScore:
    total: int = 0
    valid: int = 0
    intent_right: int = 0
    slots_true: int = 0
    slots_predicted: int = 0
    slots_gold: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_right / max(1, self.total)

    @property
    def json_validity(self) -> float:
        return self.valid / max(1, self.total)

    @property
    def slot_f1(self) -> float:
        precision = self.slots_true / max(1, self.slots_predicted)
        recall = self.slots_true / max(1, self.slots_gold)
        return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass
class ReplyScore:
    total: int = 0
    grounded: int = 0
    constrained: int = 0
    formatted: int = 0
    samples: list[str] = field(default_factory=list)


def generate(llm: Any, chats: list[list[dict[str, str]]], max_new_tokens: int, batch_size: int = 16,
             schemas: list[Schema] | None = None) -> Generated:
    """Greedy outputs for many chats at once (left padding), with a `LocalLLM`'s model and tokenizer; with `schemas`
    (one per chat) decoded under the understanding constraint, as in the app."""
    import torch

    tokenizer, model = llm.tokenizer, llm.model
    tokenizer.padding_side = "left"
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    texts, new_tokens = [], 0
    start = time.perf_counter()
    for i in range(0, len(chats), batch_size):
        inputs = tokenizer.apply_chat_template(chats[i:i + batch_size], add_generation_prompt=True, return_tensors="pt",
                                               return_dict=True, padding=True)
        width = inputs["input_ids"].shape[1]
        constraint = llm.constraint(schemas[i:i + batch_size], width) if schemas else {}
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad, **constraint)
        answers = output[:, inputs["input_ids"].shape[1]:]
        new_tokens += int((answers != pad).sum())
        texts += tokenizer.batch_decode(answers, skip_special_tokens=True)
    return Generated([t.strip() for t in texts], new_tokens, time.perf_counter() - start)


def slots(data: dict[str, Any], state: DialogueState) -> set[str]:
    """The wishes and references of an understanding JSON as comparable items (refs as product ids)."""
    items = set()
    for key, value in data.items():
        if key == "intent" or value in (None, [], {}, False):
            continue
        if key == "refs" and isinstance(value, list):
            value = [state.shown[v - 1] if isinstance(v, int) and 1 <= v <= len(state.shown) else v for v in value]
        if isinstance(value, dict):
            items |= {f"{key}.{k}={json.dumps(v, sort_keys=True)}" for k, v in value.items()}
        elif isinstance(value, list):
            items |= {f"{key}={json.dumps(v)}" for v in value}
        else:
            items.add(f"{key}={float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else json.dumps(value)}")
    return items


def score_understanding(texts: list[str], examples: list[Example], vocab: Vocabulary, shop: Shop) -> UnderstandingScore:
    score = UnderstandingScore()
    for text, example in zip(texts, examples):
        score.total += 1
        data = first_json_object(text)
        gold = slots(json.loads(to_json(example.label)), example.state)
        predicted = slots(data, example.state) if data else set()
        score.slots_gold += len(gold)
        score.slots_predicted += len(predicted)
        score.slots_true += len(gold & predicted)
        try:
            reading = from_json(data, example.state, vocab, shop.by_id) if data else None
        except (ValueError, KeyError, TypeError):
            reading = None
        score.valid += reading is not None
        if reading is not None and reading.intent == example.label.intent:
            score.intent_right += 1
        elif len(score.misses) < 8:
            score.misses.append(f"{example.message[:70]!r} -> {text[:90]!r} (want {example.label.intent.value})")
    return score


def support_rows(path: str, per_intent: int) -> list[dict[str, str]]:
    """A fixed sample of the labelled support requests: the same rows for every model and every run."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_intent: dict[str, list[dict[str, str]]] = {}
    for row in sorted(rows, key=lambda r: hashlib.sha1(r["instruction"].encode()).hexdigest()):
        by_intent.setdefault(row["intent"], []).append(row)
    return [row for name in sorted(by_intent) for row in by_intent[name][:per_intent]]


def understanding_prompts(messages: list[tuple[str, DialogueState]], vocab: Vocabulary, shop: Shop,
                          tuned: bool) -> list[list[dict[str, str]]]:
    """The prompts the engine gives each model: the short one with the retriever's likely categories to a fine-tuned
    model, the instructions with every category to an un-tuned one."""
    return [prompt(message, state, vocab, shop.by_id, likely_categories(shop, message) if tuned else None)
            for message, state in messages]


def understanding_schemas(messages: list[tuple[str, DialogueState]], vocab: Vocabulary, shop: Shop) -> list[Schema]:
    """The decoding constraint the engine applies to each reading (assistant/constrained.py)."""
    return [understanding_schema(vocab, state, shop.by_id, rules.parse(message, state, vocab, shop.by_id)) for message, state in messages]


def expected_intent(support_intent: str) -> Intent:
    return rules.SUPPORT_INTENTS.get(support_intent, Intent.FAQ)


def routing_accuracy(texts: list[str], rows: list[dict[str, str]]) -> float:
    right = 0
    for text, row in zip(texts, rows):
        data = first_json_object(text) or {}
        right += data.get("intent") == expected_intent(row["intent"]).value
    return right / max(1, len(rows))


def keeps_constraints(text: str, sheet: FactSheet, brands: set[str]) -> bool:
    """The reply says nothing about the wishes that the sheet contradicts: its budget figures are the
    shopper's own, it names only brands on the sheet, and it admits a missing match when there is one."""
    wishes = " ".join(sheet.wishes)
    if any(money(a, sheet.currency) not in wishes and not any(abs(a - p.price) < 0.005 for p in sheet.products)
           for a in guard.amounts(text)):
        return False
    on_sheet = {p.brand.lower() for p in sheet.products if p.brand} | {w.lower() for w in sheet.wishes}
    lower = text.lower()
    if any(re.search(rf"\b{re.escape(b)}\b", lower) and not any(b in known for known in on_sheet) for b in brands):
        return False
    no_match = bool(sheet.relaxed) or (sheet.action == Action.RECOMMEND and not sheet.products)
    if sheet.action == Action.RECOMMEND:
        return guard.admits_no_match(text) == no_match
    return True


def follows_format(text: str, sheet: FactSheet) -> bool:
    """A short lead-in in plain sentences, asking the sheet's question when it has one."""
    if not text or len(text.split()) > MAX_LEAD_WORDS or LIST_LINE_RE.search(text):
        return False
    if sheet.question:
        return "?" in text
    return True


def score_replies(texts: list[str], replies: list[ReplyExample], shop: Shop, shop_name: str) -> ReplyScore:
    brands = {p.brand.lower() for p in shop.products if p.brand}
    secrets = (writer.SYSTEM.format(shop=shop_name),)
    score = ReplyScore()
    for text, example in zip(texts, replies):
        score.total += 1
        score.grounded += not guard.check(text, example.sheet, shop, secrets)
        score.constrained += keeps_constraints(text, example.sheet, brands)
        score.formatted += follows_format(text, example.sheet)
        if len(score.samples) < 6 and example.situation not in {s.split(":", 1)[0] for s in score.samples}:
            score.samples.append(f"{example.situation}: {text[:160]!r}")
    return score


# ---- the reading in the app: rules alone, rules + the fine-tuned router, the LLM alone ----------------------------

@dataclass
class WishScore:
    """Readings of labelled product queries (knowledge/eval) against their labels."""

    total: int = 0
    category_labelled: int = 0
    category_right: int = 0
    budget_labelled: int = 0
    budget_right: int = 0
    invented: int = 0  # a budget, feature or brand the query's label does not have

    @property
    def category_accuracy(self) -> float:
        return self.category_right / max(1, self.category_labelled)

    @property
    def budget_accuracy(self) -> float:
        return self.budget_right / max(1, self.budget_labelled)

    @property
    def invented_rate(self) -> float:
        return self.invented / max(1, self.total)


def invented_wish(reading: Understanding, relevant: dict[str, Any]) -> bool:
    p = reading.preferences
    labelled = set(relevant.get("attributes", {}))
    brands = {b.lower() for b in relevant.get("brands", []) + relevant.get("exclude_brands", [])}
    return ((p.budget_max is not None and "max_price" not in relevant) or bool(set(p.must_have) - labelled)
            or bool(set(p.excluded) - labelled) or any(b.lower() not in brands for b in p.brands + p.avoid_brands))


def score_wishes(readings: list[Understanding | None], rows: list[dict[str, Any]]) -> WishScore:
    """Category and budget read right, and readings that add a wish the shopper never stated (a model's invention)."""
    score = WishScore()
    for reading, row in zip(readings, rows):
        relevant = row["relevant"]
        score.total += 1
        prefs = reading.preferences if reading else None
        if relevant.get("categories"):
            score.category_labelled += 1
            score.category_right += bool(prefs and prefs.category in relevant["categories"])
        if "max_price" in relevant:
            score.budget_labelled += 1
            score.budget_right += bool(prefs and prefs.budget_max == float(relevant["max_price"]))
        score.invented += bool(reading and invented_wish(reading, relevant))
    return score


def llm_readings(texts: list[str], messages: list[tuple[str, DialogueState]], vocab: Vocabulary, shop: Shop) -> list[Understanding | None]:
    """The LLM's own readings (SHOP_LLM_ROLE=full), None where its JSON does not validate."""
    readings: list[Understanding | None] = []
    for text, (_, state) in zip(texts, messages):
        data = first_json_object(text)
        try:
            readings.append(from_json(data, state, vocab, shop.by_id) if data else None)
        except (ValueError, KeyError, TypeError):
            readings.append(None)
    return readings


def app_readings(messages: list[tuple[str, DialogueState]], vocab: Vocabulary, shop: Shop, llm: Any | None) -> tuple[list[Understanding], float]:
    """What the engine's `understand` reads with `llm` (None: the rules alone), and the mean seconds per message."""
    start = time.perf_counter()
    readings = [understand(message, state, vocab, shop.by_id, llm, lambda m=message: likely_categories(shop, m)) for message, state in messages]
    return readings, (time.perf_counter() - start) / max(1, len(messages))


def intent_accuracy(readings: list[Understanding | None], wanted: list[Intent]) -> float:
    return sum(r is not None and r.intent == w for r, w in zip(readings, wanted)) / max(1, len(wanted))
