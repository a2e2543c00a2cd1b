"""SessionStore on a real SQLite file: restarts, isolation, trimming, feedback, threads and a killed writer."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.sessions import MAX_TEXT, SessionBusy, SessionError, SessionStore, new_session_id, valid_session_id
from assistant.state import DialogueState, Preferences, Turn

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "sessions.db"


@pytest.fixture
def store(db: Path):
    with SessionStore(db) as opened:
        yield opened


def raw(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Look at the file with a separate connection, as another process would."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_state_and_turns_survive_a_restart(db: Path) -> None:
    store = SessionStore(db)
    state = store.load("shopper-1")
    assert not store.exists("shopper-1")
    state.preferences = Preferences(category="running_shoes", budget_max=120.0, brands=["Kestrel"])
    state.cart = {"P-1": 2}
    state.shown = ["P-1", "P-2"]
    turn_id = store.save_turn(state, "running shoes under 120", "Here are two.", ["P-1", "P-2"], {"intent": "recommend"})
    store.close()

    reopened = SessionStore(db)
    loaded = reopened.load("shopper-1")
    assert reopened.exists("shopper-1")
    assert loaded.preferences == Preferences(category="running_shoes", budget_max=120.0, brands=["Kestrel"])
    assert loaded.cart == {"P-1": 2}
    assert loaded.shown == ["P-1", "P-2"]
    assert loaded.history == [
        Turn("user", "running shoes under 120"),
        Turn("assistant", "Here are two.", ["P-1", "P-2"]),
    ]
    turns = reopened.history("shopper-1")
    assert [(t["role"], t["content"], t["product_ids"]) for t in turns] == [
        ("user", "running shoes under 120", []),
        ("assistant", "Here are two.", ["P-1", "P-2"]),
    ]
    assert turns[1]["id"] == turn_id and turns[0]["id"] < turn_id
    assert raw(db, "SELECT meta FROM turns WHERE id = ?", (turn_id,)) == [('{"intent": "recommend"}',)]
    reopened.close()


def test_unknown_session_is_fresh_and_not_stored(store: SessionStore) -> None:
    assert store.load("nobody") == DialogueState("nobody")
    assert not store.exists("nobody")
    assert store.history("nobody") == []


def test_sessions_are_isolated(store: SessionStore) -> None:
    alice, bob = store.load("alice"), store.load("bob")
    alice.cart, alice.shown = {"A-1": 1}, ["A-1"]
    bob.cart, bob.preferences = {"B-1": 3}, Preferences(category="headphones")
    store.save_turn(alice, "alice asks", "alice reply", ["A-1"])
    store.save_turn(bob, "bob asks", "bob reply", ["B-1"])

    alice, bob = store.load("alice"), store.load("bob")
    assert alice.cart == {"A-1": 1} and alice.shown == ["A-1"] and alice.preferences.is_empty()
    assert bob.cart == {"B-1": 3} and bob.shown == [] and bob.preferences.category == "headphones"
    assert [t.content for t in alice.history] == ["alice asks", "alice reply"]
    assert [t["content"] for t in store.history("alice")] == ["alice asks", "alice reply"]
    assert [t["content"] for t in store.history("bob")] == ["bob asks", "bob reply"]


def test_state_history_is_trimmed_but_every_turn_is_kept(db: Path) -> None:
    with SessionStore(db, max_history=4) as store:
        state = store.load("s")
        for n in range(5):
            store.save_turn(state, f"q{n}", f"a{n}", [])
        assert [t.content for t in state.history] == ["q3", "a3", "q4", "a4"]
        assert [t.content for t in store.load("s").history] == ["q3", "a3", "q4", "a4"]
        assert [t["content"] for t in store.history("s")] == [x for n in range(5) for x in (f"q{n}", f"a{n}")]
        assert [t["content"] for t in store.history("s", limit=3)] == ["a3", "q4", "a4"]


def test_reset_gives_a_fresh_state_and_keeps_the_record(store: SessionStore) -> None:
    state = store.load("s")
    state.cart = {"P-1": 1}
    turn_id = store.save_turn(state, "q", "a", ["P-1"])
    store.add_feedback("s", turn_id, 1)
    store.reset("s")
    assert store.load("s") == DialogueState("s")
    assert len(store.history("s")) == 2
    store.add_feedback("s", turn_id, -1)  # the record is still there to rate


def test_feedback_is_stored_and_replaced(db: Path, store: SessionStore) -> None:
    turn_id = store.save_turn(store.load("s"), "q", "a", [])
    first = store.add_feedback("s", turn_id, 1, "great")
    second = store.add_feedback("s", turn_id, -1, "x" * 5000)
    assert first == second
    rows = raw(db, "SELECT session_id, turn_id, rating, comment FROM feedback")
    assert len(rows) == 1
    session_id, rated, rating, comment = rows[0]
    assert (session_id, rated, rating) == ("s", turn_id, -1)
    assert comment.startswith("x" * 2000) and len(comment) < 2100


def test_invalid_feedback_is_refused_with_the_reason(store: SessionStore) -> None:
    mine = store.save_turn(store.load("mine"), "q", "a", [])
    theirs = store.save_turn(store.load("theirs"), "q", "a", [])
    cases = [
        (("ghost", mine, 1), "unknown session"),
        (("mine", 10_000, 1), "does not exist"),
        (("mine", theirs, 1), "another session"),
        (("mine", mine - 1, 1), "user turn"),
        (("mine", mine, 0), "rating"),
        (("mine", mine, 5), "rating"),
    ]
    for args, reason in cases:
        with pytest.raises(SessionError, match=reason):
            store.add_feedback(*args)
    assert store.history("mine")[0]["id"] == mine - 1  # the "user turn" case really was the user's turn


@pytest.mark.parametrize("bad", ["", "a" * 65, "../x", "a b", "café", "id\n", None])
def test_invalid_session_ids_are_refused(store: SessionStore, bad: object) -> None:
    assert not valid_session_id(bad)
    with pytest.raises(SessionError):
        store.load(bad)  # type: ignore[arg-type]
    with pytest.raises(SessionError):
        store.save_turn(DialogueState(bad), "q", "a", [])  # type: ignore[arg-type]
    assert raw(store.path, "SELECT COUNT(*) FROM turns") == [(0,)]


def test_good_session_ids() -> None:
    assert valid_session_id("a" * 64) and valid_session_id("A-z_09")
    ids = {new_session_id() for _ in range(100)}
    assert len(ids) == 100 and all(valid_session_id(i) for i in ids)


def test_wal_and_schema_version(db: Path, store: SessionStore) -> None:
    assert raw(db, "PRAGMA journal_mode") == [("wal",)]
    assert raw(db, "PRAGMA user_version") == [(2,)]
    SessionStore(db).close()  # opening an existing file again is harmless
    assert raw(db, "PRAGMA user_version") == [(2,)]


def test_a_version_1_file_gains_the_leases_table(db: Path, store: SessionStore) -> None:
    store.save_turn(store.load("old"), "q", "a", [])
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE leases")
        conn.execute("PRAGMA user_version = 1")
    with SessionStore(db) as reopened:
        assert [t["content"] for t in reopened.history("old")] == ["q", "a"]
        with reopened.turn_lease("old"):
            assert raw(db, "SELECT session_id FROM leases") == [("old",)]
    assert raw(db, "PRAGMA user_version") == [(2,)]


def test_one_turn_of_a_session_at_a_time_across_stores(db: Path, store: SessionStore) -> None:
    with SessionStore(db) as other:  # another process's store on the same file
        with store.turn_lease("s"):
            with pytest.raises(SessionBusy):
                with other.turn_lease("s", wait_s=0.2):
                    pass
            with other.turn_lease("t", wait_s=0.2):  # other sessions are not held up
                pass
        with other.turn_lease("s", wait_s=0.2):  # released
            pass


def test_the_lease_of_a_killed_process_is_taken_over(db: Path, store: SessionStore) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO leases VALUES (?, ?, ?)", ("s", f"{socket.gethostname()}:{gone.pid}:dead", time.time() + 3600))
    started = time.monotonic()
    with store.turn_lease("s", wait_s=5):
        assert time.monotonic() - started < 1


def test_corrupt_state_row_loads_fresh(db: Path, store: SessionStore, caplog: pytest.LogCaptureFixture) -> None:
    store.save_turn(store.load("s"), "q", "a", [])
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sessions SET state = '{not json' WHERE id = 's'")
    conn.commit()
    conn.close()
    assert store.load("s") == DialogueState("s")
    assert "unreadable state" in caplog.text
    store.save_turn(store.load("s"), "q2", "a2", [])  # and the session goes on
    assert [t.content for t in store.load("s").history] == ["q2", "a2"]


def test_long_and_odd_text_is_stored(store: SessionStore) -> None:
    long_text = "y" * (MAX_TEXT + 5000)
    odd = "nul\x00 and a lone surrogate \udcff end"
    store.save_turn(store.load("s"), long_text, odd, ["P-\udcff"], {"note": odd})
    user, assistant = store.history("s")
    assert user["content"].startswith("y" * MAX_TEXT) and "truncated" in user["content"]
    assert len(user["content"]) < MAX_TEXT + 100
    assert assistant["content"] == "nul\x00 and a lone surrogate \\udcff end"
    assert store.load("s").history[1].content == assistant["content"]


def test_threads_lose_no_turns(db: Path) -> None:
    # Two stores on one file stand in for two app processes; four threads use each.
    stores = [SessionStore(db), SessionStore(db)]
    errors: list[BaseException] = []

    def shopper(worker: int) -> None:
        store, session_id = stores[worker % 2], f"s{worker % 4}"
        try:
            for n in range(25):
                store.save_turn(store.load(session_id), f"w{worker} q{n}", f"w{worker} a{n}", [f"P-{n}"])
        except BaseException as error:  # surfaced below; a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=shopper, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for session in range(4):
        contents = {t["content"] for t in stores[0].history(f"s{session}", limit=1000)}
        workers = [w for w in range(8) if w % 4 == session]
        assert contents == {f"w{w} {kind}{n}" for w in workers for n in range(25) for kind in "qa"}
    assert raw(db, "SELECT COUNT(*) FROM turns") == [(8 * 25 * 2,)]
    for store in stores:
        store.close()


CHILD = """
import sys
from assistant.sessions import SessionStore
store = SessionStore(sys.argv[1])
state = store.load("crash")
while True:
    print(store.save_turn(state, "q" * 500, "a" * 500, ["P-1"]), flush=True)
"""


def test_committed_turns_survive_sigkill(db: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        reported = [int(child.stdout.readline()) for _ in range(30)]  # type: ignore[union-attr]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL
    with SessionStore(db) as store:
        stored = {t["id"] for t in store.history("crash", limit=100_000)}
        assert set(reported) <= stored
        assert len(store.load("crash").history) == 20
    assert raw(db, "PRAGMA integrity_check") == [("ok",)]
