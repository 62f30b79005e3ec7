"""GET /api/v1/projects/{id}/agreement for span and multi-label projects: the pure reports' figures with
display names, per-annotator rows, and the new fields null for classification."""
from __future__ import annotations

import pytest

from accounts.roles import Role
from annotation.models import Annotation
from annotation.multilabel_agreement import multilabel_agreement
from annotation.span_agreement import span_agreement
from tests import factories

TEXTS = ["Barack Obama visited New York City yesterday .", "张三在北京工作。", "Paris is lovely in May"]


def url(project) -> str:
    return f"/api/v1/projects/{project.id}/agreement"


def spans_of(text: str, *marks: tuple[str, str]) -> list[dict]:
    out = []
    for word, label in marks:
        start = text.index(word)
        out.append({"start": start, "end": start + len(word), "label": label})
    return sorted(out, key=lambda s: (s["start"], s["end"], s["label"]))


def annotate(project, items, authors, rows):
    """rows: (item index, author name, value); authors not in ``authors`` are an external source."""
    Annotation.objects.bulk_create([
        Annotation(project=project, item=items[i], value=value,
                   **({"annotator": authors[name]} if name in authors else {"source": name}))
        for i, name, value in rows
    ])


@pytest.fixture
def span_project(db):
    project = factories.make_project(task_type="spans", labels=("PER", "LOC", "DATE"))
    items = factories.make_items(project, TEXTS)
    users = {n: factories.make_member(project, factories.make_user(n), Role.ANNOTATOR) for n in ("ann1", "ann2")}
    t0, t1, t2 = TEXTS
    rows = [
        (0, "ann1", {"spans": spans_of(t0, ("Barack Obama", "PER"), ("New York City", "LOC"))}),
        (0, "ann2", {"spans": spans_of(t0, ("Obama", "PER"), ("New York City", "LOC"), ("yesterday", "DATE"))}),
        (0, "crowd", {"spans": spans_of(t0, ("Barack Obama", "PER"), ("New York City", "LOC"))}),
        (1, "ann1", {"spans": spans_of(t1, ("张三", "PER"), ("北京", "LOC"))}),
        (1, "ann2", {"spans": spans_of(t1, ("北京", "LOC"))}),
        (2, "ann1", {"spans": []}),
    ]
    annotate(project, items, users, rows)
    return project, items, users, rows


def test_a_span_project_gets_token_alpha_and_span_f1(client_for, span_project, manager):
    project, items, users, rows = span_project
    factories.make_member(project, manager, Role.MANAGER)
    body = client_for(manager).get(url(project)).json()
    keys = {"ann1": f"user:{users['ann1'].id}", "ann2": f"user:{users['ann2'].id}", "crowd": "source:crowd"}
    votes = [(items[i].id, keys[n], [(s["start"], s["end"], s["label"]) for s in v["spans"]]) for i, n, v in rows]
    expected = span_agreement(votes, ["PER", "LOC", "DATE"], {item.id: item.text for item in items})
    assert body["task_type"] == "spans" and body["masi_alpha"] is None
    for key in ("items_compared", "ratings", "annotator_count", "percent_agreement", "fleiss_kappa", "krippendorff_alpha"):
        assert body[key] == pytest.approx(expected[key]), key
    assert body["krippendorff_alpha"] is not None
    assert body["spans"]["exact_f1"] == pytest.approx(expected["spans"]["exact_f1"])
    assert body["spans"]["overlap_f1"] == pytest.approx(expected["spans"]["overlap_f1"])
    assert {(p["a"], p["b"], p["n"]) for p in body["spans"]["pairs"]} == {("ann1", "ann2", 2), ("ann1", "crowd", 1),
                                                                          ("ann2", "crowd", 1)}
    assert body["per_label"]["LOC"]["exact_f1"] == 1.0 and body["per_label"]["PER"]["overlap_f1"] == pytest.approx(
        expected["per_label"]["PER"]["overlap_f1"])
    by_name = {a["annotator"]: a for a in body["annotators"]}
    # Consensus (majority): item 0 = ann1's = crowd's spans; item 1 = {北京} (张三 1 of 2: a tie, not kept).
    assert by_name["ann1"]["agreement_with_consensus"] == 0.5 and by_name["ann1"]["items"] == 3
    assert by_name["ann2"]["agreement_with_consensus"] == 0.5 and by_name["crowd"]["agreement_with_consensus"] == 1.0


@pytest.fixture
def multilabel_project(db):
    project = factories.make_project(task_type="multilabel", labels=("sports", "politics", "business"))
    items = factories.make_items(project, ["Stocks rally as the election nears", "Cup final tonight", "Budget vote"])
    users = {n: factories.make_member(project, factories.make_user(n), Role.ANNOTATOR) for n in ("ann1", "ann2")}
    rows = [
        (0, "ann1", {"labels": ["politics", "business"]}), (0, "ann2", {"labels": ["business"]}),
        (0, "crowd", {"labels": ["politics", "business"]}),
        (1, "ann1", {"labels": ["sports"]}), (1, "ann2", {"labels": ["sports"]}), (1, "crowd", {"labels": []}),
        (2, "ann1", {"labels": ["politics"]}), (2, "ann2", {"labels": ["politics", "business"]}),
    ]
    annotate(project, items, users, rows)
    return project, items, users, rows


def test_a_multilabel_project_gets_masi_alpha_and_per_label_kappas(client_for, multilabel_project, manager):
    project, items, users, rows = multilabel_project
    factories.make_member(project, manager, Role.MANAGER)
    body = client_for(manager).get(url(project)).json()
    keys = {"ann1": f"user:{users['ann1'].id}", "ann2": f"user:{users['ann2'].id}", "crowd": "source:crowd"}
    expected = multilabel_agreement([(items[i].id, keys[n], v["labels"]) for i, n, v in rows], project.labels)
    assert body["task_type"] == "multilabel" and body["spans"] is None
    assert body["masi_alpha"] == pytest.approx(expected["masi_alpha"]) and body["masi_alpha"] is not None
    assert body["krippendorff_alpha"] == pytest.approx(expected["krippendorff_alpha"])
    politics = body["per_label"]["politics"]
    assert politics["krippendorff_alpha"] == pytest.approx(expected["per_label"]["politics"]["krippendorff_alpha"])
    assert {(p["a"], p["b"]) for p in politics["cohen_kappa"]} == {("ann1", "ann2"), ("ann1", "crowd"), ("ann2", "crowd")}
    assert politics["mean_cohen_kappa"] == pytest.approx(expected["per_label"]["politics"]["mean_cohen_kappa"])
    by_name = {a["annotator"]: a for a in body["annotators"]}
    # Consensus: item 0 {politics, business}, item 1 {sports}, item 2 {politics} (business 1 of 2: not kept).
    assert by_name["ann1"]["agreement_with_consensus"] == 1.0
    assert by_name["ann2"]["agreement_with_consensus"] == pytest.approx(1 / 3)


def test_a_classification_project_answers_the_new_fields_null(client_for, project, manager):
    body = client_for(manager).get(url(project)).json()
    assert body["task_type"] == "classification" and body["masi_alpha"] is None and body["spans"] is None
