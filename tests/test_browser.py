"""The chat page and the widget in a real browser: Debian's chromium driven by playwright.

install.sh --test installs both; playwright never downloads a browser of its own. Screenshots go to
reports/screens/.
"""

from __future__ import annotations

import functools
import http.server
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import uvicorn

from app import build_app
from assistant.api import ApiConfig
from assistant.bench_load import free_port
from assistant.config import Settings
from assistant.engine import Assistant
from assistant.ingest import ingest_files
from assistant.ratelimit import RateLimitConfig
from assistant.currency import money
from assistant.sessions import SessionStore
from assistant.shop import Shop
from assistant.store import Store
from tests.shopfiles import FAQ_MD, product_row, write_jsonl

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]
SCREENS = Path(__file__).resolve().parents[1] / "reports" / "screens"
EVIL = "<img src=x onerror=alert(1)>"
TURN_MS = 60_000  # a turn on a busy 2-core CPU


def serve(app, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.1)
    return server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `bash install.sh --test` (it installs Debian's chromium)"
    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def host_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def shop_url(assistant: Assistant, host_port: int) -> Iterator[str]:
    """The app over the embedded shop; it lets the widget's host page (another port) call it."""
    port = free_port()
    config = ApiConfig(allowed_origins=[f"http://127.0.0.1:{host_port}"], rate=RateLimitConfig(per_minute=6_000, burst=1_000))
    server = serve(build_app(assistant, config), port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True


def ask(page, message: str) -> None:
    before = page.locator("#sa-chat .message").count()
    page.locator("#sa-input textarea").fill(message)
    page.locator("#sa-send").click()
    page.wait_for_function(f"document.querySelectorAll('#sa-chat .message').length >= {before + 2}", timeout=TURN_MS)


def liked_turns(assistant: Assistant) -> int:
    with sqlite3.connect(assistant.sessions.path) as db:
        return db.execute("SELECT COUNT(*) FROM feedback f JOIN turns t ON t.id = f.turn_id "
                          "WHERE f.rating = 1 AND t.role = 'assistant'").fetchone()[0]


def test_the_page_recommends_fills_the_cart_and_compares(browser, shop_url: str, embedded_shop: Shop,
                                                         assistant: Assistant) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(shop_url + "/")
    ask(page, "noise cancelling headphones")
    cards = page.locator("#sa-cards .sa-card")
    cards.first.wait_for(timeout=TURN_MS)
    assert cards.count() >= 2
    for i in range(cards.count()):
        product = embedded_shop.by_id[cards.nth(i).get_attribute("data-product")]
        assert cards.nth(i).locator("h4").inner_text() == product.title
        assert cards.nth(i).locator(".price").inner_text() == money(product.price, product.currency)
    first = embedded_shop.by_id[cards.nth(0).get_attribute("data-product")]
    second = embedded_shop.by_id[cards.nth(1).get_attribute("data-product")]
    cards.nth(0).get_by_role("button", name="Add to cart").click()
    page.locator("#sa-cart .total").filter(has_text=money(first.price, first.currency)).wait_for(timeout=TURN_MS)
    assert first.title in page.locator("#sa-cart").inner_text()
    third = embedded_shop.by_id[cards.nth(2).get_attribute("data-product")] if cards.count() > 2 else second
    for i in range(min(3, cards.count())):
        cards.nth(i).get_by_role("button", name="Compare").click()
    page.get_by_role("button", name="Compare picked").click()
    table = page.locator("#sa-compare table")
    table.wait_for(timeout=TURN_MS)
    assert all(p.title in table.inner_text() for p in (first, second, third))
    assert money(second.price, second.currency) in table.inner_text()
    likes = liked_turns(assistant)
    page.locator("#sa-chat button[aria-label='Like']").last.click()
    deadline = time.monotonic() + 30
    while liked_turns(assistant) == likes:  # the thumbs-up lands in SQLite with the turn it rates
        assert time.monotonic() < deadline, "the thumbs-up was not stored"
        time.sleep(0.2)
    assert liked_turns(assistant) - likes == 1
    page.screenshot(path=str(SCREENS / "page-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENS / "page-phone.png"), full_page=True)
    page.close()


def test_the_widget_on_another_site_holds_a_conversation(browser, shop_url: str, host_port: int, tmp_path: Path,
                                                         embedded_shop: Shop) -> None:
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>Some shop</title></head><body><h1>Some shop's own page</h1>"
        f"<script src='{shop_url}/widget.js' data-title='Ask our shop'></script></body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    host = http.server.ThreadingHTTPServer(("127.0.0.1", host_port), handler)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.goto(f"http://127.0.0.1:{host_port}/index.html")
        page.locator(".sa-bubble").click()
        page.locator(".sa-form input").fill("waterproof hiking jacket under $250")
        page.locator(".sa-form input").press("Enter")
        cards = page.locator(".sa-panel .sa-card")
        cards.first.wait_for(timeout=TURN_MS)
        for i in range(cards.count()):
            product = embedded_shop.by_id[cards.nth(i).get_attribute("data-product-id")]
            assert product.title in cards.nth(i).inner_text() and product.price <= 250
        page.locator(".sa-panel .sa-card button").first.click()
        page.locator(".sa-panel .sa-msg", has_text="Cart: 1 item(s)").wait_for(timeout=TURN_MS)
        page.locator(".sa-form input").fill("thanks!")
        page.locator(".sa-form input").press("Enter")
        page.wait_for_function("(() => { const bot = [...document.querySelectorAll('.sa-panel .sa-bot')];"
                               " return bot.length >= 5 && bot[bot.length - 1].textContent !== '\u2026'; })()", timeout=TURN_MS)
        assert "**" not in page.locator(".sa-panel .sa-log").inner_text()
        page.screenshot(path=str(SCREENS / "widget.png"))
        page.close()
    finally:
        host.shutdown()


@pytest.fixture(scope="module")
def evil_shop_url(tmp_path_factory: pytest.TempPathFactory, assistant: Assistant) -> Iterator[str]:
    """A shop whose catalog has a product titled like an HTML injection."""
    folder = tmp_path_factory.mktemp("evil-shop")
    rows = [product_row("EV-1", EVIL, 25.0, brand="<b>Bold</b>", category="gadgets"),
            product_row("EV-2", "Plain Gadget Lamp", 30.0, category="gadgets")]
    faq = folder / "faq.md"
    faq.write_text(FAQ_MD, encoding="utf-8")
    store = Store(Settings(data_dir=folder / "data"))
    report = ingest_files(store, catalog=write_jsonl(folder / "catalog.jsonl", rows), faq=faq, replace=True, progress=False)
    assert report.version, report.lines()
    sessions = SessionStore(folder / "sessions.sqlite")
    evil = Assistant(Shop.open(store, report.version), sessions, relevance=assistant.relevance)
    port = free_port()
    server = serve(build_app(evil, ApiConfig(rate=RateLimitConfig(per_minute=6_000, burst=1_000))), port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    sessions.close()


def test_a_product_titled_like_html_shows_as_text(browser, evil_shop_url: str) -> None:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(evil_shop_url + "/")
    ask(page, "show me gadgets")
    titles = page.locator("#sa-cards .sa-card h4")
    titles.first.wait_for(timeout=TURN_MS)
    assert EVIL in titles.all_inner_texts()
    assert page.locator("#sa-cards img, #sa-chat img[src='x'], #sa-cards b:text('Bold')").count() == 0
    assert EVIL in page.locator("#sa-chat").inner_text()  # the reply names it, as text
    page.screenshot(path=str(SCREENS / "html-title-as-text.png"))
    assert dialogs == []
    page.close()
