"""Constrained decoding of the understanding JSON: the model may only write what `understand.from_json` accepts.

At every step the model's own best token is taken if the text stays a valid beginning of an
understanding object for this shop and this conversation: a known intent and key, one of the shop's
categories, attribute names and brands, a position or id of a product shown, a number where a
number goes. Otherwise its next best token is tried (the `top_k` most likely, best first). This
is the grammar-guided decoding of vLLM and llama.cpp, cut to the one small format the engine reads,
so the output always parses. The model still chooses every value; only impossible ones are barred.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.state import Intent

MAX_FREE_STRING = 80  # characters of a use case, recipient, order id or email
MAX_NUMBER = 10  # characters of a number
MAX_KEYS = 6  # beside the intent; training targets have at most 4 (and lists of at most 2)
MAX_ITEMS = 4  # entries of a list or an attribute object: keeps an answer short enough to finish in its token budget
FORBIDDEN = set('\\\n<>{}|')  # in a string: no escapes, and no chat-template tokens ("<|im_end|>") smuggled in
TEXT_KEYS = ("use_case", "recipient")
IDENTIFIER_KEYS = ("order_id", "email")
ATTRIBUTE_KEYS = ("must_have", "excluded")
BRAND_KEYS = ("brands", "avoid_brands")
KEYS = ("category", "budget_min", "budget_max", *ATTRIBUTE_KEYS, *BRAND_KEYS, *TEXT_KEYS, "refs", "cart_action", *IDENTIFIER_KEYS, "reset")


@dataclass
class Schema:
    """What this shop and this conversation allow in an understanding."""

    categories: list[str]
    attributes: list[str]
    brands: list[str]
    shown: list[str] = field(default_factory=list)  # product ids shown, in order (refs: 1..n or these ids)
    identifiers: list[str] = field(default_factory=list)  # order ids and emails in the message: none, no such keys
    intents: list[str] = field(default_factory=lambda: [i.value for i in Intent])


class Invalid(Exception):
    """The text cannot start a valid understanding."""


class Incomplete(Exception):
    """The text is a valid beginning; more must follow."""


class Reader:
    """A recursive-descent reader of one understanding object that tells a valid prefix from an invalid one."""

    def __init__(self, text: str, schema: Schema) -> None:
        self.text, self.schema, self.at = text, schema, 0

    def peek(self) -> str:
        if self.at >= len(self.text):
            raise Incomplete
        return self.text[self.at]

    def space(self) -> None:
        if self.at < len(self.text) and self.text[self.at] == " ":  # at most one: no runs of blanks
            self.at += 1

    def literal(self, word: str) -> None:
        for char in word:
            if self.peek() != char:
                raise Invalid
            self.at += 1

    def string(self, options: list[str] | None = None) -> str:
        """A quoted string: one of `options`, or free text without escapes or quotes (what the format needs)."""
        self.literal('"')
        start = self.at
        while True:
            if self.at >= len(self.text):
                partial = self.text[start:]
                if options is not None and not any(o.startswith(partial) for o in options):
                    raise Invalid
                raise Incomplete
            char = self.text[self.at]
            if char == '"':
                value = self.text[start:self.at]
                self.at += 1
                if options is not None and value not in options or options is None and not value.strip():
                    raise Invalid
                return value
            if char in FORBIDDEN or self.at - start >= MAX_FREE_STRING:
                raise Invalid
            self.at += 1

    def number(self) -> None:
        start = self.at
        while self.at < len(self.text) and (self.text[self.at].isdigit() or self.text[self.at] == "."):
            self.at += 1
        digits = self.text[start:self.at]
        if not digits or digits.count(".") > 1 or digits.startswith(".") or len(digits) > MAX_NUMBER:
            raise Invalid if digits or self.at < len(self.text) else Incomplete
        if self.at >= len(self.text):
            raise Incomplete  # "12" may go on to "129"
        if digits.endswith("."):
            raise Invalid

    def one_of(self, readers: dict[str, Any]) -> None:
        """The value whose first character comes next: '"' a string, '{' an object, '[' a list, a digit a number."""
        first = self.peek()
        kind = '0' if first.isdigit() else first
        if kind not in readers:
            raise Invalid
        readers[kind]()

    def sequence(self, open_: str, close: str, item: Any, most: int = MAX_ITEMS) -> None:
        """`open_` up to `most` items separated by ", " `close`; may be empty."""
        self.literal(open_)
        if self.peek() == close:
            self.at += 1
            return
        for count in range(1, most + 1):
            item()
            if self.peek() == close:
                self.at += 1
                return
            if count == most:
                raise Invalid
            self.literal(",")
            self.space()

    def member(self, used: set[str], keys: list[str], value: Any) -> None:
        key = self.string([k for k in keys if k not in used])
        used.add(key)
        self.literal(":")
        self.space()
        value(key)

    # ---- the values of each key -------------------------------------------------------------------
    def attribute_value(self) -> None:
        def bound() -> None:
            used: set[str] = set()
            self.sequence("{", "}", lambda: self.member(used, ["min", "max"], lambda _: self.number()))

        self.one_of({'"': lambda: self.string(), "{": bound, "0": self.number, "t": lambda: self.literal("true"),
                     "f": lambda: self.literal("false"), "[": lambda: self.sequence("[", "]", lambda: self.string())})

    def ref(self) -> None:
        positions = [str(n) for n in range(1, len(self.schema.shown) + 1)]
        if self.peek() == '"':
            self.string(self.schema.shown)
            return
        start = self.at
        while self.at < len(self.text) and self.text[self.at].isdigit():
            self.at += 1
        digits = self.text[start:self.at]
        if not digits or not any(p.startswith(digits) for p in positions):
            raise Invalid
        if self.at >= len(self.text):
            raise Incomplete
        if digits not in positions:
            raise Invalid

    def value(self, key: str) -> None:
        schema = self.schema
        if key == "category":
            self.string(schema.categories)
        elif key in ("budget_min", "budget_max"):
            self.number()
        elif key in ATTRIBUTE_KEYS:
            used: set[str] = set()
            self.sequence("{", "}", lambda: self.member(used, schema.attributes, lambda _: self.attribute_value()))
        elif key in BRAND_KEYS:
            self.sequence("[", "]", lambda: self.string(schema.brands))
        elif key in TEXT_KEYS:
            self.string()
        elif key in IDENTIFIER_KEYS:
            self.string(schema.identifiers)  # copied, never made up ("which should I get" has no order id)
        elif key == "refs":
            self.sequence("[", "]", self.ref)
        elif key == "cart_action":
            self.string(["add", "remove", "show"])
        else:  # reset
            self.one_of({"t": lambda: self.literal("true"), "f": lambda: self.literal("false")})

    def understanding(self) -> None:
        self.literal('{"intent":')
        self.space()
        self.string(self.schema.intents)
        used: set[str] = set()
        keys = [k for k in KEYS if (k != "refs" or self.schema.shown) and (k not in IDENTIFIER_KEYS or self.schema.identifiers)]
        while self.peek() != "}":
            if len(used) == MAX_KEYS:
                raise Invalid
            self.literal(",")
            self.space()
            self.member(used, keys, self.value)
        self.at += 1
        if self.at != len(self.text):
            raise Invalid  # nothing after the object


def check(text: str, schema: Schema) -> str:
    """"complete", "partial" (a valid beginning) or "invalid"."""
    try:
        Reader(text, schema).understanding()
    except Incomplete:
        return "partial"
    except Invalid:
        return "invalid"
    return "complete"


class JsonConstraint:
    """A transformers logits processor: each row of the batch keeps to its schema (left-padded prompts of one length).
    Other runtimes call `choose` once per step.

    `pieces[t]` is the text of token t alone; GPT-2 style byte-level tokens of plain ASCII, which is all the
    format needs, concatenate to the decoded text. A row whose text is complete may only end."""

    def __init__(self, schemas: list[Schema], prompt_length: int, pieces: list[str], eos_id: int,
                 top_k: tuple[int, ...] = (64, 4096, 1 << 20)) -> None:
        self.schemas, self.prompt_length, self.pieces, self.eos_id, self.top_k = schemas, prompt_length, pieces, eos_id, top_k

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        allowed = torch.full_like(scores, float("-inf"))
        order = scores.argsort(dim=-1, descending=True)
        for row, schema in enumerate(self.schemas):
            allowed[row, self.choose(input_ids[row, self.prompt_length:].tolist(), schema, order[row])] = 0.0
        return scores + allowed

    def choose(self, tokens: list[int], schema: Schema, ranked: Any) -> int:
        """The next token after `tokens` (the answer so far), given the model's tokens best first (`ranked`)."""
        if self.eos_id in tokens:  # finished: generate keeps padding it
            return self.eos_id
        text = "".join(self.pieces[t] for t in tokens)
        if check(text, schema) == "complete":
            return self.eos_id
        return self.best_fit(text, schema, ranked)

    def best_fit(self, text: str, schema: Schema, ranked: Any) -> int:
        """The likeliest token that keeps `text` valid: among the first few, then (rarely: a forced stretch such
        as the opening of the object for a model that never saw the format) further down, at worst the whole
        vocabulary. None fits (cannot happen for a complete tokenizer): stop, and the rules read the message."""
        start = 0
        for limit in self.top_k:
            for token in ranked[start:limit].tolist():
                if token != self.eos_id and check(text + self.pieces[token], schema) != "invalid":
                    return token
            start = limit
        return self.eos_id
