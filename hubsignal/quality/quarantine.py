"""Quarantine bookkeeping: which windows blocking checks rejected, and how they are released.

Two truths, one reading: `meta.window_loads` holds each window's load outcome (written by the loader only;
status `quarantined` there = rejected AT LOAD: unparsable, or a tier-1 load rule), and `meta.quarantine` holds
the check quarantines (one row per failing blocking check, active while released_at IS NULL; this module
writes it). `meta.snapshot_log` is a view over both (sql/ddl/60_shared_rules.sql): a window whose load was
accepted is `quarantined` there while it has an active row, with `message` = `check <name>: <reason>`
joined by ` | `. Its files stay in the landing zone and its raw rows stay in `raw.*` (so a check can look at
it again), but staging views keep only observed/imported windows, so no mart sees it.

Release:
- re-run: every run re-evaluates the checks over its windows, quarantined ones included; a check that now
  passes on a window releases its row, and the window is observed again once no check holds it;
- override (`hubsignal release WINDOW --source S --reason ...`): recorded in `meta.quarantine_overrides`
  for the window's current data (load fingerprint). Later failures on that same data are reported as
  warnings, not re-quarantined; new data for the window (another manifest or parser) is checked afresh.

A plain re-run of unchanged data never releases anything by itself: the snapshot loader skips a quarantined
window whose fingerprint did not change (hubsignal/snapshots.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from hubsignal.quality.load_rules import LOAD_RULES_PREFIX
from hubsignal.values import naive_utc
from hubsignal.warehouse import atomically
from hubsignal.windows import window_key

CHECK_PREFIX = "check "  # meta.snapshot_log.message of a window quarantined by checks: "check <name>: <reason>"
# meta.quarantine.released_by (the view meta.snapshot_log words its message from them)
PASSES = "re-run: check passes"
RELOADED_FAILS = "re-run: check fails on the reloaded data"  # the row of the new data replaces it
OVERRIDE = "override: "


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Outcome:
    """What one check evaluation did to the windows it covered (window key -> reason)."""

    new: dict[str, str] = field(default_factory=dict)  # quarantined now: the check fails (blocks)
    still: dict[str, str] = field(default_factory=dict)  # already quarantined and still failing
    overridden: dict[str, str] = field(default_factory=dict)  # failing, but released by an override
    released: list[str] = field(default_factory=list)  # the check passes again and nothing else holds them
    unlogged: dict[str, str] = field(default_factory=dict)  # failing windows meta.snapshot_log does not know


def overrides(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str | None]:
    """window key -> load fingerprint of its latest explicit release."""
    rows = con.execute(
        "SELECT window_key, arg_max(load_fingerprint, released_at) FROM meta.quarantine_overrides "
        "WHERE source = ? GROUP BY window_key",
        [source],
    ).fetchall()
    return dict(rows)


def record_fields(con, source: str, window_starts: Iterable[datetime], rows: list[tuple]) -> None:
    """Replace the meta.raw_fields rows of these windows (call inside the load's transaction)."""
    starts = [naive_utc(w) for w in window_starts]
    con.execute("DELETE FROM meta.raw_fields WHERE source = ? AND window_start IN (SELECT unnest(?))", [source, starts])
    if rows:
        con.executemany(
            "INSERT INTO meta.raw_fields VALUES (?, ?, ?, ?)", [(s, naive_utc(w), f, n) for s, w, f, n in rows]
        )


def is_accepted(con: duckdb.DuckDBPyConnection, status: str | None) -> bool:
    """The warehouse's one accepted-status rule (macro is_accepted, sql/ddl/60_shared_rules.sql)."""
    return bool(con.execute("SELECT is_accepted(?)", [status]).fetchone()[0])


def apply_check_outcome(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    check_name: str,
    start: datetime,
    end: datetime,
    failing: dict[datetime, tuple[str, int]],
    run_id: str | None = None,
) -> Outcome:
    """Record one blocking check's verdict on the windows of [start, end) of `source` in meta.quarantine (the
    only thing it writes: meta.snapshot_log derives each window's status from it).

    `failing`: window start -> (reason, offending rows) for every window the check found offending rows in;
    every other window of the range passed it. A window is quarantined NOW (Outcome.new) when its load was
    accepted and no check held its current data (rows quarantined before its latest load judged older data).
    """
    start, end = naive_utc(start), naive_utc(end)
    failing = {naive_utc(w): v for w, v in failing.items()}
    now = _now()

    def record(con: duckdb.DuckDBPyConnection) -> Outcome:
        out = Outcome()  # made afresh by every attempt (atomically() may run this again)
        loads = {
            ws: (accepted, fingerprint, loaded_at)
            for ws, accepted, fingerprint, loaded_at in con.execute(
                "SELECT window_start, is_accepted(status), load_fingerprint, loaded_at FROM meta.window_loads "
                "WHERE source = ? AND window_start >= ? AND window_start < ?",
                [source, start, end],
            ).fetchall()
        }
        released_by_override = overrides(con, source)
        holds = {}  # window -> [(check_name, quarantined_at)] of its active rows
        for ws, name, quarantined_at in con.execute(
            "SELECT window_start, check_name, quarantined_at FROM meta.quarantine WHERE source = ? "
            "AND released_at IS NULL AND window_start >= ? AND window_start < ?",
            [source, start, end],
        ).fetchall():
            holds.setdefault(ws, []).append((name, quarantined_at))
        for ws, (reason, n) in sorted(failing.items()):
            key = window_key(ws)
            if ws not in loads:
                out.unlogged[key] = reason
                continue
            accepted, fingerprint, loaded_at = loads[ws]
            if key in released_by_override and released_by_override[key] == fingerprint:
                out.overridden[key] = reason
                continue
            held = holds.get(ws, [])
            mine = [at for name, at in held if name == check_name]
            if mine and mine[0] >= loaded_at:
                con.execute(
                    "UPDATE meta.quarantine SET reason = ?, n_offending = ? WHERE source = ? AND window_start = ? "
                    "AND check_name = ? AND released_at IS NULL",
                    [reason, n, source, ws, check_name],
                )
            else:
                if mine:  # it held older data of the window: the reloaded data is quarantined afresh
                    _release(con, source, ws, check_name, now, RELOADED_FAILS)
                con.execute(
                    "INSERT INTO meta.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                    [source, ws, key, check_name, reason, n, now, run_id],
                )
            if accepted and not any(at >= loaded_at for _, at in held):
                out.new[key] = reason
            else:
                out.still[key] = reason
        for ws in sorted(w for w, held in holds.items() if w not in failing and any(n == check_name for n, _ in held)):
            _release(con, source, ws, check_name, now, PASSES)
            if loads.get(ws, (False,))[0] and all(n == check_name for n, _ in holds[ws]):
                out.released.append(window_key(ws))
        return out

    return atomically(con, record, f"{check_name} verdict on {source}")


def _release(con, source: str, ws: datetime, check_name: str, now: datetime, released_by: str) -> None:
    con.execute(
        "UPDATE meta.quarantine SET released_at = ?, released_by = ? "
        "WHERE source = ? AND window_start = ? AND check_name = ? AND released_at IS NULL",
        [now, released_by, source, ws, check_name],
    )


class ReleaseError(ValueError):
    """The window cannot be released (the message says why)."""


def release(con: duckdb.DuckDBPyConnection, source: str, key: str, reason: str) -> str:
    """Explicit override: accept window `key` of `source` although checks (or the load rules) reject it.
    Returns what happened."""
    if not reason.strip():
        raise ReleaseError("a release needs a reason (it is recorded in meta.quarantine_overrides)")

    def override(con: duckdb.DuckDBPyConnection) -> str:
        row = con.execute(
            "SELECT s.window_start, s.status, s.load_fingerprint, s.message, l.status = 'quarantined', l.message "
            "FROM meta.snapshot_log AS s JOIN meta.window_loads AS l USING (source, window_start) "
            "WHERE s.source = ? AND s.window_key = ?",
            [source, key],
        ).fetchone()
        if row is None:
            raise ReleaseError(f"{source} window {key}: not in meta.snapshot_log (never loaded)")
        ws, status, fingerprint, message, at_load, load_message = row
        if status != "quarantined":
            raise ReleaseError(f"{source} window {key}: status is {status!r}, not quarantined")
        load_rules = at_load and (load_message or "").startswith(LOAD_RULES_PREFIX)
        if at_load and not load_rules:
            raise ReleaseError(
                f"{source} window {key}: quarantined at load because it cannot be read ({message}); "
                "an override cannot make it loadable: fix the parser (bump its version) or the landed data"
            )
        now = _now()
        con.execute(
            "INSERT INTO meta.quarantine_overrides VALUES (?, ?, ?, ?, ?, ?)",
            [source, ws, key, reason, fingerprint, now],
        )
        con.execute(  # the view meta.snapshot_log then says `released by override (<reason>) (was: ...)`
            "UPDATE meta.quarantine SET released_at = ?, released_by = ? "
            "WHERE source = ? AND window_start = ? AND released_at IS NULL",
            [now, OVERRIDE + reason, source, ws],
        )
        if load_rules:
            # No rows were loaded: forget the fingerprint so the next run loads it (without the load rules).
            con.execute(
                "UPDATE meta.window_loads SET load_fingerprint = NULL, message = ? WHERE source = ? AND window_start = ?",
                [f"released by override ({reason}); loads on the next run of this window (was: {message})", source, ws],
            )
            return "released: the next run of this window loads it without the load rules"
        return "released: the next run of this window rebuilds the marts with it"

    return atomically(con, override, f"release {source} {key}")
