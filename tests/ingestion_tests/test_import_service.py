"""Flow 1 through the services: import_create spools and queues, import_execute streams into items."""
from __future__ import annotations

import pytest
from django.test import override_settings

from annotation.models import Annotation
from common.errors import Conflict, TooLarge, Unsupported
from common.jobs import job_cancel, jobs_reap_stale
from common.models import JobStatus
from ingestion.models import ImportJob
from ingestion.services import import_create, import_execute, import_retry
from projects.models import Item
from projects.services import content_hash
from tests import factories


def run_import(project, path, **options):
    job = import_create(project=project, file=path, dispatch=False, **options)
    import_execute(job_id=job.id)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=3)
def test_it_imports_items_counting_duplicates_in_the_file_and_against_existing_items(project, write):
    factories.make_items(project, ["already here"])
    path = write("a.csv", "text,source\nfirst,x\nsecond,y\nfirst,z\nalready here,w\nthird,v\nsecond,u\nfourth,t\n")
    job = run_import(project, path)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.created_count, job.duplicate_count, job.skipped_rows) == (4, 3, 0)
    assert (job.progress_done, job.progress_total) == (7, 7)
    items = list(Item.objects.filter(import_job_id=job.id).order_by("id"))
    assert [i.text for i in items] == ["first", "second", "third", "fourth"]
    assert items[0].raw_text == "first" and items[0].content_hash == content_hash("first")
    assert items[0].meta == {"source": "x"}
    assert Item.objects.filter(project=project).count() == 5


@pytest.mark.django_db
def test_it_stores_a_label_field_as_annotations_by_the_named_source(project, write):
    path = write("a.csv", "text,label\ngood,positive\nbad,negative\nunlabelled,\n")
    job = run_import(project, path, label_field="label", label_source="gold")

    assert (job.created_count, job.annotation_count, job.skipped_rows) == (3, 2, 0)
    annotations = {a.item.text: a for a in Annotation.objects.select_related("item")}
    assert set(annotations) == {"good", "bad"}
    assert annotations["good"].source == "gold" and annotations["good"].annotator is None
    assert annotations["good"].value == {"label": "positive"} and annotations["good"].label == "positive"
    assert annotations["good"].author_key == "source:gold"
    counts = dict(Item.objects.values_list("text", "annotation_count"))
    assert counts == {"good": 1, "bad": 1, "unlabelled": 0}


@pytest.mark.django_db
def test_the_label_source_defaults_to_the_field_name(project, write):
    run_import(project, write("a.jsonl", '{"text": "good", "sentiment": "positive"}\n'), label_field="sentiment")
    assert Annotation.objects.get().source == "sentiment"


@pytest.mark.django_db
def test_it_skips_rows_with_a_label_outside_the_project_and_says_so(project, write):
    path = write("a.csv", "text,label\ngood,positive\nmeh,neutral\nbad,Negative\n")
    job = run_import(project, path, label_field="label")

    assert (job.created_count, job.annotation_count, job.skipped_rows) == (1, 1, 2)
    assert job.row_errors == [
        {"row": 2, "message": "The label 'neutral' is not one of the project's labels ('positive', 'negative')."},
        {"row": 3, "message": "The label 'Negative' is not one of the project's labels ('positive', 'negative')."},
    ]
    assert list(Item.objects.values_list("text", flat=True)) == ["good"]


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=4)
def test_rows_sharing_a_text_become_one_item_with_one_annotation_per_named_annotator(write):
    project = factories.make_project(labels=["positive", "negative"], k=3)
    factories.make_items(project, ["seen before"])
    path = write(
        "crowd.csv",
        "text,label,worker\n"
        "great,positive,ann\ngreat,positive,bob\ngreat,negative,cy\n"
        "awful,negative,ann\nawful,negative,bob\n"
        "seen before,positive,ann\nseen before,negative,bob\n"
        "all zero,,\n"
        "great,positive,\n",
    )
    job = run_import(project, path, annotator_field="worker")

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.created_count, job.duplicate_count, job.annotation_count, job.skipped_rows) == (3, 1, 7, 1)
    assert job.row_errors == [{"row": 9, "message": "The annotator field 'worker' is empty for a labelled row."}]
    votes = sorted(Annotation.objects.values_list("item__text", "source", "label"))
    assert ("great", "cy", "negative") in votes and len(votes) == 7
    counts = dict(Item.objects.values_list("text", "annotation_count"))
    assert counts == {"great": 3, "awful": 2, "seen before": 2, "all zero": 0}


@pytest.mark.django_db
def test_it_imports_multilabel_lists(write_jsonl):
    project = factories.make_project(labels=["a", "b", "c"], task_type="multilabel")
    path = write_jsonl("d.jsonl", [{"text": "x", "label": ["c", "a"]}, {"text": "y", "label": ["a", "z"]}])
    job = run_import(project, path, format="doccano", label_field="label")
    assert (job.annotation_count, job.skipped_rows) == (1, 1)
    assert Annotation.objects.get().value == {"labels": ["a", "c"]}


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=10)
def test_a_file_level_failure_deep_in_the_file_leaves_no_items(project, write):
    content = "text\n" + "".join(f"row {i}\n" for i in range(100)) + "caf\xe9\n"
    job = run_import(project, write("latin1.csv", content.encode("latin-1")))

    assert job.status == JobStatus.FAILED
    assert "not valid UTF-8" in job.error
    assert Item.objects.count() == 0 and job.created_count == 0


@pytest.mark.django_db
def test_a_missing_text_column_fails_the_job_with_a_readable_message(project, write):
    job = run_import(project, write("a.csv", "body\nhello\n"))
    assert job.status == JobStatus.FAILED
    assert job.error == "The CSV header has no column 'text' (columns: 'body')."


@pytest.mark.django_db
def test_a_broken_json_line_is_a_skipped_row_not_a_failure(project, write):
    job = run_import(project, write("a.jsonl", '{"text": "a"}\n{"text": \n{"text": "b"}\n'))
    assert job.status == JobStatus.SUCCEEDED
    assert (job.created_count, job.skipped_rows) == (2, 1)
    assert job.row_errors[0]["row"] == 2


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=2)
def test_reaping_an_import_undoes_it_and_its_retry_runs_as_a_clean_run(project, write):
    path = write("a.csv", "text,label\na,positive\nb,negative\nc,positive\nd,\ne,negative\n")
    job = import_create(project=project, file=path, label_field="label", dispatch=False)
    import_execute(job_id=job.id)
    job.refresh_from_db()
    clean = (job.created_count, job.duplicate_count, job.annotation_count)
    first = [Item.objects.count(), Annotation.objects.count()]
    # Simulate a worker that died mid-way: the job is running with a stale heartbeat, then reaped.
    ImportJob.objects.filter(id=job.id).update(status=JobStatus.RUNNING, heartbeat_at=None)
    assert jobs_reap_stale() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "stopped reporting" in job.error
    assert [Item.objects.count(), Annotation.objects.count()] == [0, 0]
    import_retry(job=job, dispatch=False)
    import_execute(job_id=job.id)
    job.refresh_from_db()

    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
    assert [Item.objects.count(), Annotation.objects.count()] == first == [5, 4]
    assert (job.created_count, job.duplicate_count, job.annotation_count) == clean == (5, 0, 4)
    assert set(Item.objects.values_list("annotation_count", flat=True)) == {0, 1}


@pytest.mark.django_db
def test_an_import_of_the_same_file_twice_creates_nothing_the_second_time(project, write):
    path = write("a.txt", "one\ntwo\n")
    run_import(project, path)
    again = run_import(project, path)
    assert (again.created_count, again.duplicate_count) == (0, 2)


@pytest.mark.django_db
def test_only_a_failed_import_can_be_retried(project, write):
    job = import_create(project=project, file=write("a.txt", "x\n"), dispatch=False)
    with pytest.raises(Conflict):
        import_retry(job=job, dispatch=False)


@pytest.mark.django_db
def test_a_cancelled_import_is_not_run(project, write):
    job = import_create(project=project, file=write("a.txt", "x\n"), dispatch=False)
    job_cancel(job=job)
    assert import_execute(job_id=job.id) is None
    assert Item.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_unknown_formats_and_files_over_the_limit(project, write):
    with pytest.raises(Unsupported) as unknown:
        import_create(project=project, file=write("a.xlsx", "x"), dispatch=False)
    assert unknown.value.code == "unsupported_format"
    with override_settings(DATAMOAT_MAX_UPLOAD_BYTES=3), pytest.raises(TooLarge) as large:
        import_create(project=project, file=write("a.txt", "four\n"), dispatch=False)
    assert large.value.code == "too_large"
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_it_spools_the_upload_under_the_upload_dir_as_a_storage_key(project, write, settings):
    from common.storage import file_local

    job = import_create(project=project, file=write("a.txt", "x\n"), dispatch=False)
    assert job.file_path.startswith(f"uploads/project-{project.id}/")
    assert str(file_local(job.file_path)).startswith(str(settings.UPLOAD_DIR))
    assert file_local(job.file_path).read_text() == "x\n"
    assert (job.file_name, job.format, job.file_size) == ("a.txt", "txt", 2)


@pytest.mark.django_db
def test_the_celery_task_body_runs_the_import(project, write):
    from ingestion.tasks import import_execute as task

    job = import_create(project=project, file=write("a.txt", "x\ny\n"), dispatch=False)
    task(job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.created_count == 2


def test_the_reader_thread_hands_its_error_over_after_the_chunks_before_it():
    from ingestion.chunks import prefetch

    def produce():
        yield 1
        yield 2
        raise RuntimeError("broken at 3")

    got = []
    with pytest.raises(RuntimeError, match="broken at 3"), prefetch(produce()) as items:
        for item in items:
            got.append(item)
    assert got == [1, 2]


def test_leaving_early_stops_the_reader_thread():
    import itertools

    from ingestion.chunks import prefetch

    with prefetch(itertools.count()) as items:
        assert next(items) == 0
    # the block returned: the producer saw the stop and its thread was joined


@pytest.mark.django_db
def test_two_imports_run_in_one_outer_transaction_do_not_mix(project, write):
    other = factories.make_project(name="other")
    run_import(project, write("a.txt", "a1\na2\na3\n"))
    job = run_import(other, write("b.txt", "b1\n"))
    assert job.created_count == 1
    assert list(Item.objects.filter(project=other).values_list("text", flat=True)) == ["b1"]


@pytest.mark.django_db
def test_a_repeated_text_with_another_label_becomes_an_annotation_not_a_silent_drop(project, write):
    path = write("a.csv", "text,label\ngood film,positive\ngood film,negative\ngood film,positive\nbad film,negative\n")
    job = run_import(project, path, label_field="label", label_source="gold")
    assert (job.created_count, job.duplicate_count, job.annotation_count) == (2, 2, 3)
    votes = sorted(Annotation.objects.filter(item__text="good film").values_list("source", "label"))
    assert votes == [("gold", "positive"), ("gold#2", "negative")]
    assert Item.objects.get(text="good film").annotation_count == 2


def test_ready_says_whether_the_next_item_would_not_wait():
    import threading
    import time

    from ingestion.chunks import prefetch

    release = threading.Event()

    def produce():
        yield 1
        release.wait(5)
        yield 2

    with prefetch(produce()) as items:
        deadline = time.monotonic() + 5
        while not items.ready() and time.monotonic() < deadline:
            time.sleep(0.001)
        assert next(items) == 1
        assert not items.ready()  # 2 is not produced yet
        release.set()
        assert next(items) == 2
        time.sleep(0.05)
        assert not items.ready()  # the end is no item
        assert list(items) == []
