"""Constrained decoding of the understanding JSON (assistant/constrained.py)."""

from __future__ import annotations

import pytest
import torch

from assistant.constrained import JsonConstraint, Schema, check

SCHEMA = Schema(categories=["headphones", "laptops"], attributes=["noise_cancelling", "ram_gb"], brands=["Corvex"],
                shown=["HP-0001", "HP-0002"], identifiers=["HL-100123"])


@pytest.mark.parametrize("text, verdict", [
    ('{"intent": "recommend", "category": "headphones", "budget_max": 150}', "complete"),
    ('{"intent":"refine","must_have":{"noise_cancelling":true,"ram_gb":{"min":16}}}', "complete"),
    ('{"intent": "compare", "refs": [1, "HP-0002"]}', "complete"),
    ('{"intent": "order_status", "order_id": "HL-100123"}', "complete"),
    ('{"intent": "recommend", "brands": ["Corvex"], "use_case": "the gym"}', "complete"),
    ('{"intent": "rec', "partial"),
    ('{"intent": "recommend", "budget_max": 15', "partial"),
    ('{"intent": "recommend", "category": "kayaks"}', "invalid"),  # not a category of the shop
    ('{"intent": "buy"}', "invalid"),  # not an intent
    ('{"intent": "refine", "must_have": {"android_15": true}}', "invalid"),  # not an attribute
    ('{"intent": "compare", "refs": [3]}', "invalid"),  # two products shown
    ('{"intent": "order_status", "order_id": "SP-0037"}', "invalid"),  # an order id the message does not hold
    ('{"intent": "recommend", "category": "laptops", "category": "laptops"}', "invalid"),
    ('{"intent": "recommend"} and more', "invalid"),
    ('{"intent": "recommend", "use_case": "<|im_end|>"}', "invalid"),
])
def test_check_tells_valid_beginnings_from_invalid_ones(text: str, verdict: str) -> None:
    assert check(text, SCHEMA) == verdict


def test_the_processor_takes_the_best_token_that_fits_and_then_stops() -> None:
    pieces = ['{"intent": "', "recommend", "kayak", '"', '"}', "}", "<eos>"]
    eos = 6
    constraint = JsonConstraint([SCHEMA], prompt_length=1, pieces=pieces, eos_id=eos)

    def step(generated: list[int], preferred: list[int]) -> int:
        scores = torch.zeros(1, len(pieces))
        for rank, token in enumerate(preferred):
            scores[0, token] = 10.0 - rank
        out = constraint(torch.tensor([[99] + generated]), scores)
        return int(out.argmax())

    assert step([], [2, 6, 0]) == 0  # "kayak" and ending now are invalid; the opening fits
    assert step([0], [2, 1]) == 1  # "kayak" is no intent
    assert step([0, 1], [4, 3]) == 4  # '"}' closes the object
    assert step([0, 1, 4], [5, 3]) == eos  # complete: only the end may follow
