"""The HTTP API served by app.py, on the embedded shop."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app import build_api
from assistant.shop import LiveShop, Shop


def test_health_and_search(embedded_shop: Shop) -> None:
    client = TestClient(build_api(LiveShop(embedded_shop.settings)))
    health = client.get("/api/health").json()
    assert health == {"status": "ok", "version": embedded_shop.version, "products": len(embedded_shop.products),
                      "faq": len(embedded_shop.faq)}
    product = next(p for p in embedded_shop.products if p.model and p.in_stock)
    found = client.get("/api/search", params={"q": product.model, "in_stock": True}).json()
    assert found["products"][0]["id"] == product.id and found["products"][0]["price"] == product.price
    cheap = client.get("/api/search", params={"q": "headphones", "max_price": 30, "category": "headphones"}).json()
    assert cheap["products"] and all(p["price"] <= 30 and p["category"] == "headphones" for p in cheap["products"])
    assert client.get("/api/search", params={"q": "return policy"}).json()["faq"]


def test_bad_requests_get_clear_4xx(embedded_shop: Shop) -> None:
    client = TestClient(build_api(LiveShop(embedded_shop.settings)))
    assert client.get("/api/search", params={"k": 500}).status_code == 422
    assert client.get("/api/search", params={"max_price": "cheap"}).status_code == 422
    assert client.get("/api/search", params={"q": "x" * 5000}).status_code == 422
    assert client.get("/api/search", params={"q": "\x00\ufffd binary-ish"}).status_code == 200
