"""Policy questions as typed: typos fixed toward ordinary English, ids, amounts and names left out."""

from __future__ import annotations

import pytest

from assistant.spelling import fix_word, question_words


@pytest.mark.parametrize("typed, fixed", [
    ("delivr", "deliver"), ("swhipping", "shipping"), ("uhelp", "help"), ("waant", "want"), ("rfom", "from"),
    ("range", "range"), ("kestrel", "kestrel"), ("thr", "thr"),  # a word, an unknown name, too short to guess
])
def test_a_typo_becomes_the_most_common_word_one_edit_away(typed: str, fixed: str) -> None:
    assert fix_word(typed) == fixed


def test_ids_amounts_and_names_say_nothing_about_the_policy() -> None:
    assert question_words("can i get my bill rfom Anna Freeman for order #12588?") == "can i get my bill from   for order  ? (invoice)"
    assert "160" not in question_words("I have paid $160 for this purchase, help me get a rebate")
    assert question_words("Do you ship to Alaska?") == "do you ship to alaska?"  # the first word of a sentence is no name


@pytest.mark.parametrize(("message", "plain"), [
    ("help me checking the early exit penalties", "cancellation fee"),
    ("I expect a compensation of 1499 dollars", "refund"),
    ("find information about the lost PIN code", "password"),
    ("where can I lodge a consumer claim against your company?", "complaint"),
])
def test_formal_wording_gets_its_plain_word(message: str, plain: str) -> None:
    assert question_words(message).endswith(f"({plain})")
    assert "(" not in question_words("how long does shipping take?")
