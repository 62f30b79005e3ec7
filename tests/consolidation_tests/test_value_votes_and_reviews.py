"""Multi-label and span votes from the database (what a version build consolidates), the reviews'
verdicts on them, the review queue's disagreement reason and the review page's consolidated value."""
from __future__ import annotations

import pytest

from accounts.roles import Role
from annotation import review_selectors, review_services
from annotation.models import Annotation, ReviewCandidate
from annotation.votes import review_value_verdicts, value_votes
from tests import factories

TEXT = "Barack Obama visited New York City yesterday ."
PER = {"start": 0, "end": 12, "label": "PER"}
LOC = {"start": 21, "end": 34, "label": "LOC"}
SHORT_PER = {"start": 7, "end": 12, "label": "PER"}


def people(project, n: int, role=Role.ANNOTATOR):
    return [factories.make_member(project, factories.make_user(), role) for _ in range(n)]


def annotate(project, item, user, value) -> Annotation:
    return Annotation.objects.create(project=project, item=item, annotator=user, value=value)


@pytest.fixture
def span_item(db):
    project = factories.make_project(task_type="spans", labels=("PER", "LOC"))
    [item] = factories.make_items(project, [TEXT])
    return project, item


@pytest.fixture
def multilabel_item(db):
    project = factories.make_project(task_type="multilabel", labels=("sports", "politics", "business"))
    [item] = factories.make_items(project, ["The finance minister opens the new stadium"])
    return project, item


def test_value_votes_are_the_contents_of_the_current_annotations(multilabel_item):
    project, item = multilabel_item
    [other] = factories.make_items(project, ["Excluded text"])
    a, b, c = people(project, 3)
    annotate(project, item, a, {"labels": ["politics", "business"]})
    annotate(project, item, b, {"labels": []})
    annotate(project, item, c, {"labels": ["weather"]})  # a label the project no longer has
    annotate(project, other, a, {"labels": ["sports"]})
    other.excluded_reason = "duplicate"
    other.save()
    votes, dropped = value_votes(project_id=project.id, task_type="multilabel", labels=project.labels)
    assert votes == [(item.id, f"user:{a.id}", ("business", "politics")), (item.id, f"user:{b.id}", ())]
    assert dropped == 1


def test_span_votes_are_sorted_span_tuples(span_item):
    project, item = span_item
    [a] = people(project, 1)
    annotate(project, item, a, {"spans": [LOC, PER]})
    votes, dropped = value_votes(project_id=project.id, task_type="spans", labels=project.labels)
    assert votes == [(item.id, f"user:{a.id}", ((0, 12, "PER"), (21, 34, "LOC")))] and dropped == 0


def test_review_verdicts_give_the_corrected_content_or_none(span_item):
    project, item = span_item
    [reviewer] = people(project, 1, Role.REVIEWER)
    review_services.review_create(item=item, reviewer=reviewer, verdict="accept")
    assert review_value_verdicts(project_id=project.id, task_type="spans", labels=project.labels) == {item.id: None}
    review_services.review_create(item=item, reviewer=reviewer, verdict="correct", value={"spans": [PER]})
    assert review_value_verdicts(project_id=project.id, task_type="spans", labels=project.labels) == {
        item.id: ((0, 12, "PER"),)
    }
    review_services.review_create(item=item, reviewer=reviewer, verdict="send_back")
    assert review_value_verdicts(project_id=project.id, task_type="spans", labels=project.labels) == {}


def open_disagreement(item):
    return ReviewCandidate.objects.filter(item=item, kind="disagreement", resolved_at__isnull=True).first()


def test_different_spans_open_a_disagreement_and_agreeing_withdraws_it(span_item):
    project, item = span_item
    a, b = people(project, 2)
    annotate(project, item, a, {"spans": [PER, LOC]})
    assert review_services.disagreement_check(item=item) is False  # one annotation: nothing to compare
    second = annotate(project, item, b, {"spans": [SHORT_PER, LOC]})
    assert review_services.disagreement_check(item=item) is True
    candidate = open_disagreement(item)
    assert candidate.score == pytest.approx(0.5)
    assert candidate.detail == {"spans": [{**PER, "votes": 1}, {**SHORT_PER, "votes": 1}], "annotators": 2}
    Annotation.objects.filter(id=second.id).update(value={"spans": [PER, LOC]})
    assert review_services.disagreement_check(item=item, withdraw=True) is False
    assert open_disagreement(item) is None


def test_different_label_sets_open_a_disagreement_even_against_none_of_these(multilabel_item):
    project, item = multilabel_item
    a, b, c = people(project, 3)
    annotate(project, item, a, {"labels": ["politics"]})
    annotate(project, item, b, {"labels": ["politics"]})
    annotate(project, item, c, {"labels": []})
    assert review_services.disagreement_check(item=item) is True
    candidate = open_disagreement(item)
    assert candidate.score == pytest.approx(1 / 3)
    assert candidate.detail == {"chosen": {"politics": 2}, "annotators": 3,
                                "sets": [{"labels": ["politics"], "votes": 2}, {"labels": [], "votes": 1}]}


def test_the_same_label_set_is_no_disagreement(multilabel_item):
    project, item = multilabel_item
    a, b = people(project, 2)
    annotate(project, item, a, {"labels": ["politics", "business"]})
    annotate(project, item, b, {"labels": ["politics", "business"]})
    assert review_services.disagreement_check(item=item) is False and open_disagreement(item) is None


def test_the_review_page_shows_the_majority_spans(span_item):
    project, item = span_item
    a, b, c = people(project, 3)
    [reviewer] = people(project, 1, Role.REVIEWER)
    annotate(project, item, a, {"spans": [PER, LOC]})
    annotate(project, item, b, {"spans": [SHORT_PER, LOC]})
    annotate(project, item, c, {"spans": [PER]})
    review_services.disagreement_check(item=item)
    lease = review_services.review_claim_next(project=project, user=reviewer)
    view = review_selectors.review_view(lease=lease)
    assert view["consolidated"] == {"value": {"spans": [PER, LOC]}, "confidence": pytest.approx(2 / 3)}


def test_the_review_page_shows_the_majority_label_set(multilabel_item):
    project, item = multilabel_item
    a, b = people(project, 2)
    [reviewer] = people(project, 1, Role.REVIEWER)
    annotate(project, item, a, {"labels": ["politics", "business"]})
    annotate(project, item, b, {"labels": ["business"]})
    review_services.disagreement_check(item=item)
    lease = review_services.review_claim_next(project=project, user=reviewer)
    view = review_selectors.review_view(lease=lease)
    # business 2 of 2; politics 1 of 2, a tie: not kept.
    assert view["consolidated"] == {"value": {"labels": ["business"]}, "confidence": 0.5}
