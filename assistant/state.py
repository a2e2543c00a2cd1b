"""The typed state of a conversation, passed between the steps of a turn and persisted per session.

understand -> Understanding (what this message says)
DialogueState (what the whole conversation has established) = previous state + Understanding
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

from assistant import measures


class Intent(str, Enum):
    RECOMMEND = "recommend"  # browse / "I need running shoes"
    REFINE = "refine"  # "cheaper", "in black", "not Kestrel"
    COMPARE = "compare"  # "compare the first two"
    PRODUCT_QUESTION = "product_question"  # "is the second one waterproof?"
    FAQ = "faq"  # returns, shipping, payment, warranty...
    ORDER_STATUS = "order_status"
    CART = "cart"  # add / remove / show
    CHITCHAT = "chitchat"
    OUT_OF_SCOPE = "out_of_scope"
    HUMAN = "human"  # hand-off to a person


@dataclass
class Preferences:
    """What the shopper wants. Attribute values: a scalar, a list (any of), or {"min": x, "max": y}."""

    category: str | None = None
    budget_min: float | None = None
    budget_max: float | None = None
    must_have: dict[str, Any] = field(default_factory=dict)
    excluded: dict[str, Any] = field(default_factory=dict)  # attribute -> value(s) the shopper rejects
    brands: list[str] = field(default_factory=list)
    avoid_brands: list[str] = field(default_factory=list)
    use_case: str | None = None
    recipient: str | None = None
    kind: list[str] = field(default_factory=list)  # the product type in the shopper's words ("lawn mowers"), any of
    words: list[str] = field(default_factory=list)  # words the product's text should hold ("wireless"): given up first
    measures: list[str] = field(default_factory=list)  # amounts the product's text should state ("1 kg", "65 inch")

    def merged_with(self, update: "Preferences") -> "Preferences":
        """Later statements win; attribute and brand wishes accumulate."""
        merged = Preferences(**asdict(self))
        for item in fields(Preferences):
            value = getattr(update, item.name)
            if isinstance(value, dict):
                setattr(merged, item.name, {**getattr(merged, item.name), **value})
            elif isinstance(value, list):
                setattr(merged, item.name, list(dict.fromkeys(getattr(merged, item.name) + value)))
            elif value is not None:
                setattr(merged, item.name, value)
        merged.measures = measures.merge(self.measures, update.measures)
        # Saying "not Kestrel" after "Kestrel please" removes it from the wanted brands, and vice versa.
        merged.brands = [b for b in merged.brands if b.lower() not in {a.lower() for a in update.avoid_brands}]
        merged.avoid_brands = [b for b in merged.avoid_brands if b.lower() not in {a.lower() for a in update.brands}]
        return merged

    def is_empty(self) -> bool:
        return self == Preferences()


@dataclass
class Cues:
    """What else a message says, read once by the rules (`rules.cues`), for the steps after `understand`."""

    is_question: bool = False  # put as a question
    asks: list[str] = field(default_factory=list)  # facts a question about a product asks for: price, stock, rating, currency
    quantity: int | None = None  # how many, for the cart ("2 pairs")
    just_show: bool = False  # "just show me something": no clarifying question
    language: str = "en"  # "other": written mostly in another language than English
    cut: bool = False  # longer than the rules read (`rules.MAX_CHARS`): only its start was read
    refusal: str = ""  # the kind of request the assistant declines (assistant/refusals.py)
    maybe_policy: bool = False  # may be a policy question the intent does not say (`understand.maybe_policy_question`)


@dataclass
class Understanding:
    """The structured reading of one user message (from the LLM, or the rule-based parser)."""

    intent: Intent
    preferences: Preferences = field(default_factory=Preferences)
    product_refs: list[str] = field(default_factory=list)  # product ids the message points at
    cart_action: str | None = None  # "add" | "remove" | "show"
    order_id: str | None = None
    email: str | None = None
    reset_preferences: bool = False  # "actually, show me headphones instead"
    exclude_shown: bool = False  # "anything else?", "they look ugly": the same wishes, not the products shown
    no_rate: str = ""  # a budget in a currency the shop has no rate for ("around 1000 NOK"): its code, to ask again
    question: str = ""  # the message as a policy question (`spelling.question_words`): what picks the FAQ entry
    source: str = "rules"  # "llm" or "rules"
    guessed: bool = False  # the rules matched no specific pattern (a weak cue, or only the default reading)
    remark: str = ""  # small talk the message is (`rules.remark`): closing, thanks, hello, how_are_you, declined, liked, brief
    cues: Cues = field(default_factory=Cues)
    # A question about products: what it asks of each product referred to or shown, its own name's words left out
    # ("tell me about the PL-660 earbuds" asks nothing about being earbuds). Absent: `preferences`.
    asked_of: dict[str, Preferences] = field(default_factory=dict)


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    content: str
    product_ids: list[str] = field(default_factory=list)  # products shown in this assistant turn


@dataclass
class DialogueState:
    session_id: str
    preferences: Preferences = field(default_factory=Preferences)
    shown: list[str] = field(default_factory=list)  # products in the last recommendation, in order
    seen: list[str] = field(default_factory=list)  # every product shown for the current request ("anything else?")
    last_entry: str | None = None  # the FAQ entry the last reply quoted: not quoted again straight after...
    last_question: str = ""  # ...unless the same question is asked again
    cart: dict[str, int] = field(default_factory=dict)  # product id -> quantity
    history: list[Turn] = field(default_factory=list)
    asked_clarification: bool = False  # we asked one question for the current request already
    request: str = ""  # the shopper's words for the current search (refinements keep it)
    order_id: str | None = None  # an order lookup waiting for its other half (id or email)
    order_email: str | None = None
    order_failures: int = 0  # wrong id/email pairs so far: lookups stop after a few (no guessing others' orders)
    said_missing: list[str] = field(default_factory=list)  # each time a reply said "we don't carry" it: what
    asked_anything_else: bool = False  # our last reply only asked whether there is anything else: "no" ends it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DialogueState":
        return cls(
            session_id=data["session_id"],
            preferences=Preferences(**data.get("preferences", {})),
            shown=list(data.get("shown", [])),
            seen=list(data.get("seen", [])),
            last_entry=data.get("last_entry"),
            last_question=str(data.get("last_question", "")),
            cart={str(k): int(v) for k, v in data.get("cart", {}).items()},
            history=[Turn(**turn) for turn in data.get("history", [])],
            asked_clarification=bool(data.get("asked_clarification", False)),
            request=str(data.get("request", "")),
            order_id=data.get("order_id"),
            order_email=data.get("order_email"),
            order_failures=int(data.get("order_failures", 0)),
            said_missing=[str(kind) for kind in data.get("said_missing", [])],
            asked_anything_else=bool(data.get("asked_anything_else", False)),
        )
