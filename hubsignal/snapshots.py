"""Window snapshots of a source: replay what is landed, fetch live only the window that just closed,
record everything else as missing, and load each window all-or-nothing.

Order of work: (1) network I/O and landing, with no DuckDB connection open; (2) one write connection to
parse and load the windows in short explicit transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import polars as pl

from hubsignal import landing as lz
from hubsignal.quality.load_rules import LOAD_RULES_PREFIX
from hubsignal.quality.quarantine import overrides, record_fields
from hubsignal.values import naive_utc
from hubsignal.warehouse import LogRow, claim_window_writes, open_warehouse, replace_windows, transaction, write_log
from hubsignal.windows import latest_closed_window, window_key

# Windows loaded per transaction in a range run: bounds memory, keeps each window all-or-nothing.
CHUNK_WINDOWS = 64


class NotScheduled(Exception):  # noqa: N818 (an outcome, not an error)
    """Raised by a fetch whose source is not crawled in this window (a cadence setting): the window is
    recorded missing with the message, and the step does not fail."""


@dataclass
class Source:
    name: str  # landing folder and meta.snapshot_log.source
    table: str  # raw table the windows load into
    parser_version: str
    # Returns the window's rows, or (rows, notes), or (rows, notes, record errors): notes are non-fatal findings
    # (skipped entries, partial rejections) that are logged and kept in meta.snapshot_log.message; record
    # errors (lz.RecordError: one record unreadable, the others load) go to meta.record_errors and are
    # summed up in a note.
    parse: Callable[
        [lz.LandedWindow, datetime],
        pl.DataFrame | tuple[pl.DataFrame, list[str]] | tuple[pl.DataFrame, list[str], list[lz.RecordError]],
    ]
    window_column: str = "window_start"  # the table's column holding the window start
    # Several sources loading into one table: the column holding the source name, so a window load replaces
    # only this source's rows of the window (raw.legacy_scores.landing_source). None: the table is the source's.
    scope_column: str | None = None
    # Tier-1 quality rules (e.g. hubsignal.quality.load_rules.LoadRules): problems of a parsed window; any
    # problem quarantines it at load (no rows, files kept). Skipped for a window released by an override.
    validate: Callable[[pl.DataFrame, lz.LandedWindow], list[str]] | None = None
    # Top-level fields of the window's raw records -> record count, kept in meta.raw_fields (schema drift).
    fields: Callable[[lz.LandedWindow], dict[str, int]] | None = None
    # Bulk sources (millions of records a window): instead of `parse`, `load(con, files, window_start)` inserts
    # the window's rows with DuckDB's own readers straight from the landed files (checked against their
    # sha256 first) inside the window's transaction, and returns the row count. Each window loads alone.
    load: Callable[[object, list, datetime], int] | None = None
    # With `load`: `unload(con, window_start)` removes what `load` writes besides `table` (e.g. the graph's edge
    # intervals) when a window's rows go because its load failed (inside that transaction).
    unload: Callable[[object, datetime], None] | None = None


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
    record_errors: dict[str, list[lz.RecordError]] = field(default_factory=dict)
    rows: int = 0

    def quarantine(self, start: datetime, key: str, message: str, warn, **log_fields) -> LogRow:
        """Note a window as quarantined and warn about it; returns its snapshot-log row."""
        self.quarantined[key] = message
        warn(f"{self.source} {key}: quarantined: {message}")
        return LogRow(self.source, start, key, "quarantined", message=message, **log_fields)

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
            "record_errors": sum(len(e) for e in self.record_errors.values()),
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
    warn: Callable[[str], None] | None = None,
) -> SnapshotReport:
    """Bring `source` up to date for `windows` (one window or a backfill range). `warn` (default `log`) gets
    what a reader should notice: failed fetches, quarantined windows, skipped records and rejected parts."""
    warn = warn or log
    report = SnapshotReport(source.name)
    skipped: dict[str, str] = {}

    # (1) Live fetch, only for the most recent closed window, only if it is not landed yet.
    if live_window is not None and fetch is not None and live_window in windows:
        key = window_key(live_window)
        if not lz.is_landed(landing, source.name, key):
            try:
                fetched = fetch(live_window)
                if fetched is not None:  # None: the fetch landed the window itself (a resumable crawl)
                    files, extra = fetched
                    lz.land_window(landing, source.name, key, files, origin="live", fetched_at=now(), extra=extra)
                    log(f"{source.name} {key}: landed {sum(f.n_records for f in files)} records live")
                report.fetched_live.append(key)
            except NotScheduled as exc:
                skipped[key] = f"not observed: {exc}"
            except Exception as exc:  # nothing landed: the temp folder is gone, the window stays unobserved
                report.fetch_failed[key] = f"{type(exc).__name__}: {exc}"
                warn(f"{source.name} {key}: live fetch failed, nothing landed: {exc}")

    # (2) Load. Only now is the warehouse opened (it is single-writer).
    with open_warehouse(warehouse) as con:
        # A window already loaded (or quarantined) from the same manifest by the same parser is left as it is:
        # a plain re-run never silently releases a quarantined window (see hubsignal/quality/quarantine.py).
        known = {
            key: (fingerprint, status, message)
            for key, fingerprint, status, message in con.execute(
                "SELECT window_key, load_fingerprint, status, message FROM meta.snapshot_log "
                "WHERE source = ? AND (is_accepted(status) OR status = 'quarantined')",
                [source.name],
            ).fetchall()
        }
        # A window already recorded missing for the same reason is left as it is: a year-long range re-run does
        # not rewrite a thousand unchanged rows.
        missing_was = dict(
            con.execute(
                "SELECT window_key, message FROM meta.snapshot_log WHERE source = ? AND status = 'missing'",
                [source.name],
            ).fetchall()
        )
        overridden = overrides(con, source.name)
        for i in range(0, len(windows), CHUNK_WINDOWS):
            chunk = windows[i : i + CHUNK_WINDOWS]
            frames, log_rows, touched, field_rows, error_rows = [], [], [], [], []
            for start in chunk:
                key = window_key(start)
                if not lz.is_landed(landing, source.name, key):
                    message = (
                        report.fetch_failed.get(key)
                        or skipped.get(key)
                        or "not observed: no landed snapshot for this window"
                    )
                    report.missing.append(key)
                    if missing_was.get(key) == message:
                        continue
                    log_rows.append(LogRow(source.name, start, key, "missing", message=message))
                    touched.append(start)
                    continue
                fingerprint = f"{lz.load_identity(landing, source.name, key)}:{source.parser_version}"
                fingerprint_was, status_was, message_was = known.get(key, (None, None, None))
                if fingerprint_was == fingerprint:
                    if status_was == "quarantined":
                        report.quarantined[key] = message_was or "quarantined"
                        continue
                    # The fingerprint covers the manifest, not the data files: re-hash them (cheap next to a
                    # parse), so a file changed after its load is noticed and the window quarantined below.
                    if not lz.file_problems(landing, source.name, key):
                        report.unchanged.append(key)
                        continue
                path = str(lz.window_dir(landing, source.name, key))
                if source.load is not None:
                    _bulk_load(con, source, landing, start, key, path, fingerprint, report, warn)
                    continue
                touched.append(start)
                try:
                    window = lz.read_window(landing, source.name, key)
                    parsed = source.parse(window, start)
                except (lz.LandingError, ValueError, KeyError) as exc:
                    # Files changed since landing: never the load fingerprint, so every run re-reads the window
                    # (cheap: it fails at the hash) and loads it again once the landed bytes are restored.
                    damaged = isinstance(exc, lz.LandingError) and lz.file_problems(landing, source.name, key)
                    logged = lz.DAMAGED_PREFIX + fingerprint if damaged else fingerprint
                    log_rows.append(
                        report.quarantine(start, key, str(exc), warn, landing_path=path, load_fingerprint=logged)
                    )
                    continue
                frame, notes, errors = (
                    (parsed + ([],) * (3 - len(parsed))) if isinstance(parsed, tuple) else (parsed, [], [])
                )
                if errors:
                    notes = [*notes, record_errors_note(errors)]
                if source.fields is not None:  # the bodies parsed, so they are readable
                    field_rows += [(source.name, start, f, n) for f, n in sorted(source.fields(window).items())]
                problems = source.validate(frame, window) if source.validate else []
                parsed_window = {
                    "origin": window.origin,
                    "n_records": frame.height,
                    "n_files": len(window.files),
                    "fetched_at": window.fetched_at,
                    "landing_path": path,
                    "load_fingerprint": fingerprint,
                }
                if problems and overridden.get(key) == fingerprint:
                    log(f"{source.name} {key}: load rules overridden ({'; '.join(problems)})")
                elif problems:
                    log_rows.append(
                        report.quarantine(start, key, LOAD_RULES_PREFIX + "; ".join(problems), warn, **parsed_window)
                    )
                    continue
                for note in notes:
                    warn(f"{source.name} {key}: {note}")
                if notes:
                    report.notes[key] = notes
                status = "imported" if window.origin == "imported" else "observed"
                log_rows.append(
                    LogRow(source.name, start, key, status, message="; ".join(notes) or None, **parsed_window)
                )
                frames.append(frame)
                error_rows += [(source.name, start, key, e.record, e.reason, e.location) for e in errors]
                if errors:
                    report.record_errors[key] = errors
                report.loaded.append(key)
                report.rows += frame.height
            if touched:
                rows = pl.concat(frames).to_arrow() if frames else None
                replace_windows(
                    con,
                    source.table,
                    touched,
                    rows,
                    log_rows,
                    window_column=source.window_column,
                    scope=(source.scope_column, source.name) if source.scope_column else None,
                    also=lambda c: (
                        record_fields(c, source.name, touched, field_rows),
                        record_errors(c, source.name, touched, error_rows),
                    ),
                )
    return report


def _bulk_load(con, source: Source, landing, start: datetime, key: str, path: str, fingerprint: str, report, warn):
    """One window of a bulk source, all-or-nothing in its own transaction (see Source.load)."""
    try:
        manifest, files = lz.verify_window(landing, source.name, key)
    except lz.LandingError as exc:
        log_row = report.quarantine(start, key, str(exc), warn, landing_path=path, load_fingerprint=fingerprint)
        unload = (lambda c: source.unload(c, start)) if source.unload else None
        replace_windows(con, source.table, [start], None, [log_row], window_column=source.window_column, also=unload)
        return
    origin = manifest["origin"]
    note = manifest.get("note") if origin == "imported" else None
    with transaction(con):
        claim_window_writes(con)
        con.execute(f"DELETE FROM {source.table} WHERE {source.window_column} = ?", [naive_utc(start)])
        try:
            rows = source.load(con, files, start) if files else 0
        except duckdb.Error as exc:  # a landed file DuckDB cannot read: the window is quarantined, files kept
            rows, problem = 0, f"{path}: unreadable by DuckDB ({type(exc).__name__}: {exc})"
        else:
            problem = None if rows else "the window holds no model"
        if problem:
            con.execute("ROLLBACK")
            con.execute("BEGIN TRANSACTION")
            con.execute(f"DELETE FROM {source.table} WHERE {source.window_column} = ?", [naive_utc(start)])
            if source.unload:
                source.unload(con, start)
            report.quarantined[key] = problem
            warn(f"{source.name} {key}: quarantined: {problem}")
        status = "quarantined" if problem else ("imported" if origin == "imported" else "observed")
        write_log(
            con,
            [
                LogRow(
                    source.name,
                    start,
                    key,
                    status,
                    origin=origin,
                    n_records=rows,
                    n_files=len(files),
                    fetched_at=datetime.fromisoformat(manifest["fetched_at"]),
                    landing_path=path,
                    load_fingerprint=fingerprint,
                    message=problem or note,
                )
            ],
        )
    if not problem:
        report.loaded.append(key)
        report.rows += rows


def record_errors_note(errors: list[lz.RecordError], listed: int = 5) -> str:
    """The meta.snapshot_log.message note naming a window's unreadable records and why."""
    named = "; ".join(f"{e.record}: {e.reason}" for e in errors[:listed])
    more = f" … (+{len(errors) - listed})" if len(errors) > listed else ""
    return f"{len(errors)} record(s) unreadable, loaded without them (meta.record_errors): {named}{more}"


def record_errors(con, source: str, window_starts: list[datetime], rows: list[tuple]) -> None:
    """Replace the meta.record_errors rows of these windows (call inside the load's transaction): a window
    reloaded, quarantined or found missing keeps only the errors of its current load."""
    starts = [naive_utc(w) for w in window_starts]
    con.execute(
        "DELETE FROM meta.record_errors WHERE source = ? AND window_start IN (SELECT unnest(?))", [source, starts]
    )
    if rows:
        con.executemany(
            "INSERT INTO meta.record_errors VALUES (?, ?, ?, ?, ?, ?)",
            [(s, naive_utc(w), k, r, why, at) for s, w, k, r, why, at in rows],
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


def live_window(settings) -> datetime | None:
    """The window a run may fetch live: the one that just closed, or none when offline."""
    return None if settings.offline else latest_closed_window(utc_now())
