"""The inbox: `$HUBSIGNAL_HOME/inbox/`. Whatever is dropped there (a file or a folder) is imported by the
same code as `hubsignal import`, then moved to `inbox/done/` or `inbox/rejected/` (with `<name>.error.txt`
naming the problem). The inbox never replaces landed data: a refused input says to use
`hubsignal import --replace`.

- An entry is taken once it has been left unchanged for `settle_s` seconds (a file still being copied is not
  half-read); names starting with "." are ignored, so `cp x inbox/.x && mv inbox/.x inbox/x` is instant.
- Inputs without their own observation time (LiveBench files, JSON Lines without fetched_at) take it from a
  sidecar `<name>.observed_at` holding one ISO 8601 timestamp with a zone; it moves along with the entry.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hubsignal import landing as lz
from hubsignal.families import Families
from hubsignal.imports import ImportReport, import_paths
from hubsignal.imports.common import ImportRejected, Outcome, parse_observed_at

INBOX = "inbox"
DONE = "done"
REJECTED = "rejected"
SIDECAR = ".observed_at"
ERROR_SUFFIX = ".error.txt"


@dataclass
class InboxResult:
    report: ImportReport = field(default_factory=ImportReport)
    done: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # entry name -> error
    waiting: list[str] = field(default_factory=list)  # not settled yet, or over this tick's time budget
    run_range: tuple[str, str] | None = None
    run_key: str | None = None  # identifies the landed data the run is for (same data -> same key)

    def lines(self) -> list[str]:
        return [*self.report.lines(), *(f"waiting: {w}" for w in self.waiting)]


def _newest_mtime(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    return max([path.stat().st_mtime, *(p.stat().st_mtime for p in path.rglob("*"))])


def _move(entry: Path, folder: Path, now: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / entry.name
    if target.exists() or Path(f"{target}{ERROR_SUFFIX}").exists():
        target = folder / f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{entry.name}"
    shutil.move(str(entry), target)
    return target


def process_inbox(
    home: Path,
    *,
    landing: Path,
    families: Families,
    partitions_start: datetime | None = None,
    settle_s: float = 10.0,
    time_budget_s: float = 30.0,
    now: datetime | None = None,
) -> InboxResult:
    """Import every settled inbox entry, move it to done/ or rejected/, and say which windows to run."""
    inbox = home / INBOX
    inbox.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    started = time.monotonic()
    result = InboxResult()
    entries = sorted(
        p
        for p in inbox.iterdir()
        if not p.name.startswith(".") and p.name not in (DONE, REJECTED) and not p.name.endswith(SIDECAR)
    )
    for entry in entries:
        if time.monotonic() - started > time_budget_s or time.time() - _newest_mtime(entry) < settle_s:
            result.waiting.append(entry.name)
            continue
        sidecar = Path(f"{entry}{SIDECAR}")
        observed_at = None
        try:
            if sidecar.is_file():
                observed_at = parse_observed_at(sidecar.read_text().strip(), str(sidecar), now)
        except ImportRejected as exc:
            report = ImportReport([Outcome(str(entry), "unknown", error=str(exc))])
        else:
            report = import_paths(
                [entry],
                landing=landing,
                families=families,
                observed_at=observed_at,
                now=now,
                partitions_start=partitions_start,
            )
        result.report.outcomes += report.outcomes
        errors = [o.error for o in report.outcomes if o.error]
        if errors:
            moved = _move(entry, inbox / REJECTED, now)
            text = "\n".join(errors)
            if any(o.ok and o.changed for o in report.outcomes):
                text += "\n(the other files of this folder were imported; dropping it again changes nothing for them)"
            if any(o.error and "refused" in o.error for o in report.outcomes):
                text += "\nTo replace landed data on purpose: hubsignal import --replace PATH"
            Path(f"{moved}{ERROR_SUFFIX}").write_text(text + "\n")
            result.rejected[entry.name] = text
        else:
            _move(entry, inbox / DONE, now)
            result.done.append(entry.name)
        if sidecar.exists():
            _move(sidecar, inbox / (REJECTED if errors else DONE), now)
    result.run_range = result.report.run_range(partitions_start, now, landing)
    if result.run_range:
        digest = hashlib.sha256()
        for source, key in result.report.changed:
            digest.update(f"{source}/{key}:{lz.manifest_sha256(landing, source, key)}\n".encode())
        result.run_key = f"inbox-{digest.hexdigest()[:16]}"
    return result
