"""Hugging Face ``datasets`` Parquet: a Parquet file whose schema metadata (key ``huggingface``) holds
the ``datasets.Features``, so ``load_dataset("parquet", ...)`` / ``Dataset.from_parquet`` give typed
columns without ``datasets`` being needed here:

- classification: ``label`` ClassLabel(names = the project's labels), stored as its index;
- multilabel: ``labels`` Sequence(ClassLabel) (indices; empty = "none of these");
- spans: ``tokens`` Sequence(string) and ``ner_tags`` Sequence(ClassLabel(O, B-x, I-x, ...)) from
  ``bio.bio_tags`` (the token-classification layout), plus the ``spans`` themselves
  ``[{start, end, label}]`` in code points.

Every variant keeps ``id`` (int64), ``text``, ``split`` and ``confidence``. Pure: pyarrow only.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from .batches import Batch, batch_columns
from .bio import bio_names, bio_tags
from .parquet import write_parquet

_SPAN_TYPE = pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("label", pa.string())]))


def _value(dtype: str) -> dict:
    return {"dtype": dtype, "_type": "Value"}


def _class_label(names: Sequence[str]) -> dict:
    return {"names": list(names), "_type": "ClassLabel"}


def hf_features(task_type: str, labels: Sequence[str]) -> dict:
    """The ``datasets.Features.to_dict()`` of the export (``Sequence`` is read by every datasets release)."""
    features: dict = {"id": _value("int64"), "text": _value("string")}
    if task_type == "spans":
        features["tokens"] = {"feature": _value("string"), "_type": "Sequence"}
        features["ner_tags"] = {"feature": _class_label(bio_names(labels)), "_type": "Sequence"}
        features["spans"] = [{"start": _value("int32"), "end": _value("int32"), "label": _value("string")}]
    elif task_type == "multilabel":
        features["labels"] = {"feature": _class_label(labels), "_type": "Sequence"}
    else:
        features["label"] = _class_label(labels)
    features["split"] = _value("string")
    features["confidence"] = _value("float64")
    return features


def hf_schema(task_type: str, labels: Sequence[str]) -> pa.Schema:
    fields = [("id", pa.int64()), ("text", pa.string())]
    if task_type == "spans":
        fields += [("tokens", pa.list_(pa.string())), ("ner_tags", pa.list_(pa.int64())), ("spans", _SPAN_TYPE)]
    elif task_type == "multilabel":
        fields.append(("labels", pa.list_(pa.int64())))
    else:
        fields.append(("label", pa.int64()))
    fields += [("split", pa.string()), ("confidence", pa.float64())]
    metadata = {"huggingface": json.dumps({"info": {"features": hf_features(task_type, labels)}})}
    return pa.schema(fields, metadata=metadata)


def _hf_batches(batches: Iterable[Batch], task_type: str, labels: Sequence[str], tokenizer: str,
                schema: pa.Schema) -> Iterator[pa.Table]:
    index = {label: i for i, label in enumerate(labels)}
    tag_index = {tag: i for i, tag in enumerate(bio_names(labels))}
    for batch in batches:
        ids, texts, splits, confidences, label, label_sets, spans = batch_columns(
            batch, ["id", "text", "split", "confidence", "label", "labels", "spans"])
        columns: list = [ids, texts]
        if task_type == "spans":
            tokens, tags = [], []
            for text, found in zip(texts, spans, strict=True):
                words, bio = bio_tags(text or "", found or [], tokenizer)
                tokens.append(words)
                tags.append([tag_index[t] for t in bio])
            columns += [tokens, tags, [found or [] for found in spans]]
        elif task_type == "multilabel":
            columns.append([[index[x] for x in chosen if x in index] if chosen is not None else None
                            for chosen in label_sets])
        else:
            columns.append([index.get(x) for x in label])
        columns += [splits, confidences]
        yield pa.table([pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)


def write_hf(batches: Iterable[Batch], columns=None, *, task_type: str = "classification",
             labels: Sequence[str] = (), tokenizer: str = "whitespace") -> Iterator[bytes]:
    schema = hf_schema(task_type, labels)
    return write_parquet(_hf_batches(batches, task_type, labels, tokenizer, schema), schema.names, schema=schema)
