"""The agreement selector streams every annotation, ours and imported, whatever the task type."""
from __future__ import annotations

from accounts.roles import Role
from annotation.models import Annotation
from annotation.quality_selectors import project_agreement, project_votes
from tests import factories
from tests.agreement_tests.labelled import VOTES


def test_votes_carry_the_author_keys_of_the_annotations(labelled):
    project, _, _ = labelled
    votes, lead_times = project_votes(project=project)
    assert len(votes) == len(VOTES)
    assert {key for _, key, _ in votes} == {a.author_key for a in Annotation.objects.filter(project=project)}
    assert sorted(len(times) for times in lead_times.values()) == [2, 3, 4]


def test_a_label_no_longer_in_the_project_still_counts(labelled):
    project, _, _ = labelled
    project.labels = ["positive"]
    project.save()
    report = project_agreement(project=project)
    assert list(report["per_label"]) == ["positive", "negative"]
    assert report["per_label"]["negative"]["ratings"] == 4


def test_multilabel_annotations_count_as_work_but_not_as_agreement(db):
    project = factories.make_project(task_type="multilabel", labels=("a", "b"))
    user = factories.make_member(project, factories.make_user("tagger"), Role.ANNOTATOR)
    [item] = factories.make_items(project, ["a text"])
    Annotation.objects.create(project=project, item=item, annotator=user, value={"labels": ["a", "b"]}, lead_time_ms=7)
    report = project_agreement(project=project)
    assert report["ratings"] == 1 and report["fleiss_kappa"] is None
    assert report["annotators"] == [
        {
            "annotator": "tagger",
            "key": f"user:{user.id}",
            "items": 1,
            "median_lead_time_ms": 7.0,
            "agreement_with_consensus": None,
            "agreement_with_others": None,
            "items_compared": 0,
        }
    ]
