"""A policy question in the words that pick its FAQ entry: typos fixed toward ordinary English, and the parts that
say nothing about which policy is asked (order numbers, amounts, people's names) left out.

Support requests are typed fast ("casncel", "reufnds", "delivr", "bill rfom Anna Freeman"); an embedding of a
misspelt word lands far from the entry's words. Product words are corrected by the shop's vocabulary instead
(`Vocabulary.correct`); this is for the questions about the shop's policies.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.lexical import deletions, edit_distance_1
from assistant.models import MissingModel, minilm_path

ID_NUMBER_RE = re.compile(r"[#$€£₹]?\b[\w-]*\d[\w.-]*")
# Two or more capitalised words inside a sentence, with an optional title: "from Anna Freeman", "Ms. Hawkings".
NAME_RE = re.compile(r"(?<!^)(?<![.!?]\s)\b(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)")
WORD_RE = re.compile(r"[A-Za-z]+")
MIN_TYPO = 4  # shorter words are too often someone's abbreviation ("thr", "ur") to guess at


@lru_cache(maxsize=1)
def english_ranks() -> dict[str, int]:
    """Ordinary English words, most common first: the bundled embedding model's WordPiece vocabulary lists whole
    words roughly by frequency, so its order breaks ties between corrections."""
    try:
        lines = (minilm_path() / "vocab.txt").read_text(encoding="utf-8").split()
    except (MissingModel, OSError):  # no model package: no corrections rather than wrong ones
        return {}
    return {w: i for i, w in enumerate(lines) if w.isalpha() and len(w) > 1}


@lru_cache(maxsize=1)
def deletion_index() -> dict[str, set[str]]:
    """Each word under itself and under each of its one-letter deletions: words one edit apart share a key."""
    index: dict[str, set[str]] = {}
    for word in english_ranks():
        for key in {word} | deletions(word):
            index.setdefault(key, set()).add(word)
    return index


@lru_cache(maxsize=1 << 14)
def fix_word(word: str) -> str:
    """The most common English word one typo away (the first letter may be swapped: "erimbursement"), else the word."""
    ranks = english_ranks()
    if len(word) < MIN_TYPO or word in ranks or not ranks:
        return word
    index = deletion_index()
    near = {w for key in {word} | deletions(word) for w in index.get(key, ()) if edit_distance_1(word, w)}
    return min(near, key=lambda w: (ranks[w], w)) if near else word


def question_words(message: str) -> str:
    """The message as a policy question: without ids, amounts and names, its typos fixed, lower-cased, with the
    plain word of any formal or contract wording added ("reimbursement" -> refund)."""
    text = NAME_RE.sub(" ", ID_NUMBER_RE.sub(" ", message))
    text = WORD_RE.sub(lambda m: fix_word(m.group().lower()), text).strip()
    plain = [word for pattern, word in PLAIN_WORDS if pattern.search(text)]
    return f"{text} ({', '.join(plain)})" if plain else text


# Formal or contract words for what a shop's help pages call plainly; an embedding puts "early termination
# penalty" far from "cancel fee" and "bill" far from "invoice".
PLAIN_WORDS = [(re.compile(pattern), word) for pattern, word in [
    (r"\b(?:reimburs\w*|rebates?|compensat\w*|restitution|money back)\b", "refund"),
    (r"\b(?:(?:early )?(?:exit|termination) (?:fees?|charges?|penalt\w*)|penalt\w*)", "cancellation fee"),
    (r"\bbills?\b", "invoice"),
    (r"\b(?:pin(?: code)?|access key|credentials|passcode)\b", "password"),
    (r"\bclaims? against\b|\blodge (?:a )?(?:consumer )?claim\b|\bcomplain\w*", "complaint"),
]]
