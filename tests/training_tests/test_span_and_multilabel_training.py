"""Token classification (spans) and multi-label training end to end on generated snapshots, and their figures
against seqeval (strict IOB2) and scikit-learn."""
from __future__ import annotations

import random

import numpy as np
import pytest
from seqeval.metrics import classification_report as seqeval_report
from seqeval.scheme import IOB2
from sklearn.metrics import f1_score, hamming_loss

from training.engine import RunConfig, load_classifier, run
from training.engine.multilabel import report as multilabel_report
from training.engine.spans import align, entities, entity_report, tag_names, to_spans

from .snapshots import TINY, write_snapshot

CITIES = ["paris", "rome", "oslo", "lima", "kyiv"]
PEOPLE = ["ada", "alan", "grace", "linus", "barbara"]
SEQEVAL = {"precision": "precision", "recall": "recall", "f1": "f1-score"}  # its output_dict names
FILLER = "we saw met visited near the in with and from".split()


def span_rows(n: int = 300, seed: int = 0):
    """Sentences with people and cities at known offsets (code points), one or two entities each."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words, spans, at = [], [], 0
        for _ in range(rng.randint(4, 8)):
            kind = rng.random()
            word, label = ((rng.choice(CITIES), "LOC") if kind < 0.2 else (rng.choice(PEOPLE), "PER") if kind < 0.4
                           else (rng.choice(FILLER), None))
            if label:
                spans.append({"start": at, "end": at + len(word), "label": label})
            words.append(word)
            at += len(word) + 1
        split = "train" if i % 10 < 6 else "val" if i % 10 < 8 else "test"
        rows.append((5000 + i, " ".join(words), spans, split))
    return rows


def test_alignment_and_decoding_use_code_points_for_every_script():
    tags = tag_names(["X"])
    text = "é👍 日本 e\u0301x"  # precomposed, an emoji (two UTF-16 units), Han, a combining mark
    offsets = [(0, 1), (1, 2), (3, 4), (4, 5), (6, 8), (8, 9)]
    gold = [(1, 2, "X"), (3, 5, "X"), (6, 9, "X")]
    ids = align(offsets, gold, tags)
    assert [tags[i] for i in ids] == ["O", "B-X", "B-X", "I-X", "B-X", "I-X"]
    spans = to_spans([tags[i] for i in ids], offsets)
    assert [(s["start"], s["end"]) for s in spans] == [(1, 2), (3, 5), (6, 9)]
    assert [text[s["start"]:s["end"]] for s in spans] == ["👍", "日本", "e\u0301x"]


def test_entity_figures_are_seqeval_strict_iob2():
    rng = random.Random(3)
    tags = tag_names(["LOC", "PER", "ORG"])
    gold = [[rng.choice(tags) for _ in range(rng.randint(1, 12))] for _ in range(200)]
    pred = [[t if rng.random() < 0.7 else rng.choice(tags) for t in seq] for seq in gold]
    ours = entity_report(gold, pred, ["LOC", "PER", "ORG"])
    theirs = seqeval_report(gold, pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    for kind, figures in ours["entity"]["per_type"].items():
        for name in ("precision", "recall", "f1"):
            assert figures[name] == pytest.approx(theirs[kind][SEQEVAL[name]])
        assert figures["support"] == theirs[kind]["support"]
    for name in ("precision", "recall", "f1"):
        assert ours["entity"]["micro"][name] == pytest.approx(theirs["micro avg"][SEQEVAL[name]])
        assert ours["entity"]["macro"][name] == pytest.approx(theirs["macro avg"][SEQEVAL[name]])


def test_a_hand_case_of_strict_iob2():
    # An I- without its B- starts no entity in strict mode; a type change ends one.
    assert entities(["I-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-PER", "B-PER"]) == [("LOC", 3, 5), ("PER", 6, 7)]


def test_multilabel_figures_are_scikit_learns():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, size=(300, 4))
    probs = np.clip(truth * 0.6 + rng.random((300, 4)) * 0.5, 0, 1)
    ours = multilabel_report(truth, probs, [0.5, 0.4, 0.6, 0.5], list("abcd"))
    decided = probs >= np.array([0.5, 0.4, 0.6, 0.5])
    assert ours["micro_f1"] == pytest.approx(f1_score(truth, decided, average="micro"))
    assert ours["macro_f1"] == pytest.approx(f1_score(truth, decided, average="macro"))
    assert ours["hamming_loss"] == pytest.approx(hamming_loss(truth, decided))
    assert ours["subset_accuracy"] == pytest.approx(float((truth == decided).all(axis=1).mean()))
    per = f1_score(truth, decided, average=None)
    assert [ours["per_label"][k]["f1"] for k in "abcd"] == pytest.approx(list(per))


def test_a_span_run_learns_entities_and_predicts_spans(tmp_path):
    rows = span_rows()
    snapshot = write_snapshot(tmp_path / "snapshot", rows, labels=["LOC", "PER"], task_type="spans")
    options = {**TINY, "epochs": 6, "max_length": 24}
    result = run(snapshot, tmp_path / "out", RunConfig.from_options(options))
    test = result.metrics["test"]
    assert test["entity"]["micro"]["f1"] > 0.8, test
    assert set(test["entity"]["per_type"]) == {"LOC", "PER"} and test["token_accuracy"] > 0.9
    by_id = {p.item_id: p for p in result.predictions}
    sample = next(r for r in rows if r[3] == "test" and r[2])
    predicted = by_id[sample[0]]
    assert predicted.value == {"spans": sample[2]}
    assert predicted.predicted_value["spans"] and all(
        sample[1][s["start"]:s["end"]] in CITIES + PEOPLE for s in predicted.predicted_value["spans"])
    loaded = load_classifier(tmp_path / "out")
    assert loaded.task_type == "spans"


def test_a_multilabel_run_picks_thresholds_on_val_and_predicts_label_sets(tmp_path):
    rng = random.Random(1)
    words = {"sport": "goal", "music": "song", "food": "bread"}
    rows = []
    for i in range(360):
        chosen = [k for k in words if rng.random() < 0.4]
        text = " ".join(rng.sample([words[k] for k in chosen] + rng.choices(FILLER, k=4), k=len(chosen) + 4))
        rows.append((9000 + i, text, chosen, "train" if i % 10 < 6 else "val" if i % 10 < 8 else "test"))
    snapshot = write_snapshot(tmp_path / "snapshot", rows, labels=list(words), task_type="multilabel")
    result = run(snapshot, tmp_path / "out", RunConfig.from_options({**TINY, "epochs": 8}))
    test = result.metrics["test"]
    assert test["micro_f1"] > 0.9 and test["subset_accuracy"] > 0.7, test
    assert {f["threshold"] for f in test["per_label"].values()} <= {round(t, 2) for t in np.arange(0.05, 0.951, 0.05)}
    prediction = next(p for p in result.predictions if p.split == "test")
    assert set(prediction.predicted_value) == {"labels"} and set(prediction.value) == {"labels"}


@pytest.mark.django_db
def test_a_span_run_goes_through_the_platform_and_its_predictions_read_as_spans(make_version, manager, client_for):
    from tests.factories import make_project
    from training.models import TrainingRun
    from training.services import run_create, run_execute

    project = make_project(labels=("LOC", "PER"), task_type="spans")
    from projects.models import Membership

    Membership.objects.create(project=project, user=manager, role="manager")
    version = make_version(project, span_rows(120))
    run = run_execute(run_id=run_create(version=version, config={**TINY, "epochs": 3}, created_by=manager).id)
    assert run.status == "succeeded", run.error
    assert {"entity", "token_accuracy"} <= set(run.metrics) and "entity" in run.metrics["val"]
    client = client_for(manager)
    detail = client.get(f"/api/v1/runs/{run.id}").json()
    assert detail["metrics"]["entity"]["micro"]["f1"] is not None
    page = client.get(f"/api/v1/runs/{run.id}/predictions?split=test").json()
    row = page["results"][0]
    assert row["spans"] is not None and row["predicted_spans"] is not None and row["labels"] is None
    wrong = client.get(f"/api/v1/runs/{run.id}/predictions?correct=false").json()["results"]
    assert all(r["spans"] != r["predicted_spans"] for r in wrong)
    assert client.get(f"/api/v1/runs/compare?a={run.id}&b={run.id}").status_code == 400
    assert TrainingRun.objects.filter(project=project).count() == 1
