"""The kill loop: SIGKILL the app at random moments while shoppers chat, rate replies and an owner ingests a
catalog, restart it, and check that nothing acknowledged was lost and nothing was left half-written.

After every kill and restart:
- every turn the API acknowledged (200 with a turn id) is in the SQLite file with its text, in order;
- every acknowledged rating is stored;
- the database passes `PRAGMA integrity_check`;
- the store serves a complete version: the old shop if the ingest was cut, the new one if it was acknowledged.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from assistant.bench_load import free_port, start_app
from assistant.shop import Shop
from knowledge.loaders import embedded_shop_files

ROUNDS = 4
TOKEN = "kill-loop-token"
MESSAGES = ["waterproof hiking jacket under $200", "add the first one to my cart", "what is your return policy?",
            "noise cancelling headphones", "compare the first two", "what's in my cart?"]


@dataclass
class Acked:
    """What the server said it had done, before it was killed."""
    turns: dict[int, tuple[str, str]] = field(default_factory=dict)  # turn id -> (session, message)
    ratings: dict[int, int] = field(default_factory=dict)  # turn id -> rating
    prices: list[float] = field(default_factory=list)  # ingested prices of the changed product, acknowledged in order
    tried_prices: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def chat_loop(base: str, session: str, acked: Acked, stop: threading.Event) -> None:
    with httpx.Client(timeout=60) as client:
        n = 0
        while not stop.is_set():
            message = MESSAGES[n % len(MESSAGES)]
            n += 1
            try:
                reply = client.post(f"{base}/api/chat", json={"session_id": session, "message": message}).json()
            except (httpx.HTTPError, ValueError):
                return  # killed
            with acked.lock:
                acked.turns[reply["turn_id"]] = (session, message)
            try:
                stored = client.post(f"{base}/api/feedback", json={"session_id": session, "turn_id": reply["turn_id"],
                                                                    "rating": 1 if n % 2 else -1})
            except httpx.HTTPError:
                return
            if stored.status_code == 200:
                with acked.lock:
                    acked.ratings[reply["turn_id"]] = 1 if n % 2 else -1


def ingest_once(base: str, row: dict, price: float, acked: Acked, delay: float) -> None:
    time.sleep(delay)
    body = json.dumps({**row, "price": price}) + "\n"
    acked.tried_prices.append(price)
    try:
        response = httpx.post(f"{base}/api/admin/ingest", files={"catalog": ("catalog.jsonl", body.encode())},
                              headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300)
    except httpx.HTTPError:
        return
    if response.status_code == 200:
        acked.prices.append(price)


def check_database(db: Path, acked: Acked) -> None:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        replies = dict(conn.execute("SELECT id, session_id FROM turns WHERE role = 'assistant'").fetchall())
        asked = dict(conn.execute("SELECT id, content FROM turns WHERE role = 'user'").fetchall())
        ratings = dict(conn.execute("SELECT turn_id, rating FROM feedback").fetchall())
    for turn_id, (session, message) in acked.turns.items():
        assert replies.get(turn_id) == session, f"acknowledged turn {turn_id} lost"
        assert asked.get(turn_id - 1) == message  # a turn's two rows are written in one transaction
    for turn_id, rating in acked.ratings.items():
        assert ratings.get(turn_id) == rating, f"acknowledged rating of turn {turn_id} lost"


@pytest.fixture
def data_dir(embedded_shop: Shop, tmp_path: Path) -> Path:
    """A copy of the built embedded shop: the loop ingests into it."""
    target = tmp_path / "data"
    shutil.copytree(embedded_shop.settings.data_dir, target, ignore=shutil.ignore_patterns("sessions.sqlite*"))
    return target


def test_killed_at_random_moments_loses_nothing_acknowledged(data_dir: Path, embedded_shop: Shop) -> None:
    rng = random.Random(7)
    row = json.loads(embedded_shop_files()["catalog"].read_text(encoding="utf-8").splitlines()[0])
    original = embedded_shop.price_of(embedded_shop.by_id[row["id"]])
    acked = Acked()
    env = {"SHOP_DATA_DIR": str(data_dir), "SHOP_ADMIN_TOKEN": TOKEN}
    for round_number in range(ROUNDS):
        port = free_port()
        app = start_app(port, **env)
        base = f"http://127.0.0.1:{port}"
        stop = threading.Event()
        workers = [threading.Thread(target=chat_loop, args=(base, f"kill-{round_number}-{n}", acked, stop)) for n in range(2)]
        workers.append(threading.Thread(target=ingest_once, args=(base, row, 100.0 + round_number, acked, rng.uniform(0, 2))))
        for worker in workers:
            worker.start()
        time.sleep(rng.uniform(1.5, 6.0))
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=30)
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        check_database(data_dir / "sessions.sqlite", acked)

    port = free_port()
    app = start_app(port, **env)
    try:
        base = f"http://127.0.0.1:{port}"
        health = httpx.get(f"{base}/api/health", timeout=30).json()
        assert health["products"] == 480, health
        shown = httpx.get(f"{base}/api/search", params={"q": row["title"], "k": 1}, timeout=60).json()
        price = next(p["price"] for p in shown["products"] if p["id"] == row["id"])
        # The served price is the last acknowledged ingest's, or a later one that committed before its answer was
        # sent; never anything else (a torn store would serve neither, or fail to load).
        allowed = {original} | set(acked.tried_prices) if not acked.prices else set(acked.tried_prices[acked.tried_prices.index(acked.prices[-1]):])
        assert price in allowed, (price, acked.prices, acked.tried_prices)
        for session in {session for session, _ in acked.turns.values()}:  # every conversation still opens
            assert httpx.get(f"{base}/api/session/{session}", timeout=30).status_code == 200
    finally:
        app.terminate()
        app.wait(timeout=30)
    assert len(acked.turns) >= ROUNDS, f"the loop barely ran: {len(acked.turns)} turns acknowledged"
