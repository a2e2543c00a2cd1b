"""Benchmarks that print a table and write a report (never pass/fail tests).

    python -m assistant.bench retrieval [--scale 20000] [--out reports/retrieval.md]
    python -m assistant.bench dialogue [--llm-turns 12] [--out reports/dialogue.md]   (see bench_dialogue.py)
    python -m assistant.bench load [--shoppers 1,4,16] [--seconds 60] [--out reports/load.md]   (see bench_load.py)
    python -m assistant.bench realworld --data ../shared/data [--out reports/realworld.md]   (see bench_realworld.py)
    python -m assistant.bench runtime [--data ../shared/data] [--out reports/runtime.md]   (see bench_runtime.py)

Retrieval: index build time and throughput, query latency p50/p95, and recall@10 / MRR@10 of
products and FAQ on the labelled queries in knowledge/eval/, for dense, lexical and hybrid
search side by side, at the default shop's size and on a synthetic scale-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant import bench_dialogue, bench_load, bench_realworld, bench_runtime
from assistant.config import Settings
from assistant.filters import ProductFilter
from assistant.retriever import MODES, search_faq, search_products
from assistant.shop import Shop
from assistant.store import ShopRecords, Store
from knowledge.loaders import embedded_shop_files, load_catalog, load_faq, load_orders
from knowledge.schema import Product

QUERIES = Path(__file__).resolve().parents[1] / "knowledge" / "eval" / "retrieval_queries.jsonl"
K = 10


@dataclass
class Query:
    text: str
    kind: str  # "product" or "faq"
    relevant: set[str]
    filters: ProductFilter | None


def load_queries(path: Path, shop: Shop) -> list[Query]:
    """Labels are criteria over the catalog (or explicit ids), so they hold at any catalog size."""
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        labels = row["relevant"]
        relevant = set(labels.get("ids", []))
        models = {m.lower() for m in labels.get("models", [])}
        relevant |= {p.id for p in shop.products if p.model.lower() in models}
        criteria = {k: v for k, v in labels.items() if k not in ("ids", "models", "tags")}
        if row["kind"] == "product" and (criteria or "tags" in labels):
            wanted = ProductFilter(**criteria)
            tags = {tag.lower() for tag in labels.get("tags", [])}
            relevant |= {p.id for p in shop.products if wanted.matches(p, shop.price_of(p)) and (not tags or tags & set(p.tags))}
        filters = ProductFilter(**row["filters"]) if row.get("filters") else None
        queries.append(Query(row["query"], row["kind"], relevant, filters))
    return queries


def run_query(shop: Shop, query: Query, mode: str) -> list[str]:
    if query.kind == "faq":
        return [h.id for h in search_faq(shop, query.text, k=K, mode=mode)]  # type: ignore[arg-type]
    return [h.id for h in search_products(shop, query.text, query.filters, k=K, mode=mode)]  # type: ignore[arg-type]


def quality(shop: Shop, queries: list[Query], mode: str) -> tuple[float, float, list[float]]:
    """Recall@10 (capped at 10 relevant), MRR@10, and each query's latency in ms."""
    recalls, reciprocal, latencies = [], [], []
    for query in queries:
        start = time.perf_counter()
        ranked = run_query(shop, query, mode)
        latencies.append((time.perf_counter() - start) * 1000)
        hits = [i for i, pid in enumerate(ranked) if pid in query.relevant]
        recalls.append(len(hits) / min(len(query.relevant), K) if query.relevant else 0.0)
        reciprocal.append(1 / (hits[0] + 1) if hits else 0.0)
    return float(np.mean(recalls)), float(np.mean(reciprocal)), latencies


def scale_up(products: list[Product], target: int, seed: int = 7) -> list[Product]:
    """Synthetic sibling products (new ids, model codes, prices, stock) up to `target` rows."""
    rng = random.Random(seed)
    out = list(products)
    n = 0
    while len(out) < target:
        base = products[n % len(products)]
        n += 1
        suffix = f"S{n:05d}"
        out.append(replace(
            base,
            id=f"{base.id}-{suffix}",
            model=f"{base.model}-{suffix}" if base.model else suffix,
            title=f"{base.title} {suffix}".replace(base.model, f"{base.model}-{suffix}") if base.model else f"{base.title} {suffix}",
            price=round(base.price * rng.uniform(0.8, 1.25), 2),
            stock=rng.choice([0, 1, 3, 8, 20, 50]),
            rating=round(min(5.0, max(1.0, (base.rating or 4.0) + rng.uniform(-0.4, 0.4))), 1),
        ))
    return out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def measure(records: ShopRecords, label: str, data_dir: Path) -> tuple[Shop, dict[str, Any]]:
    store = Store(Settings(data_dir=data_dir))
    rows = len(records.products) + len(records.faq)
    start = time.perf_counter()
    with tqdm(total=rows, desc=f"indexing {label}", unit="row", file=sys.stderr) as bar:
        version = store.build(records, {"benchmark": label}, progress=lambda kind, n: bar.update(n))
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    shop = Shop.open(store, version)
    open_s = time.perf_counter() - start
    return shop, {"label": label, "products": len(records.products), "faq": len(records.faq),
                  "build_s": build_s, "rows_per_s": rows / build_s, "open_s": open_s}


def evaluate(shop: Shop, build: dict[str, Any], repeats: int) -> list[dict[str, Any]]:
    queries = load_queries(QUERIES, shop)
    for query in queries[:20]:  # warm caches and the model before timing
        run_query(shop, query, "hybrid")
    rows = []
    for kind in ("product", "faq"):
        subset = [q for q in queries if q.kind == kind]
        for mode in MODES:
            latencies: list[float] = []
            for _ in range(repeats):
                recall, mrr, timed = quality(shop, subset, mode)
                latencies += timed
            rows.append({**build, "kind": kind, "mode": mode, "queries": len(subset), "recall@10": recall, "mrr@10": mrr,
                         "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95)})
    return rows


def retrieval(args: argparse.Namespace) -> None:
    files = embedded_shop_files()
    records = ShopRecords(load_catalog(files["catalog"]).records, load_faq(files["faq"]).records, load_orders(files["orders"]).records)
    results, builds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in (("default shop", len(records.products)), (f"scale-up to {args.scale:,}", args.scale)):
            scaled = ShopRecords(scale_up(records.products, size), records.faq, records.orders)
            print(f"building {label}: {len(scaled.products):,} products + {len(scaled.faq)} FAQ entries", file=sys.stderr)
            shop, build = measure(scaled, label, Path(tmp) / label.split()[0])
            builds.append(build)
            results += evaluate(shop, build, args.repeats)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = render(results, builds, peak_mb, args)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(f"wrote {args.out}", file=sys.stderr)


def render(results: list[dict[str, Any]], builds: list[dict[str, Any]], peak_mb: float, args: argparse.Namespace) -> str:
    lines = [
        "# Retrieval benchmark",
        "",
        f"Command: `python -m assistant.bench retrieval --scale {args.scale} --repeats {args.repeats}`  ",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; date {time.strftime('%Y-%m-%d')}  ",
        f"Queries: `knowledge/eval/retrieval_queries.jsonl` (labels are criteria over the catalog or explicit ids). "
        f"recall@10 = |relevant ∩ top 10| / min(|relevant|, 10); MRR@10 = mean 1/rank of the first relevant hit. "
        f"Latency is one full `search_products`/`search_faq` call (query embedding, ChromaDB query, BM25, fusion), "
        f"each query run {args.repeats}× after a warm-up.",
        "",
        "## Index build",
        "",
        "| store | products | FAQ | build (s) | rows/s | open (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {b['label']} | {b['products']:,} | {b['faq']} | {b['build_s']:.1f} | {b['rows_per_s']:.0f} | {b['open_s']:.2f} |" for b in builds]
    lines += ["", "## Quality and latency", "", "| store | kind | mode | queries | recall@10 | MRR@10 | p50 ms | p95 ms |",
              "|---|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['label']} | {r['kind']} | {r['mode']} | {r['queries']} | {r['recall@10']:.3f} | {r['mrr@10']:.3f} | "
              f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} |" for r in results]
    lines += ["", f"Peak memory of the benchmark process (both stores loaded): {peak_mb:,.0f} MB.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.bench")
    sub = parser.add_subparsers(dest="bench", required=True)
    ret = sub.add_parser("retrieval", help="index build, latency and recall of dense/lexical/hybrid search")
    ret.add_argument("--scale", type=int, default=20_000, help="synthetic catalog size for the scale-up run")
    ret.add_argument("--repeats", type=int, default=3)
    ret.add_argument("--out", default="reports/retrieval.md")
    ret.set_defaults(run=retrieval)
    bench_dialogue.add_parser(sub)
    bench_load.add_parser(sub)
    bench_realworld.add_parser(sub)
    bench_runtime.add_parser(sub)
    args = parser.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
