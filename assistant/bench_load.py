"""Load benchmark: concurrent simulated shoppers against a real app process on loopback.

    python -m assistant.bench load [--shoppers 1,4,16] [--seconds 60] [--url http://127.0.0.1:7860] [--out reports/load.md]

Without --url it starts `python app.py` on a free port (over SHOP_DATA_DIR, rate limit raised: all
shoppers share one address). Each shopper loops through a short conversation over /api/chat (a wish
with its own budget, "add the first one to my cart", a policy question) and checks every reply for
leaks from other sessions: another session id, another shopper's budget, a cart item it was never shown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WISHES = ["running shoes", "headphones", "backpack", "jacket", "coffee maker", "smartwatch", "laptop", "skillet"]


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def post(url: str, body: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def conversation(base: str, shopper: int, rng: random.Random, tally: Tally) -> None:
    """One conversation; every turn is timed and checked."""
    budget = 100 + shopper * 10 + rng.randrange(10)  # unique to this shopper: seen elsewhere = a leak
    session: str | None = None
    shown: set[str] = set()
    for message in (f"{rng.choice(WISHES)} under ${budget}", "add the first one to my cart", "what is your return policy?"):
        started = time.perf_counter()
        try:
            reply = post(base + "/api/chat", {"message": message} | ({"session_id": session} if session else {}))
        except (urllib.error.URLError, OSError, ValueError) as error:
            with tally.lock:
                tally.errors.append(f"{type(error).__name__}: {str(error)[:120]}")
            return
        elapsed = (time.perf_counter() - started) * 1000
        problems = []
        if session and reply["session_id"] != session:
            problems.append(f"asked as {session}, answered as {reply['session_id']}")
        session = reply["session_id"]
        wished = reply["preferences"].get("budget_max")
        if wished is not None and wished != budget:
            problems.append(f"shopper {shopper} wished under ${budget}, the session holds ${wished}")
        shown |= {p["id"] for p in reply["products"]}
        problems += [f"cart holds {line['product_id']}, never shown to this session"
                     for line in reply["cart"]["lines"] if line["product_id"] not in shown]
        with tally.lock:
            tally.latencies_ms.append(elapsed)
            tally.leaks += problems


def shopper_loop(base: str, shopper: int, until: float, tally: Tally) -> None:
    rng = random.Random(shopper)
    while time.monotonic() < until:
        conversation(base, shopper, rng, tally)


def run_level(base: str, shoppers: int, seconds: float) -> dict[str, Any]:
    tally = Tally()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=shopper_loop, args=(base, i, until, tally)) for i in range(shoppers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies = sorted(tally.latencies_ms) or [0.0]

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return {"shoppers": shoppers, "seconds": wall, "turns": len(tally.latencies_ms), "turns_per_s": len(tally.latencies_ms) / wall,
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "errors": tally.errors, "leaks": tally.leaks}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(port: int, **env_vars: str) -> subprocess.Popen:
    """`python app.py` on `port` (rate limit raised, `env_vars` added), once it answers /api/health."""
    env = dict(os.environ, SHOP_PORT=str(port), SHOP_RATE_PER_MINUTE="1000000", SHOP_RATE_BURST="1000000", **env_vars)
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600  # a first start builds the embedded shop
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("app.py exited: " + (process.stderr.read() if process.stderr else "")[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5):
                return process
        except OSError:
            time.sleep(1)
    process.kill()
    raise RuntimeError("app.py did not answer /api/health in 10 minutes")


def render(results: list[dict[str, Any]], base: str) -> str:
    lines = ["# Load", "", f"Generated by `python -m assistant.bench load` on {time.strftime('%Y-%m-%d')} "
             f"({platform.machine()}, {os.cpu_count()} CPUs); app at {base} as configured by the environment "
             f"(SHOP_LLM_USE={os.environ.get('SHOP_LLM_USE', 'auto')}: by default the rule parser with the fine-tuned LLM "
             "as its router, and templates).", "",
             "Each simulated shopper loops over one conversation (a wish with its own budget, \"add the first one to "
             "my cart\", a policy question) through `POST /api/chat`, one turn after another with no pause. A *leak* is "
             "a reply carrying another session's id, another shopper's budget, or a cart item its session was never shown.", "",
             "| shoppers | seconds | turns | turns / s | p50 ms | p95 ms | p99 ms | errors | leaks |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['shoppers']} | {r['seconds']:.0f} | {r['turns']} | {r['turns_per_s']:.2f} | {r['p50']:.0f} | "
              f"{r['p95']:.0f} | {r['p99']:.0f} | {len(r['errors'])} | {len(r['leaks'])} |" for r in results]
    problems = [f"- {len(r['errors'])} errors at {r['shoppers']}: {r['errors'][0]}" for r in results if r["errors"]]
    problems += [f"- leak at {r['shoppers']}: {r['leaks'][0]}" for r in results if r["leaks"]]
    lines += ["", "Goal: zero errors and zero leaks at 16 concurrent shoppers.", ""] + problems
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> None:
    process = None
    base = args.url
    if not base:
        port = free_port()
        print(f"starting app.py on port {port}...", flush=True)
        process = start_app(port)
        base = f"http://127.0.0.1:{port}"
    try:
        results = []
        for shoppers in [int(n) for n in args.shoppers.split(",")]:
            print(f"{shoppers} shoppers for {args.seconds} s...", flush=True)
            results.append(run_level(base, shoppers, args.seconds))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    report = render(results, base)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report, encoding="utf-8")
    print(report)
    print(f"wrote {args.out}")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("load", help="concurrent simulated shoppers over HTTP: turns/s, latency, errors, leaks")
    parser.add_argument("--shoppers", default="1,4,16", help="comma-separated concurrency levels")
    parser.add_argument("--seconds", type=float, default=60.0, help="per level")
    parser.add_argument("--url", help="an app already running (default: start app.py on a free port)")
    parser.add_argument("--out", default="reports/load.md")
    parser.set_defaults(run=run)
