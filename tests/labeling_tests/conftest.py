"""Labeling fixtures: small projects with items, annotators to fill them. Nothing autouse."""
from __future__ import annotations

import pytest

from accounts.roles import Role
from tests import factories


def texts(n: int, prefix: str = "review") -> list[str]:
    return [f"{prefix} number {i}: a short text to label" for i in range(n)]


@pytest.fixture
def items(project):
    """Three items in the persona project (k = 1)."""
    return factories.make_items(project, texts(3))


@pytest.fixture
def make_annotators():
    """``make_annotators(project, n)``: n fresh annotators of the project."""

    def build(project, n: int):
        return [factories.make_member(project, factories.make_user(), Role.ANNOTATOR) for _ in range(n)]

    return build
