"""Personas and clients. Nothing here is autouse: each test asks for what it needs."""
from __future__ import annotations

import pytest
from django.conf import settings

from accounts.roles import Role
from tests import contract, factories


def pytest_terminal_summary(terminalreporter):
    if not contract.checked:
        return
    seen = {key.rsplit(" ", 1)[0] for key in contract.checked if "outside the schema" not in key}
    declared = {
        f"{method.upper()} {path}"
        for path, item in contract.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    terminalreporter.write_line(
        f"contract: {sum(contract.checked.values())} responses checked against /api/v1/schema, "
        f"{len(seen & declared)} of {len(declared)} operations exercised"
    )


def pytest_report_header(config):
    try:
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        return f"datamoat: database={engine} broker={settings.CELERY_BROKER_URL.split('://')[0]}"
    except Exception:  # settings not configured yet
        return None


@pytest.fixture
def project(db):
    return factories.make_project(name="Reviews")


@pytest.fixture
def admin(db):
    return factories.make_user("admin", is_admin=True)


@pytest.fixture
def manager(project):
    return factories.make_member(project, factories.make_user("manager"), Role.MANAGER)


@pytest.fixture
def reviewer(project):
    return factories.make_member(project, factories.make_user("reviewer"), Role.REVIEWER)


@pytest.fixture
def annotator(project):
    return factories.make_member(project, factories.make_user("annotator"), Role.ANNOTATOR)


@pytest.fixture
def outsider(db):
    return factories.make_user("outsider")


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client authenticated as that user (None: anonymous). Every response
    it receives is checked against the OpenAPI schema (``tests/contract.py``): an undeclared field or
    status fails the test that made the request. Keyword arguments go to the client
    (``enforce_csrf_checks=True``)."""

    def build(user=None, **kwargs) -> contract.ContractClient:
        client = contract.ContractClient(**kwargs)
        if user is not None:
            client.force_authenticate(user)
        return client

    return build


@pytest.fixture
def requires_postgres():
    if not settings.IS_POSTGRES:
        pytest.skip("needs PostgreSQL (real row locks between concurrent transactions; SQLite serialises writers): set DATABASE_URL, as .ci/run does")
