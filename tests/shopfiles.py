"""Small shop files written by tests."""

from __future__ import annotations

import json
from pathlib import Path


def product_row(pid: str, title: str, price: float = 50.0, **extra: object) -> dict:
    return {"id": pid, "title": title, "category": extra.pop("category", "gadgets"), "price": price, **extra}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


FAQ_MD = """# Help

## How long do I have to return an item?
id: returns-window
topic: returns

You have 30 days from delivery to return an unused item.

## How much does shipping cost?
id: shipping-cost
topic: shipping

Standard shipping is $5.99 and free on orders over $50.
"""
