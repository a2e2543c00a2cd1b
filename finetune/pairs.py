"""Query/product pairs with graded relevance for the scorer, built from a shop's own catalog.

Each query is written from a seed product: its category in one of several spoken forms, one or two
of its attribute values, sometimes one of its use-case tags and a budget. Every product is then
graded against what the query asks for, as in product-search datasets (ESCI, WANDS):

- exact (1.0): right category, every asked attribute, tag and budget met;
- partial (0.5): right category, one wish missed (the hard negatives: wrong colour, over budget...);
- irrelevant (0.0): anything else, including products that share the wish but not the category.

Products and phrasing templates are split apart: test queries come from products no training
query was written from, in templates no training query used, so the test measures generalisation.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from typing import Any

from assistant.store import product_text
from assistant.vocabulary import CATEGORY_SYNONYMS, VALUE_STOP
from knowledge.schema import Product

EXACT, PARTIAL, IRRELEVANT = 1.0, 0.5, 0.0
# Attributes whose values are read as a wish ("in orange", "ripstop mesh"); lists and numbers are not.
SKIP_ATTRIBUTES = {"sizes", "size", "gender", "compatible_with", "key_ingredient"}
TRAIN_TEMPLATES = [
    "{cat} {attrs}",
    "{attrs} {cat}",
    "looking for {attrs} {cat} {use}",
    "need {cat} that are {attrs} {budget}",
    "{attrs} {cat} {budget}",
    "any {cat} {use}?",
    "i want {attrs} {cat}",
    "show me {cat}, {attrs}, {budget}",
    "{cat} {use} please",
    "something {attrs} {use} {budget}",
]
TEST_TEMPLATES = [
    "do you have {attrs} {cat} {use} {budget}",
    "recommend me {cat} - {attrs}",
    "{use}: which {cat}? ideally {attrs}",
    "my budget is {budget}, need {attrs} {cat}",
    "{cat} {attrs} {use}",
]


@dataclass
class Wish:
    """What a generated query asks for."""

    category: str
    attributes: dict[str, Any] = field(default_factory=dict)
    tag: str | None = None
    max_price: float | None = None


@dataclass
class Query:
    text: str
    wish: Wish
    seed: str  # the product it was written from
    template: str


@dataclass
class Splits:
    train: list[Query]
    dev: list[Query]
    test: list[Query]
    train_products: list[Product]
    test_products: list[Product]


def split_of(product_id: str) -> str:
    """A stable 70/15/15 split by id, so adding products never moves old ones between splits."""
    bucket = int(hashlib.sha256(product_id.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


def grade(product: Product, wish: Wish, price: float | None = None) -> float:
    if product.category != wish.category:
        return IRRELEVANT
    misses = sum(product.attributes.get(name) != value for name, value in wish.attributes.items())
    misses += wish.tag is not None and wish.tag not in product.tags
    misses += wish.max_price is not None and (price if price is not None else product.price) > wish.max_price
    return EXACT if misses == 0 else PARTIAL if misses == 1 else IRRELEVANT


def wishable(product: Product) -> dict[str, Any]:
    out = {}
    for name, value in product.attributes.items():
        if name in SKIP_ATTRIBUTES:
            continue
        if value is True or (isinstance(value, str) and len(value) >= 3 and value.lower() not in VALUE_STOP):
            out[name] = value
    return out


def category_words(category: str) -> list[str]:
    display = category.replace("_", " ")
    words = [display, display.rstrip("s")]
    for fragment, synonyms in CATEGORY_SYNONYMS.items():
        if fragment in category:
            words += [s for s in synonyms if s.isascii()][:6]
    return words


def attribute_words(name: str, value: Any, rng: random.Random) -> str:
    label = name.replace("_", " ")
    if value is True:
        return rng.choice([label, f"with {label}"]) if name not in ("waterproof", "vegan", "packable") else label
    return rng.choice([str(value), f"{value} {label}" if label not in str(value) else str(value), f"in {value}"])


def noisy(text: str, rng: random.Random) -> str:
    """Casing and a typo now and then, as shoppers type."""
    if rng.random() < 0.15:
        words = text.split()
        i = rng.randrange(len(words))
        if len(words[i]) > 4:
            j = rng.randrange(1, len(words[i]) - 1)
            words[i] = words[i][:j] + words[i][j + 1:]
        text = " ".join(words)
    if rng.random() < 0.1:
        text = text.upper() if rng.random() < 0.3 else text.capitalize()
    return text


def write_query(product: Product, template: str, rng: random.Random) -> Query:
    options = wishable(product)
    chosen = rng.sample(sorted(options), k=min(len(options), rng.choice([1, 1, 2])))
    attrs = {name: options[name] for name in chosen} if "{attrs}" in template else {}
    tag = rng.choice(product.tags) if product.tags and "{use}" in template else None
    budget = None
    if "{budget}" in template and rng.random() < 0.7:
        budget = float(math.ceil(product.price * rng.uniform(1.0, 1.4) / 10) * 10)
    text = template.format(
        cat=rng.choice(category_words(product.category)),
        attrs=" ".join(attribute_words(n, v, rng) for n, v in attrs.items()),
        use=f"for {tag}" if tag else "",
        budget=(f"under ${budget:g}" if not template.startswith("my budget") else f"${budget:g}") if budget else "",
    )
    text = noisy(" ".join(text.replace(" ,", ",").split()), rng)
    return Query(text, Wish(product.category, attrs, tag, budget), product.id, template)


def build_queries(products: list[Product], seed: int = 13, per_product: int = 2) -> Splits:
    rng = random.Random(seed)
    splits: dict[str, list[Query]] = {"train": [], "dev": [], "test": []}
    for product in sorted(products, key=lambda p: p.id):
        part = split_of(product.id)
        templates = TRAIN_TEMPLATES if part == "train" else TEST_TEMPLATES
        for template in rng.sample(templates, k=min(per_product, len(templates))):
            splits[part].append(write_query(product, template, rng))
    train_products = [p for p in products if split_of(p.id) == "train"]
    test_products = [p for p in products if split_of(p.id) != "train"]
    return Splits(splits["train"], splits["dev"], splits["test"], train_products, test_products)


def training_pairs(queries: list[Query], products: list[Product], seed: int = 13, per_grade: int = 3) -> list[tuple[str, str, float]]:
    """(query, product text, label) with the seed, other exact matches and hard negatives of each kind,
    only ever from `products` (the training split)."""
    rng = random.Random(seed)
    by_id = {p.id: p for p in products}
    pairs = []
    for query in queries:
        graded: dict[float, list[Product]] = {EXACT: [], PARTIAL: [], IRRELEVANT: []}
        for product in products:
            graded[grade(product, query.wish)].append(product)
        same_category = [p for p in graded[IRRELEVANT] if p.category == query.wish.category]
        other = [p for p in graded[IRRELEVANT] if p.category != query.wish.category]
        # "right attribute, wrong category": products elsewhere that share one of the asked values
        lookalike = [p for p in other if any(p.attributes.get(n) == v for n, v in query.wish.attributes.items())]
        picks = [(by_id[query.seed], EXACT)] if query.seed in by_id else []
        picks += [(p, EXACT) for p in rng.sample(graded[EXACT], k=min(per_grade - 1, len(graded[EXACT])))]
        picks += [(p, PARTIAL) for p in rng.sample(graded[PARTIAL], k=min(per_grade, len(graded[PARTIAL])))]
        picks += [(p, IRRELEVANT) for p in rng.sample(same_category, k=min(2, len(same_category)))]
        picks += [(p, IRRELEVANT) for p in rng.sample(lookalike, k=min(2, len(lookalike)))]
        picks += [(p, IRRELEVANT) for p in rng.sample(other, k=min(2, len(other)))]
        seen = set()
        for product, label in picks:
            if product.id not in seen:
                seen.add(product.id)
                pairs.append((query.text, product_text(product), label))
    rng.shuffle(pairs)
    return pairs
