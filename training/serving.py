"""Serving a finished run: predictions for texts a caller sends, and the run's artifacts as one tar.

``run_predict`` loads the run's classifier once per process and keeps it in a small LRU cache
(``DATAMOAT_SERVING_MODELS`` models, default 2: a from-scratch model is a few MB, a MiniLM about
90 MB plus its tokenizer). torch is imported on the first load, never at startup: a gunicorn worker
that never predicts never pays torch's import (seconds of CPU, hundreds of MB). The web process keeps
torch to ``TORCH_THREADS`` intra-op threads, so one predict request does not take every core from the
other requests and from the workers on the same machine.

``run_artifact_stream`` writes the tar as it is read (headers, then each file in 1 MiB pieces): a
MiniLM's weights never sit in memory whole, and the download starts at once.
"""
from __future__ import annotations

import json
import logging
import tarfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from common.errors import Conflict, Invalid, TooLarge
from common.models import JobStatus
from training import selectors
from training.models import TrainingRun

logger = logging.getLogger(__name__)

MAX_TEXTS = 1000  # texts per predict request (413 too_many_texts beyond)
PREDICT_BATCH = 256
TORCH_THREADS = 1  # intra-op threads of torch in the web process (gunicorn threads share the cores)
CARD_NAME = "README.md"
ORIGINAL_README = "README.original.md"  # a README.md of the folder itself (a Hugging Face directory's)
MANIFEST = "manifest.json"  # common.storage's folder manifest
# The version's quality headline (training.selectors.version_headline) as the card names it.
QUALITY_FIGURES = {
    "items": "Items",
    "estimated_noise_rate": "Estimated label noise rate",
    "percent_agreement": "Percent agreement",
    "krippendorff_alpha": "Krippendorff's alpha",
    "fleiss_kappa": "Fleiss' kappa",
    "imbalance_ratio": "Imbalance ratio (largest / smallest class)",
    "mean_label_confidence": "Mean label confidence",
    "duplicate_rate": "Exact duplicate rate (cleaning)",
    "import_duplicate_rate": "Duplicate rate (imports)",
}
_CHUNK = 1 << 20
_BLOCK = tarfile.BLOCKSIZE  # 512
_RECORD = tarfile.RECORDSIZE  # 10240: tarfile pads the end to a whole record; so do we


# --- the model cache -----------------------------------------------------------------------------


class ModelCache:
    """At most ``size`` loaded models, least recently used evicted first. Thread-safe: a model is
    loaded once even when several threads ask for it at the same moment (a lock per key while it
    loads; other keys are served meanwhile). ``loads`` counts the loads (tests, logs)."""

    def __init__(self, size: Callable[[], int]):
        self._size = size
        self._models: OrderedDict[tuple, object] = OrderedDict()
        self._loading: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, key: tuple, load: Callable[[], object]):
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:  # another thread may have loaded it while this one waited
                if key in self._models:
                    self._models.move_to_end(key)
                    return self._models[key]
            try:
                model = load()
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            with self._lock:
                self.loads += 1
                self._models[key] = model
                self._models.move_to_end(key)
                while len(self._models) > max(1, self._size()):
                    evicted, _model = self._models.popitem(last=False)
                    logger.info("serving: evicted the model of run %s", evicted[0])
            return model

    def keys(self) -> list[tuple]:
        with self._lock:
            return list(self._models)

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
            self.loads = 0


def _cache_size() -> int:
    return settings.DATAMOAT_SERVING_MODELS


model_cache = ModelCache(_cache_size)  # one per process (each gunicorn worker has its own)
_torch_ready = False


def _load(folder: Path):
    """Import torch (first time only, threads bounded) and load the classifier on the CPU."""
    global _torch_ready
    if not _torch_ready:
        import torch

        torch.set_num_threads(TORCH_THREADS)
        _torch_ready = True
    from training import engine

    try:
        return engine.load_classifier(folder)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:  # damaged or foreign files
        logger.exception("serving: loading the model in %s failed", folder)
        raise Conflict(
            _("The model in the artifacts cannot be loaded: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"},
            code="artifacts_unavailable",
        ) from None


def _cache_key(run: TrainingRun) -> tuple:
    # The finish time rides with the id: a test database reuses ids after a rollback (SQLite), and a
    # model served for one run must never answer for another.
    return (run.id, run.artifacts_path, run.finished_at.isoformat() if run.finished_at else "")


def _servable_dir(run: TrainingRun) -> Path:
    """The run's checked local artifacts folder; 409 ``not_succeeded`` unless the run succeeded,
    409 ``no_artifacts`` / ``artifacts_unavailable`` from ``selectors.run_artifacts_dir``."""
    if run.status != JobStatus.SUCCEEDED:
        raise Conflict(
            _("Run %(id)s has not succeeded (status: %(status)s): only a finished run serves.")
            % {"id": run.id, "status": run.status},
            code="not_succeeded",
        )
    folder = selectors.run_artifacts_dir(run)
    # On the filesystem storage the selector hands back the stored folder unchecked: check that it is
    # whole (every file of its manifest there, with its size) before serving from it.
    manifest = _read_json(folder / MANIFEST)
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else None
    problem = None
    if files is None:
        problem = _("its manifest is missing")
    else:
        for name, meta in files.items():
            path = folder / name
            if not path.is_file() or (isinstance(meta, dict) and path.stat().st_size != meta.get("bytes")):
                problem = _("%(name)s is missing or changed") % {"name": name}
                break
    if problem:
        raise Conflict(
            _("The artifacts of run %(id)s cannot be read: %(error)s") % {"id": run.id, "error": problem},
            code="artifacts_unavailable",
        )
    return folder


def run_classifier(*, run: TrainingRun):
    """The run's loaded classifier (``training.engine.LoadedClassifier``), from this process's cache."""
    return model_cache.get(_cache_key(run), lambda: _load(_servable_dir(run)))


def run_predict(*, run: TrainingRun, texts: Sequence[str]) -> list[dict]:
    """``[{label, probabilities: {label: p}}]`` for each text, in the order given; the probabilities
    of a text sum to 1 and follow the model's head order. 1 to ``MAX_TEXTS`` texts (413
    ``too_many_texts`` beyond, 400 for none); a text longer than the model's ``max_length`` tokens is
    cut there, as in training."""
    if not texts:
        raise Invalid(_("Send at least one text."), fields={"texts": [_("At least one text.")]})
    if len(texts) > MAX_TEXTS:
        raise TooLarge(
            _("At most %(limit)s texts per request; this one has %(count)s.") % {"limit": MAX_TEXTS, "count": len(texts)},
            code="too_many_texts",
            fields={"texts": [_("At most %(limit)s texts.") % {"limit": MAX_TEXTS}]},
        )
    if run.status != JobStatus.SUCCEEDED:  # answer before touching the storage or the cache
        _servable_dir(run)
    classifier = run_classifier(run=run)
    if classifier.task_type != "classification":  # the artifacts say (no query: predict runs in many threads)
        raise Invalid(_("Predict serves single-label classification runs; this run's project is %(task_type)s "
                        "(download its artifact instead).") % {"task_type": classifier.task_type},
                      code="unsupported_task_type")
    labels = list(classifier.labels)
    probabilities = classifier.predict_proba(list(texts), batch_size=PREDICT_BATCH).tolist()  # [N][C]
    answers = []
    for row in probabilities:
        best = max(range(len(labels)), key=row.__getitem__)
        answers.append({"label": labels[best], "probabilities": dict(zip(labels, row, strict=True))})
    return answers


# --- the artifact tar ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArtifactTar:
    """A tar of a run's artifacts, ready to stream: ``chunks()`` yields exactly ``size`` bytes."""

    filename: str
    members: tuple  # ((header bytes, Path or bytes, size), ...)

    @property
    def size(self) -> int:
        return self._body() + len(self._trailer())

    def _body(self) -> int:
        return sum(len(header) + _padded(size) for header, _source, size in self.members)

    def chunks(self) -> Iterator[bytes]:
        for header, source, size in self.members:
            yield header
            if isinstance(source, bytes):
                yield source
            else:
                sent = 0
                with open(source, "rb") as handle:
                    while sent < size and (block := handle.read(min(_CHUNK, size - sent))):
                        sent += len(block)
                        yield block
                if sent != size:  # the stored folder is immutable: a short file is a broken copy
                    raise OSError(f"{source} changed while it was sent ({sent} of {size} bytes)")
            if size % _BLOCK:
                yield b"\0" * (_BLOCK - size % _BLOCK)
        yield self._trailer()

    def _trailer(self) -> bytes:
        end = self._body() + 2 * _BLOCK
        return b"\0" * (2 * _BLOCK + (-end) % _RECORD)


def _padded(size: int) -> int:
    return size + (-size) % _BLOCK


def _header(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="surrogateescape")


def run_artifact_tar(*, run: TrainingRun) -> ArtifactTar:
    """Every file of the run's artifacts folder under ``datamoat-run-<id>/``, plus ``README.md``, the
    model card (``run_model_card``). A README.md the folder holds itself (a Hugging Face model
    directory may) goes in as ``README.original.md``. 409 as ``_servable_dir``."""
    folder = _servable_dir(run)
    top = f"datamoat-run-{run.id}"
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    card = run_model_card(run=run, folder=folder, files=[p.name for p in files]).encode("utf-8")
    stamp = run.finished_at.timestamp() if run.finished_at else 0
    members = [(_header(f"{top}/{CARD_NAME}", len(card), stamp), card, len(card))]
    for path in files:
        stat = path.stat()
        name = ORIGINAL_README if path.name == CARD_NAME else path.name
        members.append((_header(f"{top}/{name}", stat.st_size, stat.st_mtime), path, stat.st_size))
    return ArtifactTar(filename=f"{top}.tar", members=tuple(members))


# --- the model card ------------------------------------------------------------------------------


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def artifact_labels(folder: Path) -> list[str]:
    """The labels in the model head's order: ``labels`` of Datamoat's config.json, else a Hugging Face
    config's ``id2label`` (by index)."""
    config = _read_json(folder / "config.json")
    if isinstance(config.get("labels"), list):
        return [str(label) for label in config["labels"]]
    id2label = config.get("id2label")
    if isinstance(id2label, dict):
        return [str(id2label[k]) for k in sorted(id2label, key=lambda k: int(k))]
    return []


def _is_hugging_face(folder: Path, run: TrainingRun) -> bool:
    config = _read_json(folder / "config.json")
    return "id2label" in config or "model_type" in config or run.model == "minilm" or run.model.startswith("hf:")


def _figure(value, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def run_model_card(*, run: TrainingRun, folder: Path, files: Sequence[str]) -> str:
    """The model card (Markdown): what was trained on what, how well, and how to load it."""
    version = run.version
    project = run.project
    metrics = run.metrics or {}
    test = metrics.get("test") or {k: metrics.get(k) for k in ("accuracy", "macro_f1", "per_class", "count")}
    val = metrics.get("val") or {}
    quality = selectors.version_headline(version.quality)
    labels = artifact_labels(folder) or list(metrics.get("labels") or project.labels)
    top = f"datamoat-run-{run.id}"
    lines = [
        f"# Datamoat run {run.id}: {_cell(project.name)}",
        "",
        f"- Run: {run.id}",
        f"- Model: `{run.model}`",
        f"- Project: {_cell(project.name)} (id {project.id}, task {project.task_type})",
        f"- Dataset version: {version.number}" + (f" ({_cell(version.name)})" if version.name else "")
        + f", content hash `{version.content_hash or 'n/a'}`",
        f"- Trained on: {run.device or 'n/a'}; finished {run.finished_at.isoformat() if run.finished_at else 'n/a'}",
        "",
        "## Labels (model head order)",
        "",
        *[f"{i}. {_cell(label)}" for i, label in enumerate(labels)],
        "",
        f"## Dataset version {version.number}: quality",
        "",
        "| figure | value |",
        "|---|---|",
        *[f"| {name} | {_cell(_figure(quality.get(key)))} |" for key, name in QUALITY_FIGURES.items()],
    ]
    counts = version.counts or {}
    if counts:
        lines += [f"| items per split | {', '.join(f'{k} {v}' for k, v in counts.items())} |"]
    distribution = quality.get("label_distribution")
    if isinstance(distribution, dict) and distribution:
        lines += [f"| label distribution | {_cell(', '.join(f'{k} {v}' for k, v in distribution.items()))} |"]
    lines += [
        "",
        "## Metrics",
        "",
        "| split | accuracy | macro-F1 | examples |",
        "|---|---|---|---|",
        f"| test | {_figure(test.get('accuracy'))} | {_figure(test.get('macro_f1'))} | {_figure(test.get('count'))} |",
    ]
    if val:
        lines.append(f"| val | {_figure(val.get('accuracy'))} | {_figure(val.get('macro_f1'))} | {_figure(val.get('count'))} |")
    if metrics.get("evaluated_on"):
        ruler = metrics["evaluated_on"]
        lines += ["", f"Test metrics on evaluation set {ruler.get('evaluation_set')}, revision {ruler.get('revision')}."]
    per_class = test.get("per_class") or {}
    if per_class:
        lines += ["", "Per class (test):", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, row in per_class.items():
            row = row or {}
            lines.append(
                f"| {_cell(label)} | {_figure(row.get('precision'))} | {_figure(row.get('recall'))} "
                f"| {_figure(row.get('f1'))} | {_figure(row.get('support'))} |"
            )
    lines += [
        "",
        "## Training config",
        "",
        "```json",
        json.dumps(run.config or {}, indent=2, sort_keys=True),
        "```",
        "",
        "## Files",
        "",
        "- `README.md`: this card",
        *[f"- `{ORIGINAL_README}`: the folder's own README.md" if name == CARD_NAME else f"- `{name}`" for name in files],
        "",
        "## How to load it",
        "",
    ]
    if _is_hugging_face(folder, run):
        lines += [
            "A Hugging Face model directory:",
            "",
            "```python",
            "from transformers import AutoModelForSequenceClassification, AutoTokenizer",
            "",
            f'model = AutoModelForSequenceClassification.from_pretrained("{top}")',
            f'tokenizer = AutoTokenizer.from_pretrained("{top}")',
            "```",
        ]
    else:
        lines += [
            "Datamoat's from-scratch Transformer: weights in `model.safetensors` (no pickle), the tokenizer in",
            "`tokenizer.json` (Hugging Face `tokenizers`), the architecture and labels in `config.json`.",
            "With Datamoat's code on the path:",
            "",
            "```python",
            "from training import engine",
            "",
            f'classifier = engine.load_classifier("{top}")',
            'probabilities = classifier.predict_proba(["a text"])  # [N, labels]',
            "```",
        ]
    lines += [
        "",
        f"Or over HTTP, without downloading: `POST /api/v1/runs/{run.id}/predict` with `{{\"texts\": [...]}}`.",
        "",
    ]
    return "\n".join(lines)
