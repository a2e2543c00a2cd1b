"""The dialogue LLM backends: the packaged SmolLM2 (local) and an OpenAI-compatible endpoint."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from assistant.llm import LLMConfig, LocalLLM, OpenAICompatibleLLM, load_llm

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


def test_packaged_smollm2_generates_and_streams() -> None:
    llm = load_llm(LLMConfig(max_new_tokens=12))
    assert isinstance(llm, LocalLLM) and load_llm(LLMConfig(max_new_tokens=12)) is llm  # loaded once
    text = llm.chat(MESSAGES)
    pieces = list(llm.stream(MESSAGES))
    assert text and len(pieces) >= 2
    assert "".join(pieces).strip() == text  # greedy decoding: streaming gives the same reply


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
