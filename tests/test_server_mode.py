"""Client/server mode against a real `chroma run` on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from assistant.bench_load import free_port
from assistant.config import Settings
from assistant.filters import ProductFilter
from assistant.ingest import ingest_files
from assistant.retriever import search_faq, search_products
from assistant.shop import Shop
from assistant.store import PRODUCTS, Store
from shopfiles import FAQ_MD, product_row, write_jsonl


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    path = tmp_path_factory.mktemp("chroma-server")
    server = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("chroma run did not start")
            time.sleep(0.2)
    yield port
    server.terminate()
    server.wait(timeout=30)


def test_ingest_and_search_through_a_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server, keep_versions=1)
    store = Store(settings)
    rows = [
        product_row("SRV-1", "Lumen Desk Lamp DL-20", 39.0, brand="Lumen", category="lighting"),
        product_row("SRV-2", "Lumen Floor Lamp FL-80", 89.0, brand="Lumen", category="lighting", stock=0),
        product_row("SRV-3", "Brewly Travel Mug TM-12", 19.0, brand="Brewly", category="kitchen"),
    ]
    faq = tmp_path / "faq.md"
    faq.write_text(FAQ_MD)
    first = ingest_files(store, write_jsonl(tmp_path / "c.jsonl", rows), faq, replace=True, progress=False).version
    assert first
    client = store.client(first)
    assert {c.name for c in client.list_collections()} == {f"products_{first}", f"faq_{first}"}
    assert not (store.version_dir(first) / "chroma").exists()  # vectors live on the server

    shop = Shop.open(store, first)
    assert search_products(shop, "fl80", k=1)[0].id == "SRV-2"
    in_stock = [h.id for h in search_products(shop, "lamp", ProductFilter(in_stock=True), mode="dense")]
    assert in_stock == ["SRV-1", "SRV-3"]  # the sold-out floor lamp is filtered out on the server
    assert search_faq(shop, "shipping price", k=1)[0].id == "shipping-cost"

    update = write_jsonl(tmp_path / "u.jsonl", [product_row("SRV-4", "Breeze Tower Fan TF-3", 59.0)])
    second = ingest_files(store, catalog=update, progress=False).version
    assert second and store.collection(PRODUCTS, second).count() == 4
    names = {c.name for c in client.list_collections()}
    assert names == {f"products_{second}", f"faq_{second}"}  # keep_versions=1: the old version is dropped
