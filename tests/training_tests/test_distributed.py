"""A run with ``gpus: 2`` on the CPU: two processes under torchrun on gloo, against the same run in one process."""
from __future__ import annotations

import pytest

from training.engine import RunConfig, run

from .snapshots import TINY, toy_rows, write_snapshot


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    snapshot = write_snapshot(root / "snapshot", toy_rows(480))
    options = {**TINY, "threads": 1}
    one = run(snapshot, root / "one", RunConfig.from_options(options))
    two = run(snapshot, root / "two", RunConfig.from_options({**options, "gpus": 2}))
    return root, one, two


def test_two_gloo_processes_report_what_one_process_reports(both):
    _, one, two = both
    assert two.device == "cpu fp32 ×2 gloo" and one.device == "cpu fp32"
    assert two.total_steps == one.total_steps  # the global batch is the same: each process takes half of it
    for split in ("val", "test"):
        assert abs(two.metrics[split]["accuracy"] - one.metrics[split]["accuracy"]) <= 0.02
        assert abs(two.metrics[split]["macro_f1"] - one.metrics[split]["macro_f1"]) <= 0.02
    assert len(two.predictions) == len(one.predictions)
    # The loss curves agree (rank 0 reports its half of each batch, so not exactly).
    first, last = (abs(two.history[i]["loss"] - one.history[i]["loss"]) for i in (0, -1))
    assert first < 0.1 and last < 0.05
    assert two.config.train.gpus == 2


def test_the_distributed_run_leaves_artifacts_that_load(both):
    root, _, two = both
    from training.engine import load_classifier

    classifier = load_classifier(root / "two")
    assert classifier.predict(["a good film"])[0][0] == "positive"
    assert not (root / ".two.ddp").exists()  # the launcher's work folder is gone
