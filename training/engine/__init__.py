"""The training engine: pure PyTorch, no Django. One entry point, ``run``.

    snapshot_dir ──load──▶ splits ──train tokenizer on train──▶ token ids
        ──Trainer.fit (callbacks: progress, cancel)──▶ model ──evaluate val, test──▶ metrics, predictions
        ──save──▶ out_dir/{model.safetensors, tokenizer.json, config.json, metrics.json}

Names are loaded on first use (PEP 562): the web process validates configs and subclasses Callbacks
without importing torch, which costs seconds of CPU in every gunicorn worker.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "Callbacks": "callbacks",
    "TrainingCancelled": "callbacks",
    "ConfigError": "config",
    "ModelConfig": "config",
    "RunConfig": "config",
    "TrainConfig": "config",
    "ConfusionCounts": "metrics",
    "LoadedClassifier": "checkpoint",
    "load_classifier": "checkpoint",
    "SnapshotError": "data",
    "ItemPrediction": "pipeline",
    "RunResult": "pipeline",
    "run": "entry",
    "is_pretrained": "config",
    "ModelNotFound": "config",
    "model_dir": "config",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
