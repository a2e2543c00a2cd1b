"""Amounts with units: read from a shopper's words and from a product's own text, compared by dimension."""

from __future__ import annotations

import pytest

from assistant import measures


@pytest.mark.parametrize("text, said", [
    ("1 kg sugar", ["1 kg"]), ("5 litre oil", ["5 litre"]), ("wall mount for a 65 inch tv", ["65 inch"]),
    ('a 65" tv', ["65 inch"]), ("led bulb 9 watt", ["9 watt"]), ("500gm butter", ["500 gm"]),
    ("a bag under 2 kg", ["under 2 kg"]), ("at least 256gb", ["over 256 gb"]), ("a 4g phone", []), ("size 10 shoes", []),
])
def test_amounts_as_said(text: str, said: list[str]) -> None:
    assert [s for _, _, s in measures.amounts(text)] == said


@pytest.mark.parametrize("product, wish, expected", [
    ("Tata Salt 1 kg", "1 kg", True), ("Tata Salt 1000 g", "1 kg", True), ("Tata Salt 500 gm", "1 kg", False),
    ("Fortune Sunflower Oil 5 Ltr", "5 litre", True), ("Fortune Sunflower Oil 1 L", "5 litre", False),
    ('Peerless - TV Wall Mount for Most 37" - 65" Flat-Panel TVs', "65 inch", True),
    ('Chief - Fixed TV Wall Mount for Most 26" - 42" TVs', "65 inch", False),
    ("Britannia Marie 250 g", "under 1 kg", True), ("Daawat Basmati 5 kg", "under 1 kg", False),
    ("Philips LED Bulb 9 W", "9 watt", True), ("Philips LED Bulb 9 W", "9 kg", False),
])
def test_a_product_text_states_the_amount(product: str, wish: str, expected: bool) -> None:
    assert measures.has(product, wish) is expected


def test_a_later_amount_of_the_same_dimension_replaces_the_earlier() -> None:
    assert measures.merge(["1 kg", "9 watt"], ["2 kg"]) == ["9 watt", "2 kg"]
