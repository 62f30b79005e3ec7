"""The training loop (minGPT's Trainer shape) and evaluation.

The loop reports through ``Callbacks``: ``on_start(total_steps)``, ``on_step(step, epoch, loss)``
after every optimiser step (``loss``: the mean since the last reading, or None between readings: on CUDA
the loss stays on the device and is read about once a second, since each read waits for the GPU; on the CPU
every step is read, which costs nothing), ``on_eval_batch(split, done, total)`` after each evaluation batch,
``on_eval(step, epoch, split, metrics)`` after each val evaluation, and asks ``should_stop()`` after
every step: True ends the run with ``TrainingCancelled``. Callbacks must
be cheap or throttle themselves (the Celery task writes to its row at most about once a second).
"""
from __future__ import annotations

import math
import random
import time
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
from training.engine.spans import IGNORE


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


LOSS_READ_INTERVAL_S = 1.0  # on CUDA: how often the accumulated loss is copied to the host


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A host tensor on ``device``: pinned and copied asynchronously to CUDA (the next batch is cut meanwhile)."""
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor


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


def task_loss(logits: torch.Tensor, targets: torch.Tensor, task_type: str) -> torch.Tensor:
    """Cross-entropy over classes; per-label binary cross-entropy (multi-label); token cross-entropy that skips
    special tokens and padding (spans)."""
    if task_type == "multilabel":
        return F.binary_cross_entropy_with_logits(logits.float(), targets)  # [B, C] vs [B, C] 0/1
    if task_type == "spans":
        flat = targets.reshape(-1)  # [B*T]
        total = F.cross_entropy(logits.float().reshape(flat.numel(), -1), flat, ignore_index=IGNORE, reduction="sum")
        return total / (flat != IGNORE).sum().clamp(min=1)
    return F.cross_entropy(logits.float(), targets)


@torch.no_grad()
def infer(model: torch.nn.Module, data: Encoded, *, device: torch.device, batch_size: int, task_type: str,
          on_batch: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """Per row: class probabilities [C] (softmax; sigmoid for multi-label) or, for spans, tag probabilities
    [length, C] over the row's real positions (specials included)."""
    was_training = model.training
    model.eval()
    out: list[np.ndarray | None] = [None] * len(data)
    done = 0
    for rows, ids, mask, _ in batches(data, batch_size, sort_by_length=True):
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=uses_bf16(device)):
            logits = model(to_device(ids, device), to_device(mask, device)).float()
        probs = (torch.sigmoid(logits) if task_type == "multilabel" else torch.softmax(logits, dim=-1)).cpu().numpy()
        lengths = data.lengths[rows].tolist()
        for k, row in enumerate(rows.tolist()):
            out[row] = probs[k, : lengths[k]] if task_type == "spans" else probs[k]
        done += len(rows)
        if on_batch is not None:
            on_batch(done, len(data))
    model.train(was_training)
    return out


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
    """Scores every row, in length order (least padding); ``on_batch(done, total)`` after each batch (a long
    evaluation keeps a heartbeat)."""
    was_training = model.training
    model.eval()
    counts = ConfusionCounts(len(labels))
    predicted = np.zeros(len(data), dtype=np.int64)
    confidence = np.zeros(len(data), dtype=np.float32)
    done = 0
    for rows, ids, mask, targets in batches(data, batch_size, sort_by_length=True):
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=uses_bf16(device)):
            logits = model(to_device(ids, device), to_device(mask, device))  # [B, C]
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
    """``shard=(rank, world)``: one process of a DistributedDataParallel run. The model is wrapped in DDP (the
    process group must be up), each process steps on its rows of every global batch, and only rank 0
    evaluates val and reports the loss."""

    def __init__(
        self,
        model: torch.nn.Module,
        config: TrainConfig,
        *,
        train: Encoded,
        val: Encoded,
        labels: list[str],
        device: torch.device,
        callbacks: Callbacks | None = None,
        shard: tuple[int, int] | None = None,
        task_type: str = "classification",
    ):
        self.model = model.to(device)
        self.task_type = task_type
        self.shard = shard
        self.is_main = shard is None or shard[0] == 0
        self.forward_model = self.model
        if shard is not None:
            from torch.nn.parallel import DistributedDataParallel

            self.forward_model = DistributedDataParallel(self.model, device_ids=[device.index] if device.type == "cuda" else None)
        self.config = config
        self.train_data = train
        self.val_data = val
        self.labels = labels
        self.device = device
        self.callbacks = callbacks or Callbacks()
        # [{step, epoch, loss, val_accuracy?, val_macro_f1?}], loss averaged over a window of steps
        self.history: list[dict] = []
        self._window_sum = 0.0  # losses read since the last history point
        self._window_steps = 0
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
        config, model = self.config, self.forward_model
        generator = torch.Generator().manual_seed(config.seed)
        # ≤ ~500 history points whatever the run length: enough for a chart, small in a JSON column.
        window = max(1, self.total_steps // 500)
        read_interval = LOSS_READ_INTERVAL_S if self.device.type == "cuda" else 0.0
        self.callbacks.on_start(self.total_steps)
        model.train()
        step = 0
        pending = torch.zeros((), device=self.device)  # loss summed on the device since the last read
        pending_steps = 0
        last_read = time.monotonic()
        for epoch in range(1, config.epochs + 1):
            for _, ids, mask, targets in batches(self.train_data, config.batch_size, generator=generator,
                                                 sort_by_length=bool(config.sort_by_length), shard=self.shard):
                ids, mask, targets = (to_device(t, self.device) for t in (ids, mask, targets))
                with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=uses_bf16(self.device)):
                    logits = model(ids, mask)  # [B, C]
                loss = task_loss(logits, targets, self.task_type)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
                self.optimizer.step()
                self.scheduler.step()
                step += 1
                pending += loss.detach()
                pending_steps += 1
                value = None
                last_of_epoch = step == epoch * self.steps_per_epoch
                if last_of_epoch or time.monotonic() - last_read >= read_interval:
                    value = float(pending.item()) / pending_steps  # the one host sync
                    self._window_sum += value * pending_steps
                    self._window_steps += pending_steps
                    pending.zero_()
                    pending_steps, last_read = 0, time.monotonic()
                    if self._window_steps >= window:
                        self._flush(step, epoch)
                if self.is_main:
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
        """Close the losses read since the last point into one history point."""
        if self._window_steps:
            self.history.append({"step": step, "epoch": epoch, "loss": self._window_sum / self._window_steps})
            self._window_sum, self._window_steps = 0.0, 0

    def _evaluate_val(self, step: int, epoch: int) -> None:
        if not len(self.val_data) or not self.is_main or self.task_type != "classification":
            return  # multi-label and span runs are evaluated on val once, after training
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
