"""What a running assistant reports about itself: Prometheus metrics (GET /metrics) and one structured
log line per turn (logger "assistant.turns", JSON).

The log line carries the session id and what the engine did, never the shopper's words: messages can
hold names, addresses and order details.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

log = logging.getLogger("assistant.turns")

REGISTRY = CollectorRegistry()  # the process's own: no default process/platform collectors, no clashes in tests
TURNS = Counter("shop_turns", "Chat turns answered", ["action", "understood_by"], registry=REGISTRY)
LATENCY = Histogram("shop_turn_seconds", "Whole-turn latency (understand to the last word)", registry=REGISTRY,
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))
FIRST_WORDS = Histogram("shop_first_words_seconds", "Time until the first words of a reply", registry=REGISTRY,
                        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
REJECTIONS = Counter("shop_guard_rejections", "LLM drafts the guard replaced or the templates finished", registry=REGISTRY)
ERRORS = Counter("shop_turn_errors", "Turns that ended in an error", ["kind"], registry=REGISTRY)
LLM_BUSY = Counter("shop_llm_busy", "Readings and replies done by rules and templates because the local model was busy",
                   ["job"], registry=REGISTRY)


def record_turn(reply: Any) -> None:
    """Count a finished turn (an `engine.Reply`) and log it."""
    TURNS.labels(reply.action, reply.understood_by).inc()
    LATENCY.observe(reply.latency_ms / 1000)
    FIRST_WORDS.observe(reply.first_token_ms / 1000)
    REJECTIONS.inc(reply.rejected_drafts)
    log.info(json.dumps({"event": "turn", "session": reply.session_id, "turn": reply.turn_id, "action": reply.action,
                         "intent": reply.intent, "understood_by": reply.understood_by,
                         "products": [p["id"] for p in reply.products], "rejected_drafts": reply.rejected_drafts,
                         "latency_ms": round(reply.latency_ms, 1), "first_words_ms": round(reply.first_token_ms, 1)}))


def record_error(session_id: str, error: BaseException) -> None:
    ERRORS.labels(type(error).__name__).inc()
    log.warning(json.dumps({"event": "turn_error", "session": session_id, "error": type(error).__name__}))


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
