"""Files that web and workers share (version snapshots, run artifacts, uploads), through Django's storage API.

One storage, ``storages["datamoat"]`` (settings: ``STORAGES["datamoat"]``), holds every shared file
under a key such as ``snapshots/project_3/v2``:

- the filesystem by default (``DataDirStorage``): each key area lies where it always has, under
  ``SNAPSHOT_DIR``, ``ARTIFACT_DIR`` and ``UPLOAD_DIR`` (other keys under ``MEDIA_ROOT``), so the local
  folder a build writes IS the stored folder: publishing it is a no-op, reading it costs nothing;
- any other Django storage, e.g. django-storages' ``S3Storage`` (``DATAMOAT_STORAGE_URL=s3://...``):
  folders and files are uploaded once finished, and each machine that reads them keeps a local copy
  under ``DATAMOAT_STORAGE_CACHE_DIR``, downloaded on first use and checked at every use.

A stored *folder* is a flat set of files plus ``manifest.json``, ``{"files": {name: {"sha256", "bytes"},
...}, ...}`` (a version snapshot's own manifest has this shape; ``folder_manifest`` writes one for any
folder). The manifest is uploaded LAST, so a folder without its manifest does not exist: a reader
never sees a half-uploaded folder. A download goes to a temporary sibling, is checked against the
manifest (sizes and sha256) and only then renamed into place, so two processes fetching the same
folder at once each end with a complete copy.

Stored values (``DatasetVersion.snapshot_path``, ``TrainingRun.artifacts_path``, an upload's path) are
keys. An absolute path there is a row written before the storage API: ``folder_local`` and
``file_local`` return it as it is.

Never imports an app.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils._os import safe_join

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "datamoat"
MANIFEST = "manifest.json"
_CHUNK = 1 << 20


class StorageError(Exception):
    """A stored file or folder is missing, incomplete or does not match its manifest, or the storage
    cannot be reached. The message says which key and why."""


class DataDirStorage(FileSystemStorage):
    """The filesystem default: ``FileSystemStorage`` over ``MEDIA_ROOT`` whose areas follow their own
    settings (read at each call, so a test that moves ``SNAPSHOT_DIR`` moves the area with it):
    ``snapshots/…`` under SNAPSHOT_DIR, ``artifacts/…`` under ARTIFACT_DIR, ``uploads/…`` under
    UPLOAD_DIR. Every FileSystemStorage operation goes through ``path``, so all of them follow."""

    AREAS = {"snapshots": "SNAPSHOT_DIR", "artifacts": "ARTIFACT_DIR", "uploads": "UPLOAD_DIR"}

    def path(self, name: str) -> str:
        area, _, rest = str(name).partition("/")
        setting = self.AREAS.get(area)
        if setting is None:
            return super().path(name)
        return safe_join(str(getattr(settings, setting)), rest) if rest else os.path.abspath(
            str(getattr(settings, setting))
        )


def storage() -> Storage:
    return storages[STORAGE_ALIAS]


def storages_reset() -> None:
    """Forget the storages Django built (after STORAGES or credentials change, e.g. in a test)."""
    storages._backends = None
    storages._storages = {}
    try:
        del storages.backends  # a cached_property
    except AttributeError:
        pass


def local_path(key: str) -> Path | None:
    """Where the key lies on this machine's filesystem when the storage is a filesystem, else None."""
    try:
        return Path(storage().path(key))
    except NotImplementedError:  # a remote storage has no paths
        return None


def is_local() -> bool:
    return local_path("") is not None


def _legacy(key: str) -> Path | None:
    """A stored value that is an absolute path (written before the storage API) is that path."""
    return Path(key) if os.path.isabs(key) else None


def _cache_path(key: str) -> Path:
    return Path(safe_join(str(settings.DATAMOAT_STORAGE_CACHE_DIR), key))


def _join(key: str, name: str) -> str:
    return f"{key.rstrip('/')}/{name}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


# --- folders --------------------------------------------------------------------------------------


def folder_manifest(local_dir: Path, **extra) -> dict:
    """Write ``manifest.json`` for a finished folder that has none (a run's artifacts): every file with
    its sha256 and size, plus ``extra``. Returns the manifest."""
    local_dir = Path(local_dir)
    files = {}
    for path in sorted(local_dir.iterdir()):
        if path.name == MANIFEST:
            continue
        if not path.is_file():
            raise StorageError(f"{path} is not a plain file: a stored folder holds files only.")
        files[path.name] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    manifest = {**extra, "files": files}
    target = local_dir / MANIFEST
    tmp = local_dir / f".{MANIFEST}.tmp-{uuid.uuid4().hex}"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)
    return manifest


def _read_manifest(raw: bytes, where: str) -> dict:
    try:
        manifest = json.loads(raw)
        files = manifest["files"]
        for name, meta in files.items():
            if "/" in name or name in ("", ".", "..", MANIFEST) or not isinstance(meta.get("bytes"), int):
                raise ValueError(f"bad entry {name!r}")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StorageError(f"{where} is not a folder manifest: {exc}") from None
    return manifest


def folder_publish(local_dir: Path, key: str) -> None:
    """Store a finished local folder (its ``manifest.json`` listing every other file) under ``key``.

    Filesystem storage: a no-op when ``local_dir`` already is the key's path (a build writes there),
    else an atomic copy into place. Other storages: every listed file is uploaded, then the manifest
    (an earlier manifest under the key is deleted first, so a reader never pairs it with new files);
    the local folder then becomes this machine's cached copy (moved, not copied). Raises StorageError."""
    local_dir = Path(local_dir)
    target = local_path(key)
    if target is not None:
        if target.resolve() != local_dir.resolve():
            _install_copy(local_dir, target)
        return
    manifest = _read_manifest((local_dir / MANIFEST).read_bytes(), str(local_dir / MANIFEST))
    present = {p.name for p in local_dir.iterdir()} - {MANIFEST}
    if present != set(manifest["files"]):
        raise StorageError(f"{local_dir} holds {sorted(present)} but its manifest lists {sorted(manifest['files'])}.")
    backend = storage()
    try:
        backend.delete(_join(key, MANIFEST))
        for name in sorted(manifest["files"]):
            _upload(backend, local_dir / name, _join(key, name))
        _upload(backend, local_dir / MANIFEST, _join(key, MANIFEST))
    except StorageError:
        raise
    except Exception as exc:  # the backend's own errors (network, credentials, bucket)
        raise StorageError(f"Storing {key} failed: {exc}") from exc
    _adopt(local_dir, _cache_path(key))


def _upload(backend: Storage, path: Path, name: str) -> None:
    with open(path, "rb") as handle:
        saved = backend.save(name, File(handle, name=path.name))
    if saved != name:  # a storage that renames instead of overwriting would break every key
        backend.delete(saved)
        raise StorageError(f"The storage stored {name} as {saved}; configure it to overwrite.")


def folder_local(key: str, *, verify: bool = True) -> Path:
    """A local folder with the stored folder's files. Filesystem storage: the key's path itself (no
    check: the snapshot readers verify as before). Other storages: this machine's cached copy, checked
    against the stored manifest (same manifest, every file present with its size, and with ``verify``
    its sha256) and downloaded again when missing, stale or damaged. Raises StorageError when the
    folder is not stored (no manifest) or a downloaded file does not match its manifest."""
    legacy = _legacy(key)
    if legacy is not None:
        return legacy
    here = local_path(key)
    if here is not None:
        return here
    backend = storage()
    try:
        with backend.open(_join(key, MANIFEST), "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise StorageError(f"{key} is not stored (it has no {MANIFEST}).") from None
    except Exception as exc:
        raise StorageError(f"Reading {key} from the storage failed: {exc}") from exc
    manifest = _read_manifest(raw, _join(key, MANIFEST))
    target = _cache_path(key)
    if _folder_matches(target, raw, manifest, verify=verify):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.download-", dir=target.parent))
    try:
        for name, meta in sorted(manifest["files"].items()):
            _download(backend, _join(key, name), tmp / name)
            if (tmp / name).stat().st_size != meta["bytes"] or file_sha256(tmp / name) != meta.get("sha256"):
                raise StorageError(f"{_join(key, name)} does not match its manifest (size or sha256).")
        (tmp / MANIFEST).write_bytes(raw)
        _install(tmp, target, lambda: _folder_matches(target, raw, manifest, verify=True))
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(f"Downloading {key} failed: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _folder_matches(folder: Path, raw_manifest: bytes, manifest: dict, *, verify: bool) -> bool:
    try:
        if (folder / MANIFEST).read_bytes() != raw_manifest:
            return False
        for name, meta in manifest["files"].items():
            path = folder / name
            if path.stat().st_size != meta["bytes"] or (verify and file_sha256(path) != meta.get("sha256")):
                return False
    except OSError:
        return False
    return True


def folder_delete(key: str) -> None:
    """Remove a stored folder (manifest first, so it stops existing at once) and this machine's
    cached copy. Missing files are not an error."""
    legacy = _legacy(key)
    if legacy is not None:
        shutil.rmtree(legacy, ignore_errors=True)
        return
    here = local_path(key)
    if here is not None:
        shutil.rmtree(here, ignore_errors=True)
        return
    backend = storage()
    try:
        with backend.open(_join(key, MANIFEST), "rb") as handle:
            names = list(_read_manifest(handle.read(), key)["files"])
    except (FileNotFoundError, StorageError):
        names = []
    backend.delete(_join(key, MANIFEST))
    for name in names:
        backend.delete(_join(key, name))
    shutil.rmtree(_cache_path(key), ignore_errors=True)


# --- files ----------------------------------------------------------------------------------------


def file_publish(local_file: Path, key: str) -> None:
    """Store one finished local file under ``key`` (an upload). Filesystem storage: a no-op when the
    file already is the key's path, else an atomic copy into place. Other storages: uploaded, then the
    local file becomes this machine's cached copy (moved)."""
    local_file = Path(local_file)
    target = local_path(key)
    if target is not None:
        if target.resolve() != local_file.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex}")
            try:
                shutil.copyfile(local_file, tmp)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        return
    try:
        _upload(storage(), local_file, key)
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(f"Storing {key} failed: {exc}") from exc
    _adopt(local_file, _cache_path(key))


def file_local(key: str) -> Path:
    """A local path to the stored file: the key's path on the filesystem storage, else this machine's
    cached copy (downloaded when missing or of another size than the stored file). Raises
    StorageError when the file is not stored."""
    legacy = _legacy(key)
    if legacy is not None:
        return legacy
    here = local_path(key)
    if here is not None:
        return here
    backend = storage()
    target = _cache_path(key)
    try:
        size = backend.size(key)
    except FileNotFoundError:
        raise StorageError(f"{key} is not stored.") from None
    except Exception as exc:
        raise StorageError(f"Reading {key} from the storage failed: {exc}") from exc
    if target.is_file() and target.stat().st_size == size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.download-{uuid.uuid4().hex}")
    try:
        _download(backend, key, tmp)
        if tmp.stat().st_size != size:
            raise StorageError(f"{key}: downloaded {tmp.stat().st_size} bytes, the storage says {size}.")
        os.replace(tmp, target)  # a file replaces atomically, whoever came first
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(f"Downloading {key} failed: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def file_delete(key: str) -> None:
    """Remove a stored file and this machine's cached copy; a missing one is not an error."""
    if _legacy(key) is not None:
        Path(key).unlink(missing_ok=True)
        return
    here = local_path(key)
    if here is not None:
        here.unlink(missing_ok=True)
        return
    storage().delete(key)
    _cache_path(key).unlink(missing_ok=True)


# --- local moves ----------------------------------------------------------------------------------


def _download(backend: Storage, name: str, dest: Path) -> None:
    """One stored file to ``dest``. django-storages' S3 file object streams straight to disk through
    boto3 (``obj.download_fileobj``, parallel ranges); any other storage is read in chunks."""
    with backend.open(name, "rb") as handle, open(dest, "wb") as out:
        obj = getattr(handle, "obj", None)
        if obj is not None and hasattr(obj, "download_fileobj"):
            obj.download_fileobj(out, Config=getattr(backend, "transfer_config", None))
        else:
            shutil.copyfileobj(handle, out, _CHUNK)


def _install(tmp: Path, target: Path, target_is_good) -> None:
    """Rename the complete folder ``tmp`` to ``target``. A folder already there that ``target_is_good``
    (another process won the race) is kept and ``tmp`` dropped; a stale one is moved aside first."""
    for _ in range(5):
        try:
            os.rename(tmp, target)
            return
        except OSError:
            if not target.exists():
                continue  # moved aside by another process meanwhile: try again
            if target_is_good():
                return
            aside = target.with_name(f".{target.name}.stale-{uuid.uuid4().hex}")
            try:
                os.rename(target, aside)
            except OSError:
                continue  # someone else moved it: try again
            shutil.rmtree(aside, ignore_errors=True)
    raise StorageError(f"{target} could not be put in place (other processes kept replacing it).")


def _install_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        # copytree wants a missing destination; the manifest is copied last, like an upload.
        names = sorted(p.name for p in source.iterdir())
        for name in [n for n in names if n != MANIFEST] + [n for n in names if n == MANIFEST]:
            shutil.copy2(source / name, tmp / name)
        _install(tmp, target, lambda: False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _adopt(local: Path, cached: Path) -> None:
    """Move a just-published local file or folder to the cache path (no download on this machine
    later); where that is not possible (another filesystem), it is removed: the cache refills on use."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        if local.is_dir():
            if cached.exists():
                aside = cached.with_name(f".{cached.name}.stale-{uuid.uuid4().hex}")
                os.rename(cached, aside)
                shutil.rmtree(aside, ignore_errors=True)
            os.rename(local, cached)
        else:
            os.replace(local, cached)
    except OSError as exc:
        logger.info("keeping no local copy of %s (%s)", local, exc)
        if local.is_dir():
            shutil.rmtree(local, ignore_errors=True)
        else:
            local.unlink(missing_ok=True)
