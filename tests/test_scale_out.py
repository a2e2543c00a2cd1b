"""Two app processes behind one address (as behind a load balancer) serve one conversation in turn:
the sessions live in the shared SQLite file, so either process can take the next turn."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.bench_load import free_port, post, start_app
from assistant.shop import Shop


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def two_apps(embedded_shop: Shop):
    ports = [free_port(), free_port()]
    data_dir = str(embedded_shop.settings.data_dir)  # the store is built already; both serve it
    with ThreadPoolExecutor(2) as pool:
        processes = list(pool.map(lambda port: start_app(port, SHOP_DATA_DIR=data_dir), ports))
    yield [f"http://127.0.0.1:{port}" for port in ports]
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def test_two_processes_alternate_turns_of_one_conversation(two_apps: list[str], embedded_shop: Shop) -> None:
    a, b = two_apps
    shown = post(a + "/api/chat", {"message": "noise cancelling headphones"})
    session, ids = shown["session_id"], [p["id"] for p in shown["products"]]
    assert len(ids) >= 2
    added = post(b + "/api/chat", {"session_id": session, "message": "add the second one to my cart"})
    assert [line["product_id"] for line in added["cart"]["lines"]] == [ids[1]]  # b knew what a had shown
    compared = post(a + "/api/chat", {"session_id": session, "message": "compare the first two"})
    assert compared["action"] == "compare" and [p["id"] for p in compared["products"]] == ids[:2]
    assert compared["cart"] == added["cart"]  # a sees the cart that b filled
    for base in (a, b):
        state = get(f"{base}/api/session/{session}")
        assert [t["role"] for t in state["turns"]] == ["user", "assistant"] * 3
        assert state["cart"]["lines"][0]["product_id"] == ids[1]
    assert embedded_shop.by_id[ids[1]].title in added["text"]


def test_simultaneous_turns_of_one_conversation_on_two_processes_lose_nothing(two_apps: list[str]) -> None:
    """Both processes load the state at once; without the lease in the shared file the later save would drop the
    earlier turn's addition to the cart."""
    a, b = two_apps
    shown = post(a + "/api/chat", {"message": "backpacks for travel under $150"})
    session, ids = shown["session_id"], [p["id"] for p in shown["products"]]
    assert len(ids) >= 3
    for round_number in range(3):
        words = ["add the first one to my cart", "add the second one to my cart"]
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda base_words: post(base_words[0] + "/api/chat", {"session_id": session, "message": base_words[1]}),
                          zip((a, b), words)))
        state = get(f"{b}/api/session/{session}")
        assert {line["product_id"]: line["qty"] for line in state["cart"]["lines"]} == {ids[0]: round_number + 1, ids[1]: round_number + 1}
    assert len(state["turns"]) == 2 * 7  # every turn kept
