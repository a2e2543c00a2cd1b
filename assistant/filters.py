"""Hard constraints on products: one definition, two executions.

The same `ProductFilter` becomes a ChromaDB `where` clause for dense search and a Python
predicate for lexical search, so both halves of hybrid retrieval see exactly the same products.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant import measures
from assistant.lexical import kind_words, text_words
from knowledge.schema import Product

AttrFilter = Any  # a value, a list of acceptable values, or {"min": x, "max": y}


def lowered(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list):
        return [lowered(v) for v in value]
    return value


@dataclass
class ProductFilter:
    min_price: float | None = None  # in the shop currency
    max_price: float | None = None
    categories: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    exclude_brands: list[str] = field(default_factory=list)
    in_stock: bool = False
    attributes: dict[str, AttrFilter] = field(default_factory=dict)
    exclude_attributes: dict[str, AttrFilter] = field(default_factory=dict)  # "not black", "without a mic"
    exclude_ids: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # stems; a product's title or category holds one of them
    words: list[str] = field(default_factory=list)  # stems; a product's text holds all of them
    measures: list[str] = field(default_factory=list)  # amounts ("1 kg"); a product's title or attributes state each

    def is_empty(self) -> bool:
        return self == ProductFilter()

    def where(self, list_attributes: set[str]) -> dict[str, Any] | None:
        """ChromaDB filter over the metadata written by `product_metadata`."""
        clauses: list[dict[str, Any]] = []
        if self.min_price is not None:
            clauses.append({"price": {"$gte": float(self.min_price)}})
        if self.max_price is not None:
            clauses.append({"price": {"$lte": float(self.max_price)}})
        if self.categories:
            clauses.append({"category": {"$in": lowered(self.categories)}})
        if self.brands:
            clauses.append({"brand": {"$in": lowered(self.brands)}})
        if self.exclude_brands:
            clauses.append({"brand": {"$nin": lowered(self.exclude_brands)}})
        if self.in_stock:
            clauses.append({"in_stock": True})
        if self.exclude_ids:
            clauses.append({"pid": {"$nin": list(self.exclude_ids)}})
        for name, wanted in self.attributes.items():
            clauses.append(attribute_clause(f"a_{name}", lowered(wanted), name in list_attributes))
        for name, unwanted in self.exclude_attributes.items():
            clauses.append(exclusion_clause(f"a_{name}", lowered(unwanted), name in list_attributes))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, product: Product, shop_price: float) -> bool:
        if self.min_price is not None and shop_price < self.min_price:
            return False
        if self.max_price is not None and shop_price > self.max_price:
            return False
        if self.categories and product.category.lower() not in lowered(self.categories):
            return False
        brand = product.brand.lower()
        if self.brands and brand not in lowered(self.brands):
            return False
        if brand in lowered(self.exclude_brands):
            return False
        if self.in_stock and not product.in_stock:
            return False
        if product.id in self.exclude_ids:
            return False
        if self.kinds and not kind_words(product.title, product.category) & set(self.kinds):
            return False
        if self.words and not set(self.words) <= text_words(product_words(product)):
            return False
        if self.measures and not all(measures.has(measure_text(product), m) for m in self.measures):
            return False
        if any(attribute_matches(product.attributes.get(n), lowered(w)) for n, w in self.exclude_attributes.items()):
            return False
        return all(attribute_matches(product.attributes.get(n), lowered(w)) for n, w in self.attributes.items())


def product_words(product: Product) -> str:
    values = " ".join(str(v) for v in product.attributes.values())
    return f"{product.title} {product.category} {product.brand} {values} {product.description}"


def measure_text(product: Product) -> str:
    """Where a product states its amounts: the title and the text attributes ("500 gm"), not the description,
    whose numbers describe other things ("fits 7" to 12" tablets")."""
    return " ".join([product.title, *(v for v in product.attributes.values() if isinstance(v, str))])


def attribute_clause(key: str, wanted: AttrFilter, is_list: bool) -> dict[str, Any]:
    if isinstance(wanted, dict):
        bounds = [{key: {op: float(wanted[name])}} for name, op in (("min", "$gte"), ("max", "$lte")) if name in wanted]
        return bounds[0] if len(bounds) == 1 else {"$and": bounds}
    options = [as_metadata_number(o) for o in (wanted if isinstance(wanted, list) else [wanted])]
    if is_list:
        alternatives = [{key: {"$contains": option}} for option in options]
        return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}
    return {key: options[0]} if len(options) == 1 else {key: {"$in": options}}


def exclusion_clause(key: str, unwanted: AttrFilter, is_list: bool) -> dict[str, Any]:
    if isinstance(unwanted, dict):  # "not between 10 and 20": outside the range
        outside = [{key: {op: float(unwanted[name])}} for name, op in (("min", "$lt"), ("max", "$gt")) if name in unwanted]
        return outside[0] if len(outside) == 1 else {"$or": outside}
    options = [as_metadata_number(o) for o in (unwanted if isinstance(unwanted, list) else [unwanted])]
    if is_list:
        clauses = [{key: {"$not_contains": option}} for option in options]
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
    return {key: {"$nin": options}}


def as_metadata_number(value: Any) -> Any:
    """Numbers are stored as floats in ChromaDB metadata, so 16 must be asked for as 16.0."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def attribute_matches(actual: Any, wanted: AttrFilter) -> bool:
    if actual is None:
        return False
    actual = lowered(actual)
    if isinstance(wanted, dict):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return False
        return wanted.get("min", actual) <= actual <= wanted.get("max", actual)
    options = wanted if isinstance(wanted, list) else [wanted]
    if isinstance(actual, list):
        return any(option in actual for option in options)
    return any(actual == option and type(actual) is type(option) or numeric_equal(actual, option) for option in options)


def numeric_equal(a: Any, b: Any) -> bool:
    """16 and 16.0 are the same RAM size; True and 1 are not the same thing."""
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and float(a) == float(b)
