"""The committed TypeScript API types (frontend/src/lib/api-schema.d.ts) are the OpenAPI schema's:
regenerate the schema and the types into a temp dir, as `make types` does, and compare.

The frontend's types.ts names its types after the generated file, so a serializer change that the
committed file misses would let the browser app compile against an API that no longer exists.
"""
from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
COMMITTED = FRONTEND / "src" / "lib" / "api-schema.d.ts"
GENERATOR = FRONTEND / "node_modules" / ".bin" / "openapi-typescript"
FIX = "run `make types` and commit frontend/src/lib/api-schema.d.ts"


def _skip_reason() -> str | None:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"no `{tool}` on PATH: the API types are generated with Node.js (openapi-typescript)"
    if not GENERATOR.exists():
        return "frontend/node_modules has no openapi-typescript: run `make frontend` (npm ci) first"
    return None


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}")


def _generate(folder: Path) -> str:
    """The two commands of the Makefile's `types` target, writing into ``folder``."""
    schema, types = folder / "openapi.json", folder / "api-schema.d.ts"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's own default, as under `make types`
    env["DATABASE_URL"] = "sqlite://:memory:"  # as `make types`: field bounds differ by backend
    _run([sys.executable, "manage.py", "spectacular", "--format", "openapi-json", "--file", str(schema)], env)
    _run(["npm", "--prefix", "frontend", "run", "--silent", "gen:types", "--", str(schema), "--output", str(types)], env)
    return types.read_text(encoding="utf-8")


def test_the_committed_api_types_match_the_schema(tmp_path):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    generated = _generate(tmp_path)
    if not COMMITTED.exists():
        pytest.fail(f"{COMMITTED.relative_to(ROOT)} is missing: {FIX}")
    committed = COMMITTED.read_text(encoding="utf-8")
    if generated != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), generated.splitlines(), "committed", "from the schema", lineterm="", n=1
        )
        shown = "\n".join(list(diff)[:60])
        pytest.fail(f"The API types lag behind the OpenAPI schema: {FIX}.\n{shown}")
