"""The training pipeline behind ``training.engine.run``.

    snapshot_dir ──load──▶ splits ──train tokenizer on train──▶ token ids
        ──Trainer.fit (callbacks: progress, cancel)──▶ model ──evaluate val, test──▶ metrics, predictions
        ──save──▶ out_dir/{model.safetensors, tokenizer.json, config.json, metrics.json}

A pretrained model ("minilm", "hf:<folder>") replaces the tokenizer training with loading its own tokenizer
and encoder (a new classification head), and saves a Hugging Face model folder.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from training.engine.checkpoint import save_artifacts, save_pretrained_artifacts
from training.engine.config import AUTO_LENGTH_CAP, FROM_SCRATCH, RunConfig, is_pretrained
from training.engine.data import Encoded, Snapshot, load_snapshot
from training.engine.model import TransformerClassifier
from training.engine.tokenizer import WordPieceEncoder, choose_max_length, train_tokenizer
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


def _encoded(snapshot: Snapshot, split: str, encoder, max_length: int) -> Encoded:
    part = snapshot.splits[split]
    ids, lengths = encoder.encode(part.texts, max_length)
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


def _model_and_encoder(config: RunConfig, snapshot: Snapshot, models_dir: Path | None):
    """The model to train and its text encoder; resolves ``config.model.max_length`` when it is 0 (auto)."""
    texts = snapshot.splits["train"].texts
    if is_pretrained(config.model.name):
        from training.engine.config import model_dir
        from training.engine.pretrained import load_pretrained

        model, encoder = load_pretrained(model_dir(config.model.name, models_dir), snapshot.labels)
        cap = min(AUTO_LENGTH_CAP["pretrained"], model.max_positions)
        if not config.model.max_length:
            config.model.max_length = choose_max_length(encoder.token_lengths(texts), cap)
        config.model.max_length = min(config.model.max_length, model.max_positions)
        return model, encoder
    # One call into the tokenizers library, no hook inside: the phase marks bracket it.
    tokenizer = train_tokenizer(texts, vocab_size=config.model.vocab_size,
                                max_length=config.model.max_length or AUTO_LENGTH_CAP[FROM_SCRATCH])
    encoder = WordPieceEncoder(tokenizer)
    if not config.model.max_length:
        config.model.max_length = choose_max_length(encoder.token_lengths(texts), AUTO_LENGTH_CAP[FROM_SCRATCH])
    model = TransformerClassifier(config.model, vocab_size=encoder.vocab_size, num_labels=len(snapshot.labels))
    return model, encoder


def train_and_evaluate(snapshot_dir: Path, out_dir: Path, config: RunConfig, callbacks: Callbacks, *,
                       models_dir: Path | None = None, shard: tuple[int, int] | None = None,
                       device: torch.device | None = None) -> RunResult | None:
    """One process's run; in a DDP run (``shard=(rank, world)``, process group up) only rank 0 evaluates,
    saves and returns a result (the others None)."""
    started = time.perf_counter()
    callbacks = callbacks or Callbacks()
    device = device or resolve_device(config.train.device)
    configure_cpu(config.train.threads)
    seed_everything(config.train.seed)
    snapshot = load_snapshot(Path(snapshot_dir))
    callbacks.on_phase("tokenizer")
    model, encoder = _model_and_encoder(config, snapshot, models_dir)
    callbacks.on_phase("encode")
    max_length = config.model.max_length
    encoded = {name: _encoded(snapshot, name, encoder, max_length) for name in snapshot.splits}

    trainer = Trainer(
        model,
        config.train,
        train=encoded["train"],
        val=encoded["val"],
        labels=snapshot.labels,
        device=device,
        callbacks=callbacks,
        shard=shard,
    )
    callbacks.on_phase("train")
    history = trainer.fit()
    if not trainer.is_main:
        return None

    eval_batch = config.train.batch_size * 4  # no gradients kept: bigger batches fit
    metrics, predictions = _evaluate_splits(model, snapshot, encoded, device, eval_batch, callbacks)
    if callbacks.should_stop():
        raise TrainingCancelled("stopped during evaluation")

    callbacks.on_phase("save")
    if is_pretrained(config.model.name):
        artifacts = save_pretrained_artifacts(Path(out_dir), model=model, encoder=encoder, config=config,
                                              labels=snapshot.labels, metrics=metrics)
    else:
        artifacts = save_artifacts(Path(out_dir), model=model, tokenizer=encoder.tokenizer, config=config,
                                   labels=snapshot.labels, metrics=metrics)
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
        vocab_size=encoder.vocab_size,
    )
