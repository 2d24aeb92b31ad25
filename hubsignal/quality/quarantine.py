"""Quarantine bookkeeping: which windows blocking checks rejected, and how they are released.

A window is quarantined in `meta.snapshot_log` (status `quarantined`, `message` = why) while it has an
active row in `meta.quarantine` (one per failing check), or when the load itself rejected it (unparsable,
or a tier-1 load rule). Its files stay in the landing zone and its raw rows stay in `raw.*` (so a check can
look at it again), but staging views keep only observed/imported windows, so no mart sees it.

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


def _sync_log(con, source: str, start: datetime) -> str | None:
    """Make meta.snapshot_log agree with the window's active quarantine rows. Returns the new status if changed."""
    row = con.execute(
        "SELECT status, origin, message, is_accepted(status) FROM meta.snapshot_log WHERE source = ? AND window_start = ?",
        [source, start],
    ).fetchone()
    if row is None:
        return None
    status, origin, message, accepted = row
    active = con.execute(
        "SELECT check_name, reason FROM meta.quarantine WHERE source = ? AND window_start = ? AND released_at IS NULL "
        "ORDER BY quarantined_at, check_name",
        [source, start],
    ).fetchall()
    if active:
        text = " | ".join(f"{CHECK_PREFIX}{name}: {reason}" for name, reason in active)
        if accepted or (status == "quarantined" and (message or "").startswith(CHECK_PREFIX)):
            con.execute(
                "UPDATE meta.snapshot_log SET status = 'quarantined', message = ? WHERE source = ? AND window_start = ?",
                [text, source, start],
            )
            return "quarantined" if accepted else None
        return None  # quarantined at load: that reason stands
    if status == "quarantined" and (message or "").startswith(CHECK_PREFIX):
        restored = "imported" if origin == "imported" else "observed"
        con.execute(
            "UPDATE meta.snapshot_log SET status = ?, message = ? WHERE source = ? AND window_start = ?",
            [restored, f"released {_now():%Y-%m-%d %H:%M} UTC (was: {message})", source, start],
        )
        return restored
    return None


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
    """Record one blocking check's verdict on the windows of [start, end) of `source`.

    `failing`: window start -> (reason, offending rows) for every window the check found offending rows in;
    every other window of the range passed it.
    """
    start, end = naive_utc(start), naive_utc(end)
    failing = {naive_utc(w): v for w, v in failing.items()}
    now = _now()

    def record(con: duckdb.DuckDBPyConnection) -> Outcome:
        out = Outcome()  # made afresh by every attempt (atomically() may run this again)
        log = {
            ws: (status, fingerprint)
            for ws, status, fingerprint in con.execute(
                "SELECT window_start, status, load_fingerprint FROM meta.snapshot_log "
                "WHERE source = ? AND window_start >= ? AND window_start < ?",
                [source, start, end],
            ).fetchall()
        }
        released_by_override = overrides(con, source)
        active = {
            ws
            for (ws,) in con.execute(
                "SELECT DISTINCT window_start FROM meta.quarantine WHERE source = ? AND check_name = ? "
                "AND released_at IS NULL AND window_start >= ? AND window_start < ?",
                [source, check_name, start, end],
            ).fetchall()
        }
        for ws, (reason, n) in sorted(failing.items()):
            key = window_key(ws)
            if ws not in log:
                out.unlogged[key] = reason
                continue
            status, fingerprint = log[ws]
            if key in released_by_override and released_by_override[key] == fingerprint:
                out.overridden[key] = reason
                continue
            if ws in active:
                con.execute(
                    "UPDATE meta.quarantine SET reason = ?, n_offending = ? WHERE source = ? AND window_start = ? "
                    "AND check_name = ? AND released_at IS NULL",
                    [reason, n, source, ws, check_name],
                )
            else:
                con.execute(
                    "INSERT INTO meta.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                    [source, ws, key, check_name, reason, n, now, run_id],
                )
            if _sync_log(con, source, ws) == "quarantined":
                out.new[key] = reason
            else:
                out.still[key] = reason
        for ws in sorted(active - failing.keys()):
            con.execute(
                "UPDATE meta.quarantine SET released_at = ?, released_by = 're-run: check passes' "
                "WHERE source = ? AND window_start = ? AND check_name = ? AND released_at IS NULL",
                [now, source, ws, check_name],
            )
            if is_accepted(con, _sync_log(con, source, ws)):
                out.released.append(window_key(ws))
            elif is_accepted(con, log.get(ws, (None,))[0]):  # reloaded with new data since: say it is released
                con.execute(
                    "UPDATE meta.snapshot_log SET message = concat_ws('; ', message, ?) WHERE source = ? AND window_start = ?",
                    [f"released {now:%Y-%m-%d %H:%M} UTC: {check_name} passes on the reloaded data", source, ws],
                )
                out.released.append(window_key(ws))
        return out

    return atomically(con, record, f"{check_name} verdict on {source}")


class ReleaseError(ValueError):
    """The window cannot be released (the message says why)."""


def release(con: duckdb.DuckDBPyConnection, source: str, key: str, reason: str) -> str:
    """Explicit override: accept window `key` of `source` although checks reject it. Returns what happened."""
    if not reason.strip():
        raise ReleaseError("a release needs a reason (it is recorded in meta.quarantine_overrides)")

    def override(con: duckdb.DuckDBPyConnection) -> str:
        row = con.execute(
            "SELECT window_start, status, load_fingerprint, message FROM meta.snapshot_log "
            "WHERE source = ? AND window_key = ?",
            [source, key],
        ).fetchone()
        if row is None:
            raise ReleaseError(f"{source} window {key}: not in meta.snapshot_log (never loaded)")
        ws, status, fingerprint, message = row
        if status != "quarantined":
            raise ReleaseError(f"{source} window {key}: status is {status!r}, not quarantined")
        message = message or ""
        load_rules = message.startswith(LOAD_RULES_PREFIX)
        if not (message.startswith(CHECK_PREFIX) or load_rules):
            raise ReleaseError(
                f"{source} window {key}: quarantined at load because it cannot be read ({message}); "
                "an override cannot make it loadable: fix the parser (bump its version) or the landed data"
            )
        now = _now()
        con.execute(
            "INSERT INTO meta.quarantine_overrides VALUES (?, ?, ?, ?, ?, ?)",
            [source, ws, key, reason, fingerprint, now],
        )
        con.execute(
            "UPDATE meta.quarantine SET released_at = ?, released_by = ? "
            "WHERE source = ? AND window_start = ? AND released_at IS NULL",
            [now, f"override: {reason}", source, ws],
        )
        if load_rules:
            # No rows were loaded: forget the fingerprint so the next run loads it (without the load rules).
            con.execute(
                "UPDATE meta.snapshot_log SET load_fingerprint = NULL, message = ? WHERE source = ? AND window_start = ?",
                [f"released by override ({reason}); loads on the next run of this window (was: {message})", source, ws],
            )
            return "released: the next run of this window loads it without the load rules"
        origin = con.execute(
            "SELECT origin FROM meta.snapshot_log WHERE source = ? AND window_start = ?", [source, ws]
        ).fetchone()[0]
        con.execute(
            "UPDATE meta.snapshot_log SET status = ?, message = ? WHERE source = ? AND window_start = ?",
            [
                "imported" if origin == "imported" else "observed",
                f"released by override ({reason}) (was: {message})",
                source,
                ws,
            ],
        )
        return "released: the next run of this window rebuilds the marts with it"

    return atomically(con, override, f"release {source} {key}")
