"""A small labelled project: votes by our users and by an imported crowd source."""
from __future__ import annotations

from annotation.imported import annotations_import
from annotation.models import Annotation

# (item index, author, label, lead time ms); "crowd" is an external source, the rest are our users.
VOTES = [
    (0, "ann1", "positive", 1000), (0, "ann2", "positive", 3000), (0, "crowd", "positive", None),
    (1, "ann1", "negative", 2000), (1, "ann2", "positive", 5000), (1, "crowd", "negative", None),
    (2, "ann1", "positive", 4000), (2, "ann2", "negative", None),
    (3, "ann1", "negative", 8000),
]


def add_annotations(project, items, users, votes):
    """Create our users' annotations directly (the queue is not the point here) and the external
    source's through the import service, as ingestion does."""
    ours, imported = [], []
    for index, author, label, lead_time in votes:
        if author in users:
            ours.append(
                Annotation(project=project, item=items[index], annotator=users[author], value={"label": label},
                           label=label, lead_time_ms=lead_time)
            )
        else:
            imported.append((items[index].id, author, {"label": label}))
    Annotation.objects.bulk_create(ours)
    annotations_import(project=project, rows=imported)
