"""One opened version of the shop: its records by id, its collections and its lexical indexes.

`LiveShop` is what a long-running process holds: it notices when an ingest moved CURRENT and
switches to the new version between requests, while requests in flight finish on the old one.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.config import Settings, currency_problem
from assistant.lexical import BM25Index, kind_index
from assistant.store import FAQ, PRODUCTS, Store, faq_lexical_text, product_lexical_text, shop_price
from knowledge.schema import FaqEntry, Order, Product

log = logging.getLogger(__name__)


class CurrencyError(ValueError):
    """The store's prices cannot be turned into the shop currency with the configured rates."""


@dataclass
class Shop:
    version: str
    settings: Settings
    products: list[Product]
    faq: list[FaqEntry]
    orders: dict[str, Order]
    product_collection: Any
    faq_collection: Any
    product_index: BM25Index
    faq_index: BM25Index
    prices: np.ndarray  # shop currency, aligned with `products`
    categories: np.ndarray  # lower-cased, aligned with `products`
    brands: np.ndarray  # lower-cased, aligned with `products`
    in_stock: np.ndarray
    product_ids: list[str]
    faq_ids: list[str]
    identifiers: dict[str, list[str]]  # normalised model number or id -> product ids
    list_attributes: set[str] = field(default_factory=set)
    by_id: dict[str, Product] = field(default_factory=dict)
    faq_by_id: dict[str, FaqEntry] = field(default_factory=dict)
    kind_rows: dict[str, np.ndarray] | None = field(default=None, repr=False)  # built on first use

    @classmethod
    def open(cls, store: Store, version: str) -> "Shop":
        records = store.records(version)
        products = records.products
        problem = currency_problem({p.currency for p in products}, store.settings)
        if problem:
            raise CurrencyError(f"store version {version}: {problem}")
        return cls(
            version=version,
            settings=store.settings,
            products=products,
            faq=records.faq,
            orders={o.order_id: o for o in records.orders},
            product_collection=store.collection(PRODUCTS, version),
            faq_collection=store.collection(FAQ, version),
            product_index=BM25Index([product_lexical_text(p) for p in products]),
            faq_index=BM25Index([faq_lexical_text(e) for e in records.faq]),
            prices=np.array([shop_price(p, store.settings) for p in products], dtype=np.float64),
            categories=np.array([p.category.lower() for p in products], dtype=object),
            brands=np.array([p.brand.lower() for p in products], dtype=object),
            in_stock=np.array([p.in_stock for p in products], dtype=bool),
            product_ids=[p.id for p in products],
            faq_ids=[e.id for e in records.faq],
            identifiers=identifier_index(products),
            list_attributes={k for p in products for k, v in p.attributes.items() if isinstance(v, list)},
            by_id={p.id: p for p in products},
            faq_by_id={e.id: e for e in records.faq},
        )

    def kind_mask(self, kinds: list[str]) -> np.ndarray:
        """Products whose title or category words hold one of the stems."""
        if self.kind_rows is None:
            index = kind_index([(p.title, p.category) for p in self.products])
            self.kind_rows = {word: np.array(rows) for word, rows in index.items()}
        mask = np.zeros(len(self.products), dtype=bool)
        for kind in kinds:
            if kind in self.kind_rows:
                mask[self.kind_rows[kind]] = True
        return mask

    def price_of(self, product: Product) -> float:
        return shop_price(product, self.settings)


def normalise_identifier(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def identifier_index(products: list[Product]) -> dict[str, list[str]]:
    """Model numbers and ids worth an exact lookup: letters and digits ("KX-870", "RS-0001"), so that
    a budget like "under 1000" never pins a product whose model happens to be "1000"."""
    index: dict[str, list[str]] = {}
    for product in products:
        for code in {normalise_identifier(product.model), normalise_identifier(product.id)}:
            if len(code) >= 3 and any(ch.isdigit() for ch in code) and any(ch.isalpha() for ch in code):
                index.setdefault(code, []).append(product.id)
    return index


def ensure_embedded_shop(store: Store) -> str:
    """First start: build the shop that ships with the package, with progress on stderr."""
    version = store.current_version()
    if version is not None:
        return version
    from assistant.ingest import ingest_files
    from knowledge.loaders import embedded_shop_files

    print(f"No shop in {store.root} yet: building the embedded default shop...", file=sys.stderr)
    report = ingest_files(store, **embedded_shop_files(), replace=True)
    if report.version is None:
        raise RuntimeError("the embedded shop failed to build: " + "; ".join(report.fatal))
    return report.version


class LiveShop:
    """The shop a server serves; re-reads CURRENT at most once per `check_every` seconds."""

    def __init__(self, settings: Settings, check_every: float = 1.0) -> None:
        self.store = Store(settings)
        self.check_every = check_every
        self._lock = threading.Lock()
        self._checked = 0.0
        self._shop = Shop.open(self.store, ensure_embedded_shop(self.store))

    def refresh(self) -> Shop:
        """The newest complete store, now (after an ingest), rather than at the next check."""
        self._checked = float("-inf")
        return self.get()

    def get(self) -> Shop:
        now = time.monotonic()
        if now - self._checked >= self.check_every:
            with self._lock:
                self._checked = now
                version = self.store.current_version()
                if version and version != self._shop.version:
                    try:
                        self._shop = Shop.open(self.store, version)
                    except CurrencyError as error:  # keep serving what works; the doctor and the log say why
                        log.error("not serving store version %s: %s", version, error)
        return self._shop
