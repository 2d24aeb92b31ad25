"""Window snapshots of a source: replay what is landed, fetch live only the window that just closed,
record everything else as missing, and load each window all-or-nothing.

Order of work: (1) network I/O and landing, with no DuckDB connection open; (2) one write connection to
parse and load the windows in short explicit transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import polars as pl

from assets import landing as lz
from assets.quality.load_rules import LOAD_RULES_PREFIX
from assets.quality.quarantine import overrides, record_fields
from assets.warehouse import LogRow, open_warehouse, replace_windows
from assets.windows import latest_closed_window, window_key, window_starts

# Windows loaded per transaction in a range run: bounds memory, keeps each window all-or-nothing.
CHUNK_WINDOWS = 64


@dataclass(frozen=True)
class Source:
    name: str  # landing folder and meta.snapshot_log.source
    table: str  # raw table the windows load into
    parser_version: str
    # Returns the window's rows, or (rows, notes): notes are non-fatal findings (skipped records, partial
    # rejections) that are logged and kept in meta.snapshot_log.message.
    parse: Callable[[lz.LandedWindow, datetime], pl.DataFrame | tuple[pl.DataFrame, list[str]]]
    window_column: str = "window_start"  # the table's column holding the window start
    # Several sources loading into one table: the column holding the source name, so a window load replaces
    # only this source's rows of the window (raw.legacy_scores.landing_source). None: the table is the source's.
    scope_column: str | None = None
    # Tier-1 quality rules (e.g. assets.quality.load_rules.LoadRules): problems of a parsed window; any
    # problem quarantines it at load (no rows, files kept). Skipped for a window released by an override.
    validate: Callable[[pl.DataFrame, lz.LandedWindow], list[str]] | None = None
    # Top-level fields of the window's raw records -> record count, kept in meta.raw_fields (schema drift).
    fields: Callable[[lz.LandedWindow], dict[str, int]] | None = None


@dataclass
class SnapshotReport:
    source: str
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)
    fetched_live: list[str] = field(default_factory=list)
    fetch_failed: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    rows: int = 0

    def metadata(self) -> dict:
        def sample(keys):
            return ", ".join(keys[:5]) + (f" … (+{len(keys) - 5})" if len(keys) > 5 else "")

        return {
            "source": self.source,  # meta.snapshot_log.source: names the counts in the CLI's run summary
            "windows_loaded": len(self.loaded),
            "windows_unchanged": len(self.unchanged),
            "windows_missing": len(self.missing),
            "windows_quarantined": len(self.quarantined),
            "fetched_live": ", ".join(self.fetched_live) or "none",
            "rows_loaded": self.rows,
            "missing": sample(self.missing) or "none",
            "quarantined": "; ".join(f"{k}: {v}" for k, v in list(self.quarantined.items())[:5]) or "none",
            "notes": "; ".join(f"{k}: {n}" for k, ns in list(self.notes.items())[:5] for n in ns[:5]) or "none",
        }


def snapshot(
    source: Source,
    windows: list[datetime],
    *,
    landing,
    warehouse,
    live_window: datetime | None,
    fetch: Callable[[datetime], tuple[list[lz.RawFile], dict]] | None,
    log: Callable[[str], None],
    now: Callable[[], datetime],
) -> SnapshotReport:
    """Bring `source` up to date for `windows` (one window or a backfill range)."""
    report = SnapshotReport(source.name)

    # (1) Live fetch, only for the most recent closed window, only if it is not landed yet.
    if live_window is not None and fetch is not None and live_window in windows:
        key = window_key(live_window)
        if not lz.is_landed(landing, source.name, key):
            try:
                files, extra = fetch(live_window)
                lz.land_window(landing, source.name, key, files, origin="live", fetched_at=now(), extra=extra)
                report.fetched_live.append(key)
                log(f"{source.name} {key}: landed {sum(f.n_records for f in files)} records live")
            except Exception as exc:  # nothing landed: the temp folder is gone, the window stays unobserved
                report.fetch_failed[key] = f"{type(exc).__name__}: {exc}"
                log(f"{source.name} {key}: live fetch failed, nothing landed: {exc}")

    # (2) Load. Only now is the warehouse opened (it is single-writer).
    with open_warehouse(warehouse) as con:
        # A window already loaded (or quarantined) from the same manifest by the same parser is left as it is:
        # a plain re-run never silently releases a quarantined window (see assets/quality/quarantine.py).
        known = {
            key: (fingerprint, status, message)
            for key, fingerprint, status, message in con.execute(
                "SELECT window_key, load_fingerprint, status, message FROM meta.snapshot_log "
                "WHERE source = ? AND status IN ('observed', 'imported', 'quarantined')",
                [source.name],
            ).fetchall()
        }
        overridden = overrides(con, source.name)
        for i in range(0, len(windows), CHUNK_WINDOWS):
            chunk = windows[i : i + CHUNK_WINDOWS]
            frames, log_rows, touched, field_rows = [], [], [], []
            for start in chunk:
                key = window_key(start)
                if not lz.is_landed(landing, source.name, key):
                    message = report.fetch_failed.get(key) or "not observed: no landed snapshot for this window"
                    log_rows.append(LogRow(source.name, start, key, "missing", message=message))
                    report.missing.append(key)
                    touched.append(start)
                    continue
                fingerprint = f"{lz.manifest_sha256(landing, source.name, key)}:{source.parser_version}"
                fingerprint_was, status_was, message_was = known.get(key, (None, None, None))
                if fingerprint_was == fingerprint:
                    if status_was == "quarantined":
                        report.quarantined[key] = message_was or "quarantined"
                    else:
                        report.unchanged.append(key)
                    continue
                touched.append(start)
                path = str(lz.window_dir(landing, source.name, key))
                try:
                    window = lz.read_window(landing, source.name, key)
                    parsed = source.parse(window, start)
                except (lz.LandingError, ValueError, KeyError) as exc:
                    report.quarantined[key] = str(exc)
                    log(f"{source.name} {key}: quarantined: {exc}")
                    log_rows.append(LogRow(source.name, start, key, "quarantined", landing_path=path,
                                           load_fingerprint=fingerprint, message=str(exc)))
                    continue
                frame, notes = parsed if isinstance(parsed, tuple) else (parsed, [])
                if source.fields is not None:  # the bodies parsed, so they are readable
                    field_rows += [(source.name, start, f, n) for f, n in sorted(source.fields(window).items())]
                problems = source.validate(frame, window) if source.validate else []
                if problems and overridden.get(key) == fingerprint:
                    log(f"{source.name} {key}: load rules overridden ({'; '.join(problems)})")
                elif problems:
                    message = LOAD_RULES_PREFIX + "; ".join(problems)
                    report.quarantined[key] = message
                    log(f"{source.name} {key}: quarantined: {message}")
                    log_rows.append(LogRow(source.name, start, key, "quarantined", origin=window.origin,
                                           n_records=frame.height, n_files=len(window.files),
                                           fetched_at=window.fetched_at, landing_path=path,
                                           load_fingerprint=fingerprint, message=message))
                    continue
                for note in notes:
                    log(f"{source.name} {key}: {note}")
                if notes:
                    report.notes[key] = notes
                status = "imported" if window.origin == "imported" else "observed"
                log_rows.append(
                    LogRow(source.name, start, key, status, origin=window.origin, n_records=frame.height,
                           n_files=len(window.files), fetched_at=window.fetched_at, landing_path=path,
                           load_fingerprint=fingerprint, message="; ".join(notes) or None)
                )
                frames.append(frame)
                report.loaded.append(key)
                report.rows += frame.height
            if touched:
                rows = pl.concat(frames).to_arrow() if frames else None
                replace_windows(con, source.table, touched, rows, log_rows, window_column=source.window_column,
                                scope=(source.scope_column, source.name) if source.scope_column else None,
                                also=lambda c: record_fields(c, source.name, touched, field_rows))
    return report


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def live_window(settings) -> datetime | None:
    """The window a run may fetch live: the one that just closed, or none when offline."""
    return None if settings.offline else latest_closed_window(utc_now())


def run_snapshot(context, settings, source: Source, fetch) -> SnapshotReport:
    """`snapshot` over the run's windows, as every snapshot asset runs it. A failed live fetch fails the step
    (so the UI shows the window) after the other windows are loaded and logged."""
    import dagster as dg

    tw = context.partition_time_window
    report = snapshot(source, window_starts(tw.start, tw.end), landing=settings.landing,
                      warehouse=settings.warehouse, live_window=live_window(settings), fetch=fetch,
                      log=context.log.info, now=utc_now)
    if report.fetch_failed:
        raise dg.Failure(
            description="; ".join(f"{source.name} window {k}: live fetch failed: {e}" for k, e in report.fetch_failed.items()),
            metadata=report.metadata(),
        )
    return report
