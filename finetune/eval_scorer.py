"""Ranking quality of the scorer's relevance models on held-out queries, all on the same candidates.

For each test query (unseen products, unseen phrasing templates) the candidate pool is the union of
the BM25 and bi-encoder top 15 over the whole catalog; each ranker reorders that pool. nDCG@10 uses
the graded labels of finetune.pairs (exact 1, partial 0.5, irrelevant 0) with the ideal order of the
same pool; MRR is the reciprocal rank of the first exact match.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from tqdm import tqdm

from assistant.lexical import BM25Index
from assistant.scorer import BiEncoderRelevance
from assistant.store import product_lexical_text, product_text
from finetune.pairs import EXACT, Query, grade
from knowledge.schema import Product

POOL_EACH = 15
Ranker = Callable[[str, list[Product]], np.ndarray]


@dataclass
class RankingResult:
    name: str
    ndcg10: float
    mrr: float
    ms_per_query: float


def dcg(gains: list[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:10]))


def pools(queries: list[Query], products: list[Product]) -> list[list[Product]]:
    bm25 = BM25Index([product_lexical_text(p) for p in products])
    dense = BiEncoderRelevance()
    out = []
    for query in queries:
        lexical = np.argsort(-bm25.scores(query.text), kind="stable")[:POOL_EACH]
        semantic = np.argsort(-dense.score(query.text, products), kind="stable")[:POOL_EACH]
        out.append([products[i] for i in dict.fromkeys([*lexical.tolist(), *semantic.tolist()])])
    return out


def bm25_ranker(products: list[Product]) -> Ranker:
    index = BM25Index([product_lexical_text(p) for p in products])
    position = {p.id: i for i, p in enumerate(products)}

    def rank(query: str, pool: list[Product]) -> np.ndarray:
        scores = index.scores(query)
        return np.array([scores[position[p.id]] for p in pool])

    return rank


def cross_encoder_ranker(model) -> Ranker:
    def rank(query: str, pool: list[Product]) -> np.ndarray:
        return np.asarray(model.predict([(query, product_text(p)) for p in pool], show_progress_bar=False)).reshape(-1)

    return rank


def evaluate(name: str, ranker: Ranker, queries: list[Query], query_pools: list[list[Product]]) -> RankingResult:
    ndcgs, rrs = [], []
    start = time.perf_counter()
    for query, pool in tqdm(list(zip(queries, query_pools)), desc=f"ranking with {name}", leave=False):
        scores = ranker(query.text, pool)
        order = np.argsort(-scores, kind="stable")
        gains = [grade(pool[i], query.wish) for i in order]
        ideal = dcg(sorted(gains, reverse=True))
        if ideal > 0:
            ndcgs.append(dcg(gains) / ideal)
        first = next((rank for rank, g in enumerate(gains, start=1) if g == EXACT), None)
        rrs.append(1 / first if first else 0.0)
    seconds = time.perf_counter() - start
    return RankingResult(name, float(np.mean(ndcgs)), float(np.mean(rrs)), 1000 * seconds / max(1, len(queries)))
