"""Shared pieces of the benchmarks: a result row, the table, and Django set-up on PostgreSQL."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    bench: str  # what was measured, e.g. "import CSV 100k rows"
    value: float | None
    unit: str  # "rows/s", "ms", "s", "MB", "items", "ratio"
    target: str = ""  # e.g. ">= 50000", "<= 25", "0"
    met: bool | None = None  # None when there is no target
    note: str = ""  # e.g. "PostgreSQL COPY of the same file: 410000 rows/s"


def setup_django() -> None:
    for path in (REPO / "platform", REPO):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def requires_postgres(bench: str) -> list[Row] | None:
    """Rows saying why a PostgreSQL benchmark did not run, or None when it can."""
    from django.conf import settings

    if settings.IS_POSTGRES:
        return None
    return [Row(bench, None, "", note="skipped: needs PostgreSQL, set DATABASE_URL")]


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def print_table(rows: list[Row]) -> None:
    header = ("benchmark", "value", "unit", "target", "met", "note")
    table = [header] + [
        (r.bench, _fmt(r.value), r.unit, r.target, {True: "yes", False: "NO", None: ""}[r.met], r.note) for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        print(" | ".join(cells) + " | " + row[-1])
