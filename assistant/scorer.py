"""Rank retrieved candidates for a recommendation: relevance blended with the shop's business goals.

total = relevance + stock + margin + rating + diversity_penalty, every part already weighted, so the
logged parts are exactly what ranked the product. Weights live in `scoring.toml` (commented there).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import statistics
import tomllib
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.embeddings import embed
from assistant.filters import ProductFilter
from assistant.lexical import COLOURS
from assistant.store import product_text
from knowledge.schema import Product

log = logging.getLogger("assistant.scorer")
DEFAULT_CONFIG = Path(__file__).with_name("scoring.toml")
ENV_CONFIG = "SHOP_SCORING_CONFIG"
PARTS = ("relevance", "stock", "margin", "rating", "diversity_penalty")
BOUNDS = {"relevance": (0, math.inf), "stock": (0, math.inf), "margin": (0, math.inf), "rating": (0, math.inf),
          "diversity": (0, 1), "max_per_brand": (1, math.inf), "low_stock": (0, math.inf),
          "rating_prior": (0, 5), "rating_prior_reviews": (0, math.inf)}
WHOLE = {"max_per_brand", "low_stock", "rating_prior_reviews"}
# Stock signal: a healthy shelf beats a nearly empty one, which beats "the shop did not say".
STOCK_HEALTHY, STOCK_LOW, STOCK_UNKNOWN, STOCK_OUT = 1.0, 0.6, 0.3, 0.0
CROSS_ENCODER_POOL = 12  # the retriever's top 12 (its recall@10 is 0.93) keep a cross-encoder turn near half a second


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class ScorerConfig:
    relevance: float = 0.70
    stock: float = 0.10
    margin: float = 0.10
    rating: float = 0.10
    diversity: float = 0.85  # MMR lambda: 1.0 = no diversity
    max_per_brand: int = 2
    low_stock: int = 5
    rating_prior: float = 4.0  # Bayesian prior: every product starts with this many reviews at this rating
    rating_prior_reviews: int = 20
    relevance_model: str = ""  # folder of a fine-tuned CrossEncoder; empty = bi-encoder cosine

    def __post_init__(self) -> None:
        for name, (low, high) in BOUNDS.items():
            value, whole = getattr(self, name), name in WHOLE
            if not is_number(value) or (whole and not isinstance(value, int)) or not low <= value <= high:
                wanted = f">= {low}" if high == math.inf else f"in [{low}, {high}]"
                raise ValueError(f"scoring config: {name} must be a {'whole ' * whole}number {wanted}, got {value!r}")
        if not isinstance(self.relevance_model, str):
            raise ValueError(f"scoring config: relevance_model must be a path string, got {self.relevance_model!r}")

    @classmethod
    def load(cls, path: Path | None = None) -> "ScorerConfig":
        """An explicit path, else $SHOP_SCORING_CONFIG, else the shipped scoring.toml."""
        path = Path(path or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG)
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:  # a typo must not silently leave a weight at its default
            raise ValueError(f"scoring config {path}: unknown setting(s) {', '.join(unknown)}")
        config = cls(**data)
        model = config.relevance_model
        if model and not Path(model).expanduser().is_absolute():  # relative to the TOML, not the cwd
            config = replace(config, relevance_model=str(path.parent / model))
        return config


@dataclass
class Scored:
    product_id: str
    total: float
    parts: dict[str, float] = field(default_factory=dict)


class Relevance(Protocol):
    pool_limit: int  # how many retrieved candidates are worth scoring in one call (cross-encoders are slow on a CPU)

    def score(self, query: str, products: list[Product]) -> np.ndarray: ...


def facts_text(product: Product) -> str:
    """What the bi-encoder compares: `product_text` without false flags and prose. A bi-encoder cannot
    read negation, so "noise cancelling: no" / "no active noise cancelling" would match "noise
    cancelling" (eval set, P@3 of the re-ranked top 20: full text 0.50, facts only 0.57)."""
    attributes = {k: v for k, v in product.attributes.items() if v is not False}
    return product_text(replace(product, attributes=attributes, description=""))


class BiEncoderRelevance:
    """Cosine between the query and product facts (MiniLM); product vectors cached by id + text hash."""

    pool_limit = 30

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, np.ndarray]] = {}

    def score(self, query: str, products: list[Product]) -> np.ndarray:
        if not products:
            return np.zeros(0, dtype=np.float32)
        texts = {p.id: facts_text(p) for p in products}
        keys = {pid: hashlib.sha256(text.encode()).hexdigest() for pid, text in texts.items()}
        stale = [pid for pid in texts if self._cache.get(pid, ("",))[0] != keys[pid]]
        if stale:
            for pid, vector in zip(stale, embed([texts[pid] for pid in stale])):
                self._cache[pid] = (keys[pid], vector)
        matrix = np.stack([self._cache[p.id][1] for p in products])
        return matrix @ embed([query])[0]


def finetuned_problem(path: Path) -> str | None:
    """Why `path` is not a trained CrossEncoder, or None. A bi-encoder checkpoint (MiniLM) loads
    as a CrossEncoder without error but with a randomly initialised head: never score with that."""
    if not path.is_dir():
        return f"folder {path} does not exist"
    if (path / "adapter_config.json").exists():  # a LoRA adapter of the packaged MiniLM (finetune/scorer.py)
        return head_problem(path / "adapter_model.safetensors")
    try:
        architectures = json.loads((path / "config.json").read_text()).get("architectures") or []
    except (OSError, ValueError) as exc:
        return f"cannot read {path / 'config.json'}: {exc}"
    if not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        return f"{path} is not a fine-tuned cross-encoder (architectures {architectures}): its scoring head would be random"
    weights = path / "model.safetensors"
    return head_problem(weights) if weights.exists() else None


def head_problem(weights: Path) -> str | None:
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="numpy") as handle:
            if not any("classifier" in key or key.startswith("score.") for key in handle.keys()):
                return f"{weights} has no trained classification head"
    except Exception as exc:  # missing, truncated or not a safetensors file
        return f"cannot read {weights}: {exc}"
    return None


def load_cross_encoder(adapter: Path | None = None, max_length: int = 128):
    """The packaged MiniLM as a CrossEncoder, with a fine-tuned LoRA adapter and head when `adapter` is given."""
    from sentence_transformers import CrossEncoder
    from transformers.utils import logging as hf_logging

    from assistant.models import minilm_path

    hf_logging.set_verbosity_error()  # "classifier newly initialised" is expected: the adapter brings the trained head
    model = CrossEncoder(str(minilm_path()), num_labels=1, device="cpu", max_length=max_length)
    if adapter is not None:
        from peft.tuners.lora import LoraLayer

        model.load_adapter(str(adapter))
        for module in model.modules():  # fold the adapter into the weights: same scores, ~15% faster on CPU
            if isinstance(module, LoraLayer):
                module.merge()
    return model


class CrossEncoderRelevance:
    """A fine-tuned CrossEncoder reading (query, product text) pairs; bi-encoder if it cannot load."""

    def __init__(self, path: str | Path, runtime: str = "onnx") -> None:
        """`runtime`: "onnx" (exported once into the model cache; assistant/onnx_cross_encoder.py) or "transformers"."""
        self.path = Path(path).expanduser()
        self.model: object | None = None
        self.fallback: BiEncoderRelevance | None = None
        try:
            problem = finetuned_problem(self.path)
            if problem:
                raise ValueError(problem)
            self.model = self.onnx_model() if runtime == "onnx" else self.torch_model()
        except Exception as exc:  # a broken model file must not take recommendations down
            log.warning("relevance model not used, falling back to bi-encoder cosine: %s", exc)
            self.fallback = BiEncoderRelevance()

    def torch_model(self) -> object:
        if (self.path / "adapter_config.json").exists():
            return load_cross_encoder(self.path)
        from sentence_transformers import CrossEncoder

        return CrossEncoder(str(self.path), num_labels=1, device="cpu")

    def onnx_model(self) -> object:
        from assistant.llm import default_cache
        from assistant.onnx_cross_encoder import OnnxCrossEncoder, exported

        try:
            return OnnxCrossEncoder(exported(self.path, self.torch_model, default_cache()))
        except (ImportError, RuntimeError, OSError) as exc:  # the same model on transformers, only slower
            log.warning("cross-encoder not exported to ONNX, scoring with transformers: %s", exc)
            return self.torch_model()

    @property
    def pool_limit(self) -> int:
        # A cross-encoder reads every (query, product) pair: ~11 ms each on 2 CPU cores on ONNX Runtime (reports/runtime.md).
        return BiEncoderRelevance.pool_limit if self.fallback is not None else CROSS_ENCODER_POOL

    def score(self, query: str, products: list[Product]) -> np.ndarray:
        if self.fallback is not None:
            return self.fallback.score(query, products)
        if not products:
            return np.zeros(0, dtype=np.float32)
        pairs = [(query, product_text(p)) for p in products]
        scores = self.model.predict(pairs, show_progress_bar=False)  # type: ignore[attr-defined]
        return np.asarray(scores, dtype=np.float32).reshape(-1)


def relevance_for(config: ScorerConfig) -> Relevance:
    return CrossEncoderRelevance(config.relevance_model) if config.relevance_model else BiEncoderRelevance()


def minmax(values: np.ndarray) -> np.ndarray:
    values = np.nan_to_num(values.astype(np.float64), nan=0.0)  # a model's NaN must not poison the ranking
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:  # one candidate, or all equally relevant: relevance does not discriminate
        return np.ones_like(values, dtype=np.float64)
    return (values - low) / (high - low)


def stock_score(product: Product, low_stock: int) -> float:
    if product.stock is None or product.stock <= 0:
        return STOCK_UNKNOWN if product.stock is None else STOCK_OUT
    return STOCK_LOW if product.stock <= low_stock else STOCK_HEALTHY


def rating_score(product: Product, config: ScorerConfig) -> float:
    """Bayesian average on a 0-1 scale: a few reviews barely move a product off the prior."""
    if product.rating is None:
        return config.rating_prior / 5.0
    n, prior_n = max(product.review_count, 0), config.rating_prior_reviews
    if n + prior_n == 0:
        return product.rating / 5.0
    return (prior_n * config.rating_prior + n * product.rating) / (prior_n + n) / 5.0


def base_title(product: Product) -> str:
    """The title without model code, numbers or colour: colourways and sizes of one item collapse."""
    title = product.title.lower()
    if product.model:
        title = title.replace(product.model.lower(), " ")
    words = re.findall(r"[a-z0-9]+", title)
    return " ".join(w for w in words if not any(ch.isdigit() for ch in w) and w not in COLOURS)


def similarity(a: Product, b: Product, prices: dict[str, float]) -> float:
    """1 for the same brand, plus 1 for a near-duplicate: a colourway is more redundant than a sibling."""
    same_brand = bool(a.brand.strip()) and a.brand.strip().lower() == b.brand.strip().lower()
    pa, pb = prices.get(a.id, a.price), prices.get(b.id, b.price)
    near_price = abs(pa - pb) <= 0.02 * max(pa, pb)
    duplicate = base_title(a) == base_title(b) or (same_brand and a.category == b.category and near_price)
    return float(same_brand) + float(duplicate)


def score(
    query: str,
    candidates: list[Product],
    shop_prices: dict[str, float] | None,
    filters: ProductFilter | None,
    config: ScorerConfig,
    relevance: Relevance,
    k: int = 3,
    retrieval_scores: dict[str, float] | None = None,
) -> list[Scored]:
    """Top k candidates by blended score, picked greedily with MMR. Prices default to product.price.

    `retrieval_scores` (the retriever's fused score by id), when given, is averaged into relevance:
    the bi-encoder alone re-ranks hybrid results worse than their own order (eval P@3 0.57 vs 0.62)."""
    prices = shop_prices or {}
    pool: list[Product] = []
    seen: set[str] = set()
    for product in candidates:
        # Hard constraints are re-checked here: a retriever bug must never show a product the shopper ruled out.
        if product.id not in seen and (filters is None or filters.matches(product, prices.get(product.id, product.price))):
            pool.append(product)
            seen.add(product.id)
    if not pool or k <= 0:
        return []
    pool.sort(key=lambda p: p.id)  # deterministic, whatever order the retriever used
    rel = minmax(np.asarray(relevance.score(query, pool), dtype=np.float64))
    if retrieval_scores:
        rel = (rel + minmax(np.array([retrieval_scores.get(p.id, 0.0) for p in pool], dtype=np.float64))) / 2
    known = [p.margin for p in pool if p.margin is not None]
    typical_margin = statistics.median(known) if known else 0.0  # unknown margin: neither bonus nor penalty
    base = {
        p.id: {
            "relevance": config.relevance * float(r),
            "stock": config.stock * stock_score(p, config.low_stock),
            "margin": config.margin * min(max(p.margin if p.margin is not None else typical_margin, 0.0), 1.0),
            "rating": config.rating * rating_score(p, config),
        }
        for p, r in zip(pool, rel)
    }
    chosen: list[Scored] = []
    picked: list[Product] = []
    remaining = list(pool)
    while remaining and len(chosen) < k:
        brands = Counter(p.brand.strip().lower() for p in picked if p.brand.strip())
        allowed = [p for p in remaining if brands[p.brand.strip().lower()] < config.max_per_brand]
        options = allowed or remaining  # the brand cap yields only when nothing else is left
        scored = []
        for p in options:
            # MMR in additive form: blend - (1 - lambda) * similarity to the closest pick (+ 0.0: no "-0.0" logged).
            penalty = (config.diversity - 1.0) * max((similarity(p, q, prices) for q in picked), default=0.0) + 0.0
            parts = {**base[p.id], "diversity_penalty": penalty}
            scored.append((round(sum(parts.values()), 12), p, parts))
        total, best, parts = min(scored, key=lambda item: (-item[0], item[1].id))
        chosen.append(Scored(best.id, sum(parts.values()), parts))
        picked.append(best)
        remaining.remove(best)
    log_recommendations(query, chosen)
    return chosen


def log_recommendations(query: str, chosen: list[Scored]) -> None:
    # A hash lets logs of one query be grouped without storing what the shopper typed.
    query_hash = hashlib.sha256(query.encode()).hexdigest()[:16]
    for rank, item in enumerate(chosen, start=1):
        record = {"event": "recommendation", "query_hash": query_hash, "rank": rank, "product_id": item.product_id,
                  "total": round(item.total, 6), "parts": {k: round(v, 6) for k, v in item.parts.items()}}
        log.info(json.dumps(record, sort_keys=True))
