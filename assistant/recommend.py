"""Retrieve and score: from the shopper's preferences to (usually) three products with their reasons.

Preferences become hard filters (budget, category, brands, attributes, exclusions, in stock); the
hybrid retriever finds candidates that pass them and the scorer ranks them. When nothing passes,
wishes are relaxed one kind at a time (attributes, then brands, then budget: never exclusions, stock
or the kind of product the shopper named) and the result says which, so the reply can label the picks as alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from assistant.currency import money
from assistant.filters import ProductFilter
from assistant.lexical import stem
from assistant.reasons import reasons_for, wish_text
from assistant.retriever import prefilter, search_products
from assistant.scorer import Relevance, ScorerConfig, score
from assistant.shop import Shop
from assistant.state import Preferences
from knowledge.schema import Product

CANDIDATES = 30


@dataclass
class Pick:
    product: Product
    price: float  # in the shop currency
    reasons: list[str]
    total: float
    parts: dict[str, float]


@dataclass
class Recommendation:
    picks: list[Pick]
    matched: int  # in-stock products meeting every wish
    relaxed: list[str] = field(default_factory=list)  # wishes the picks may not meet (empty: they meet all)


def filters_for(prefs: Preferences, exclude_ids: list[str] | None = None) -> ProductFilter:
    return ProductFilter(
        min_price=prefs.budget_min,
        max_price=prefs.budget_max,
        categories=[prefs.category] if prefs.category else [],
        brands=list(prefs.brands),
        exclude_brands=list(prefs.avoid_brands),
        in_stock=True,
        attributes=dict(prefs.must_have),
        exclude_attributes=dict(prefs.excluded),
        exclude_ids=list(exclude_ids or []),
        kinds=kind_stems(prefs.kind),
        words=[stem(w) for w in prefs.words],
        measures=list(prefs.measures),
    )


def kind_stems(kind: list[str]) -> list[str]:
    """The stem of each phrase's head word: "lawn mowers" -> "mower" (the shopper's other words only rank)."""
    return list(dict.fromkeys(stem(phrase.split()[-1]) for phrase in kind if phrase.split()))


def count_matching(shop: Shop, filters: ProductFilter) -> int:
    rows = np.flatnonzero(prefilter(shop, filters))
    if not (filters.attributes or filters.exclude_attributes or filters.exclude_ids or filters.words or filters.measures):
        return len(rows)
    return sum(1 for i in rows if filters.matches(shop.products[i], float(shop.prices[i])))


def search_text(prefs: Preferences, request: str) -> str:
    """What the retriever reads: the shopper's words plus the wishes they stated across turns."""
    wishes = [wish_text(name, value) for name, value in prefs.must_have.items()]
    words = [request, prefs.use_case or "", " ".join(wishes), (prefs.category or "").replace("_", " "), " ".join(prefs.kind)]
    return " ".join(w for w in words if w).strip() or "popular"


def relaxations(prefs: Preferences, currency: str) -> list[tuple[Preferences, list[str]]]:
    """Ever looser versions of the wishes, each with what it gave up, in the order a shopper would mind least."""
    steps: list[tuple[Preferences, list[str]]] = []
    dropped: list[str] = []
    current = prefs
    if prefs.measures:  # a pack or screen size is minded least: the same product in another size is close
        dropped = [f"in {' and '.join(prefs.measures)}"]
        current = replace(current, measures=[])
        steps.append((current, dropped))
    if prefs.must_have:
        # One wish at a time first (oldest first: the latest is what the shopper just asked for), then all.
        for name, value in list(prefs.must_have.items())[:-1] if len(prefs.must_have) > 1 else []:
            others = {n: v for n, v in prefs.must_have.items() if n != name}
            steps.append((replace(current, must_have=others), dropped + [wish_text(name, value)]))
        if prefs.brands:  # "storage at least 16 GB, from Huawei": the brand alone may be all that nothing meets
            steps.append((replace(current, brands=[]), dropped + [f"from {' or '.join(prefs.brands)}"]))
        dropped = dropped + [wish_text(n, v) for n, v in prefs.must_have.items()]
        current = replace(current, must_have={})
        steps.append((current, dropped))
    if prefs.brands:
        dropped = dropped + [f"from {' or '.join(prefs.brands)}"]
        current = replace(current, brands=[])
        steps.append((current, dropped))
    if prefs.budget_min is not None or prefs.budget_max is not None:
        budget = [f"under {money(prefs.budget_max, currency)}" if prefs.budget_max is not None else "",
                  f"over {money(prefs.budget_min, currency)}" if prefs.budget_min is not None else ""]
        dropped = dropped + [" and ".join(b for b in budget if b)]
        current = replace(current, budget_min=None, budget_max=None)
        steps.append((current, dropped))
    return steps


def rank(shop: Shop, prefs: Preferences, query: str, config: ScorerConfig, relevance: Relevance, k: int,
         exclude_ids: list[str] | None) -> tuple[list[Pick], int]:
    filters = filters_for(prefs, exclude_ids)
    matched = count_matching(shop, filters)
    if matched == 0:
        return [], 0
    limit = getattr(relevance, "pool_limit", CANDIDATES)
    hits = search_products(shop, query, filters, k=limit)
    if not hits:  # the wishes allow products but the words match none of them: rank the allowed ones by quality
        rows = [i for i in np.flatnonzero(prefilter(shop, filters)) if filters.matches(shop.products[i], float(shop.prices[i]))]
        candidates = [shop.products[i] for i in rows[: limit * 4]]
        retrieval = None
    else:
        candidates = [shop.by_id[h.id] for h in hits]
        retrieval = {h.id: h.score for h in hits}
    prices = {p.id: shop.price_of(p) for p in candidates}
    chosen = score(query, candidates, prices, filters, config, relevance, k=k, retrieval_scores=retrieval)
    currency = shop.settings.shop_currency
    picks = [Pick(shop.by_id[s.product_id], prices[s.product_id],
                  reasons_for(shop.by_id[s.product_id], prices[s.product_id], prefs, currency), s.total, s.parts)
             for s in chosen]
    return picks, matched


def recommend(shop: Shop, prefs: Preferences, request: str, config: ScorerConfig, relevance: Relevance, k: int = 3,
              exclude_ids: list[str] | None = None) -> Recommendation:
    query = search_text(prefs, request)
    picks, matched = rank(shop, prefs, query, config, relevance, k, exclude_ids)
    if picks:
        return Recommendation(picks, matched)
    for looser, dropped in relaxations(prefs, shop.settings.shop_currency):
        picks, _ = rank(shop, looser, query, config, relevance, k, exclude_ids)
        if picks:
            # Reasons come from the original wishes: an alternative never claims one it does not meet.
            for pick in picks:
                pick.reasons = reasons_for(pick.product, pick.price, prefs, shop.settings.shop_currency)
            return Recommendation(picks, 0, dropped)
    return Recommendation([], 0, [])
