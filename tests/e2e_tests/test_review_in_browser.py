"""The review loop in the browser, on seeded data: VADER snippets voted by three named raters, two
built versions (the second after a reviewer's corrections, so the diff has causes), a pinned
evaluation set, a flag, model mistakes, and two finished runs with their predictions (written as rows:
real training is too slow here).

A reviewer reviews three items by keyboard; a manager compares the two runs, reads the version diff's
causes and the project's loop; an annotator flags an item while labeling; a manager pins a ruler.
Screenshots of each page at 1440x900 and 390x844 go to $E2E_SCREENSHOTS (else the test's tmp_path).
"""
from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from annotation import review_services
from annotation.imported import annotations_import
from annotation.models import Flag, Review
from curation import services as curation_services
from curation.diff import snapshot_diff
from curation.diff_causes import cause_counts, diff_causes
from curation.models import EvaluationSet
from curation.ruler import evaluation_set_pin, ruler_current
from curation.selectors import version_snapshot_dir
from curation.snapshot import snapshot_table
from tests import factories
from tests.e2e_tests.axe import serious_violations
from tests.e2e_tests.conftest import js_percent, login, shot, vader_snippets
from training.engine.metrics import ConfusionCounts
from training.models import Prediction, TrainingRun
from training.selectors import run_compare

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LABELS = ("negative", "positive")
SNIPPETS = 120  # over 100 labeled items: the noise estimate runs and finds suspects
SPLIT = {"train": 0.6, "val": 0.1, "test": 0.3}
DESKTOP = (1440, 900)
PHONE = (390, 844)


def build(project, manager):
    version = curation_services.version_create(project=project, split=SPLIT, seed=0, created_by=manager)
    curation_services.version_execute(version_id=version.id)
    version.refresh_from_db()
    assert version.status == "succeeded", version.error
    return version


def split_items(version, split: str) -> dict[int, str]:
    table = snapshot_table(version_snapshot_dir(version), columns=["item_id", "label", "split"]).to_pylist()
    return {row["item_id"]: row["label"] for row in table if row["split"] == split}


def finished_run(project, version, manager, truth: dict[int, str], wrong_every: int, floor: float):
    """A succeeded run on ``version`` whose test predictions are wrong on every ``wrong_every``-th
    ruler item, with metrics computed from them and a decaying loss curve."""
    flip = {"positive": "negative", "negative": "positive"}
    rows = []
    for k, (item_id, label) in enumerate(sorted(truth.items())):
        wrong = k % wrong_every == 0
        rows.append((item_id, label, flip[label] if wrong else label, 0.93 if wrong else 0.81))
    counts = ConfusionCounts(len(LABELS))
    counts.update(target=[LABELS.index(r[1]) for r in rows], predicted=[LABELS.index(r[2]) for r in rows])
    test = counts.compute(LABELS)
    now = timezone.now()
    run = TrainingRun.objects.create(
        project=project, version=version, model="transformer", status="succeeded", created_by=manager,
        config={"train": {"epochs": 3, "batch_size": 16}}, device="cpu",
        history=[{"step": s, "epoch": s // 40 + 1, "loss": round(0.7 * math.exp(-s / (30 + 10 * wrong_every)) + floor, 4)}
                 for s in range(0, 121, 4)],
        metrics={**test, "test": test, "val": test, "seconds": 12.5, "parameters": 54321, "vocab_size": 900,
                 "evaluated_on": version.ruler},
        progress_done=120, progress_total=120, started_at=now - timedelta(minutes=2), finished_at=now,
    )
    Prediction.objects.bulk_create(
        Prediction(run=run, item_id=item_id, split="test", label=label, predicted=predicted, confidence=confidence)
        for item_id, label, predicted, confidence in rows
    )
    return run, rows


@pytest.fixture
def review_project(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    snippets = vader_snippets(SNIPPETS)
    project = factories.make_project(name="VADER review loop", labels=LABELS, k=3,
                                     guidelines="Pick the sentiment the writer expresses about the film.")
    items = factories.make_items(project, [text for text, _ in snippets])
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    reviewer = factories.make_member(project, factories.make_user("rev"), Role.REVIEWER)
    annotator = factories.make_member(project, factories.make_user("ann"), Role.ANNOTATOR)
    flip = {"positive": "negative", "negative": "positive"}
    rows = []
    for i, (item, (_, label)) in enumerate(zip(items, snippets, strict=True)):
        rows.append((item.id, "vader_gold", {"label": label}))
        rows.append((item.id, "rater_b", {"label": flip[label] if i % 7 == 3 else label}))
        rows.append((item.id, "rater_c", {"label": flip[label] if i % 11 == 5 else label}))
    annotations_import(project=project, rows=rows)
    v1 = build(project, manager)
    evaluation_set = evaluation_set_pin(project=project, from_version=v1, split="test", created_by=manager)

    # Between the builds: a reviewer corrects a training item and a ruler item, two raters outvote one item.
    train, test = split_items(v1, "train"), split_items(v1, "test")
    train_ids, test_ids = sorted(train), sorted(test)
    by_id = {item.id: item for item in items}
    review_services.review_create(item=by_id[train_ids[0]], reviewer=manager, verdict="correct",
                                  value={"label": flip[train[train_ids[0]]]})
    review_services.review_create(item=by_id[test_ids[1]], reviewer=manager, verdict="correct",
                                  value={"label": flip[test[test_ids[1]]]})
    outvoted = train_ids[2]
    annotations_import(project=project, rows=[(outvoted, f"rater_{x}", {"label": flip[train[outvoted]]}) for x in "defg"])
    v2 = build(project, manager)
    assert v2.ruler and v2.ruler["revision"] == 2, v2.ruler

    # Fresh, unlabeled items for the annotators' queue.
    factories.make_items(project, ["A late arrival: the ending alone is worth it.", "Late again: a tedious sequel."])
    # What waits besides the builds' evidence: a flag, and the newer run's confident mistakes.
    review_services.flag_create(item=by_id[train_ids[4]], user=annotator, reason="Sarcastic? Reads positive.")
    truth, _ = ruler_current(evaluation_set)
    run_a, _ = finished_run(project, v1, manager, truth, wrong_every=3, floor=0.3)
    run_b, rows_b = finished_run(project, v2, manager, truth, wrong_every=7, floor=0.18)
    for item_id, label, predicted, confidence in [r for r in rows_b if r[1] != r[2]]:
        review_services.review_candidate_add(
            project_id=project.id, item_id=item_id, kind="model_mistake", score=confidence,
            detail={"run": run_b.id, "predicted": predicted, "given": label, "confidence": confidence, "split": "test"},
        )
    return {"project": project, "manager": manager, "reviewer": reviewer, "annotator": annotator,
            "v1": v1, "v2": v2, "run_a": run_a, "run_b": run_b, "flagged": train_ids[4], "ruler_items": len(truth),
            "model_mistakes": sum(1 for r in rows_b if r[1] != r[2])}


def expected_causes(new, old) -> dict[str, int]:
    diff = snapshot_diff(version_snapshot_dir(new), version_snapshot_dir(old))
    counts = cause_counts(diff_causes(diff, new=new, old=old))
    assert counts["review"] == 2 and counts["annotations"] >= 1, counts
    return counts


# Beside axe (serious and critical violations), what axe does not check: names for every control,
# labels for every field, a text alternative for every drawn chart, unique ids, and no sideways
# scrolling of the page at phone width.
A11Y_PROBLEMS = """() => {
  const problems = [];
  const name = (el) => (el.getAttribute('aria-label') || el.textContent || el.getAttribute('title') || '').trim();
  for (const el of document.querySelectorAll('button, a[href]')) if (!name(el)) problems.push(`unnamed ${el.outerHTML.slice(0, 80)}`);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) problems.push(`unlabelled ${el.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('svg[role=img]')) if (!el.getAttribute('aria-label')) problems.push('svg without aria-label');
  const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
  for (const id of new Set(ids)) if (ids.filter((x) => x === id).length > 1) problems.push(`duplicate id ${id}`);
  if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px wide`);
  return problems;
}"""


def accessibility_problems(page, name: str) -> list[str]:
    found = page.evaluate(A11Y_PROBLEMS) + serious_violations(page)
    return [f"{name}: {problem}" for problem in found]


def test_a_reviewer_reviews_three_items_by_keyboard(new_page, review_project, screenshots):
    project, reviewer = review_project["project"], review_project["reviewer"]
    problems: list[str] = []
    page = new_page(*DESKTOP)
    login(page, reviewer.username)
    page.goto(f"/projects/{project.id}/review")
    text = page.get_by_test_id("review-text")
    expect(text).to_be_visible()
    # The flag scores above every statistical reason: it comes first, saying who flagged it and why.
    expect(text).to_have_attribute("data-item-id", str(review_project["flagged"]))
    expect(page.get_by_test_id("reason-flagged")).to_contain_text("Sarcastic? Reads positive.")
    expect(page.get_by_test_id("reason-flagged")).to_contain_text("ann")
    expect(page.get_by_test_id("review-annotations")).to_contain_text("rater_b")
    expect(page.get_by_test_id("consolidated")).not_to_have_text("none")
    expect(page.get_by_test_id("waiting-count")).not_to_have_text("…")
    expect(page.get_by_test_id("reason-filter-flagged").locator(".count")).to_have_text("1")
    expect(page.get_by_test_id("reason-filter-model_mistake").locator(".count")).to_have_text(
        str(review_project["model_mistakes"]))
    shot(page, screenshots, "review-1440", slices=True)
    problems += accessibility_problems(page, "review-1440")

    seen = []
    for n, keys in enumerate(["a", "2", "x"], start=1):
        item_id = text.get_attribute("data-item-id")
        seen.append(int(item_id))
        page.keyboard.press(keys)
        if keys == "x":
            reason = page.get_by_label("Why exclude item")
            expect(reason).to_be_focused()
            reason.press_sequentially("Not about a film")
            reason.press("Enter")
        expect(page.get_by_test_id("reviewed-count")).to_have_text(str(n))
        expect(text).not_to_have_attribute("data-item-id", item_id)

    # S skips without a verdict: the item changes and nothing is stored.
    skipped = text.get_attribute("data-item-id")
    page.keyboard.press("s")
    expect(text).not_to_have_attribute("data-item-id", skipped)
    expect(page.get_by_test_id("review-skipped")).to_have_text("1")
    expect(page.get_by_test_id("reviewed-count")).to_have_text("3")
    expect(page.get_by_test_id("toast")).to_have_count(0)  # no request failed on the way

    stored = {r.item_id: (r.verdict, r.label, r.reason) for r in Review.objects.filter(reviewer=reviewer)}
    assert stored == {
        seen[0]: ("accept", "", ""),
        seen[1]: ("correct", "positive", ""),
        seen[2]: ("exclude", "", "Not about a film"),
    }
    assert len(set(seen)) == 3

    # The reason filter works one kind only: the model's mistakes, saying what the run predicted.
    page.get_by_test_id("reason-filter-model_mistake").click()
    page.wait_for_url(lambda url: url.endswith("/review?reason=model_mistake"))
    expect(page.get_by_test_id("reason-model_mistake")).to_contain_text(f"Run #{review_project['run_b'].id} predicted")
    expect(page.get_by_test_id("suggestion")).not_to_have_text("none")

    phone = new_page(*PHONE)
    login(phone, review_project["manager"].username)
    phone.goto(f"/projects/{project.id}/review?reason=disagreement")
    expect(phone.get_by_test_id("reason-disagreement")).to_contain_text("votes")
    expect(phone.get_by_test_id("waiting-count")).not_to_have_text("…")
    shot(phone, screenshots, "review-390", slices=True)
    problems += accessibility_problems(phone, "review-390")
    assert problems == []


def test_a_manager_compares_runs_reads_the_diff_and_the_loop(new_page, review_project, screenshots):
    project, manager = review_project["project"], review_project["manager"]
    run_a, run_b = review_project["run_a"], review_project["run_b"]
    expected = run_compare(a=run_a, b=run_b)
    assert expected["fixed_count"] and expected["broken_count"]
    problems: list[str] = []

    page = new_page(*DESKTOP)
    login(page, manager.username)

    # The overview: the loop chart, one point per version, and what waits for review.
    page.goto(f"/projects/{project.id}")
    loop = page.get_by_test_id("loop-chart")
    expect(loop.locator("svg[role=img]")).to_be_visible()
    expect(loop.locator("[data-series=accuracy] path")).to_have_count(3)  # the line and two markers
    expect(page.get_by_test_id("review-link")).to_contain_text("waiting")
    expect(page.get_by_test_id("review-link")).not_to_contain_text("…")
    shot(page, screenshots, "project-loop-1440", slices=True)
    problems += accessibility_problems(page, "project-loop-1440")

    # Runs: tick both, compare.
    page.get_by_role("link", name="Runs", exact=True).click()
    page.get_by_test_id(f"tick-run-{run_a.id}").check()
    page.get_by_test_id(f"tick-run-{run_b.id}").check()
    expect(page.get_by_test_id("compare-runs")).to_have_text(f"Compare #{run_a.id} and #{run_b.id}")
    shot(page, screenshots, "runs-ticked-1440", slices=True)
    page.get_by_test_id("compare-runs").click()
    page.wait_for_url(lambda url: url.endswith(f"/runs/compare?a={run_a.id}&b={run_b.id}"))
    expect(page.get_by_test_id("accuracy-a")).to_have_text(js_percent(expected["a"]["accuracy"]))
    expect(page.get_by_test_id("accuracy-b")).to_have_text(js_percent(expected["b"]["accuracy"]))
    expect(page.get_by_test_id("macro-f1-b")).to_have_text(f"{expected['b']['macro_f1']:.3f}")
    expect(page.get_by_test_id("accuracy-difference")).to_contain_text("pts")
    expect(page.get_by_test_id("accuracy-interval")).to_contain_text("95% interval")
    expect(page.get_by_test_id("accuracy-interval")).not_to_contain_text("n/a")
    expect(page.get_by_test_id("mcnemar-p")).not_to_have_text("n/a")
    expect(page.get_by_test_id("scored-against")).to_contain_text("revision 2")
    for label in LABELS:
        expect(page.get_by_test_id(f"delta-{label}")).to_be_visible()
    curves = page.get_by_test_id("loss-overlay").locator("path.line")
    expect(curves).to_have_count(2)
    for i in range(2):  # both runs drew a curve (an empty series would still draw a path, with no points)
        expect(curves.nth(i)).to_have_attribute("d", re.compile(r"^M"))
    expect(page.get_by_test_id("compare-quality")).to_contain_text("Est. label noise")
    expect(page.get_by_test_id("compare-fixed")).to_contain_text(f"({expected['fixed_count']})")
    expect(page.get_by_test_id("compare-broken").locator("tbody tr")).to_have_count(expected["broken_count"])
    shot(page, screenshots, "compare-1440", slices=True)
    problems += accessibility_problems(page, "compare-1440")

    # Versions: the ruler, and v2 against v1 with the cause of each change.
    page.get_by_role("link", name="Versions", exact=True).click()
    detail = page.get_by_test_id("version-detail")
    expect(detail).to_contain_text(f"Version {review_project['v2'].number}")
    expect(page.get_by_test_id("ruler-revision")).to_have_text("revision 2")
    expect(page.get_by_test_id("ruler-items")).to_have_text(f"{review_project['ruler_items']} items")
    detail.get_by_role("button", name="Compare", exact=True).click()
    diff = page.get_by_test_id("version-diff")
    for cause, count in expected_causes(review_project["v2"], review_project["v1"]).items():
        expect(diff.get_by_test_id(f"cause-{cause}").locator("strong")).to_have_text(str(count))
    expect(diff.get_by_test_id("diff-items")).to_contain_text("corrected by lead")
    expect(detail.get_by_test_id("review-suspects")).to_have_attribute("href", f"/projects/{project.id}/review?reason=suspect")
    shot(page, screenshots, "versions-diff-1440", slices=True)
    problems += accessibility_problems(page, "versions-diff-1440")

    # The same pages on a phone.
    phone = new_page(*PHONE)
    login(phone, manager.username)
    phone.goto(f"/projects/{project.id}")
    expect(phone.get_by_test_id("loop-chart").locator("svg[role=img]")).to_be_visible()
    shot(phone, screenshots, "project-loop-390", slices=True)
    problems += accessibility_problems(phone, "project-loop-390")
    phone.goto(f"/projects/{project.id}/runs/compare?a={run_a.id}&b={run_b.id}")
    expect(phone.get_by_test_id("mcnemar-p")).not_to_have_text("n/a")
    shot(phone, screenshots, "compare-390", slices=True)
    problems += accessibility_problems(phone, "compare-390")
    phone.goto(f"/projects/{project.id}/versions")
    phone.get_by_test_id("version-detail").get_by_role("button", name="Compare", exact=True).click()
    expect(phone.get_by_test_id("diff-causes")).to_be_visible()
    shot(phone, screenshots, "versions-diff-390", slices=True)
    problems += accessibility_problems(phone, "versions-diff-390")

    # The run page's test mistakes lead into the review page, model mistakes only.
    page.goto(f"/projects/{project.id}/runs")
    page.get_by_test_id("review-mistakes").click()
    page.wait_for_url(lambda url: url.endswith("/review?reason=model_mistake"))
    expect(page.get_by_test_id("reason-filter-model_mistake")).to_have_attribute("aria-pressed", "true")
    assert problems == []


def test_an_annotator_flags_an_item_while_labeling(new_page, review_project, screenshots):
    project, annotator = review_project["project"], review_project["annotator"]
    page = new_page(*PHONE)
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/label")
    item = page.get_by_test_id("item-text")
    expect(item).to_be_visible()
    item_id = int(item.get_attribute("data-item-id"))

    page.keyboard.press("f")
    reason = page.get_by_label("Why should a reviewer look")
    expect(reason).to_be_focused()
    reason.press_sequentially("Two sentiments at once")
    shot(page, screenshots, "labeling-flag-390", slices=True)
    reason.press("Enter")
    expect(page.get_by_test_id("toast")).to_contain_text(f"Item #{item_id} flagged")
    assert Flag.objects.filter(item_id=item_id, user=annotator, reason="Two sentiments at once").exists()

    # Every labeling key still works on the same item.
    expect(item).to_have_attribute("data-item-id", str(item_id))
    page.keyboard.press("2")
    expect(page.get_by_test_id("label-positive")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("done-count")).to_have_text("1")


def test_a_manager_pins_a_versions_test_split_as_the_ruler(new_page, settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    project = factories.make_project(name="Pin me", labels=LABELS)
    manager = factories.make_member(project, factories.make_user("pinner"), Role.MANAGER)
    items = factories.make_items(project, [f"snippet {i}: {'a fine' if i % 2 else 'a dull'} film" for i in range(20)])
    annotations_import(project=project, rows=[(item.id, "gold", {"label": LABELS[i % 2]}) for i, item in enumerate(items)])
    version = build(project, manager)
    test_items = len(split_items(version, "test"))
    assert test_items

    page = new_page()
    login(page, manager.username)
    page.goto(f"/projects/{project.id}/versions")
    page.get_by_test_id("pin-ruler").click()
    page.get_by_test_id("confirm-pin").click()
    expect(page.get_by_test_id("ruler-items")).to_have_text(f"{test_items} items")
    expect(page.get_by_test_id("ruler-revision")).to_have_text("revision 1")
    assert EvaluationSet.objects.get(project=project).from_version_id == version.id
