"""The shopper's chat page (Gradio): streamed replies, product cards with "add to cart" and "compare",
a comparison table, the cart with its total, thumbs up/down on every reply, example prompts and a
"new conversation" button; a closed "Shop admin" panel reloads or ingests the shop behind the admin
token. It calls the engine in-process, as the HTTP API does.

Every catalog field and message is escaped before it reaches the page: product rows are data, and a
title such as `<img src=x onerror=...>` must show as those characters.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from assistant import admin
from assistant.engine import Assistant, Reply, cart_lines
from assistant.factsheet import ProductFact
from assistant.currency import money
from assistant.sessions import SessionBusy, new_session_id
from assistant.templates import comparison_rows

EXAMPLES = ["Waterproof hiking jacket under $250", "Noise cancelling headphones for my commute",
            "What is your return policy?", "Where is my order?"]

CARDS_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-act]');
  if (!button) return;
  const picked = () => [...element.querySelectorAll('button.picked')];
  if (button.dataset.act === 'add') {
    trigger('add_to_cart', {id: button.dataset.id});
  } else if (button.dataset.act === 'pick') {
    if (button.classList.contains('picked') || picked().length < 4) button.classList.toggle('picked');
  } else if (button.dataset.act === 'compare' && picked().length >= 2) {
    trigger('compare_products', {ids: picked().map((b) => b.dataset.id)});
    picked().forEach((b) => b.classList.remove('picked'));
  }
});
"""

CSS = """
.sa-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 10px; }
.sa-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px; }
.sa-card h4 { margin: 0 0 4px; font-size: 15px; }
.sa-card .meta { font-size: 13px; opacity: .85; }
.sa-card ul { margin: 6px 0; padding-left: 18px; font-size: 13px; }
.sa-card button { margin: 2px 4px 0 0; padding: 3px 8px; border-radius: 6px; font-size: 13px; font-weight: 500; line-height: 1.3; border: 1px solid var(--border-color-primary); cursor: pointer; }
.sa-card button.picked { background: var(--color-accent-soft); }
.sa-compare-go { padding: 3px 8px; border-radius: 6px; border: 1px solid var(--border-color-primary); cursor: pointer; }
.sa-table { width: 100%; border-collapse: collapse; font-size: 13px; }
.sa-table th, .sa-table td { border: 1px solid var(--border-color-primary); padding: 4px 6px; text-align: left; }
"""


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def card(product: dict[str, Any]) -> str:
    fact = ProductFact(**product)
    rating = f"{fact.rating:g}/5 ({fact.review_count})" if fact.rating is not None else "not rated"
    reasons = "".join(f"<li>{escape(r)}</li>" for r in fact.reasons)
    pid = escape(fact.id)
    return (f"<div class='sa-card' data-product='{pid}'><h4>{escape(fact.title)}</h4>"
            f"<div class='meta'>{escape(fact.brand)} · <b class='price'>{escape(money(fact.price, fact.currency))}</b>"
            f" · {escape(rating)} · {escape(fact.stock_text)}</div><ul>{reasons}</ul>"
            f"<button data-id='{pid}' data-act='add'>Add to cart</button>"
            f"<button data-id='{pid}' data-act='pick'>Compare</button></div>")


def cards_html(products: list[dict[str, Any]]) -> str:
    if not products:
        return ""
    return ("<div class='sa-hint'>Pick <b>Compare</b> on two to four products, then "
            "<button data-act='compare' class='sa-compare-go'>Compare picked</button></div>"
            "<div class='sa-cards'>" + "".join(card(p) for p in products) + "</div>")


def compare_html(products: list[dict[str, Any]]) -> str:
    """The comparison as a table: the same rows as the chat's comparison (templates.comparison_rows)."""
    facts = [ProductFact(**p) for p in products]
    head = "".join(f"<th>{escape(p.title)}</th>" for p in facts)
    body = "".join(f"<tr><th>{escape(name)}</th>" + "".join(f"<td>{escape(v)}</td>" for v in values) + "</tr>"
                   for name, values in comparison_rows(facts))
    return f"<table class='sa-table'><tr><th></th>{head}</tr>{body}</table>"


def cart_html(assistant: Assistant, cart: dict[str, int]) -> str:
    lines = cart_lines(assistant.current_shop(), cart)
    if not lines:
        return "<div class='sa-cart'>Your cart is empty.</div>"
    items = "".join(f"<li>{line.qty} × {escape(line.title)}: {escape(money(line.subtotal, line.currency))}</li>" for line in lines)
    total = money(round(sum(line.subtotal for line in lines), 2), lines[0].currency)
    return f"<div class='sa-cart'><ul>{items}</ul><b>Total: <span class='total'>{escape(total)}</span></b></div>"


def run_admin(assistant: Assistant, expected_token: str | None, token: str, files: dict[str, str | None],
              replace: bool, ingest: bool) -> str:
    """The page's admin panel: reload the newest store, or ingest uploaded files. Plain text out."""
    try:
        admin.check_token(expected_token, token or "")
        if not ingest:
            shop = admin.reload(assistant.shop_source)
            return f"Serving {shop.version}: {len(shop.products)} products, {len(shop.faq)} FAQ entries."
        report = admin.ingest(assistant.shop_source, {k: Path(v) for k, v in files.items() if v}, replace)
        return "\n".join(report.lines())
    except admin.AdminRefused as refused:
        return f"Refused: {refused}"


def build_page(assistant: Assistant, title: str = "Shop assistant", admin_token: str | None = None) -> gr.Blocks:
    with gr.Blocks(title=title, analytics_enabled=False) as page:
        session = gr.State(None)  # {"id": session id, "turns": {chat index: stored turn id}}
        gr.Markdown(f"## {escape(title)}\nAsk for products (use, budget, size, taste) or about shipping, returns and orders.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(label="Chat", height=480, examples=[{"text": e} for e in EXAMPLES], elem_id="sa-chat")
                with gr.Row():
                    box = gr.Textbox(placeholder="Type your message", show_label=False, scale=5, max_length=2000, elem_id="sa-input")
                    send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="sa-send")
                restart = gr.Button("New conversation", size="sm", elem_id="sa-new")
            with gr.Column(scale=2, min_width=300):
                cards = gr.HTML("", label="Products", js_on_load=CARDS_JS, elem_id="sa-cards")
                table = gr.HTML("", label="Comparison", elem_id="sa-compare")
                gr.Markdown("### Cart")
                cart = gr.HTML(cart_html(assistant, {}), elem_id="sa-cart")
        with gr.Accordion("Shop admin", open=False):
            token = gr.Textbox(label="Admin token (SHOP_ADMIN_TOKEN)", type="password")
            with gr.Row():
                uploads = [gr.File(label=kind.capitalize(), type="filepath") for kind in admin.KINDS]
            replace = gr.Checkbox(label="Replace the shop (default: add and update rows by id)")
            with gr.Row():
                reload_button, ingest_button = gr.Button("Reload"), gr.Button("Ingest files")
            admin_log = gr.Textbox(label="Result", lines=6, interactive=False)

        def started(state: dict | None) -> dict:
            return state or {"id": new_session_id(), "turns": {}}

        def finish(reply: Reply, history: list, state: dict) -> tuple:
            history[-1] = {"role": "assistant", "content": escape(reply.text)}
            state["turns"][str(len(history) - 1)] = reply.turn_id
            shown = cards_html(reply.products) if reply.action == "recommend" else gr.skip()  # kept while comparing
            compared = compare_html(reply.products) if reply.action == "compare" and reply.products else gr.skip()
            return history, state, shown, compared, cart_html(assistant, reply.cart)

        def respond(message: str, history: list, state: dict | None) -> Iterator[tuple]:
            state = started(state)
            message = (message or "").strip()
            if not message:
                yield "", history, state, gr.skip(), gr.skip(), gr.skip()
                return
            history = history + [{"role": "user", "content": escape(message)}, {"role": "assistant", "content": ""}]
            written = ""
            try:
                for item in assistant.stream(state["id"], message):
                    if isinstance(item, Reply):
                        yield ("",) + finish(item, history, state)
                    else:
                        written += item
                        history[-1] = {"role": "assistant", "content": escape(written)}
                        yield "", history, state, gr.skip(), gr.skip(), gr.skip()
            except SessionBusy as error:  # this conversation is answering in another tab
                gr.Warning(str(error))
                yield message, history[:-2], state, gr.skip(), gr.skip(), gr.skip()

        def pressed(button: str, ids: list[str], history: list, state: dict | None) -> tuple:
            state = started(state)
            try:
                reply = assistant.press(state["id"], button, ids)
            except (LookupError, ValueError, SessionBusy) as error:
                gr.Warning(str(error))
                return history, state, gr.skip(), gr.skip(), gr.skip()
            history = history + [{"role": "user", "content": escape(reply_words(assistant, state["id"]))},
                                 {"role": "assistant", "content": ""}]
            return finish(reply, history, state)

        def add(history: list, state: dict | None, event: gr.EventData) -> tuple:
            return pressed("add", [str(getattr(event, "id", ""))], history, state)

        def compare(history: list, state: dict | None, event: gr.EventData) -> tuple:
            return pressed("compare", [str(i) for i in getattr(event, "ids", [])][:4], history, state)

        def rate(state: dict | None, like: gr.LikeData) -> None:
            turn = (state or {}).get("turns", {}).get(str(like.index if isinstance(like.index, int) else like.index[0]))
            if turn is not None:
                assistant.sessions.add_feedback(state["id"], turn, 1 if like.liked else -1)

        def new_conversation(state: dict | None) -> tuple:
            if state and assistant.sessions.exists(state["id"]):
                assistant.sessions.reset(state["id"])
            return [], {"id": new_session_id(), "turns": {}}, "", "", cart_html(assistant, {})

        outputs = [chat, session, cards, table, cart]
        for trigger in (send.click, box.submit):
            trigger(respond, [box, chat, session], [box] + outputs)
        def example(history: list, state: dict | None, selected: gr.SelectData) -> Iterator[tuple]:
            yield from respond(selected.value["text"], history, state)

        chat.example_select(example, [chat, session], [box] + outputs)
        cards.add_to_cart(add, [chat, session], outputs)
        cards.compare_products(compare, [chat, session], outputs)
        chat.like(rate, [session], None)
        restart.click(new_conversation, [session], outputs)

        def administer(ingest: bool):
            def handler(given: str, catalog: str | None, faq: str | None, orders: str | None, replacing: bool) -> str:
                return run_admin(assistant, admin_token, given, dict(zip(admin.KINDS, (catalog, faq, orders))), replacing, ingest)
            return handler

        reload_button.click(administer(False), [token] + uploads + [replace], admin_log)
        ingest_button.click(administer(True), [token] + uploads + [replace], admin_log)
    return page


def reply_words(assistant: Assistant, session_id: str) -> str:
    """What the last stored user turn says ("Add ... to my cart"): the chat shows the button as a message."""
    turns = assistant.sessions.history(session_id, limit=2)
    return next((t["content"] for t in reversed(turns) if t["role"] == "user"), "")
