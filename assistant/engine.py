"""One turn of dialogue: understand -> decide -> retrieve and score -> fact sheet -> reply -> check -> save.

`Assistant.stream(session_id, message)` yields the reply text as it is written and then a `Reply`
with the products, score parts and state; `Assistant.reply` is the same without streaming. Turns of
one session run one at a time (a lock per session in the process, a lease in the SQLite file across
processes), so two requests cannot overwrite each other.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

import numpy as np

from assistant import metrics, rules
from assistant.config import Settings
from assistant.currency import money
from assistant.embeddings import embed
from assistant.factsheet import CartLine, FactSheet, faq_fact, product_fact, quotable_attributes
from assistant.filters import ProductFilter
from assistant.llm import ChatModel, LLMConfig, configured_llm
from assistant.policy import Action, action_for, should_clarify
from assistant.reasons import describe_value, wish_text
from assistant.recommend import count_matching, filters_for, kind_stems, recommend
from assistant.retriever import likely_categories, search_faq
from assistant.scorer import Relevance, ScorerConfig, relevance_for
from assistant.sessions import SessionStore
from assistant.shop import LiveShop, Shop
from assistant.spelling import question_words
from assistant.state import DialogueState, Intent, Preferences, Understanding
from assistant.understand import understand
from assistant.vocabulary import Vocabulary
from assistant.writer import Writer
from knowledge.schema import FaqEntry

MAX_ORDER_ATTEMPTS = 5
# Cosine similarity to the closest policy entry above which an unrouted question is answered from the FAQ.
# On knowledge/eval the closest entry scores 0.64 median for policy queries, 0.28 for product ones (0.55 at
# the 95th percentile). Small talk that is not a greeting has nothing better to get, so its bar is lower.
POLICY_SIMILARITY = {Intent.CHITCHAT: 0.30}
POLICY_SIMILARITY_DEFAULT = 0.50
# An entry is the answer only this close (MiniLM cosine). Real support requests (shared data, 270 of them): right
# entries mostly score 0.49 and above, requests no entry answers mostly below 0.43 (reports/realworld.md).
FAQ_CONFIDENT = 0.45
FAQ_NEAREST = 3
MAX_COMPARE = 4
MAX_ANSWERED = 3  # a question about "it" with this many products shown is answered for each of them
MAX_SEEN = 60  # products remembered as shown for one request: "anything else?" many times over still moves on
MAX_QTY = 10
MAX_SAID = 20  # "we don't carry" replies remembered per conversation
REQUEST_CHARS = 300
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


FAQ_SENTENCE_WORDS = 4  # shorter answer sentences ("Yes.") say nothing on their own


def faq_views(entry: FaqEntry) -> list[str]:
    """What a question is compared with: the entry's question, its question with the start of its answer, and its
    question with each sentence of its answer. The answer's words catch questions phrased unlike the title ("is
    support open on sundays" -> "How can I contact a person?"), and one sentence of a long answer ("the $5 fee after
    the first hour") is not drowned by the rest."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", entry.answer) if len(s.split()) >= FAQ_SENTENCE_WORDS]
    return [entry.question, f"{entry.question} {entry.answer[:300]}"] + [f"{entry.question} {s}" for s in sentences]


@dataclass
class AssistantConfig:
    shop_name: str = "our shop"
    picks: int = 3  # products per recommendation


@dataclass
class Reply:
    session_id: str
    text: str
    action: str
    products: list[dict[str, Any]] = field(default_factory=list)  # shown products with price, reasons, score parts
    turn_id: int | None = None
    understood_by: str = "rules"
    intent: str = ""
    rejected_drafts: int = 0  # LLM drafts the guard replaced
    cart: dict[str, int] = field(default_factory=dict)
    cart_total: float = 0.0
    preferences: dict[str, Any] = field(default_factory=dict)
    latency_ms: float = 0.0
    first_token_ms: float = 0.0
    sheet: FactSheet | None = field(default=None, repr=False)  # what the reply was written from (tests, reports)


def scrub(message: str) -> str:
    """Text every later step can take: a lone surrogate (the tokenizer raises on it) becomes "?", and control
    characters other than newline and tab (NUL, terminal escapes) become spaces."""
    return CONTROL_RE.sub(" ", message.encode("utf-8", "replace").decode("utf-8"))


def shop_sections(categories: dict[str, str], limit: int = 12) -> list[str]:
    """What the shop sells, in few words: the top level of its category paths ("grocery", "home & kitchen")."""
    tops = sorted({c.split(">")[0].strip().replace("_", " ") for c in categories})
    return tops[:limit] + (["and more"] if len(tops) > limit else [])


def wishes_in_words(prefs: Preferences, currency: str) -> list[str]:
    words = []
    if prefs.category:
        words.append(prefs.category.replace("_", " "))
    elif prefs.kind:
        words.append(" ".join(prefs.words + [" or ".join(prefs.kind)]))
    if prefs.budget_max is not None:
        words.append(f"under {money(prefs.budget_max, currency)}")
    if prefs.budget_min is not None:
        words.append(f"over {money(prefs.budget_min, currency)}")
    words += [wish_text(name, value) for name, value in prefs.must_have.items()] + list(prefs.measures)
    words += [f"not {wish_text(name, value)}" for name, value in prefs.excluded.items()]
    if prefs.brands:
        words.append(f"from {' or '.join(prefs.brands)}")
    if prefs.avoid_brands:
        words.append(f"not {' or '.join(prefs.avoid_brands)}")
    if prefs.use_case:
        words.append(f"for {prefs.use_case}")
    if prefs.recipient:
        words.append(f"for {prefs.recipient}")
    return words


class Assistant:
    def __init__(self, shop: LiveShop | Shop, sessions: SessionStore, llm: ChatModel | None = None,
                 scorer_config: ScorerConfig | None = None, relevance: Relevance | None = None,
                 config: AssistantConfig | None = None) -> None:
        self.shop_source = shop
        self.sessions = sessions
        self.llm = llm
        self.scorer_config = scorer_config or ScorerConfig.load()
        self.relevance = relevance or relevance_for(self.scorer_config)
        self.config = config or AssistantConfig()
        self.writer = Writer(llm if llm is not None and llm.role == "full" else None, self.config.shop_name)
        self._vocab: tuple[str, Vocabulary] | None = None
        self._faq_vectors: tuple[str, np.ndarray, np.ndarray] | None = None
        self._faq_last: tuple[str, str, np.ndarray] | None = None
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, llm_config: LLMConfig | None = None) -> "Assistant":
        """The assistant a process serves: the live shop, sessions in the data folder, the configured LLM."""
        llm_config = llm_config or LLMConfig.from_env()
        llm = configured_llm(llm_config)
        return cls(LiveShop(settings), SessionStore(settings.data_dir / "sessions.sqlite"), llm,
                   config=AssistantConfig(shop_name=settings.shop_name))

    def warm_up(self) -> None:
        """Load the embedding and relevance models now rather than in the first shopper's turn."""
        shop = self.current_shop()
        self.vocabulary(shop)
        search_faq(shop, "returns", k=1)
        self.relevance.score("warm up", shop.products[:2])

    # ---- public API ------------------------------------------------------------------------------
    def reply(self, session_id: str, message: str, understanding: Understanding | None = None) -> Reply:
        result = None
        for item in self.stream(session_id, message, understanding):
            if isinstance(item, Reply):
                result = item
        assert result is not None
        return result

    def stream(self, session_id: str, message: str, understanding: Understanding | None = None) -> Iterator[str | Reply]:
        """Text chunks as they are written, then the `Reply`. Raises SessionError for a malformed id.

        `understanding` skips reading the message: a button on the page ("add to cart", "compare") already
        says what it wants, and `message` is then the words stored for that turn."""
        try:
            for item in self._turn(session_id, message, understanding):
                if isinstance(item, Reply):
                    metrics.record_turn(item)
                yield item
        except Exception as error:
            metrics.record_error(str(session_id)[:80], error)
            raise

    def _turn(self, session_id: str, message: str, understanding: Understanding | None) -> Iterator[str | Reply]:
        start = time.perf_counter()
        message = scrub(message if isinstance(message, str) else "")
        with self._session_lock(session_id), self.sessions.turn_lease(session_id):
            shop = self.current_shop()
            state = self.sessions.load(session_id)
            sheet, understanding = self.plan(shop, state, message, understanding)
            chunks: list[str] = []
            first = 0.0
            for chunk in self.writer.write(sheet, shop):
                if not chunks:
                    first = (time.perf_counter() - start) * 1000
                chunks.append(chunk)
                yield chunk
            text = "".join(chunks)
            products = [vars(p) | {"reasons": list(p.reasons)} for p in sheet.products]
            meta = {"action": sheet.action.value, "intent": understanding.intent.value, "source": understanding.source,
                    "rejected_drafts": sheet.rejected_drafts, "scores": {p.id: p.parts for p in sheet.products}}
            turn_id = self.sessions.save_turn(state, message, text, [p.id for p in sheet.products], meta)
            yield Reply(session_id, text, sheet.action.value, products, turn_id, understanding.source, understanding.intent.value,
                        sheet.rejected_drafts, dict(state.cart), self.cart_sheet(shop, state).cart_total,
                        vars(state.preferences), (time.perf_counter() - start) * 1000, first, sheet)

    def press(self, session_id: str, button: str, product_ids: list[str]) -> Reply:
        """A button on the page or widget: "add" or "remove" one product, "compare" two to four. It is a turn of the
        conversation like a typed one (stored with words saying what was pressed). ValueError for a bad request."""
        shop = self.current_shop()
        ids = list(dict.fromkeys(product_ids))
        unknown = [pid for pid in ids if pid not in shop.by_id]
        if unknown:
            raise LookupError(f"unknown product {unknown[0]!r}")
        titles = [shop.by_id[pid].title for pid in ids]
        if button in ("add", "remove") and len(ids) == 1:
            words = f"Add {titles[0]} to my cart" if button == "add" else f"Remove {titles[0]} from my cart"
            return self.reply(session_id, words, Understanding(Intent.CART, product_refs=ids, cart_action=button, source="button"))
        if button == "compare" and 2 <= len(ids) <= MAX_COMPARE:
            return self.reply(session_id, "Compare " + " and ".join(titles), Understanding(Intent.COMPARE, product_refs=ids, source="button"))
        raise ValueError(f"{button!r} takes one product (add, remove) or two to {MAX_COMPARE} different ones (compare)")

    def current_shop(self) -> Shop:
        return self.shop_source.get() if isinstance(self.shop_source, LiveShop) else self.shop_source

    def vocabulary(self, shop: Shop) -> Vocabulary:
        if self._vocab is None or self._vocab[0] != shop.version:
            settings = shop.settings
            self._vocab = (shop.version, Vocabulary.from_products(shop.products, settings.shop_currency, settings.rates))
        return self._vocab[1]

    def faq_similarity(self, shop: Shop, question: str) -> np.ndarray:
        """Cosine similarity of a policy question (`Understanding.question`) to each of the shop's entries (the
        closest of several views of it)."""
        if self._faq_vectors is None or self._faq_vectors[0] != shop.version:
            views = [(row, text) for row, entry in enumerate(shop.faq) for text in faq_views(entry)]
            owners = np.array([row for row, _ in views], dtype=np.int64)
            self._faq_vectors = (shop.version, embed([text for _, text in views]), owners)  # unit vectors: dot = cosine
        words = question
        last = self._faq_last  # a turn asks twice (is it a policy question? which entry?): embed the message once
        if last is None or last[:2] != (shop.version, words):
            _, vectors, owners = self._faq_vectors
            best = np.full(len(shop.faq), -1.0, dtype=np.float32)
            np.maximum.at(best, owners, vectors @ embed([words])[0])
            last = self._faq_last = (shop.version, words, best)
        return last[2]

    def policy_similarity(self, shop: Shop, question: str) -> float:
        """Cosine similarity of the question to the closest of the shop's policy questions."""
        return float(self.faq_similarity(shop, question).max()) if shop.faq else 0.0

    def faq_answer(self, shop: Shop, question: str, last_entry: str | None = None) -> FactSheet:
        """The entry that answers the question, or, when none is close enough to be sure, the nearest topics to
        choose from (and a person): a wrong policy stated with confidence is worse than asking."""
        if not shop.faq:
            return FactSheet(Action.FAQ_ANSWER, notes=["no_entry"])
        similarity = self.faq_similarity(shop, question)
        order = np.argsort(-similarity)
        if similarity[order[0]] >= FAQ_CONFIDENT:
            entry = shop.faq[int(order[0])]
            if entry.id == last_entry:  # "I really want this free shipping :(": the policy was given; say so, not again
                return FactSheet(Action.FAQ_ANSWER, notes=["no_entry", f"repeat:{entry.question}"])
            return FactSheet(Action.FAQ_ANSWER, faq=[faq_fact(entry)])
        nearest = [shop.faq[int(i)].question for i in order[:FAQ_NEAREST]]
        return FactSheet(Action.FAQ_ANSWER, notes=["no_entry"] + [f"topic:{q}" for q in nearest])

    def _session_lock(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(session_id, threading.Lock())

    # ---- understand and decide -------------------------------------------------------------------
    def plan(self, shop: Shop, state: DialogueState, message: str,
             given: Understanding | None = None) -> tuple[FactSheet, Understanding]:
        """Read the message (unless `given` says what it wants), update `state`, and gather the facts of the reply."""
        state.shown = [pid for pid in state.shown if pid in shop.by_id]  # a re-ingest may have removed some
        if given is not None:
            sheet = self.act(shop, state, given, message)
            state.asked_anything_else = False
            sheet.currency = shop.settings.shop_currency
            return sheet, given
        if not message.strip():
            return FactSheet(Action.EMPTY), Understanding(Intent.CHITCHAT)
        vocab = self.vocabulary(shop)
        likely = (lambda: likely_categories(shop, message)) if self.llm is not None and self.llm.tuned else None
        u = understand(message, state, vocab, shop.by_id, self.llm, likely)
        bar = POLICY_SIMILARITY.get(u.intent, POLICY_SIMILARITY_DEFAULT)
        if not u.cues.is_question:
            # A remark ("oh, bad luck I suppose", "but I'm not quite sure what I want") is answered as one, unless an
            # entry clearly fits it: "not sure our help pages answer that" is no reply to something that asked nothing.
            thanks = u.intent == Intent.CHITCHAT and u.remark in ("thanks", "closing")
            bar = 1.0 if thanks else max(bar, FAQ_CONFIDENT)
        identifiers = bool(u.email or u.order_id)  # a message carrying an order id or email is about an order
        if not identifiers and u.cues.maybe_policy and self.policy_similarity(shop, u.question) >= bar:
            u = Understanding(Intent.FAQ, Preferences(category=u.preferences.category), source=u.source, question=u.question, cues=u.cues)
        if u.intent not in (Intent.ORDER_STATUS, Intent.OUT_OF_SCOPE) and identifiers and (state.order_id or state.order_email):
            u = replace(u, intent=Intent.ORDER_STATUS)  # the other half of a lookup in progress
        sheet = self.act(shop, state, u, message)
        sheet.currency = shop.settings.shop_currency
        if (missing := sheet.note_value("not_carried")) and not sheet.products:
            # Said before in this conversation: the reply says it in other words, not the same sentence again.
            if said := state.said_missing.count(missing):
                sheet.notes.append(f"said:{said}")
            state.said_missing = (state.said_missing + [missing])[-MAX_SAID:]
            sheet.categories = sheet.categories or shop_sections(vocab.categories)
        # What the next message answers: "no" to "anything else?" ends the conversation.
        state.asked_anything_else = sheet.action == Action.GREET and bool({"thanks", "ack:faq"} & set(sheet.notes))
        if u.no_rate:
            sheet.notes.append(f"no_rate:{u.no_rate}")
        if u.cues.language != "en":
            sheet.notes.append("language")
        if u.cues.cut:
            sheet.notes.append(f"long:{rules.MAX_CHARS}")
        return sheet, u

    def act(self, shop: Shop, state: DialogueState, u: Understanding, message: str) -> FactSheet:
        action = action_for(u)
        last_entry, state.last_entry = state.last_entry, None  # "straight after" only
        if action == Action.RECOMMEND:
            return self.recommend(shop, state, u, message)
        if action == Action.COMPARE:
            return self.compare(shop, state, u)
        if action == Action.PRODUCT_ANSWER:
            return self.product_answer(shop, state, u)
        if action == Action.FAQ_ANSWER:
            question = u.question or question_words(message)  # (a reading given from outside has none)
            sheet = self.faq_answer(shop, question, last_entry if question != state.last_question else None)
            state.last_entry, state.last_question = (sheet.faq[0].id if sheet.faq else None), question
            return sheet
        if action == Action.HANDOFF:
            hits = search_faq(shop, "contact customer service speak to a person", k=1)
            return FactSheet(action, faq=[faq_fact(shop.faq_by_id[h.id]) for h in hits])
        if action == Action.ORDER_STATUS:
            return self.order_status(shop, state, u)
        if action in (Action.CART_ADD, Action.CART_REMOVE, Action.CART_SHOW):
            return self.cart(shop, state, u, action)
        if action == Action.OUT_OF_SCOPE:
            return FactSheet(action, notes=[f"refuse:{u.cues.refusal}"] if u.cues.refusal else [])
        kinds = kind_stems(state.preferences.kind)
        missing = " or ".join(state.preferences.kind) if kinds and not count_matching(shop, ProductFilter(kinds=kinds)) else None
        return FactSheet(Action.GREET, notes=chat_notes(u.remark, state, missing, answered=last_entry is not None),
                         categories=shop_sections(self.vocabulary(shop).categories) if missing else [])

    # ---- recommend -------------------------------------------------------------------------------
    def recommend(self, shop: Shop, state: DialogueState, u: Understanding, message: str) -> FactSheet:
        asked = u.preferences
        # A new kind of product is a new request: the wishes of the last one do not carry over to it.
        fresh = u.reset_preferences or (u.intent == Intent.RECOMMEND and (
            (asked.category is not None and asked.category != state.preferences.category)
            or (bool(asked.kind) and asked.kind != state.preferences.kind)))
        vocab = self.vocabulary(shop)
        categories = shop_sections(vocab.categories)
        missing = None
        request = asked if fresh else state.preferences.merged_with(asked)
        kinds = kind_stems(request.kind)
        # A kind the shop's texts only mention ("Laptop Power Adapter", "Garlic Bread Mix") is not a kind it sells:
        # say so, and show what mentions it as related products, never as matches.
        only_mentioned = bool(kinds) and not any(vocab.heads.get(k) for k in kinds)
        if u.intent in (Intent.RECOMMEND, Intent.REFINE) and kinds and not count_matching(shop, ProductFilter(kinds=kinds)):
            missing = " or ".join(request.kind)
        if missing:
            # It stays the request: a budget or a question that follows is about it, not about anything else we sell.
            state.preferences, state.shown, state.seen = request, [], []
            state.request = message[:REQUEST_CHARS] if fresh else f"{state.request} {message}"[-REQUEST_CHARS:]
            return FactSheet(Action.RECOMMEND, notes=[f"not_carried:{missing}"], categories=categories)
        more = u.exclude_shown and u.intent == Intent.REFINE
        exclude = list(dict.fromkeys(state.seen + state.shown)) if more else []
        previous = state.preferences
        state.preferences = u.preferences if fresh else state.preferences.merged_with(u.preferences)
        if fresh or not state.request:
            state.request, state.asked_clarification, state.seen = message[:REQUEST_CHARS], False, []
        elif u.intent == Intent.RECOMMEND and not more:
            state.request = f"{state.request} {message}"[-REQUEST_CHARS:]
        unheard = []
        if state.preferences.words and not count_matching(shop, filters_for(state.preferences)):
            # The request's other words are a soft wish: when no product has them all, they only rank. Words no text
            # of the shop has at all ("robot" vacuum) are said to be unmet: its vacuums are not what was asked for.
            unheard = [w for w in state.preferences.words if not vocab.knows(w)]
            state.preferences = replace(state.preferences, words=[])
        prefs = state.preferences
        currency = shop.settings.shop_currency
        count = count_matching(shop, filters_for(prefs))
        question = None if only_mentioned or unheard else should_clarify(u.cues.just_show, state, count)
        if question and u.intent == Intent.RECOMMEND:
            state.asked_clarification = True
            text = (f"Happy to help! What kind of product are you looking for? We carry {', '.join(categories)}."
                    if question == "category" else
                    f"We have {count} {wishes_in_words(prefs, currency)[0]} in stock. What will you mainly use them for, "
                    "and do you have a budget in mind?")
            return FactSheet(Action.CLARIFY, question=text, wishes=wishes_in_words(prefs, currency))
        unmet = [" ".join(unheard + prefs.kind[:1])] if unheard else []
        if not fresh and self.price_step_too_far(shop, previous, prefs):
            # "cheaper" below the cheapest match: keep the budget they had, and say the lower one found nothing.
            unmet += [w for w in wishes_in_words(prefs, currency) if w not in wishes_in_words(previous, currency)]
            state.preferences = prefs = previous
        rec = recommend(shop, prefs, state.request, self.scorer_config, self.relevance, self.config.picks, exclude)
        if state.shown and [p.product.id for p in rec.picks] == state.shown:
            # The same list again, unasked: show what was not shown yet.
            rec = recommend(shop, prefs, state.request, self.scorer_config, self.relevance, self.config.picks, state.shown)
            exclude = state.shown
        if exclude and not rec.picks:  # or say that nothing new matches
            return FactSheet(Action.RECOMMEND, notes=["nothing_new"], wishes=wishes_in_words(prefs, currency))
        state.shown = [p.product.id for p in rec.picks]
        state.seen = list(dict.fromkeys(state.seen + state.shown))[-MAX_SEEN:]
        facts = [product_fact(p.product, p.price, currency, p.reasons, p.total, p.parts) for p in rec.picks]
        return FactSheet(Action.RECOMMEND, products=facts, wishes=wishes_in_words(prefs, currency),
                         relaxed=unmet + rec.relaxed,
                         notes=[f"not_carried:{' or '.join(prefs.kind)}"] if only_mentioned else ["others"] if exclude else [])

    @staticmethod
    def price_step_too_far(shop: Shop, previous: Preferences, prefs: Preferences) -> bool:
        """A new budget that leaves nothing, where the wishes before it left something."""
        changed = (previous.budget_max, previous.budget_min) != (prefs.budget_max, prefs.budget_min)
        return (changed and replace(previous, budget_max=prefs.budget_max, budget_min=prefs.budget_min) == prefs
                and count_matching(shop, filters_for(prefs)) == 0 and count_matching(shop, filters_for(previous)) > 0)

    # ---- product questions and comparison --------------------------------------------------------
    def referenced(self, shop: Shop, state: DialogueState, u: Understanding, limit: int) -> list[str]:
        refs = [r for r in u.product_refs if r in shop.by_id] or list(state.shown)
        return list(dict.fromkeys(refs))[:limit]

    def compare(self, shop: Shop, state: DialogueState, u: Understanding) -> FactSheet:
        ids = self.referenced(shop, state, u, MAX_COMPARE)
        currency = shop.settings.shop_currency
        facts = [product_fact(shop.by_id[i], shop.price_of(shop.by_id[i]), currency) for i in ids]
        return FactSheet(Action.COMPARE, products=facts if len(facts) >= 2 else [])

    def product_answer(self, shop: Shop, state: DialogueState, u: Understanding) -> FactSheet:
        ids = [r for r in u.product_refs if r in shop.by_id][:MAX_COMPARE]
        if not ids and len(state.shown) <= MAX_ANSWERED:  # "how many front cameras?" of the three shown: each one's
            ids = list(state.shown)
        currency = shop.settings.shop_currency
        sheet = FactSheet(Action.PRODUCT_ANSWER)
        if "currency" in u.cues.asks:  # "which currency is that? USD?": the shop's, for every price it quotes
            sheet.answer.append(f"All our prices are in {currency}.")
            return sheet
        kinds = kind_stems(state.preferences.kind)
        if not ids and kinds and not count_matching(shop, ProductFilter(kinds=kinds)):  # "what is it about?" of a book
            sheet.notes.append(f"not_carried:{' or '.join(state.preferences.kind)}")
        for pid in ids:
            product = shop.by_id[pid]
            fact = product_fact(product, shop.price_of(product), currency)
            sheet.products.append(fact)
            sheet.answer += answer_lines(product, fact.price, currency, u.asked_of.get(pid, u.preferences), u.cues.asks)
        return sheet

    # ---- orders ----------------------------------------------------------------------------------
    def order_status(self, shop: Shop, state: DialogueState, u: Understanding) -> FactSheet:
        sheet = FactSheet(Action.ORDER_STATUS)
        if state.order_failures >= MAX_ORDER_ATTEMPTS:
            sheet.notes.append("order_locked")
            return sheet
        state.order_id = (u.order_id or state.order_id or "").upper() or None
        state.order_email = (u.email or state.order_email or "").lower() or None
        example = order_example(shop)
        if not state.order_id or not state.order_email:
            need = "both" if not state.order_id and not state.order_email else "email" if state.order_id else "order_id"
            sheet.notes += [f"order_need:{need}", f"order_example:{example}", f"order_id:{state.order_id or ''}"]
            return sheet
        order_id, email = state.order_id, state.order_email
        state.order_id = state.order_email = None  # used once: a later lookup asks again
        order = shop.orders.get(order_id)
        if order is None or order.email.lower() != email:
            state.order_failures += 1
            sheet.notes.append("order_not_found")
            return sheet
        sheet.order = order
        return sheet

    # ---- cart ------------------------------------------------------------------------------------
    def cart_sheet(self, shop: Shop, state: DialogueState) -> FactSheet:
        return FactSheet(Action.CART_SHOW, cart=cart_lines(shop, state.cart), currency=shop.settings.shop_currency)

    def cart(self, shop: Shop, state: DialogueState, u: Understanding, action: Action) -> FactSheet:
        state.cart = {pid: qty for pid, qty in state.cart.items() if pid in shop.by_id}
        changed, named = None, []
        if action == Action.CART_ADD:
            changed, named = self.add_to_cart(shop, state, u)
        elif action == Action.CART_REMOVE:
            targets = [r for r in u.product_refs if r in state.cart] or (list(state.cart) if len(state.cart) == 1 else [])
            if not targets:
                changed = "Which item should I remove? Tell me its name or number." if state.cart else None
            for pid in targets:
                del state.cart[pid]
            named = targets
            if targets:
                changed = "Removed " + ", ".join(f"**{shop.by_id[p].title}**" for p in targets) + " from your cart."
        sheet = self.cart_sheet(shop, state)
        sheet.action, sheet.changed = action, changed
        currency = shop.settings.shop_currency
        sheet.mentioned = [product_fact(shop.by_id[p], shop.price_of(shop.by_id[p]), currency) for p in named]
        return sheet

    def add_to_cart(self, shop: Shop, state: DialogueState, u: Understanding) -> tuple[str, list[str]]:
        """What happened, in words, and the products it names."""
        targets = [r for r in u.product_refs if r in shop.by_id] or (list(state.shown[:1]) if len(state.shown) == 1 else [])
        kinds = kind_stems(state.preferences.kind)
        if not targets and not state.shown and kinds and not count_matching(shop, ProductFilter(kinds=kinds)):
            return f"We don't carry {' or '.join(state.preferences.kind)}, so there is nothing I can add to your cart.", []
        if not targets:
            return "Which product should I add? Say e.g. \"add the first one\" or give its name.", []
        qty = min(u.cues.quantity or 1, MAX_QTY)
        done, refused = [], []
        for pid in targets:
            product = shop.by_id[pid]
            wanted = state.cart.get(pid, 0) + qty
            if not product.in_stock:
                refused.append(f"**{product.title}** is out of stock, so I can't add it.")
            elif product.stock is not None and wanted > product.stock:
                refused.append(f"Only {product.stock} of **{product.title}** are in stock.")
            else:
                state.cart[pid] = wanted
                done.append(f"{qty} x **{product.title}**" if qty > 1 else f"**{product.title}**")
        added = f"Added {', '.join(done)} to your cart." if done else ""
        return " ".join([added] + refused).strip(), targets


def chat_notes(remark: str, state: DialogueState, missing: str | None = None, answered: bool = False) -> list[str]:
    """Small talk in a conversation is answered as what it is (`Understanding.remark`): the opening greeting only
    opens one. A longer message about a kind the shop does not carry ("I don't have an author in mind") gets that
    said again; a word or two ("sure!", "perfect") after it is taken as a yes to the sections we offered. "No" to
    what we offered ends the conversation, or with products shown asks what to change; "that is fine" after a policy
    answer asks what else."""
    if remark in ("closing", "thanks"):
        return [remark]
    if not state.history:
        return []
    if remark in ("hello", "how_are_you"):
        return [remark]
    if remark == "declined":
        return ["ack:declined"] if state.shown and not state.asked_anything_else else ["closing"]
    if missing and not remark:
        return ["ack", f"not_carried:{missing}"]
    if state.shown:
        return ["ack:liked" if remark == "liked" else "ack:shown"]
    if missing:
        return ["ack:sections"]
    return ["ack:faq" if answered else "ack"]


def order_example(shop: Shop) -> str:
    """What the shop's order numbers look like, never a real one (that would name another shopper's order)."""
    shape = next(iter(shop.orders), "HL-100123")
    counter = itertools.cycle("1234567890")
    example = re.sub(r"\d", lambda _: next(counter), shape)
    return example if example not in shop.orders else re.sub(r"\d", "0", shape)


def cart_lines(shop: Shop, cart: dict[str, int]) -> list[CartLine]:
    """A cart's lines at the shop's current prices (products a re-ingest removed are left out)."""
    return [CartLine(pid, shop.by_id[pid].title, qty, round(shop.price_of(shop.by_id[pid]), 2), shop.settings.shop_currency)
            for pid, qty in cart.items() if pid in shop.by_id]


def answer_lines(product: Any, price: float, currency: str, asked: Preferences, asks: list[str]) -> list[str]:
    """Answers to a question about one product, from its catalog row only: the attributes `asked` names and the
    facts `asks` names (price, stock, rating)."""
    title = product.title
    lines = []
    attributes = quotable_attributes(product)
    for name, wanted in {**asked.must_have, **asked.excluded}.items():
        value = attributes.get(name)
        if value is None:
            lines.append(f"The catalog doesn't list {wish_text(name, wanted)} for the **{title}**.")
        elif isinstance(value, bool):
            label = describe_value(name, True)
            lines.append(f"Yes, the **{title}** is listed as {label}." if value else f"No, the **{title}** is not listed as {label}.")
        else:
            lines.append(f"The **{title}** has {describe_value(name, value)}.")
    if "price" in asks or asked.budget_max is not None:
        lines.append(f"The **{title}** costs {money(price, currency)}.")
    if "stock" in asks:
        stock = product.stock
        status = ("is out of stock right now" if stock == 0 else f"is in stock, only {stock} left" if stock is not None and stock <= 5
                  else "is in stock" if stock is not None else "has no stock figure listed")
        lines.append(f"The **{title}** {status}.")
    if "rating" in asks and product.rating is not None:
        lines.append(f"The **{title}** is rated {product.rating:g}/5 from {product.review_count:,} reviews.")
    if not lines:
        facts = "; ".join(describe_value(n, v) for n, v in list(attributes.items())[:6])
        lines.append(f"The **{title}** ({money(price, currency)}): {facts}.")
    return lines
