"""Decide: what the assistant does with this turn, given what the message says and what the conversation holds.

Rules a shopper would expect: ask one clarifying question only when a request is too broad to rank
well (many matching products and a key wish missing) and never twice for one request; "just show me
something" gets products; everything else maps straight from the intent.
"""

from __future__ import annotations

from enum import Enum

from assistant.state import DialogueState, Intent, Preferences, Understanding

CLARIFY_ABOVE = 12  # matching products beyond which a request without budget, use or features is too broad


class Action(str, Enum):
    CLARIFY = "clarify"
    RECOMMEND = "recommend"
    COMPARE = "compare"
    PRODUCT_ANSWER = "product_answer"
    FAQ_ANSWER = "faq_answer"
    ORDER_STATUS = "order_status"
    CART_ADD = "cart_add"
    CART_REMOVE = "cart_remove"
    CART_SHOW = "cart_show"
    GREET = "greet"
    OUT_OF_SCOPE = "out_of_scope"
    HANDOFF = "handoff"
    EMPTY = "empty"


def key_wish_missing(prefs: Preferences) -> str | None:
    """The one question that would narrow the request most, or None when it is specific enough."""
    if prefs.category is None and not prefs.kind:
        return "category"
    if prefs.budget_max is None and prefs.budget_min is None and not prefs.must_have and not prefs.use_case and not prefs.brands:
        return "budget_or_use"
    return None


def should_clarify(just_show: bool, state: DialogueState, matching: int) -> str | None:
    """What to ask about, if anything. `state` already holds this turn's preferences; `just_show`: the shopper
    said "just show me something" (`Cues.just_show`)."""
    if state.asked_clarification or just_show or matching <= CLARIFY_ABOVE:
        return None
    return key_wish_missing(state.preferences)


def action_for(understanding: Understanding) -> Action:
    """The action an intent leads to when no clarifying question is needed."""
    intent = understanding.intent
    if intent == Intent.CART:
        return {"add": Action.CART_ADD, "remove": Action.CART_REMOVE}.get(understanding.cart_action or "", Action.CART_SHOW)
    return {
        Intent.RECOMMEND: Action.RECOMMEND,
        Intent.REFINE: Action.RECOMMEND,
        Intent.COMPARE: Action.COMPARE,
        Intent.PRODUCT_QUESTION: Action.PRODUCT_ANSWER,
        Intent.FAQ: Action.FAQ_ANSWER,
        Intent.ORDER_STATUS: Action.ORDER_STATUS,
        Intent.CHITCHAT: Action.GREET,
        Intent.OUT_OF_SCOPE: Action.OUT_OF_SCOPE,
        Intent.HUMAN: Action.HANDOFF,
    }[intent]
