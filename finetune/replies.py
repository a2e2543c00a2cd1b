"""Labelled reply examples for the dialogue LLM: a fact sheet -> the short reply it writes.

The sheets are real: each labelled understanding example (finetune.understanding) is acted on by
the engine itself (`Assistant.act`: retriever, scorer, policy), so recommendations, clarifying
questions, policy answers, greetings and hand-offs look exactly as they will in the app. The target
is the conversational part only, one or two sentences: the LLM leads in, restates what was asked
(or says that nothing matches all of it), asks the sheet's question, or introduces the cited policy.
Product lines with prices and reasons, and policy text with its [id], are appended by the templates
from the same sheet (`writer.covered`), because a 135M model on a CPU writes about 12 tokens a
second and must not retype figures. Train and test targets use disjoint phrasings.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass

from assistant import writer
from assistant.engine import Assistant
from assistant.factsheet import FactSheet
from assistant.policy import Action
from finetune.understanding import Example

# (train phrasings, test phrasings) for each situation; {n} picks, {wishes}, {missing}, {ask}, {policy}, {shop}.
LEADS: dict[str, tuple[list[str], list[str]]] = {
    "picks": (["Here are {n} picks for {wishes}:", "I found {n} good options for {wishes}:", "Sure! These {n} fit {wishes}:",
               "Great choice. My top {n} for {wishes}:", "Happy to help. Here are {n} matches for {wishes}:"],
              ["Good news: {n} products match {wishes}:", "These {n} are worth a look for {wishes}:"]),
    "pick": (["Here is my top pick for {wishes}:", "I found one great match for {wishes}:", "This one fits {wishes}:"],
             ["One product matches {wishes}:"]),
    "popular": (["Here are {n} popular picks from the shop:", "Sure! A few favourites from our range:"],
                ["These {n} are popular with shoppers:"]),
    "relaxed": (["Nothing matches all of that ({missing}), but here are the {n} closest options:",
                 "I couldn't find an exact match ({missing}). These {n} come closest, though they may not meet every wish:"],
                ["No exact match for {missing}, so here are the {n} nearest alternatives:"]),
    "none": (["Sorry, nothing matches {wishes} right now. Could you loosen the budget, brand or a feature?",
              "I couldn't find anything for {wishes}. Would you like to relax one of those wishes?"],
             ["Nothing in stock fits {wishes} at the moment. Can you loosen one wish, such as the budget?"]),
    "clarify": (["Happy to help! {ask}", "Sure. {ask}", "Good idea. {ask}", "Let's find the right one. {ask}"],
                ["I can help with that. {ask}"]),
    "policy": (["Here's our policy on that:", "Good question. Here is what our help page \"{policy}\" says:",
                "Sure, this is covered in \"{policy}\":"],
               ["Here is the answer from our help pages:"]),
    "no_policy": (["Sorry, I couldn't find that in our help pages. Our customer service team can answer it: just ask me for a person."],
                  ["I don't have that in our help pages, but our customer service team can help if you ask for a person."]),
    "handoff": (["Of course. Here's how to reach our team:", "No problem, I'll point you to a person who can help:"],
                ["Sure, our customer service team can take it from here:"]),
    "greet": (["Hi! Welcome to {shop}. I can find products, compare them, check an order or answer questions about "
               "shipping and returns. What are you shopping for?",
               "Hello! I'm the {shop} assistant. What can I help you find today?"],
              ["Hey there! What are you looking for at {shop} today?"]),
    "thanks": (["You're welcome! Anything else I can help you find?", "Glad I could help. Anything else?"],
               ["My pleasure! Let me know if you need anything else."]),
}


@dataclass
class ReplyExample:
    sheet: FactSheet
    target: str
    situation: str
    split: str

    def messages(self, shop_name: str) -> list[dict[str, str]]:
        """The chat the LLM is trained on: the writer's own prompt, then the target."""
        return writer.messages(self.sheet, shop_name) + [{"role": "assistant", "content": self.target}]


def situation(sheet: FactSheet) -> str | None:
    """Which kind of lead-in the sheet calls for; None where the reply is template-only."""
    if sheet.action not in writer.LLM_ACTIONS or sheet.has_note("not_carried"):
        return None
    if sheet.action == Action.RECOMMEND:
        n = len(sheet.products)
        return "none" if n == 0 else "relaxed" if sheet.relaxed else ("picks" if n > 1 else "pick") if sheet.wishes else "popular"
    if sheet.action == Action.CLARIFY:
        return "clarify" if sheet.question else None
    if sheet.action == Action.FAQ_ANSWER:
        return "policy" if sheet.faq else "no_policy"
    if sheet.action == Action.HANDOFF:
        return "handoff"
    return "thanks" if sheet.has_note("thanks") else "greet"


def lead_in(sheet: FactSheet, kind: str, split: str, shop_name: str, rng: random.Random) -> str:
    train, test = LEADS[kind]
    text = rng.choice(train if split == "train" else test)
    return text.format(n=len(sheet.products), wishes=", ".join(sheet.wishes), missing=", ".join(sheet.relaxed),
                       ask=sheet.question or "", policy=sheet.faq[0].question if sheet.faq else "", shop=shop_name)


def build_replies(assistant: Assistant, examples: list[Example], seed: int = 17, progress=None) -> list[ReplyExample]:
    """Act on each labelled example with the engine and pair its sheet with a target lead-in."""
    rng = random.Random(seed)
    shop = assistant.current_shop()
    replies = []
    for example in (progress(examples) if progress else examples):
        state = copy.deepcopy(example.state)
        sheet = assistant.act(shop, state, example.label, example.message)
        kind = situation(sheet)
        if kind is not None:
            replies.append(ReplyExample(sheet, lead_in(sheet, kind, example.split, assistant.config.shop_name, rng), kind,
                                        example.split))
    return replies
