"""The fine-tuned cross-encoder on ONNX Runtime: exported once, in float32, into the model cache.

The same graph and weights as the transformers CrossEncoder (scores equal to about 1e-6), and faster on a CPU
(`python -m assistant.bench runtime`, reports/runtime.md). int8 weights were only a little faster again and reorder
the top three products (a probe of 6 queries), so the export stays float32.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from assistant.models import built_once

OPSET = 17


def export_key(path: Path) -> str:
    """Names one export: the bytes of the model or adapter files in `path`."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.iterdir() if p.suffix in (".json", ".safetensors", ".bin", ".txt")):
        digest.update(file.name.encode() + file.read_bytes())
    return digest.hexdigest()[:12]


def export(model: Any, out: Path) -> None:
    """A loaded sentence-transformers CrossEncoder as `out`/model.onnx, its tokenizer and its settings."""
    import torch

    network, tokenizer = model.model.eval(), model.tokenizer
    # A batch with padding, so the trace keeps the attention mask (an all-ones mask can be traced away).
    sample = tokenizer(["a shopper's query", "a much longer query of a shopper, about running shoes"], ["a product", "x"],
                       padding=True, truncation=True, max_length=model.max_length, return_tensors="pt")
    names = [name for name in inspect.signature(network.forward).parameters if name in sample]  # the forward's order
    out.mkdir(parents=True)
    with torch.inference_mode():
        torch.onnx.export(network, tuple(sample[name] for name in names), str(out / "model.onnx"), input_names=names,
                          output_names=["logits"], dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)
    tokenizer.save_pretrained(out)
    sigmoid = isinstance(model.activation_fn, torch.nn.Sigmoid)
    (out / "settings.json").write_text(json.dumps({"max_length": model.max_length, "sigmoid": sigmoid}))


def exported(path: Path, load: Callable[[], Any], cache_dir: Path) -> Path:
    """The export of the cross-encoder at `path` (loaded by `load` only when it is not in the cache yet)."""
    return built_once(cache_dir / f"cross-encoder-onnx-{export_key(path)}", lambda out: export(load(), out),
                      f"Exporting the cross-encoder {path} to ONNX (a few seconds)")


class OnnxCrossEncoder:
    """`predict(pairs)` as sentence-transformers' CrossEncoder gives it, on ONNX Runtime."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime
        from transformers import AutoTokenizer

        settings = json.loads((folder / "settings.json").read_text())
        self.max_length, self.sigmoid = settings["max_length"], settings["sigmoid"]
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        self.session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def predict(self, pairs: list[tuple[str, str]], show_progress_bar: bool = False) -> np.ndarray:
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        encoded = self.tokenizer([q for q, _ in pairs], [d for _, d in pairs], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="np")
        logits = self.session.run(None, {name: encoded[name].astype(np.int64) for name in self.inputs})[0].reshape(-1)
        return 1 / (1 + np.exp(-logits)) if self.sigmoid else logits
