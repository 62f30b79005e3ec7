"""GET /projects/{id}/items (filters, ordering, keyset pages, per-row status, labels and verdict) and
GET /items/{id} (status, leases, cleaning history, predictions): what the item browser reads."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from annotation.imported import annotations_import
from annotation.models import Annotation, Lease
from annotation.review_services import review_candidates_replace, review_create
from annotation.services import annotation_revise
from cleaning import services as cleaning_services
from common.models import JobStatus
from curation.models import DatasetVersion
from projects.models import Item
from tests import factories
from training.models import Prediction, TrainingRun

pytestmark = pytest.mark.django_db

STATUSES = ("unlabeled", "in_progress", "done", "excluded", "reviewed")


def _url(project) -> str:
    return f"/api/v1/projects/{project.id}/items"


def _list(client, project, **query) -> list[dict]:
    response = client.get(_url(project), {"page_size": 1000, **query})
    assert response.status_code == 200, response.json()
    assert response.json()["next"] is None
    return response.json()["results"]


def _ids(rows) -> list[int]:
    return [row["id"] for row in rows]


def _votes(item, *labels: str) -> None:
    """Imported votes by crowd-1, crowd-2, ... (the import keeps the items' counters right)."""
    annotations_import(
        project=item.project, rows=[(item.id, f"crowd-{n}", {"label": label}) for n, label in enumerate(labels, 1)]
    )


def _annotate(item, user, label: str) -> Annotation:
    """A user's annotation, with the counter the labeling services keep."""
    Item.objects.filter(id=item.id).update(annotation_count=F("annotation_count") + 1)
    return Annotation.objects.create(project=item.project, item=item, annotator=user, value={"label": label}, label=label)


@pytest.fixture
def browse(reviewer, annotator):
    """A k = 2 project with one item in each situation the browser tells apart."""
    project = factories.make_project(name="Browse", k=2)
    factories.make_member(project, reviewer, "reviewer")
    factories.make_member(project, annotator, "annotator")
    names = ["unlabeled", "half", "done", "split", "accepted", "excluded", "sent_back", "corrected"]
    items = dict(zip(names, factories.make_items(project, [f"the {n} item" for n in names]), strict=True))
    _annotate(items["half"], annotator, "positive")
    _votes(items["done"], "positive", "positive")
    _votes(items["split"], "positive", "negative")
    _votes(items["accepted"], "negative", "negative")
    review_create(item=items["accepted"], reviewer=reviewer, verdict="accept")
    _votes(items["excluded"], "positive")
    Item.objects.filter(id=items["excluded"].id).update(excluded_reason="min_length: shorter than 5 chars")
    _votes(items["sent_back"], "positive", "negative")
    for item in (items["sent_back"], items["corrected"]):
        item.refresh_from_db()
    review_create(item=items["sent_back"], reviewer=reviewer, verdict="send_back")  # its count drops to k - 1
    _annotate(items["corrected"], annotator, "negative")
    review_create(item=items["corrected"], reviewer=reviewer, verdict="correct", value={"label": "positive"})
    return project, items


EXPECTED_STATUS = {
    "unlabeled": "unlabeled", "half": "in_progress", "done": "done", "split": "done", "accepted": "reviewed",
    "excluded": "excluded", "sent_back": "in_progress", "corrected": "reviewed",
}


def test_each_status_filter_finds_exactly_the_rows_of_that_status(client_for, browse, reviewer):
    project, items = browse
    client = client_for(reviewer)
    rows = _list(client, project)
    assert {row["id"]: row["status"] for row in rows} == {items[n].id: s for n, s in EXPECTED_STATUS.items()}
    seen = []
    for status in STATUSES:
        found = _list(client, project, status=status)
        assert sorted(_ids(found)) == sorted(items[n].id for n, s in EXPECTED_STATUS.items() if s == status), status
        assert {row["status"] for row in found} <= {status}
        seen += _ids(found)
    assert sorted(seen) == sorted(_ids(rows))  # the five words cover every item once


def test_rows_carry_their_labels_and_latest_verdict(client_for, browse, manager):
    project, items = browse
    factories.make_member(project, manager, "manager")
    rows = {row["id"]: row for row in _list(client_for(manager), project)}
    assert rows[items["split"].id]["labels"] == ["positive", "negative"]  # the project's order
    assert rows[items["done"].id]["labels"] == ["positive"]
    assert rows[items["unlabeled"].id]["labels"] == []
    assert rows[items["corrected"].id]["reviewed"] == "correct"
    assert rows[items["sent_back"].id]["reviewed"] == "send_back"
    assert rows[items["done"].id]["reviewed"] is None


def test_the_annotator_filter_takes_a_username_or_an_imported_annotators_name(client_for, browse, reviewer, annotator):
    project, items = browse
    client = client_for(reviewer)
    assert sorted(_ids(_list(client, project, annotator=annotator.username))) == sorted(
        [items["half"].id, items["corrected"].id]
    )
    assert _ids(_list(client, project, annotator="crowd-2")) == [
        items[n].id for n in ("done", "split", "accepted", "sent_back")
    ]
    assert _list(client, project, annotator="nobody") == []


def test_filters_and_rows_read_current_annotations_only(client_for, browse, reviewer, annotator):
    project, items = browse
    edited = Annotation.objects.select_related("item__project").get(item=items["half"], annotator=annotator)
    annotation_revise(annotation=edited, editor=annotator, role="annotator", value={"label": "negative"})
    client = client_for(reviewer)
    assert items["half"].id not in _ids(_list(client, project, label="positive"))
    assert items["half"].id in _ids(_list(client, project, label="negative"))
    row = next(r for r in _list(client, project, annotator=annotator.username) if r["id"] == items["half"].id)
    assert row["labels"] == ["negative"] and row["status"] == "in_progress"


def test_disagreement_finds_items_whose_current_labels_differ(client_for, browse, reviewer):
    project, items = browse
    client = client_for(reviewer)
    assert _ids(_list(client, project, disagreement="true")) == [items["split"].id, items["sent_back"].id]
    others = _ids(_list(client, project, disagreement="false"))
    assert items["split"].id not in others and len(others) == len(items) - 2


def test_suspect_finds_items_with_an_open_suspect_candidate(client_for, browse, reviewer):
    project, items = browse
    review_candidates_replace(project_id=project.id, kind="suspect",
                              entries=[(items["done"].id, 0.8, {"given": "positive", "suggested": "negative"})])
    client = client_for(reviewer)
    assert _ids(_list(client, project, suspect="true")) == [items["done"].id]
    assert items["done"].id not in _ids(_list(client, project, suspect="false"))
    review_create(item=items["done"], reviewer=reviewer, verdict="accept")  # closes it
    assert _list(client, project, suspect="true") == []


def _finished_run(project, predictions: dict, *, finished_at, status=JobStatus.SUCCEEDED) -> TrainingRun:
    number = DatasetVersion.objects.filter(project=project).count() + 1
    version = DatasetVersion.objects.create(project=project, number=number, split={"train": 1.0},
                                            status=JobStatus.SUCCEEDED)
    run = TrainingRun.objects.create(project=project, version=version, status=status, finished_at=finished_at)
    Prediction.objects.bulk_create(
        Prediction(run=run, item=item, split="test", label="positive", predicted="negative", confidence=confidence)
        for item, confidence in predictions.items()
    )
    return run


def test_confidence_below_reads_the_latest_finished_run(client_for, browse, reviewer):
    project, items = browse
    client = client_for(reviewer)
    assert _list(client, project, confidence_below="0.9") == []  # no run has finished
    now = timezone.now()
    _finished_run(project, {items["done"]: 0.3, items["split"]: 0.95}, finished_at=now - timedelta(hours=2))
    _finished_run(project, {items["done"]: 0.9, items["split"]: 0.4, items["half"]: 0.55}, finished_at=now)
    _finished_run(project, {items["done"]: 0.1}, finished_at=None, status=JobStatus.FAILED)
    assert _ids(_list(client, project, confidence_below="0.5")) == [items["split"].id]
    assert _ids(_list(client, project, confidence_below="0.6")) == [items["half"].id, items["split"].id]
    assert _ids(_list(client, project, confidence_below="0.6", status="in_progress")) == [items["half"].id]


def test_label_search_and_excluded_still_filter(client_for, browse, reviewer):
    project, items = browse
    client = client_for(reviewer)
    assert _ids(_list(client, project, label="negative")) == [items[n].id for n in ("split", "accepted", "sent_back", "corrected")]
    assert _ids(_list(client, project, search="SPLIT")) == [items["split"].id]
    assert _ids(_list(client, project, excluded="true")) == [items["excluded"].id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"ordering": "text"}, "ordering"),
        ({"confidence_below": "1.5"}, "confidence_below"),
        ({"confidence_below": "low"}, "confidence_below"),
        ({"disagreement": "maybe"}, "disagreement"),
        ({"suspect": "2"}, "suspect"),
        ({"excluded": "perhaps"}, "excluded"),
    ],
)
def test_a_filter_value_out_of_its_choices_is_a_400_naming_it(client_for, browse, reviewer, query, field):
    project, _ = browse
    response = client_for(reviewer).get(_url(project), query)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and field in response.json()["error"]["fields"]


@pytest.mark.parametrize("ordering", ["id", "-id", "annotation_count", "-annotation_count"])
def test_pages_walk_every_item_once_in_order_across_ties(client_for, reviewer, ordering):
    project = factories.make_project(k=3)
    factories.make_member(project, reviewer, "reviewer")
    counts = [2, 0, 1, 1, 0, 2, 1, 0, 1, 2, 0]
    made = factories.make_items(project, [f"text {i}" for i in range(len(counts))])
    for item, count in zip(made, counts, strict=True):
        Item.objects.filter(id=item.id).update(annotation_count=count)
    key, descending = ordering.lstrip("-"), ordering.startswith("-")
    expected = sorted(made, key=lambda i: (counts[made.index(i)] if key == "annotation_count" else 0, i.id),
                      reverse=descending)
    client = client_for(reviewer)
    seen, url, query = [], _url(project), {"ordering": ordering, "page_size": 2}
    while url:
        body = client.get(url, query).json()
        seen += _ids(body["results"])
        url, query = body["next"], None
    assert seen == [i.id for i in expected]


def test_a_cursor_of_another_ordering_is_refused(client_for, browse, reviewer):
    project, _ = browse
    client = client_for(reviewer)
    first = client.get(_url(project), {"page_size": 2}).json()
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    response = client.get(_url(project), {"ordering": "annotation_count", "cursor": cursor})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"


def test_multilabel_and_span_rows_summarise_their_labels(client_for, reviewer):
    multi = factories.make_project(task_type="multilabel", labels=("a", "b", "c"))
    spans = factories.make_project(task_type="spans", labels=("PER", "ORG"))
    for project in (multi, spans):
        factories.make_member(project, reviewer, "reviewer")
    (m,) = factories.make_items(multi, ["tags"])
    annotations_import(project=multi, rows=[(m.id, "x", {"labels": ["c", "a"]}), (m.id, "y", {"labels": ["a"]})])
    (s,) = factories.make_items(spans, ["Ada at IBM"])
    Annotation.objects.create(project=spans, item=s, source="x", value={"spans": [
        {"start": 7, "end": 10, "label": "ORG"}, {"start": 0, "end": 3, "label": "PER"}]})
    client = client_for(reviewer)
    assert _list(client, multi)[0]["labels"] == ["a", "c"]
    assert _list(client, spans)[0]["labels"] == ["PER", "ORG"]


def test_a_page_costs_the_same_whatever_its_rows_hold(client_for, browse, manager, django_assert_max_num_queries):
    project, items = browse
    factories.make_member(project, manager, "manager")
    more = factories.make_items(project, [f"more {i}" for i in range(40)])
    for item in more:
        _votes(item, "positive", "negative", "positive")
    _finished_run(project, dict.fromkeys(more, 0.5), finished_at=timezone.now())
    client = client_for(manager)
    # the project with the caller's role; the page (every filter is in it); its annotations; its reviews
    with django_assert_max_num_queries(4):
        small = client.get(_url(project), {"page_size": 5})
    with django_assert_max_num_queries(4):
        large = client.get(_url(project), {"page_size": 40, "status": "done", "disagreement": "true",
                                           "annotator": "crowd-1", "suspect": "false", "confidence_below": "1",
                                           "ordering": "-annotation_count"})
    assert len(small.json()["results"]) == 5 and len(large.json()["results"]) == 40


@pytest.mark.parametrize(("persona", "status"), [("annotator", 403), ("outsider", 404)])
def test_annotators_and_outsiders_cannot_browse(request, client_for, browse, persona, status):
    project, _ = browse
    assert client_for(request.getfixturevalue(persona)).get(_url(project), {"status": "done"}).status_code == status


# ------------------------------------------------------------------------------------------ the item page


def test_the_item_page_shows_status_leases_cleaning_history_and_predictions(client_for, reviewer, annotator, settings):
    project = factories.make_project(k=2)
    factories.make_member(project, reviewer, "reviewer")
    factories.make_member(project, annotator, "annotator")
    padded, short = factories.make_items(project, ["a   padded    text", "ok"])
    run = cleaning_services.cleaning_run_create(
        project=project, steps=[{"op": "normalize_whitespace"}, {"op": "min_length", "min": 5}], created_by=None
    )
    cleaning_services.cleaning_run_execute(run_id=run.id)
    _votes(Item.objects.get(id=padded.id), "positive")
    now = timezone.now()
    Lease.objects.create(project=project, item=padded, user=annotator,
                         expires_at=now + timedelta(hours=settings.DATAMOAT_ASSIGNMENT_HOURS))
    Lease.objects.create(project=project, item=padded, user=reviewer, expires_at=now - timedelta(seconds=1))  # expired
    older = _finished_run(project, {padded: 0.7}, finished_at=now - timedelta(days=1))
    newer = _finished_run(project, {padded: 0.45}, finished_at=now)

    client = client_for(reviewer)
    body = client.get(f"/api/v1/items/{padded.id}").json()
    assert body["status"] == "in_progress" and body["reviewed"] is None
    assert body["text"] == "a padded text"
    assert [(h["step"], h["action"], h["old_text"], h["new_text"], h["reverted"]) for h in body["history"]] == [
        ("normalize_whitespace", "rewritten", "a   padded    text", "a padded text", False)
    ]
    assert body["history"][0]["run_id"] == run.id
    assert [(p["run_id"], p["version"], p["predicted"], p["confidence"]) for p in body["predictions"]] == [
        (newer.id, 2, "negative", 0.45), (older.id, 1, "negative", 0.7)
    ]
    assert [(lease["user"], lease["assigned"]) for lease in body["leases"]] == [(annotator.username, True)]
    assert body["assigned_to"] == [annotator.username]

    excluded = client.get(f"/api/v1/items/{short.id}").json()
    assert excluded["status"] == "excluded"
    assert [(h["step"], h["action"]) for h in excluded["history"]] == [("min_length", "excluded")]
    assert excluded["history"][0]["reason"] == excluded["excluded_reason"] and excluded["predictions"] == []


def test_the_item_page_costs_the_same_whatever_the_item_has(client_for, reviewer, django_assert_max_num_queries):
    project = factories.make_project(k=5)
    factories.make_member(project, reviewer, "reviewer")
    bare, busy = factories.make_items(project, ["bare", "  busy  "])
    client = client_for(reviewer)
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/items/{bare.id}").status_code == 200
    for _ in range(3):
        run = cleaning_services.cleaning_run_create(project=project, steps=[{"op": "normalize_whitespace"}],
                                                    created_by=None)
        cleaning_services.cleaning_run_execute(run_id=run.id)
        Item.objects.filter(id=busy.id).update(text="  busy  ")
    _votes(busy, "positive", "negative", "positive", "negative")
    for _ in range(3):
        review_create(item=busy, reviewer=reviewer, verdict="accept")
    for day in range(4):
        _finished_run(project, {busy: 0.5}, finished_at=timezone.now() - timedelta(days=day))
    with django_assert_max_num_queries(6):
        body = client.get(f"/api/v1/items/{busy.id}").json()
    assert (len(body["history"]), len(body["annotations"]), len(body["reviews"]), len(body["predictions"])) == (3, 4, 3, 4)
