"""`hubsignal verify` (and the daily verify schedule): re-hash landed files against their manifests.

A file changed after landing (a flipped byte, a truncated copy, a restore gone wrong) quarantines its window:
its raw rows are removed and meta.snapshot_log says `quarantined` with the file named. The window's fingerprint
is marked so the next run re-reads it: still changed -> the loader quarantines it again (file named); restored
to the landed bytes -> it loads again. Landed files are never modified or deleted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hubsignal import landing as lz
from hubsignal.imports.common import walk_windows
from hubsignal.quality.quarantine import is_accepted
from hubsignal.warehouse import LogRow, open_warehouse, replace_windows
from hubsignal.windows import parse_window_key

VERIFY_PREFIX = "verify: "  # meta.snapshot_log.message of a window quarantined by verify


@dataclass
class VerifyReport:
    windows: int = 0
    files: int = 0
    problems: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (source, key) -> lines
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # newly quarantined in the warehouse

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"verified {self.files} files in {self.windows} landed windows: {len(self.problems)} damaged"]
        for (source, key), problems in sorted(self.problems.items()):
            state = "quarantined" if (source, key) in self.quarantined else "not loaded (a run quarantines it)"
            out += [f"DAMAGED {source}/{key} ({state}): {p}" for p in problems]
        return out


def verify_landing(
    landing: Path, warehouse: Path | None, *, first: datetime | None = None, last: datetime | None = None
) -> VerifyReport:
    """Re-hash every landed window (between first and last window starts, inclusive, when given); quarantine
    the damaged ones that the warehouse holds as loaded. `warehouse` None: only report."""
    report = VerifyReport()
    for folder in walk_windows(landing):
        parts = folder.relative_to(landing).parts
        source, key = "/".join(parts[:-1]), parts[-1]
        try:
            start = parse_window_key(key)
        except ValueError:
            start = None
        if start is not None and ((first and start < first) or (last and start > last)):
            continue
        report.windows += 1
        report.files += len(_manifest_files(folder))
        problems = lz.file_problems(landing, source, key)
        if problems:
            report.problems[(source, key)] = problems
    if report.problems and warehouse is not None and warehouse.exists():
        with open_warehouse(warehouse) as con:
            for (source, key), problems in sorted(report.problems.items()):
                if _quarantine(con, landing, source, key, problems):
                    report.quarantined.append((source, key))
    return report


def _manifest_files(folder: Path) -> list:
    import json

    try:
        return json.loads((folder / lz.MANIFEST).read_text()).get("files", [])
    except (OSError, ValueError):
        return []


def _quarantine(con, landing: Path, source_name: str, key: str, problems: list[str]) -> bool:
    """Quarantine a loaded window (rows removed, file named); False when there is nothing loaded to take back."""
    from hubsignal.sources import source_named

    row = con.execute(
        "SELECT window_start, status, load_fingerprint FROM meta.snapshot_log WHERE source = ? AND window_key = ?",
        [source_name, key],
    ).fetchone()
    if row is None or not is_accepted(con, row[1]):
        return False  # never loaded, already quarantined, or missing: the next load reads (and checks) the files
    window_start, _, fingerprint = row
    try:
        source = source_named(source_name)
    except KeyError:
        return False
    replace_windows(
        con,
        source.table,
        [window_start],
        None,
        [
            LogRow(
                source_name,
                window_start,
                key,
                "quarantined",
                landing_path=str(lz.window_dir(landing, source_name, key)),
                load_fingerprint=f"{lz.DAMAGED_PREFIX}{fingerprint}",
                message=VERIFY_PREFIX + "; ".join(problems),
            )
        ],
        window_column=source.window_column,
        scope=(source.scope_column, source_name) if source.scope_column else None,
    )
    return True
