"""Agreement fixtures. Nothing autouse."""
from __future__ import annotations

import pytest

from accounts.roles import Role
from tests import factories
from tests.agreement_tests.labelled import VOTES, add_annotations


@pytest.fixture
def labelled(project):
    """The persona project with four items and VOTES; returns (project, items, users by name)."""
    items = factories.make_items(project, [f"item {i} to label" for i in range(4)])
    users = {name: factories.make_member(project, factories.make_user(name), Role.ANNOTATOR) for name in ("ann1", "ann2")}
    add_annotations(project, items, users, VOTES)
    return project, items, users
