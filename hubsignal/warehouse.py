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
    # One statement at a time (never one execute("a; b")): each DDL statement is idempotent on its own.
    for ddl in sorted((SQL_DIR / "ddl").glob("*.sql")):
        for statement in con.extract_statements(ddl.read_text()):
            con.execute(statement)


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
    """Upsert snapshot_log rows (call inside the load's transaction): one DELETE and one INSERT for all of them
    (a statement per row cost seconds per source in a year-long range)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    values = [
        (
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
        )
        for r in rows
    ]
    if not values:
        return
    for source in {v[0] for v in values}:
        con.execute(
            "DELETE FROM meta.snapshot_log WHERE source = ? AND window_start IN (SELECT unnest(?))",
            [source, [v[1] for v in values if v[0] == source]],
        )
    con.executemany("INSERT INTO meta.snapshot_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)


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
