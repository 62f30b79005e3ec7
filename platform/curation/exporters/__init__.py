"""Streaming exporters: record batches in, ``bytes`` chunks out, so an HTTP response can stream a
dataset of any size in constant memory. Pure: no Django, no app imports.

A batch is a ``pyarrow.RecordBatch`` (what the snapshot reader yields) or a list of dicts. Each exporter
writes the ``columns`` it is given, in that order, and yields one chunk per batch (plus a header or a
footer where the format has one). The annotation-tool formats (``conll``, ``labelstudio``, ``doccano``)
and ``hf`` have fixed layouts of their own and take the task type (and labels, tokenizer) as keywords.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from .batches import Batch
from .conll import read_conll, write_conll
from .delimited import write_csv
from .doccano import write_doccano
from .hf import hf_features, hf_schema, write_hf
from .jsonl import write_jsonl
from .labelstudio import labelstudio_config, write_labelstudio
from .parquet import write_parquet

Exporter = Callable[[Iterable[Batch], Sequence[str]], Iterator[bytes]]

EXPORTERS: dict[str, Exporter] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "parquet": write_parquet,
    "conll": write_conll,
    "hf": write_hf,
    "labelstudio": write_labelstudio,
    "doccano": write_doccano,
}

MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "conll": "text/plain; charset=utf-8",
    "hf": "application/vnd.apache.parquet",
    "labelstudio": "application/json",
    "doccano": "application/x-ndjson",
}

EXTENSIONS = {"jsonl": "jsonl", "csv": "csv", "parquet": "parquet", "conll": "conll", "hf": "parquet",
              "labelstudio": "json", "doccano": "jsonl"}

__all__ = ["EXPORTERS", "EXTENSIONS", "MEDIA_TYPES", "Batch", "hf_features", "hf_schema", "labelstudio_config",
           "read_conll", "write_conll", "write_csv", "write_doccano", "write_hf", "write_jsonl", "write_labelstudio",
           "write_parquet"]
