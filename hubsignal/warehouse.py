"""The DuckDB warehouse: schema set-up and short, explicit, all-or-nothing window loads."""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from hubsignal.settings import SQL_DIR, Settings
from hubsignal.values import naive_utc
from hubsignal.windows import window_key

DEFAULT_LOCK_TIMEOUT_S = 60.0
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<holder>.*?\(PID \d+\))")


class WarehouseLocked(RuntimeError):
    """Another process held the warehouse file's lock for longer than HUBSIGNAL_LOCK_TIMEOUT_S."""


def lock_timeout_s() -> float:
    raw = os.environ.get("HUBSIGNAL_LOCK_TIMEOUT_S", "").strip()
    try:
        return float(raw) if raw else DEFAULT_LOCK_TIMEOUT_S
    except ValueError:
        raise ValueError(f"setting HUBSIGNAL_LOCK_TIMEOUT_S={raw!r} is not a number") from None


def connect(path: Path, read_only: bool = False, timeout_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. DuckDB lets one process hold a file (a writer excludes readers in other processes,
    and a read-only process excludes writers): when another process holds it, wait and retry for up to
    timeout_s (default HUBSIGNAL_LOCK_TIMEOUT_S, 60 s), then raise WarehouseLocked naming the holder."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    timeout_s = lock_timeout_s() if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "Could not set lock" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                match = _LOCK_HOLDER.search(str(exc))
                holder = match["holder"] if match else "another process"
                mode = "read" if read_only else "write"
                raise WarehouseLocked(
                    f"{path} is locked by {holder}; gave up opening it to {mode} after {timeout_s:g} s "
                    f"(HUBSIGNAL_LOCK_TIMEOUT_S). Wait for that process to finish, or stop it."
                ) from exc
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 1.0)


def for_reading(settings: Settings) -> Settings:
    """Settings whose warehouse is the read-only copy published after each run, when there is one: a reader
    of it never takes the warehouse's lock, so it never blocks (or waits for) a run."""
    if settings.published_warehouse.is_file():
        return replace(settings, warehouse=settings.published_warehouse)
    return settings


@contextmanager
def open_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection with the schema in place; closed on exit (the lock is held only inside)."""
    con = connect(path)
    try:
        ensure_schema(con)
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    migrate_snapshot_log(con)
    # One statement at a time (never one execute("a; b")): each DDL statement is idempotent on its own.
    for ddl in sorted((SQL_DIR / "ddl").glob("*.sql")):
        for statement in con.extract_statements(ddl.read_text()):
            con.execute(statement)


def migrate_snapshot_log(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse made before meta.snapshot_log became a view kept it as a table whose status/message the
    checks rewrote. Move its rows to meta.window_loads as load outcomes: a window quarantined by checks gets
    its load status back (meta.quarantine still holds it, so the view shows it quarantined with the same
    message), and the release texts the checks appended to messages are dropped (the view derives them).
    One transaction; a no-op once meta.snapshot_log is a view."""
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = 'meta' AND table_name = 'snapshot_log'"
    ).fetchone()
    if kind is None or kind[0] != "BASE TABLE":
        return
    with transaction(con):
        for name in ("00_schemas.sql", "10_meta.sql", "15_meta_quality.sql"):  # window_loads, quarantine
            for statement in con.extract_statements((SQL_DIR / "ddl" / name).read_text()):
                con.execute(statement)
        con.execute(
            """
            INSERT INTO meta.window_loads BY NAME
            SELECT l.* EXCLUDE (checked, released) REPLACE (
                CASE WHEN checked THEN CASE WHEN origin = 'imported' THEN 'imported' ELSE 'observed' END
                    ELSE status END AS status,
                CASE
                    WHEN checked THEN NULL
                    WHEN released THEN nullif(regexp_replace(message, '(^|; )released (by override |[0-9]{4}-).*$', ''), '')
                    ELSE message
                END AS message
            )
            FROM (
                SELECT
                    s.*,
                    s.status = 'quarantined' AND starts_with(coalesce(s.message, ''), 'check ') AS checked,
                    s.status IN ('observed', 'imported') AND EXISTS (
                        SELECT 1 FROM meta.quarantine AS q
                        WHERE q.source = s.source AND q.window_start = s.window_start AND q.released_at >= s.loaded_at
                    ) AS released
                FROM meta.snapshot_log AS s
            ) AS l
            """
        )
        con.execute("DROP VIEW IF EXISTS meta.accepted_windows")
        con.execute("DROP TABLE meta.snapshot_log")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One explicit BEGIN ... COMMIT; any error rolls the whole unit back."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@dataclass
class LogRow:
    source: str
    window_start: datetime
    window_key: str
    status: str
    origin: str | None = None
    n_records: int | None = None
    n_files: int | None = None
    fetched_at: datetime | None = None
    landing_path: str | None = None
    load_fingerprint: str | None = None
    message: str | None = None


def write_log(con: duckdb.DuckDBPyConnection, rows: Iterable[LogRow]) -> None:
    """Record load outcomes: upsert meta.window_loads rows (call inside the load's transaction). The loader is
    its only writer; meta.snapshot_log (a view) adds the check quarantines of meta.quarantine."""
    now = datetime.now(UTC).replace(tzinfo=None)
    for r in rows:
        con.execute(
            "DELETE FROM meta.window_loads WHERE source = ? AND window_start = ?",
            [r.source, naive_utc(r.window_start)],
        )
        con.execute(
            "INSERT INTO meta.window_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.source,
                naive_utc(r.window_start),
                r.window_key,
                r.status,
                r.origin,
                r.n_records,
                r.n_files,
                naive_utc(r.fetched_at),
                now,
                r.landing_path,
                r.load_fingerprint,
                r.message,
            ],
        )


def quarantine_at_load(con: duckdb.DuckDBPyConnection, source: str, window_start: datetime, message: str) -> None:
    """Reject one window at load level (status 'quarantined' in meta.window_loads, `message` says why), e.g.
    when its landed files no longer match their manifest. Its other load columns are kept, so an unchanged
    fingerprint keeps it quarantined on later runs; its raw rows stay in raw.* but no staging view or mart
    sees them (only accepted windows reach staging). The loader records the windows it rejects itself, in
    the load's transaction (LogRow status 'quarantined'). Call inside or outside a transaction."""
    start = naive_utc(window_start)
    now = datetime.now(UTC).replace(tzinfo=None)
    updated = con.execute(
        "UPDATE meta.window_loads SET status = 'quarantined', message = ?, loaded_at = ? "
        "WHERE source = ? AND window_start = ? RETURNING 1",
        [message, now, source, start],
    ).fetchall()
    if not updated:
        write_log(con, [LogRow(source, start, window_key(start), "quarantined", message=message)])


def replace_windows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    window_starts: list[datetime],
    rows: pa.Table | None,
    log_rows: list[LogRow],
    window_column: str = "window_start",
    also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    scope: tuple[str, str] | None = None,
) -> None:
    """Atomically make `table` hold exactly `rows` for these windows and record them in the log.
    `window_column`: the table's column holding the window start (`window_start` unless a contract says otherwise).
    `also`: more writes for the same windows (e.g. meta.raw_fields) inside the same transaction.
    `scope`: (column, value) when several sources share the table: only rows with column = value are replaced."""
    name = f"batch_{uuid.uuid4().hex[:8]}"
    starts = [naive_utc(w) for w in window_starts]
    with transaction(con):
        if scope is None:
            con.execute(f"DELETE FROM {table} WHERE {window_column} IN (SELECT unnest(?))", [starts])
        else:  # (column, value): the table is shared by several sources; replace only this one's rows
            con.execute(
                f"DELETE FROM {table} WHERE {window_column} IN (SELECT unnest(?)) AND {scope[0]} = ?",
                [starts, scope[1]],
            )
        if rows is not None and rows.num_rows:
            con.register(name, rows)
            try:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
            finally:
                con.unregister(name)
        write_log(con, log_rows)
        if also is not None:
            also(con)


def publish(warehouse: Path, published: Path) -> Path:
    """Copy the warehouse to a read-only copy for analysts (checkpointed first, renamed into place)."""
    con = connect(warehouse)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{uuid.uuid4().hex[:8]}")
    shutil.copyfile(warehouse, tmp)
    tmp.replace(published)
    return published
