"""The shop store on disk: immutable versions and a CURRENT pointer swapped atomically.

    <data_dir>/CURRENT                    {"version": "..."}: the version being served
    <data_dir>/versions/<v>/catalog.jsonl, faq.jsonl, orders.jsonl   validated records
    <data_dir>/versions/<v>/chroma/       ChromaDB PersistentClient (on-disk mode)
    <data_dir>/versions/<v>/manifest.json written last: a version without it is incomplete

A new shop is built into a fresh version that nobody reads yet; only when it is complete does
CURRENT move to it (write, fsync, rename). A crash at any point leaves the old version served.
With a ChromaDB server the collections live there, named after the version.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from assistant.config import Settings
from assistant.embeddings import MODEL_NAME, MiniLMEmbeddingFunction, embed
from knowledge.schema import FaqEntry, Order, Product, faq_from_dict, order_from_dict, product_from_dict

PRODUCTS = "products"
FAQ = "faq"
BATCH = 256


class StoreBusy(RuntimeError):
    """Another ingest holds the store's lock."""


@dataclass
class ShopRecords:
    products: list[Product] = field(default_factory=list)
    faq: list[FaqEntry] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)


def product_text(product: Product) -> str:
    """What the dense model reads for a product: identity first, then attributes, then prose."""
    attributes = "; ".join(f"{k.replace('_', ' ')}: {format_value(v)}" for k, v in product.attributes.items())
    parts = [product.title, f"{product.brand} {product.category.replace('_', ' ')}", attributes]
    if product.tags:
        parts.append("good for " + ", ".join(product.tags))
    parts.append(product.description)
    return ". ".join(p for p in parts if p)


def product_lexical_text(product: Product) -> str:
    """What BM25 reads: names and model numbers repeated so they outweigh the prose."""
    names = f"{product.title} {product.brand} {product.model}"
    attributes = [attribute_words(name, value) for name, value in product.attributes.items()]
    return " ".join([names, names, product.category.replace("_", " "), *attributes, *product.tags, product.description])


# Attribute names ending in a unit ("ram_gb", "weight_g") also yield "16gb", "200g": how shoppers write.
UNITS = frozenset("gb tb mb mm cm g kg mp in l ml hours mah days w cups".split())


def attribute_words(name: str, value: Any) -> str:
    words = name.replace("_", " ")
    if isinstance(value, bool):
        return words if value else ""
    text = format_value(value)
    unit = name.rsplit("_", 1)[-1]
    if unit in UNITS and "_" in name and isinstance(value, (int, float)):
        return f"{words} {text} {text}{unit}"
    return f"{words} {text}"


def faq_text(entry: FaqEntry) -> str:
    return f"{entry.question}\n{entry.answer}"


def faq_lexical_text(entry: FaqEntry) -> str:
    return f"{entry.question} {entry.question} {entry.topic} {entry.answer}"


def format_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def shop_price(product: Product, settings: Settings) -> float:
    """A product's price in the shop currency, for budgets and filters."""
    if product.currency == settings.shop_currency:
        return product.price
    return round(product.price * settings.rates[product.currency], 2)


def product_metadata(product: Product, settings: Settings) -> dict[str, Any]:
    """Flat, lower-cased metadata that `ProductFilter.where` filters on."""
    meta: dict[str, Any] = {
        "pid": product.id,
        "price": float(shop_price(product, settings)),
        "category": product.category.lower(),
        "brand": product.brand.lower(),
        "in_stock": product.in_stock,
    }
    for name, value in product.attributes.items():
        if isinstance(value, list):
            if value:
                meta[f"a_{name}"] = [str(v).lower() for v in value]
        elif isinstance(value, str):
            meta[f"a_{name}"] = value.lower()
        elif isinstance(value, bool):
            meta[f"a_{name}"] = value
        else:
            meta[f"a_{name}"] = float(value)
    return meta


def text_hash(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()[:32]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_version_name() -> str:
    """Sortable by creation time (nanoseconds, since ingests can follow each other within a second)."""
    now = time.time_ns()
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}-{secrets.token_hex(2)}"


class Store:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = Path(settings.data_dir)
        self.versions_dir = self.root / "versions"
        self._clients: dict[str, Any] = {}

    # ---- reading -------------------------------------------------------------------------
    def current_version(self) -> str | None:
        try:
            return json.loads((self.root / "CURRENT").read_text())["version"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            return None

    def version_dir(self, version: str) -> Path:
        return self.versions_dir / version

    def manifest(self, version: str) -> dict[str, Any]:
        return json.loads((self.version_dir(version) / "manifest.json").read_text())

    def records(self, version: str) -> ShopRecords:
        folder = self.version_dir(version)
        return ShopRecords(
            products=[product_from_dict(row) for row in read_jsonl(folder / "catalog.jsonl")],
            faq=[faq_from_dict(row) for row in read_jsonl(folder / "faq.jsonl")],
            orders=[order_from_dict(row) for row in read_jsonl(folder / "orders.jsonl")],
        )

    def client(self, version: str) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        key = "server" if self.settings.chroma_host else version
        if key not in self._clients:
            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            if self.settings.chroma_host:
                self._clients[key] = chromadb.HttpClient(
                    host=self.settings.chroma_host, port=self.settings.chroma_port, settings=chroma_settings
                )
            else:
                path = self.version_dir(version) / "chroma"
                self._clients[key] = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        return self._clients[key]

    def collection_name(self, kind: str, version: str) -> str:
        # One server holds every version side by side; on disk each version has its own client.
        return f"{kind}_{version}" if self.settings.chroma_host else kind

    def collection(self, kind: str, version: str) -> Any:
        return self.client(version).get_collection(
            self.collection_name(kind, version), embedding_function=MiniLMEmbeddingFunction()
        )

    # ---- writing -------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "ingest.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusy(f"another ingest is running on {self.root}") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def build(self, records: ShopRecords, source: dict[str, Any], progress: Callable[[str, int], Any] | None = None) -> str:
        """Write a complete new version and point CURRENT at it. Returns the version."""
        with self.lock():
            self.remove_incomplete()
            previous = self.current_version()
            version = new_version_name()
            folder = self.version_dir(version)
            folder.mkdir(parents=True)
            write_jsonl(folder / "catalog.jsonl", [p.to_dict() for p in records.products])
            write_jsonl(folder / "faq.jsonl", [e.to_dict() for e in records.faq])
            write_jsonl(folder / "orders.jsonl", [o.to_dict() for o in records.orders])
            products = [(p.id, product_text(p), product_metadata(p, self.settings)) for p in records.products]
            faq = [(e.id, faq_text(e), {"topic": e.topic}) for e in records.faq]
            self.fill(PRODUCTS, version, previous, products, progress)
            self.fill(FAQ, version, previous, faq, progress)
            manifest = {
                "version": version,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "products": len(records.products),
                "faq": len(records.faq),
                "orders": len(records.orders),
                "embedding_model": MODEL_NAME,
                "chroma": f"{self.settings.chroma_host}:{self.settings.chroma_port}" if self.settings.chroma_host else "local",
                "source": source,
            }
            write_atomic(folder / "manifest.json", json.dumps(manifest, indent=2))
            fsync_dir(folder)
            write_atomic(self.root / "CURRENT", json.dumps({"version": version}))
            self.remove_old(keep=self.settings.keep_versions)
            return version

    def fill(
        self,
        kind: str,
        version: str,
        previous: str | None,
        rows: list[tuple[str, str, dict[str, Any]]],
        progress: Callable[[str, int], Any] | None,
    ) -> None:
        """Create a collection; reuse the previous version's vectors for texts that did not change."""
        hashes = [text_hash(text) for _, text, _ in rows]
        reused = self.previous_embeddings(kind, previous, {h for h in hashes})
        collection = self.client(version).create_collection(
            self.collection_name(kind, version),
            embedding_function=MiniLMEmbeddingFunction(),
            configuration={"hnsw": {"space": "cosine"}},
        )
        batch = min(BATCH, self.client(version).get_max_batch_size())
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            chunk_hashes = hashes[start : start + batch]
            missing = [i for i, h in enumerate(chunk_hashes) if h not in reused]
            fresh = embed([chunk[i][1] for i in missing]) if missing else np.zeros((0, 384), np.float32)
            vectors = {h: reused[h] for h in chunk_hashes if h in reused}
            vectors.update({chunk_hashes[i]: fresh[n] for n, i in enumerate(missing)})
            collection.add(
                ids=[row[0] for row in chunk],
                documents=[row[1] for row in chunk],
                metadatas=[{**row[2], "text_hash": h} for row, h in zip(chunk, chunk_hashes)],
                embeddings=np.stack([vectors[h] for h in chunk_hashes]),
            )
            if progress:
                progress(kind, len(chunk))
        if collection.count() != len(rows):
            raise RuntimeError(f"{kind}: wrote {collection.count()} of {len(rows)} rows")

    def previous_embeddings(self, kind: str, previous: str | None, wanted: set[str]) -> dict[str, np.ndarray]:
        if previous is None:
            return {}
        try:
            old = self.collection(kind, previous).get(include=["embeddings", "metadatas"])
        except Exception:  # an unreadable old version only costs re-embedding
            return {}
        found = {}
        for meta, vector in zip(old["metadatas"], old["embeddings"]):
            if meta and meta.get("text_hash") in wanted:
                found[meta["text_hash"]] = np.asarray(vector, dtype=np.float32)
        return found

    def complete_versions(self) -> list[str]:
        if not self.versions_dir.exists():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if (p / "manifest.json").exists())

    def remove_incomplete(self) -> None:
        """Leftovers of a crashed ingest (we hold the lock, so none is in progress)."""
        if not self.versions_dir.exists():
            return
        for folder in self.versions_dir.iterdir():
            if not (folder / "manifest.json").exists():
                self.drop(folder.name)

    def remove_old(self, keep: int) -> None:
        current = self.current_version()
        for version in self.complete_versions()[:-keep]:
            if version != current:
                self.drop(version)

    def drop(self, version: str) -> None:
        if self.settings.chroma_host:
            for kind in (PRODUCTS, FAQ):
                try:
                    self.client(version).delete_collection(self.collection_name(kind, version))
                except Exception:  # already gone or never created
                    pass
        self._clients.pop(version, None)
        shutil.rmtree(self.version_dir(version), ignore_errors=True)
