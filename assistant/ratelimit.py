"""A per-client token bucket: each client may make `burst` requests at once, refilled at `per_minute`.

It protects the model (one CPU) from a single client flooding it; it lives in the process, so each
server process of a scaled-out shop counts on its own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class RateLimitConfig:
    per_minute: float = 30.0
    burst: int = 10
    max_clients: int = 10_000  # forget the least recently seen beyond this, so memory stays bounded


class RateLimiter:
    def __init__(self, config: RateLimitConfig | None = None, clock=time.monotonic) -> None:
        self.config = config or RateLimitConfig()
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last refill time)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 if `client` may go ahead now, else the seconds until it may."""
        rate = self.config.per_minute / 60.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.config.burst), now))
            tokens = min(float(self.config.burst), tokens + (now - last) * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)  # re-inserted: most recent last
            if len(self._buckets) > self.config.max_clients:
                del self._buckets[next(iter(self._buckets))]
            return wait
