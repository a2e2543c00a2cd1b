"""Real-world benchmark: `python -m assistant.bench realworld --data ../shared/data` writes reports/realworld.md.

Everything here is measured on material nobody on the project wrote (the folder's README says where each
piece comes from); the data is read from its path, never copied in:
- two real catalogs of other shapes and currencies, converted by `knowledge.convert` and ingested as a shop
  owner would, with the labelled shopper queries of knowledge/eval/realworld/ (labels are criteria over the
  catalog's own columns: the acceptable products, or "not carried");
- real customer-support requests (27 intents; knowledge/eval/realworld/support_intents.yaml says which FAQ
  entry or action answers each) asked of the embedded shop;
- CLINC150's out-of-scope queries asked of the embedded shop;
- the MG-ShopDial dialogues, the client's turns replayed on the embedded shop, counted for conversation faults.
Each part runs with the rules alone (SHOP_LLM_USE=off) and as the app is configured, side by side.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml
from tqdm import tqdm

from assistant import guard
from assistant.config import Settings, parse_rates
from assistant.engine import Assistant, Reply
from assistant.llm import ChatModel, LLMConfig, configured_llm
from assistant.sessions import SessionStore
from assistant.shop import Shop, ensure_embedded_shop
from assistant.store import ShopRecords, Store
from knowledge.convert import convert, rows_of
from knowledge.loaders import embedded_shop_files, load_catalog, load_faq

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "knowledge" / "eval" / "realworld"
CLARIFY_ANSWER = "no preference, just show me what you have"
SAYS_NO_RE = re.compile(r"\b(?:(?:do not|don't|does not|doesn't)\s+(?:carry|sell|stock|have)|not something we (?:carry|sell)"
                        r"|we have no|no (?:such|matching) products?)\b", re.I)
CLAIM_RE = re.compile(r"\b(?:as you asked|you asked for|your budget|your [^ ]+ budget|your .* (?:range|minimum)|you wanted)\b", re.I)
STOP = set("the a an and or of for with in on to as you asked your from brand budget under over above range minimum within "
           "not no is are".split())


@dataclass
class CatalogSpec:
    name: str
    path: str  # under the data folder
    currency: str
    rates: str  # SHOP_RATES for budgets in other currencies
    fields: Callable[[dict[str, Any]], dict[str, Any]]  # raw row -> title, brand, price, category, text


def dmart_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {"title": row["Name"], "brand": row["Brand"], "price": float(row["DiscountedPrice"] or row["Price"] or 0),
            "category": row["BreadCrumbs"], "text": f"{row['Name']} {row['Quantity']} {row['Description']}"}


def bestbuy_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {"title": row["name"], "brand": row.get("manufacturer") or "", "price": float(row.get("price") or 0),
            "category": " > ".join(c["name"] for c in row.get("category", [])),
            "text": f"{row['name']} {row.get('description') or ''}"}


CATALOGS = [
    CatalogSpec("dmart", "catalogs/dmart/DMart.csv", "INR", "USD=83,EUR=90,GBP=105", dmart_fields),
    CatalogSpec("bestbuy", "catalogs/bestbuy/products-sample.json", "USD", "EUR=1.08,GBP=1.27,INR=0.012", bestbuy_fields),
]


# ---- labels ------------------------------------------------------------------------------------
def search_any(patterns: list[str], text: str) -> bool:
    return any(re.search(p, text, re.I) for p in patterns)


def right_type(label: dict[str, Any], raw: dict[str, Any]) -> bool:
    kind = label.get("type", {})
    hit = search_any(kind.get("title", []), raw["title"]) or search_any(kind.get("category", []), raw["category"])
    return hit and not search_any(kind.get("title_not", []), raw["title"])


def meets(constraints: dict[str, Any], raw: dict[str, Any]) -> bool:
    price, brand = raw["price"], raw["brand"].lower()
    return ((constraints.get("max_price") is None or price <= constraints["max_price"])
            and (constraints.get("min_price") is None or price >= constraints["min_price"])
            and (not constraints.get("brand") or brand in {b.lower() for b in constraints["brand"]})
            and brand not in {b.lower() for b in constraints.get("brand_not", [])}
            and all(re.search(p, raw["text"], re.I) for p in constraints.get("text_all", [])))


def acceptable(label: dict[str, Any], raw: dict[str, Any]) -> bool:
    return right_type(label, raw) and meets(label.get("constraints", {}), raw)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ---- measures ----------------------------------------------------------------------------------
@dataclass
class Tally:
    """Counts of one configuration on one part of the benchmark."""

    counts: Counter = field(default_factory=Counter)
    latency: list[float] = field(default_factory=list)
    ungrounded: list[str] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def turn(self, reply: Reply, shop: Shop) -> None:
        self.counts["turns"] += 1
        self.counts["by_llm"] += reply.understood_by == "llm"
        self.latency.append(reply.latency_ms)
        problems = guard.check(reply.text, reply.sheet, shop)
        if problems:
            self.ungrounded.append(f"{reply.text[:100]!r}: {problems[0]}")

    def ratio(self, part: str, whole: str) -> float:
        return self.counts[part] / self.counts[whole] if self.counts[whole] else float("nan")

    def fail(self, kind: str, text: str) -> None:
        self.failures[kind].append(text)


def says_no(reply: Reply) -> bool:
    return reply.sheet.has_note("not_carried") or bool(SAYS_NO_RE.search(reply.text))


def shown_as_matches(reply: Reply) -> list[str]:
    """Products the reply presents as meeting the request (labelled alternatives are not)."""
    if reply.action != "recommend" or reply.sheet.relaxed or reply.sheet.has_note("not_carried"):
        return []
    return [p["id"] for p in reply.products]


def content_words(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]+|[0-9]+", text.lower()) if (len(w) >= 3 or w.isdigit()) and w not in STOP}


def claim_ok(claim: str, query: str, label: dict[str, Any], raw: dict[str, Any]) -> bool:
    """A reason saying the shopper asked for something must point at a wish the query states."""
    constraints = label.get("constraints", {})
    if re.search(r"budget|range|minimum", claim, re.I):
        return (constraints.get("max_price") is not None or constraints.get("min_price") is not None) and meets(
            {k: constraints.get(k) for k in ("max_price", "min_price")}, raw)
    if re.search(r"brand you asked", claim, re.I):
        return raw["brand"].lower() in {b.lower() for b in constraints.get("brand", [])}
    wish = re.split(r",? as you asked|you asked for", claim, flags=re.I)[0]
    return bool(content_words(wish) & content_words(query))


def ask(assistant: Assistant, tally: Tally, shop: Shop, session: str, message: str) -> Reply:
    reply = assistant.reply(session, message)
    tally.turn(reply, shop)
    return reply


def run_catalog_queries(assistant: Assistant, shop: Shop, labels: list[dict[str, Any]], raw_by_id: dict[str, dict[str, Any]],
                        mode: str) -> Tally:
    tally = Tally()
    raws = list(raw_by_id.items())
    for label in tqdm(labels, desc=f"queries ({mode})", file=sys.stderr):
        session = f"rw-{mode}-{label['id']}"
        reply = ask(assistant, tally, shop, session, label["query"])
        if reply.action == "clarify":  # a fair question: answer it the way a shopper without more wishes would
            tally.counts["clarified"] += 1
            reply = ask(assistant, tally, shop, session, CLARIFY_ANSWER)
        query = label["query"]
        if label.get("not_carried"):
            tally.counts["not_carried"] += 1
            honest = says_no(reply) and not shown_as_matches(reply)
            tally.counts["honest"] += honest
            if not honest:
                tally.fail("not carried, not said", f"{query!r} -> {reply.text[:120]!r}")
            continue
        tally.counts["carried"] += 1
        good = {pid for pid, raw in raws if acceptable(label, raw)}
        shown = [p["id"] for p in reply.products][:3]
        hits = sum(pid in good for pid in shown)
        tally.counts["p3_sum_x1000"] += round(1000 * hits / min(3, max(1, len(good))))
        if hits < min(3, len(good)):
            titles = "; ".join(raw_by_id[pid]["title"][:40] for pid in shown) or reply.text[:100]
            tally.fail("top-3 not acceptable", f"{query!r} ({len(good)} acceptable) -> {titles}")
        if says_no(reply):
            tally.counts["false_no"] += 1
            tally.fail("said not carried although carried", f"{query!r} -> {reply.text[:100]!r}")
        constraints = label.get("constraints", {})
        if constraints:
            for pid in shown_as_matches(reply):
                tally.counts["constrained_shown"] += 1
                ok = meets(constraints, raw_by_id[pid])
                tally.counts["constrained_ok"] += ok
                if not ok:
                    tally.fail("shown as a match, breaks a constraint", f"{query!r} -> {raw_by_id[pid]['title'][:60]} "
                               f"({raw_by_id[pid]['brand']}, {raw_by_id[pid]['price']:g})")
        if reply.products:
            tally.counts["reasoned"] += 1
            wrong = [claim for p in reply.products for claim in p["reasons"]
                     if CLAIM_RE.search(claim) and not claim_ok(claim, query, label, raw_by_id[p["id"]])]
            tally.counts["reasons_ok"] += not wrong
            if wrong:
                tally.fail("reason for a wish not stated", f"{query!r} -> {wrong[0]!r}")
    tally.counts["p3_sum"] = tally.counts.pop("p3_sum_x1000") / 1000
    return tally


def catalog_shop(spec: CatalogSpec, data: Path, cache: Path) -> tuple[Shop, dict[str, dict[str, Any]], list[str]]:
    """Convert and ingest one real catalog as a shop owner would (the store is reused when nothing changed)."""
    settings = Settings(data_dir=cache / spec.name, shop_currency=spec.currency, rates=parse_rates(spec.rates))
    products, _ = convert(data / spec.path, spec.currency)
    raws = [spec.fields(row) for row in rows_of(data / spec.path)]
    catalog = cache / f"{spec.name}.jsonl"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    catalog.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in products), encoding="utf-8")
    loaded = load_catalog(catalog, settings.rates, settings.shop_currency)
    notes = [f"{spec.name}: {len(loaded.records):,} of {len(products):,} rows accepted, {len(loaded.errors)} rejected, "
             f"{len(loaded.warnings)} warnings"] + [f"  {p}" for p in loaded.errors[:5]]
    store = Store(settings)
    faq = load_faq(embedded_shop_files()["faq"]).records
    with tqdm(total=len(loaded.records) + len(faq), desc=f"indexing {spec.name}", unit="row", file=sys.stderr) as bar:
        version = store.build(ShopRecords(loaded.records, faq, []), {"benchmark": spec.name},
                              progress=lambda kind, n: bar.update(n))
    raw_by_id = {p["id"]: raw for p, raw in zip(products, raws)}
    return Shop.open(store, version), raw_by_id, notes


# ---- support, out of scope, dialogues on the embedded shop --------------------------------------
def support_sample(data: Path, per_intent: int, seed: int) -> list[dict[str, str]]:
    with open(data / "customer_support_dev.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_intent[row["intent"]].append(row)
    rng = random.Random(seed)
    return [row for intent in sorted(by_intent) for row in rng.sample(by_intent[intent], min(per_intent, len(by_intent[intent])))]


def support_right(reply: Reply, expected: dict[str, Any]) -> bool:
    """The right FAQ entry, or one of the actions that also answers the intent."""
    sheet = reply.sheet
    entry = sheet.faq[0].id if reply.action == "faq_answer" and sheet.faq and not sheet.has_note("no_entry") else None
    if entry:
        return entry in expected.get("entries", [])
    actions = expected.get("actions", [])
    if reply.action == "order_status" and "order_status" in actions:
        return True
    if reply.action == "handoff":
        return "handoff" in actions or "contact-human" in expected.get("entries", [])
    abstained = not reply.products and not sheet.faq and reply.action not in ("cart_add", "cart_remove", "recommend", "order_status")
    return "abstain" in actions and (abstained or sheet.has_note("no_entry"))


def run_support(assistant: Assistant, shop: Shop, rows: list[dict[str, str]], mode: str) -> Tally:
    intents = yaml.safe_load((LABELS / "support_intents.yaml").read_text(encoding="utf-8"))["intents"]
    tally = Tally()
    per_intent: Counter = Counter()
    for number, row in enumerate(tqdm(rows, desc=f"support ({mode})", file=sys.stderr)):
        reply = ask(assistant, tally, shop, f"sup-{mode}-{number}", row["instruction"])
        right = support_right(reply, intents[row["intent"]])
        tally.counts["requests"] += 1
        tally.counts["right"] += right
        per_intent[row["intent"]] += right
        if not right:
            got = reply.sheet.faq[0].id if reply.sheet.faq else reply.action
            tally.fail(row["intent"], f"{row['instruction'][:80]!r} -> {got}")
    tally.counts.update({f"intent:{k}": v for k, v in per_intent.items()})
    return tally


def run_out_of_scope(assistant: Assistant, shop: Shop, queries: list[str], mode: str) -> Tally:
    tally = Tally()
    for number, query in enumerate(tqdm(queries, desc=f"out of scope ({mode})", file=sys.stderr)):
        reply = ask(assistant, tally, shop, f"oos-{mode}-{number}", query)
        tally.counts["queries"] += 1
        declined = reply.action in ("out_of_scope", "greet", "handoff") or (says_no(reply) and not reply.products) \
            or reply.sheet.has_note("no_entry")
        tally.counts["declined"] += declined
        if not declined:
            got = reply.sheet.faq[0].id if reply.sheet.faq else f"{reply.action} {len(reply.products)} products"
            tally.fail("answered as if in scope", f"{query!r} -> {got}")
    return tally


CART_ASK_RE = re.compile(r"\b(?:add|cart|basket|buy|purchase|order it|take (?:it|this|that|the)|i'?ll take|get (?:it|this|that))\b", re.I)


def client_turns(dialogue: dict[str, Any]) -> list[str]:
    """Consecutive client utterances are one message split over several chat lines."""
    turns: list[list[str]] = []
    previous = None
    for utterance in dialogue["utterances"]:
        if utterance["participant"] == "Client":
            if previous != "Client":
                turns.append([])
            turns[-1].append(utterance["utterance"].strip())
        previous = utterance["participant"]
    return [" ".join(parts) for parts in turns if any(parts)]


def sells(shop: Shop, words: str) -> bool:
    """Whether the shop has products of the kind named (a title or category holds every word)."""
    needles = [re.compile(rf"\b{w[:5]}") for w in re.findall(r"[a-z]{3,}", words.lower())]  # "book" is not in "notebook"
    return bool(needles) and any(all(n.search(f"{p.title} {p.category}".lower()) for n in needles) for p in shop.products)


def run_dialogues(assistant: Assistant, shop: Shop, dialogues: list[dict[str, Any]], mode: str,
                  transcripts: list[dict[str, Any]] | None) -> Tally:
    tally = Tally()
    for dialogue in tqdm(dialogues, desc=f"dialogues ({mode})", file=sys.stderr):
        session = f"dlg-{mode}-{re.sub(r'[^A-Za-z0-9]+', '-', dialogue['id'])}"
        previous: tuple[str, list[str]] = ("", [])
        cart: dict[str, int] = {}
        turns = []
        for index, message in enumerate(client_turns(dialogue)):
            reply = ask(assistant, tally, shop, session, message)
            shown = [p["id"] for p in reply.products] if reply.action == "recommend" else [e.id for e in reply.sheet.faq]
            if index and reply.action == "greet" and not reply.sheet.notes:
                tally.counts["greeting_again"] += 1
                tally.fail("opening greeting after the first turn", f"{message[:80]!r}")
            if shown and (reply.action, shown) == previous:  # answers about the products shown are asked for
                tally.counts["same_list"] += 1
                tally.fail("same list or entry as the turn before", f"{message[:80]!r}")
            if reply.cart != cart and not CART_ASK_RE.search(message):
                tally.counts["cart_unasked"] += 1
                tally.fail("cart changed without a request", f"{message[:80]!r}")
            missing = reply.sheet.note_value("not_carried")
            if missing and sells(shop, missing):
                tally.counts["false_no"] += 1
                tally.fail("'we don't carry' for a kind the shop sells", f"{message[:80]!r} -> {missing!r}")
            previous = (reply.action, shown) if shown else previous
            cart = dict(reply.cart)
            turns.append({"shopper": message, "assistant": reply.text, "products": [p["title"] for p in reply.products]})
        tally.counts["dialogues"] += 1
        if transcripts is not None:
            transcripts.append({"id": dialogue["id"], "brief": dialogue["metadata"].get("desc", ""), "turns": turns})
    return tally


# ---- report ------------------------------------------------------------------------------------
def pct(value: float) -> str:
    return "n/a" if value != value else f"{value:.2f}"


def latency(tally: Tally) -> str:
    if not tally.latency:
        return "n/a"
    return f"{np.percentile(tally.latency, 50):.0f} / {np.percentile(tally.latency, 95):.0f}"


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
    except OSError:
        return "an unknown commit"
    return f"commit {commit or 'unknown'}" + (" with uncommitted changes" if dirty else "")


def configuration(reader: ChatModel | None) -> str:
    if reader is None:
        return "rules alone (SHOP_LLM_USE=off)"
    return f"app default (LLM role {reader.role})"


def render(results: dict[str, dict[str, Tally]], modes: list[str], readers: dict[str, ChatModel | None],
           notes: list[str], args: argparse.Namespace, seconds: float) -> str:
    head = "| measure | goal | " + " | ".join(configuration(readers[m]) for m in modes) + " |"
    rule = "|---|---|" + "---|" * len(modes)
    lines = ["# Real-world benchmark", "",
             f"Generated by `python -m assistant.bench realworld --data {args.data} --support-per-intent {args.support_per_intent} "
             f"--oos {args.oos}` on {time.strftime('%Y-%m-%d')} "
             f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs) in {seconds / 60:.0f} min, code at "
             f"{code_version()}. "
             "Data nobody on the project wrote, read from its folder (see its README for the sources); the labelled "
             "queries in knowledge/eval/realworld/ were written for this benchmark against each catalog's own columns. "
             f"A clarifying question is answered once with {CLARIFY_ANSWER!r}.", "", *[f"- {n}" for n in notes], ""]

    def row(name: str, goal: str, part: str, value: Callable[[Tally], str]) -> None:
        lines.append(f"| {name} | {goal} | " + " | ".join(value(results[m][part]) for m in modes) + " |")

    for spec in CATALOGS:
        if spec.name not in results[modes[0]]:
            continue
        lines += [f"## Catalog: {spec.name} ({spec.currency})", "", head, rule]
        row("precision@3 (acceptable of top 3)", "≥ 0.85", spec.name, lambda t: pct(t.counts["p3_sum"] / t.counts["carried"] if t.counts["carried"] else float("nan")))
        row("shown matches meeting every stated constraint", "≥ 0.97", spec.name, lambda t: pct(t.ratio("constrained_ok", "constrained_shown")))
        row("'not carried' said when not carried", "≥ 0.9", spec.name, lambda t: f"{pct(t.ratio('honest', 'not_carried'))} ({t.counts['honest']}/{t.counts['not_carried']})")
        row("'not carried' said although carried", "0", spec.name, lambda t: str(t.counts["false_no"]))
        row("replies whose 'as you asked' reasons match the query", "≥ 0.9", spec.name, lambda t: pct(t.ratio("reasons_ok", "reasoned")))
        row("first replies that asked a question", "", spec.name, lambda t: str(t.counts["clarified"]))
        row("turns the LLM read", "", spec.name, lambda t: str(t.counts["by_llm"]))
        row("ungrounded replies", "0", spec.name, lambda t: str(len(t.ungrounded)))
        row("turn latency p50 / p95 ms", "", spec.name, latency)
        lines.append("")
    sections = [
        ("support", "Support requests (embedded shop's FAQ)", [
            ("right FAQ entry or correct action/abstention", "≥ 0.85", lambda t: f"{pct(t.ratio('right', 'requests'))} ({t.counts['right']}/{t.counts['requests']})"),
        ]),
        ("oos", "CLINC150 out-of-scope queries (embedded shop)", [
            ("declined politely (not answered as shopping or policy)", "", lambda t: f"{pct(t.ratio('declined', 'queries'))} ({t.counts['declined']}/{t.counts['queries']})"),
        ]),
        ("dialogues", "MG-ShopDial client turns replayed on the embedded shop", [
            ("opening greeting after the first turn", "0", lambda t: str(t.counts["greeting_again"])),
            ("same product list (recommendations) or FAQ entry as the turn before", "0", lambda t: str(t.counts["same_list"])),
            ("cart changed without a request", "0", lambda t: str(t.counts["cart_unasked"])),
            ("'we don't carry' for a kind the shop sells", "0", lambda t: str(t.counts["false_no"])),
        ]),
    ]
    for part, title, measures in sections:
        if part not in results[modes[0]]:
            continue
        lines += [f"## {title}", "", head, rule]
        for name, goal, value in measures:
            row(name, goal, part, value)
        row("turns the LLM read", "", part, lambda t: f"{t.counts['by_llm']} of {t.counts['turns']}")
        row("ungrounded replies", "0", part, lambda t: str(len(t.ungrounded)))
        row("turn latency p50 / p95 ms", "", part, latency)
        lines.append("")
    if "support" in results[modes[0]]:
        intents = sorted({k[7:] for m in modes for k in results[m]["support"].counts if k.startswith("intent:")}
                         | {k for m in modes for k in results[m]["support"].failures})
        lines += ["### Support, right per intent", "", "| intent | " + " | ".join(modes) + " |", "|---|" + "---|" * len(modes)]
        for intent in intents:
            lines.append(f"| {intent} | " + " | ".join(str(results[m]["support"].counts[f"intent:{intent}"]) for m in modes) + " |")
        lines.append("")
    lines += ["## Failures (first few of each kind)", ""]
    for mode in modes:
        for part, tally in results[mode].items():
            for kind, items in tally.failures.items():
                lines.append(f"- **{mode}, {part}, {kind}** ({len(items)}): " + " · ".join(items[:4]))
            for item in tally.ungrounded[:3]:
                lines.append(f"- **{mode}, {part}, ungrounded**: {item}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    data = Path(args.data)
    if not (data / "README.md").exists():
        raise SystemExit(f"{data} is not the shared data folder (no README.md there): pass --data ../shared/data")
    parts = set(args.parts.split(","))
    modes = args.modes.split(",")
    readers = {"rules": None, "default": configured_llm(LLMConfig.from_env())}
    results: dict[str, dict[str, Tally]] = {m: {} for m in modes}
    notes: list[str] = []
    cache = Path(args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        sessions = SessionStore(Path(tmp) / "sessions.sqlite")
        for spec in CATALOGS:
            if spec.name not in parts:
                continue
            labels = read_jsonl(LABELS / f"{spec.name}.jsonl")
            shop, raw_by_id, found = catalog_shop(spec, data, cache)
            notes += found
            for mode in modes:
                assistant = Assistant(shop, sessions, llm=readers[mode])
                results[mode][spec.name] = run_catalog_queries(assistant, shop, labels, raw_by_id, mode)
        settings = Settings(data_dir=Path(tmp) / "embedded")
        store = Store(settings)
        shop = Shop.open(store, ensure_embedded_shop(store))
        transcripts: list[dict[str, Any]] = []
        for mode in modes:
            assistant = Assistant(shop, sessions, llm=readers[mode])
            if "support" in parts:
                results[mode]["support"] = run_support(assistant, shop, support_sample(data, args.support_per_intent, args.seed), mode)
            if "oos" in parts:
                clinc = json.loads((data / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
                queries = [q for q, _ in clinc["oos_val"] + clinc["oos_test"]]
                queries = random.Random(args.seed).sample(queries, min(args.oos, len(queries)))
                results[mode]["oos"] = run_out_of_scope(assistant, shop, queries, mode)
            if "dialogues" in parts:
                dialogues = json.loads((data / "mgshopdial_dev.json").read_text(encoding="utf-8"))
                keep = transcripts if mode == modes[-1] else None
                results[mode]["dialogues"] = run_dialogues(assistant, shop, dialogues, mode, keep)
        sessions.close()
    text = render(results, modes, readers, notes, args, time.perf_counter() - started)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    if transcripts:
        Path(args.transcripts).parent.mkdir(parents=True, exist_ok=True)
        Path(args.transcripts).write_text(json.dumps(transcripts, indent=1, ensure_ascii=False), encoding="utf-8")
    print(text)
    print(f"wrote {out} in {time.perf_counter() - started:.0f} s")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("realworld", help="quality on real catalogs, support requests, out-of-scope queries and dialogues")
    parser.add_argument("--data", default="../shared/data", help="the shared data folder (read, never copied)")
    parser.add_argument("--parts", default="dmart,bestbuy,support,oos,dialogues")
    parser.add_argument("--modes", default="rules,default", help="rules (SHOP_LLM_USE=off) and/or default (as the app runs)")
    parser.add_argument("--support-per-intent", type=int, default=10)
    parser.add_argument("--oos", type=int, default=200, help="CLINC150 out-of-scope queries sampled")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", default="data/realworld", help="where the converted catalogs' stores are kept")
    parser.add_argument("--out", default="reports/realworld.md")
    parser.add_argument("--transcripts", default="data/realworld/dialogues.json", help="replayed dialogues, for judging")
    parser.set_defaults(run=run)
