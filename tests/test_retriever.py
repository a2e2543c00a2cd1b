"""Hybrid retrieval on the embedded shop: filters hold in every mode, model numbers are found exactly."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from assistant.filters import ProductFilter
from assistant.retriever import MODES, search_faq, search_products
from assistant.shop import Shop


def common(values: list) -> str:  # type: ignore[type-arg]
    return Counter(values).most_common(1)[0][0]


def filters_from_catalog(shop: Shop) -> dict[str, tuple[str, ProductFilter]]:
    """Filters built from what the catalog holds, so the test follows the data, not magic values."""
    products = shop.products
    category = common([p.category for p in products])
    brand = common([p.brand for p in products if p.category == category])
    sized = next(p for p in products if isinstance(p.attributes.get("sizes"), list))
    battery = [p for p in products if isinstance(p.attributes.get("battery_hours"), (int, float))]
    median_battery = sorted(p.attributes["battery_hours"] for p in battery)[len(battery) // 2]
    return {
        "price range": ("something nice", ProductFilter(min_price=50, max_price=150)),
        "category": ("best seller", ProductFilter(categories=[category])),
        "brand": ("popular", ProductFilter(brands=[brand.upper()])),
        "brand excluded": (f"{brand} {category.replace('_', ' ')}", ProductFilter(exclude_brands=[brand])),
        "in stock": ("gift", ProductFilter(in_stock=True)),
        "color": ("black", ProductFilter(attributes={"color": "Black"})),
        "size in a list": ("shoes", ProductFilter(attributes={"sizes": sized.attributes["sizes"][-1]})),
        "numeric range": ("long battery", ProductFilter(attributes={"battery_hours": {"min": median_battery}})),
        "combined": (category.replace("_", " "), ProductFilter(categories=[category], max_price=200, in_stock=True, exclude_brands=[brand])),
        "waterproof": ("rain", ProductFilter(attributes={"waterproof": True})),
    }


@pytest.mark.parametrize("mode", MODES)
def test_filters_hold_in_every_mode(embedded_shop: Shop, mode: str) -> None:
    for name, (query, filters) in filters_from_catalog(embedded_shop).items():
        allowed = {p.id for p in embedded_shop.products if filters.matches(p, embedded_shop.price_of(p))}
        assert allowed, f"{name}: the catalog should have matching products"
        hits = search_products(embedded_shop, query, filters, k=10, mode=mode)  # type: ignore[arg-type]
        assert {h.id for h in hits} <= allowed, f"{name} ({mode}) returned a product outside the filter"
        if mode != "lexical":  # lexical needs a word in common; dense and hybrid always fill the page
            assert len(hits) == min(10, len(allowed)), f"{name} ({mode}) returned {len(hits)} of {len(allowed)}"


def test_no_product_matches_gives_no_results(embedded_shop: Shop) -> None:
    impossible = ProductFilter(max_price=0.01)
    assert all(search_products(embedded_shop, "anything", impossible, mode=m) == [] for m in MODES)  # type: ignore[arg-type]


def test_hybrid_finds_exact_model_numbers_that_dense_misses(embedded_shop: Shop) -> None:
    products = [p for p in embedded_shop.products if p.model][::3]
    assert len(products) >= 100
    dense_top1 = hybrid_top1 = 0
    dense_misses = []
    for product in products:
        dense = [h.id for h in search_products(embedded_shop, product.model, k=10, mode="dense")]
        hybrid = [h.id for h in search_products(embedded_shop, product.model, k=10, mode="hybrid")]
        dense_top1 += dense[0] == product.id
        hybrid_top1 += hybrid[0] == product.id
        if dense[0] != product.id:
            dense_misses.append((product, hybrid[0] == product.id))
    assert hybrid_top1 / len(products) >= 0.95
    assert dense_top1 < hybrid_top1
    assert dense_misses, "dense search alone should miss some model numbers"
    assert sum(found for _, found in dense_misses) / len(dense_misses) >= 0.9


@pytest.mark.parametrize("spell", [str.lower, lambda m: m.replace("-", ""), lambda m: m.replace("-", " ")])
def test_model_numbers_in_any_spelling(embedded_shop: Shop, spell) -> None:  # type: ignore[no-untyped-def]
    hyphenated = [p for p in embedded_shop.products if "-" in p.model][:30]
    assert hyphenated
    found = sum(search_products(embedded_shop, f"do you have the {spell(p.model)}", k=3)[0].id == p.id for p in hyphenated)
    assert found / len(hyphenated) >= 0.9


def test_a_named_model_outside_the_filters_is_not_pinned(embedded_shop: Shop) -> None:
    product = next(p for p in embedded_shop.products if p.model and p.price > 50)
    assert search_products(embedded_shop, product.model, k=1)[0].id == product.id
    cheaper = search_products(embedded_shop, product.model, ProductFilter(max_price=product.price - 1), k=10)
    assert product.id not in {h.id for h in cheaper} and not any(h.exact for h in cheaper)


def test_misspelled_brand_is_still_found(embedded_shop: Shop) -> None:
    brand = next(b for b in Counter(p.brand for p in embedded_shop.products) if len(b) >= 6 and b.isalpha())
    typo = brand[:2] + brand[3] + brand[2] + brand[4:]  # swap two letters
    hits = search_products(embedded_shop, typo.lower(), k=5, mode="lexical")
    assert hits and all(embedded_shop.by_id[h.id].brand == brand for h in hits)


def test_faq_questions_find_their_policy(embedded_shop: Shop) -> None:
    topic_of = {e.id: e.topic for e in embedded_shop.faq}
    questions = {
        "can i send back something i bought last week": "returns",
        "how much does express delivery cost": "shipping",
        "do you ship to canada": "international",
        "which cards do you accept": "payment",
        "i want to cancel my order": "cancellation",
        "how do I talk to a real person": "contact",
    }
    for question, topic in questions.items():
        top = [topic_of[h.id] for h in search_faq(embedded_shop, question, k=3)]
        assert topic in top, f"{question!r} -> {top}"


def test_hits_explain_which_half_found_them(embedded_shop: Shop) -> None:
    product = next(p for p in embedded_shop.products if re.search(r"\d", p.model))
    top = search_products(embedded_shop, product.model, k=1)[0]
    assert top.id == product.id and top.lexical_rank == 1 and top.score > 0


def test_labelled_queries_resolve_on_the_embedded_shop(embedded_shop: Shop) -> None:
    """The benchmark's labels are criteria over the catalog: each must name at least one real answer."""
    from assistant.bench import QUERIES, load_queries

    queries = load_queries(QUERIES, embedded_shop)
    assert sum(q.kind == "product" for q in queries) >= 150 and sum(q.kind == "faq" for q in queries) >= 40
    empty = [q.text for q in queries if not q.relevant]
    assert not empty, empty
    known = set(embedded_shop.by_id) | set(embedded_shop.faq_by_id)
    assert all(q.relevant <= known for q in queries)
