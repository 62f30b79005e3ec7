"""Version endpoints (API.md, "Versions"): build, list, detail, streamed export, diff.

Managers (and admins) build and export; reviewers also read versions and diffs; annotators get 403,
outsiders 404. Exports stream from the snapshot through the pure exporters, one row group at a time,
after the manifest's checksums were verified.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pyarrow as pa
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE, CAN_REVIEW
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import JobOutput, VersionCountsOutput, json_field
from common.errors import Conflict, Invalid
from common.models import JobStatus
from common.storage import is_local
from curation import quality as quality_mod
from curation import selectors, services
from curation.access import version_for_user
from curation.diff import snapshot_diff
from curation.diff_causes import CAUSES, cause_counts, diff_causes
from curation.exporters import EXPORTERS, EXTENSIONS, MEDIA_TYPES
from curation.models import Consolidation, DatasetVersion
from curation.ruler import evaluation_set_pin
from curation.snapshot import LABELS_TYPE, SPANS_TYPE, SnapshotError, snapshot_batches, snapshot_open
from curation.splits import SPLITS
from projects.access import project_for_user
from projects.models import TaskType

EXPORT_COLUMNS = ("id", "text", "label", "split", "confidence")
EXPORT_SCHEMA = pa.schema(
    [("id", pa.int64()), ("text", pa.string()), ("label", pa.string()), ("split", pa.string()),
     ("confidence", pa.float64())]
)
# The answer column per task type (snapshot.py): label, labels (list<string>) or spans (list<struct>).
ANSWER_FIELDS = {"classification": ("label", pa.string()), "multilabel": ("labels", LABELS_TYPE),
                 "spans": ("spans", SPANS_TYPE)}
EXPORT_SPLITS = ("all", *SPLITS)
TOKENIZERS = ("whitespace", "char")


def export_schema(task_type: str) -> pa.Schema:
    """The jsonl/csv/parquet columns of a version of ``task_type``: id, text, its answer, split, confidence."""
    name, kind = ANSWER_FIELDS[task_type]
    return pa.schema([("id", pa.int64()), ("text", pa.string()), (name, kind), ("split", pa.string()),
                      ("confidence", pa.float64())])


def _built_snapshot(version: DatasetVersion):
    """The verified snapshot folder of a built version; 409 otherwise (never a 500)."""
    return _built_snapshot_manifest(version)[0]


def _built_snapshot_manifest(version: DatasetVersion):
    """The verified snapshot folder of a built version and its manifest; 409 otherwise (never a 500)."""
    if version.status != JobStatus.SUCCEEDED:
        raise Conflict(_("Version %(number)s is not built (status: %(status)s).")
                       % {"number": version.number, "status": version.status}, code="not_built")
    folder = selectors.version_snapshot_dir(version)
    try:
        # A remote storage's copy was checked against the manifest as it was fetched (folder_local):
        # hashing it again here would read every file twice per request.
        manifest = snapshot_open(folder, verify=is_local())
    except SnapshotError as exc:
        raise Conflict(_("The snapshot of version %(number)s cannot be served: %(error)s")
                       % {"number": version.number, "error": exc},
                       code="snapshot_unavailable") from None
    return folder, manifest


class SplitCountsOutput(serializers.Serializer):
    train = serializers.IntegerField()
    val = serializers.IntegerField()
    test = serializers.IntegerField()


class SplitSharesOutput(serializers.Serializer):
    train = serializers.FloatField()
    val = serializers.FloatField()
    test = serializers.FloatField()


# The quality report (curation/quality.py), declared section by section. It is stored with the version
# and sent as stored; an undefined figure is null with a ``note`` saying why.


class QualityItemsOutput(SplitCountsOutput):
    total = serializers.IntegerField()


class LabelsBySplitOutput(serializers.Serializer):
    train = serializers.DictField(child=serializers.IntegerField(), help_text="label → items")
    val = serializers.DictField(child=serializers.IntegerField(), help_text="label → items")
    test = serializers.DictField(child=serializers.IntegerField(), help_text="label → items")


class QualityLabelsOutput(serializers.Serializer):
    unit = serializers.ChoiceField(choices=[("items", "items"), ("spans", "spans")], required=False,
                                   help_text="multilabel and span versions: what the counts count (absent = items)")
    distribution = serializers.DictField(child=serializers.IntegerField(),
                                         help_text="label → items (spans: → spans), project order")
    shares = serializers.DictField(child=serializers.FloatField(allow_null=True), help_text="label → share of items")
    by_split = LabelsBySplitOutput()
    imbalance_ratio = serializers.FloatField(allow_null=True, help_text="max/min class count; null with a missing label")
    missing_labels = serializers.ListField(child=serializers.CharField())
    empty_items = serializers.IntegerField(required=False, help_text=(
        "multilabel: items whose set is empty (\"none of these\"); spans: items without a span"))
    mean_labels_per_item = serializers.FloatField(required=False, allow_null=True, help_text="multilabel only")
    note = serializers.CharField(required=False)


class SpanCountsOutput(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True)
    min = serializers.IntegerField(allow_null=True)
    max = serializers.IntegerField(allow_null=True)


class SpanLengthsOutput(SpanCountsOutput):
    histogram = serializers.DictField(child=serializers.IntegerField(), help_text="length bucket → spans")


class SpanLabelOutput(serializers.Serializer):
    count = serializers.IntegerField()
    mean_length = serializers.FloatField(allow_null=True)


class QualitySpansOutput(serializers.Serializer):
    """Span versions: span counts and lengths (code points)."""
    total = serializers.IntegerField()
    items_with_spans = serializers.IntegerField()
    per_item = SpanCountsOutput()
    length = SpanLengthsOutput()
    by_label = serializers.DictField(child=SpanLabelOutput())


class QualityAnnotationsOutput(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True)
    min = serializers.IntegerField(allow_null=True)
    max = serializers.IntegerField(allow_null=True)
    histogram = serializers.DictField(child=serializers.IntegerField(), help_text="votes per item → items")


class QualityPairKappaOutput(serializers.Serializer):
    a = serializers.CharField(help_text="An annotator's key")
    b = serializers.CharField(help_text="An annotator's key")
    kappa = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()


class QualityLabelAgreementOutput(serializers.Serializer):
    ratings = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    fleiss_kappa = serializers.FloatField(allow_null=True)
    krippendorff_alpha = serializers.FloatField(allow_null=True)


class QualityAgreementOutput(serializers.Serializer):
    """``annotation.agreement.agreement_report`` over the version's votes (annotators by key); only
    ``note`` and ``items_compared`` when the report failed."""

    items_compared = serializers.IntegerField()
    ratings = serializers.IntegerField(required=False)
    annotator_count = serializers.IntegerField(required=False)
    percent_agreement = serializers.FloatField(allow_null=True, required=False)
    fleiss_kappa = serializers.FloatField(allow_null=True, required=False)
    krippendorff_alpha = serializers.FloatField(allow_null=True, required=False)
    krippendorff_level = serializers.CharField(required=False)
    cohen_kappa = QualityPairKappaOutput(many=True, required=False)
    cohen_kappa_weights = serializers.CharField(required=False)
    per_label = serializers.DictField(child=QualityLabelAgreementOutput(), required=False)
    span_f1 = serializers.FloatField(allow_null=True, required=False,
                                     help_text="span versions: mean exact-span F1 over annotator pairs")
    note = serializers.CharField(required=False)


class QualityConsolidationOutput(serializers.Serializer):
    method = serializers.CharField()
    mean = serializers.FloatField(allow_null=True, help_text="Mean confidence of the consolidated labels.")
    low_share = serializers.FloatField(allow_null=True)
    low_threshold = serializers.FloatField()
    reviewed = serializers.IntegerField(help_text="Items whose label a reviewer set.")
    dropped_votes = serializers.IntegerField(required=False, help_text="Votes for labels no longer in the project.")
    method_used = serializers.CharField(required=False, help_text=(
        "multilabel and span versions: the method applied (majority per label or exact span)"))


class SuspectOutput(serializers.Serializer):
    item_id = serializers.IntegerField()
    given = serializers.CharField()
    suggested = serializers.CharField()
    self_confidence = serializers.FloatField()


class QualityNoiseSummaryOutput(serializers.Serializer):
    estimated_rate = serializers.FloatField(allow_null=True)
    method = serializers.CharField(required=False)
    rows = serializers.IntegerField(required=False)
    sampled = serializers.BooleanField(required=False)
    suspect_count = serializers.IntegerField(required=False, help_text="Every suspect, all in the review queue.")
    reviewed_left_out = serializers.IntegerField(
        required=False, help_text="Suspects left out because a reviewer already gave the item a final verdict."
    )
    note = serializers.CharField(required=False)


class QualityNoiseOutput(QualityNoiseSummaryOutput):
    suspects = SuspectOutput(many=True, help_text="The most suspicious labels (at most 200).")


class QualityPiiOutput(serializers.Serializer):
    total = serializers.IntegerField()
    items = serializers.IntegerField()
    by_type = serializers.DictField(child=serializers.IntegerField())


class QualityCleaningOutput(serializers.Serializer):
    items_total = serializers.IntegerField()
    excluded = serializers.IntegerField()
    excluded_by_step = serializers.DictField(child=serializers.IntegerField(), required=False, help_text="op → items")
    duplicates = serializers.IntegerField()
    near_duplicates = serializers.IntegerField()
    duplicate_rate = serializers.FloatField(allow_null=True)
    near_duplicate_rate = serializers.FloatField(allow_null=True)
    pii = QualityPiiOutput()


class QualityImportDuplicatesOutput(serializers.Serializer):
    """Rows the project's finished imports skipped because their text was already there."""

    rows = serializers.IntegerField(help_text="Rows the finished imports read.")
    duplicates = serializers.IntegerField()
    duplicate_rate = serializers.FloatField(allow_null=True)


class QualityReportSummaryOutput(serializers.Serializer):
    """The quality report without its suspect list. Every section is absent ({}) until the build ends."""

    task_type = serializers.ChoiceField(choices=TaskType.choices, required=False,
                                        help_text="absent = classification")
    unlabeled_items = serializers.IntegerField(required=False)
    cleaning = QualityCleaningOutput(required=False)
    items = QualityItemsOutput(required=False)
    labels = QualityLabelsOutput(required=False)
    spans = QualitySpansOutput(required=False)
    annotations_per_item = QualityAnnotationsOutput(required=False)
    agreement = QualityAgreementOutput(required=False)
    consolidation = QualityConsolidationOutput(required=False)
    label_noise = QualityNoiseSummaryOutput(required=False)
    import_duplicates = QualityImportDuplicatesOutput(required=False)
    timings_s = serializers.DictField(child=serializers.FloatField(), required=False, help_text="build phase → seconds")


class QualityReportOutput(QualityReportSummaryOutput):
    """The quality report of a version (curation/quality.py). Every section is absent ({}) until the build ends."""

    label_noise = QualityNoiseOutput(required=False)


class RulerSummaryOutput(serializers.Serializer):
    evaluation_set = serializers.IntegerField()
    revision = serializers.IntegerField()
    items = serializers.IntegerField()


class VersionOutput(JobOutput):
    project = serializers.IntegerField(source="project_id")
    number = serializers.IntegerField()
    name = serializers.CharField()
    consolidation = serializers.ChoiceField(choices=Consolidation.choices)
    split = json_field(SplitSharesOutput)
    seed = serializers.IntegerField()
    content_hash = serializers.CharField()
    counts = json_field(VersionCountsOutput)
    quality = json_field(QualityReportOutput)
    ruler = json_field(RulerSummaryOutput, allow_null=True,
                       help_text="The pinned evaluation set its test split is, or null without one.")
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)


class VersionSummaryOutput(VersionOutput):
    """Lists carry the quality report without its suspect list (GET /versions/{id} has it whole)."""

    quality = serializers.SerializerMethodField()

    @extend_schema_field(QualityReportSummaryOutput)
    def get_quality(self, version) -> dict:
        return quality_mod.summary(version.quality)


class VersionListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class SplitSerializer(serializers.Serializer):
            train = serializers.FloatField(min_value=0, max_value=1)
            val = serializers.FloatField(min_value=0, max_value=1)
            test = serializers.FloatField(min_value=0, max_value=1)

        name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        consolidation = serializers.ChoiceField(choices=Consolidation.choices, default=Consolidation.MAJORITY)
        split = SplitSerializer(required=False, default=lambda: {"train": 0.8, "val": 0.1, "test": 0.1})
        seed = serializers.IntegerField(required=False, default=0, min_value=-(2**31), max_value=2**31 - 1)

    @extend_schema(responses={200: paginated(VersionSummaryOutput), **error_responses(403)})
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        versions = selectors.version_list(project=project)
        return keyset_page(request, versions, lambda rows: VersionSummaryOutput(rows, many=True).data,
                           descending=True)

    @extend_schema(request=InputSerializer, responses={202: VersionOutput, **error_responses(409)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.version_create(project=project, created_by=request.user, **data.validated_data)
        return Response(VersionOutput(version).data, status=status.HTTP_202_ACCEPTED)


class VersionDetailApi(APIView):
    @extend_schema(responses={200: VersionOutput, **error_responses(403)})
    def get(self, request, version_id: int):
        version = version_for_user(user=request.user, version_id=version_id, roles=CAN_REVIEW)
        return Response(VersionOutput(version).data)


class _IgnoreFormatNegotiation(DefaultContentNegotiation):
    """``?format=`` is the export format here, not DRF's renderer override (which would 404 on it)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


def _export_batches(folder, split: str | None, task_type: str = "classification") -> Iterator[pa.RecordBatch]:
    schema = export_schema(task_type)
    answer = ANSWER_FIELDS[task_type][0]
    for batch in snapshot_batches(folder, columns=["item_id", "text", answer, "split", "confidence"], split=split):
        yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)


def _all_batches(folder, split: str | None) -> Iterator[pa.RecordBatch]:
    """Every answer column (label, labels, spans) with id, text, split, confidence: for the formats
    with layouts of their own (conll, hf, labelstudio, doccano)."""
    names = ["item_id", "text", "label", "labels", "spans", "split", "confidence"]
    for batch in snapshot_batches(folder, columns=names, split=split):
        yield pa.RecordBatch.from_arrays(batch.columns, names=["id", *names[1:]])


def _json_cells(batches: Iterator[pa.RecordBatch], name: str) -> Iterator[pa.RecordBatch]:
    """csv cannot hold lists: the ``name`` column (labels or spans) becomes its JSON text per cell."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for batch in batches:
        index = batch.schema.get_field_index(name)
        cells = pa.array([None if v is None else encode(v) for v in batch.column(index).to_pylist()], pa.string())
        yield batch.set_column(index, name, cells)


def _export_chunks(fmt: str, folder, split: str | None, task_type: str, manifest: dict, *, formulas: str,
                   tokenizer: str):
    if fmt == "conll":
        return EXPORTERS[fmt](_all_batches(folder, split), tokenizer=tokenizer)
    if fmt == "hf":
        return EXPORTERS[fmt](_all_batches(folder, split), task_type=task_type,
                              labels=[str(label) for label in manifest.get("labels", [])], tokenizer=tokenizer)
    if fmt in ("labelstudio", "doccano"):
        return EXPORTERS[fmt](_all_batches(folder, split), task_type=task_type)
    schema = export_schema(task_type)
    batches = _export_batches(folder, split, task_type)
    if fmt == "parquet":
        return EXPORTERS[fmt](batches, schema.names, schema=schema)
    if fmt == "csv":
        if task_type != "classification":
            batches = _json_cells(batches, ANSWER_FIELDS[task_type][0])
        return EXPORTERS[fmt](batches, schema.names, formulas=formulas)
    return EXPORTERS[fmt](batches, schema.names)


class VersionExportApi(APIView):
    content_negotiation_class = _IgnoreFormatNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(EXPORTERS), description=(
                "jsonl (default), csv, parquet: id, text, the answer (label; labels for multilabel; spans "
                "[{start, end, label}] for span projects, JSON text in csv), split, confidence. conll (span "
                "projects only): BIO, one 'token tag' line per token, a blank line after each item. hf: Parquet "
                "with Hugging Face datasets features (ClassLabel, Sequence; spans as tokens + ner_tags). "
                "labelstudio: Label Studio's task import JSON. doccano: doccano's JSONL import")),
            OpenApiParameter("tokenizer", str, enum=list(TOKENIZERS), description=(
                "conll and hf of span projects: whitespace (default) or char (every non-space character a "
                "token, for Chinese)")),
            OpenApiParameter("split", str, enum=list(EXPORT_SPLITS), description="all (default), train, val, test"),
            OpenApiParameter("formulas", str, enum=["escape", "keep"], description=(
                "csv only: escape (default) prefixes ' to cells starting with = + - @, tab or carriage return, "
                "so spreadsheets do not run them; keep writes them verbatim (for machines)")),
        ],
        responses={(200, "application/octet-stream"): bytes, **error_responses(403, 409)},
    )
    def get(self, request, version_id: int):
        version = version_for_user(user=request.user, version_id=version_id, roles=CAN_MANAGE)
        fmt = request.query_params.get("format", "jsonl")
        split = request.query_params.get("split", "all")
        if fmt not in EXPORTERS:
            raise Invalid(_("format must be one of %(choices)s.") % {"choices": ", ".join(EXPORTERS)},
                          fields={"format": [_("Unknown format.")]})
        if split not in EXPORT_SPLITS:
            raise Invalid(_("split must be one of %(choices)s.") % {"choices": ", ".join(EXPORT_SPLITS)},
                          fields={"split": [_("Unknown split.")]})
        formulas = request.query_params.get("formulas", "escape")
        if formulas not in ("escape", "keep"):
            raise Invalid(_("formulas must be escape or keep."), fields={"formulas": [_("Unknown.")]})
        tokenizer = request.query_params.get("tokenizer", "whitespace")
        if tokenizer not in TOKENIZERS:
            raise Invalid(_("tokenizer must be one of %(choices)s.") % {"choices": ", ".join(TOKENIZERS)},
                          fields={"tokenizer": [_("Unknown tokenizer.")]})
        folder, manifest = _built_snapshot_manifest(version)
        task_type = manifest.get("task_type", "classification")
        if task_type not in ANSWER_FIELDS:
            raise Conflict(_("Version %(number)s has an unknown task type.") % {"number": version.number},
                           code="snapshot_unavailable")
        if fmt == "conll" and task_type != "spans":
            raise Invalid(_("The conll format is for span projects only."),
                          fields={"format": [_("Only for span projects.")]})
        chunks = _export_chunks(fmt, folder, None if split == "all" else split, task_type, manifest,
                                formulas=formulas, tokenizer=tokenizer)
        response = StreamingHttpResponse(chunks, content_type=MEDIA_TYPES[fmt])
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", version.project.name).strip("-") or "project"
        suffix = f"-{tokenizer}" if fmt in ("conll", "hf") and task_type == "spans" and tokenizer != "whitespace" else ""
        name = f"{slug}-v{version.number}-{split}{'-hf' if fmt == 'hf' else ''}{suffix}.{EXTENSIONS[fmt]}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# "import" is a Python keyword, hence the two classes built with type().
DiffCauseOutput = type("DiffCauseOutput", (serializers.Serializer,), {
    "__doc__": "Why the item changed, with what names the cause.",
    "cause": serializers.ChoiceField(choices=[(c, c) for c in CAUSES]),
    "by": serializers.CharField(required=False, help_text="review: the reviewer"),
    "verdict": serializers.CharField(required=False, help_text="review: the verdict"),
    "step": serializers.CharField(required=False, help_text='cleaning: the step, or "revert"'),
    "import": serializers.IntegerField(required=False, allow_null=True, help_text="import: the import job"),
    "method": serializers.CharField(required=False, help_text="consolidation: the newer version's method"),
    "method_changed": serializers.BooleanField(required=False),
})


class DiffSpanOutput(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    label = serializers.CharField()


class DiffItemOutput(serializers.Serializer):
    item_id = serializers.IntegerField()
    text = serializers.CharField()
    label = serializers.CharField(allow_null=True, help_text="null for multilabel and span versions")
    labels = serializers.ListField(child=serializers.CharField(), required=False, help_text="multilabel")
    spans = DiffSpanOutput(many=True, required=False, help_text="span versions")
    cause = serializers.ChoiceField(choices=[(c, c) for c in CAUSES])
    cause_detail = json_field(DiffCauseOutput)


class RelabeledItemOutput(serializers.Serializer):
    item_id = serializers.IntegerField()
    text = serializers.CharField()
    old_label = serializers.CharField(allow_null=True)
    new_label = serializers.CharField(allow_null=True)
    old_labels = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    new_labels = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    old_spans = DiffSpanOutput(many=True, required=False, allow_null=True)
    new_spans = DiffSpanOutput(many=True, required=False, allow_null=True)
    cause = serializers.ChoiceField(choices=[(c, c) for c in CAUSES])
    cause_detail = json_field(DiffCauseOutput)


DiffCausesOutput = type("DiffCausesOutput", (serializers.Serializer,), {
    "__doc__": "Added, removed and relabeled items per cause.",
    **{cause: serializers.IntegerField() for cause in CAUSES},
})


class DiffItemsOutput(serializers.Serializer):
    """At most 1000 items of each kind (curation.diff.DIFF_LIST_LIMIT); the counts are always exact."""

    added = DiffItemOutput(many=True)
    removed = DiffItemOutput(many=True)
    relabeled = RelabeledItemOutput(many=True)


class VersionDiffApi(APIView):
    class OutputSerializer(serializers.Serializer):
        version = serializers.IntegerField()
        against = serializers.IntegerField()
        added = serializers.IntegerField()
        removed = serializers.IntegerField()
        relabeled = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        text_changed = serializers.IntegerField()
        causes = json_field(DiffCausesOutput, help_text="Added, removed and relabeled items per cause.")
        items = json_field(DiffItemsOutput)

    @extend_schema(
        parameters=[OpenApiParameter("against", int, required=True, description="the older version's id")],
        responses={200: OutputSerializer, **error_responses(403, 409)},
    )
    def get(self, request, version_id: int):
        version = version_for_user(user=request.user, version_id=version_id, roles=CAN_REVIEW)
        raw = request.query_params.get("against")
        try:
            against_id = int(raw)
        except (TypeError, ValueError):
            raise Invalid(_("against must be a version id."), fields={"against": [_("Required, an integer.")]}) from None
        against = version_for_user(user=request.user, version_id=against_id, roles=CAN_REVIEW)
        if against.project_id != version.project_id:
            raise Invalid(_("against must be a version of the same project."), fields={"against": [_("Other project.")]})
        new_dir, old_dir = _built_snapshot(version), _built_snapshot(against)
        diff = snapshot_diff(new_dir, old_dir)
        causes = diff_causes(diff, new=version, old=against)
        for rows in diff.items.values():
            for row in rows:
                row["cause_detail"] = causes[row["item_id"]]
                row["cause"] = row["cause_detail"]["cause"]
        body = {"version": version.id, "against": against.id, **diff.as_dict(), "causes": cause_counts(causes)}
        return Response(self.OutputSerializer(body).data)


class EvaluationSetApi(APIView):
    """The project's fixed ruler: pin it from a version's split (managers), read its items and revisions
    (managers and reviewers)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EvaluationSetInput"

        from_version = serializers.IntegerField(help_text="A built version of this project.")
        split = serializers.ChoiceField(choices=[(s, s) for s in SPLITS], default="test")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EvaluationSetOutput"

        class RevisionSerializer(serializers.Serializer):
            class Meta:
                ref_name = "EvaluationSetRevision"

            revision = serializers.IntegerField()
            changed = serializers.IntegerField(help_text="Items whose label this revision set.")
            created_at = serializers.DateTimeField()

        class ItemSerializer(serializers.Serializer):
            class Meta:
                ref_name = "EvaluationSetItem"

            item_id = serializers.IntegerField()
            text = serializers.CharField()
            label = serializers.CharField(help_text="The label at the latest revision.")
            revision = serializers.IntegerField(help_text="The revision that set it.")

        id = serializers.IntegerField()
        project = serializers.IntegerField()
        from_version = serializers.IntegerField(allow_null=True, help_text="null once that version is deleted")
        from_version_number = serializers.IntegerField(allow_null=True)
        split = serializers.CharField()
        revision = serializers.IntegerField(help_text="The latest revision (1 = as pinned).")
        revisions = RevisionSerializer(many=True)
        items_count = serializers.IntegerField()
        items = ItemSerializer(many=True)
        created_at = serializers.DateTimeField()

    @extend_schema(responses={200: OutputSerializer, **error_responses(403)})
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        return Response(self.OutputSerializer(selectors.evaluation_set_view(project=project)).data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, **error_responses(403, 409)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = version_for_user(user=request.user, version_id=data.validated_data["from_version"], roles=CAN_MANAGE)
        evaluation_set_pin(project=project, from_version=version, split=data.validated_data["split"],
                           created_by=request.user)
        body = selectors.evaluation_set_view(project=project)
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)
