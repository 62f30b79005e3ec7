"""The hooks a Trainer calls; torch-free, so the web process can subclass them without loading torch."""


class TrainingCancelled(Exception):
    """``should_stop()`` said stop; no artifacts or results are produced."""


# The phases ``run`` announces through ``on_phase``, in order. Each may take minutes on a big snapshot
# and a slow CPU, so a reporter that keeps a heartbeat beats on each of them.
PHASES = ("tokenizer", "encode", "train", "evaluate val", "evaluate test", "save")


class Callbacks:
    """Override what you need; every hook defaults to doing nothing."""

    def on_phase(self, name: str) -> None:
        """A phase of ``PHASES`` starts ("train" then reports through on_start/on_step/on_eval)."""

    def on_start(self, total_steps: int) -> None:
        pass

    def on_step(self, step: int, epoch: int, loss: float) -> None:
        pass

    def on_eval(self, step: int, epoch: int, split: str, metrics: dict) -> None:
        pass

    def on_eval_batch(self, split: str, done: int, total: int) -> None:
        """After each evaluation batch (val during and after training, test after): ``done`` of ``total``
        rows scored. Called often: throttle anything costly."""

    def should_stop(self) -> bool:
        return False
