"""Replies written straight from the fact sheet: grounded by construction.

They are the reply when no fine-tuned dialogue LLM is configured, the fallback when an LLM reply
fails the guard, and the targets the LLM is fine-tuned on. Each part has a key (a product id, a
policy id, "question"...) so the writer can tell what an LLM reply left out and append just that.
"""

from __future__ import annotations

from assistant.factsheet import FactSheet, ProductFact
from assistant.policy import Action
from assistant.currency import money

Part = tuple[str, str]  # (key, text)

GREETING = ("Hi! I can help you find products from {shop}, compare them, manage your cart, check an order, "
            "or answer questions about shipping, returns and payment. What are you shopping for today?")
THANKS = "You're welcome! Anything else I can help you find?"
CHAT = {  # small talk after the first turn
    "closing": "Thanks for shopping with us! If you need anything else later, just ask here.",
    "hello": "Hi again! What can I help you find?",
    "ack:shown": "Okay. Would you like more details on one of these, other options, or something else?",
    "ack:liked": "Glad you like it! Would you like more details on one of these, or shall I add one to your cart?",
    "ack": "Okay. Tell me what you are looking for: the kind of product, and any budget, brand or feature you have in mind.",
    "how_are_you": "I'm doing well, thanks for asking! What can I help you find today?",
    "ack:declined": "All right. If you'd like something different, tell me what to change (budget, brand or a feature), or what else to look for.",
    "ack:faq": "Good. Is there anything else I can help with: a product to find, an order, or another question?",
    "ack:sections": "Which would you like to look at: {sections}? Or tell me what you need, with any budget or brand in mind.",
}
# "We don't carry it" in other words each time it is said again: a shopper who keeps asking hears it was heard.
SAID_AGAIN = (
    "As I said, we don't carry {thing}, whatever the budget or details, sorry. Is there something else I can find for you?",
    "I'm afraid we still don't carry {thing}, so I have no prices, details or reviews for one. If something from "
    "{sections} would do, tell me what you need.",
    "Sorry, we don't carry any {thing} at all. I'm glad to help with {sections}, with an order, or with shipping and returns.",
)
NOTHING_NEW = ("I have nothing else that matches {wishes}: the products I showed are the closest we have. Would you like "
               "to change a wish (budget, brand or a feature) or look for something else?")
OUT_OF_SCOPE = ("I'm the shopping assistant for {shop}, so I can only help with our products, your cart, orders, "
                "and our shipping, returns and payment policies. What can I help you find?")
OFFER = "I'm happy to help you find a product or answer a question about an order, shipping or returns."
REFUSALS = {  # one per kind in assistant/refusals.py
    "injection": "I can't do that: I only follow the shop's own rules and data, and prices and policies are fixed by the shop.",
    "secrets": "I can't share how I'm set up: my instructions, settings, keys and tokens stay private.",
    "price": ("I can't change or confirm a different price in this chat, and I can't create discounts: I only quote the "
              "prices in our catalog. Ask me about a product and I'll tell you its current price."),
    "privacy": ("I can only see this conversation. Other shoppers' carts, orders and conversations are private, so I can't look "
                "them up. To check your own order, send its order number and the email address used for it."),
    "harmful": "I can't help with that.",
    "encoded": "I can't read encoded or scrambled text, so I won't act on it. Please write your question in plain words.",
}
EMPTY = "Your message came through empty. What are you looking for? For example: \"a waterproof hiking jacket\"."
LANGUAGE = "Sorry, I can only reply in English for now."
ORDER_NEED = {
    "both": "I can check an order for you. Please send the order number (it looks like {example}) and the email address used for the order.",
    "email": "Thanks! To protect your privacy I also need the email address used for order {order_id}.",
    "order_id": "Thanks! Please also send the order number (it looks like {example}).",
}
ORDER_NOT_FOUND = ("I couldn't find an order matching that order number and email address. Please check both "
                   "(the order number is in your confirmation email) and send them again.")
ORDER_LOCKED = ("I can't look up more orders in this conversation after several unsuccessful attempts. "
                "Please contact our customer service team, who can verify your identity.")


def product_line(index: int, p: ProductFact) -> str:
    brand = f" by {p.brand}" if p.brand and p.brand.lower() not in p.title.lower() else ""
    why = "; ".join(p.reasons) if p.reasons else p.stock_text
    return f"{index}. **{p.title}**{brand}: {money(p.price, p.currency)}\n   Why: {why}."


def recommend_parts(sheet: FactSheet) -> list[Part]:
    n = len(sheet.products)
    if thing := sheet.note_value("not_carried"):
        intro = (f"We don't carry {thing} as such. {'This product mentions' if n == 1 else 'These products mention'} "
                 f"{thing}, in case {'it helps' if n == 1 else 'one helps'}:")
    elif sheet.relaxed:
        missing = ", ".join(sheet.relaxed)
        intro = (f"We don't have anything that matches all of that ({missing}). "
                 f"Here {'is the nearest alternative' if n == 1 else f'are the {n} nearest alternatives'}, "
                 f"which may not meet every wish:")
    elif sheet.wishes:
        picks = ("one more" if n == 1 else f"{n} others") if sheet.has_note("others") else (
            "my top pick" if n == 1 else f"my top {n} picks")
        wishes = ", ".join(sheet.wishes)
        intro = f"Here {'is' if n == 1 else 'are'} {picks} {wishes if wishes.startswith('for ') else f'for {wishes}'}:"
    else:
        intro = f"Here {'is a popular pick' if n == 1 else f'are {n} popular picks'} from the shop:"
    parts: list[Part] = [("intro", intro)]
    parts += [(p.id, product_line(i, p)) for i, p in enumerate(sheet.products, start=1)]
    follow = ("Would you like me to compare them, narrow them down (budget, colour, brand), or add one to your cart?"
              if n > 1 else "Would you like more details or to add it to your cart?")
    parts.append(("follow", follow))
    return parts


def said_again(sheet: FactSheet) -> list[Part]:
    """The not-carried reply when it was given before in this conversation (`said:N` times), else nothing."""
    thing, times = sheet.note_value("not_carried"), int(sheet.note_value("said") or 0)
    if not thing or not times:
        return []
    sections = ", ".join(sheet.categories) or "what we do sell"
    return [("intro", SAID_AGAIN[(times - 1) % len(SAID_AGAIN)].format(thing=thing, sections=sections))]


def no_match_parts(sheet: FactSheet) -> list[Part]:
    thing = sheet.note_value("not_carried")
    categories = ", ".join(sheet.categories)
    if sheet.has_note("nothing_new"):
        return [("intro", NOTHING_NEW.format(wishes=", ".join(sheet.wishes) or "that"))]
    if again := said_again(sheet):
        return again
    if thing:
        return [("intro", f"Sorry, we don't carry {thing}. We sell {categories}. Can I help you with any of those?")]
    wishes = ", ".join(sheet.wishes) or "that"
    return [("intro", f"Sorry, we don't have anything matching {wishes} right now, not even a close alternative in stock. "
                      "Could you loosen a wish (budget, brand or a feature), or try another kind of product?")]


def comparison_rows(products: list[ProductFact]) -> list[tuple[str, list[str]]]:
    """(row label, one value per product): price, brand, rating, stock, then up to six catalog facts."""
    rows = [("Price", [money(p.price, p.currency) for p in products]),
            ("Brand", [p.brand or "-" for p in products]),
            ("Rating", [f"{p.rating:g}/5 ({p.review_count} reviews)" if p.rating is not None else "not rated" for p in products]),
            ("Stock", [p.stock_text for p in products])]
    labels = list(dict.fromkeys(f.rsplit(":", 1)[0] if ":" in f else f for p in products for f in p.facts))
    for fact in labels[:6]:
        rows.append((fact, [next((f.split(':', 1)[1].strip() for f in p.facts if f.startswith(fact + ':')),
                                 "yes" if fact in p.facts else "-") for p in products]))
    return rows


def compare_parts(sheet: FactSheet) -> list[Part]:
    products = sheet.products
    header = "| | " + " | ".join(p.title for p in products) + " |"
    rule = "|---" * (len(products) + 1) + "|"
    table = [header, rule] + [f"| {label} | " + " | ".join(values) + " |" for label, values in comparison_rows(products)]
    cheapest = min(products, key=lambda p: p.price)
    parts: list[Part] = [("intro", f"Here's how the {len(products)} compare:"), ("table", "\n".join(table))]
    parts += [(p.id, "") for p in products]  # the table names them all
    parts.append(("follow", f"The cheapest is the {cheapest.title} at {money(cheapest.price, cheapest.currency)}. "
                            "Want me to add one to your cart?"))
    return parts


def product_answer_parts(sheet: FactSheet) -> list[Part]:
    if again := said_again(sheet):
        return again
    if thing := sheet.note_value("not_carried"):
        return [("intro", f"We don't carry {thing}, so I have nothing to tell you about one. I can help with what we do "
                          "sell, or answer a question about shipping, returns or payment.")]
    if not sheet.products and not sheet.answer:
        return [("intro", "Which product do you mean? Tell me its name, or ask me for recommendations first.")]
    parts: list[Part] = [(f"answer{i}", line) for i, line in enumerate(sheet.answer)]
    parts += [(p.id, "") for p in sheet.products]
    return parts


def faq_parts(sheet: FactSheet) -> list[Part]:
    if not sheet.faq and (asked := sheet.note_value("repeat")):
        return [("intro", f"That is all our policy \"{asked}\" says, and I can't change or go beyond it. If you'd "
                          "like to ask for an exception, our customer service team can look at it: just ask me for a person.")]
    if not sheet.faq:
        topics = [note.split(":", 1)[1] for note in sheet.notes if note.startswith("topic:")]
        if topics:
            listed = "\n".join(f"- {topic}" for topic in topics)
            return [("intro", "I'm not sure our help pages answer exactly that. The closest topics I have are:\n"
                              f"{listed}\nTell me which one you mean, or ask me for a person and our customer service "
                              "team will help.")]
        return [("intro", "I couldn't find that in our help pages. Our customer service team can answer it: just ask me for a person.")]
    parts: list[Part] = []
    for entry in sheet.faq:
        parts.append((f"faq:{entry.id}", f"{entry.answer}\n\n(Source: our policy \"{entry.question}\" [{entry.id}])"))
    return parts


def order_parts(sheet: FactSheet) -> list[Part]:
    order = sheet.order
    if order is None:
        if sheet.has_note("order_locked"):
            return [("intro", ORDER_LOCKED)]
        if sheet.has_note("order_not_found"):
            return [("intro", ORDER_NOT_FOUND)]
        need = sheet.note_value("order_need") or "both"
        return [("intro", ORDER_NEED[need].format(example=sheet.note_value("order_example") or "HL-100123",
                                                   order_id=sheet.note_value("order_id")))]
    lines = [f"Order {order.order_id} (placed {order.placed_at}) is **{order.status}**."]
    if order.shipped_at and order.status in ("shipped", "delivered"):
        lines.append(f"It shipped on {order.shipped_at}" + (f" with {order.carrier}" if order.carrier else "")
                     + (f", tracking number {order.tracking_number}" if order.tracking_number else "") + ".")
    if order.delivered_at and order.status == "delivered":
        lines.append(f"It was delivered on {order.delivered_at}.")
    items = ", ".join(f"{item.qty} x {item.title}" for item in order.items)
    lines.append(f"Items: {items}. Total: {money(order.total, order.currency)}.")
    return [("order", " ".join(lines))]


def cart_parts(sheet: FactSheet) -> list[Part]:
    parts: list[Part] = []
    if sheet.changed:
        parts.append(("intro", sheet.changed))
    if not sheet.cart:
        parts.append(("cart", "Your cart is empty."))
        return parts
    lines = [f"- {line.qty} x **{line.title}**: {money(line.subtotal, line.currency)}" for line in sheet.cart]
    parts.append(("cart", "Your cart:\n" + "\n".join(lines) + f"\n\n**Total: {money(sheet.cart_total, sheet.currency)}**"))
    return parts


def notices(sheet: FactSheet) -> list[Part]:
    found: list[Part] = []
    if sheet.has_note("long"):
        found.append(("long", f"Your message was very long, so I read only its first {int(sheet.note_value('long')):,} characters."))
    if sheet.has_note("language"):
        found.append(("language", LANGUAGE))
    if code := sheet.note_value("no_rate"):
        found.append(("no_rate", f"Our prices are in {sheet.currency} and I have no exchange rate for {code}, so I didn't "
                                 f"use that budget. What is it in {sheet.currency}?"))
    return found


def parts(sheet: FactSheet, shop_name: str) -> list[Part]:
    return notices(sheet) + body(sheet, shop_name)


def body(sheet: FactSheet, shop_name: str) -> list[Part]:
    action = sheet.action
    if action == Action.CLARIFY:
        return [("question", sheet.question or "")]
    if action == Action.RECOMMEND:
        return (recommend_parts(sheet) if sheet.products else no_match_parts(sheet))
    if action == Action.COMPARE:
        return compare_parts(sheet) if len(sheet.products) >= 2 else [
            ("intro", "Which products should I compare? Ask for recommendations first, then say e.g. \"compare the first two\".")]
    if action == Action.PRODUCT_ANSWER:
        return product_answer_parts(sheet)
    if action == Action.FAQ_ANSWER or action == Action.HANDOFF:
        handoff = [("intro", "I'll point you to our team.")] if action == Action.HANDOFF else []
        return handoff + faq_parts(sheet)
    if action == Action.ORDER_STATUS:
        return order_parts(sheet)
    if action in (Action.CART_ADD, Action.CART_REMOVE, Action.CART_SHOW):
        return cart_parts(sheet)
    if action == Action.OUT_OF_SCOPE:
        kind = sheet.note_value("refuse")
        return [("intro", f"{REFUSALS[kind]} {OFFER}" if kind else OUT_OF_SCOPE.format(shop=shop_name))]
    if action == Action.EMPTY:
        return [("intro", EMPTY)]
    if sheet.has_note("thanks"):
        return [("intro", THANKS)]
    if again := said_again(sheet):
        return again
    if thing := sheet.note_value("not_carried"):
        return [("intro", f"Sorry, we don't carry {thing}, so I can't help with that one. We sell "
                          f"{', '.join(sheet.categories)}: can I find you something there?")]
    chat = next((CHAT[note].format(sections=", ".join(sheet.categories)) for note in sheet.notes if note in CHAT), None)
    if chat and sheet.has_note("no_rate"):
        return []  # "around 1000 NOK": asking for the budget in the shop's currency is the whole reply
    return [("intro", chat or GREETING.format(shop=shop_name))]


def render(sheet: FactSheet, shop_name: str) -> str:
    return "\n\n".join(text for _, text in parts(sheet, shop_name) if text)
