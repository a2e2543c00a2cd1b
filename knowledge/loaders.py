"""Read a shop's files (catalog CSV/JSONL, FAQ Markdown/JSONL, orders JSONL) into validated records.

A loader never raises on bad content: it returns the good records plus a list of problems, each
with the line it came from. Only a file that cannot be read at all (binary, missing required
columns, unknown format) is `fatal`, and then nothing from it may go into the store.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from knowledge.schema import (
    FaqEntry,
    Order,
    Product,
    RowError,
    faq_from_row,
    has_html,
    order_from_row,
    parse_scalar,
    product_from_row,
)

SHOP_DIR = Path(__file__).parent / "shop"
MAX_FILE_BYTES = 512 * 1024 * 1024
REQUIRED_CATALOG_COLUMNS = ("id", "title", "category", "price")
# A 10 MB cell must reach validation (and be rejected there with a reason), not crash the csv module.
csv.field_size_limit(64 * 1024 * 1024)


@dataclass
class Problem:
    line: int
    reason: str
    level: str = "error"  # "error": row skipped; "warning": row kept

    def __str__(self) -> str:
        return f"line {self.line}: {self.level}: {self.reason}"


@dataclass
class LoadResult:
    path: str
    records: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fatal: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


def read_text(path: Path, result: LoadResult) -> str | None:
    """Decode a shop file; binary files are refused, legacy encodings accepted with a warning."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            result.fatal = f"{path.name} is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            return None
        data = path.read_bytes()
    except OSError as exc:
        result.fatal = f"cannot read {path}: {exc.strerror or exc}"
        return None
    if b"\x00" in data[:65536]:
        result.fatal = f"{path.name} looks like a binary file, not text (it contains NUL bytes)"
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.problems.append(
            Problem(1, f"file is not valid UTF-8 (byte {exc.start}); read it as Windows-1252 instead", "warning")
        )
        return data.decode("cp1252", errors="replace")


def jsonl_rows(text: str, result: LoadResult) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            result.problems.append(Problem(number, f"invalid JSON: {exc.msg} at column {exc.colno}"))
            continue
        if not isinstance(row, dict):
            result.problems.append(Problem(number, f"expected a JSON object, got {type(row).__name__}"))
            continue
        yield number, row


def csv_catalog_rows(text: str, result: LoadResult) -> Iterator[tuple[int, dict[str, Any]]]:
    """CSV rows as catalog dicts: `attr_<name>` columns and a JSON `attributes` column become attributes."""
    reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        result.fatal = "the CSV file is empty or has no header row"
        return
    missing = [name for name in REQUIRED_CATALOG_COLUMNS if name not in header]
    if missing:
        result.fatal = f"missing required column(s): {', '.join(missing)} (found: {', '.join(header)})"
        return
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.problems.append(Problem(reader.line_num, f"unreadable CSV row: {exc}"))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            result.problems.append(Problem(reader.line_num, f"{len(cells)} cells but the header has {len(header)}"))
            continue
        try:
            yield reader.line_num, csv_row_to_dict(dict(zip(header, cells)))
        except RowError as exc:
            result.problems.append(Problem(reader.line_num, str(exc)))


def csv_delimiter(text: str) -> str:
    """Spreadsheets export with commas, semicolons (European locales) or tabs: read the header."""
    header = text.split("\n", 1)[0]
    return max(",;\t|", key=header.count) if header else ","


def csv_row_to_dict(raw: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for key, value in raw.items():
        match = re.match(r"attr[_.](.+)", key)
        if match:
            if value.strip():
                parts = [part.strip() for part in value.split(";")]
                attributes[match.group(1)] = [p for p in parts if p] if len(parts) > 1 else parse_scalar(value)
        elif key == "attributes":
            row["attributes_json"] = value
        else:
            row[key] = value
    text = row.pop("attributes_json", "")
    if text.strip():
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RowError(f"attributes column is not valid JSON: {exc.msg}") from None
        if not isinstance(parsed, dict):
            raise RowError("attributes column must hold a JSON object")
        attributes = {**parsed, **attributes}
    row["attributes"] = attributes
    return row


def collect(
    result: LoadResult,
    rows: Iterator[tuple[int, dict[str, Any]]],
    build: Callable[[dict[str, Any], list[str]], Any],
    key: Callable[[Any], str],
) -> LoadResult:
    """Validate each row; keep the first of duplicate ids and say which line won.

    `build` appends to its list what it had to change in a row it kept: those become warnings."""
    seen: dict[str, int] = {}
    for number, row in rows:
        notes: list[str] = []
        try:
            record = build(row, notes)
        except RowError as exc:
            result.problems.append(Problem(number, str(exc)))
            continue
        result.problems.extend(Problem(number, note, "warning") for note in notes)
        record_id = key(record)
        if record_id in seen:
            result.problems.append(Problem(number, f"duplicate id {record_id!r} (first on line {seen[record_id]}); row skipped"))
            continue
        seen[record_id] = number
        for name in ("title", "brand", "question"):
            if has_html(getattr(record, name, "")):
                result.problems.append(Problem(number, f"{name} contains HTML markup; it is kept and shown as plain text", "warning"))
        result.records.append(record)
    if result.fatal is None and not result.records:
        result.fatal = "no valid rows" + (f" ({len(result.errors)} rejected)" if result.errors else " (the file is empty)")
    return result


def markdown_faq_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """`## Question` headings, optional `id:`/`topic:` lines under them, then the answer body."""
    entry: dict[str, Any] | None = None
    body: list[str] = []
    start = 0

    def finish() -> Iterator[tuple[int, dict[str, Any]]]:
        if entry is not None:
            entry["answer"] = "\n".join(body).strip()
            yield start, entry

    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            yield from finish()
            entry, body, start = {"question": line[3:].strip()}, [], number
            continue
        if entry is None:
            continue
        meta = re.match(r"^(id|topic):\s*(.+)$", line.strip())
        if meta and not body:
            entry[meta.group(1)] = meta.group(2).strip()
        elif body or line.strip():
            body.append(line)
    yield from finish()


Reader = Callable[[str, LoadResult], Iterator[tuple[int, dict[str, Any]]]]
JSONL: dict[str, Reader] = {".jsonl": jsonl_rows, ".ndjson": jsonl_rows}
MARKDOWN: dict[str, Reader] = {".md": lambda text, _: markdown_faq_rows(text), ".markdown": lambda text, _: markdown_faq_rows(text)}


def load_file(path: str | Path, kind: str, readers: dict[str, Reader], build: Callable[[dict[str, Any], list[str]], Any],
              key: Callable[[Any], str]) -> LoadResult:
    path = Path(path)
    result = LoadResult(str(path))
    suffix = path.suffix.lower()
    if suffix not in readers:
        result.fatal = f"unknown {kind} format {suffix!r}: use {' or '.join(readers)}"
        return result
    text = read_text(path, result)
    if text is None:
        return result
    return collect(result, readers[suffix](text, result), build, key)


def load_catalog(path: str | Path, rates: dict[str, float] | None = None, shop_currency: str = "USD") -> LoadResult:
    return load_file(path, "catalog", {".csv": csv_catalog_rows, **JSONL},
                     lambda row, notes: product_from_row(row, rates or {}, shop_currency, notes), lambda p: p.id)


def load_faq(path: str | Path) -> LoadResult:
    return load_file(path, "FAQ", {**MARKDOWN, **JSONL}, lambda row, _: faq_from_row(row), lambda e: e.id)


def load_orders(path: str | Path) -> LoadResult:
    return load_file(path, "orders", JSONL, lambda row, _: order_from_row(row), lambda o: o.order_id)


def embedded_shop_files() -> dict[str, Path]:
    """The default shop that ships with the package."""
    return {
        "catalog": SHOP_DIR / "catalog.jsonl",
        "faq": SHOP_DIR / "faq.md",
        "orders": SHOP_DIR / "orders.jsonl",
    }


__all__ = [
    "FaqEntry",
    "LoadResult",
    "Order",
    "Problem",
    "Product",
    "embedded_shop_files",
    "load_catalog",
    "load_faq",
    "load_orders",
]
