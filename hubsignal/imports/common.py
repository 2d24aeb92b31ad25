"""What every importer shares: observation times, provenance, and placing a planned window in the landing zone.

An importer turns one input (a file or a folder) into `WindowPlan`s: complete windows, validated in full,
not yet written. `apply_plans` then lands each one with `landing.land_window` (temp folder + rename), so a
window is either fully there or absent. Against what is already landed a plan is:
- new: landed;
- identical (same origin file, or the same data bodies): a no-op;
- different: refused, unless `replace`, in which case the landed window is first moved (never deleted) to
  `landing/<source>/.replaced/<key>-<UTC timestamp>/` (a dot-folder: the snapshot loader ignores it).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hubsignal import landing as lz
from hubsignal.windows import parse_window_key, window_floor, window_key

IMPORTER_VERSION = "1"
ORIGIN = "imported"
REPLACED_DIR = ".replaced"


class ImportRejected(ValueError):
    """An input cannot be imported; the message names the file (and the record or window)."""


def parse_observed_at(value: Any, where: str, now: datetime) -> datetime:
    """An observation time: ISO 8601 with a zone (`Z` or an offset), not in the future. Returns aware UTC."""
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ImportRejected(f"{where}: {value!r} is not an ISO 8601 timestamp") from None
    else:
        raise ImportRejected(f"{where}: expected an ISO 8601 timestamp, got {value!r}")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ImportRejected(
            f"{where}: {value!s} has no time zone; give one (e.g. {value!s}Z or {value!s}+09:00) so the "
            "window is not a guess"
        )
    ts = ts.astimezone(UTC)
    if ts > now:
        raise ImportRejected(f"{where}: {ts.isoformat()} is in the future (now {now.isoformat()})")
    return ts


@dataclass
class WindowPlan:
    """One complete window an importer wants to land (validated, not yet written)."""

    source: str
    observed_at: datetime  # aware UTC; the window is the one containing it
    files: list[lz.RawFile]
    origin: str  # "imported" (or "synthetic_sample" for a copied synthetic window: it never becomes real)
    extra: dict[str, Any]  # manifest fields beyond land_window's own (provenance under "import")
    origin_file: str  # what `identical` compares: the same origin file + sha256 is the same import
    origin_sha256: str
    key: str = ""

    def __post_init__(self):
        self.key = self.key or window_key(window_floor(self.observed_at))

    @property
    def window_start(self) -> datetime:
        try:
            return parse_window_key(self.key)
        except ValueError:  # a source keyed otherwise: the window of the observation
            return window_floor(self.observed_at)

    def bodies(self) -> list[tuple[str, str]]:
        """(file name as landed, sha256 of its body): what `classify` compares with a landed window."""
        return sorted((f.name if f.as_is else f"{f.name}.gz", hashlib.sha256(f.body).hexdigest()) for f in self.files)


@dataclass
class Outcome:
    """What happened to one input."""

    path: str
    kind: str  # importer name
    landed: list[tuple[str, str]] = field(default_factory=list)  # (source, key)
    replaced: list[tuple[str, str, str]] = field(default_factory=list)  # (source, key, where the old data went)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    # landed before, identical, but not loaded or not built yet (e.g. a killed import's run): to run again
    pending: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def changed(self) -> list[tuple[str, str]]:
        return self.landed + [(s, k) for s, k, _ in self.replaced]


def walk_windows(root: Path) -> list[Path]:
    """Every landed window folder (holding a manifest) under root, skipping dot-folders (.replaced, .tmp-*).
    Sources may nest (e.g. `score_files/<adapter>-<sha12>/<key>/`)."""
    if (root / lz.MANIFEST).is_file():
        return [root]
    if not root.is_dir():
        return []
    return [
        w
        for child in sorted(root.iterdir())
        if child.is_dir() and not child.name.startswith(".")
        for w in walk_windows(child)
    ]


def classify(landing: Path, plan: WindowPlan) -> tuple[str, str]:
    """('new' | 'identical' | 'same_file' | 'different', description of what is landed)."""
    if not lz.is_landed(landing, plan.source, plan.key):
        return "new", ""
    folder = lz.window_dir(landing, plan.source, plan.key)
    try:
        window = lz.read_window(landing, plan.source, plan.key)
    except lz.LandingError as exc:
        return "different", f"an unreadable window ({exc})"
    prov = window.manifest.get("import") or {}
    bodies = sorted((e["file"], hashlib.sha256(body).hexdigest()) for e, body in window.files)
    if bodies == plan.bodies():
        return "identical", ""
    if prov.get("origin_sha256") == plan.origin_sha256:
        # The same file, read differently now (e.g. an org added to the families file): unchanged unless replace.
        return "same_file", ""
    what = (
        f"data imported from {prov.get('origin_file')} (sha256 {str(prov.get('origin_sha256'))[:12]}…)"
        if prov
        else f"{window.origin} data fetched at {window.manifest.get('fetched_at')}"
    )
    return "different", f"{folder} already holds {what}"


def replaced_dir(landing: Path, source: str, key: str, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return landing / source / REPLACED_DIR / f"{key}-{stamp}"


def land_plan(landing: Path, plan: WindowPlan, *, replace_existing: bool, now: datetime) -> str | None:
    """Land one plan atomically. With replace_existing, the landed window is moved to .replaced/ first and
    moved back if landing fails. Returns where the replaced data went (or None)."""
    kept = None
    if replace_existing:
        kept = replaced_dir(landing, plan.source, plan.key, now)
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.rename(lz.window_dir(landing, plan.source, plan.key), kept)
    try:
        lz.land_window(
            landing,
            plan.source,
            plan.key,
            plan.files,
            origin=plan.origin,
            fetched_at=plan.observed_at,
            extra=plan.extra,
        )
    except BaseException:
        if kept is not None and not lz.window_dir(landing, plan.source, plan.key).exists():
            os.rename(kept, lz.window_dir(landing, plan.source, plan.key))
        raise
    return str(kept) if kept else None


def check_plans(
    landing: Path, path: str, plans: list[WindowPlan], *, replace: bool, partitions_start: datetime | None
) -> tuple[list[WindowPlan], list[WindowPlan], list[str]]:
    """Split plans into (to land, identical) and collect refusals; nothing is written."""
    todo, same, refusals = [], [], []
    seen: dict[tuple[str, str], WindowPlan] = {}
    for plan in plans:
        where = f"{path}: window {plan.source}/{plan.key}"
        if partitions_start is not None and plan.window_start < partitions_start:
            refusals.append(
                f"{where}: observed at {plan.observed_at.isoformat()}, before the first window "
                f"{window_key(partitions_start)} (set HUBSIGNAL_START earlier to import it)"
            )
            continue
        if (plan.source, plan.key) in seen:
            refusals.append(f"{where}: this input holds two snapshots for the same window")
            continue
        seen[(plan.source, plan.key)] = plan
        state, what = classify(landing, plan)
        if state == "new":
            todo.append(plan)
        elif state == "identical" or (state == "same_file" and not replace):
            same.append(plan)
        elif replace:
            todo.append(plan)
        else:
            refusals.append(
                f"{where}: refused: {what}; this input's data differs. Pass --replace to "
                f"replace it (the current data is kept under {landing / plan.source / REPLACED_DIR}/)"
            )
    return todo, same, refusals


def apply_plans(
    landing: Path,
    outcome: Outcome,
    plans: list[WindowPlan],
    *,
    replace: bool,
    now: datetime,
    partitions_start: datetime | None = None,
) -> Outcome:
    """Land every plan of one input, or none of them if any is refused (an input is never half-imported)."""
    todo, same, refusals = check_plans(landing, outcome.path, plans, replace=replace, partitions_start=partitions_start)
    if refusals:
        outcome.error = "; ".join(refusals)
        return outcome
    outcome.unchanged += [(p.source, p.key) for p in same]
    for plan in todo:
        kept = land_plan(landing, plan, replace_existing=lz.is_landed(landing, plan.source, plan.key), now=now)
        if kept:
            outcome.replaced.append((plan.source, plan.key, kept))
        else:
            outcome.landed.append((plan.source, plan.key))
    return outcome


@dataclass(frozen=True)
class ImportedInput:
    """One input file (or folder) being imported: what it is and when its data was observed."""

    path: Path
    sha256: str
    observed_at: datetime  # aware UTC
    observed_at_from: str  # what set observed_at: a field of the file, `--observed-at`, the window's manifest, ...
    now: datetime


def provenance(importer: str, imported: ImportedInput, **more: Any) -> dict[str, Any]:
    """The manifest's `import` block: where the data came from and how it was placed."""
    return {
        "importer": importer,
        "importer_version": IMPORTER_VERSION,
        "observation": "imported",  # vs "observed live": this pipeline did not fetch it itself
        "origin_file": str(imported.path),
        "origin_sha256": imported.sha256,
        "origin_bytes": imported.path.stat().st_size if imported.path.is_file() else None,
        "observed_at": imported.observed_at.isoformat(),
        "observed_at_from": imported.observed_at_from,
        "imported_at": imported.now.astimezone(UTC).isoformat(),
        **more,
    }


def imported_file_plan(
    imported: ImportedInput,
    *,
    source: str,
    importer: str,
    files: list[lz.RawFile],
    note: str,
    manifest: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> WindowPlan:
    """The plan for one imported input: `manifest` fields, then the note and the provenance (with `details`)."""
    return WindowPlan(
        source=source,
        observed_at=imported.observed_at,
        files=files,
        origin=ORIGIN,
        origin_file=str(imported.path),
        origin_sha256=imported.sha256,
        extra={**(manifest or {}), "note": note, "import": provenance(importer, imported, **(details or {}))},
    )
