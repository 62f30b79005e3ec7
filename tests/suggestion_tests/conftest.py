"""A project with a real finished run (VADER snippets, a from-scratch model trained for one epoch) and
unlabeled items for it to predict; and suggestion sets written directly, for the queue's order."""
from __future__ import annotations

import pytest

from accounts.roles import Role
from annotation.models import Suggestion, SuggestionJob
from common.models import JobStatus
from tests import factories

# From scratch, one epoch, tiny sizes: a couple of seconds on one contended core.
TINY_RUN = {"epochs": 1, "batch_size": 16, "max_length": 32, "d_model": 32, "n_heads": 2, "n_layers": 1,
            "d_ff": 64, "vocab_size": 2000, "device": "cpu"}


def train_run(project, manager, labeled):
    """Import ``labeled`` (text, label) as gold annotations, build a version and train a run on it,
    through the real services (the task bodies run here, no Celery)."""
    from annotation.imported import annotations_import
    from curation import services as curation_services
    from training import services as training_services

    items = factories.make_items(project, [text for text, _ in labeled])
    annotations_import(project=project, rows=[(item.id, "vader_gold", {"label": label})
                                              for item, (_, label) in zip(items, labeled, strict=True)])
    version = curation_services.version_create(
        project=project, split={"train": 0.6, "val": 0.2, "test": 0.2}, seed=0, created_by=manager, name="gold"
    )
    curation_services.version_execute(version_id=version.id)
    version.refresh_from_db()
    assert version.status == JobStatus.SUCCEEDED, version.error
    config = dict(TINY_RUN)
    run = training_services.run_create(version=version, config=config, created_by=manager)
    training_services.run_execute(run_id=run.id)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, run.error
    return run


@pytest.fixture
def vader():
    from tests.e2e_tests.conftest import vader_snippets

    return vader_snippets(300)


@pytest.fixture
def trained(db, vader):
    """``(project, manager, run, pool)``: 240 labeled snippets with a finished run, and 60 more snippets
    imported unlabeled (``pool``, the items the run's suggestion job predicts)."""
    import torch

    torch.set_num_threads(1)  # the test machine's cores are shared: one intra-op thread avoids stalls
    project = factories.make_project(name="Movie snippets")
    manager = factories.make_member(project, factories.make_user("manager"), Role.MANAGER)
    run = train_run(project, manager, vader[:240])
    pool = factories.make_items(project, [text for text, _ in vader[240:]])
    return project, manager, run, pool


def publish_set(project, run_id: int, margins: dict) -> SuggestionJob:
    """A succeeded suggestion job for ``run_id`` with ``margins`` (item → margin) as its rows: the
    queue's input, written directly (the job's own tests train real runs)."""
    job = SuggestionJob.objects.create(project=project, run_id=run_id, status=JobStatus.SUCCEEDED)
    Suggestion.objects.bulk_create(
        Suggestion(project=project, item=item, run_id=run_id, label=project.labels[0],
                   confidence=(1 + margin) / 2, margin=margin)
        for item, margin in margins.items()
    )
    return job


@pytest.fixture
def make_annotators():
    """``make_annotators(project, n)``: n fresh annotators of the project."""

    def build(project, n: int):
        return [factories.make_member(project, factories.make_user(), Role.ANNOTATOR) for _ in range(n)]

    return build
