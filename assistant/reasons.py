"""Why a product fits this shopper: short phrases tied to what they said, each true of the catalog row.

Every phrase is built from the product's own fields and the shopper's stated preferences, so the
guard can trust them: a reason never carries a number the product or the shopper did not give.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.currency import money
from assistant import measures
from assistant.filters import attribute_matches, lowered, measure_text
from assistant.state import Preferences
from knowledge.schema import Product

UNITS = {"g": "g", "kg": "kg", "mm": "mm", "cm": "cm", "m": "m", "gb": "GB", "tb": "TB", "l": "L", "ml": "ml", "in": "inch",
         "h": "h", "hours": "hours", "days": "days", "mah": "mAh", "mp": "MP", "ohm": "ohm", "bar": "bar", "w": "W", "ft": "ft",
         "min": "min", "minutes": "minutes", "mph": "mph", "f": "°F", "hrc": "HRC", "cups": "cups"}
MAX_REASONS = 4


def attribute_label(name: str) -> tuple[str, str]:
    """("battery", "hours") for battery_hours; ("waterproof", "") for waterproof."""
    base, _, unit = name.rpartition("_")
    if base and unit in UNITS:
        return base.replace("_", " "), UNITS[unit]
    return name.replace("_", " "), ""


def describe_value(name: str, value: Any) -> str:
    """One attribute as words: "waterproof", "no microphone", "16 GB ram", "color: black"."""
    label, unit = attribute_label(name)
    if isinstance(value, bool):
        return label if value else f"{label}: no"
    if isinstance(value, (int, float)):
        number = f"{value:g}"
        return f"{number} {unit} {label}".replace("  ", " ") if unit else f"{label} {number}"
    if isinstance(value, list):
        return f"{label}: {', '.join(str(v) for v in value[:8])}"
    return f"{label}: {value}"


def wish_text(name: str, wanted: Any) -> str:
    """What the shopper asked for, in words: "under 300 g weight", "black"."""
    label, unit = attribute_label(name)
    if isinstance(wanted, dict):
        parts = []
        if "min" in wanted:
            parts.append(f"at least {wanted['min']:g} {unit}".rstrip())
        if "max" in wanted:
            parts.append(f"at most {wanted['max']:g} {unit}".rstrip())
        return f"{label} {' and '.join(parts)}"
    if isinstance(wanted, bool):
        return label if wanted else f"no {label}"
    values = " or ".join(str(v) for v in (wanted if isinstance(wanted, list) else [wanted]))
    if name in ("color", "colour"):
        return values
    if name == "gender":
        return f"for {values}"
    if re.fullmatch(r"[\d./ ]+|x*[sml]", values.lower().replace(" or ", " ")):  # "size 7", "size XL", not "7 sizes"
        return f"{label[:-1] if label.endswith('s') else label} {values}"
    return f"{values} {label}"


def attribute_reason(product: Product, name: str, wanted: Any) -> str | None:
    actual = product.attributes.get(name)
    if actual is None or not attribute_matches(actual, lowered(wanted)):
        return None
    if isinstance(wanted, bool):
        return f"{describe_value(name, actual)}, as you asked" if actual == wanted else None
    if isinstance(wanted, dict):
        return f"{describe_value(name, actual)} (you wanted {wish_text(name, wanted)})"
    if isinstance(actual, list):
        hits = [v for v in (wanted if isinstance(wanted, list) else [wanted]) if str(v).lower() in {str(a).lower() for a in actual}]
        return f"available in {attribute_label(name)[0]} {', '.join(str(h) for h in hits)}"
    return f"{wish_text(name, actual)}, as you asked"


def budget_reason(price: float, prefs: Preferences, currency: str) -> str | None:
    if prefs.budget_max is not None and prefs.budget_min is not None:
        if not prefs.budget_min <= price <= prefs.budget_max:
            return None
        return f"within your {money(prefs.budget_min, currency)}–{money(prefs.budget_max, currency)} range"
    if prefs.budget_max is not None and price <= prefs.budget_max:
        return f"under your {money(prefs.budget_max, currency)} budget"
    if prefs.budget_min is not None and price >= prefs.budget_min:
        return f"above your {money(prefs.budget_min, currency)} minimum"
    return None


def use_reason(product: Product, prefs: Preferences) -> str | None:
    if not prefs.use_case:
        return None
    wanted = set(re.findall(r"[a-z]+", prefs.use_case.lower()))
    text = " ".join(product.tags + [product.title, product.description]).lower()
    if wanted and all(re.search(rf"\b{re.escape(w)}", text) for w in wanted):
        return f"made for {prefs.use_case}"
    return None


def rating_reason(product: Product) -> str | None:
    if product.rating is not None and product.rating >= 4.3 and product.review_count >= 10:
        return f"rated {product.rating:g}/5 by {product.review_count:,} reviewers"
    return None


def stock_reason(product: Product) -> str | None:
    if product.stock is None:
        return None
    if product.stock == 0:
        return "out of stock right now"
    return f"only {product.stock} left" if product.stock <= 5 else "in stock"


def reasons_for(product: Product, price: float, prefs: Preferences, currency: str) -> list[str]:
    """The shopper's own wishes first (budget, asked-for attributes, brand, use), then quality and stock."""
    reasons = [budget_reason(price, prefs, currency)]
    reasons += [attribute_reason(product, name, wanted) for name, wanted in prefs.must_have.items()]
    reasons += [f"{said}, as you asked" for said in prefs.measures if measures.has(measure_text(product), said)]
    if prefs.brands and product.brand.lower() in {b.lower() for b in prefs.brands}:
        reasons.append(f"from {product.brand}, the brand you asked for")
    reasons.append(use_reason(product, prefs))
    chosen = [r for r in reasons if r][: MAX_REASONS - 1]
    chosen += [r for r in (rating_reason(product), stock_reason(product)) if r]
    return chosen[:MAX_REASONS]
