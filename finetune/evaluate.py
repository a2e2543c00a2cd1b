"""Before/after evaluation of the fine-tuned models: `python -m finetune.evaluate` writes reports/finetune.md.

Dialogue LLM: the packaged SmolLM2 with and without the adapter in finetune/artifacts/dialogue, on
held-out generated examples (understanding and replies, see finetune/eval_dialogue.py) and on real
customer-support requests (`--support-csv`, default ../shared/data/customer_support_dev.csv, read in
place and never copied), whose 27 intents map to ours as in `assistant.rules.SUPPORT_INTENTS`:
track_order and delivery_period -> order_status; contact_human_agent and contact_customer_service ->
human; the other 23 (cancellations, refunds, payment, invoices, account, delivery options, address
changes, newsletter, complaints, feedback...) -> faq, answered from the shop's policies.

Scorer: nDCG@10 and MRR on held-out generated queries (unseen products, unseen phrasing templates),
every ranker reordering the same candidate pool: BM25, the un-tuned bi-encoder (MiniLM cosine), the
un-tuned cross-encoder (MiniLM with a fresh head, as `CrossEncoder(..., num_labels=1)` gives it) and
the fine-tuned adapter in finetune/artifacts/scorer.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.llm import LLMConfig, LocalLLM
from assistant.scorer import BiEncoderRelevance, load_cross_encoder
from assistant.state import DialogueState
from finetune import eval_dialogue, eval_scorer
from finetune.dialogue import DEFAULT_OUT as DIALOGUE_OUT
from finetune.dialogue import PACKAGED_BASE, DialogueTrainConfig, held_out, shop_assistant
from finetune.pairs import build_queries
from finetune.scorer import DEFAULT_OUT as SCORER_OUT
from finetune.scorer import ScorerTrainConfig, load_embedded_products

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "knowledge" / "eval" / "retrieval_queries.jsonl"


def scorer_section(adapter: Path, limit: int | None) -> list[str]:
    config = ScorerTrainConfig()
    products = load_embedded_products()
    queries = build_queries(products, config.seed, config.queries_per_product).test[:limit]
    pools = eval_scorer.pools(queries, products)
    dense = BiEncoderRelevance()
    rankers = [("BM25", eval_scorer.bm25_ranker(products)),
               ("bi-encoder (MiniLM cosine, un-tuned)", dense.score),
               ("cross-encoder (MiniLM, un-tuned head)", eval_scorer.cross_encoder_ranker(load_cross_encoder())),
               ("cross-encoder, fine-tuned (LoRA adapter)", eval_scorer.cross_encoder_ranker(load_cross_encoder(adapter)))]
    results = [eval_scorer.evaluate(name, ranker, queries, pools) for name, ranker in rankers]
    best_baseline = max(r.ndcg10 for r in results[:-1])
    training = training_record(adapter)
    metrics = training.get("metrics", {})
    lines = ["## Scorer", "",
             f"{len(queries)} held-out queries; candidate pool per query: the union of the BM25 and bi-encoder top "
             f"{eval_scorer.POOL_EACH} over all {len(products)} products (mean {sum(map(len, pools)) / len(pools):.1f}).", "",
             "| Ranker | nDCG@10 | MRR | ms / query |", "|---|---|---|---|"]
    lines += [f"| {r.name} | {r.ndcg10:.3f} | {r.mrr:.3f} | {r.ms_per_query:.0f} |" for r in results]
    lines += ["", f"Fine-tuned minus the best baseline: **{results[-1].ndcg10 - best_baseline:+.3f} nDCG@10** (goal: at least +0.05).", ""]
    if metrics:
        lines += [f"Training: {metrics.get('pairs')} pairs from {metrics.get('train_queries')} queries, "
                  f"{metrics.get('train_seconds')} s, peak memory {metrics.get('peak_rss_mb')} MB "
                  f"(`python -m finetune.scorer`; config in `{relative(adapter)}/training.json`).", ""]
    return lines


def training_record(adapter: Path) -> dict:
    """The adapter's training.json (config and metrics), empty when it has none."""
    path = adapter / "training.json"
    return json.loads(path.read_text()) if path.exists() else {}


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)


def speed(llm: LocalLLM, chats: list[list[dict[str, str]]], schemas: list) -> tuple[float, float]:
    """One message at a time, as in the app: mean seconds per understanding call and generated tokens per second."""
    runs = [eval_dialogue.generate(llm, [chat], eval_dialogue.UNDERSTAND_TOKENS, batch_size=1, schemas=[schema])
            for chat, schema in zip(chats, schemas)]
    seconds = sum(r.seconds for r in runs)
    return seconds / len(runs), sum(r.new_tokens for r in runs) / seconds


def dialogue_section(adapter: Path, support_csv: Path | None, test_size: int, real_per_intent: int) -> list[str]:
    config = DialogueTrainConfig()  # its seed picks the same held-out split the adapter never saw
    with tempfile.TemporaryDirectory() as scratch:
        assistant = shop_assistant(Settings.from_env(), Path(scratch))
        shop = assistant.current_shop()
        vocab = assistant.vocabulary(shop)
        tests, replies = held_out(assistant, config, test_size)
    name = assistant.config.shop_name
    reply_chats = [r.messages(name)[:-1] for r in replies]
    rows = eval_dialogue.support_rows(str(support_csv), real_per_intent) if support_csv and support_csv.exists() else []
    training = training_record(adapter)
    base_model = training.get("config", {}).get("base_model")  # the model the adapter was trained on
    results = {}
    for label, adapter_path in (("base", None), ("fine-tuned", adapter)):
        print(f"evaluating the {label} LLM...", flush=True)
        llm = LocalLLM(LLMConfig(use="on", model_path=base_model, adapter_path=str(adapter_path) if adapter_path else None))
        understanding_chats = eval_dialogue.understanding_prompts([(e.message, e.state) for e in tests], vocab, shop, llm.tuned)
        real_chats = eval_dialogue.understanding_prompts([(r["instruction"], DialogueState("eval")) for r in rows], vocab,
                                                         shop, llm.tuned)
        schemas = eval_dialogue.understanding_schemas([(e.message, e.state) for e in tests], vocab, shop)
        real_schemas = eval_dialogue.understanding_schemas([(r["instruction"], DialogueState("eval")) for r in rows], vocab, shop)
        understood = eval_dialogue.generate(llm, understanding_chats, eval_dialogue.UNDERSTAND_TOKENS, schemas=schemas)
        written = eval_dialogue.generate(llm, reply_chats, eval_dialogue.REPLY_TOKENS)
        real = eval_dialogue.generate(llm, real_chats, eval_dialogue.UNDERSTAND_TOKENS, schemas=real_schemas) if rows else None
        results[label] = {
            "understanding": eval_dialogue.score_understanding(understood.texts, tests, vocab, shop),
            "replies": eval_dialogue.score_replies(written.texts, replies, shop, name),
            "real": eval_dialogue.routing_accuracy(real.texts, rows) if real else None,
            "speed": speed(llm, understanding_chats[:8], schemas[:8]),
        }
    base, tuned = results["base"], results["fine-tuned"]
    in_app = app_section(llm, tests, rows, vocab, shop)

    def row(metric: str, get, goal: str = "") -> str:
        return f"| {metric} | {get(base):.3f} | {get(tuned):.3f} | {goal} |"

    lines = ["## Dialogue LLM", "",
             f"{base_model or PACKAGED_BASE} without and with the LoRA adapter in `{relative(adapter)}`. "
             f"Held-out test: {len(tests)} understanding examples (every intent; products and phrasing templates "
             f"unseen in training) and {len(replies)} fact sheets built by the engine from held-out requests. "
             "Outputs are greedy, as in the app, and readings are decoded under the same constraint as in the app "
             "(`assistant/constrained.py`: only intents, keys, categories, attribute names, brands and shown products "
             "the shop has). An invalid JSON counts as a wrong intent here; the app falls back to the rules. Each model reads messages with the prompt the engine gives it: the base model the "
             "instructions and every category, the fine-tuned one its short prompt with the four categories the "
             "retriever finds nearest the message.", "",
             "| Metric | Base | Fine-tuned | Goal |", "|---|---|---|---|",
             row("understanding: intent accuracy", lambda r: r["understanding"].intent_accuracy, ">= 0.95"),
             row("understanding: preference-slot F1", lambda r: r["understanding"].slot_f1),
             row("understanding: JSON validity (passes `from_json`)", lambda r: r["understanding"].json_validity, ">= 0.99")]
    if rows:
        lines.append(row(f"real phrasing: intent routing ({len(rows)} support requests)", lambda r: r["real"], ">= 0.85"))
    lines += [row("replies: grounded-claim rate (`guard.check` clean)", lambda r: r["replies"].grounded / max(1, r["replies"].total)),
              row("replies: constraint satisfaction", lambda r: r["replies"].constrained / max(1, r["replies"].total)),
              row("replies: follow the reply format", lambda r: r["replies"].formatted / max(1, r["replies"].total)),
              f"| seconds per understanding call (one at a time) | {base['speed'][0]:.2f} | {tuned['speed'][0]:.2f} | |",
              f"| generated tokens / s | {base['speed'][1]:.1f} | {tuned['speed'][1]:.1f} | |", ""]
    if rows:
        lines += [f"Real phrasing: {real_per_intent} requests for each of the 27 intents of `{support_csv.name}` (a fixed "
                  "sample, read in place). The rule parser reads the same requests in the table *In the app* below.", ""]
    lines += ["Definitions: *slot F1* over the (key, value) wishes and product references of the JSON; "
              "*constraint satisfaction*: every money figure in the reply is the shopper's own budget or a listed "
              "price, it names no brand that is not on the sheet, and it says so exactly when nothing matches every "
              "wish; *format*: a lead-in of at most "
              f"{eval_dialogue.MAX_LEAD_WORDS} words, no list or table lines, and the sheet's question when it has one "
              "(product lines, prices and policy text are appended from the sheet by the templates).", ""]
    lines += in_app
    lines += ["Fine-tuned misses (understanding):", ""] + [f"- {m}" for m in tuned["understanding"].misses] + [""]
    lines += ["Sample replies, base:", ""] + [f"- {m}" for m in base["replies"].samples] + [""]
    lines += ["Sample replies, fine-tuned:", ""] + [f"- {m}" for m in tuned["replies"].samples] + [""]
    metrics = training.get("metrics", {})
    if metrics:
        lines += [f"Training (`python -m finetune.dialogue`): {metrics['train_chats']} chats, {metrics['steps']} steps, "
                  f"{metrics['trained_tokens']} tokens in {metrics['train_seconds']} s on {metrics['device']} "
                  f"({metrics['tokens_per_second']} tokens/s), peak memory {metrics['peak_rss_mb']} MB; loss "
                  f"{metrics['first_loss']} -> {metrics['final_loss']}. Config in `{relative(adapter)}/training.json`.", ""]
    lines += [f"Peak memory of this evaluation: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB.", ""]
    return lines


def app_section(llm: LocalLLM, tests: list, rows: list[dict[str, str]], vocab, shop) -> list[str]:
    """Who reads a message in the app, compared on the same messages: the rules alone (SHOP_LLM_USE=off), the rules
    with the fine-tuned model settling what they guess at (the default, SHOP_LLM_ROLE=router), and the fine-tuned
    model's own reading (SHOP_LLM_ROLE=full). The labelled product queries are hand-written, not templated."""
    llm.role = "router"  # understand() routes; the "alone" row reads the model's own JSON
    queries = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [q for q in queries if q["kind"] == "product"]
    sets = {"held-out": ([(e.message, e.state) for e in tests], [e.label.intent for e in tests]),
            "real": ([(r["instruction"], DialogueState("eval")) for r in rows], [eval_dialogue.expected_intent(r["intent"]) for r in rows]),
            "queries": ([(q["query"], DialogueState("eval")) for q in queries], None)}
    readers: dict[str, dict[str, tuple[list, float]]] = {"rules alone": {}, "rules + fine-tuned router (default)": {},
                                                          "fine-tuned LLM alone (`SHOP_LLM_ROLE=full`)": {}}
    for name, (messages, _) in sets.items():
        if not messages:
            continue
        print(f"reading the {name} messages as the app does...", flush=True)
        readers["rules alone"][name] = eval_dialogue.app_readings(messages, vocab, shop, None)
        readers["rules + fine-tuned router (default)"][name] = eval_dialogue.app_readings(messages, vocab, shop, llm)
        chats = eval_dialogue.understanding_prompts(messages, vocab, shop, tuned=True)
        generated = eval_dialogue.generate(llm, chats, eval_dialogue.UNDERSTAND_TOKENS,
                                           schemas=eval_dialogue.understanding_schemas(messages, vocab, shop))
        readers["fine-tuned LLM alone (`SHOP_LLM_ROLE=full`)"][name] = (
            eval_dialogue.llm_readings(generated.texts, messages, vocab, shop), generated.seconds / len(messages))
    lines = ["### In the app: who reads the message", "",
             f"The same messages read three ways. *Held-out* and *real* as above (intent); *product queries*: the "
             f"{len(queries)} hand-written, labelled product requests of `knowledge/eval/retrieval_queries.jsonl` (not "
             "templated like the training data): category and budget read as labelled, and readings that add a budget, "
             "feature or brand the label does not have.", "",
             "| Reader | held-out intent | real routing | queries: category | queries: budget | queries: invented wish | s / message |",
             "|---|---|---|---|---|---|---|"]
    for reader, done in readers.items():
        cells = []
        for name in ("held-out", "real"):
            readings = done.get(name, ([], 0.0))[0]
            cells.append(f"{eval_dialogue.intent_accuracy(readings, sets[name][1]):.3f}" if readings else "n/a")
        wishes = eval_dialogue.score_wishes(done["queries"][0], queries)
        seconds = sum(t for _, t in done.values()) / len(done)
        cells += [f"{wishes.category_accuracy:.3f}", f"{wishes.budget_accuracy:.3f}", f"{wishes.invented_rate:.3f}",
                  f"{seconds:.2f}"]
        lines.append(f"| {reader} | " + " | ".join(cells) + " |")
    lines += ["", "The router asks the model only when no rule matched (`rules.parse` marks such a reading as guessed) "
              "and takes only its intent: the wishes stay the rules' exact reading of the shop's vocabulary.", ""]
    return lines


def previous_sections(report: Path) -> dict[str, list[str]]:
    """The sections of an earlier report, so that `--only` re-evaluates one model and keeps the other's figures."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in (report.read_text(encoding="utf-8").splitlines() if report.exists() else []):
        if line.startswith("## "):
            current = line
        if current:
            sections.setdefault(current, []).append(line)
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scorer", type=Path, default=SCORER_OUT, help="the scorer adapter folder")
    parser.add_argument("--dialogue", type=Path, default=DIALOGUE_OUT, help="the dialogue LLM adapter folder")
    parser.add_argument("--support-csv", type=Path, default=ROOT.parent / "shared" / "data" / "customer_support_dev.csv",
                        help="labelled real customer-support requests (instruction, intent columns)")
    parser.add_argument("--limit", type=int, help="evaluate at most this many scorer queries (quick checks)")
    parser.add_argument("--llm-test", type=int, default=120, help="held-out understanding examples for the LLM")
    parser.add_argument("--real-per-intent", type=int, default=10, help="support requests per intent for the LLM")
    parser.add_argument("--only", choices=["scorer", "dialogue"], help="re-evaluate one model, keep the other's section")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "finetune.md")
    args = parser.parse_args()
    started = time.perf_counter()
    sections = previous_sections(args.out) if args.only else {}
    if args.only != "dialogue":
        sections["## Scorer"] = scorer_section(args.scorer, args.limit)
    if args.only != "scorer":
        if not args.support_csv.exists():
            print(f"note: {args.support_csv} not found; the real-phrasing row is left out")
        sections["## Dialogue LLM"] = dialogue_section(args.dialogue, args.support_csv, args.llm_test, args.real_per_intent)
    lines = ["# Fine-tuned models against their bases", "",
             f"Generated by `python -m finetune.evaluate` on {time.strftime('%Y-%m-%d')} "
             f"({platform.machine()}, CPU only)" + (f"; this run re-evaluated the {args.only} only." if args.only else "."), ""]
    for header in ("## Scorer", "## Dialogue LLM"):
        lines += sections.get(header, [])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
