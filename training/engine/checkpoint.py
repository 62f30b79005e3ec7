"""Artifacts of a run, and loading them back for inference.

From scratch, ``out_dir`` receives ``model.safetensors`` (weights: no pickle, so loading runs no code),
``tokenizer.json`` (Hugging Face ``tokenizers`` format), ``config.json`` (the RunConfig, the labels in
head order, the vocabulary size) and ``metrics.json``. A fine-tuned pretrained model's folder is a Hugging
Face model folder (``pretrained.save_pretrained``) plus ``datamoat.json`` (the RunConfig and labels) and
``metrics.json``. ``load_classifier`` rebuilds either from its folder alone.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

from training.engine.config import ModelConfig, RunConfig, TrainConfig
from training.engine.data import Encoded, batches
from training.engine.model import TransformerClassifier
from training.engine.tokenizer import WordPieceEncoder, load_tokenizer, save_tokenizer

WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
CONFIG = "config.json"
METRICS = "metrics.json"
PRETRAINED_CONFIG = "datamoat.json"  # beside a Hugging Face model folder's own config.json


def save_artifacts(
    out_dir: Path,
    *,
    model: TransformerClassifier,
    tokenizer: Tokenizer,
    config: RunConfig,
    labels: Sequence[str],
    metrics: dict,
    extra: dict | None = None,
) -> dict[str, str]:
    """Write the artifacts; returns {kind: file name}. ``extra``: task_type and, per task, its tags or thresholds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().to("cpu").contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(out_dir / WEIGHTS), metadata={"format": "pt"})
    save_tokenizer(tokenizer, out_dir / TOKENIZER)
    document = {
        **config.to_dict(),
        "labels": list(labels),
        "vocab_size": model.tok_emb.num_embeddings,
        "architecture": "TransformerClassifier",
        **(extra or {}),
    }
    (out_dir / CONFIG).write_text(json.dumps(document, indent=2))
    (out_dir / METRICS).write_text(json.dumps(metrics, indent=2))
    return {"weights": WEIGHTS, "tokenizer": TOKENIZER, "config": CONFIG, "metrics": METRICS}


def save_pretrained_artifacts(
    out_dir: Path, *, model, encoder, config: RunConfig, labels: Sequence[str], metrics: dict, extra: dict | None = None
) -> dict[str, str]:
    """A fine-tuned pretrained model: the Hugging Face folder, ``datamoat.json`` and ``metrics.json``."""
    from training.engine.pretrained import save_pretrained

    out_dir.mkdir(parents=True, exist_ok=True)
    written = save_pretrained(out_dir, model, encoder)
    document = {**config.to_dict(), "labels": list(labels), "architecture": "pretrained", **(extra or {})}
    (out_dir / PRETRAINED_CONFIG).write_text(json.dumps(document, indent=2))
    (out_dir / METRICS).write_text(json.dumps(metrics, indent=2))
    return {"weights": WEIGHTS, "config": CONFIG, "datamoat": PRETRAINED_CONFIG, "metrics": METRICS,
            **{f"file:{name}": name for name in written if name not in (WEIGHTS, CONFIG)}}


@dataclass
class LoadedClassifier:
    model: torch.nn.Module  # called as model(ids, mask) -> logits
    encoder: object  # tokenizer.WordPieceEncoder or pretrained.HfEncoder
    labels: list[str]
    config: RunConfig
    task_type: str = "classification"  # predict_proba serves classification; the others answer by their own shapes

    @property
    def tokenizer(self):
        return self.encoder.tokenizer

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str], *, batch_size: int = 256) -> torch.Tensor:
        """Class probabilities float32 [N, num_labels] in ``labels`` order."""
        self.model.eval()
        max_length = self.config.model.max_length
        ids, lengths = self.encoder.encode(texts, max_length)
        data = Encoded(torch.from_numpy(ids).long(), torch.from_numpy(lengths).long(), torch.zeros(len(texts)).long())
        out = torch.zeros(len(texts), len(self.labels))  # [N, C]
        for rows, batch_ids, mask, _ in batches(data, batch_size, sort_by_length=True):
            out[rows] = torch.softmax(self.model(batch_ids, mask).float(), dim=-1)  # [B, C]
        return out

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """(label, confidence) per text."""
        confidence, index = self.predict_proba(texts).max(dim=-1)
        return [(self.labels[i], float(c)) for i, c in zip(index.tolist(), confidence.tolist(), strict=True)]


def _run_config(document: dict) -> RunConfig:
    model = dict(document["model"])
    if not model.get("max_length"):  # written before max_length could be chosen from the data
        model["max_length"] = 64
    return RunConfig(model=ModelConfig(**model), train=TrainConfig(**document["train"]))


def load_classifier(out_dir: Path) -> LoadedClassifier:
    """Rebuild a trained classifier (from scratch or fine-tuned) on the CPU from a run's artifacts folder."""
    out_dir = Path(out_dir)
    if (out_dir / PRETRAINED_CONFIG).is_file():
        from training.engine.pretrained import load_trained

        document = json.loads((out_dir / PRETRAINED_CONFIG).read_text())
        task_type = document.get("task_type", "classification")
        model, encoder = load_trained(out_dir, task_type)
        return LoadedClassifier(model=model, encoder=encoder, labels=list(document["labels"]),
                                config=_run_config(document), task_type=task_type)
    document = json.loads((out_dir / CONFIG).read_text())
    config = _run_config(document)
    labels = list(document["labels"])
    task_type = document.get("task_type", "classification")
    outputs = document["tags"] if task_type == "spans" else labels
    model = TransformerClassifier(config.model, vocab_size=document["vocab_size"], num_labels=len(outputs),
                                  token_level=task_type == "spans")
    model.load_state_dict(load_file(str(out_dir / WEIGHTS), device="cpu"))
    model.eval()
    encoder = WordPieceEncoder(load_tokenizer(out_dir / TOKENIZER))
    return LoadedClassifier(model=model, encoder=encoder, labels=labels, config=config, task_type=task_type)
