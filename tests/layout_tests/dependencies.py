"""The import graph of our apps, read from the source (ast), and the rules of ARCHITECTURE.md on it:
the direction between apps, API modules that import no other app's API module, no import circles.

Every import counts, also one inside a function: a local import is how a circle hides.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# What each app may import (besides itself). accounts <- projects <- {ingestion, cleaning, annotation}
# <- curation <- training; ingestion stores imported labels through annotation; common is the floor.
ALLOWED: dict[str, set[str]] = {
    "common": set(),
    "accounts": {"common"},
    "projects": {"common", "accounts"},
    "annotation": {"common", "accounts", "projects"},
    "cleaning": {"common", "accounts", "projects"},
    "ingestion": {"common", "accounts", "projects", "annotation"},
    "curation": {"common", "accounts", "projects", "annotation", "cleaning", "ingestion"},
    "training": {"common", "accounts", "projects", "annotation", "cleaning", "ingestion", "curation"},
}
WIRING = {"config"}  # the Django project: settings and URLs name every app


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name, e.g. "curation.services"
    imported: str  # dotted module name, e.g. "annotation.votes"
    line: int

    @property
    def importer_app(self) -> str:
        return self.importer.split(".")[0]

    @property
    def imported_app(self) -> str:
        return self.imported.split(".")[0]


def modules(roots: Iterable[Path], apps: Iterable[str]) -> dict[str, Path]:
    """Dotted name → file, for every module of ``apps`` under the import ``roots`` (migrations aside:
    they name other apps by string, and Django orders them)."""
    found = {}
    for root in roots:
        for app in apps:
            base = root / app
            if not base.is_dir():
                continue
            for path in base.rglob("*.py"):
                parts = path.relative_to(root).with_suffix("").parts
                if "migrations" in parts:
                    continue
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> list[Import]:
    """The imports of one module that land in ``known`` modules (the longest known prefix), relative
    imports resolved; ``from pkg import mod`` counts as importing ``pkg.mod`` when that is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in targets:
            module = _longest_known(target, known)
            if module is not None and module != name:
                found.append(Import(name, module, node.lineno))
    return found


def _longest_known(target: str, known: set[str]) -> str | None:
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def is_api_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "apis" or last.endswith("_apis")


def violations(roots: Iterable[Path], apps: dict[str, set[str]] = ALLOWED) -> list[str]:
    """Every broken rule, as a sentence naming the file and line."""
    found = modules(roots, [*apps, *WIRING])
    known = set(found)
    edges = [imp for name, path in found.items() for imp in imports(name, path, known)]
    problems = []
    for imp in edges:
        src, dst = imp.importer_app, imp.imported_app
        if src in WIRING or src == dst:
            continue
        if dst not in apps.get(src, set()):
            problems.append(f"{imp.importer}:{imp.line} imports {imp.imported}: {src} may not depend on {dst}")
        elif is_api_module(imp.importer) and is_api_module(imp.imported):
            problems.append(f"{imp.importer}:{imp.line} imports {imp.imported}: an API module imports another app's")
    problems += [f"import circle: {' -> '.join(cycle)}" for cycle in circles(edges)]
    return problems


def circles(edges: list[Import]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for imp in edges:
        graph.setdefault(imp.importer, set()).add(imp.imported)
        graph.setdefault(imp.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components
