"""ARCHITECTURE.md's direction between apps holds, and the guard catches a back-arrow planted on purpose."""
from __future__ import annotations

from pathlib import Path

from tests.layout_tests.dependencies import ALLOWED, circles, imports, modules, violations

REPO = Path(__file__).resolve().parents[2]
ROOTS = [REPO, REPO / "platform"]


def test_every_app_imports_only_what_the_direction_allows_and_nothing_goes_round():
    assert violations(ROOTS) == []


def test_the_guard_sees_every_app_module():
    found = modules(ROOTS, ALLOWED)
    for name in ("common.jobs", "projects.access", "annotation.services", "curation.services", "training.services"):
        assert name in found


def _tree(tmp_path: Path, files: dict[str, str]) -> list[Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return [tmp_path]


def test_a_planted_back_arrow_is_caught(tmp_path):
    roots = _tree(tmp_path, {
        "projects/__init__.py": "",
        "projects/services.py": "def f():\n    from curation import selectors  # a back-arrow, hidden in a function\n",
        "curation/__init__.py": "",
        "curation/selectors.py": "from projects import services\n",
    })
    problems = violations(roots)
    assert "projects.services:2 imports curation.selectors: projects may not depend on curation" in problems
    assert "import circle: curation.selectors -> projects.services" in problems


def test_common_imports_no_app(tmp_path):
    roots = _tree(tmp_path, {"common/__init__.py": "", "common/jobs.py": "from accounts.models import User\n",
                             "accounts/__init__.py": "", "accounts/models.py": ""})
    assert violations(roots) == ["common.jobs:1 imports accounts.models: common may not depend on accounts"]


def test_an_api_module_may_not_import_another_apps_api_module(tmp_path):
    roots = _tree(tmp_path, {
        "curation/__init__.py": "", "curation/apis.py": "",
        "training/__init__.py": "", "training/apis.py": "from curation.apis import version_for_user\n",
    })
    assert violations(roots) == ["training.apis:1 imports curation.apis: an API module imports another app's"]


def test_relative_imports_and_circles_inside_an_app_are_seen(tmp_path):
    roots = _tree(tmp_path, {
        "cleaning/__init__.py": "",
        "cleaning/steps/__init__.py": "from .base import Step\n",
        "cleaning/steps/base.py": "from . import text\n",
        "cleaning/steps/text.py": "from .base import Step\n",
    })
    found = modules(roots, ["cleaning"])
    edges = [imp for name, path in found.items() for imp in imports(name, path, set(found))]
    assert circles(edges) == [["cleaning.steps.base", "cleaning.steps.text"]]
