"""``training.engine.run``: one process (``pipeline.train_and_evaluate``) or several under torchrun
(``distributed.launch``), as the config's ``gpus`` asks."""
from __future__ import annotations

from pathlib import Path

from training.engine.callbacks import Callbacks
from training.engine.config import RunConfig
from training.engine.distributed import launch
from training.engine.pipeline import RunResult, train_and_evaluate


def run(snapshot_dir: Path, out_dir: Path, config: RunConfig, callbacks: Callbacks | None = None, *,
        models_dir: Path | None = None) -> RunResult:
    """Train on the snapshot's train split, evaluate on val and test, write artifacts to ``out_dir``.

    ``config.train.gpus`` > 1 runs DistributedDataParallel under torchrun (``distributed.launch``), one process per
    device, with the same result. ``models_dir`` holds the ``hf:<folder>`` models. Raises SnapshotError (bad
    snapshot), ConfigError (bad config), ModelNotFound, TrainingCancelled (callbacks said stop; nothing is
    written). Deterministic for a given config, snapshot and device.
    """
    config.validate()
    if config.train.gpus > 1:
        return launch(Path(snapshot_dir), Path(out_dir), config, callbacks or Callbacks(), models_dir=models_dir)
    return train_and_evaluate(Path(snapshot_dir), Path(out_dir), config, callbacks or Callbacks(), models_dir=models_dir)
