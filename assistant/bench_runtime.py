"""The local LLM runtimes side by side on the same prompts: first-token time, decode speed, reading latency, peak
memory, and whether each reads like float32 transformers; and the cross-encoder on transformers and ONNX Runtime.

    python -m assistant.bench runtime [--data ../shared/data] [--examples 40] [--support-per-intent 2] [--out reports/runtime.md]

The prompts are the understanding prompts the engine gives the fine-tuned model: held-out synthetic examples of the
embedded shop and, with --data, real support requests (read in place). Each is read greedily, one at a time and under
the understanding constraint, as in the app; each runtime runs in a process of its own, so its peak memory is its own.
CTranslate2 is measured when it is installed (`pip install ctranslate2`); it has no per-step hook for the constraint,
so it decodes unconstrained.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.bench_dialogue import percentile
from assistant.config import Settings
from assistant.constrained import Schema
from assistant.llm import DEFAULT_ADAPTER, DEFAULT_MODEL, PACKAGED, LLMConfig, Message, base_folder
from assistant.state import DialogueState
from finetune import eval_dialogue
from finetune.dialogue import DialogueTrainConfig, even_sample, shop_assistant, shop_examples

UNDERSTAND_TOKENS = eval_dialogue.UNDERSTAND_TOKENS
RUNTIMES = {  # name -> (what it is, decodes under the constraint)
    "transformers": ("transformers, float32 (training's path; the default before)", True),
    "onnx-int8": ("ONNX Runtime GenAI, int8 weights (the app's default)", True),
    "onnx-int4": ("ONNX Runtime GenAI, int4 weights", True),
    "ctranslate2-int8": ("CTranslate2, int8 weights (unconstrained)", False),
}


@dataclass
class Run:
    runtime: str
    load_s: float = 0.0
    texts: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # per reading
    first: list[float] = field(default_factory=list)  # prefill and the first token
    tokens: list[int] = field(default_factory=list)
    peak_mb: float = 0.0
    error: str = ""


class CT2Reader:
    """The merged model converted once to CTranslate2 int8 in the cache; unconstrained greedy decoding."""

    def __init__(self, config: LLMConfig) -> None:
        import ctranslate2
        from transformers import AutoTokenizer

        from assistant.onnx_llm import converted

        def convert(merged: Path, out: Path) -> None:
            ctranslate2.converters.TransformersConverter(str(merged), load_as_float16=False).convert(str(out), quantization="int8")
            AutoTokenizer.from_pretrained(str(merged)).save_pretrained(out)

        base = base_folder(config)
        path = converted(base, Path(config.adapter_path) if config.adapter_path else None, config.cache_dir, "ct2-int8", convert)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.generator = ctranslate2.Generator(str(path), device="cpu", compute_type="int8", intra_threads=os.cpu_count() or 1)

    def chat(self, messages: list[Message], max_new_tokens: int | None = None, schema: Schema | None = None) -> str:
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True)
        ids = list(ids["input_ids"] if hasattr(ids, "keys") else ids)
        result = self.generator.generate_batch([self.tokenizer.convert_ids_to_tokens(ids)], max_length=max_new_tokens or 64,
                                               include_prompt_in_result=False, end_token=self.tokenizer.eos_token)
        return self.tokenizer.decode(result[0].sequences_ids[0], skip_special_tokens=True).strip()


def reader(runtime: str, config: LLMConfig) -> Any:
    if runtime == "transformers":
        from assistant.llm import LocalLLM

        return LocalLLM(config)
    if runtime.startswith("onnx-"):
        from assistant.onnx_llm import OnnxLLM

        return OnnxLLM(config, precision=runtime.split("-", 1)[1])
    return CT2Reader(config)


def app_config(model: str, adapter: str) -> LLMConfig:
    """The packaged `model` with `adapter` (a folder or "none"; "" = as the app runs it: the shipped adapter on
    SmolLM2, none on another)."""
    if not adapter:
        adapter = str(DEFAULT_ADAPTER) if model == DEFAULT_MODEL else "none"
    return LLMConfig(use="on", model=model, adapter_path=None if adapter == "none" else adapter, wait_s=60.0)


def prepare(runtime: str, model: str, adapter: str) -> str:
    """In a process of its own: convert the model into the cache if it is not there yet; an error, or ''."""
    try:
        reader(runtime, app_config(model, adapter))
    except ImportError as error:
        return f"not installed ({error.name})"
    return ""


def measure(runtime: str, model: str, adapter: str, chats: list[list[Message]], schemas: list[Schema]) -> Run:
    """In a fresh process, the model already converted: load it, then read every prompt (and once more for the
    first token alone)."""
    run = Run(runtime)
    started = time.perf_counter()
    llm = reader(runtime, app_config(model, adapter))
    run.load_s = time.perf_counter() - started
    constrained = RUNTIMES[runtime][1]
    llm.chat(chats[0], UNDERSTAND_TOKENS, schemas[0] if constrained else None)  # warm-up: lazy tables, allocator
    for chat, schema in zip(chats, schemas):
        schema_or_none = schema if constrained else None
        started = time.perf_counter()
        llm.chat(chat, 1, schema_or_none)
        run.first.append(time.perf_counter() - started)
        started = time.perf_counter()
        text = llm.chat(chat, UNDERSTAND_TOKENS, schema_or_none)
        run.seconds.append(time.perf_counter() - started)
        run.texts.append(text)
        run.tokens.append(len(llm.tokenizer.encode(text, add_special_tokens=False)) + 1)  # and the end token
    run.peak_mb = peak_mb()
    return run


def peak_mb() -> float:
    """This process's own peak resident memory. (ru_maxrss would count the parent's pages at the fork that
    starts a spawned worker.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_own_process(job: Any, *args: Any) -> Any:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(job, args)


@dataclass
class ScorerRun:
    runtime: str
    seconds: list[float] = field(default_factory=list)  # per query
    scores: list[Any] = field(default_factory=list)


def measure_scorer(queries: list[str], products: list[Any], seed: int) -> list[ScorerRun]:
    """The shipped cross-encoder on both runtimes: each query against a pool of the size a recommend turn scores."""
    from assistant.scorer import CROSS_ENCODER_POOL, DEFAULT_CONFIG, CrossEncoderRelevance, ScorerConfig

    path = ScorerConfig.load(DEFAULT_CONFIG).relevance_model
    pools = [random.Random(seed + i).sample(products, min(CROSS_ENCODER_POOL, len(products))) for i in range(len(queries))]
    runs = []
    for runtime in ("transformers", "onnx"):
        relevance, run = CrossEncoderRelevance(path, runtime=runtime), ScorerRun(runtime)
        relevance.score(queries[0], pools[0])  # warm-up
        for query, pool in zip(queries, pools):
            started = time.perf_counter()
            run.scores.append(relevance.score(query, pool))
            run.seconds.append(time.perf_counter() - started)
        runs.append(run)
    return runs


def decode_rate(run: Run) -> float:
    """Tokens a second after the first: (tokens - 1) over (reading - first token), summed over the prompts."""
    spent = sum(max(1e-6, s - f) for s, f in zip(run.seconds, run.first))
    return sum(t - 1 for t in run.tokens) / spent


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(args: Any) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        assistant = shop_assistant(Settings.from_env(), Path(scratch))
        shop = assistant.current_shop()
        vocab = assistant.vocabulary(shop)
        config = DialogueTrainConfig()  # its seed picks the held-out split the adapter never saw
        tests = even_sample([e for e in shop_examples(assistant, config) if e.split == "test"], args.examples,
                            random.Random(config.seed + 1))
    support_csv = Path(args.data) / "customer_support_dev.csv" if args.data else None
    rows = eval_dialogue.support_rows(str(support_csv), args.support_per_intent) if support_csv and support_csv.exists() else []
    messages = [(e.message, e.state) for e in tests] + [(r["instruction"], DialogueState("bench")) for r in rows]
    tuned = app_config(args.model, args.adapter).adapter_path is not None  # an un-tuned model gets the instructions and every category
    chats = eval_dialogue.understanding_prompts(messages, vocab, shop, tuned=tuned)
    schemas = eval_dialogue.understanding_schemas(messages, vocab, shop)
    runs = {}
    for runtime in args.runtimes.split(","):
        print(f"preparing {runtime}...", file=sys.stderr, flush=True)
        error = in_own_process(prepare, runtime, args.model, args.adapter)
        print(f"measuring {runtime} on {len(chats)} prompts...", file=sys.stderr, flush=True)
        runs[runtime] = Run(runtime, error=error) if error else in_own_process(measure, runtime, args.model, args.adapter, chats, schemas)
    print("measuring the cross-encoder...", file=sys.stderr, flush=True)
    scorers = measure_scorer([e.message for e in tests], shop.products, config.seed)
    text = render(runs, scorers, tests, rows, vocab, shop, args, time.perf_counter() - started)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out}")


def render(runs: dict[str, Run], scorers: list[ScorerRun], tests: list, rows: list, vocab: Any, shop: Any, args: Any,
           seconds: float) -> str:
    reference = runs.get("transformers")
    n_tests = len(tests)
    lines = ["# Local LLM runtimes", "",
             f"Generated by `python -m assistant.bench runtime --data {args.data} --examples {args.examples} "
             f"--support-per-intent {args.support_per_intent}{options(args)}` at commit {commit()} on {time.strftime('%Y-%m-%d')} "
             f"({cpu_name()}, {os.cpu_count()} CPUs), in {seconds:.0f} s. Model: {model_words(args.model, args.adapter)}. "
             f"Prompts: the engine's understanding prompts "
             f"for {n_tests} held-out synthetic examples of the embedded shop and {len(rows)} real support requests "
             f"(`customer_support_dev.csv`, read in place), greedy, one at a time, at most {UNDERSTAND_TOKENS} new tokens, "
             "as in the app. Each runtime ran in its own process.", "",
             "| runtime | load s | first token p50 / p95 ms | reading p50 / p95 ms | decode tokens/s | peak MB "
             "| same reading as float32 | intent (held-out) | valid JSON (held-out) | support routing (real) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, run in runs.items():
        if run.error:
            lines.append(f"| {RUNTIMES[name][0]} | {run.error} |" + " |" * 9)
            continue
        score = eval_dialogue.score_understanding(run.texts[:n_tests], tests, vocab, shop)
        routing = f"{eval_dialogue.routing_accuracy(run.texts[n_tests:], rows):.3f}" if rows else "n/a"
        same = (f"{sum(a == b for a, b in zip(run.texts, reference.texts)) / len(run.texts):.0%}"
                if reference and not reference.error else "n/a")
        ms = lambda values, q: percentile(values, q) * 1000  # noqa: E731
        lines.append(f"| {RUNTIMES[name][0]} | {run.load_s:.1f} | {ms(run.first, 50):.0f} / {ms(run.first, 95):.0f} | "
                     f"{ms(run.seconds, 50):.0f} / {ms(run.seconds, 95):.0f} | {decode_rate(run):.1f} | {run.peak_mb:.0f} | "
                     f"{same} | {score.intent_accuracy:.3f} | {score.json_validity:.3f} | {routing} |")
    lines += ["", "*Load*: loading the converted model (the conversion itself runs once, into the model cache, and is "
              "not counted). *First token*: prefill of the prompt and one new token. *Decode tokens/s*: the tokens after "
              "the first, over the time after it. *Same reading*: the output text equals float32 transformers' word for "
              "word. *Intent* and *valid JSON*: as in `reports/finetune.md`; *support routing*: the intent the real "
              "request's label implies.", ""]
    return "\n".join(lines + scorer_lines(scorers))


def scorer_lines(runs: list[ScorerRun]) -> list[str]:
    import numpy as np

    reference = runs[0]
    pool = len(reference.scores[0]) if reference.scores else 0
    lines = ["## Cross-encoder (the scorer's relevance)", "",
             f"The shipped fine-tuned cross-encoder (`finetune/artifacts/scorer`, merged) scoring {len(reference.seconds)} "
             f"held-out requests against {pool} products each (the pool a recommend turn scores), one query at a time.", "",
             "| runtime | per query p50 / p95 ms | largest score difference from transformers | same top 3 |", "|---|---|---|---|"]
    for run in runs:
        differences = max(float(np.abs(a - b).max()) for a, b in zip(run.scores, reference.scores))
        top3 = sum(set(np.argsort(-a)[:3]) == set(np.argsort(-b)[:3]) for a, b in zip(run.scores, reference.scores))
        name = "transformers, float32" if run.runtime == "transformers" else "ONNX Runtime, float32 (the app's default)"
        lines.append(f"| {name} | {percentile(run.seconds, 50) * 1000:.0f} / {percentile(run.seconds, 95) * 1000:.0f} | "
                     f"{differences:.1e} | {top3}/{len(run.scores)} |")
    return lines + [""]


def options(args: Any) -> str:
    """The command's other options that differ from their defaults, as typed."""
    given = [("--model", args.model, DEFAULT_MODEL), ("--adapter", args.adapter, ""), ("--runtimes", args.runtimes, ",".join(RUNTIMES)), ("--out", args.out, "reports/runtime.md")]
    return "".join(f" {flag} {value}" for flag, value, default in given if value != default)


def model_words(model: str, adapter: str) -> str:
    if model == DEFAULT_MODEL and not adapter:
        return "the packaged SmolLM2-135M-Instruct with the fine-tuned adapter (`finetune/artifacts/dialogue`), merged"
    if adapter and adapter != "none":
        return f"the packaged {model} with the LoRA adapter `{adapter}`, merged"
    return f"the packaged {model}, not fine-tuned (so its prompts carry the instructions and every category)"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("runtime", help="speed, memory and fidelity of the local LLM runtimes on the same prompts")
    parser.add_argument("--data", default="../shared/data", help="the shared data folder (read, never copied); '' for none")
    parser.add_argument("--examples", type=int, default=40, help="held-out synthetic understanding examples")
    parser.add_argument("--support-per-intent", type=int, default=2)
    parser.add_argument("--runtimes", default=",".join(RUNTIMES))
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=list(PACKAGED), help="the packaged model measured")
    parser.add_argument("--adapter", default="", help="a LoRA adapter folder, or none (default: as the app runs the model)")
    parser.add_argument("--out", default="reports/runtime.md")
    parser.set_defaults(run=run)
