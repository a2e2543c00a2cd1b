"""Turn a catalog exported from another system into the project's catalog JSONL, ready for `assistant.ingest`.

    python -m knowledge.convert products.csv --out catalog.jsonl [--currency INR] [--map title=Name,price=SalePrice]

Shops export their products with their own column names ("Name", "product_name", "manufacturer",
"DiscountedPrice", a category path as "A > B" or a list of {"name": ...}). The converter recognises common
names for each field of the schema, keeps every other short column as an attribute, and makes ids when the
export has none. Nothing here knows any particular shop: `--map` settles a column it guesses wrong.
Reads CSV (any delimiter the loader knows), a JSON array, or JSONL.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

from knowledge.loaders import csv_delimiter
from knowledge.schema import slugify

# Schema field -> column names shops use for it, in order of preference (compared lower case, without _ - and spaces).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "sku", "productid", "itemid", "articleid", "handle", "code", "asin"),
    "title": ("title", "name", "productname", "itemname", "product", "producttitle"),
    "price": ("saleprice", "discountedprice", "sellingprice", "offerprice", "specialprice", "price", "finalprice",
              "currentprice", "unitprice"),
    "list_price": ("mrp", "listprice", "regularprice", "originalprice", "compareatprice", "rrp", "msrp"),
    "brand": ("brand", "manufacturer", "vendor", "maker", "brandname"),
    "model": ("model", "modelnumber", "mpn", "partnumber"),
    "category": ("breadcrumbs", "categorypath", "category", "categories", "producttype", "type", "department"),
    "subcategory": ("subcategory", "subcat", "subtype"),
    "description": ("description", "desc", "body", "bodyhtml", "details", "longdescription", "summary"),
    "stock": ("stock", "inventory", "quantityavailable", "qty", "stocklevel", "available"),
    "rating": ("rating", "averagerating", "stars", "reviewscore"),
    "review_count": ("reviewcount", "reviews", "numreviews", "ratingcount"),
    "tags": ("tags", "keywords"),
    "currency": ("currency", "currencycode"),
}
# Columns that say nothing a shopper asks about.
SKIP = {"image", "imageurl", "images", "url", "link", "upc", "ean", "gtin", "barcode", "shipping", "weightunit"}
MAX_ATTRIBUTE_CHARS = 60  # longer cells are prose, not an attribute


def key(column: str) -> str:
    return re.sub(r"[\s_\-.]+", "", column.lower())


def rows_of(path: Path) -> Iterator[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        yield from (row for row in (data if isinstance(data, list) else data.get("products", [])) if isinstance(row, dict))
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        yield from (json.loads(line) for line in text.splitlines() if line.strip())
    else:
        yield from csv.DictReader(io.StringIO(text), delimiter=csv_delimiter(text))


def column_map(columns: list[str], given: dict[str, str]) -> dict[str, str]:
    """Schema field -> the export's column, from `--map` first, then the aliases."""
    by_key = {key(c): c for c in columns}
    mapping = {field: column for field, column in given.items() if column in columns}
    for field, names in ALIASES.items():
        if field in mapping:
            continue
        taken = set(mapping.values())
        found = next((by_key[n] for n in names if n in by_key and by_key[n] not in taken), None)
        if found:
            mapping[field] = found
    if "list_price" not in mapping and "price" in mapping:  # "Price" beside "DiscountedPrice": the one not sold at
        taken = set(mapping.values())
        other = next((by_key[n] for n in ALIASES["price"] if n in by_key and by_key[n] not in taken), None)
        if other:
            mapping["list_price"] = other
    return mapping


def duplicate_columns(columns: list[str], mapping: dict[str, str]) -> set[str]:
    """Columns that name a mapped field again ("Category" beside "BreadCrumbs"): not attributes."""
    names = {n for field in mapping for n in ALIASES.get(field, ())}
    return {c for c in columns if key(c) in names and c not in mapping.values()}


def category_path(value: Any, sub: Any = None) -> str:
    """"A > B", ["A", "B"], [{"name": "A"}, ...] or "A/B", plus a subcategory column -> "A > B"."""
    if isinstance(value, list):
        parts = [str(v.get("name", "")) if isinstance(v, dict) else str(v) for v in value]
    else:
        parts = re.split(r"\s*(?:>|›|»|\|)\s*", str(value or ""))
    if sub:
        parts += [str(sub).split("/")[-1]]
    cleaned = []
    for part in parts:
        part = part.split("/")[-1].strip()  # "Grocery/Dry Fruits" repeats its parent
        if part and (not cleaned or cleaned[-1].lower() != part.lower()):
            cleaned.append(part)
    return " > ".join(cleaned)


def convert_row(row: dict[str, Any], mapping: dict[str, str], number: int, currency: str | None, skip: set[str]) -> dict[str, Any]:
    def get(field: str) -> Any:
        column = mapping.get(field)
        return row.get(column) if column else None

    title = str(get("title") or "").strip()
    product: dict[str, Any] = {"id": str(get("id") or "").strip() or f"p{number:06d}-{slugify(title)[:40]}",
                               "title": title, "category": category_path(get("category"), get("subcategory")),
                               "price": get("price") if get("price") not in (None, "") else get("list_price")}
    for field in ("brand", "model", "description", "stock", "rating", "review_count", "tags", "currency"):
        value = get(field)
        if value not in (None, "", []):
            product[field] = value
    if currency and "currency" not in product:
        product["currency"] = currency
    used = set(mapping.values()) | skip
    attributes = {}
    for column, value in row.items():
        if column in used or key(column) in SKIP or value in (None, "", []) or isinstance(value, (dict, list)):
            continue
        if len(str(value)) <= MAX_ATTRIBUTE_CHARS:
            attributes[re.sub(r"\W+", "_", column.strip().lower()).strip("_")] = value
    if get("list_price") not in (None, "") and "price" in mapping:
        attributes["list_price"] = get("list_price")
    if attributes:
        product["attributes"] = attributes
    return product


def convert(path: Path, currency: str | None = None, given: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rows = list(rows_of(path))
    columns = list(dict.fromkeys(c for row in rows[:200] for c in row))
    mapping = column_map(columns, given or {})
    skip = duplicate_columns(columns, mapping)
    products, ids = [], set()
    for number, row in enumerate(rows, start=1):
        product = convert_row(row, mapping, number, currency, skip)
        if product["id"] in ids:  # the same item in another pack size keeps its own row
            product["id"] = f"{product['id'][:50]}-{number}"
        ids.add(product["id"])
        products.append(product)
    return products, mapping


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.convert", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the export: .csv, .json (an array) or .jsonl")
    parser.add_argument("--out", required=True, help="where to write the catalog JSONL")
    parser.add_argument("--currency", help="the currency of the prices, when the export has no currency column")
    parser.add_argument("--map", default="", help="field=column pairs that override the guesses, e.g. title=Name,price=Sale")
    args = parser.parse_args(argv)
    given = dict(pair.split("=", 1) for pair in args.map.split(",") if "=" in pair)
    products, mapping = convert(Path(args.path), args.currency, given)
    Path(args.out).write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in products), encoding="utf-8")
    print("columns: " + ", ".join(f"{field} <- {column}" for field, column in mapping.items()), file=sys.stderr)
    print(f"wrote {len(products):,} products to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
