"""The shop's records (product, FAQ entry, order) and the validation that turns raw rows into them.

Every loader produces plain dicts; `product_from_row` and friends either return a clean record or
raise `RowError` with a reason a shop owner can act on. Nothing here touches the store.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

AttrValue = str | int | float | bool | list[str]

# Limits protect the store and the model's context from pathological rows.
MAX_ID = 64
MAX_TITLE = 300
MAX_SHORT = 120
MAX_DESCRIPTION = 5_000
MAX_ANSWER = 8_000
MAX_ATTRIBUTES = 40
MAX_TAGS = 20

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
# C0 controls except tab/newline, DEL, C1 controls: never meaningful in shop text.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class RowError(ValueError):
    """A row that cannot go into the store, with the reason why."""


@dataclass
class Product:
    id: str
    title: str
    category: str
    price: float
    currency: str
    brand: str = ""
    model: str = ""
    stock: int | None = None  # None: the shop did not say
    rating: float | None = None
    review_count: int = 0
    margin: float | None = None
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def in_stock(self) -> bool:
        return self.stock is None or self.stock > 0


@dataclass
class FaqEntry:
    id: str
    question: str
    answer: str
    topic: str = "general"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class OrderItem:
    product_id: str
    title: str
    qty: int
    unit_price: float


@dataclass
class Order:
    order_id: str
    email: str
    items: list[OrderItem]
    total: float
    currency: str
    status: str
    placed_at: str
    shipped_at: str | None = None
    delivered_at: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    shipping_method: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_text(value: Any, name: str, limit: int, required: bool = False, multiline: bool = False) -> str:
    """Text field: strip control characters and surrounding space, enforce a length limit."""
    if value is None:
        value = ""
    if isinstance(value, (dict, list)):
        raise RowError(f"{name} must be text, got {type(value).__name__}")
    text = CONTROL_RE.sub("", str(value))
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if required and not text:
        raise RowError(f"{name} is missing or empty")
    if len(text) > limit:
        raise RowError(f"{name} is {len(text):,} characters; the limit is {limit:,}")
    return text


def clean_id(value: Any, name: str = "id") -> str:
    text = clean_text(value, name, MAX_ID, required=True)
    if not ID_RE.match(text):
        raise RowError(f"{name} {text!r} may only use letters, digits and . _ : - (and start with a letter or digit)")
    return text


# A price as shops write it: "₹499", "Rs. 1,299", "INR 499", "499 €", "$5.49", "EUR 12.50".
MONEY_CELL_RE = re.compile(r"(?:[^\w\s.,-]|[A-Za-z]{3}|[Rr][Ss]\.?)?\s*(-?[\d,]*\.?\d+)\s*(?:[^\w\s.,-]|[A-Za-z]{3}|/-)?")


def to_number(value: Any, name: str, minimum: float | None = None, maximum: float | None = None) -> float:
    if isinstance(value, bool):
        raise RowError(f"{name} must be a number, got a boolean")
    if isinstance(value, str):
        money = MONEY_CELL_RE.fullmatch(value.strip())
        value = money.group(1).replace(",", "") if money else value.strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise RowError(f"{name} must be a finite number")
    if minimum is not None and number < minimum:
        raise RowError(f"{name} {number:g} is below {minimum:g}")
    if maximum is not None and number > maximum:
        raise RowError(f"{name} {number:g} is above {maximum:g}")
    return number


def to_int(value: Any, name: str, minimum: int = 0) -> int:
    number = to_number(value, name, minimum=minimum)
    if number != int(number):
        raise RowError(f"{name} {number:g} must be a whole number")
    return int(number)


def optional(row: dict[str, Any], key: str) -> Any:
    """A missing optional field: absent, None, or an empty CSV cell."""
    value = row.get(key)
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def parse_scalar(text: str) -> AttrValue:
    """CSV cells are untyped: recover booleans and numbers the way a shop owner wrote them."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    if re.fullmatch(r"-?\d+", lowered):
        return int(lowered)
    if re.fullmatch(r"-?\d+\.\d+", lowered):
        return float(lowered)
    return text.strip()


def clean_attributes(raw: Any, notes: list[str]) -> tuple[dict[str, AttrValue], list[str]]:
    """Attributes fit to filter on, and the text of those that are not (kept for search, never lost).

    A product is not rejected for a long spec value or for many attributes: the value goes to the
    description's text instead, with a note the loader reports as a warning."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        raise RowError(f"attributes must be an object of name: value, got {type(raw).__name__}")
    attributes: dict[str, AttrValue] = {}
    prose: list[str] = []
    for key, value in raw.items():
        name = clean_text(key, "attribute name", MAX_SHORT, required=True).lower().replace(" ", "_")
        if isinstance(value, bool) or isinstance(value, int):
            cleaned: AttrValue = value
        elif isinstance(value, float):
            cleaned = to_number(value, f"attribute {name}")
        elif isinstance(value, str):
            cleaned = clean_text(value, f"attribute {name}", MAX_DESCRIPTION)
        elif isinstance(value, list):
            cleaned = [clean_text(item, f"attribute {name}", MAX_DESCRIPTION) for item in value if item is not None]
        elif value is None:
            continue
        else:
            raise RowError(f"attribute {name} has an unsupported value of type {type(value).__name__}")
        texts = cleaned if isinstance(cleaned, list) else [str(cleaned)]
        if any(len(text) > MAX_SHORT for text in texts):
            notes.append(f"attribute {name} is longer than {MAX_SHORT} characters: kept as description text, not as a filter")
            prose.append(f"{name.replace('_', ' ')}: {', '.join(texts)}")
        elif len(attributes) >= MAX_ATTRIBUTES:
            prose.append(f"{name.replace('_', ' ')}: {', '.join(texts)}")
        else:
            attributes[name] = cleaned
    if len(attributes) + len(prose) > MAX_ATTRIBUTES and len(attributes) == MAX_ATTRIBUTES:
        notes.append(f"more than {MAX_ATTRIBUTES} attributes: the first {MAX_ATTRIBUTES} are kept as filters, the rest as description text")
    return attributes, prose


def clean_tags(raw: Any, notes: list[str]) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = re.split(r"[;|,]", raw)
    if not isinstance(raw, list):
        raise RowError(f"tags must be a list or a ;-separated text, got {type(raw).__name__}")
    tags = [clean_text(tag, "tag", MAX_SHORT).lower() for tag in raw]
    tags = [tag for tag in dict.fromkeys(tags) if tag]
    if len(tags) > MAX_TAGS:
        notes.append(f"{len(tags)} tags; the first {MAX_TAGS} are kept")
    return tags[:MAX_TAGS]


def clean_title(value: Any) -> str:
    """A title is what every reply shows: terminal escapes or other control characters mean a broken export."""
    if CONTROL_RE.search(re.sub(r"[\t\r\n]", " ", str(value or ""))):
        raise RowError("title contains control characters (terminal escape codes or binary data)")
    return clean_text(value, "title", MAX_TITLE, required=True)


def product_from_row(row: dict[str, Any], rates: dict[str, float], shop_currency: str, notes: list[str] | None = None) -> Product:
    """Validate one catalog row. `rates` maps a currency code to its value in the shop currency.

    Problems that do not make the product wrong (a long spec value, too many tags) are appended to
    `notes` and the product is kept."""
    notes = [] if notes is None else notes
    currency = clean_text(optional(row, "currency") or shop_currency, "currency", 3, required=True).upper()
    if currency != shop_currency and currency not in rates:
        raise RowError(f"currency {currency} has no exchange rate to {shop_currency}; add it to the rates file")
    margin = optional(row, "margin")
    rating = optional(row, "rating")
    stock = optional(row, "stock")
    attributes, prose = clean_attributes(optional(row, "attributes"), notes)
    description = clean_text(optional(row, "description"), "description", MAX_DESCRIPTION, multiline=True)
    description = "\n".join([description, *prose]).strip()[:MAX_DESCRIPTION]
    return Product(
        id=clean_id(row.get("id")),
        title=clean_title(row.get("title")),
        category=clean_text(row.get("category"), "category", MAX_TITLE, required=True).lower(),  # a path can be long
        price=round(to_number(row.get("price"), "price", minimum=0.0, maximum=10_000_000), 2),
        currency=currency,
        brand=clean_text(optional(row, "brand"), "brand", MAX_SHORT),
        model=clean_text(optional(row, "model"), "model", MAX_SHORT),
        stock=None if stock is None else to_int(stock, "stock"),
        rating=None if rating is None else to_number(rating, "rating", 0.0, 5.0),
        review_count=to_int(optional(row, "review_count") or 0, "review_count"),
        margin=None if margin is None else to_number(margin, "margin", 0.0, 1.0),
        attributes=attributes,
        tags=clean_tags(optional(row, "tags"), notes),
        description=description,
    )


def faq_from_row(row: dict[str, Any]) -> FaqEntry:
    question = clean_text(row.get("question"), "question", MAX_TITLE, required=True)
    entry_id = row.get("id") or slugify(question)
    return FaqEntry(
        id=clean_id(entry_id),
        question=question,
        answer=clean_text(row.get("answer"), "answer", MAX_ANSWER, required=True, multiline=True),
        topic=clean_text(optional(row, "topic") or "general", "topic", MAX_SHORT).lower(),
    )


def order_from_row(row: dict[str, Any]) -> Order:
    items_raw = row.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise RowError("items must be a non-empty list")
    items = []
    for item in items_raw:
        if not isinstance(item, dict):
            raise RowError("each item must be an object")
        items.append(
            OrderItem(
                product_id=clean_id(item.get("product_id"), "product_id"),
                title=clean_text(item.get("title"), "item title", MAX_TITLE, required=True),
                qty=to_int(item.get("qty", 1), "qty", minimum=1),
                unit_price=to_number(item.get("unit_price"), "unit_price", minimum=0.0),
            )
        )
    email = clean_text(row.get("email"), "email", MAX_SHORT, required=True).lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise RowError(f"email {email!r} is not an e-mail address")

    def optional_text(key: str) -> str | None:
        return clean_text(optional(row, key), key, MAX_SHORT) or None

    return Order(
        order_id=clean_id(row.get("order_id"), "order_id"),
        email=email,
        items=items,
        total=to_number(row.get("total"), "total", minimum=0.0),
        currency=clean_text(row.get("currency") or "USD", "currency", 3).upper(),
        status=clean_text(row.get("status"), "status", MAX_SHORT, required=True).lower(),
        placed_at=clean_text(row.get("placed_at"), "placed_at", MAX_SHORT, required=True),
        shipped_at=optional_text("shipped_at"),
        delivered_at=optional_text("delivered_at"),
        carrier=optional_text("carrier"),
        tracking_number=optional_text("tracking_number"),
        shipping_method=optional_text("shipping_method"),
    )


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:MAX_ID].rstrip("-") or "entry"


def has_html(text: str) -> bool:
    return bool(HTML_RE.search(text))


def product_from_dict(data: dict[str, Any]) -> Product:
    """Rebuild a product already validated and stored (no checks: the store only holds clean rows)."""
    return Product(**data)


def faq_from_dict(data: dict[str, Any]) -> FaqEntry:
    return FaqEntry(**data)


def order_from_dict(data: dict[str, Any]) -> Order:
    return Order(**{**data, "items": [OrderItem(**item) for item in data["items"]]})
