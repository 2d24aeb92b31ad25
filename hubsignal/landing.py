"""The landing zone: immutable raw files, one folder per (source, window), the warehouse's source of truth.

A window folder is written under a temporary name and renamed into place only when complete, so a killed
run never leaves a half window; a landed window is never overwritten or deleted here. The one exception is
compaction (`swap_window_files`, hubsignal/retention.py): a window's files replaced by one file holding the same
records, committed atomically by the manifest's replacement, their provenance kept in the new manifest.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hubsignal.values import as_utc

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_CORE_KEYS = {"manifest_version", "source", "window_key", "origin", "status", "fetched_at", "record_count", "files"}


class LandingError(RuntimeError):
    """A landed window is unreadable or inconsistent with its manifest (message names the file)."""


@dataclass(frozen=True)
class RecordError:
    """One record of a landed window that could not be read (e.g. a model whose answer has no sha, is not
    JSON, or has an unexpected shape). The window loads without it; the load keeps it in meta.record_errors.
    A problem of the window itself (manifest, checksums, a file one record references) is a LandingError."""

    record: str  # the record as the source names it (a model id), or `line N` when even that is unreadable
    reason: str
    location: str | None = None  # landed file and line


@dataclass
class RawFile:
    """One raw body as received, to be stored gzip-compressed under `name`."""

    name: str
    body: bytes
    n_records: int
    url: str | None = None  # request URL without secrets
    http_status: int | None = None
    fetched_at: datetime | None = None
    # Stored byte for byte under `name` instead of gzip-compressed (a file compressed already, e.g. Parquet
    # zstd); `received_sha256` then names the body as received (e.g. the imported dump) in the manifest.
    as_is: bool = False
    received_sha256: str | None = None


@dataclass
class LandedWindow:
    path: Path
    manifest: dict[str, Any]
    files: list[tuple[dict[str, Any], bytes]] = field(default_factory=list)  # (manifest entry, body)

    @property
    def origin(self) -> str:
        return self.manifest["origin"]

    @property
    def fetched_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["fetched_at"])


def window_dir(landing: Path, source: str, key: str) -> Path:
    return landing / source / key


def is_landed(landing: Path, source: str, key: str) -> bool:
    return (window_dir(landing, source, key) / MANIFEST).is_file()


def landed_keys(landing: Path, source: str) -> list[str]:
    root = landing / source
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())


def land_window(
    landing: Path,
    source: str,
    key: str,
    files: list[RawFile],
    *,
    origin: str,
    fetched_at: datetime,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a complete window atomically (temp folder + rename). Refuses to overwrite a landed window."""
    final = window_dir(landing, source, key)
    if final.exists():
        state = "already landed" if (final / MANIFEST).is_file() else "exists without a manifest (inspect it by hand)"
        raise LandingError(f"{final}: window {state}; landed data is never overwritten")
    if clash := _CORE_KEYS & set(extra or {}):
        raise ValueError(f"manifest extra keys {sorted(clash)} would overwrite the manifest's own fields")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / temp_name(key)
    tmp.mkdir()
    try:
        entries = []
        for f in files:
            data = f.body if f.as_is else gzip.compress(f.body, mtime=0)  # mtime=0: same bytes, same body
            path = tmp / (f.name if f.as_is else f"{f.name}.gz")
            _write_durably(path, data)
            entries.append(
                {
                    "file": path.name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                    "n_records": f.n_records,
                    "url": f.url,
                    "http_status": f.http_status,
                    "fetched_at": as_utc(f.fetched_at or fetched_at).isoformat(),
                    **({"received_sha256": f.received_sha256} if f.received_sha256 else {}),
                }
            )
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "source": source,
            "window_key": key,
            "origin": origin,
            "status": "complete",
            "fetched_at": as_utc(fetched_at).isoformat(),
            "record_count": sum(f.n_records for f in files),
            "files": entries,
            **(extra or {}),
        }
        with open(tmp / MANIFEST, "w") as fh:
            json.dump(manifest, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        if final.exists():  # another writer got there first (rename would replace an empty folder)
            raise LandingError(f"{final}: window landed concurrently by another writer; keeping theirs")
        os.rename(tmp, final)  # atomic on one filesystem
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_path(final.parent)  # make the rename itself durable
    return final


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


class PartialWindow:
    """A window landed page by page, resumable: `landing/<source>/.partial-<key>/` holds the pages landed so
    far (`page-NNNNN.json.gz`, gzip of the bodies as received) and `checkpoint.json` (the cursor URL of the
    next page and the manifest entries of the landed pages), replaced atomically after each page. A crawl
    killed by a signal, a crash or a quota stop resumes from its last landed page. `complete()` writes the
    manifest and renames the folder into place: only then is the window landed. One crawler at a time
    (an exclusive lock on `.partial-<key>.lock`); the folder is not a `.tmp-*` one, so recovery keeps it."""

    CHECKPOINT = "checkpoint.json"

    def __init__(self, landing: Path, source: str, key: str):
        self.landing, self.source, self.key = landing, source, key
        self.final = window_dir(landing, source, key)
        self.folder = landing / source / f".partial-{key}"
        self._lock_path = landing / source / f".partial-{key}.lock"
        self._lock_fh = None
        self.state: dict[str, Any] = {"next_url": None, "pages": [], "started": False}

    def __enter__(self) -> PartialWindow:
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_fh = open(self._lock_path, "w")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.close()
            raise LandingError(f"{self.folder}: another process is crawling this window") from None
        checkpoint = self.folder / self.CHECKPOINT
        if checkpoint.is_file():
            try:
                self.state = json.loads(checkpoint.read_text())
            except ValueError as exc:
                raise LandingError(f"{checkpoint}: unreadable checkpoint ({exc}); remove the folder") from exc
        return self

    def __exit__(self, *exc) -> None:
        self._lock_fh.close()  # releases the lock

    @property
    def resume_url(self) -> str | None:
        return self.state["next_url"] if self.state["started"] else None

    @property
    def n_pages(self) -> int:
        return len(self.state["pages"])

    @property
    def n_records(self) -> int:
        return sum(p["n_records"] for p in self.state["pages"])

    def add_page(self, f: RawFile, next_url: str | None) -> None:
        """Land one page durably, then checkpoint the cursor of the next one (None: that was the last)."""
        data = gzip.compress(f.body, mtime=0)
        name = f"page-{self.n_pages + 1:05d}.json.gz"
        tmp = self.folder / f".{name}.tmp"
        _write_durably(tmp, data)
        os.rename(tmp, self.folder / name)
        entry = {
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "received_sha256": hashlib.sha256(f.body).hexdigest(),
            "bytes": len(data),
            "n_records": f.n_records,
            "url": f.url,
            "http_status": f.http_status,
            "fetched_at": as_utc(f.fetched_at).isoformat() if f.fetched_at else None,
        }
        state = {**self.state, "next_url": next_url, "started": True, "pages": [*self.state["pages"], entry]}
        tmp = self.folder / f".{self.CHECKPOINT}.tmp"
        _write_durably(tmp, json.dumps(state).encode())
        os.rename(tmp, self.folder / self.CHECKPOINT)
        self.state = state

    @property
    def finished(self) -> bool:
        return self.state["started"] and self.state["next_url"] is None

    def complete(self, *, origin: str, fetched_at: datetime, extra: dict[str, Any] | None = None) -> Path:
        """Write the manifest and rename the folder into place (the window is landed only now)."""
        if not self.finished:
            raise LandingError(f"{self.folder}: the crawl is not finished; a partial window never lands")
        if self.final.exists():
            raise LandingError(f"{self.final}: window already landed; landed data is never overwritten")
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "source": self.source,
            "window_key": self.key,
            "origin": origin,
            "status": "complete",
            "fetched_at": as_utc(fetched_at).isoformat(),
            "record_count": self.n_records,
            "files": self.state["pages"],
            **(extra or {}),
        }
        _write_durably(self.folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        os.rename(self.folder, self.final)
        fsync_path(self.final.parent)
        (self.final / self.CHECKPOINT).unlink()  # after the rename: a crash before it still resumes
        self._lock_path.unlink(missing_ok=True)
        return self.final


def _complete_manifest(folder: Path) -> dict[str, Any]:
    """A landed window's manifest; LandingError naming it when it is unreadable or the window is incomplete."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise LandingError(f"{folder / MANIFEST}: unreadable manifest ({exc})") from exc
    if manifest.get("status") != "complete":
        raise LandingError(f"{folder / MANIFEST}: status is {manifest.get('status')!r}, not 'complete'")
    return manifest


def verify_window(landing: Path, source: str, key: str) -> tuple[dict[str, Any], list[Path]]:
    """(manifest, file paths) of a landed window, every file checked against its sha256 while streamed (never
    held in memory whole): for loaders that hand the files to DuckDB's own readers."""
    folder = window_dir(landing, source, key)
    manifest = _complete_manifest(folder)
    paths = []
    for entry in manifest.get("files", []):
        path = folder / entry["file"]
        problem = _landed_file_problem(path, entry["sha256"])
        if problem:
            raise LandingError(problem)
        paths.append(path)
    return manifest, paths


# A window folder in the making: `.tmp-<key>-p<writer pid>-<id>`; the pid lets the next run tell a dead
# writer's leftover from a live writer's work. Older names (`.tmp-<key>-<id>`) carry no pid: age decides.
_TEMP_WITH_PID = re.compile(r"^\.tmp-.+-p(?P<pid>\d+)-[0-9a-f]{8}$")
STALE_TEMP_AGE_S = 3600.0  # a temp folder without a pid older than this is a killed writer's leftover


def temp_name(key: str) -> str:
    return f".tmp-{key}-p{os.getpid()}-{uuid.uuid4().hex[:8]}"


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists on this host (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_folders(
    landing: Path, *, max_age_s: float = STALE_TEMP_AGE_S, now: float | None = None
) -> list[Path]:
    """Remove `.tmp-*` window folders under landing/<source>/ left by a killed writer: those whose writer pid
    is gone, and (names without a pid) those older than max_age_s. A live writer's folder is kept.
    Assumes the landing zone's writers run on this host (pids are per host). Returns the removed folders."""
    if not landing.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for source in sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for tmp in sorted(source.glob(".tmp-*")):
            if not tmp.is_dir():
                continue
            match = _TEMP_WITH_PID.match(tmp.name)
            if match:
                stale = not pid_alive(int(match["pid"]))
            else:
                try:
                    stale = now - tmp.stat().st_mtime > max_age_s
                except FileNotFoundError:  # its writer renamed it into place meanwhile
                    continue
            if stale:
                shutil.rmtree(tmp, ignore_errors=True)
                if not tmp.exists():
                    removed.append(tmp)
    return removed


def fsync_path(path: Path) -> None:
    """fsync a file or a folder (a folder: to make the renames in it durable) by its path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_window(landing: Path, source: str, key: str) -> LandedWindow:
    """Read a landed window, verifying every file against the sha256 in its manifest."""
    folder = window_dir(landing, source, key)
    manifest = _complete_manifest(folder)
    window = LandedWindow(folder, manifest)
    for entry in manifest.get("files", []):
        path = folder / entry["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LandingError(f"{path}: listed in the manifest but unreadable ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise LandingError(f"{path}: sha256 differs from the manifest (file changed after landing)")
        if not entry["file"].endswith(".gz"):  # stored as is (RawFile.as_is, e.g. Parquet zstd)
            window.files.append((entry, data))
            continue
        try:
            window.files.append((entry, gzip.decompress(data)))
        except (OSError, EOFError) as exc:
            raise LandingError(f"{path}: not a valid gzip file ({exc})") from exc
    return window


# Load fingerprint prefix of a window quarantined because its files changed after landing: never equal to a
# real fingerprint, so the next run re-reads (and re-checks) the window instead of skipping it.
DAMAGED_PREFIX = "damaged:"
# Load fingerprint prefix of a window whose raw rows retention pruned (hubsignal/retention.py): never equal to a
# real fingerprint, so a run covering the window (e.g. `hubsignal backfill`) reloads it from the landing zone.
PRUNED_PREFIX = "pruned:"


def file_problems(landing: Path, source: str, key: str) -> list[str]:
    """Re-hash a landed window's files against its manifest: one line per file that is missing, unreadable or
    changed since landing (naming the file); empty when the window is intact. Reads, never decompresses."""
    folder = window_dir(landing, source, key)
    for _ in range(2):
        try:
            data = (folder / MANIFEST).read_bytes()
            manifest = json.loads(data)
        except (OSError, ValueError) as exc:
            return [f"{folder / MANIFEST}: unreadable manifest ({exc})"]
        problems = []
        for entry in manifest.get("files", []):
            problem = _landed_file_problem(folder / entry["file"], entry["sha256"])
            if problem:
                problems.append(problem)
        try:
            swapped = problems and (folder / MANIFEST).read_bytes() != data
        except OSError:
            swapped = False
        if not swapped:
            break
        # A compaction swapped the window's files while they were hashed (`swap_window_files`): hash the new ones.
    return problems


def sha256_file(path: Path) -> str:
    """The file's sha256, hashed in blocks: a landed file or an imported dump may be larger than memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _landed_file_problem(path: Path, manifest_sha256: str) -> str | None:
    """Why a landed file no longer matches its manifest entry (naming the file), or None when it does."""
    try:
        digest = sha256_file(path)
    except OSError as exc:
        return f"{path}: listed in the manifest but unreadable ({exc})"
    if digest != manifest_sha256:
        return f"{path}: sha256 differs from the manifest (file changed after landing)"
    return None


def manifest_sha256(landing: Path, source: str, key: str) -> str:
    return hashlib.sha256((window_dir(landing, source, key) / MANIFEST).read_bytes()).hexdigest()


# Manifest key of a window whose files were rewritten by compaction (`swap_window_files`): the provenance of
# the files it replaced and `manifest_sha256`, the sha256 of the manifest it was compacted from.
COMPACTED = "compacted"


def load_identity(landing: Path, source: str, key: str) -> str:
    """What a load of this window is keyed on (the snapshot loader's fingerprint, `hubsignal status`): the sha256
    of its manifest; for a compacted window the sha256 of the manifest it was compacted from, since compaction
    verified that its new files hold the same records: a loaded window is not reloaded for nothing."""
    data = (window_dir(landing, source, key) / MANIFEST).read_bytes()
    try:
        compacted = json.loads(data).get(COMPACTED) or {}
    except (ValueError, AttributeError):
        compacted = {}
    return compacted.get("manifest_sha256") or hashlib.sha256(data).hexdigest()


# Compaction rewrites a landed window in place, committed by ONE atomic step (the manifest's replacement):
# the new file is written beside the old ones under a `.compact-*` name, renamed to its final (unlisted) name,
# the new manifest replaces the old one (os.replace), then the files it no longer lists are removed. A kill at
# any point leaves the old manifest with its files, or the new one with its file; `remove_unlisted_files`
# (the next compaction run, under the same lock) takes away what the killed one left.
COMPACT_TEMP_PREFIX = ".compact-"
# Files a landed window may hold that compaction can leave unlisted (pages of a crawl, the Parquet file).
_LANDED_FILE = re.compile(r"^(page-\d+\.json\.gz|models\.parquet)$")


def compact_temp_path(folder: Path, suffix: str) -> Path:
    return folder / f"{COMPACT_TEMP_PREFIX}p{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}"


def swap_window_files(folder: Path, written: Path, name: str, manifest: dict[str, Any]) -> None:
    """Make `written` (a file beside the window's files, fsynced) the window's file `name` and `manifest` its
    manifest, atomically; then remove the files the new manifest no longer lists. `manifest` must list `name`
    with `written`'s sha256 (the caller verified the content)."""
    if name in {entry["file"] for entry in _complete_manifest(folder).get("files", [])}:
        raise LandingError(f"{folder / name}: listed by the current manifest; compaction never overwrites it")
    os.rename(written, folder / name)
    commit_manifest(folder, manifest)
    remove_unlisted_files(folder)


def commit_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Replace the window's manifest atomically (the one step that switches a compacted window to its new files)."""
    tmp = compact_temp_path(folder, ".json")
    _write_durably(tmp, json.dumps(manifest, indent=1, sort_keys=True).encode())
    os.replace(tmp, folder / MANIFEST)
    fsync_path(folder)


def remove_unlisted_files(folder: Path) -> list[str]:
    """Remove what a compaction (finished or killed) left in a landed window: `.compact-*` temporaries and landed
    files (pages, the Parquet file) its current manifest does not list. Call only under the compaction lock.
    Returns the names removed; nothing when the manifest is unreadable (the window is left for `verify`)."""
    try:
        listed = {entry["file"] for entry in _complete_manifest(folder).get("files", [])}
    except LandingError:
        return []
    removed = []
    for path in sorted(folder.iterdir()):
        leftover = path.name.startswith(COMPACT_TEMP_PREFIX) or (
            _LANDED_FILE.match(path.name) and path.name not in listed
        )
        if leftover and path.is_file():
            path.unlink()
            removed.append(path.name)
    if removed:
        fsync_path(folder)
    return removed


class SourceLock:
    """An exclusive, non-blocking lock on `landing/<source>/.<name>.lock` (e.g. one compaction at a time).
    `acquired` is False when another process holds it."""

    def __init__(self, landing: Path, source: str, name: str):
        self.path = landing / source / f".{name}.lock"
        self.acquired = False
        self._fh = None

    def __enter__(self) -> SourceLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.acquired = True
        except BlockingIOError:
            self.acquired = False
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()  # releases the lock
