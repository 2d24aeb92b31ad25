"""Archive imports: put snapshots observed elsewhere into the landing zone, each in the window that contains
its observation time, with provenance. The ONE implementation behind `hubsignal import` and the inbox sensor.

Kinds of input (detected from the path):
- another install's landing zone (a HUBSIGNAL_HOME, a landing folder, a source or window folder) -> copy-merge;
- a LiveBench release folder (`table_*.csv` + `categories_*.json`) or one such file;
- a Hub model dump (`.json`, `.jsonl`, `.ndjson`, `.parquet`, optionally `.gz`);
- a legacy score file (`.csv`: `hubsignal.scores.files.land_score_file`, the benchmark issue's adapters);
- any other folder: each file in it, as its own input.

Each input is validated completely before anything is written and lands window by window with the landing
zone's atomic write, so an input is imported whole or not at all (a refused or invalid input changes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hubsignal import landing as lz
from hubsignal.families import Families
from hubsignal.imports import hub_dumps, landing_copy, livebench
from hubsignal.imports.common import (
    IMPORTER_VERSION,
    ImportRejected,
    Outcome,
    WindowPlan,
    apply_plans,
    walk_windows,
)
from hubsignal.windows import latest_closed_window, parse_window_key, window_key

__all__ = ["IMPORTER_VERSION", "ImportRejected", "ImportReport", "Outcome", "import_paths", "detect"]


def detect(path: Path) -> str:
    """The importer for a path: landing_zone | livebench_release | hub_models_dump | score_file | folder."""
    if not path.exists():
        raise ImportRejected(f"{path}: no such file or folder")
    if landing_copy.is_landing_zone(path):
        return landing_copy.IMPORTER
    if livebench.is_livebench(path):
        return livebench.IMPORTER
    if path.is_dir():
        return "folder"
    if hub_dumps.is_hub_dump(path):
        return hub_dumps.IMPORTER
    if path.suffix.lower() == ".csv":
        return "score_file"
    raise ImportRejected(
        f"{path}: unknown kind of input (expected a Hub dump .json/.jsonl/.ndjson/.parquet, a LiveBench "
        "table_*.csv/categories_*.json, a score file .csv, or a landing-zone folder)"
    )


def _plans(
    path: Path, kind: str, *, families: Families, observed_at: datetime | None, now: datetime
) -> list[WindowPlan]:
    if kind == landing_copy.IMPORTER:
        return landing_copy.plan_landing_zone(path, now=now)
    if kind == livebench.IMPORTER:
        return [livebench.plan_livebench(path, observed_at=observed_at, now=now)]
    if kind == hub_dumps.IMPORTER:
        return hub_dumps.plan_hub_dump(path, families=families, observed_at=observed_at, now=now)
    raise ImportRejected(f"{path}: no importer for {kind}")


def _import_score_file(
    path: Path,
    outcome: Outcome,
    *,
    landing: Path,
    observed_at: datetime | None,
    now: datetime,
    partitions_start: datetime | None,
) -> None:
    """Legacy score files go through the benchmark issue's `land_score_file` (its adapters validate the file in
    full; each distinct file is its own landing source `score_files/<adapter>-<sha12>`, so score files never
    conflict with each other and `replace` does not apply). Without --observed-at a score file is observed
    now; the same file already landed in any window is then a no-op."""
    try:
        from hubsignal.scores.files import SCORE_FILES, ScoreFileError, land_score_file
    except ImportError:
        outcome.error = f"{path}: legacy score files cannot be imported: no hubsignal.scores.files.land_score_file"
        return
    sha = lz.sha256_file(path)
    if observed_at is None:
        for folder in walk_windows(landing / SCORE_FILES):
            manifest = json.loads((folder / lz.MANIFEST).read_text())
            if sha in (manifest.get("sha256_as_received") or {}).values():
                outcome.unchanged.append((manifest["source"], manifest["window_key"]))
                return
    if observed_at is not None and partitions_start is not None and observed_at < partitions_start:
        outcome.error = (
            f"{path}: observed at {observed_at.isoformat()}, before the first window "
            f"{window_key(partitions_start)} (set HUBSIGNAL_START earlier to import it)"
        )
        return
    try:
        result = land_score_file(
            landing,
            path,
            None,
            observed_at,
            origin="imported",
            now=now,
            note=f"imported by hubsignal import (importer score_file v{IMPORTER_VERSION}); "
            f"observed at {'--observed-at' if observed_at else 'import time'}",
        )
    except ScoreFileError as exc:
        outcome.error = str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}"
        return
    (outcome.landed if result.landed else outcome.unchanged).append((result.source, result.window_key))
    outcome.notes += result.notes[:5]


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def changed(self) -> list[tuple[str, str]]:
        return sorted({sk for o in self.outcomes for sk in o.changed})

    @property
    def to_run(self) -> list[tuple[str, str]]:
        """Changed windows and pending ones (see mark_pending): what the import's run must cover."""
        return sorted({sk for o in self.outcomes for sk in [*o.changed, *o.pending]})

    def mark_pending(self, pending: set[tuple[str, str]]) -> None:
        """Unchanged windows that no finished run has loaded and built (a run killed after landing them):
        reported as pending and covered by the import's run, so re-importing repairs them."""
        for o in self.outcomes:
            o.pending += [sk for sk in o.unchanged if sk in pending]
            o.unchanged = [sk for sk in o.unchanged if sk not in pending]

    def run_range(
        self, partitions_start: datetime | None = None, now: datetime | None = None, landing: Path | None = None
    ) -> tuple[str, str] | None:
        """(first, last) window keys covering every changed window that a run can load (closed windows from
        the first partition on); None if there is none. One run over it loads them all; the windows in
        between that have no data stay missing. With `landing`, the range also reaches the next landed
        window of each changed source: its deltas and overtakes compare with the previous observation,
        which may now be an imported one."""
        starts, landed = [], {}
        for source, key in self.to_run:
            try:
                starts.append(parse_window_key(key))
            except ValueError:
                continue
            if landing is None:
                continue
            if source not in landed:
                landed[source] = lz.landed_keys(landing, source)
            later = [k for k in landed[source] if k > key]
            if later:
                try:
                    starts.append(parse_window_key(later[0]))
                except ValueError:
                    pass
        last_closed = latest_closed_window(now)
        starts = [s for s in starts if s <= last_closed and (partitions_start is None or s >= partitions_start)]
        if not starts:
            return None
        return window_key(min(starts)), window_key(max(starts))

    def open_windows(self, now: datetime | None = None) -> list[str]:
        """Changed windows that have not closed yet: the schedule loads them when they close."""
        last_closed = latest_closed_window(now)
        out = []
        for _, key in self.to_run:
            try:
                if parse_window_key(key) > last_closed:
                    out.append(key)
            except ValueError:
                continue
        return sorted(set(out))

    def lines(self) -> list[str]:
        out = []
        for o in self.outcomes:
            if not o.ok:
                out.append(f"REJECTED {o.error}" if o.error.startswith(o.path) else f"REJECTED {o.path}: {o.error}")
                continue
            parts = []
            if o.landed:
                parts.append(f"landed {_windows(o.landed)}")
            if o.replaced:
                parts.append(
                    "replaced " + ", ".join(f"{s}/{k} (previous data kept in {where})" for s, k, where in o.replaced)
                )
            if o.pending:
                parts.append(f"pending: not built yet {_windows(o.pending)} (landed earlier; this run builds it)")
            if o.unchanged:
                parts.append(f"unchanged (already imported) {_windows(o.unchanged)}")
            out.append(f"ok {o.path} [{o.kind}]: " + ("; ".join(parts) or "nothing to do"))
            out += [f"   note: {n}" for n in o.notes]
        return out


def _windows(pairs: list[tuple[str, str]]) -> str:
    pairs = sorted(pairs)
    if len(pairs) <= 3:
        return ", ".join(f"{s}/{k}" for s, k in pairs)
    return f"{len(pairs)} windows ({pairs[0][0]}/{pairs[0][1]} .. {pairs[-1][0]}/{pairs[-1][1]})"


def _companion(path: Path) -> bool:
    """A file landed together with a sibling score file (LLM-Stats' models file), not an input of its own."""
    try:
        from hubsignal.scores.files import LLM_STATS_MODELS
    except ImportError:
        return False
    return path.name == LLM_STATS_MODELS and any(p != path for p in path.parent.glob("*.csv"))


def _expand(paths: Iterable[Path]) -> list[tuple[Path, str | None, str | None]]:
    """(path, kind, error) for every input; folders that are no known kind stand for their files."""
    out = []
    for path in paths:
        try:
            kind = detect(path)
        except ImportRejected as exc:
            out.append((path, None, str(exc)))
            continue
        if kind == "folder":
            children = sorted(p for p in path.iterdir() if not p.name.startswith(".") and not _companion(p))
            if not children:
                out.append((path, None, f"{path}: empty folder"))
            out += _expand(children)
        else:
            out.append((path, kind, None))
    return out


def import_paths(
    paths: Iterable[Path | str],
    *,
    landing: Path,
    families: Families,
    observed_at: datetime | None = None,
    replace: bool = False,
    now: datetime | None = None,
    partitions_start: datetime | None = None,
) -> ImportReport:
    """Import every path (see the module doc). One bad input never stops or alters the others.

    `observed_at` (aware) places inputs that carry no observation time of their own; `replace` lets an
    input replace a different landed window (the old one is moved to `.replaced/`, never deleted).
    `partitions_start`: windows before it are refused (no run could load them).
    """
    now = now or datetime.now(UTC)
    report = ImportReport()
    claimed: dict[tuple[str, str], tuple[str, list]] = {}  # windows landed by an earlier input of this call
    for path, kind, error in _expand(Path(p) for p in paths):
        outcome = Outcome(str(path), kind or "unknown", error=error)
        report.outcomes.append(outcome)
        if error:
            continue
        if kind == "score_file":
            _import_score_file(
                path, outcome, landing=landing, observed_at=observed_at, now=now, partitions_start=partitions_start
            )
            continue
        try:
            plans = _plans(path, kind, families=families, observed_at=observed_at, now=now)
        except ImportRejected as exc:
            outcome.error = str(exc)
            continue
        clashes = [
            f"window {p.source}/{p.key} also comes from {claimed[(p.source, p.key)][0]} in this import, "
            "with different data"
            for p in plans
            if (p.source, p.key) in claimed and claimed[(p.source, p.key)][1] != p.bodies()
        ]
        if clashes:
            outcome.error = f"{path}: " + "; ".join(clashes)
            continue
        apply_plans(landing, outcome, plans, replace=replace, now=now, partitions_start=partitions_start)
        if outcome.ok:
            for p in plans:
                claimed[(p.source, p.key)] = (str(path), p.bodies())
    return report
