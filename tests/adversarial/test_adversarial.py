"""The adversarial suite (cases in tests/adversarial/*.yaml, checks in suite.py) under pytest, with rules and templates
alone and with the shipped default (the rules, with the fine-tuned LLM as router). `python -m tests.adversarial.suite`
runs the same cases, and the LLM reading and writing too, and writes reports/adversarial.md."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assistant.shop import Shop
from tests.adversarial.suite import Case, Target, build_target, load_cases, run_case

CASES = load_cases()


@pytest.fixture(scope="module", params=["off", "auto"])
def target(request: pytest.FixtureRequest, embedded_shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> Target:
    built = build_target(Path(tmp_path_factory.mktemp("adversarial")), embedded_shop, llm_use=request.param)
    yield built
    built.client.close()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case, target: Target) -> None:
    problems = run_case(case, target)
    assert not problems, f"{case.id} ({case.category}): " + "; ".join(problems)


def test_the_suite_is_broad() -> None:
    categories = Counter(case.category for case in CASES)
    assert len(CASES) >= 150, len(CASES)
    wanted = {"injection", "encoded", "multilingual", "extraction", "privacy", "price", "off_topic", "harmful", "malformed", "markup", "planted"}
    assert wanted <= set(categories), wanted - set(categories)
    assert all(n >= 3 for n in categories.values()), categories
