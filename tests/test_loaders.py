"""Reading shop files: good rows in, bad rows reported with their line and reason, nothing crashes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from knowledge.loaders import embedded_shop_files, load_catalog, load_faq, load_orders
from shopfiles import FAQ_MD, product_row, write_jsonl

HEADER = "id,title,category,price,brand,stock,rating,attr_color,attr_waterproof,attr_sizes,tags\n"


def reasons(result) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {p.line: p.reason for p in result.errors}


def test_embedded_shop_is_complete_and_clean() -> None:
    files = embedded_shop_files()
    catalog = load_catalog(files["catalog"])
    faq = load_faq(files["faq"])
    orders = load_orders(files["orders"])
    assert (catalog.fatal, catalog.errors, faq.fatal, faq.errors, orders.fatal, orders.errors) == (None, [], None, [], None, [])
    assert len(catalog.records) >= 400
    categories = Counter(p.category for p in catalog.records)
    assert len(categories) >= 10 and min(categories.values()) >= 20
    assert len({p.title for p in catalog.records}) == len(catalog.records)
    assert len(faq.records) >= 40
    topics = {e.topic for e in faq.records}
    assert {"returns", "shipping", "payment", "warranty", "contact"} <= topics
    ids = {p.id for p in catalog.records}
    assert orders.records and all(item.product_id in ids for o in orders.records for item in o.items)


def test_csv_bad_rows_are_reported_by_line_and_good_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        HEADER
        + "A-1,Trail shoe,shoes,99.50,Kestrel,4,4.5,black,true,8;9;10,trail;hiking\n"  # line 2: good
        + "A-2,Road shoe,shoes,abc,Kestrel,4,4.5,red,false,9,road\n"  # line 3: price not a number
        + "A-3,,shoes,20,Kestrel,4,4.5,red,false,9,road\n"  # line 4: no title
        + "A-4,Cheap shoe,shoes,20,Kestrel,-3,4.5,red,false,9,road\n"  # line 5: negative stock
        + "A-5,Odd shoe,shoes,20,Kestrel,3,7,red,false,9,road\n"  # line 6: rating above 5
        + "A-6,Short row,shoes\n"  # line 7: too few cells
        + "A-1,Duplicate,shoes,10,Kestrel,1,4,red,false,9,road\n"  # line 8: duplicate id
        + "bad id!,Weird id,shoes,10,Kestrel,1,4,red,false,9,road\n"  # line 9: bad id
        + "A-7,Sock,socks,4.99,,,,,,,\n",  # line 10: good, optional fields missing
        encoding="utf-8",
    )
    result = load_catalog(path)
    assert result.fatal is None
    assert [p.id for p in result.records] == ["A-1", "A-7"]
    got = reasons(result)
    assert set(got) == {3, 4, 5, 6, 7, 8, 9}
    assert "price 'abc' is not a number" in got[3]
    assert "title is missing" in got[4]
    assert "stock -3 is below 0" in got[5]
    assert "rating 7 is above 5" in got[6]
    assert "3 cells but the header has 11" in got[7]
    assert "duplicate id 'A-1' (first on line 2)" in got[8]
    assert "may only use letters" in got[9]
    shoe, sock = result.records
    assert shoe.attributes == {"color": "black", "waterproof": True, "sizes": ["8", "9", "10"]}
    assert shoe.tags == ["trail", "hiking"] and shoe.price == 99.5 and shoe.stock == 4
    assert (sock.stock, sock.rating, sock.brand, sock.attributes, sock.currency) == (None, None, "", {}, "USD")
    assert sock.in_stock  # unknown stock is not "sold out"


def test_semicolon_and_tab_separated_files(tmp_path: Path) -> None:
    for name, sep in (("semi.csv", ";"), ("tabs.csv", "\t")):
        path = tmp_path / name
        path.write_text(sep.join(["id", "title", "category", "price"]) + "\n" + sep.join(["S-1", "Mug, large", "kitchen", "9.5"]) + "\n")
        assert [(p.id, p.title, p.price) for p in load_catalog(path).records] == [("S-1", "Mug, large", 9.5)]


def test_missing_required_columns_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("id,name,cost\nA-1,Shoe,10\n", encoding="utf-8")
    result = load_catalog(path)
    assert result.fatal is not None and "missing required column(s): title, category, price" in result.fatal
    assert result.records == []


def test_huge_description_is_rejected_not_crashed(tmp_path: Path) -> None:
    rows = [product_row("OK-1", "Fine lamp"), product_row("BIG-1", "Huge lamp", description="x" * 10_000_000)]
    path = write_jsonl(tmp_path / "catalog.jsonl", rows)
    result = load_catalog(path)
    assert [p.id for p in result.records] == ["OK-1"]
    assert "description is 10,000,000 characters; the limit is 5,000" in reasons(result)[2]


def test_huge_csv_cell_is_rejected_not_crashed(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("id,title,category,price,description\nA-1,Lamp,home,10,ok\nA-2,Lamp 2,home,10," + "y" * 10_000_000 + "\n")
    result = load_catalog(path)
    assert [p.id for p in result.records] == ["A-1"]
    assert "limit is 5,000" in reasons(result)[3]


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10)
    result = load_catalog(path)
    assert result.fatal is not None and "binary" in result.fatal
    assert result.records == []


def test_legacy_encoding_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes("id,title,category,price\nC-1,Café crème mug,kitchen,12\n".encode("cp1252"))
    result = load_catalog(path)
    assert [p.title for p in result.records] == ["Café crème mug"]
    assert any("not valid UTF-8" in w.reason for w in result.warnings)


def test_html_in_titles_is_kept_as_text_with_a_warning(tmp_path: Path) -> None:
    title = "<img src=x onerror=alert(1)> Lamp <script>alert('x')</script>"
    path = write_jsonl(tmp_path / "catalog.jsonl", [product_row("H-1", title)])
    result = load_catalog(path)
    assert result.records[0].title == title
    assert any("HTML" in w.reason for w in result.warnings)


def test_wrong_types_in_jsonl(tmp_path: Path) -> None:
    rows = [
        product_row("T-1", "Good one"),
        product_row("T-2", "Price is a list", price=[1, 2]),
        product_row("T-3", "Attributes a string", attributes="red"),
        {**product_row("T-4", "x"), "title": {"en": "x"}},
        product_row("T-5", "Price is true", price=True),
        product_row("T-6", "Infinite", price="inf"),
    ]
    path = write_jsonl(tmp_path / "catalog.jsonl", rows)
    path.write_text(path.read_text() + "{not json\n[1, 2]\n")
    result = load_catalog(path)
    assert [p.id for p in result.records] == ["T-1"]
    got = reasons(result)
    assert "is not a number" in got[2]
    assert "attributes must be an object" in got[3]
    assert "title must be text" in got[4]
    assert "got a boolean" in got[5]
    assert "finite" in got[6]
    assert "invalid JSON" in got[7]
    assert "expected a JSON object" in got[8]


def test_other_currencies_need_a_rate(tmp_path: Path) -> None:
    rows = [product_row("E-1", "Euro kettle", currency="EUR"), product_row("Z-1", "Zloty kettle", currency="PLN")]
    result = load_catalog(write_jsonl(tmp_path / "catalog.jsonl", rows), rates={"EUR": 1.1}, shop_currency="USD")
    assert [p.currency for p in result.records] == ["EUR"]
    assert "currency PLN has no exchange rate" in reasons(result)[2]


def test_unknown_format_and_empty_file(tmp_path: Path) -> None:
    assert "cannot read" in str(load_catalog(tmp_path / "missing.csv").fatal)
    (tmp_path / "x.xlsx").write_text("a")
    assert "unknown catalog format '.xlsx'" in str(load_catalog(tmp_path / "x.xlsx").fatal)
    (tmp_path / "empty.csv").write_text("")
    assert "empty" in str(load_catalog(tmp_path / "empty.csv").fatal)
    (tmp_path / "header.csv").write_text("id,title,category,price\n")
    assert "no valid rows" in str(load_catalog(tmp_path / "header.csv").fatal)


def test_faq_markdown_and_jsonl(tmp_path: Path) -> None:
    md = tmp_path / "faq.md"
    md.write_text(FAQ_MD + "\n## Do you have gift cards?\n\nYes, from $10 to $500.\n\n## Empty one\nid: empty\n\n")
    result = load_faq(md)
    assert [e.id for e in result.records] == ["returns-window", "shipping-cost", "do-you-have-gift-cards"]
    assert result.records[0].topic == "returns" and result.records[0].answer.startswith("You have 30 days")
    assert "answer is missing" in reasons(result)[19]
    jsonl = write_jsonl(tmp_path / "faq.jsonl", [{"question": "Can I pay with PayPal?", "answer": "Yes."}, {"id": "x"}])
    result = load_faq(jsonl)
    assert result.records[0].id == "can-i-pay-with-paypal" and "question is missing" in reasons(result)[2]


def test_orders(tmp_path: Path) -> None:
    good = {"order_id": "O-1", "email": "A@Example.com", "items": [{"product_id": "P-1", "title": "Lamp", "qty": 2, "unit_price": 5}],
            "total": 10, "status": "shipped", "placed_at": "2026-11-01"}
    rows = [good, {**good, "order_id": "O-2", "email": "not-an-email"}, {**good, "order_id": "O-3", "items": []}]
    result = load_orders(write_jsonl(tmp_path / "orders.jsonl", rows))
    assert [o.order_id for o in result.records] == ["O-1"] and result.records[0].email == "a@example.com"
    assert "not an e-mail" in reasons(result)[2] and "non-empty list" in reasons(result)[3]


def test_control_characters_are_stripped_from_text_and_reject_a_title(tmp_path: Path) -> None:
    rows = [product_row("C-1", "Lamp red", description="a\x00b\nc"), product_row("C-2", "Lamp\x07\x1b[31m red\u0085")]
    result = load_catalog(write_jsonl(tmp_path / "catalog.jsonl", rows))
    product = result.records[0]
    assert [p.id for p in result.records] == ["C-1"] and product.description == "ab\nc"
    assert "title contains control characters" in reasons(result)[2]
    assert json.loads(json.dumps(product.to_dict()))["id"] == "C-1"


def test_oversized_spec_values_and_many_attributes_keep_the_product(tmp_path: Path) -> None:
    """A long spec value or a 60-attribute export is no reason to lose a product: the text goes to the description."""
    attributes = {f"spec_{n}": f"value {n}" for n in range(60)} | {"material": "fine " * 40}
    path = write_jsonl(tmp_path / "catalog.jsonl", [{**product_row("L-1", "Desk lamp"), "attributes": attributes}])
    result = load_catalog(path)
    product = result.records[0]
    assert len(product.attributes) == 40 and "material" not in product.attributes
    assert "material: fine fine" in product.description and "spec_59" not in product.attributes and "spec 59: value 59" in product.description
    warnings = [p.reason for p in result.warnings]
    assert any("material is longer than 120" in w for w in warnings) and any("more than 40 attributes" in w for w in warnings)


@pytest.mark.parametrize("cell, value", [("₹499", 499.0), ("Rs. 1,299", 1299.0), ("INR 85", 85.0), ("12.50 €", 12.5),
                                         ("$5.49", 5.49), ("499/-", 499.0)])
def test_prices_written_with_a_currency_are_read(tmp_path: Path, cell: str, value: float) -> None:
    result = load_catalog(write_jsonl(tmp_path / "catalog.jsonl", [{**product_row("P-1", "Tea"), "price": cell}]))
    assert result.records[0].price == value


def test_a_price_that_is_not_money_is_rejected(tmp_path: Path) -> None:
    result = load_catalog(write_jsonl(tmp_path / "catalog.jsonl", [{**product_row("P-1", "Tea"), "price": "call us"}]))
    assert not result.records and "is not a number" in reasons(result)[1]
