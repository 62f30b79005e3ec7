"""The whole project as it stands: every item with its current annotations, streamed (issue 13).

A version export (curation) holds the labelled items of a built snapshot, one consolidated label each.
This one is the peers' "export the project": every item (excluded ones too, with their reason) and
every person's or source's current annotation, read live from the database, no version needed.

Constant memory: items are read by primary key in batches of ``BATCH`` (keyset, never OFFSET), and each
batch's annotations by one query over the batch's id range, so one batch's rows are held at a time
whatever the project's size. JSON columns are read as their text and written as they are: decoding
and encoding ``meta`` and ``hidden`` for every item took half of the export's time (PostgreSQL, 100k
items: 9.8 s before, profiled). Measured through HTTP by bench/bench_http.py.
"""
from __future__ import annotations

from collections.abc import Iterator
from json.encoder import encode_basestring

from django.db.models import TextField
from django.db.models.functions import Cast

from accounts.models import User
from annotation.models import Annotation
from projects.models import Item, Project

BATCH = 5000
FORMATS = ("jsonl",)
MEDIA_TYPE = "application/x-ndjson"



def project_export_batches(*, project: Project, batch: int = BATCH) -> Iterator[list[tuple]]:
    """Lists of ``(item row, [annotation rows])``; an item row is ``(id, text, raw_text, meta, hidden,
    excluded_reason)``, an annotation row ``(annotator username or None, source, value, lead_time_ms,
    created_at)``, in the order they were made; ``meta``, ``hidden`` and ``value`` as JSON text."""
    after = 0
    items = Item.objects.filter(project_id=project.id).order_by("id").annotate(
        meta_json=Cast("meta", TextField()), hidden_json=Cast("hidden", TextField())
    )
    usernames: dict[int, str] = {}
    while True:
        rows = list(
            items.filter(id__gt=after).values_list(
                "id", "text", "raw_text", "meta_json", "hidden_json", "excluded_reason"
            )[:batch]
        )
        if not rows:
            return
        first, last = rows[0][0], rows[-1][0]
        found: dict[int, list[tuple]] = {}
        annotations = (
            Annotation.objects.filter(project_id=project.id, item_id__gte=first, item_id__lte=last)
            .order_by("item_id", "id")
            .annotate(value_json=Cast("value", TextField()))
            .values_list("item_id", "annotator_id", "source", "value_json", "lead_time_ms", "created_at")
        )
        for item_id, annotator_id, source, value, lead_time_ms, created_at in annotations:
            found.setdefault(item_id, []).append((annotator_id, source, value, lead_time_ms, created_at))
        missing = {a[0] for rows_ in found.values() for a in rows_ if a[0] is not None and a[0] not in usernames}
        if missing:
            usernames.update(User.objects.filter(id__in=missing).values_list("id", "username"))
        yield [
            (row, [(usernames.get(a[0]) if a[0] is not None else None, *a[1:]) for a in found.get(row[0], ())])
            for row in rows
        ]
        after = last


def _annotation_json(annotator: str | None, source: str, value, lead_time_ms, created_at) -> str:
    return (
        f'{{"annotator":{"null" if annotator is None else encode_basestring(annotator)},'
        f'"source":{encode_basestring(source)},"value":{value},'
        f'"lead_time_ms":{"null" if lead_time_ms is None else int(lead_time_ms)},'
        f'"created_at":"{created_at.isoformat().replace("+00:00", "Z")}"}}'
    )


def write_project_jsonl(batches) -> Iterator[bytes]:
    """One JSON object per item and line: ``{id, text, raw_text, meta, hidden, excluded_reason,
    annotations: [{annotator, source, value, lead_time_ms, created_at}]}``; one chunk per batch."""
    for batch in batches:
        lines = []
        for (item_id, text, raw_text, meta, hidden, excluded), marks in batch:
            encoded = encode_basestring(text)
            lines.append(
                f'{{"id":{item_id},"text":{encoded},'
                f'"raw_text":{encoded if raw_text == text else encode_basestring(raw_text)},'
                f'"meta":{meta or "{}"},"hidden":{hidden or "{}"},'
                f'"excluded_reason":{encode_basestring(excluded)},'
                f'"annotations":[{",".join(_annotation_json(*a) for a in marks)}]}}\n'
            )
        yield "".join(lines).encode("utf-8")
