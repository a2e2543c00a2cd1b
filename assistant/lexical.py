"""BM25 over short shop texts, so brand names and model numbers are found exactly.

Dense embeddings blur "KX-450" and "KX-460" together; a lexical index does not. The index is a
sparse matrix of BM25 term weights, so scoring a query is one column slice and a sum.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np
from scipy import sparse

TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-./][a-z0-9]+)*")
SPLIT_RE = re.compile(r"[-./]")
COLOURS = frozenset("black white grey gray silver gold red blue navy green olive yellow orange pink purple brown beige".split())
STOPWORDS = frozenset(
    "a an and any are as at be but by can do for from have i in is it its me my need of on or our please so "
    "some that the this to want was we what which with you your looking show find get".split()
)


def is_english(token: str) -> bool:
    from assistant.vocabulary import english_words  # the word list lives with the vocabulary; read once, cached

    return token in english_words()


def stem(token: str) -> str:
    """Plural folding only: 'shoes' and 'shoe' must meet; anything heavier hurts model numbers."""
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies"):
        return token[:-3] + "y"
    if token.endswith(("sses", "shes", "ches", "xes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def fold(text: str) -> str:
    """Lower case without accents on Latin letters: "Pokémon" and "crème" are found as shoppers type them ("pokemon",
    "creme"). Marks on other scripts stay (a Devanagari vowel sign is part of its word)."""
    if text.isascii():
        return text.lower()
    out: list[str] = []
    for c in unicodedata.normalize("NFKD", text.lower()):
        if not (unicodedata.combining(c) and out and out[-1].isascii()):
            out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens; 'KX-450' also yields 'kx450', 'kx' and '450' so any spelling matches."""
    tokens: list[str] = []
    for match in TOKEN_RE.finditer(fold(text)):
        token = match.group()
        parts = SPLIT_RE.split(token)
        if len(parts) > 1:
            tokens.append("".join(parts))
            tokens.extend(parts)
        else:
            tokens.append(token)
    return [stem(t) for t in tokens if t not in STOPWORDS]


def edit_distance_1(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2:  # neighbours swapped
            i, j = diff
            return j == i + 1 and a[i] == b[j] and a[j] == b[i]
        return len(diff) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


@lru_cache(maxsize=1 << 16)
def kind_words(title: str, category: str) -> frozenset[str]:
    """The stems that can name what a product is: its title's and its category path's words."""
    return frozenset(t for t in tokenize(f"{title} {category}") if t.isalpha())


# A title names what the product is before "for"/"with" ("TV Wall Mount for 37" - 65" TVs" is a mount), and each
# " - " or "(...)" part ends in its head noun ("Dell - 90W AC Power Adapter - Black": adapter, not laptop).
TITLE_CLAUSE_RE = re.compile(r"\s(?:for|with|without|compatible|fits|featuring|includes?|incl)\s.*$", re.I)
TITLE_PART_RE = re.compile(r"\s[-–|]\s|[,()\[\]|:;+]")
PATH_PART_RE = re.compile(r">|&|,|/|\band\b")


def part_head(part: str) -> str | None:
    """The last word of a title part or category level, skipping numbers and the unit after one ("Salt 1 kg") and a
    colour after the name ("Rajma White" is rajma)."""
    head, previous = None, ""
    for token in re.findall(r"[a-z0-9]+", fold(part)):
        if token.isalpha() and len(token) > 1 and token not in STOPWORDS and not previous[:1].isdigit():
            head = head if token in COLOURS and head else token
        previous = token
    return stem(head) if head else None


@lru_cache(maxsize=1 << 16)
def head_words(title: str, category: str) -> frozenset[str]:
    """The stems that say what a product is (not what it goes with): the head of each part of its title and of each
    leaf of its category path (upper levels group several kinds: "Toys, Games & Drones"). A one-word part of a longer
    title is a brand or a variant ("Dell - ... - Black")."""
    parts = [p for p in TITLE_PART_RE.split(TITLE_CLAUSE_RE.sub("", title)) if p.strip()]
    if len(parts) > 1:
        parts = [p for p in parts if len(p.split()) > 1]
    return frozenset(h for h in map(part_head, parts + PATH_PART_RE.split(category.rsplit(">", 1)[-1])) if h)


def kind_index(products: list[tuple[str, str]]) -> dict[str, list[int]]:
    """Kind stem -> rows of the (title, category) pairs that hold it."""
    index: dict[str, list[int]] = {}
    for row, (title, category) in enumerate(products):
        for word in kind_words(title, category):
            index.setdefault(word, []).append(row)
    return index


@lru_cache(maxsize=1 << 16)
def text_words(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


def deletions(term: str) -> set[str]:
    return {term[:i] + term[i + 1 :] for i in range(len(term))}


class BM25Index:
    def __init__(self, documents: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(documents)
        tokenized = [tokenize(doc) for doc in documents]
        vocabulary: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        for row, tokens in enumerate(tokenized):
            for term, count in Counter(tokens).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                tfs.append(count)
        lengths = np.array([len(tokens) for tokens in tokenized], dtype=np.float32)
        average = float(lengths.mean()) if self.size else 1.0
        tf = np.array(tfs, dtype=np.float32)
        df = np.bincount(np.array(cols, dtype=np.int64), minlength=len(vocabulary)).astype(np.float32)
        idf = np.log1p((self.size - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths[np.array(rows, dtype=np.int64)] / max(average, 1e-6))
        weights = idf[np.array(cols, dtype=np.int64)] * tf * (k1 + 1) / (tf + norm)
        self.matrix = sparse.csc_matrix((weights, (rows, cols)), shape=(self.size, len(vocabulary)))
        self.vocabulary = vocabulary
        self.document_frequency = df
        # Deletion neighbourhoods give edit-distance-1 typo correction in O(len(term)) look-ups.
        self.near: dict[str, list[str]] = defaultdict(list)
        for term in vocabulary:
            if len(term) >= 4 and term.isalpha():
                for variant in deletions(term) | {term}:
                    self.near[variant].append(term)

    def correct(self, token: str) -> str | None:
        """The most common indexed term one edit away from an unknown query token, if any.

        An ordinary English word the shop's texts never use is not a typo: "book" in a shop without books stays
        unknown rather than becoming "cook" (that would recommend cookware for a book)."""
        if token in self.vocabulary:
            return token
        if len(token) < 4 or not token.isalpha() or is_english(token):
            return None
        candidates = {t for variant in deletions(token) | {token} for t in self.near.get(variant, [])
                      if t[0] == token[0] and edit_distance_1(token, t)}  # typos keep the first letter
        if not candidates:
            return None
        return max(candidates, key=lambda t: (self.document_frequency[self.vocabulary[t]], t))

    def query_terms(self, query: str) -> list[int]:
        terms = []
        for token in dict.fromkeys(tokenize(query)):
            corrected = self.correct(token)
            if corrected is not None:
                terms.append(self.vocabulary[corrected])
        return list(dict.fromkeys(terms))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document (zeros where no query term occurs)."""
        terms = self.query_terms(query)
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.matrix[:, terms].sum(axis=1)).ravel()

