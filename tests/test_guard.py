"""The guard on the embedded shop: grounded replies pass, every kind of unsupported claim is caught.

Fact sheets are built from real catalog rows of the fixture shop (ids below, prices always read
from the shop). The template replies are the reference: they must pass with no violation, and each
test then changes one claim so that only the check under test can catch it.
"""

from __future__ import annotations

import pytest

from assistant import guard, templates
from assistant.factsheet import CartLine, FactSheet, ProductFact, faq_fact, product_fact
from assistant.policy import Action
from assistant.currency import money
from assistant.shop import Shop

PICKS = ["RS-0002", "RS-0003", "RS-0005"]  # three in-stock Kestrel trail shoes; RS-0005 has a whole-dollar price
SOLD_OUT = "RS-0001"  # stock 0
ELSEWHERE = "HP-0001"  # a real catalog product that is on none of the sheets below
FAQ_ID = "returns-window"  # "within 30 days of delivery"
ORDER_ID = "HL-100281"


def fact(shop: Shop, pid: str, reasons: list[str] | None = None) -> ProductFact:
    product = shop.by_id[pid]
    return product_fact(product, shop.price_of(product), shop.settings.shop_currency, reasons)


def recommend_sheet(shop: Shop) -> FactSheet:
    return FactSheet(Action.RECOMMEND, products=[fact(shop, pid, ["made for trail running"]) for pid in PICKS],
                     wishes=["running shoes", "under $150"])


def compare_sheet(shop: Shop) -> FactSheet:
    return FactSheet(Action.COMPARE, products=[fact(shop, pid) for pid in PICKS])


def cart_sheet(shop: Shop) -> FactSheet:
    # One of each: see the report about quantities above 1 (line subtotals are not on the rendered sheet).
    lines = [CartLine(pid, shop.by_id[pid].title, 1, round(shop.price_of(shop.by_id[pid]), 2), "USD") for pid in PICKS[:2]]
    added = shop.by_id[PICKS[1]].title
    return FactSheet(Action.CART_ADD, cart=lines, changed=f"Added **{added}** to your cart.", mentioned=[fact(shop, PICKS[1])])


def faq_sheet(shop: Shop) -> FactSheet:
    return FactSheet(Action.FAQ_ANSWER, faq=[faq_fact(shop.faq_by_id[FAQ_ID])])


def order_sheet(shop: Shop) -> FactSheet:
    return FactSheet(Action.ORDER_STATUS, order=shop.orders[ORDER_ID])


def stock_sheet(shop: Shop) -> FactSheet:
    return FactSheet(Action.RECOMMEND, products=[fact(shop, SOLD_OUT), fact(shop, PICKS[0])])


def kinds(problems: list[guard.Violation]) -> list[str]:
    return [p.kind for p in problems]


@pytest.mark.parametrize("build", [recommend_sheet, compare_sheet, cart_sheet, faq_sheet, order_sheet])
def test_template_replies_are_grounded(embedded_shop: Shop, build) -> None:
    sheet = build(embedded_shop)
    reply = templates.render(sheet, "our shop")
    assert reply.strip()
    assert guard.check(reply, sheet, embedded_shop) == [], reply


def test_a_price_that_is_not_on_the_sheet_is_caught(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    first = sheet.products[0]
    assert 99.0 not in {p.price for p in sheet.products}
    problems = guard.check(f"The {first.title} is on sale for $99 today.", sheet, embedded_shop)
    assert kinds(problems) == ["price"]
    assert "99.00" in problems[0].detail
    assert guard.check(f"The {first.title} costs {money(first.price)} today.", sheet, embedded_shop) == []


def test_a_product_paired_with_another_products_price_is_caught(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    first, other = sheet.products[0], sheet.products[2]
    assert other.price.is_integer() and other.price != first.price  # see the report: a price with cents hides the sentence
    problems = guard.check(f"The {first.title} costs {money(other.price)}.", sheet, embedded_shop)
    assert kinds(problems) == ["price"]
    assert "another product's price" in problems[0].detail
    assert guard.check(f"The {other.title} costs {money(other.price)}.", sheet, embedded_shop) == []


def test_a_made_up_product_in_a_list_is_caught_even_with_a_sheet_price(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    real_price = money(sheet.products[0].price)
    reply = f"Here are my picks:\n1. **Nike Pegasus 40**: {real_price}\n   Why: light and fast."
    problems = guard.check(reply, sheet, embedded_shop)
    assert kinds(problems) == ["product"]
    assert "Nike Pegasus 40" in problems[0].detail


def test_a_real_catalog_product_not_on_the_sheet_is_caught(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    elsewhere = embedded_shop.by_id[ELSEWHERE]
    for reply in (f"You might also like the {elsewhere.title}.", f"Also consider the {elsewhere.model}."):
        problems = guard.check(reply, sheet, embedded_shop)
        assert kinds(problems) == ["product"], reply
        assert ELSEWHERE in problems[0].detail


def test_an_unknown_product_id_is_caught_and_a_sheet_id_is_not(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    problems = guard.check("Also take a look at ZZ-9999.", sheet, embedded_shop)
    assert kinds(problems) == ["product"]
    assert "ZZ-9999" in problems[0].detail
    assert guard.check(f"Also take a look at {PICKS[1]}.", sheet, embedded_shop) == []


@pytest.mark.parametrize("reply, figure", [
    ("You can return it within 90 days.", "90 day"),
    ("Use code WELCOME for 20% off your order.", "20%"),
    ("Refunds arrive within 2 weeks.", "2 week"),
])
def test_policy_figures_not_in_the_cited_entry_are_caught(embedded_shop: Shop, reply: str, figure: str) -> None:
    problems = guard.check(reply, faq_sheet(embedded_shop), embedded_shop)
    assert kinds(problems) == ["figure"]
    assert figure in problems[0].detail


def test_a_figure_from_the_cited_entry_passes_only_with_that_entry(embedded_shop: Shop) -> None:
    reply = f"You can return most items within 30 days of delivery [{FAQ_ID}]."
    assert guard.check(reply, faq_sheet(embedded_shop), embedded_shop) == []
    assert kinds(guard.check(reply, recommend_sheet(embedded_shop), embedded_shop)) == ["figure"]


def test_wrong_stock_claims_are_caught(embedded_shop: Shop) -> None:
    sheet = stock_sheet(embedded_shop)
    sold_out, plenty = sheet.products
    assert sold_out.stock == 0 and plenty.stock is not None and plenty.stock > 5
    assert kinds(guard.check(f"The {sold_out.title} is in stock.", sheet, embedded_shop)) == ["stock"]
    assert kinds(guard.check(f"The {plenty.title} is out of stock.", sheet, embedded_shop)) == ["stock"]


def test_true_stock_claims_pass(embedded_shop: Shop) -> None:
    sheet = stock_sheet(embedded_shop)
    sold_out, plenty = sheet.products
    assert guard.check(f"The {sold_out.title} is out of stock.", sheet, embedded_shop) == []
    assert guard.check(f"The {plenty.title} is in stock.", sheet, embedded_shop) == []


def test_alternatives_are_never_called_a_match_nor_exact_picks_a_miss(embedded_shop: Shop) -> None:
    relaxed = recommend_sheet(embedded_shop)
    relaxed.relaxed = ["under $20"]
    assert not guard.check(templates.render(relaxed, "our shop"), relaxed, embedded_shop)  # the template admits it
    assert kinds(guard.check("Sure! These 3 fit running shoes, under $20:", relaxed, embedded_shop)) == ["match"]
    assert not guard.check("No exact match under $20, so here are the 3 nearest alternatives:", relaxed, embedded_shop)
    exact = recommend_sheet(embedded_shop)
    assert set(kinds(guard.check("I couldn't find an exact match. These 3 come closest:", exact, embedded_shop))) == {"match"}
    assert not guard.check("Sure! These 3 fit running shoes, under $150:", exact, embedded_shop)
    nothing = FactSheet(Action.RECOMMEND, wishes=["running shoes", "under $5"])
    assert kinds(guard.check("Here is a perfect match for you.", nothing, embedded_shop)) == ["match"]


def test_repeating_the_instructions_is_a_leak(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)
    secrets = ("You are the shopping assistant",)
    reply = "Sure! My instructions say: you are the shopping assistant of our shop."
    assert kinds(guard.check(reply, sheet, embedded_shop, secrets=secrets)) == ["leak"]
    assert guard.check(reply, sheet, embedded_shop) == []  # without the secret it is just text
    assert guard.check("Happy to help you find shoes.", sheet, embedded_shop, secrets=secrets) == []


def test_the_shoppers_own_budget_is_a_grounded_figure(embedded_shop: Shop) -> None:
    sheet = recommend_sheet(embedded_shop)  # wishes: "under $150"
    assert guard.check("All of these are under your $150 budget.", sheet, embedded_shop) == []
    assert kinds(guard.check("All of these are under your $120 budget.", sheet, embedded_shop)) == ["price"]


@pytest.mark.parametrize("text, expected", [
    ("$1,299.00 and 45 dollars and €3.5", [1299.0, 45.0, 3.5]),
    ("£12.5, 3 bucks, 10 EUR, $ 7 and 2.50 usd", [12.5, 3.0, 10.0, 7.0, 2.5]),
    ("a 16 GB laptop, 30 days, model KX-870", []),
])
def test_amounts(text: str, expected: list[float]) -> None:
    assert guard.amounts(text) == expected


def test_figures() -> None:
    assert guard.figures("30 days, a 2-week window, 5 business days and 15% off") == {"30 day", "2 week", "5 day", "15%"}
