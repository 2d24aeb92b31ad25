"""Window snapshots of a source: replay what is landed, fetch live only the window that just closed,
record everything else as missing, and load each window all-or-nothing.

Order of work: (1) network I/O and landing, with no DuckDB connection open; (2) one write connection to
parse and load the windows in short explicit transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from assets import landing as lz
from assets.warehouse import LogRow, open_warehouse, replace_windows
from assets.windows import window_key

# Windows loaded per transaction in a range run: bounds memory, keeps each window all-or-nothing.
CHUNK_WINDOWS = 64


@dataclass(frozen=True)
class Source:
    name: str  # landing folder and meta.snapshot_log.source
    table: str  # raw table the windows load into
    parser_version: str
    parse: Callable[[lz.LandedWindow, datetime], pl.DataFrame]


@dataclass
class SnapshotReport:
    source: str
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)
    fetched_live: list[str] = field(default_factory=list)
    fetch_failed: dict[str, str] = field(default_factory=dict)
    rows: int = 0

    def metadata(self) -> dict:
        def sample(keys):
            return ", ".join(keys[:5]) + (f" … (+{len(keys) - 5})" if len(keys) > 5 else "")

        return {
            "windows_loaded": len(self.loaded),
            "windows_unchanged": len(self.unchanged),
            "windows_missing": len(self.missing),
            "windows_quarantined": len(self.quarantined),
            "fetched_live": ", ".join(self.fetched_live) or "none",
            "rows_loaded": self.rows,
            "missing": sample(self.missing) or "none",
            "quarantined": "; ".join(f"{k}: {v}" for k, v in list(self.quarantined.items())[:5]) or "none",
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
        known = dict(
            con.execute(
                "SELECT window_key, load_fingerprint FROM meta.snapshot_log WHERE source = ? AND status IN ('observed', 'imported')",
                [source.name],
            ).fetchall()
        )
        for i in range(0, len(windows), CHUNK_WINDOWS):
            chunk = windows[i : i + CHUNK_WINDOWS]
            frames, log_rows, touched = [], [], []
            for start in chunk:
                key = window_key(start)
                if not lz.is_landed(landing, source.name, key):
                    message = report.fetch_failed.get(key) or "not observed: no landed snapshot for this window"
                    log_rows.append(LogRow(source.name, start, key, "missing", message=message))
                    report.missing.append(key)
                    touched.append(start)
                    continue
                fingerprint = f"{lz.manifest_sha256(landing, source.name, key)}:{source.parser_version}"
                if known.get(key) == fingerprint:
                    report.unchanged.append(key)
                    continue
                touched.append(start)
                path = str(lz.window_dir(landing, source.name, key))
                try:
                    window = lz.read_window(landing, source.name, key)
                    frame = source.parse(window, start)
                except (lz.LandingError, ValueError, KeyError) as exc:
                    report.quarantined[key] = str(exc)
                    log(f"{source.name} {key}: quarantined: {exc}")
                    log_rows.append(LogRow(source.name, start, key, "quarantined", landing_path=path,
                                           load_fingerprint=fingerprint, message=str(exc)))
                    continue
                status = "imported" if window.origin == "imported" else "observed"
                log_rows.append(
                    LogRow(source.name, start, key, status, origin=window.origin, n_records=frame.height,
                           n_files=len(window.files), fetched_at=window.fetched_at, landing_path=path,
                           load_fingerprint=fingerprint)
                )
                frames.append(frame)
                report.loaded.append(key)
                report.rows += frame.height
            if touched:
                rows = pl.concat(frames).to_arrow() if frames else None
                replace_windows(con, source.table, touched, rows, log_rows)
    return report
