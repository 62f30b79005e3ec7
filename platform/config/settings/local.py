"""Developer machine and `make run`: everything from the env, debug OFF unless DJANGO_DEBUG=true.

Without DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) the key is generated once into the data folder
(``<DATAMOAT_DATA_DIR>/secret_key``, mode 0600) and read from there on every later start, by every
process: web workers and Celery workers must sign and check with the same key, and no key is public.
"""
import os
import secrets
from pathlib import Path


def _secret_key_file() -> str:
    """The path of the data folder's secret key, created (atomically, mode 0600) when missing. Several
    processes start at once under `make run`: the key is written to a private temporary file and
    hard-linked into place, so a reader never sees a half-written key and exactly one key wins."""
    repo = Path(__file__).resolve().parents[3]
    data_dir = Path(os.environ.get("DATAMOAT_DATA_DIR") or repo / "var")
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(50) + "\n")
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process won the race: use its key
        finally:
            temporary.unlink(missing_ok=True)
    return str(path)


if not os.environ.get("DJANGO_SECRET_KEY") and not os.environ.get("DJANGO_SECRET_KEY_FILE"):
    # base.py reads <NAME>_FILE (config.env); setting it here passes the key to every child process
    # `serve` starts without putting the key itself into their environment.
    os.environ["DJANGO_SECRET_KEY_FILE"] = _secret_key_file()

from .base import *  # noqa: E402,F403
