import pytest
import torch

from .snapshots import toy_rows, write_snapshot

# The test machine's cores are shared; one intra-op thread avoids oversubscription stalls.
torch.set_num_threads(1)


@pytest.fixture
def toy_snapshot(tmp_path):
    return write_snapshot(tmp_path / "snapshot", toy_rows())


@pytest.fixture
def make_version(tmp_path):
    """``make_version(project, rows=None, status="succeeded")``: items for the rows, their snapshot on
    disk (written here, per INTERFACES.md) and a version row pointing at it. Rows use item positions
    in place of ids: (index, text, label, split)."""
    from common.models import JobStatus
    from curation.models import DatasetVersion
    from tests.factories import make_items

    def build(project, rows=None, *, status=JobStatus.SUCCEEDED, quality=None):
        rows = rows if rows is not None else toy_rows()
        items = make_items(project, [text for _, text, _, _ in rows])
        number = DatasetVersion.objects.filter(project=project).count() + 1
        snapshot = write_snapshot(
            tmp_path / f"project_{project.id}_v{number}",
            [(item.id, text, label, split) for item, (_, text, label, split) in zip(items, rows, strict=True)],
            labels=project.labels, task_type=project.task_type,
        )
        counts = {s: sum(1 for r in rows if r[3] == s) for s in ("train", "val", "test")}
        return DatasetVersion.objects.create(
            project=project, number=number, status=status, snapshot_path=str(snapshot), counts=counts,
            quality=quality if quality is not None else {
                "items": {"total": len(rows)}, "label_noise": {"estimated_rate": 0.04, "suspects": []},
                "agreement": {"percent_agreement": 0.9, "krippendorff_alpha": 0.8, "fleiss_kappa": 0.79},
            },
        )

    return build
