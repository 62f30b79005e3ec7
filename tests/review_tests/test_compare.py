"""Run comparison: the paired figures against scikit-learn and statsmodels, and the endpoint on the
ruler's latest labels."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score
from statsmodels.stats.contingency_tables import mcnemar

from annotation import review_services
from curation.ruler import evaluation_set_pin
from projects.models import Item
from tests import factories
from tests.review_tests.conftest import build
from training.compare import compare, mcnemar_exact
from training.models import Prediction, TrainingRun


def _case(seed=7, n=400):
    rng = np.random.default_rng(seed)
    labels = np.array(["pos", "neg", "neu"])
    truth = rng.choice(labels, n)
    a = np.where(rng.random(n) < 0.72, truth, rng.choice(labels, n))
    b = np.where(rng.random(n) < 0.81, truth, rng.choice(labels, n))
    return truth, a, b


def test_the_figures_match_scikit_learn_and_statsmodels():
    truth, a, b = _case()
    result = compare(list(truth), list(a), list(b), resamples=500)
    assert result["a"]["accuracy"] == pytest.approx(accuracy_score(truth, a))
    assert result["b"]["macro_f1"] == pytest.approx(f1_score(truth, b, average="macro"))
    right_a, right_b = truth == a, truth == b
    table = [[(right_a & right_b).sum(), (right_a & ~right_b).sum()], [(~right_a & right_b).sum(), (~right_a & ~right_b).sum()]]
    assert result["mcnemar_p"] == pytest.approx(mcnemar(table, exact=True).pvalue)
    per_class = f1_score(truth, b, average=None, labels=["pos", "neg", "neu"])
    assert [result["per_class"][k]["b_f1"] for k in ("pos", "neg", "neu")] == pytest.approx(list(per_class))
    assert len(result["fixed"]) == (~right_a & right_b).sum() and len(result["broken"]) == (right_a & ~right_b).sum()


def test_the_bootstrap_interval_holds_the_difference_and_matches_a_plain_loop():
    truth, a, b = _case(n=300)
    result = compare(list(truth), list(a), list(b), resamples=2000, seed=3)
    lo, hi = result["difference"]["interval_95"]
    assert lo < result["difference"]["accuracy"] < hi
    # The same paired bootstrap written as a plain loop over resampled indices.
    rng = np.random.default_rng(11)
    diffs = []
    for _ in range(2000):
        idx = rng.integers(0, len(truth), len(truth))
        diffs.append((truth[idx] == b[idx]).mean() - (truth[idx] == a[idx]).mean())
    ref_lo, ref_hi = np.percentile(diffs, [2.5, 97.5])
    assert lo == pytest.approx(ref_lo, abs=0.015) and hi == pytest.approx(ref_hi, abs=0.015)


def test_mcnemar_of_a_known_table():
    assert mcnemar_exact(1, 9) == pytest.approx(mcnemar([[0, 1], [9, 0]], exact=True).pvalue)
    assert mcnemar_exact(0, 0) == 1.0


@pytest.mark.django_db
def test_two_runs_are_scored_on_the_rulers_latest_labels(client_for, noisy_project, make_reviewers):
    project, items, truth = noisy_project
    (reviewer,) = make_reviewers(project, 1)
    version = build(project)
    evaluation_set_pin(project=project, from_version=version)
    test_ids = [p.item_id for p in evaluation_set_ids(project)]
    runs = []
    for accuracy_every in (3, 5):  # run a misses every 3rd test item, run b every 5th
        run = TrainingRun.objects.create(project=project, version=version, status="succeeded", metrics={})
        Prediction.objects.bulk_create(
            Prediction(run=run, item_id=item_id, split="test", label="positive", predicted="positive" if k % accuracy_every else "negative", confidence=0.9)
            for k, item_id in enumerate(test_ids)
        )
        runs.append(run)
    # The ruler labels every item positive only if the version did; set them so, through a correction.
    for item_id in test_ids:
        item = Item.objects.select_related("project").get(id=item_id)
        review_services.review_create(item=item, reviewer=reviewer, verdict="correct", value={"label": "positive"})
    build(project)  # applies the corrections: a new ruler revision
    body = client_for(reviewer).get(f"/api/v1/runs/compare?a={runs[0].id}&b={runs[1].id}").json()
    n = len(test_ids)
    expected_a = sum(1 for k in range(n) if k % 3) / n
    expected_b = sum(1 for k in range(n) if k % 5) / n
    assert body["items"] == n and body["scored_against"]["revision"] == 2
    assert body["a"]["accuracy"] == pytest.approx(expected_a) and body["b"]["accuracy"] == pytest.approx(expected_b)
    assert body["difference"]["accuracy"] == pytest.approx(expected_b - expected_a)
    assert body["fixed_count"] == sum(1 for k in range(n) if k % 3 == 0 and k % 5)
    assert body["a"]["quality"]["estimated_noise_rate"] is not None


def evaluation_set_ids(project):
    from curation.models import RulerLabel

    return list(RulerLabel.objects.filter(evaluation_set__project=project, revision=1).order_by("item_id"))


@pytest.mark.django_db
def test_runs_of_other_projects_or_unfinished_cannot_be_compared(client_for, project, manager):
    other = factories.make_project()
    version = build_one(project)
    a = TrainingRun.objects.create(project=project, version=version, status="succeeded")
    b = TrainingRun.objects.create(project=project, version=version, status="running")
    response = client_for(manager).get(f"/api/v1/runs/compare?a={a.id}&b={b.id}")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_finished"
    assert client_for(manager).get(f"/api/v1/runs/compare?a={a.id}").status_code == 400
    foreign = TrainingRun.objects.create(project=other, version=build_one(other), status="succeeded")
    assert client_for(manager).get(f"/api/v1/runs/compare?a={a.id}&b={foreign.id}").status_code == 404


def build_one(project):
    from tests.versions_tests.conftest import vote

    (item,) = factories.make_items(project, [f"the only text of {project.name}"])
    vote(item, "positive")
    return build(project, split={"train": 1.0, "val": 0.0, "test": 0.0})


@pytest.mark.django_db
def test_both_lists_carry_their_texts_when_the_fixed_list_is_long(client_for, noisy_project, make_reviewers, monkeypatch):
    from training import selectors as training_selectors

    monkeypatch.setattr(training_selectors, "COMPARE_LIST_LIMIT", 2)
    project, items, truth = noisy_project
    (reviewer,) = make_reviewers(project, 1)
    version = build(project)
    evaluation_set_pin(project=project, from_version=version)
    ruler = {p.item_id: p.label for p in evaluation_set_ids(project)}
    ids = sorted(ruler)
    runs = []
    # a gets the first 6 ruler items wrong, b the last 2: six fixed, two broken.
    for wrong in (set(ids[:6]), set(ids[-2:])):
        run = TrainingRun.objects.create(project=project, version=version, status="succeeded", metrics={})
        Prediction.objects.bulk_create(
            Prediction(run=run, item_id=i, split="test", label=ruler[i],
                       predicted=("negative" if ruler[i] == "positive" else "positive") if i in wrong else ruler[i],
                       confidence=0.9)
            for i in ids
        )
        runs.append(run)
    body = client_for(reviewer).get(f"/api/v1/runs/compare?a={runs[0].id}&b={runs[1].id}").json()
    assert (body["fixed_count"], body["broken_count"]) == (6, 2)
    assert len(body["fixed"]) == len(body["broken"]) == 2
    assert all(row["text"] for row in body["fixed"] + body["broken"])
