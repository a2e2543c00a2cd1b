"""Scripted multi-turn dialogues (tests/stories/*.yaml) run against the default shop.

Each turn lists what its reply must and must not hold. On top of that every reply of every story is
checked for grounding by the guard, and every recommendation that is not labelled as an alternative
must meet the shopper's hard constraints, checked against the catalog rows themselves. Every story runs twice:
with the rule parser and templates, and with the fine-tuned dialogue LLM reading and writing, as the app does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant import guard
from assistant.engine import Assistant, Reply
from assistant.filters import ProductFilter
from assistant.recommend import filters_for
from assistant.currency import money
from assistant.state import Preferences

STORIES = sorted(Path(__file__).with_name("stories").glob("*.yaml"))


def load_stories() -> list[Any]:
    cases = []
    for path in STORIES:
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            cases.append(pytest.param(story, id=f"{path.stem}:{story['name']}"))
    return cases


def expand(text: str) -> str:
    return text.replace("{LONG}", "I need a laptop for work. " + "blah " * 4_000)


def check_turn(reply: Reply, expect: dict[str, Any], assistant: Assistant, where: str, before: list[str],
               earlier: set[str], replies: list[str]) -> None:
    shop = assistant.current_shop()
    text, lower = reply.text, reply.text.lower()
    shown = [p["id"] for p in reply.products]
    if "action" in expect:
        wanted = expect["action"] if isinstance(expect["action"], list) else [expect["action"]]
        assert reply.action in wanted, f"{where}: action {reply.action}, wanted {wanted}\n{text}"
    for needle in expect.get("contains", []):
        assert needle.lower() in lower, f"{where}: {needle!r} missing from\n{text}"
    for needle in expect.get("not_contains", []):
        assert needle.lower() not in lower, f"{where}: {needle!r} must not appear in\n{text}"
    if expect.get("question"):
        assert "?" in text, f"{where}: no question in\n{text}"
    if "cites" in expect:
        assert f"[{expect['cites']}]" in text, f"{where}: no citation of {expect['cites']} in\n{text}"
    for pid in expect.get("products", []):
        assert pid in shown, f"{where}: {pid} not shown ({shown})\n{text}"
        assert money(shop.price_of(shop.by_id[pid]), shop.settings.shop_currency) in text, f"{where}: price of {pid} missing"
    for pid in expect.get("not_products", []):
        assert pid not in shown, f"{where}: {pid} must not be shown\n{text}"
    if "min_products" in expect:
        assert len(shown) >= expect["min_products"], f"{where}: {len(shown)} products\n{text}"
    if "max_products" in expect:
        assert len(shown) <= expect["max_products"], f"{where}: {len(shown)} products\n{text}"
    if "satisfy" in expect:
        wanted_filter = ProductFilter(**expect["satisfy"])
        for pid in shown:
            product = shop.by_id[pid]
            assert wanted_filter.matches(product, shop.price_of(product)), f"{where}: {pid} breaks {expect['satisfy']}"
    if "cart" in expect:
        assert reply.cart == expect["cart"], f"{where}: cart {reply.cart}, wanted {expect['cart']}"
    if expect.get("new_products"):  # none of the products of the turn before (or none at all, with a reason)
        assert not set(shown) & set(before), f"{where}: shown again {set(shown) & set(before)}\n{text}"
    if expect.get("unseen_products"):  # none shown at any turn before in this story
        assert shown and not set(shown) & earlier, f"{where}: shown before {set(shown) & earlier}\n{text}"
    if expect.get("new_text"):  # no earlier reply of this story word for word
        assert text not in replies, f"{where}: the same reply as before\n{text}"
    if "alternatives" in expect:
        assert bool(reply.sheet.relaxed) == expect["alternatives"], f"{where}: relaxed {reply.sheet.relaxed}\n{text}"


def check_always(reply: Reply, assistant: Assistant, where: str) -> None:
    shop = assistant.current_shop()
    assert reply.text.strip(), f"{where}: empty reply"
    problems = guard.check(reply.text, reply.sheet, shop)
    assert not problems, f"{where}: ungrounded claims {problems}\n{reply.text}"
    if reply.action == "recommend" and reply.products and not reply.sheet.relaxed:
        constraints = filters_for(Preferences(**reply.preferences))
        for item in reply.products:
            product = shop.by_id[item["id"]]
            assert constraints.matches(product, shop.price_of(product)), f"{where}: {item['id']} breaks the shopper's constraints"
    if reply.cart:
        total = sum(qty * round(shop.price_of(shop.by_id[pid]), 2) for pid, qty in reply.cart.items())
        assert abs(reply.cart_total - total) < 0.005
        if reply.action.startswith("cart"):
            assert money(round(total, 2), shop.settings.shop_currency) in reply.text, f"{where}: cart total missing\n{reply.text}"


@pytest.mark.parametrize("reader", ["rules", "llm"])
@pytest.mark.parametrize("story", load_stories())
def test_story(story: dict[str, Any], reader: str, request: pytest.FixtureRequest) -> None:
    """Each story with the rule parser and templates, and with the fine-tuned LLM reading and writing (the default)."""
    assistant = request.getfixturevalue("assistant" if reader == "rules" else "llm_assistant")
    session = f"story-{abs(hash(story['name'])) % 10**12}"
    assistant.sessions.reset(session)
    before: list[str] = []
    earlier: set[str] = set()
    replies: list[str] = []
    for number, turn in enumerate(story["turns"], start=1):
        where = f"{story['name']} turn {number} ({turn['user'][:60]!r})"
        reply = assistant.reply(session, expand(turn["user"]))
        check_always(reply, assistant, where)
        check_turn(reply, turn.get("expect", {}), assistant, where, before, earlier, replies)
        replies.append(reply.text)
        before = [p["id"] for p in reply.products]
        earlier.update(before)


def test_there_are_enough_stories() -> None:
    stories = load_stories()
    assert len(stories) >= 30
    assert max(len(s.values[0]["turns"]) for s in stories) >= 4
