"""The hooks a Trainer calls; torch-free, so the web process can subclass them without loading torch."""


class TrainingCancelled(Exception):
    """``should_stop()`` said stop; no artifacts or results are produced."""


class Callbacks:
    """Override what you need; every hook defaults to doing nothing."""

    def on_start(self, total_steps: int) -> None:
        pass

    def on_step(self, step: int, epoch: int, loss: float) -> None:
        pass

    def on_eval(self, step: int, epoch: int, split: str, metrics: dict) -> None:
        pass

    def should_stop(self) -> bool:
        return False
