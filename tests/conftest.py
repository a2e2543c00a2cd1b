"""Shared fixtures: the embedded shop is built once per test session (embedding it takes a while)."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.ingest import ingest_files
from assistant.shop import Shop
from assistant.store import Store
from knowledge.loaders import embedded_shop_files


@pytest.fixture(scope="session")
def embedded_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    store = Store(Settings(data_dir=tmp_path_factory.mktemp("embedded")))
    report = ingest_files(store, **embedded_shop_files(), replace=True, progress=False)
    assert report.version, report.lines()
    return Shop.open(store, report.version)


@pytest.fixture(scope="session")
def assistant(embedded_shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> "Assistant":
    from assistant.engine import Assistant
    from assistant.sessions import SessionStore

    sessions = SessionStore(tmp_path_factory.mktemp("sessions") / "sessions.sqlite")
    yield Assistant(embedded_shop, sessions, llm=None)
    sessions.close()


@pytest.fixture(scope="session")
def llm_assistant(embedded_shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> "Assistant":
    """The engine as the app runs it by default: the packaged SmolLM2 with the shipped fine-tuned adapter."""
    from assistant.engine import Assistant
    from assistant.llm import DEFAULT_ADAPTER, LLMConfig, configured_llm
    from assistant.sessions import SessionStore

    llm = configured_llm(LLMConfig(adapter_path=str(DEFAULT_ADAPTER)))
    assert llm is not None and llm.tuned
    sessions = SessionStore(tmp_path_factory.mktemp("llm-sessions") / "sessions.sqlite")
    yield Assistant(embedded_shop, sessions, llm=llm)
    sessions.close()
