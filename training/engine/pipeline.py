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

import numpy as np
import torch

from training.engine.checkpoint import save_artifacts, save_pretrained_artifacts
from training.engine.config import AUTO_LENGTH_CAP, FROM_SCRATCH, RunConfig, is_pretrained
from training.engine.data import Encoded, Snapshot, load_snapshot
from training.engine.model import TransformerClassifier
from training.engine.multilabel import decide, pick_thresholds
from training.engine.multilabel import report as multilabel_report
from training.engine.spans import IGNORE, align, entity_report, tag_names, to_spans
from training.engine.tokenizer import WordPieceEncoder, choose_max_length, train_tokenizer
from training.engine.trainer import (
    Callbacks,
    Trainer,
    TrainingCancelled,
    configure_cpu,
    describe_device,
    evaluate,
    infer,
    resolve_device,
    seed_everything,
)

EVAL_SPLITS = ("val", "test")


@dataclass(frozen=True)
class ItemPrediction:
    item_id: int
    label: str  # the version's label ("" for multi-label and spans: see value)
    predicted: str
    confidence: float  # probability the model gives its predicted label (spans: mean over tokens; multi-label:
    # mean over labels of the probability of the decision taken)
    split: str
    value: dict | None = None  # multi-label {"labels": [...]}, spans {"spans": [{start, end, label}]}: the version's
    predicted_value: dict | None = None  # the same shape: the model's


@dataclass
class RunResult:
    metrics: dict[str, dict]  # {"val": {...}, "test": {...}}: ConfusionCounts.compute's shape, multilabel.report's or
    # spans.entity_report's
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
    if snapshot.task_type != "spans":
        return Encoded(torch.from_numpy(ids).long(), torch.from_numpy(lengths).long(), torch.from_numpy(part.targets))
    tags = tag_names(snapshot.labels)
    targets = np.full(ids.shape, IGNORE, dtype=np.int64)  # [N, L]
    for row, offsets in enumerate(encoder.offsets(part.texts, max_length)):
        aligned = align(offsets, part.spans[row], tags)
        targets[row, : len(aligned)] = aligned
    return Encoded(torch.from_numpy(ids).long(), torch.from_numpy(lengths).long(), torch.from_numpy(targets),
                   token_targets=True)


def _evaluate_task(model, snapshot: Snapshot, encoded: dict[str, Encoded], encoder, max_length: int, device,
                   batch_size: int, callbacks: Callbacks) -> tuple[dict[str, dict], list[ItemPrediction], dict]:
    """Multi-label and span runs: metrics per evaluation split, a prediction per item, and what inference needs
    later (multi-label: the thresholds picked on val; spans: the tag names)."""
    probabilities = {}
    for split in EVAL_SPLITS:
        callbacks.on_phase(f"evaluate {split}")
        probabilities[split] = infer(model, encoded[split], device=device, batch_size=batch_size,
                                     task_type=snapshot.task_type,
                                     on_batch=lambda done, total, split=split: callbacks.on_eval_batch(split, done, total))
    metrics: dict[str, dict] = {}
    predictions: list[ItemPrediction] = []
    labels = snapshot.labels
    if snapshot.task_type == "multilabel":
        val = snapshot.splits["val"]
        thresholds = (pick_thresholds(val.targets, np.stack(probabilities["val"])) if len(val)
                      else [0.5] * len(labels))
        for split in EVAL_SPLITS:
            part = snapshot.splits[split]
            probs = np.stack(probabilities[split]) if len(part) else np.zeros((0, len(labels)), dtype=np.float32)
            metrics[split] = multilabel_report(part.targets, probs, thresholds, labels)
            decided = decide(probs, thresholds)
            for row, item_id in enumerate(part.item_ids.tolist()):
                sure = np.where(decided[row], probs[row], 1 - probs[row])
                predictions.append(ItemPrediction(
                    item_id=int(item_id), label="", predicted="", confidence=float(sure.mean()), split=split,
                    value={"labels": [labels[j] for j in np.flatnonzero(part.targets[row])]},
                    predicted_value={"labels": [labels[j] for j in np.flatnonzero(decided[row])]},
                ))
        return metrics, predictions, {"thresholds": thresholds}
    tags = tag_names(labels)
    for split in EVAL_SPLITS:
        part, data = snapshot.splits[split], encoded[split]
        offsets_all = encoder.offsets(part.texts, max_length)
        gold_tags, pred_tags = [], []
        for row, item_id in enumerate(part.item_ids.tolist()):
            probs = probabilities[split][row]  # [length, C]
            real = [k for k in range(len(probs)) if int(data.targets[row, k]) != IGNORE]
            gold = [tags[int(data.targets[row, k])] for k in real]
            guess = [tags[int(probs[k].argmax())] for k in real]
            gold_tags.append(gold)
            pred_tags.append(guess)
            offsets = [offsets_all[row][k] for k in real]
            predictions.append(ItemPrediction(
                item_id=int(item_id), label="", predicted="",
                confidence=float(np.mean([probs[k].max() for k in real])) if real else 1.0, split=split,
                value={"spans": [{"start": a, "end": b, "label": t} for a, b, t in part.spans[row]]},
                predicted_value={"spans": to_spans(guess, offsets)},
            ))
        metrics[split] = entity_report(gold_tags, pred_tags, labels)
    return metrics, predictions, {"tags": tags}


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
    outputs = tag_names(snapshot.labels) if snapshot.task_type == "spans" else snapshot.labels
    if is_pretrained(config.model.name):
        from training.engine.config import model_dir
        from training.engine.pretrained import load_pretrained

        model, encoder = load_pretrained(model_dir(config.model.name, models_dir), outputs, snapshot.task_type)
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
    model = TransformerClassifier(config.model, vocab_size=encoder.vocab_size, num_labels=len(outputs),
                                  token_level=snapshot.task_type == "spans")
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
        task_type=snapshot.task_type,
    )
    callbacks.on_phase("train")
    history = trainer.fit()
    if not trainer.is_main:
        return None

    eval_batch = config.train.batch_size * 4  # no gradients kept: bigger batches fit
    extra: dict = {"task_type": snapshot.task_type}
    if snapshot.task_type == "classification":
        metrics, predictions = _evaluate_splits(model, snapshot, encoded, device, eval_batch, callbacks)
    else:
        metrics, predictions, found = _evaluate_task(model, snapshot, encoded, encoder, max_length, device,
                                                     eval_batch, callbacks)
        extra.update(found)
    if callbacks.should_stop():
        raise TrainingCancelled("stopped during evaluation")

    callbacks.on_phase("save")
    if is_pretrained(config.model.name):
        artifacts = save_pretrained_artifacts(Path(out_dir), model=model, encoder=encoder, config=config,
                                              labels=snapshot.labels, metrics=metrics, extra=extra)
    else:
        artifacts = save_artifacts(Path(out_dir), model=model, tokenizer=encoder.tokenizer, config=config,
                                   labels=snapshot.labels, metrics=metrics, extra=extra)
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
