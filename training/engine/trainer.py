"""The training loop (minGPT's Trainer shape) and evaluation.

The loop reports through ``Callbacks``: ``on_start(total_steps)``, ``on_step(step, epoch, loss)``
after every optimiser step, ``on_eval_batch(split, done, total)`` after each evaluation batch,
``on_eval(step, epoch, split, metrics)`` after each val evaluation, and asks ``should_stop()`` after
every step: True ends the run with ``TrainingCancelled``. Callbacks must
be cheap or throttle themselves (the Celery task writes to its row at most about once a second).
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from training.engine.callbacks import Callbacks, TrainingCancelled
from training.engine.config import TrainConfig
from training.engine.data import Encoded, batches
from training.engine.metrics import ConfusionCounts
from training.engine.model import TransformerClassifier


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def configure_cpu(threads: int) -> None:
    """Process-wide CPU settings (a training worker runs one run at a time, so they are ours)."""
    if threads:
        torch.set_num_threads(threads)
    # Late in training, tiny Adam moments and gradients can turn subnormal, and x86 CPUs handle
    # subnormals many times slower; flushing them to zero changes nothing that float32 training needs.
    torch.set_flush_denormal(True)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} was asked for, but CUDA is not available on this worker.")
    return device


def uses_bf16(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


def describe_device(device: torch.device) -> str:
    """Short enough for the run row: "cpu fp32", "cuda:0 bf16"."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} {'bf16' if uses_bf16(device) else 'fp32'}"
    return "cpu fp32"


@dataclass
class Evaluation:
    metrics: dict
    predicted: np.ndarray  # int64 [N]
    confidence: np.ndarray  # float32 [N], probability of the predicted label


@torch.no_grad()
def evaluate(
    model: TransformerClassifier,
    data: Encoded,
    labels: list[str],
    *,
    device: torch.device,
    batch_size: int,
    on_batch: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Scores every row; ``on_batch(done, total)`` after each batch (a long evaluation keeps a heartbeat)."""
    was_training = model.training
    model.eval()
    counts = ConfusionCounts(len(labels))
    predicted = np.zeros(len(data), dtype=np.int64)
    confidence = np.zeros(len(data), dtype=np.float32)
    done = 0
    for rows, ids, mask, targets in batches(data, batch_size):
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=uses_bf16(device)):
            logits = model(ids.to(device), mask.to(device))  # [B, C]
        probs = torch.softmax(logits.float(), dim=-1)  # [B, C]
        best, index = probs.max(dim=-1)  # [B], [B]
        index = index.cpu()
        counts.update(predicted=index.numpy(), target=targets.numpy())
        predicted[rows.numpy()] = index.numpy()
        confidence[rows.numpy()] = best.cpu().numpy()
        done += len(rows)
        if on_batch is not None:
            on_batch(done, len(data))
    model.train(was_training)
    return Evaluation(counts.compute(labels), predicted, confidence)


class Trainer:
    def __init__(
        self,
        model: TransformerClassifier,
        config: TrainConfig,
        *,
        train: Encoded,
        val: Encoded,
        labels: list[str],
        device: torch.device,
        callbacks: Callbacks | None = None,
    ):
        self.model = model.to(device)
        self.config = config
        self.train_data = train
        self.val_data = val
        self.labels = labels
        self.device = device
        self.callbacks = callbacks or Callbacks()
        # [{step, epoch, loss, val_accuracy?, val_macro_f1?}], loss averaged over a window of steps
        self.history: list[dict] = []
        self._window: list[float] = []  # losses since the last history point
        self.steps_per_epoch = math.ceil(len(train) / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.optimizer = self._optimizer()
        warmup = int(config.warmup * self.total_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda step: _lr_factor(step, warmup, self.total_steps))

    def _optimizer(self) -> torch.optim.Optimizer:
        # nanoGPT's split: decay matrices, not biases, norms or embeddings.
        decay, no_decay = [], []
        for name, param in self.model.named_parameters():
            (decay if param.dim() >= 2 and "emb" not in name else no_decay).append(param)
        groups = [
            {"params": decay, "weight_decay": self.config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=self.config.learning_rate, betas=(0.9, 0.98))

    def fit(self) -> list[dict]:
        """Train for ``config.epochs``; returns the loss history. Raises TrainingCancelled."""
        config, model = self.config, self.model
        generator = torch.Generator().manual_seed(config.seed)
        # ≤ ~500 history points whatever the run length: enough for a chart, small in a JSON column.
        window = max(1, self.total_steps // 500)
        self.callbacks.on_start(self.total_steps)
        model.train()
        step = 0
        for epoch in range(1, config.epochs + 1):
            for _, ids, mask, targets in batches(self.train_data, config.batch_size, generator=generator):
                ids, mask, targets = ids.to(self.device), mask.to(self.device), targets.to(self.device)
                with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=uses_bf16(self.device)):
                    logits = model(ids, mask)  # [B, C]
                loss = F.cross_entropy(logits.float(), targets)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                self.optimizer.step()
                self.scheduler.step()
                step += 1
                value = float(loss.item())
                self._window.append(value)
                if len(self._window) == window:
                    self._flush(step, epoch)
                self.callbacks.on_step(step, epoch, value)
                if self.callbacks.should_stop():
                    raise TrainingCancelled(f"stopped at step {step} of {self.total_steps}")
                if config.eval_every and step % config.eval_every == 0:
                    self._evaluate_val(step, epoch)
            if not config.eval_every:
                self._evaluate_val(step, epoch)
        self._flush(step, config.epochs)
        return self.history

    def _flush(self, step: int, epoch: int) -> None:
        """Close the current window of losses into one history point."""
        if self._window:
            self.history.append({"step": step, "epoch": epoch, "loss": sum(self._window) / len(self._window)})
            self._window = []

    def _evaluate_val(self, step: int, epoch: int) -> None:
        if not len(self.val_data):
            return
        result = evaluate(
            self.model, self.val_data, self.labels, device=self.device, batch_size=self.config.batch_size * 4,
            on_batch=lambda done, total: self.callbacks.on_eval_batch("val", done, total),
        )
        # The figures ride on the point of this step, so the loss chart keeps one series.
        self._flush(step, epoch)
        self.history[-1].update(val_accuracy=result.metrics["accuracy"], val_macro_f1=result.metrics["macro_f1"])
        self.callbacks.on_eval(step, epoch, "val", result.metrics)


def _lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warmup to 1, then linear decay to 0 at ``total``."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))
