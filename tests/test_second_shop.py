"""A shop of another shape than the embedded one: rupee prices written as shops write them, category paths instead of
flat categories, no attributes. Nothing the assistant knows about the embedded shop may help here."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings, parse_rates
from assistant.engine import Assistant
from assistant.ingest import ingest_files
from assistant.sessions import SessionStore
from assistant.shop import CurrencyError, Shop
from assistant.store import Store
from shopfiles import FAQ_MD, write_jsonl

ROWS = [
    ("r1", "India Gate Basmati Rice Classic 1 kg", "₹189", "India Gate", "Grocery > Rice & Rice Products"),
    ("r2", "Daawat Basmati Rice Rozana 5 kg", "Rs. 449", "Daawat", "Grocery > Rice & Rice Products"),
    ("r3", "Premia Sona Masoori Rice 1 kg", "79", "Premia", "Grocery > Rice & Rice Products"),
    ("r4", "Rice Bran Oil 1 L", "₹165", "Fortune", "Grocery > Edible Oils"),
    ("o1", "Sunflower Oil 1 L", "₹145", "Fortune", "Grocery > Edible Oils"),
    ("o2", "Mustard Oil Kachi Ghani 1 L", "₹172", "Dhara", "Grocery > Edible Oils"),
    ("s1", "Head & Shoulders Anti Dandruff Shampoo 180 ml", "₹199", "Head & Shoulders", "Personal Care > Hair Care"),
    ("s2", "Clinic Plus Strong & Long Shampoo 340 ml", "₹235", "Clinic Plus", "Personal Care > Hair Care"),
    ("t1", "Colgate Strong Teeth Toothpaste 200 g", "INR 110", "Colgate", "Personal Care > Oral Care"),
    ("t2", "Pepsodent Germicheck Toothpaste 150 g", "₹92", "Pepsodent", "Personal Care > Oral Care"),
    ("b1", "Unibic Sugar Free Oatmeal Cookies 75 g", "₹50", "Unibic", "Packaged Food > Biscuits & Cookies"),
    ("b2", "Sugar Free Natura Sweetener 100 pellets", "₹120", "Sugar Free", "Grocery > Sugar & Sweeteners"),
    ("b3", "Britannia Marie Gold Biscuits 250 g", "₹40", "Britannia", "Packaged Food > Biscuits & Cookies"),
    ("b4", "Parle-G Glucose Biscuits 800 g", "₹80", "Parle", "Packaged Food > Biscuits & Cookies"),
    ("b5", "Bisk Farm Sugar Free Digestive Biscuits 200 g", "₹65", "Bisk Farm", "Packaged Food > Biscuits & Cookies"),
    ("f1", "LG 190 L Direct Cool Single Door Refrigerator", "₹15,990", "LG", "Appliances > Refrigerators"),
    ("f2", "Whirlpool 215 L Frost Free Refrigerator", "₹22,490", "Whirlpool", "Appliances > Refrigerators"),
    ("c1", "Prestige Pressure Cooker 3 Litre", "₹1,299", "Prestige", "Home & Kitchen > Cookware"),
    ("c2", "Hawkins Pressure Cooker 5 Litre", "₹1,899", "Hawkins", "Home & Kitchen > Cookware"),
    ("m1", "Snapin Cheesy Garlic Bread Mix 200 g", "₹79", "Snapin", "Packaged Food > Baking Mixes"),
    ("h1", "Harpic Power Plus Toilet Cleaner 500 ml", "₹99", "Harpic", "Home Care > Toilet Cleaners"),
    ("h2", "Harpic Bathroom Cleaner 500 ml", "₹109", "Harpic", "Home Care > Bathroom Cleaners"),
    ("h3", "Harnik Glass Cleaner 500 ml", "₹89", "Harnik", "Home Care > Glass Cleaners"),
    ("p1", "Rajma White 500 g", "₹102", "Tata Sampann", "Grocery > Dals & Pulses"),
    ("p2", "Crème Fraîche Dip 200 g", "₹149", "Amul", "Packaged Food > Dips & Spreads"),
]


@pytest.fixture(scope="module")
def rupee_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    work = tmp_path_factory.mktemp("rupee-shop")
    rows = [{"id": pid, "title": title, "price": price, "brand": brand, "category": category, "stock": 10}
            for pid, title, price, brand, category in ROWS]
    catalog = write_jsonl(work / "catalog.jsonl", rows)
    (work / "faq.md").write_text(FAQ_MD, encoding="utf-8")
    settings = Settings(data_dir=work / "data", shop_currency="INR", rates=parse_rates("USD=83,EUR=90"))
    store = Store(settings)
    report = ingest_files(store, catalog=catalog, faq=work / "faq.md", replace=True, progress=False)
    assert report.version and not report.loaded["catalog"].errors, report.lines()
    sessions = SessionStore(work / "sessions.sqlite")
    yield Assistant(Shop.open(store, report.version), sessions, llm=None)
    sessions.close()


def ask(assistant: Assistant, session: str, *messages: str):  # type: ignore[no-untyped-def]
    assistant.sessions.reset(session)
    return [assistant.reply(session, message) for message in messages][-1]


def titles(reply) -> list[str]:  # type: ignore[no-untyped-def]
    return [p["title"] for p in reply.products]


def test_prices_written_with_rupee_signs_are_read(rupee_assistant: Assistant) -> None:
    shop = rupee_assistant.current_shop()
    assert shop.by_id["f1"].price == 15990 and shop.by_id["r2"].price == 449 and shop.by_id["t1"].price == 110


def test_a_budget_in_rupees_and_the_kind_named(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "rice", "basmati rice under ₹300")
    assert titles(reply) and all("Rice" in t and "Oil" not in t for t in titles(reply)), reply.text
    assert all(p["price"] <= 300 for p in reply.products) and "₹300" in reply.text


def test_a_budget_in_dollars_is_converted_at_the_shop_rate(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "dollars", "toothpaste under $2")  # 166 rupees
    assert reply.preferences["budget_max"] == 166 and titles(reply)
    assert all("Toothpaste" in t for t in titles(reply))


def test_the_shop_says_it_does_not_carry_what_it_has_never_heard_of(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "mowers", "hi, do you guys have lawn mowers? mine just died")
    assert not reply.products and "don't carry lawn mowers" in reply.text, reply.text


def test_a_typo_is_fixed_toward_the_shops_words(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "shampoo", "shampo for dandruff")
    assert titles(reply) and all("Shampoo" in t for t in titles(reply))


def test_a_synonym_finds_the_kind_under_its_shop_name(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "fridge", "a fridge under 20000")
    assert titles(reply) == ["LG 190 L Direct Cool Single Door Refrigerator"], reply.text


def test_a_brand_spelled_in_words_other_brands_titles_use_is_not_a_brand_wish(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "biscuits", "sugar free biscuits")
    assert reply.preferences["brands"] == [] and titles(reply), reply.text
    assert all("Biscuits" in t or "Cookies" in t for t in titles(reply))
    assert "brand you asked for" not in reply.text


def test_a_new_kind_starts_a_new_request(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "topic", "basmati rice under ₹200", "a pressure cooker")
    assert reply.preferences["budget_max"] is None and titles(reply), reply.text
    assert all("Pressure Cooker" in t for t in titles(reply))


def test_the_kind_is_never_given_up_for_other_wishes(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "relax", "pressure cooker under ₹500")
    assert all("Pressure Cooker" in t for t in titles(reply)), reply.text  # alternatives, but still cookers


def test_a_store_in_a_currency_the_settings_cannot_convert_stops_with_the_settings_named(rupee_assistant: Assistant) -> None:
    store = Store(Settings(data_dir=rupee_assistant.current_shop().settings.data_dir))  # SHOP_CURRENCY left at USD
    with pytest.raises(CurrencyError, match="SHOP_CURRENCY.*SHOP_RATES"):
        Shop.open(store, store.current_version())


@pytest.mark.parametrize("text", ["EUR", "EUR=x", "EURO=1.1", "EUR=-1"])
def test_malformed_rates_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="SHOP_RATES"):
        parse_rates(text)


def test_a_currency_that_is_no_code_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOP_CURRENCY", "rupees")
    with pytest.raises(ValueError, match="SHOP_CURRENCY"):
        Settings.from_env()


def test_a_product_titled_with_the_shoppers_own_word_is_not_an_ungrounded_mention(rupee_assistant: Assistant) -> None:
    from assistant import guard

    reply = ask(rupee_assistant, "word-title", "basmati rice under ₹300")
    shop = rupee_assistant.current_shop()
    plain = next(p for p in shop.products if p.id == "r3")
    renamed = Shop(**{**vars(shop), "products": shop.products + [type(plain)(**{**vars(plain), "id": "w1", "title": "Rice"})]})
    assert guard.check(reply.text, reply.sheet, renamed) == [], reply.text


def test_a_pack_size_is_met_from_the_title(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "pack", "basmati rice 5 kg")
    assert titles(reply)[:1] == ["Daawat Basmati Rice Rozana 5 kg"] and "5 kg, as you asked" in reply.text, reply.text
    assert reply.preferences["kind"] == ["rice"]  # the unit is never the kind of product


def test_a_size_no_product_has_is_given_up_and_said(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "size", "pressure cooker 10 litre")
    assert titles(reply) and all("Pressure Cooker" in t for t in titles(reply)), reply.text
    assert reply.sheet.relaxed == ["in 10 litre"] and "as you asked" not in reply.text


def test_a_kind_the_shop_only_mentions_is_not_carried_and_what_mentions_it_is_labelled(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "bread", "brown bread")  # only a bread *mix*: the mix is no bread
    assert reply.sheet.has_note("not_carried") and "don't carry bread as such" in reply.text, reply.text
    assert titles(reply) == ["Snapin Cheesy Garlic Bread Mix 200 g"]


def test_the_kind_is_the_last_word_that_names_products(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "packaging", "sunflower oil 1 L bottle")  # the bottle holds the product
    assert reply.preferences["kind"] == ["oil"] and titles(reply)[:1] == ["Sunflower Oil 1 L"], reply.text


def test_a_brand_typo_goes_to_the_brand_more_products_carry(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "typo-brand", "harpik toilet cleaner")  # one edit from Harpic (2) and Harnik (1)
    assert reply.preferences["brands"] == ["Harpic"] and titles(reply)[:1] == ["Harpic Power Plus Toilet Cleaner 500 ml"], reply.text


def test_a_colour_after_the_name_is_not_the_kind(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "colour-head", "rajma")  # "Rajma White" is rajma, not a white
    assert not reply.sheet.has_note("not_carried") and titles(reply) == ["Rajma White 500 g"], reply.text


def test_accents_are_read_as_shoppers_type_them(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "accents", "creme fraiche dip")
    assert titles(reply)[:1] == ["Crème Fraîche Dip 200 g"] and not reply.sheet.relaxed, reply.text


def test_a_word_no_text_of_the_shop_has_is_said_unmet_not_dropped(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "unheard", "electric pressure cooker")  # no cooker of the shop is electric
    assert reply.sheet.relaxed == ["electric cooker"] and "don't have anything that matches" in reply.text, reply.text
    assert titles(reply) and all("Pressure Cooker" in t for t in titles(reply))


def test_a_typo_that_leaves_out_letters_is_no_unmet_wish(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "dropped-letters", "sunflwr oil")  # two letters left out of "sunflower"
    assert not reply.sheet.relaxed and titles(reply)[:1] == ["Sunflower Oil 1 L"], reply.text


def test_a_request_for_one_kind_or_another_keeps_both(rupee_assistant: Assistant) -> None:
    reply = ask(rupee_assistant, "either-kind", "i want to buy shampoo or toothpaste")  # the request's object names both
    assert reply.preferences["kind"] == ["shampoo", "toothpaste"], reply.preferences
