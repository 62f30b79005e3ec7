"""The training pipeline behind ``training.engine.run``.

    snapshot_dir ──load──▶ splits ──train tokenizer on train──▶ token ids
        ──Trainer.fit (callbacks: progress, cancel)──▶ model ──evaluate val, test──▶ metrics, predictions
        ──save──▶ out_dir/{model.safetensors, tokenizer.json, config.json, metrics.json}
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from training.engine.checkpoint import save_artifacts
from training.engine.config import RunConfig
from training.engine.data import Encoded, Snapshot, load_snapshot
from training.engine.model import TransformerClassifier
from training.engine.tokenizer import encode, train_tokenizer
from training.engine.trainer import (
    Callbacks,
    Trainer,
    TrainingCancelled,
    configure_cpu,
    describe_device,
    evaluate,
    resolve_device,
    seed_everything,
)

EVAL_SPLITS = ("val", "test")


@dataclass(frozen=True)
class ItemPrediction:
    item_id: int
    label: str  # the version's label
    predicted: str
    confidence: float  # probability the model gives its predicted label
    split: str


@dataclass
class RunResult:
    metrics: dict[str, dict]  # {"val": {...}, "test": {...}}, each ConfusionCounts.compute's shape
    predictions: list[ItemPrediction]  # val and test items
    history: list[dict]  # [{step, epoch, loss}]
    device: str  # "cpu fp32", "cuda:0 bf16"
    config: RunConfig
    total_steps: int
    seconds: float
    artifacts: dict[str, str] = field(default_factory=dict)  # {kind: file name in out_dir}
    num_parameters: int = 0
    vocab_size: int = 0


def _encoded(snapshot: Snapshot, split: str, tokenizer, max_length: int) -> Encoded:
    part = snapshot.splits[split]
    ids, lengths = encode(tokenizer, part.texts, max_length)
    return Encoded(torch.from_numpy(ids).long(), torch.from_numpy(lengths).long(), torch.from_numpy(part.targets))


def _evaluate_splits(model, snapshot: Snapshot, encoded: dict[str, Encoded], device, batch_size: int,
                     callbacks: Callbacks) -> tuple[dict[str, dict], list[ItemPrediction]]:
    """Metrics per evaluation split and a prediction per item of those splits."""
    metrics: dict[str, dict] = {}
    predictions: list[ItemPrediction] = []
    for split in EVAL_SPLITS:
        callbacks.on_phase(f"evaluate {split}")
        result = evaluate(
            model, encoded[split], snapshot.labels, device=device, batch_size=batch_size,
            on_batch=lambda done, total, split=split: callbacks.on_eval_batch(split, done, total),
        )
        metrics[split] = result.metrics
        part = snapshot.splits[split]
        predictions.extend(
            ItemPrediction(
                item_id=int(item_id),
                label=snapshot.labels[target],
                predicted=snapshot.labels[predicted],
                confidence=float(confidence),
                split=split,
            )
            for item_id, target, predicted, confidence in zip(
                part.item_ids.tolist(), part.targets.tolist(), result.predicted.tolist(), result.confidence.tolist(),
                strict=True,
            )
        )
    return metrics, predictions


def run(snapshot_dir: Path, out_dir: Path, config: RunConfig, callbacks: Callbacks | None = None) -> RunResult:
    """Train on the snapshot's train split, evaluate on val and test, write artifacts to ``out_dir``.

    Raises SnapshotError (bad snapshot), ConfigError (bad config), TrainingCancelled (callbacks said
    stop; nothing is written). Deterministic for a given config, snapshot and device.
    """
    started = time.perf_counter()
    config.validate()
    callbacks = callbacks or Callbacks()
    device = resolve_device(config.train.device)
    configure_cpu(config.train.threads)
    seed_everything(config.train.seed)
    snapshot = load_snapshot(Path(snapshot_dir))
    max_length = config.model.max_length
    # One call into the tokenizers library each, no hook inside: the phase marks bracket them.
    callbacks.on_phase("tokenizer")
    tokenizer = train_tokenizer(
        snapshot.splits["train"].texts, vocab_size=config.model.vocab_size, max_length=max_length
    )
    callbacks.on_phase("encode")
    encoded = {name: _encoded(snapshot, name, tokenizer, max_length) for name in snapshot.splits}

    model = TransformerClassifier(config.model, vocab_size=tokenizer.get_vocab_size(), num_labels=len(snapshot.labels))
    trainer = Trainer(
        model,
        config.train,
        train=encoded["train"],
        val=encoded["val"],
        labels=snapshot.labels,
        device=device,
        callbacks=callbacks,
    )
    callbacks.on_phase("train")
    history = trainer.fit()

    eval_batch = config.train.batch_size * 4  # no gradients kept: bigger batches fit
    metrics, predictions = _evaluate_splits(model, snapshot, encoded, device, eval_batch, callbacks)
    if callbacks.should_stop():
        raise TrainingCancelled("stopped during evaluation")

    callbacks.on_phase("save")
    artifacts = save_artifacts(
        Path(out_dir), model=model, tokenizer=tokenizer, config=config, labels=snapshot.labels, metrics=metrics
    )
    return RunResult(
        metrics=metrics,
        predictions=predictions,
        history=history,
        device=describe_device(device),
        config=config,
        total_steps=trainer.total_steps,
        seconds=time.perf_counter() - started,
        artifacts=artifacts,
        num_parameters=model.num_parameters(),
        vocab_size=tokenizer.get_vocab_size(),
    )
