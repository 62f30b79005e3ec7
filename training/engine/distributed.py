"""More than one device: DistributedDataParallel under ``torchrun``, one process per device.

``launch`` (in the calling process: the trainer worker) starts
``torchrun --standalone --nproc_per_node N -m training.engine.distributed ...``; every process joins the group
(NCCL on CUDA, gloo on the CPU), builds the same model and tokenizer from the same seed, and steps on its
rows of each global batch (``data.batches(shard=...)``); DDP averages the gradients, so a step is the
one-process step on the whole batch. Rank 0 alone evaluates val during training, then val and test, saves
the artifacts and writes ``result.json``. Its callbacks travel to the caller as lines on its stdout
(``@@datamoat {json}``), where ``launch`` replays them on the caller's callbacks; a cancellation
(``should_stop``) stops the whole process group.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist

from training.engine.callbacks import Callbacks, TrainingCancelled
from training.engine.config import RunConfig
from training.engine.pipeline import ItemPrediction, RunResult, train_and_evaluate
from training.engine.trainer import resolve_device

PREFIX = "@@datamoat "
RESULT = "result.json"


def launch(snapshot_dir: Path, out_dir: Path, config: RunConfig, callbacks: Callbacks, *,
           models_dir: Path | None = None) -> RunResult:
    """Run ``config.train.gpus`` processes under torchrun and return rank 0's result."""
    started = time.perf_counter()
    work = out_dir.parent / f".{out_dir.name}.ddp"  # beside the artifacts folder, not in it
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.json").write_text(json.dumps(config.to_dict()))
    (work / RESULT).unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={config.train.gpus}",
        "-m", "training.engine.distributed", str(snapshot_dir), str(out_dir), str(work), str(models_dir or ""),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "OMP_NUM_THREADS":
           str(config.train.threads or 1)}
    with (work / "stderr.log").open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env,
                                   start_new_session=True)
        try:
            for line in process.stdout:
                if line.startswith(PREFIX):
                    event = json.loads(line[len(PREFIX):])
                    getattr(callbacks, event["hook"])(*event["args"])
                if callbacks.should_stop():
                    raise TrainingCancelled("stopped during a distributed run")
            code = process.wait()
        except BaseException:
            _stop(process)
            raise
    if code != 0:
        tail = (work / "stderr.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the distributed run ended with exit code {code}: {tail}")
    document = json.loads((work / RESULT).read_text())
    result = RunResult(
        metrics=document["metrics"],
        predictions=[ItemPrediction(**p) for p in document["predictions"]],
        history=document["history"],
        device=document["device"],
        config=RunConfig.from_options({"model": document["config"]["model"], "train": document["config"]["train"]}),
        total_steps=document["total_steps"],
        seconds=time.perf_counter() - started,
        artifacts=document["artifacts"],
        num_parameters=document["num_parameters"],
        vocab_size=document["vocab_size"],
    )
    for path in work.iterdir():
        path.unlink()
    work.rmdir()
    return result


def _stop(process: subprocess.Popen) -> None:
    """End torchrun and its workers (their own process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class LineReporter(Callbacks):
    """Rank 0's callbacks, written as lines for ``launch`` to replay."""

    def _emit(self, hook: str, *args) -> None:
        print(PREFIX + json.dumps({"hook": hook, "args": list(args)}), flush=True)

    def on_phase(self, name):
        self._emit("on_phase", name)

    def on_start(self, total_steps):
        self._emit("on_start", total_steps)

    def on_step(self, step, epoch, loss):
        self._emit("on_step", step, epoch, loss)

    def on_eval(self, step, epoch, split, metrics):
        self._emit("on_eval", step, epoch, split, metrics)

    def on_eval_batch(self, split, done, total):
        self._emit("on_eval_batch", split, done, total)


def main(argv: list[str]) -> None:
    snapshot_dir, out_dir, work, models_dir = (Path(a) if a else None for a in argv)
    rank, world, local_rank = (int(os.environ[name]) for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    document = json.loads((work / "config.json").read_text())
    config = RunConfig.from_options(document)
    device = resolve_device(config.train.device)
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend)
    try:
        callbacks = LineReporter() if rank == 0 else Callbacks()
        result = train_and_evaluate(snapshot_dir, out_dir, config, callbacks, models_dir=models_dir,
                                    shard=(rank, world), device=device)
        if rank == 0:
            (work / RESULT).write_text(json.dumps({
                "metrics": result.metrics,
                "predictions": [asdict(p) for p in result.predictions],
                "history": result.history,
                "device": f"{result.device} ×{world} {backend}",
                "config": result.config.to_dict(),
                "total_steps": result.total_steps,
                "artifacts": result.artifacts,
                "num_parameters": result.num_parameters,
                "vocab_size": result.vocab_size,
            }))
        dist.barrier()
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
