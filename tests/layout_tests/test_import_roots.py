"""The two import roots (repo root and platform/) stay unambiguous, and pure cores stay pure."""
from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "platform"
APPS = {"common", "accounts", "projects", "ingestion", "cleaning", "curation", "annotation", "training"}


def _top_level_names(root: Path) -> set[str]:
    names = set()
    for entry in root.iterdir():
        if entry.name.startswith((".", "_")) or entry.name in {"node_modules"}:
            continue
        if entry.is_dir() and any(entry.glob("*.py")):
            names.add(entry.name)
        elif entry.suffix == ".py":
            names.add(entry.stem)
    return names


def test_platform_is_a_source_root_not_a_package():
    assert not (PLATFORM / "__init__.py").exists(), "platform/__init__.py shadows the stdlib module `platform`"
    import platform

    assert hasattr(platform, "python_version"), "`import platform` must be the standard library's"


def test_no_top_level_name_repeats_across_the_two_roots():
    assert not (_top_level_names(REPO) & _top_level_names(PLATFORM))


def test_no_top_level_name_shadows_the_stdlib_or_a_dependency():
    ours = (_top_level_names(REPO) | _top_level_names(PLATFORM)) - {"manage"}
    assert not ours & set(sys.stdlib_module_names), ours & set(sys.stdlib_module_names)
    installed = set(packages_distributions())
    assert not ours & installed, f"our names clash with installed packages: {ours & installed}"


def test_tests_has_no_folder_named_like_an_app():
    folders = {p.name for p in (REPO / "tests").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    assert not folders & APPS, folders & APPS


def _imports(path: Path) -> set[str]:
    """Absolute imports as dotted module names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


# Pure Python floors a pure core may use: the domain errors carry no HTTP and import nothing; the
# script helpers (which texts are Chinese, Japanese or Korean) import only re.
PURE_ALLOWED = {"common.errors", "common.scripts", "annotation.agreement", "annotation.consolidation"}


PURE_CORES = [
    REPO / "training" / "engine",
    PLATFORM / "ingestion" / "readers",
    PLATFORM / "cleaning" / "steps",
    PLATFORM / "curation" / "exporters",
    REPO / "annotation" / "agreement.py",
    REPO / "annotation" / "consolidation.py",
    REPO / "annotation" / "span_agreement.py",
    REPO / "annotation" / "multilabel_agreement.py",
    REPO / "annotation" / "value_consolidation.py",
    REPO / "annotation" / "disagreement.py",
    REPO / "annotation" / "strategies.py",
    REPO / "annotation" / "values.py",
    PLATFORM / "common" / "errors.py",
    PLATFORM / "common" / "scripts.py",
]


def test_pure_cores_import_no_django_and_no_app():
    forbidden = {"django", "rest_framework", "celery"} | (APPS - {"training"})
    for core in PURE_CORES:
        files = [core] if core.suffix == ".py" else list(core.rglob("*.py"))
        for path in files:
            if not path.exists():
                continue
            bad = {m for m in _imports(path) - PURE_ALLOWED if m.split(".")[0] in forbidden}
            assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_the_training_engine_imports_no_django_at_run_time():
    import subprocess

    code = (
        "import sys, training.engine as e, pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(e.__path__, 'training.engine.'): importlib.import_module(m.name)\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('django', 'rest_framework', 'celery')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
