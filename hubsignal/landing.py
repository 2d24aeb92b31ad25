"""The landing zone: immutable raw files, one folder per (source, window), the warehouse's source of truth.

A window folder is written under a temporary name and renamed into place only when complete, so a killed
run never leaves a half window; a landed window is never overwritten or deleted here.
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
            data = gzip.compress(f.body, mtime=0)  # mtime=0: same bytes for the same body
            path = tmp / f"{f.name}.gz"
            with open(path, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            entries.append(
                {
                    "file": path.name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                    "n_records": f.n_records,
                    "url": f.url,
                    "http_status": f.http_status,
                    "fetched_at": as_utc(f.fetched_at or fetched_at).isoformat(),
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
    _fsync_dir(final.parent)  # make the rename itself durable
    return final


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_window(landing: Path, source: str, key: str) -> LandedWindow:
    """Read a landed window, verifying every file against the sha256 in its manifest."""
    folder = window_dir(landing, source, key)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise LandingError(f"{folder / MANIFEST}: unreadable manifest ({exc})") from exc
    if manifest.get("status") != "complete":
        raise LandingError(f"{folder / MANIFEST}: status is {manifest.get('status')!r}, not 'complete'")
    window = LandedWindow(folder, manifest)
    for entry in manifest.get("files", []):
        path = folder / entry["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LandingError(f"{path}: listed in the manifest but unreadable ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise LandingError(f"{path}: sha256 differs from the manifest (file changed after landing)")
        try:
            window.files.append((entry, gzip.decompress(data)))
        except (OSError, EOFError) as exc:
            raise LandingError(f"{path}: not a valid gzip file ({exc})") from exc
    return window


# Load fingerprint prefix of a window quarantined because its files changed after landing: never equal to a
# real fingerprint, so the next run re-reads (and re-checks) the window instead of skipping it.
DAMAGED_PREFIX = "damaged:"


def file_problems(landing: Path, source: str, key: str) -> list[str]:
    """Re-hash a landed window's files against its manifest: one line per file that is missing, unreadable or
    changed since landing (naming the file); empty when the window is intact. Reads, never decompresses."""
    folder = window_dir(landing, source, key)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        return [f"{folder / MANIFEST}: unreadable manifest ({exc})"]
    problems = []
    for entry in manifest.get("files", []):
        path = folder / entry["file"]
        h = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        except OSError as exc:
            problems.append(f"{path}: listed in the manifest but unreadable ({exc})")
            continue
        if h.hexdigest() != entry["sha256"]:
            problems.append(f"{path}: sha256 differs from the manifest (file changed after landing)")
    return problems


def manifest_sha256(landing: Path, source: str, key: str) -> str:
    return hashlib.sha256((window_dir(landing, source, key) / MANIFEST).read_bytes()).hexdigest()
