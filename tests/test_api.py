"""The HTTP API (assistant/api.py) over the embedded shop: every endpoint, bad requests, limits, admin."""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api import ApiConfig, build_api
from assistant.config import Settings
from assistant.engine import Assistant
from assistant.ingest import ingest_files
from assistant.ratelimit import RateLimitConfig, RateLimiter
from assistant.sessions import SessionError, SessionStore
from assistant.shop import LiveShop, Shop
from assistant.store import Store
from tests.shopfiles import FAQ_MD, product_row, write_jsonl

GENEROUS = RateLimitConfig(per_minute=6_000, burst=1_000)


@pytest.fixture
def client(assistant: Assistant) -> TestClient:
    return TestClient(build_api(assistant, ApiConfig(rate=GENEROUS)))


def events(stream_text: str) -> list[tuple[str, dict]]:
    parsed = []
    for block in stream_text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((lines["event"], json.loads(lines["data"])))
    return parsed


def test_health_and_search(client: TestClient, embedded_shop: Shop) -> None:
    health = client.get("/api/health").json()
    assert health == {"status": "ok", "version": embedded_shop.version, "products": len(embedded_shop.products),
                      "faq": len(embedded_shop.faq)}
    product = next(p for p in embedded_shop.products if p.model and p.in_stock)
    found = client.get("/api/search", params={"q": product.model, "in_stock": True}).json()
    assert found["products"][0]["id"] == product.id and found["products"][0]["price"] == product.price
    cheap = client.get("/api/search", params={"q": "headphones", "max_price": 30, "category": "headphones"}).json()
    assert cheap["products"] and all(p["price"] <= 30 and p["category"] == "headphones" for p in cheap["products"])
    assert client.get("/api/search", params={"q": "return policy"}).json()["faq"]
    assert client.get("/api/search", params={"k": 500}).status_code == 422
    assert client.get("/api/search", params={"q": "x" * 5000}).status_code == 422


def test_a_chat_recommends_catalog_products_then_fills_the_cart(client: TestClient, embedded_shop: Shop) -> None:
    first = client.post("/api/chat", json={"message": "waterproof hiking jacket under $250"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["action"] == "recommend" and body["products"] and body["session_id"]
    for product in body["products"]:
        row = embedded_shop.by_id[product["id"]]
        assert product["price"] == row.price <= 250 and product["title"] == row.title and row.category == "jackets"
        assert product["reasons"] and product["parts"] and product["total"] is not None and product["title"] in body["text"]
    assert body["preferences"]["budget_max"] == 250
    pick = body["products"][0]
    added = client.post("/api/chat", json={"session_id": body["session_id"], "message": "add the first one to my cart"}).json()
    assert added["cart"]["lines"] == [{"product_id": pick["id"], "title": pick["title"], "qty": 1, "unit_price": pick["price"],
                                       "currency": "USD"}]
    assert added["cart"]["total"] == pick["price"] and added["session_id"] == body["session_id"]


def test_the_stream_sends_the_text_in_pieces_then_the_whole_reply(client: TestClient, embedded_shop: Shop) -> None:
    response = client.post("/api/chat/stream", json={"message": "what is your return policy?"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    parsed = events(response.text)
    kinds = [kind for kind, _ in parsed]
    assert kinds[-1] == "reply" and set(kinds[:-1]) == {"delta"} and len(kinds) >= 2
    reply = parsed[-1][1]
    assert "".join(data["text"] for kind, data in parsed if kind == "delta") == reply["text"]
    cited = re.findall(r"\[([a-z0-9-]+)\]", reply["text"])
    assert reply["action"] == "faq_answer" and cited and all(c in embedded_shop.faq_by_id for c in cited)


def test_cart_and_compare_buttons(client: TestClient, embedded_shop: Shop) -> None:
    shown = client.post("/api/chat", json={"message": "noise cancelling headphones"}).json()
    session, ids = shown["session_id"], [p["id"] for p in shown["products"]]
    assert len(ids) >= 2
    added = client.post("/api/cart", json={"session_id": session, "product_id": ids[1]}).json()
    assert added["action"] == "cart_add" and [line["product_id"] for line in added["cart"]["lines"]] == [ids[1]]
    assert embedded_shop.by_id[ids[1]].title in added["text"]
    compared = client.post("/api/compare", json={"session_id": session, "product_ids": ids[:2]}).json()
    assert compared["action"] == "compare" and {p["id"] for p in compared["products"]} == set(ids[:2])
    assert all(embedded_shop.by_id[i].title in compared["text"] for i in ids[:2])
    removed = client.post("/api/cart", json={"session_id": session, "product_id": ids[1], "action": "remove"}).json()
    assert removed["cart"]["lines"] == [] and removed["cart"]["total"] == 0
    turns = client.get(f"/api/session/{session}").json()["turns"]
    assert [t["content"] for t in turns if t["role"] == "user"][1].startswith("Add ")  # the button's turn is in the history
    assert client.post("/api/cart", json={"session_id": session, "product_id": "NOPE-1"}).status_code == 404
    assert client.post("/api/compare", json={"session_id": session, "product_ids": [ids[0]]}).status_code == 422
    assert client.post("/api/compare", json={"session_id": session, "product_ids": [ids[0], ids[0]]}).status_code == 422


def test_session_state_reset_and_feedback(client: TestClient) -> None:
    reply = client.post("/api/chat", json={"message": "a backpack under $120"}).json()
    session = reply["session_id"]
    state = client.get(f"/api/session/{session}").json()
    assert state["preferences"]["category"] == "backpacks" and state["shown"] == [p["id"] for p in reply["products"]]
    assert [t["role"] for t in state["turns"]] == ["user", "assistant"]
    assert client.post("/api/feedback", json={"session_id": session, "turn_id": reply["turn_id"], "rating": 1}).json()["feedback_id"]
    assert client.post("/api/feedback", json={"session_id": session, "turn_id": reply["turn_id"], "rating": 5}).status_code == 422
    assert client.post("/api/feedback", json={"session_id": session, "turn_id": reply["turn_id"] - 1, "rating": -1}).status_code == 422
    assert client.post("/api/feedback", json={"session_id": "nobody-here", "turn_id": reply["turn_id"], "rating": 1}).status_code == 404
    other = client.post("/api/chat", json={"message": "hello"}).json()
    assert client.post("/api/feedback", json={"session_id": other["session_id"], "turn_id": reply["turn_id"], "rating": 1}).status_code == 422
    assert client.post(f"/api/session/{session}/reset").json() == {"session_id": session, "reset": True}
    assert client.get(f"/api/session/{session}").json()["preferences"] == {}
    assert client.get("/api/session/never-seen").status_code == 404
    assert client.get("/api/session/bad id!").status_code == 422
    assert client.post("/api/session/never-seen/reset").status_code == 404


@pytest.mark.parametrize("request_kwargs", [
    {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
    {"content": b"\x00\xff\xfe binary", "headers": {"Content-Type": "application/json"}},
    {"json": {}},
    {"json": {"message": 42}},
    {"json": {"message": "hi", "session_id": "spaces are not allowed"}},
    {"json": {"message": "x" * 10_001}},
    {"content": "message=hi", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
])
def test_malformed_chat_requests_get_422_with_a_reason(client: TestClient, request_kwargs: dict) -> None:
    response = client.post("/api/chat", **request_kwargs)
    assert response.status_code == 422 and response.json()["detail"]


def test_oversized_bodies_are_refused(client: TestClient) -> None:
    huge = json.dumps({"message": "x" * 100_000}).encode()
    assert client.post("/api/chat", content=huge, headers={"Content-Type": "application/json"}).status_code == 413
    chunked = client.post("/api/chat", content=iter([huge[:50_000], huge[50_000:]]), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413  # no Content-Length: counted as it arrives
    assert "64000 bytes" in chunked.json()["detail"]


def test_a_client_over_its_rate_gets_429_and_others_are_unaffected(assistant: Assistant) -> None:
    api = build_api(assistant, ApiConfig(rate=RateLimitConfig(per_minute=1, burst=2)))
    flooder, polite = TestClient(api, client=("10.0.0.1", 1000)), TestClient(api, client=("10.0.0.2", 1000))
    codes = [flooder.post("/api/chat", json={"message": "hi"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = flooder.post("/api/chat/stream", json={"message": "hi"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert polite.post("/api/chat", json={"message": "hi"}).status_code == 200


def test_behind_a_trusted_proxy_each_shopper_has_its_own_rate(assistant: Assistant) -> None:
    api = build_api(assistant, ApiConfig(rate=RateLimitConfig(per_minute=1, burst=1), trusted_proxies=["10.0.0.9"]))
    proxy = TestClient(api, client=("10.0.0.9", 1000))
    for shopper in ("203.0.113.5", "203.0.113.6"):  # each one's first message passes, though all come through the proxy
        response = proxy.post("/api/chat", json={"message": "hi"}, headers={"X-Forwarded-For": f"1.2.3.4, {shopper}"})
        assert response.status_code == 200
    again = proxy.post("/api/chat", json={"message": "hi"}, headers={"X-Forwarded-For": "9.9.9.9, 203.0.113.5"})
    assert again.status_code == 429  # the hop the client wrote itself (9.9.9.9) does not buy a fresh bucket
    untrusted = TestClient(api, client=("198.51.100.1", 1000))
    codes = [untrusted.post("/api/chat", json={"message": "hi"}, headers={"X-Forwarded-For": f"10.1.1.{n}"}).status_code
             for n in range(2)]
    assert codes == [200, 429]  # a client that is not a trusted proxy cannot spoof its address


def test_rejected_fields_are_not_echoed(client: TestClient) -> None:
    response = client.post("/api/chat", json={"session_id": "<script>alert(1)</script>", "message": "hi"})
    assert response.status_code == 422 and "session_id" in response.json()["detail"]
    assert "<script>" not in response.text


def test_the_rate_limiter_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(RateLimitConfig(per_minute=60, burst=2), clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0, 0]
    assert limiter.take("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("a") == 0 and limiter.take("b") == 0


def test_two_shoppers_in_parallel_never_see_each_others_state(client: TestClient) -> None:
    wishes = {"shopper-par-a": ("noise cancelling headphones", "headphones"),
              "shopper-par-b": ("backpacks for travel under $150", "backpacks")}
    results: dict[str, list[dict]] = {}

    def talk(session: str) -> None:
        message, _ = wishes[session]
        first = client.post("/api/chat", json={"session_id": session, "message": message}).json()
        second = client.post("/api/chat", json={"session_id": session, "message": "add the first one to my cart"}).json()
        results[session] = [first, second]

    threads = [threading.Thread(target=talk, args=(s,)) for s in wishes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for session, (_, category) in wishes.items():
        first, second = results[session]
        assert first["action"] == "recommend" and first["products"]
        state = client.get(f"/api/session/{session}").json()
        assert state["preferences"]["category"] == category
        assert [line["product_id"] for line in second["cart"]["lines"]] == [first["products"][0]["id"]]
        assert state["cart"]["lines"] == second["cart"]["lines"]
    carts = [set(line["product_id"] for line in results[s][1]["cart"]["lines"]) for s in wishes]
    assert not carts[0] & carts[1]


def test_cors_allows_only_the_listed_origins(assistant: Assistant) -> None:
    client = TestClient(build_api(assistant, ApiConfig(allowed_origins=["http://shop.example"], rate=GENEROUS)))
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options("/api/chat", headers={"Origin": "http://shop.example", **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://shop.example"
    denied = client.options("/api/chat", headers={"Origin": "http://evil.example", **preflight})
    assert denied.status_code == 400 and "access-control-allow-origin" not in denied.headers
    simple = client.post("/api/chat", json={"message": "hi"}, headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_the_openapi_spec_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/chat", "/api/chat/stream", "/api/cart", "/api/compare", "/api/session/{session_id}",
            "/api/session/{session_id}/reset", "/api/feedback", "/api/search", "/api/health",
            "/api/admin/reload", "/api/admin/ingest"} <= set(paths)
    assert client.get("/api/docs").status_code == 200


@pytest.fixture
def small_live_shop(tmp_path: Path, assistant: Assistant) -> Assistant:
    """An assistant over its own small on-disk shop, so an ingest here leaves the shared one alone."""
    settings = Settings(data_dir=tmp_path / "data")
    catalog = write_jsonl(tmp_path / "catalog.jsonl", [product_row("G-1", "Pocket Torch", 19.0), product_row("G-2", "Desk Fan", 35.0)])
    faq = tmp_path / "faq.md"
    faq.write_text(FAQ_MD, encoding="utf-8")
    assert ingest_files(Store(settings), catalog=catalog, faq=faq, replace=True, progress=False).version
    sessions = SessionStore(tmp_path / "sessions.sqlite")
    yield Assistant(LiveShop(settings), sessions, relevance=assistant.relevance)
    sessions.close()


def test_admin_needs_the_token_and_ingests_a_shop(small_live_shop: Assistant, tmp_path: Path) -> None:
    disabled = TestClient(build_api(small_live_shop, ApiConfig(rate=GENEROUS)))
    assert disabled.post("/api/admin/reload", headers={"Authorization": "Bearer anything"}).status_code == 403
    client = TestClient(build_api(small_live_shop, ApiConfig(admin_token="s3cret", rate=GENEROUS)))
    assert client.post("/api/admin/reload").status_code == 401
    assert client.post("/api/admin/reload", headers={"Authorization": "Bearer wrong"}).status_code == 401
    before = client.post("/api/admin/reload", headers={"Authorization": "Bearer s3cret"}).json()
    assert before["products"] == 2
    new_row = json.dumps(product_row("G-3", "Travel Kettle", 27.0)) + "\n"
    refused = client.post("/api/admin/ingest", files={"catalog": ("catalog.jsonl", new_row.encode())})
    assert refused.status_code == 401 and client.get("/api/health").json()["products"] == 2
    auth = {"Authorization": "Bearer s3cret"}
    binary = client.post("/api/admin/ingest", headers=auth, files={"catalog": ("catalog.csv", b"\x00\x01\x02PK\x03\x04" * 50)})
    assert binary.status_code == 422 and binary.json()["version"] is None
    assert client.get("/api/health").json()["version"] == before["version"]  # the served shop is untouched
    done = client.post("/api/admin/ingest", headers=auth, files={"catalog": ("catalog.jsonl", new_row.encode())})
    assert done.status_code == 200, done.text
    assert done.json()["served"] == done.json()["version"] != before["version"]
    assert client.get("/api/health").json()["products"] == 3
    assert client.get("/api/search", params={"q": "kettle"}).json()["products"][0]["id"] == "G-3"
    assert client.post("/api/admin/ingest", headers=auth).status_code == 422


def test_the_widget_script_is_served_and_renders_text_only(assistant: Assistant) -> None:
    from app import serve_widget

    api = build_api(assistant, ApiConfig(rate=GENEROUS))
    serve_widget(api)
    response = TestClient(api).get("/widget.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    assert "textContent" in response.text and "innerHTML" not in response.text


def test_the_page_admin_panel_needs_the_token_too(small_live_shop: Assistant, tmp_path: Path) -> None:
    from assistant.page import run_admin

    more = write_jsonl(tmp_path / "more.jsonl", [product_row("G-9", "Camp Stove", 40.0)])
    files = {"catalog": str(more), "faq": None, "orders": None}
    assert run_admin(small_live_shop, None, "anything", files, False, True).startswith("Refused: admin is disabled")
    assert run_admin(small_live_shop, "s3cret", "guess", files, False, True) == "Refused: wrong or missing admin token"
    assert len(small_live_shop.current_shop().products) == 2
    done = run_admin(small_live_shop, "s3cret", "s3cret", files, False, True)
    assert "is now served" in done and len(small_live_shop.current_shop().products) == 3
    assert run_admin(small_live_shop, "s3cret", "s3cret", files, False, False).startswith("Serving ")
    fixed = Assistant(small_live_shop.current_shop(), small_live_shop.sessions, relevance=small_live_shop.relevance)
    assert "fixed shop" in run_admin(fixed, "s3cret", "s3cret", files, False, False)


def metric(text: str, name: str, labels: str = "") -> float:
    line = next((l for l in text.splitlines() if l.startswith(name + (("{" + labels + "}") if labels else " "))), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


def test_metrics_count_turns_and_the_log_line_holds_no_words(client: TestClient, assistant: Assistant,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    before = client.get("/metrics")
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    labels = 'action="recommend",understood_by="rules"'
    with caplog.at_level(logging.INFO, logger="assistant.turns"):
        reply = client.post("/api/chat", json={"message": "running shoes under $90, I'm jane@example.com"}).json()
        with pytest.raises(SessionError):
            assistant.reply("bad id!", "hi")  # a turn that fails is counted by kind
    after = client.get("/metrics").text
    assert reply["action"] == "recommend"
    assert metric(after, "shop_turns_total", labels) == metric(before.text, "shop_turns_total", labels) + 1
    assert metric(after, "shop_turn_seconds_count") == metric(before.text, "shop_turn_seconds_count") + 1
    assert metric(after, "shop_turn_errors_total", 'kind="SessionError"') == metric(before.text, "shop_turn_errors_total", 'kind="SessionError"') + 1
    turns = [json.loads(r.getMessage()) for r in caplog.records if r.name == "assistant.turns"]
    turn = next(t for t in turns if t["event"] == "turn")
    assert turn["session"] == reply["session_id"] and turn["turn"] == reply["turn_id"]
    assert turn["products"] == [p["id"] for p in reply["products"]] and turn["latency_ms"] > 0
    assert all("jane" not in r.getMessage() and "running shoes" not in r.getMessage() for r in caplog.records)
