"""Hybrid retrieval of products and FAQ entries: dense (ChromaDB) + lexical (BM25), fused by rank.

Both halves apply the same hard filters, then reciprocal-rank fusion merges them, so a product
found by either its meaning or its exact model number comes out near the top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.config import RetrievalConfig
from assistant.embeddings import embed
from assistant.filters import ProductFilter
from assistant.lexical import BM25Index
from assistant.shop import Shop

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")


@dataclass
class Hit:
    id: str
    score: float
    dense_rank: int | None = None  # 1-based rank in each list, None when that half missed it
    lexical_rank: int | None = None
    exact: bool = False  # the query named this product's model number or id


def search_products(
    shop: Shop,
    query: str,
    filters: ProductFilter | None = None,
    k: int = 10,
    mode: Mode = "hybrid",
    config: RetrievalConfig | None = None,
) -> list[Hit]:
    config = config or shop.settings.retrieval
    n = max(k, config.candidates)
    dense = dense_products(shop, query, filters, n, enough=k) if mode != "lexical" else []
    lexical = lexical_products(shop, query, filters, n) if mode != "dense" else []
    fused = fuse(dense, lexical, config)
    if mode == "hybrid":
        fused = pin_exact(shop, query, filters, fused)
    return fused[:k]


def pin_exact(shop: Shop, query: str, filters: ProductFilter | None, fused: list[Hit]) -> list[Hit]:
    """A model number or product id in the query is a lookup, not a hint: those products go first.

    Rank fusion alone lets a dense-favoured sibling ("KX-860") outrank the exact "KX-870".
    """
    named = [pid for pid in identifiers_in(shop, query)
             if filters is None or filters.matches(shop.by_id[pid], shop.price_of(shop.by_id[pid]))]
    if not named:
        return fused
    by_id = {hit.id: hit for hit in fused}
    pinned = [by_id.get(pid) or Hit(pid, 0.0) for pid in named]
    for hit in pinned:
        hit.exact = True
    return pinned + [hit for hit in fused if not hit.exact]


def identifiers_in(shop: Shop, query: str) -> list[str]:
    """Products whose model number or id the query spells, with or without separators ("kx 870")."""
    words = re.findall(r"[a-z0-9]+", query.lower())
    keys = words + [a + b for a, b in zip(words, words[1:])]
    return list(dict.fromkeys(pid for key in keys for pid in shop.identifiers.get(key, [])))


def likely_categories(shop: Shop, text: str, k: int = 4) -> list[str]:
    """The categories of the products nearest to `text`, best first. A fine-tuned reader picks the category
    from these rather than recalling the whole list: shorter prompts, and it scales to big catalogs."""
    hits = search_products(shop, text, k=12)
    return list(dict.fromkeys(shop.by_id[hit.id].category for hit in hits))[:k]


def search_faq(shop: Shop, query: str, k: int = 5, mode: Mode = "hybrid", config: RetrievalConfig | None = None) -> list[Hit]:
    config = config or shop.settings.retrieval
    n = min(max(k, config.candidates), len(shop.faq))
    dense = dense_ids(shop.faq_collection, embed([query])[0], None, n) if mode != "lexical" else []
    lexical = lexical_ids(shop.faq_index, query, None, n, shop.faq_ids) if mode != "dense" else []
    return fuse(dense, lexical, config)[:k]


def dense_products(shop: Shop, query: str, filters: ProductFilter | None, n: int, enough: int) -> list[str]:
    """The n nearest products that pass the filters (at least `enough` of them whenever that many exist)."""
    vector = embed([query])[0]
    if filters is None or filters.is_empty():
        return dense_ids(shop.product_collection, vector, None, n)
    # A broad `where` is slow in ChromaDB at scale (~100-200 ms at 20k products: it materialises
    # every allowed id), so over-fetch unfiltered and filter here: the allowed ones among the
    # nearest are exactly the nearest allowed ones. Only a filter so selective that too few turn
    # up goes to ChromaDB's `where`.
    for width in (max(4 * n, 200), 1000):
        width = min(width, len(shop.products))
        wide = dense_ids(shop.product_collection, vector, None, width)
        allowed = [pid for pid in wide if filters.matches(shop.by_id[pid], shop.price_of(shop.by_id[pid]))]
        if len(allowed) >= enough or width == len(shop.products):
            return allowed[:n]
    near = dense_ids(shop.product_collection, vector, filters.where(shop.list_attributes), n)
    return [pid for pid in near if filters.matches(shop.by_id[pid], shop.price_of(shop.by_id[pid]))]  # kinds: not in `where`


def dense_ids(collection: object, vector: np.ndarray, where: dict | None, n: int) -> list[str]:
    if n <= 0:
        return []
    result = collection.query(query_embeddings=[vector], n_results=n, where=where, include=[])  # type: ignore[attr-defined]
    return list(result["ids"][0])


def lexical_products(shop: Shop, query: str, filters: ProductFilter | None, n: int) -> list[str]:
    if filters is None or filters.is_empty():
        return lexical_ids(shop.product_index, query, None, n, shop.product_ids)
    mask = prefilter(shop, filters)
    ranked = lexical_ids(shop.product_index, query, mask, len(shop.products), shop.product_ids)
    # The vectorised prefilter covers the columns; attributes are checked here, best first, until n.
    keep: list[str] = []
    for pid in ranked:
        if filters.matches(shop.by_id[pid], shop.price_of(shop.by_id[pid])):
            keep.append(pid)
            if len(keep) == n:
                break
    return keep


def prefilter(shop: Shop, filters: ProductFilter) -> np.ndarray:
    mask = np.ones(len(shop.products), dtype=bool)
    if filters.min_price is not None:
        mask &= shop.prices >= filters.min_price
    if filters.max_price is not None:
        mask &= shop.prices <= filters.max_price
    if filters.categories:
        mask &= np.isin(shop.categories, [c.lower() for c in filters.categories])
    if filters.in_stock:
        mask &= shop.in_stock
    if filters.brands:
        mask &= np.isin(shop.brands, [b.lower() for b in filters.brands])
    if filters.exclude_brands:
        mask &= ~np.isin(shop.brands, [b.lower() for b in filters.exclude_brands])
    if filters.kinds:
        mask &= shop.kind_mask(filters.kinds)
    return mask


def lexical_ids(index: BM25Index, query: str, mask: np.ndarray | None, n: int, ids: list[str]) -> list[str]:
    scores = index.scores(query)
    candidates = np.flatnonzero(scores > 0 if mask is None else (scores > 0) & mask)
    order = candidates[np.argsort(-scores[candidates], kind="stable")][:n]
    return [ids[i] for i in order]


def fuse(dense: list[str], lexical: list[str], config: RetrievalConfig) -> list[Hit]:
    """Weighted reciprocal-rank fusion: robust to the two halves' incomparable score scales."""
    hits: dict[str, Hit] = {}
    for weight, ranked, field_name in ((config.dense_weight, dense, "dense_rank"), (config.lexical_weight, lexical, "lexical_rank")):
        for rank, item in enumerate(ranked, start=1):
            hit = hits.setdefault(item, Hit(item, 0.0))
            hit.score += weight / (config.rrf_k + rank)
            setattr(hit, field_name, rank)
    return sorted(hits.values(), key=lambda h: -h.score)
