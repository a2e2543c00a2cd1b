"""The local dialogue LLM on ONNX Runtime GenAI: the model with its adapter merged, converted once to int8 ONNX in
the model cache, and decoded greedily with one reusable KV cache.

Why this runtime: on a 2-core CPU it decodes SmolLM2-135M about four times faster than transformers in float32, and
its int8 weights keep the fine-tuned readings (`python -m assistant.bench runtime`, reports/runtime.md). The
understanding constraint (assistant/constrained.py) runs between steps through the runtime's logits, and the
generator is kept between calls with the prompt's fixed part (the system message) prefilled.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from assistant.constrained import JsonConstraint, Schema
from assistant.llm import LLMConfig, Message, ModelBusy, adapter_files, base_folder, with_adapter
from assistant.models import built_once

PRECISION = "int8"  # int4 is faster still but changes the fine-tuned model's readings (reports/runtime.md)
CONTEXT = 2048  # tokens of prompt and answer; the generator's KV buffer is this long
BARRED = -1e9  # the logit of every token but the constraint's choice


def model_key(base: Path, adapter: Path | None) -> str:
    """Names one conversion: the base's config and weight files, and the adapter's bytes."""
    digest = hashlib.sha256((base / "config.json").read_bytes())
    for weights in sorted(base.glob("*.safetensors")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    for path in adapter_files(adapter) if adapter else []:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def save_merged(base: Path, adapter: Path | None, out: Path) -> None:
    """`base` (a transformers folder) with `adapter` folded in, saved as one float32 transformers folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    if adapter:
        model = with_adapter(model, adapter)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(base)).save_pretrained(out)


def converted(base: Path, adapter: Path | None, cache_dir: Path, kind: str, convert: Callable[[Path, Path], None]) -> Path:
    """The merged model converted once by `convert(merged_folder, out_folder)` into the cache folder named by `kind`."""
    def build(out: Path) -> None:
        merged = out.parent / "merged"
        save_merged(base, adapter, merged)
        convert(merged, out)

    what = f"Converting {base.name}" + (f" with the adapter {adapter}" if adapter else "") + f" ({kind}; about 30 s a 100M parameters)"
    return built_once(cache_dir / f"{kind}-{base.name}-{model_key(base, adapter)}", build, what)


def converted_onnx(base: Path, adapter: Path | None, cache_dir: Path, precision: str = PRECISION) -> Path:
    """The merged model as an ONNX Runtime GenAI folder of `precision` weights (int8 or int4)."""
    def convert(merged: Path, out: Path) -> None:
        from onnxruntime_genai.models.builder import create_model, parse_extra_options

        paths = (str(merged), str(merged), str(out), precision, "cpu", str(merged.parent / "builder-cache"))
        create_model(*paths, **parse_extra_options(*paths, []))

    return converted(base, adapter, cache_dir, f"onnx-{precision}", convert)


class OnnxLLM:
    """The `ChatModel` of the app's default local runtime (same prompts, adapter and constraint as `LocalLLM`)."""

    def __init__(self, config: LLMConfig, precision: str = PRECISION) -> None:
        import onnxruntime_genai as og
        from transformers import AutoTokenizer

        self.config = config
        base = base_folder(config)
        adapter = Path(config.adapter_path) if config.adapter_path else None
        self.path = converted_onnx(base, adapter, config.cache_dir, precision)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        self.model = og.Model(str(self.path))
        self.tuned = bool(adapter)
        self.role = config.resolved_role()
        self.eos_id = self.tokenizer.eos_token_id
        self._og = og
        self._generator: Any = None
        self._lock = threading.Lock()  # one generation at a time: the CPU is the bottleneck anyway
        self._pieces: list[str] | None = None

    def take(self) -> None:
        if not self._lock.acquire(timeout=self.config.wait_s):
            raise ModelBusy(f"the dialogue model stayed busy with another turn for {self.config.wait_s:g} s")

    def prompt_ids(self, messages: list[Message], max_new_tokens: int) -> tuple[list[int], int]:
        """The prompt's tokens, and how many of them are its fixed part (the system message), which is cached."""
        ids = self.template(messages, True)
        if len(ids) + max_new_tokens > CONTEXT:
            raise ValueError(f"the prompt ({len(ids)} tokens) and answer do not fit the model's {CONTEXT}-token context")
        fixed = self.template(messages[:1], False) if messages and messages[0]["role"] == "system" else []
        return ids, len(fixed) if ids[:len(fixed)] == fixed else 0

    def template(self, messages: list[Message], generation_prompt: bool) -> list[int]:
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=generation_prompt)
        return list(ids["input_ids"] if hasattr(ids, "keys") else ids)

    def prefilled(self, ids: list[int], fixed: int) -> Any:
        """The generator holding `ids`. The fixed part is prefilled on its own and kept while the next prompt starts
        with it; the rest always as one piece after it, so a prompt's answer never depends on what came before
        (a piece of another length rounds differently)."""
        if self._generator is None:
            params = self._og.GeneratorParams(self.model)
            params.set_search_options(max_length=CONTEXT, do_sample=False)
            self._generator = self._og.Generator(self.model, params)
        generator = self._generator
        held = [int(t) for t in generator.get_sequence(0)]
        if fixed and len(held) >= fixed and held[:fixed] == ids[:fixed]:
            generator.rewind_to(fixed)
        else:
            generator.rewind_to(0)
            if fixed:
                generator.append_tokens(ids[:fixed])
        generator.append_tokens(ids[fixed:])
        return generator

    def tokens(self, prompt: tuple[list[int], int], max_new_tokens: int,
               choose: Callable[[list[int], np.ndarray], int] | None) -> Iterator[int]:
        """Greedy answer tokens after the prompt; `choose(answer, logits)` picks each one under a constraint.
        The caller holds the lock."""
        generator = self.prefilled(*prompt)
        answer: list[int] = []
        for _ in range(max_new_tokens):
            if choose is not None:
                logits = generator.get_logits()
                forced = np.full_like(logits, BARRED)
                forced.reshape(-1)[choose(answer, logits.reshape(-1))] = 0.0
                generator.set_logits(forced)
            generator.generate_next_token()
            token = int(generator.get_next_tokens()[0])
            if token == self.eos_id:
                return
            answer.append(token)
            yield token

    def constraint(self, schema: Schema) -> Callable[[list[int], np.ndarray], int]:
        if self._pieces is None:  # the text of every token alone, once (about a second)
            self._pieces = [self.tokenizer.decode([token]) for token in range(len(self.tokenizer))]
        rule = JsonConstraint([schema], 0, self._pieces, self.eos_id)
        return lambda answer, logits: rule.choose(answer, schema, np.argsort(-logits))

    def chat(self, messages: list[Message], max_new_tokens: int | None = None, schema: Schema | None = None) -> str:
        limit = max_new_tokens or self.config.max_new_tokens
        prompt = self.prompt_ids(messages, limit)
        choose = self.constraint(schema) if schema else None
        self.take()
        try:
            answer = list(self.tokens(prompt, limit, choose))
        finally:
            self._lock.release()
        return self.tokenizer.decode(answer, skip_special_tokens=True).strip()

    def stream(self, messages: list[Message], max_new_tokens: int | None = None) -> Iterator[str]:
        """Text as generated; closing the iterator early stops generation at the next token."""
        limit = max_new_tokens or self.config.max_new_tokens
        prompt = self.prompt_ids(messages, limit)
        self.take()
        try:
            answer: list[int] = []
            said = ""
            for token in self.tokens(prompt, limit, None):
                answer.append(token)
                text = self.tokenizer.decode(answer, skip_special_tokens=True)
                if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
                    continue
                if text[len(said):]:
                    yield text[len(said):]
                said = text
        finally:
            self._lock.release()
