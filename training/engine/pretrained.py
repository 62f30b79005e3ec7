"""Pretrained encoders fine-tuned for classification: all-MiniLM-L6-v2 (``model: "minilm"``) and any Hugging Face
model folder under the models folder (``model: "hf:<folder>"``).

Loading is Hugging Face ``transformers`` (``AutoModelForSequenceClassification``: the pretrained encoder and a
new, seeded classification head), offline: the weights come from a local folder, never from the network. The
model is wrapped so that the Trainer and ``evaluate`` call it as they call the from-scratch model,
``model(ids, mask) -> logits``, and the tokenizer so that it encodes as ours does (``encode``: right-padded ids
and lengths), with dynamic padding left to ``data.batches``.

A run's artifacts folder is a Hugging Face model folder (``config.json`` with ``id2label``, ``model.safetensors``,
the tokenizer's files) plus ``datamoat.json`` (the RunConfig and labels): ``AutoModelForSequenceClassification
.from_pretrained(folder)`` loads it anywhere.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn


def _transformers():
    """Import transformers quietly and offline (its load report would print every new head weight)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return transformers


class PretrainedClassifier(nn.Module):
    """A ``transformers`` sequence classifier called as ``model(ids, mask) -> logits [B, C]``."""

    def __init__(self, hf_model: nn.Module):
        super().__init__()
        self.hf = hf_model

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.hf(input_ids=ids, attention_mask=mask.long()).logits

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @property
    def max_positions(self) -> int:
        return int(getattr(self.hf.config, "max_position_embeddings", 512) or 512)


class HfEncoder:
    """A Hugging Face tokenizer behind the engine's encoding interface."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.pad_id = int(tokenizer.pad_token_id or 0)

    def token_lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's length in tokens, specials included, untruncated."""
        encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(texts))

    def encode(self, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
        """``ids`` int32 [N, max_length] right-padded, ``lengths`` int32 [N]."""
        ids = np.full((len(texts), max_length), self.pad_id, dtype=np.int32)  # [N, L]
        lengths = np.zeros(len(texts), dtype=np.int32)  # [N]
        encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=True, max_length=max_length)
        for row, tokens in enumerate(encoded["input_ids"]):
            ids[row, : len(tokens)] = tokens
            lengths[row] = len(tokens)
        return ids, lengths

    def offsets(self, texts: Sequence[str], max_length: int) -> list[list[tuple[int, int]]]:
        """Each token's ``(start, end)`` in code points of its text, as ``encode`` cuts them; (0, 0) on specials."""
        encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=True, max_length=max_length,
                                 return_offsets_mapping=True, return_special_tokens_mask=True)
        return [[(a, b) if not special else (0, 0) for (a, b), special in zip(offsets, specials, strict=True)]
                for offsets, specials in zip(encoded["offset_mapping"], encoded["special_tokens_mask"], strict=True)]

    @property
    def vocab_size(self) -> int:
        return len(self.tokenizer)


def load_pretrained(folder: Path, labels: Sequence[str], task_type: str = "classification"
                    ) -> tuple[PretrainedClassifier, HfEncoder]:
    """The encoder with a new head over ``labels`` (seed torch first: the head is random): a sequence classifier,
    multi-label (sigmoid) for "multilabel", a token classifier (``labels`` = BIO tags) for "spans"."""
    transformers = _transformers()
    auto = (transformers.AutoModelForTokenClassification if task_type == "spans"
            else transformers.AutoModelForSequenceClassification)
    problem = {"classification": "single_label_classification", "multilabel": "multi_label_classification"}
    hf_model = auto.from_pretrained(
        str(folder),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        **({"problem_type": problem[task_type]} if task_type in problem else {}),
        local_files_only=True,
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    return PretrainedClassifier(hf_model), HfEncoder(tokenizer)


def save_pretrained(out_dir: Path, model: PretrainedClassifier, encoder: HfEncoder) -> list[str]:
    """The Hugging Face model folder (safetensors weights); returns the file names written."""
    before = set(os.listdir(out_dir)) if out_dir.exists() else set()
    model.hf.save_pretrained(str(out_dir), safe_serialization=True)
    encoder.tokenizer.save_pretrained(str(out_dir))
    return sorted(set(os.listdir(out_dir)) - before)


def load_trained(folder: Path, task_type: str = "classification") -> tuple[PretrainedClassifier, HfEncoder]:
    """A fine-tuned run's model and tokenizer, on the CPU, in eval mode."""
    transformers = _transformers()
    auto = (transformers.AutoModelForTokenClassification if task_type == "spans"
            else transformers.AutoModelForSequenceClassification)
    hf_model = auto.from_pretrained(str(folder), local_files_only=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = PretrainedClassifier(hf_model)
    model.eval()
    return model, HfEncoder(tokenizer)
