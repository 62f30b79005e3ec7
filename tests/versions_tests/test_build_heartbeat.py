"""A version build keeps its job's heartbeat fresh through every long phase, the quality report's
included, so the reaper (which fails a running job whose heartbeat is older than
JOB_HEARTBEAT_STALE_SECONDS) never takes a slow but healthy build for a dead one."""
from __future__ import annotations

import logging
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from common.jobs import job_cancel, jobs_reap_stale
from curation import services
from curation.models import DatasetVersion
from curation.noise import baseline, out_of_fold_probabilities
from curation.selectors import snapshot_dir_for
from tests.versions_tests.conftest import SPLIT, labeled_items, vader_snippets

LONG_AGO = timezone.now() - timedelta(days=1)


class PhaseAudit(logging.Handler):
    """Receives the build's "phase starts" records (debug level), each logged right after the phase's
    beat. It notes the heartbeat, then acts as the named phase starts:
    "age" (default): sets the heartbeat a day back, as if the phase had run that long, so the next note
    shows whether the next phase beat again; "reap": runs the reaper; "cancel": cancels the version."""

    def __init__(self, version_id: int, *, action: str = "age", cancel_on: str | None = None):
        super().__init__(level=logging.DEBUG)
        self.addFilter(lambda record: record.levelno == logging.DEBUG)
        self.version_id = version_id
        self.action = action
        self.cancel_on = cancel_on
        self.seen: list[tuple[str, object]] = []
        self.reaped = 0

    def emit(self, record: logging.LogRecord) -> None:
        phase = record.getMessage().split(": ", 1)[1]
        rows = DatasetVersion.objects.filter(id=self.version_id)
        self.seen.append((phase, rows.values_list("heartbeat_at", flat=True).get()))
        if phase == self.cancel_on:
            job_cancel(job=rows.get())
        elif self.action == "reap":
            self.reaped += jobs_reap_stale()
        elif self.action == "age":
            rows.update(heartbeat_at=LONG_AGO)


@pytest.fixture
def audited_build(project):
    """``audited_build(**PhaseAudit options)`` → (version, audit): a build with a PhaseAudit listening."""
    logger = logging.getLogger(services.__name__)

    def run(**options):
        version = services.version_create(project=project, split=SPLIT)
        audit = PhaseAudit(version.id, **options)
        level = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(audit)
        try:
            built = services.version_execute(version_id=version.id)
        finally:
            logger.removeHandler(audit)
            logger.setLevel(level)
        return built, audit

    return run


def test_every_phase_of_a_build_beats_the_heart_the_quality_report_included(project, audited_build):
    labeled_items(project, 120)  # enough for the 5-fold noise estimate to run
    started = timezone.now()
    version, audit = audited_build()
    assert version.status == "succeeded", version.error
    phases = [phase for phase, _ in audit.seen]
    assert phases == [
        "votes", "consolidate", "reviews", "snapshot", "quality: cleaning", "quality: items", "quality: labels",
        "quality: annotations_per_item", "quality: agreement", "quality: consolidation", "quality: label_noise",
        *(f"quality: label_noise fold {k}" for k in range(1, 6)), "quality: done", "manifest",
    ]
    stale = [phase for phase, beat in audit.seen if beat < started]
    assert not stale, f"no beat before {stale}"
    assert version.quality["label_noise"]["estimated_rate"] is not None


def test_the_reaper_spares_a_build_in_its_quality_report(project, audited_build):
    labeled_items(project, 120)
    version, audit = audited_build(action="reap")
    assert len(audit.seen) == 18 and audit.reaped == 0
    assert version.status == "succeeded", version.error


def test_a_build_cancelled_during_the_noise_estimate_stops_and_leaves_no_snapshot(project, audited_build):
    labeled_items(project, 120)
    version, audit = audited_build(action="none", cancel_on="quality: label_noise fold 2")
    assert version.status == "cancelled"
    assert audit.seen[-1][0] == "quality: label_noise fold 2"  # fold 3's beat saw the cancel
    assert version.quality == {} and version.error == ""
    folder = snapshot_dir_for(project_id=project.id, number=version.number)
    assert not folder.parent.exists() or not any(folder.parent.iterdir())  # neither snapshot nor temp folder


def test_out_of_fold_probabilities_match_cross_val_predict_and_report_each_fold():
    data = vader_snippets(200)
    texts = [text for text, _ in data]
    y = np.array([0 if label == "negative" else 1 for _, label in data])
    folds: list[int] = []
    ours = out_of_fold_probabilities(texts, y, folds=5, seed=3, on_fold=folds.append)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=3)
    reference = cross_val_predict(baseline(3), texts, y, cv=cv, method="predict_proba")
    assert folds == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-12)
