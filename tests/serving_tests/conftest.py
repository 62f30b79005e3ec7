"""The browser fixtures of tests/e2e_tests (Debian's Chromium through Playwright), for the CSP and
serving tests, and a project with a real finished run for the serving tests."""
from __future__ import annotations

import pytest

from tests.e2e_tests.conftest import browser, new_page, screenshots  # noqa: F401

# From scratch, one epoch, tiny sizes: a couple of seconds on one contended core.
TINY_RUN = {"epochs": 1, "batch_size": 16, "max_length": 32, "d_model": 32, "n_heads": 2, "n_layers": 1,
            "d_ff": 64, "vocab_size": 2000, "device": "cpu"}


@pytest.fixture
def served_models():
    """This process's serving cache, emptied before and after the test (its load counter too)."""
    from training.serving import model_cache

    model_cache.clear()
    yield model_cache
    model_cache.clear()


def train_vader_run(project, manager, n: int = 240, config: dict | None = None):
    """VADER snippets imported with their gold labels, a version built from them and a run trained on
    it (``TINY_RUN`` from scratch unless ``config`` says otherwise), all through the real services (no
    Celery: the task bodies run here)."""
    from annotation.imported import annotations_import
    from curation import services as curation_services
    from tests import factories
    from tests.real_data import vader_snippets
    from training import services as training_services

    snippets = vader_snippets(n)
    items = factories.make_items(project, [text for text, _ in snippets])
    annotations_import(project=project, rows=[(item.id, "vader_gold", {"label": label})
                                              for item, (_, label) in zip(items, snippets, strict=True)])
    version = curation_services.version_create(
        project=project, split={"train": 0.6, "val": 0.2, "test": 0.2}, seed=0, created_by=manager, name="gold"
    )
    curation_services.version_execute(version_id=version.id)
    version.refresh_from_db()
    assert version.status == "succeeded", version.error
    run = training_services.run_create(version=version, config=dict(config or TINY_RUN), created_by=manager)
    training_services.run_execute(run_id=run.id)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return run
