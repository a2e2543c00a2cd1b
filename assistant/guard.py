"""Check: every product, price, stock claim and policy figure in a reply must be backed by the fact sheet.

A figure is grounded when the fact sheet the reply was written from contains it (a price, a cart
total, an order total, "30 days" or "15%" in a policy entry, the shopper's own budget). Products are
grounded when they are on the sheet: naming any other catalog product, an unknown product id, or
a made-up product in a list of picks is a violation, and so is pairing a product with another
product's price or the wrong stock status. A recommendation must not call its alternatives a match, nor
its exact picks a miss. Text is only ever matched, never obeyed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant import currency
from assistant.factsheet import FactSheet, render
from assistant.policy import Action
from assistant.shop import Shop, normalise_identifier

NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?!\d)"
MONEY_RE = re.compile(rf"(?:{currency.SIGN_RE}|\b{currency.PREFIX_RE})\s?{NUMBER}|(?<![\d.,]){NUMBER}\s?(?:{currency.WORD_RE})\b", re.I)
PERCENT_RE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?(?:%|per ?cent)", re.I)
DURATION_RE = re.compile(r"(?<![\d.])(\d+)(?:\s|-)(?:business\s|working\s|calendar\s)?(minute|hour|day|week|month|year)s?\b", re.I)
ID_RE = re.compile(r"\b[A-Z]{2,4}-\d{4}\b")
LISTED_RE = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s*\*\*(.+?)\*\*.*?[$€£]\s?\d.*$", re.M)  # "1. **Name**: $99" 
SENTENCE_RE = re.compile(r"[^\n.!?]+(?:[.!?](?!\d)|\n|$)")
WORD_RE = re.compile(r"[a-z0-9']+")
LEAK_WORDS = 6
STOCK_CLAIMS = (("out of stock", "out"), ("only (\\d+) left", "few"), ("in stock", "in"), ("available now", "in"))
NO_MATCH_RE = re.compile(r"\b(?:no exact|nothing|couldn't find|could not find|don't have|do not have|closest|nearest|"
                         r"alternatives?|may not|not find|no match)\b", re.I)
FIT_RE = re.compile(r"\b(?:fits?|match(?:es)?|meets?|perfect for)\b", re.I)


@dataclass
class Violation:
    kind: str  # "price" | "figure" | "product" | "stock" | "match" | "leak"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def amounts(text: str) -> list[float]:
    found = []
    for m in MONEY_RE.finditer(text):
        whole, cents = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        found.append(round(float(f"{whole.replace(',', '')}.{cents or '0'}"), 2))
    return found


def figures(text: str) -> set[str]:
    """Policy figures as comparable keys: "15%", "30 day"."""
    keys = {f"{float(m.group(1)):g}%" for m in PERCENT_RE.finditer(text)}
    keys |= {f"{int(m.group(1))} {m.group(2).lower()}" for m in DURATION_RE.finditer(text)}
    return keys


def sheet_products(sheet: FactSheet) -> dict[str, tuple[str, float]]:
    """Every product the sheet may name: id -> (title, price)."""
    named = {p.id: (p.title, p.price) for p in sheet.products + sheet.mentioned}
    named.update({line.product_id: (line.title, line.unit_price) for line in sheet.cart})
    if sheet.order is not None:
        named.update({item.product_id: (item.title, item.unit_price) for item in sheet.order.items})
    return named


def stock_state(stock: int | None) -> str:
    return "unknown" if stock is None else "out" if stock == 0 else "few" if stock <= 5 else "in"


def check_sentence(sentence: str, sheet: FactSheet, named: dict[str, tuple[str, float]]) -> list[Violation]:
    """Within one sentence: a named product goes with its own price and its own stock status."""
    lower = sentence.lower()
    mentioned = [pid for pid, (title, _) in named.items() if title.lower() in lower or pid.lower() in lower]
    if not mentioned:
        return []
    problems = []
    product_prices = {price for _, price in named.values()}
    own = {named[pid][1] for pid in mentioned}
    for amount in amounts(sentence):
        if amount in product_prices and amount not in own:
            problems.append(Violation("price", f"{amount:.2f} is another product's price in: {sentence.strip()[:120]}"))
    if len(mentioned) == 1:
        stock = {p.id: stock_state(p.stock) for p in sheet.products}.get(mentioned[0])
        for pattern, claim in STOCK_CLAIMS:
            if stock and re.search(pattern, lower) and claim != stock and not (claim == "in" and stock == "few"):
                problems.append(Violation("stock", f"says {claim!r} but stock is {stock!r}: {sentence.strip()[:120]}"))
                break
    return problems


def check(reply: str, sheet: FactSheet, shop: Shop, secrets: tuple[str, ...] = ()) -> list[Violation]:
    """All claims in `reply` that `sheet` does not support (empty: the reply is grounded)."""
    source = render(sheet)
    allowed_money = set(amounts(source))
    allowed_figures = figures(source)
    named = sheet_products(sheet)
    problems = [Violation("price", f"{a:.2f} is not on the fact sheet") for a in amounts(reply) if a not in allowed_money]
    problems += [Violation("figure", f"{f} is not in the shop's policies or data") for f in sorted(figures(reply) - allowed_figures)]
    named_titles = " ".join(title for title, _ in named.values()).lower()
    for pid in dict.fromkeys(ID_RE.findall(reply)):
        if pid not in named and pid.lower() not in named_titles:  # "AL-2100" may be a model number in a title
            problems.append(Violation("product", f"{pid} is not a product on the fact sheet"))
    lower = reply.lower()
    words = normalise_identifier_words(reply)
    sheet_models = {normalise_identifier(shop.by_id[pid].model) for pid in named if pid in shop.by_id}
    titles = {title.lower() for title, _ in named.values()}
    # A title inside a shown product's title ("Makhana" in "... Pink Salt Makhana") is that product, not another.
    # So is the shopper's own wish ("29 jaggery in stock" where one product is titled "Jaggery").
    unshown = lower
    for title in sorted(titles | {w.lower() for w in sheet.wishes}, key=len, reverse=True):
        unshown = unshown.replace(title, " ")
    for product in shop.products:
        # A "model" without a digit ("PREOWNED") is a word of the export, not an identifier.
        model = normalise_identifier(product.model) if len(product.model) >= 4 and re.search(r"\d", product.model) else ""
        if product.id not in named and (product.title.lower() in unshown or (model and model in words and model not in sheet_models)):
            problems.append(Violation("product", f"{product.id} ({product.title}) is not on the fact sheet"))
    for line in LISTED_RE.finditer(reply):
        listed = line.group(1)
        if listed.strip().lower() not in titles and line.group(0).strip() not in source:  # a policy's own list is fine
            problems.append(Violation("product", f"listed product {listed.strip()[:80]!r} is not on the fact sheet"))
    for sentence in SENTENCE_RE.findall(reply):
        problems += check_sentence(sentence, sheet, named)
        if not any(title in sentence.lower() for title in titles):  # product lines carry their own reasons
            problems += match_claim(sentence, sheet)
    if any(leaks(reply, secret) for secret in secrets):
        problems.append(Violation("leak", "reply repeats the assistant's instructions"))
    return problems


def admits_no_match(text: str) -> bool:
    return bool(NO_MATCH_RE.search(text))


def exact_picks(sheet: FactSheet) -> bool:
    return sheet.action == Action.RECOMMEND and bool(sheet.products) and not sheet.relaxed


def match_claim(sentence: str, sheet: FactSheet) -> list[Violation]:
    """What a recommendation says about matching agrees with the sheet: picks that meet every wish are not called
    a miss, and alternatives (or nothing at all) are not said to fit."""
    if sheet.action != Action.RECOMMEND:
        return []
    if exact_picks(sheet) and admits_no_match(sentence):
        return [Violation("match", f"says nothing matches, but every pick meets the wishes: {sentence.strip()[:120]}")]
    if not exact_picks(sheet) and FIT_RE.search(sentence) and not admits_no_match(sentence):
        return [Violation("match", f"says the products fit, but none meets every wish: {sentence.strip()[:120]}")]
    return []


def leaks(reply: str, secret: str) -> bool:
    """Whether `reply` repeats LEAK_WORDS consecutive words of `secret` (all of it, when shorter): a model
    echoing its prompt rarely repeats the whole of it, and a run that long never occurs by chance."""
    secret_words, reply_words = WORD_RE.findall(secret.lower()), WORD_RE.findall(reply.lower())
    n = min(LEAK_WORDS, len(secret_words))
    if n == 0:
        return False
    runs = {tuple(secret_words[i:i + n]) for i in range(len(secret_words) - n + 1)}
    return any(tuple(reply_words[i:i + n]) in runs for i in range(len(reply_words) - n + 1))


def normalise_identifier_words(text: str) -> set[str]:
    return {normalise_identifier(word) for word in re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", text)}
