"""Review-loop fixtures: a project with VADER snippets labelled by a gold source, some flipped, and
reviewers. Nothing autouse except each test's own snapshot folder."""
from __future__ import annotations

import pytest

from accounts.roles import Role
from curation import services as curation_services
from tests import factories
from tests.versions_tests.conftest import SPLIT, vader_snippets, votes


@pytest.fixture(autouse=True)
def snapshot_dir(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    return settings.SNAPSHOT_DIR


@pytest.fixture
def make_reviewers():
    def build(project, n: int):
        return [factories.make_member(project, factories.make_user(), Role.REVIEWER) for _ in range(n)]

    return build


@pytest.fixture
def make_annotators():
    def build(project, n: int):
        return [factories.make_member(project, factories.make_user(), Role.ANNOTATOR) for _ in range(n)]

    return build


@pytest.fixture
def noisy_project(db):
    """300 VADER snippets; every 10th gold label flipped. Returns (project, items, truth)."""
    project = factories.make_project(name="Noisy VADER")
    data = vader_snippets(300)
    items = factories.make_items(project, [text for text, _ in data])
    truth = {item.id: label for item, (_, label) in zip(items, data, strict=True)}
    flip = {"positive": "negative", "negative": "positive"}
    given = [flip[label] if i % 10 == 0 else label for i, (_, label) in enumerate(data)]
    votes(items, given)
    return project, items, truth


def build(project, **options):
    version = curation_services.version_create(
        project=project, consolidation=options.get("consolidation", "majority"), split=options.get("split", SPLIT),
        seed=options.get("seed", 0), created_by=None,
    )
    built = curation_services.version_execute(version_id=version.id)
    assert built is not None and built.status == "succeeded", built.error
    return built
