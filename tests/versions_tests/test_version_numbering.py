"""Concurrent builds of one project get distinct, consecutive numbers (PostgreSQL row lock)."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from curation.models import DatasetVersion
from curation.services import version_create
from tests import factories
from tests.versions_tests.conftest import SPLIT, labeled_items


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_numbers(requires_postgres):
    project = factories.make_project(name="race")
    labeled_items(project, n=4)  # an empty project has nothing to version (409 empty_version)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def create():
        try:
            barrier.wait(timeout=10)
            version_create(project=project, split=SPLIT)
        except BaseException as exc:  # reported below; a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    numbers = sorted(DatasetVersion.objects.filter(project=project).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4]
