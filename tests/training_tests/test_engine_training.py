"""training.engine.run end to end on a tiny generated snapshot, without Django."""
import json

import pytest
import torch

from training.engine import Callbacks, RunConfig, SnapshotError, TrainingCancelled, load_classifier, run
from training.engine.callbacks import PHASES
from training.engine.data import load_snapshot

from .snapshots import TINY, toy_rows, write_snapshot


class Recorder(Callbacks):
    def __init__(self, stop_at: int | None = None):
        self.total = None
        self.steps: list[tuple[int, int, float]] = []
        self.evals: list[tuple[int, str, dict]] = []
        self.phases: list[str] = []
        self.eval_batches: list[tuple[str, int, int]] = []
        self.stop_at = stop_at

    def on_phase(self, name):
        self.phases.append(name)

    def on_eval_batch(self, split, done, total):
        self.eval_batches.append((split, done, total))

    def on_start(self, total_steps):
        self.total = total_steps

    def on_step(self, step, epoch, loss):
        self.steps.append((step, epoch, loss))

    def on_eval(self, step, epoch, split, metrics):
        self.evals.append((epoch, split, metrics))

    def should_stop(self):
        return self.stop_at is not None and len(self.steps) >= self.stop_at


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One run shared by the tests that only read its results."""
    root = tmp_path_factory.mktemp("run")
    snapshot = write_snapshot(root / "snapshot", toy_rows())
    recorder = Recorder()
    result = run(snapshot, root / "out", RunConfig.from_options(TINY), recorder)
    return snapshot, root / "out", result, recorder


def test_its_loss_decreases_on_a_learnable_task(trained):
    _, _, result, recorder = trained
    losses = [loss for _, _, loss in recorder.steps]
    assert recorder.total == len(losses) == result.total_steps == 4 * 9  # 144 train texts / 16
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
    assert [point["step"] for point in result.history] == list(range(1, len(losses) + 1))


def test_it_learns_the_toy_task_and_reports_metrics_per_split(trained):
    _, _, result, recorder = trained
    assert set(result.metrics) == {"val", "test"}
    test = result.metrics["test"]
    assert test["accuracy"] >= 0.9
    assert test["labels"] == ["positive", "negative"]
    assert sum(map(sum, test["confusion_matrix"])) == 48
    assert test["per_class"]["negative"]["support"] == 24
    assert [(epoch, split) for epoch, split, _ in recorder.evals] == [(e, "val") for e in (1, 2, 3, 4)]
    assert result.device == "cpu fp32"


def test_it_announces_every_long_phase_in_order(trained):
    _, _, _, recorder = trained
    assert recorder.phases == list(PHASES) == ["tokenizer", "encode", "train", "evaluate val", "evaluate test", "save"]


def test_it_reports_each_evaluation_batch(trained):
    """4 val evaluations during training, then val and test once more: 48 rows each, in one batch of 64."""
    _, _, _, recorder = trained
    assert recorder.eval_batches == [("val", 48, 48)] * 5 + [("test", 48, 48)]


def test_it_reports_every_batch_of_a_long_evaluation(toy_snapshot, tmp_path):
    recorder = Recorder()
    run(toy_snapshot, tmp_path / "out", RunConfig.from_options({**TINY, "epochs": 1, "batch_size": 2}), recorder)
    test = [(done, total) for split, done, total in recorder.eval_batches if split == "test"]
    assert test == [(done, 48) for done in range(8, 49, 8)]  # eval batches are 4 × the train batch


def test_it_predicts_every_val_and_test_item_once(trained):
    _, _, result, _ = trained
    expected = {(item_id, label, split) for item_id, _, label, split in toy_rows() if split != "train"}
    assert {(p.item_id, p.label, p.split) for p in result.predictions} == expected
    assert len(result.predictions) == len(expected)
    assert all(0.5 <= p.confidence <= 1.0 for p in result.predictions)


def test_its_artifacts_reload_to_the_same_predictions(trained):
    _, out, result, _ = trained
    assert {p.name for p in out.iterdir()} == {"model.safetensors", "tokenizer.json", "config.json", "metrics.json"}
    assert json.loads((out / "config.json").read_text())["labels"] == ["positive", "negative"]
    classifier = load_classifier(out)
    texts = {item_id: text for item_id, text, _, _ in toy_rows()}
    predicted = classifier.predict([texts[p.item_id] for p in result.predictions])
    assert [label for label, _ in predicted] == [p.predicted for p in result.predictions]
    assert [c for _, c in predicted] == pytest.approx([p.confidence for p in result.predictions], abs=1e-5)


def test_it_is_deterministic_for_a_seed(trained, tmp_path):
    snapshot, _, first, _ = trained
    again = run(snapshot, tmp_path / "again", RunConfig.from_options(TINY), None)
    assert again.history == first.history
    assert [p.predicted for p in again.predictions] == [p.predicted for p in first.predictions]


def test_it_stops_when_should_stop_says_so_and_writes_nothing(toy_snapshot, tmp_path):
    recorder = Recorder(stop_at=3)
    with pytest.raises(TrainingCancelled):
        run(toy_snapshot, tmp_path / "out", RunConfig.from_options(TINY), recorder)
    assert len(recorder.steps) == 3
    assert not (tmp_path / "out").exists()


def test_it_evaluates_val_every_n_steps_when_asked(toy_snapshot, tmp_path):
    recorder = Recorder()
    run(toy_snapshot, tmp_path / "out", RunConfig.from_options({**TINY, "epochs": 1, "eval_every": 3}), recorder)
    assert len(recorder.evals) == 3  # steps 3, 6, 9


def test_it_skips_unlabelled_rows(tmp_path):
    rows = toy_rows(40) + [(9999, "no label here", None, "train")]
    snapshot = load_snapshot(write_snapshot(tmp_path / "s", rows))
    assert 9999 not in snapshot.splits["train"].item_ids
    assert sum(len(s) for s in snapshot.splits.values()) == 40


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("no_manifest", "no manifest.json"),
        ("checksum", "checksum"),
        ("unknown_label", "not in the manifest"),
        ("no_train", "no labelled items in its train split"),
    ],
)
def test_it_refuses_a_bad_snapshot_with_a_reason(tmp_path, damage, message):
    rows = toy_rows(40)
    if damage == "unknown_label":
        rows[0] = (rows[0][0], rows[0][1], "meh", rows[0][3])
    if damage == "no_train":
        rows = [r for r in rows if r[3] != "train"]
    folder = write_snapshot(tmp_path / "s", rows, manifest=damage != "no_manifest")
    if damage == "checksum":
        write_snapshot(tmp_path / "other", toy_rows(41), manifest=False)
        (folder / "data.parquet").write_bytes((tmp_path / "other" / "data.parquet").read_bytes())
    with pytest.raises(SnapshotError, match=message):
        run(folder, tmp_path / "out", RunConfig.from_options(TINY), None)


def test_it_asks_for_cuda_only_where_there_is_one(toy_snapshot, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the refusal is for CPU-only workers")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        run(toy_snapshot, tmp_path / "out", RunConfig.from_options({**TINY, "device": "cuda"}), None)
