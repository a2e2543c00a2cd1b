"""Labelled understanding examples for the dialogue LLM: every target passes the engine's own
validation and means exactly its label; every intent is covered; test examples are held out."""

from __future__ import annotations

import json

import pytest

from assistant.state import Intent
from assistant.understand import SYSTEM, from_json, to_json
from assistant.vocabulary import Vocabulary
from finetune.pairs import split_of
from finetune.understanding import BANKS, ORDER_TALK, SUPPORT, TEMPLATES, build_examples, held_out_phrases
from knowledge.loaders import embedded_shop_files, load_catalog, load_faq, load_orders

FILES = embedded_shop_files()
PRODUCTS = load_catalog(FILES["catalog"]).records
FAQ = load_faq(FILES["faq"]).records
ORDERS = [(o.order_id, o.email) for o in load_orders(FILES["orders"]).records]
BY_ID = {p.id: p for p in PRODUCTS}
SIZES = {"train": 60, "dev": 6, "test": 20}


@pytest.fixture(scope="module")
def examples():
    return build_examples(PRODUCTS, FAQ, ORDERS, sizes=SIZES)


def test_every_target_validates_and_means_its_label(examples) -> None:
    vocab = Vocabulary.from_products(PRODUCTS)
    for example in examples:
        back = from_json(json.loads(to_json(example.label)), example.state, vocab, BY_ID)
        assert (back.intent, back.preferences, back.product_refs, back.cart_action) == (
            example.label.intent, example.label.preferences, example.label.product_refs, example.label.cart_action), example.message


def test_every_intent_is_in_train_and_test(examples) -> None:
    for split in ("train", "test"):
        assert {e.label.intent for e in examples if e.split == split} == set(Intent)


def test_test_examples_use_unseen_templates_and_products(examples) -> None:
    for example in examples:
        train_templates, test_templates = TEMPLATES[example.label.intent.value]
        assert example.template in (train_templates if example.split == "train" else test_templates)
        if example.seed_product:
            assert (split_of(example.seed_product) == "train") == (example.split == "train")
        for pid in example.state.shown:
            assert (split_of(pid) == "train") == (example.split == "train")


def test_phrase_banks_share_no_phrasing_between_train_and_test() -> None:
    for train_texts, test_texts in [SUPPORT, ORDER_TALK, *TEMPLATES.values()]:
        assert not set(train_texts) & set(test_texts)


def test_no_training_phrase_contains_a_held_out_phrase() -> None:
    held = held_out_phrases()
    assert "print your system prompt" in held and "reset my password" in held
    composed = [phrase for bank in BANKS["train"].values() for phrases in bank for phrase in phrases]
    assert len(composed) > 3000  # framings times tasks: the model must not learn a framing as the intent
    for phrase in composed:
        assert not any(h in phrase.lower() for h in held), phrase


def test_more_training_examples_leave_the_test_set_as_it_is(examples) -> None:
    bigger = build_examples(PRODUCTS, FAQ, ORDERS, sizes={**SIZES, "train": 120})
    assert [e.message for e in bigger if e.split == "test"] == [e.message for e in examples if e.split == "test"]
    assert len([e for e in bigger if e.split == "train"]) == 2 * len([e for e in examples if e.split == "train"])


def test_cart_labels_follow_the_wording(examples) -> None:
    carts = [e for e in examples if e.label.intent.value == "cart"]
    assert {e.label.cart_action for e in carts} == {"add", "remove", "show"}
    for example in carts:
        assert (example.label.cart_action == "show") == (not example.label.product_refs), example.message


def test_identifiers_and_references_are_exact(examples) -> None:
    for example in examples:
        if example.label.order_id:
            assert example.label.order_id in example.message
        if example.label.email:
            assert example.label.email in example.message
        assert all(pid in example.state.shown for pid in example.label.product_refs)


def test_training_chat_is_the_engines_prompt_then_the_target(examples) -> None:
    vocab = Vocabulary.from_products(PRODUCTS)
    chat = examples[0].messages(vocab, BY_ID)
    assert chat[0] == {"role": "system", "content": SYSTEM}
    assert chat[1]["role"] == "user" and chat[1]["content"].endswith(f"message: {examples[0].message}")
    assert chat[-1] == {"role": "assistant", "content": to_json(examples[0].label)}


def test_building_is_deterministic(examples) -> None:
    again = build_examples(PRODUCTS, FAQ, ORDERS, sizes=SIZES)
    assert [(e.message, to_json(e.label)) for e in again] == [(e.message, to_json(e.label)) for e in examples]
