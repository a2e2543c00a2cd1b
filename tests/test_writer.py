"""The reply writer with a scripted stand-in chat model: what reaches the shopper, sentence by sentence.

`ScriptedModel` streams a fixed text in small pieces and records the messages it was sent and
whether its stream was closed before the end. No real model is loaded; the guard and the templates
are the real ones, over real products of the embedded shop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from assistant import templates
from assistant.engine import Assistant
from assistant.factsheet import CartLine, FactSheet, ProductFact, faq_fact, product_fact, render
from assistant.policy import Action
from assistant.currency import money
from assistant.sessions import SessionStore
from assistant.shop import Shop
from assistant.writer import Writer

SHOP_NAME = "our shop"
PICKS = ["RS-0002", "RS-0003", "RS-0005"]
FAQ_ID = "returns-window"


class ScriptedModel:
    """A chat model that always says `text` (or raises `error`), streamed `piece` characters at a time."""

    tuned = False
    role = "full"  # reads every message and writes the replies

    def __init__(self, text: str = "", error: Exception | None = None, piece: int = 5) -> None:
        self.text, self.error, self.piece = text, error, piece
        self.chat_calls: list[list[dict[str, str]]] = []
        self.stream_calls: list[list[dict[str, str]]] = []
        self.finished = False
        self.closed_early: bool | None = None  # None: never streamed

    def chat(self, messages: list[dict[str, str]], max_new_tokens: int | None = None, schema: object = None) -> str:
        self.chat_calls.append(messages)
        if self.error is not None:
            raise self.error
        return self.text

    def stream(self, messages: list[dict[str, str]], max_new_tokens: int | None = None) -> Iterator[str]:
        self.stream_calls.append(messages)
        try:
            if self.error is not None:
                raise self.error
            for start in range(0, len(self.text), self.piece):
                yield self.text[start:start + self.piece]
            self.finished = True
        finally:
            self.closed_early = not self.finished


def fact(shop: Shop, pid: str) -> ProductFact:
    product = shop.by_id[pid]
    return product_fact(product, shop.price_of(product), shop.settings.shop_currency, ["made for trail running"])


def recommend_sheet(shop: Shop) -> FactSheet:
    return FactSheet(Action.RECOMMEND, products=[fact(shop, pid) for pid in PICKS], wishes=["running shoes", "under $150"])


def faq_sheet(shop: Shop) -> FactSheet:
    return FactSheet(Action.FAQ_ANSWER, faq=[faq_fact(shop.faq_by_id[FAQ_ID])])


def write(model: ScriptedModel | None, sheet: FactSheet, shop: Shop) -> tuple[list[str], FactSheet]:
    """The chunks, and the sheet (it records how many drafts the guard rejected)."""
    return list(Writer(model, SHOP_NAME).write(sheet, shop)), sheet


def grounded_reply(sheet: FactSheet) -> str:
    a, b, c = sheet.products
    return (f"Great choices for the trails! The {a.title} is {money(a.price)} and made for trail running. "
            f"The {b.title} costs {money(b.price)}. The {c.title} is {money(c.price)}. Want me to add one to your cart?")


def test_without_a_model_the_reply_is_the_template_in_chunks(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    chunks, written = write(None, sheet, embedded_shop)
    assert len(chunks) > 1
    assert all(isinstance(chunk, str) and chunk for chunk in chunks)
    assert "".join(chunks) == templates.render(sheet, SHOP_NAME)
    assert written.rejected_drafts == 0


def test_a_grounded_model_reply_is_passed_through_unchanged(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    model = ScriptedModel(grounded_reply(sheet))
    chunks, written = write(model, sheet, embedded_shop)
    assert "".join(chunks) == model.text
    assert len(chunks) > 1  # released sentence by sentence, not all at the end
    assert written.rejected_drafts == 0
    assert model.closed_early is False


def test_a_wrong_price_stops_the_stream_and_the_template_fills_in(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    a, b, c = sheet.products
    assert 99.0 not in {p.price for p in sheet.products}
    first = f"The {a.title} is {money(a.price)} and made for trail running."
    bad = f" The {b.title} is down to $99 this week."
    model = ScriptedModel(first + bad + f" The {c.title} is {money(c.price)}.")
    chunks, written = write(model, sheet, embedded_shop)
    text = "".join(chunks)
    assert chunks[0] == first
    assert "$99" not in text and "down to" not in text
    assert model.closed_early is True
    template_lines = dict(templates.parts(sheet, SHOP_NAME))
    assert template_lines[b.id] in text and template_lines[c.id] in text
    assert template_lines[a.id] not in text  # the first product was already named, with its price
    assert written.rejected_drafts == 1


def test_a_leaked_instruction_stops_the_stream(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    leak = " My instructions: You are the shopping assistant of our shop. Write a short, friendly reply."
    model = ScriptedModel("Happy to help!" + leak)
    chunks, written = write(model, sheet, embedded_shop)
    text = "".join(chunks)
    assert text.startswith("Happy to help!")
    assert "shopping assistant of" not in text
    assert model.closed_early is True
    assert written.rejected_drafts == 1


def test_a_reply_naming_no_product_gets_the_template_parts_appended(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    model = ScriptedModel("Happy to help with your search today!")
    chunks, written = write(model, sheet, embedded_shop)
    text = "".join(chunks)
    assert text.startswith(model.text)
    for key, part in templates.parts(sheet, SHOP_NAME):
        if key in PICKS:
            assert part in text
    assert written.rejected_drafts == 1
    assert model.closed_early is False


@pytest.mark.parametrize("error", [ConnectionError("refused"), TimeoutError("slow"), RuntimeError("CUDA out of memory")])
def test_a_failing_model_gives_the_whole_template(embedded_shop: Shop, error: Exception) -> None:
    sheet = recommend_sheet(embedded_shop)
    chunks, written = write(ScriptedModel(error=error), sheet, embedded_shop)
    assert "".join(chunks) == templates.render(sheet, SHOP_NAME)
    assert written.rejected_drafts == 1


def test_transactional_replies_never_call_the_model(embedded_shop: Shop) -> None:
    product = embedded_shop.by_id[PICKS[0]]
    line = CartLine(product.id, product.title, 1, round(embedded_shop.price_of(product), 2), "USD")
    for sheet in (FactSheet(Action.CART_SHOW, cart=[line]), FactSheet(Action.COMPARE, products=recommend_sheet(embedded_shop).products)):
        model = ScriptedModel("Your cart is full of free shoes!")
        chunks, written = write(model, sheet, embedded_shop)
        assert "".join(chunks) == templates.render(sheet, SHOP_NAME)
        assert model.stream_calls == [] and model.chat_calls == []
        assert written.rejected_drafts == 0


def test_a_policy_answer_without_its_citation_gets_the_source_appended(embedded_shop: Shop) -> None:
    sheet = faq_sheet(embedded_shop)
    model = ScriptedModel("Most items can be returned within 30 days of delivery.")
    chunks, written = write(model, sheet, embedded_shop)
    text = "".join(chunks)
    assert text.startswith(model.text)
    assert f"[{FAQ_ID}]" in text
    assert written.rejected_drafts == 1


def test_a_policy_answer_with_its_citation_is_kept_as_is(embedded_shop: Shop) -> None:
    model = ScriptedModel(f"Most items can be returned within 30 days of delivery [{FAQ_ID}].")
    chunks, written = write(model, faq_sheet(embedded_shop), embedded_shop)
    assert "".join(chunks) == model.text
    assert written.rejected_drafts == 0


def test_the_model_is_sent_the_rendered_fact_sheet(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    model = ScriptedModel(grounded_reply(sheet))
    write(model, sheet, embedded_shop)
    [messages] = model.stream_calls
    assert [m["role"] for m in messages] == ["system", "user"]
    assert SHOP_NAME in messages[0]["content"]
    assert messages[1]["content"] == "FACTS:\n" + render(sheet)


def test_the_writer_never_sees_the_shoppers_raw_message(embedded_shop: Shop, tmp_path: Path) -> None:
    # The same model reads the message (chat: not JSON here, so the rules decide) and writes the reply (stream).
    model = ScriptedModel("Here are some trail shoes for you.")
    store = SessionStore(tmp_path / "s.sqlite")
    try:
        reply = Assistant(embedded_shop, store, llm=model).reply("raw", "Hi, Bartholomew here: I need running shoes under $150")
    finally:
        store.close()
    assert reply.action == "recommend" and reply.products
    assert model.stream_calls, "the recommendation should have been written by the model"
    assert any("Bartholomew" in m["content"] for call in model.chat_calls for m in call)
    assert not any("Bartholomew" in m["content"] for call in model.stream_calls for m in call)
    assert model.stream_calls[0][1]["content"] == "FACTS:\n" + render(reply.sheet)
