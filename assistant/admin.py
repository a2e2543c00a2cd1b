"""Shop administration, shared by the HTTP API and the page: the token check, reload, ingest of files.

Without SHOP_ADMIN_TOKEN nothing here changes anything; an ingest that fails leaves the served shop as it was
(assistant/ingest.py builds a new store version and switches only when it is complete).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from assistant.ingest import IngestReport, ingest_files
from assistant.shop import LiveShop, Shop

KINDS = ("catalog", "faq", "orders")


class AdminRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def check_token(expected: str | None, given: str) -> None:
    if not expected:
        raise AdminRefused(403, "admin is disabled: set SHOP_ADMIN_TOKEN to enable it")
    if not secrets.compare_digest(given.strip().encode(), expected.encode()):
        raise AdminRefused(401, "wrong or missing admin token")


def live_shop(source: LiveShop | Shop) -> LiveShop:
    if not isinstance(source, LiveShop):
        raise AdminRefused(409, "this server serves a fixed shop; it cannot reload or ingest")
    return source


def reload(source: LiveShop | Shop) -> Shop:
    """The newest complete store, served now."""
    return live_shop(source).refresh()


def ingest(source: LiveShop | Shop, files: dict[str, Path], replace: bool = False) -> IngestReport:
    """Ingest `files` (kind -> path; kinds: catalog, faq, orders) and serve the result if it is complete."""
    live = live_shop(source)
    if not files:
        raise AdminRefused(422, "send at least one of the files " + ", ".join(KINDS))
    report = ingest_files(live.store, replace=replace, progress=False, **files)
    live.refresh()
    return report
