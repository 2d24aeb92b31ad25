"""The DuckDB warehouse: schema set-up and short, explicit, all-or-nothing window loads."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from hubsignal.settings import SQL_DIR
from hubsignal.values import naive_utc


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


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
    """Upsert snapshot_log rows (call inside the load's transaction)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for r in rows:
        con.execute(
            "DELETE FROM meta.snapshot_log WHERE source = ? AND window_start = ?",
            [r.source, naive_utc(r.window_start)],
        )
        con.execute(
            "INSERT INTO meta.snapshot_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.source, naive_utc(r.window_start), r.window_key, r.status, r.origin, r.n_records,
                r.n_files, naive_utc(r.fetched_at), now, r.landing_path, r.load_fingerprint, r.message,
            ],
        )


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
            con.execute(f"DELETE FROM {table} WHERE {window_column} IN (SELECT unnest(?)) AND {scope[0]} = ?",
                        [starts, scope[1]])
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
