"""Conversation sessions persisted in one SQLite file.

    sessions  one row per conversation: the DialogueState as JSON (what the next turn starts from)
    turns     every user and assistant message, never trimmed: the full record for analytics
    feedback  at most one thumbs up/down per assistant turn
    leases    which process is running a turn of a session right now (turn_lease)

The state keeps only the last `max_history` turns so prompts stay bounded; `turns` keeps them all.
Each write is one transaction committed with synchronous=FULL, so a turn that save_turn returned
survives a killed process or a power cut.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from assistant.state import DialogueState, Turn

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # kept in PRAGMA user_version; bump it and add a step in _migrate to change the schema
MAX_TEXT = 20_000  # characters of a message we store; longer ones are cut, never rejected
MAX_COMMENT = 2_000
TRUNCATED = "\n[truncated]"
BUSY_TIMEOUT_MS = 5_000
LEASE_WAIT_S = 30.0  # how long a turn waits for another process's turn of the same session
LEASE_HOLD_S = 150.0  # a lease outlives a turn (an LLM call times out at 120 s); a crashed holder's lease lapses then
SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_SESSION_ID = re.compile(SESSION_ID_PATTERN)
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"  # UTC, milliseconds, sorts as text

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT ({_NOW}),
    updated_at TEXT NOT NULL DEFAULT ({_NOW})
);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    product_ids TEXT NOT NULL DEFAULT '[]',
    meta TEXT NOT NULL DEFAULT '{{}}',
    created_at TEXT NOT NULL DEFAULT ({_NOW})
);
CREATE INDEX IF NOT EXISTS turns_session ON turns(session_id, id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    turn_id INTEGER NOT NULL UNIQUE REFERENCES turns(id),
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT ({_NOW})
);
"""


_LEASES = """
CREATE TABLE IF NOT EXISTS leases (
    session_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires REAL NOT NULL
)
"""


class SessionError(ValueError):
    """A bad session id, or feedback that does not fit the stored conversation."""


class SessionBusy(RuntimeError):
    """Another process kept running a turn of this session for longer than LEASE_WAIT_S."""


def valid_session_id(text: object) -> bool:
    return isinstance(text, str) and _SESSION_ID.fullmatch(text) is not None


def check_session_id(text: object) -> str:
    if not valid_session_id(text):
        raise SessionError(f"invalid session id {text!r}: expected 1-64 characters of A-Z a-z 0-9 _ -")
    return text  # type: ignore[return-value]


def new_session_id() -> str:
    return secrets.token_urlsafe(16)


def clean_text(text: str, cap: int = MAX_TEXT) -> str:
    """Cut to `cap` characters and make it encodable: sqlite3 cannot store lone surrogates as UTF-8."""
    if len(text) > cap:
        text = text[:cap] + TRUNCATED
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def holder_is_gone(owner: str) -> bool:
    """Whether a lease's owner was a process on this machine that no longer runs (killed mid-turn): its lease
    need not be waited out. Owners on other machines are trusted until their lease expires."""
    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class SessionStore:
    """Sessions, turns and feedback in one SQLite file, safe to share between threads.

    One connection guarded by a lock: SQLite lets only one writer in at a time anyway and every
    statement here takes well under a millisecond, so per-thread connections would buy nothing but
    connections that close() cannot reach. Other processes on the same file wait on busy_timeout.
    """

    def __init__(self, path: str | Path, max_history: int = 20) -> None:
        self.path = Path(path)
        self.max_history = max_history
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: no implicit transactions, we issue BEGIN IMMEDIATE ourselves.
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")  # fsync the WAL at every commit
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"  # of turn leases
        self._migrate()

    def _migrate(self) -> None:
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} has schema version {version}; this code knows {SCHEMA_VERSION}")
            if version < 1:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            if version < 2:
                conn.execute(_LEASES)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE takes the write lock up front, so no deadlock midway."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:  # a failed COMMIT may have rolled back already
                    self._conn.execute("ROLLBACK")
                raise

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def load(self, session_id: str) -> DialogueState:
        """The stored state, or a fresh one (stored only once its first turn is saved)."""
        check_session_id(session_id)
        rows = self._read("SELECT state FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            return DialogueState(session_id)
        try:
            return DialogueState.from_dict(json.loads(rows[0][0]))
        except (ValueError, KeyError, TypeError) as error:
            # A damaged row must not lock the shopper out; the turns table still has the record.
            log.warning("session %s: unreadable state (%s); starting fresh", session_id, error)
            return DialogueState(session_id)

    def exists(self, session_id: str) -> bool:
        check_session_id(session_id)
        return bool(self._read("SELECT 1 FROM sessions WHERE id = ?", (session_id,)))

    def save_turn(
        self,
        state: DialogueState,
        user_text: str,
        reply_text: str,
        product_ids: list[str],
        meta: dict[str, Any] | None = None,
    ) -> int:
        """Record one exchange and the state it led to; returns the assistant turn's id.

        Adds the two turns to state.history itself (callers must not), keeping the last max_history,
        and writes the state and both turns in one transaction.
        """
        session_id = check_session_id(state.session_id)
        user_text, reply_text = clean_text(user_text), clean_text(reply_text)
        history = [*state.history, Turn("user", user_text), Turn("assistant", reply_text, list(product_ids))]
        history = history[max(0, len(history) - self.max_history) :]
        insert_turn = "INSERT INTO turns (session_id, role, content, product_ids, meta) VALUES (?, ?, ?, ?, ?)"
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO sessions (id, state) VALUES (?, ?) "
                f"ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = {_NOW}",
                (session_id, json.dumps(replace(state, history=history).to_dict())),
            )
            conn.execute(insert_turn, (session_id, "user", user_text, "[]", "{}"))
            cursor = conn.execute(
                insert_turn,
                (session_id, "assistant", reply_text, json.dumps(list(product_ids)), json.dumps(meta or {}, default=str)),
            )
            turn_id = int(cursor.lastrowid)  # type: ignore[arg-type]
        state.history = history  # only once committed, so a failed save can be retried as is
        return turn_id

    def history(self, session_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The last `limit` turns of a session, oldest first."""
        check_session_id(session_id)
        rows = self._read(
            "SELECT id, role, content, product_ids, created_at FROM turns WHERE session_id = ? ORDER BY id DESC LIMIT ?",
            (session_id, limit),
        )
        return [
            {"id": id_, "role": role, "content": content, "product_ids": json.loads(products), "created_at": created}
            for id_, role, content, products, created in reversed(rows)
        ]

    def add_feedback(self, session_id: str, turn_id: int, rating: int, comment: str = "") -> int:
        """Rate an assistant turn (+1 / -1); rating it again replaces the earlier rating."""
        check_session_id(session_id)
        if rating not in (-1, 1):
            raise SessionError(f"rating must be 1 or -1, got {rating!r}")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
                raise SessionError(f"unknown session {session_id!r}")
            turn = conn.execute("SELECT session_id, role FROM turns WHERE id = ?", (turn_id,)).fetchone()
            if turn is None:
                raise SessionError(f"turn {turn_id} does not exist")
            if turn[0] != session_id:
                raise SessionError(f"turn {turn_id} belongs to another session")
            if turn[1] != "assistant":
                raise SessionError(f"turn {turn_id} is a user turn; only assistant turns can be rated")
            cursor = conn.execute(
                f"INSERT INTO feedback (session_id, turn_id, rating, comment) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (turn_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, "
                f"created_at = {_NOW} RETURNING id",
                (session_id, turn_id, int(rating), clean_text(comment, MAX_COMMENT)),
            )
            return int(cursor.fetchone()[0])

    @contextmanager
    def turn_lease(self, session_id: str, wait_s: float = LEASE_WAIT_S) -> Iterator[None]:
        """Run one turn of `session_id` while no other process sharing this file runs one (threads of one process
        are already serialized by the engine). Two app processes behind a load balancer can otherwise both load the
        state, and the later save drops the earlier turn's cart change. Raises SessionBusy after `wait_s`."""
        check_session_id(session_id)
        deadline = time.monotonic() + wait_s
        while not self._take_lease(session_id):
            if time.monotonic() > deadline:
                raise SessionBusy(f"another turn of session {session_id} is still running; try again in a moment")
            time.sleep(0.05)
        try:
            yield
        finally:
            with self._write() as conn:
                conn.execute("DELETE FROM leases WHERE session_id = ? AND owner = ?", (session_id, self._owner))

    def _take_lease(self, session_id: str) -> bool:
        now = time.time()
        with self._write() as conn:
            held = conn.execute("SELECT owner, expires FROM leases WHERE session_id = ?", (session_id,)).fetchone()
            if held and held[0] != self._owner and held[1] > now and not holder_is_gone(held[0]):
                return False
            conn.execute("INSERT INTO leases (session_id, owner, expires) VALUES (?, ?, ?) ON CONFLICT (session_id) "
                         "DO UPDATE SET owner = excluded.owner, expires = excluded.expires",
                         (session_id, self._owner, now + LEASE_HOLD_S))
            return True

    def reset(self, session_id: str) -> None:
        """Start the conversation over: the stored state becomes fresh; turns and feedback stay for analytics.

        The row is overwritten rather than deleted because turns and feedback reference it.
        """
        check_session_id(session_id)
        with self._write() as conn:
            conn.execute(
                f"UPDATE sessions SET state = ?, updated_at = {_NOW} WHERE id = ?",
                (json.dumps(DialogueState(session_id).to_dict()), session_id),
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
