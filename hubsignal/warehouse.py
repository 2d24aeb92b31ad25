"""The warehouse: one DuckDB file (default) or a DuckLake (catalog in Postgres or a DuckDB file, Parquet data on
local disk or S3-compatible storage), behind one connection factory; schema set-up and short, explicit,
all-or-nothing window loads. The same SQL runs on both (docs/scale-out.md)."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import duckdb
import pyarrow as pa

from hubsignal.settings import SQL_DIR, Lake, Settings, redact
from hubsignal.values import naive_utc
from hubsignal.windows import window_key

T = TypeVar("T")
log = logging.getLogger(__name__)
Warehouse = Path | Lake
LAKE_ALIAS = "lake"  # the name a DuckLake is attached under (then USEd: SQL names stay raw.x, marts.y, ...)
DEFAULT_LOCK_TIMEOUT_S = 60.0
DEFAULT_CONFLICT_RETRIES = 5
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<holder>.*?\(PID \d+\))")


class WarehouseLocked(RuntimeError):
    """Another process held the warehouse file's lock for longer than HUBSIGNAL_LOCK_TIMEOUT_S."""


class WriteConflict(RuntimeError):
    """DuckLake: another writer kept committing conflicting changes; gave up after HUBSIGNAL_CONFLICT_RETRIES."""


class LakeError(RuntimeError):
    """The DuckLake could not be attached (the message names the catalog, never its password or S3 keys)."""


def _number_setting(name: str, default: float, parse: Callable[[str], float], what: str) -> float:
    """An environment setting read as a number (`default` when unset); a clear error naming it when malformed."""
    raw = os.environ.get(name, "").strip()
    try:
        return parse(raw) if raw else default
    except ValueError:
        raise ValueError(f"setting {name}={raw!r} is not {what}") from None


def lock_timeout_s() -> float:
    return _number_setting("HUBSIGNAL_LOCK_TIMEOUT_S", DEFAULT_LOCK_TIMEOUT_S, float, "a number")


def connect(
    path: Warehouse, read_only: bool = False, timeout_s: float | None = None, as_of: datetime | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse: the one connection factory for both backends.

    A DuckDB file: DuckDB lets one process hold a file (a writer excludes readers in other processes, and a
    read-only process excludes writers): when another process holds it, wait and retry for up to timeout_s
    (default HUBSIGNAL_LOCK_TIMEOUT_S, 60 s), then raise WarehouseLocked naming the holder.
    A DuckLake: attached and USEd, so the same SQL names resolve; readers and writers never lock each other.
    `as_of` (DuckLake only): read the lake as it stood then (read-only)."""
    if isinstance(path, Lake):
        return _connect_lake(path, read_only=read_only or as_of is not None, as_of=as_of)
    if as_of is not None:
        raise ValueError(
            f"reading the warehouse as of {as_of:%Y-%m-%d %H:%M} needs DuckLake snapshots; {path} is a DuckDB file, "
            "which keeps no history (HUBSIGNAL_WAREHOUSE=ducklake:..., docs/scale-out.md)"
        )
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


@functools.cache
def _extension_directory() -> str:
    """DuckDB's extension layout (<dir>/v<version>/<platform>/<name>.duckdb_extension) made of links to the pinned
    extension wheels' files, so DuckDB LOADs (and autoloads) them offline and never INSTALLs from the internet.
    The postgres wheel ships `postgres.duckdb_extension`; DuckDB knows it as `postgres_scanner`."""
    import site

    roots = [Path(p) for p in (*site.getsitepackages(), site.getusersitepackages())] + [
        Path(duckdb.__file__).parents[1]
    ]
    platform = duckdb.execute("PRAGMA platform").fetchone()[0]
    root = Path(tempfile.gettempdir()) / f"hubsignal-duckdb-extensions-{os.getuid()}"
    folder = root / f"v{duckdb.__version__}" / platform
    folder.mkdir(parents=True, exist_ok=True)
    for package, name in (("ducklake", "ducklake"), ("httpfs", "httpfs"), ("postgres", "postgres_scanner")):
        found = [f for r in roots for f in r.glob(f"duckdb_extension_{package}/extensions/*/*.duckdb_extension")]
        if not found:
            raise LakeError(f"the duckdb-extension-{package} wheel is not installed (pyproject.toml pins it)")
        link = folder / f"{name}.duckdb_extension"
        if not link.exists() or link.resolve() != found[0].resolve():
            tmp = folder / f".{name}.{uuid.uuid4().hex[:8]}"
            tmp.symlink_to(found[0])
            tmp.replace(link)  # atomic: concurrent processes never see a half-made link
    return str(root)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _s3_secret_sql() -> str | None:
    """A temporary (in-memory, this connection only) DuckDB S3 secret from the usual AWS_* variables."""
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID", ""), os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not key or not secret:
        return None
    options = {"KEY_ID": key, "SECRET": secret, "REGION": os.environ.get("AWS_REGION") or "us-east-1"}
    if token := os.environ.get("AWS_SESSION_TOKEN"):
        options["SESSION_TOKEN"] = token
    if endpoint := os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"):
        url = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
        options |= {"ENDPOINT": url.netloc, "USE_SSL": str(url.scheme == "https").lower(), "URL_STYLE": "path"}
    body = ", ".join(f"{k} {v if k == 'USE_SSL' else _sql_text(v)}" for k, v in options.items())
    return f"CREATE OR REPLACE TEMPORARY SECRET hubsignal_s3 (TYPE s3, {body})"


def lake_setup_sql(lake: Lake, read_only: bool = False, as_of: datetime | None = None) -> list[str]:
    """The statements that attach the lake (also written, 0600, into the DuckDB CLI's init file by `hubsignal sql`)."""
    statements = [
        f"SET extension_directory = {_sql_text(_extension_directory())}",
        "SET autoinstall_known_extensions = false",
        "LOAD ducklake",
    ]
    if lake.on_postgres:
        statements.append("LOAD postgres_scanner")
    if (lake.data_path or "").startswith("s3://") or os.environ.get("AWS_ACCESS_KEY_ID"):
        statements.append("LOAD httpfs")
        if secret := _s3_secret_sql():
            statements.append(secret)
    options = []
    if lake.data_path:
        options.append(f"DATA_PATH {_sql_text(lake.data_path)}")
    if read_only:
        options.append("READ_ONLY")
    if as_of is not None:
        options.append(f"SNAPSHOT_TIME {_sql_text(naive_utc(as_of).isoformat(sep=' ') + '+00')}")
    suffix = f" ({', '.join(options)})" if options else ""
    statements += [f"ATTACH IF NOT EXISTS {_sql_text(lake.uri)} AS {LAKE_ALIAS}{suffix}", f"USE {LAKE_ALIAS}"]
    return statements


def _connect_lake(lake: Lake, read_only: bool, as_of: datetime | None) -> duckdb.DuckDBPyConnection:
    if not lake.on_postgres and not read_only:
        Path(lake.catalog).parent.mkdir(parents=True, exist_ok=True)
    if lake.data_path and "://" not in lake.data_path and not read_only:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        con = duckdb.connect()
        try:
            for statement in lake_setup_sql(lake, read_only=read_only, as_of=as_of):
                con.execute(statement)
            con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.Error as exc:
            con.close()
            # Two first writers of a new lake race to create its catalog tables: the loser attaches the winner's.
            if "Failed to initialize DuckLake" in str(exc) and attempt < 2:
                time.sleep(0.5)
                continue
            message = _without_secrets(str(exc).splitlines()[0])
            break
    raise LakeError(f"cannot attach the DuckLake {lake}: {message}") from None


def _without_secrets(message: str) -> str:
    """DuckDB's message may quote the statement (the S3 secret) or the connection string (a password)."""
    message = redact(message)
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "PGPASSWORD"):
        if value := os.environ.get(name):
            message = message.replace(value, "***")
    return message


def warehouse_exists(path: Warehouse) -> bool:
    """A DuckDB file exists once written; a DuckLake's catalog is a server (or file) to attach: assumed there."""
    if isinstance(path, Lake):
        return lake_catalog_exists(path)
    return path.exists()


def lake_catalog_exists(lake: Lake) -> bool:
    return lake.on_postgres or not lake.catalog.startswith("/") or Path(lake.catalog).exists()


def for_reading(settings: Settings) -> Settings:
    """Settings whose warehouse is the read-only copy published after each run, when there is one: a reader
    of it never takes the warehouse's lock, so it never blocks (or waits for) a run. A DuckLake has no copy:
    its readers attach it read-only and never block a writer."""
    if isinstance(settings.warehouse, Lake):
        return settings
    if settings.published_warehouse.is_file():
        return replace(settings, warehouse=settings.published_warehouse)
    return settings


@contextmanager
def open_warehouse(path: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection with the schema in place; closed on exit (the lock is held only inside)."""
    con = connect(path)
    try:
        ensure_schema(con, on_lake=isinstance(path, Lake))
        yield con
    finally:
        con.close()


# The constraint clause, with the comment of the column before it: DuckLake has no PRIMARY KEY/UNIQUE.
_PRIMARY_KEY = re.compile(r",(\s*--[^\n]*)?\s*PRIMARY KEY\s*\([^)]*\)", re.IGNORECASE)


def ensure_schema(con: duckdb.DuckDBPyConnection, on_lake: bool = False) -> None:
    """Apply sql/ddl/ (idempotent). On DuckLake only when the DDL text changed since it was last applied there
    (meta.ddl_applied): every DDL statement commits a lake snapshot, and two writers re-creating the same macro at
    once conflict. DuckLake has no PRIMARY KEY/UNIQUE constraints: they are dropped there (write_log's
    DELETE + INSERT keeps meta.window_loads unique on both backends)."""
    migrate_snapshot_log(con, on_lake)
    files = sorted((SQL_DIR / "ddl").glob("*.sql"))
    texts = [f.read_text() for f in files]
    if not on_lake:
        # One statement at a time (never one execute("a; b")): each DDL statement is idempotent on its own.
        for text in texts:
            for statement in con.extract_statements(text):
                con.execute(statement)
        migrate_graph_parents(con)
        return
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()

    def apply(con: duckdb.DuckDBPyConnection) -> None:
        applied = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'meta' AND table_name = 'ddl_applied'"
        ).fetchone()[0]
        if (
            applied
            and con.execute("SELECT count(*) FROM meta.ddl_applied WHERE ddl_sha256 = ?", [digest]).fetchone()[0]
        ):
            return
        for text in texts:
            for statement in con.extract_statements(_PRIMARY_KEY.sub("", text)):
                con.execute(statement)
        con.execute("CREATE TABLE IF NOT EXISTS meta.ddl_applied (ddl_sha256 VARCHAR, applied_at TIMESTAMP)")
        con.execute("DELETE FROM meta.ddl_applied")
        con.execute("INSERT INTO meta.ddl_applied VALUES (?, now()::TIMESTAMP)", [digest])

    atomically(con, apply, "apply sql/ddl/")
    migrate_graph_parents(con)


def migrate_graph_parents(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse made before the graph's edges were stored once kept every window's edges in
    raw.hub_graph_models.parents. Move them into raw.hub_graph_edges window by window in time order, through the
    loader's own set_window_edges (so the intervals are the ones a fresh load makes), drop the column and make
    staging.hub_graph_edges again over the intervals. One transaction (after sql/ddl/ made the new tables); a
    no-op once the column is gone."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'raw' "
        "AND table_name = 'hub_graph_models' AND column_name = 'parents'"
    ).fetchone()[0]
    if not found:
        return
    from hubsignal.hub import graph  # (the graph loader; imported here: it pulls in the Hub client)

    def move(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"DELETE FROM {graph.EDGES_TABLE}")
        con.execute(f"DELETE FROM {graph.EDGE_WINDOWS_TABLE}")
        for (start,) in con.execute(f"SELECT DISTINCT window_start FROM {graph.TABLE} ORDER BY 1").fetchall():
            edges = (
                f"SELECT DISTINCT model_id AS child_id, p.parent_id, p.relation FROM {graph.TABLE}, "
                f"unnest(parents) AS t(p) WHERE window_start = TIMESTAMP '{start.isoformat(sep=' ')}'"
            )
            graph.set_window_edges(con, start, edges)
        con.execute(f"ALTER TABLE {graph.TABLE} DROP COLUMN parents")
        view = con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
            "AND schema_name = 'staging' AND view_name = 'hub_graph_edges'"
        ).fetchone()[0]
        if view:
            sql = (SQL_DIR / "models" / "staging" / "hub_graph_edges.sql").read_text().strip().rstrip(";")
            con.execute(f"CREATE OR REPLACE VIEW staging.hub_graph_edges AS {sql}")

    atomically(con, move, f"move {graph.TABLE}.parents into {graph.EDGES_TABLE}")


def migrate_snapshot_log(con: duckdb.DuckDBPyConnection, on_lake: bool = False) -> None:
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
            text = (SQL_DIR / "ddl" / name).read_text()
            for statement in con.extract_statements(_PRIMARY_KEY.sub("", text) if on_lake else text):
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
    """One explicit BEGIN ... COMMIT; any error rolls the whole unit back. Writers use atomically() (it retries a
    unit that lost a DuckLake commit race); this is its building block, and enough where no other writer can be."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    try:
        con.execute("COMMIT")
    except duckdb.Error:
        # a commit that failed (e.g. lost a DuckLake conflict) may leave the transaction open: end it
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise


def conflict_retries() -> int:
    return int(_number_setting("HUBSIGNAL_CONFLICT_RETRIES", DEFAULT_CONFLICT_RETRIES, int, "an integer"))


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) or "Transaction conflict" in str(exc)


def atomically(con: duckdb.DuckDBPyConnection, body: Callable[[duckdb.DuckDBPyConnection], T], what: str) -> T:
    """Run body(con) as one all-or-nothing transaction. On DuckLake several writers commit concurrently: DuckLake
    itself retries a commit that does not logically conflict; when another writer committed a conflicting change
    first (both replaced the same view, both deleted rows of one data file) the whole unit is rolled back and run
    again from the start on the new snapshot (every unit here is idempotent: replace these windows), up to
    HUBSIGNAL_CONFLICT_RETRIES times, then WriteConflict names the unit. A DuckDB file has one writer: no retry."""
    retries = conflict_retries()
    for attempt in range(retries + 1):
        try:
            with transaction(con):
                return body(con)
        except duckdb.Error as exc:
            if not _is_conflict(exc):
                raise
            if attempt == retries:
                raise WriteConflict(
                    f"{what}: another writer kept committing conflicting changes; gave up after {retries} retries "
                    f"(HUBSIGNAL_CONFLICT_RETRIES). Nothing of this unit was written; run it again. "
                    f"Last conflict: {str(exc).splitlines()[-1]}"
                ) from exc
            log.warning(
                "%s: another writer committed a conflicting change first; retrying (%d/%d)", what, attempt + 1, retries
            )
            time.sleep(0.1 * 2**attempt)
    raise AssertionError("unreachable")


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
    """Record load outcomes: upsert meta.window_loads rows (call inside the load's transaction): one DELETE and one
    INSERT for all of them (a statement per row cost seconds per source in a year-long range). The loader is its
    only writer; meta.snapshot_log (a view) adds the check quarantines of meta.quarantine."""
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
            "DELETE FROM meta.window_loads WHERE source = ? AND window_start IN (SELECT unnest(?))",
            [source, [v[1] for v in values if v[0] == source]],
        )
    con.executemany("INSERT INTO meta.window_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)


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

    def load(con: duckdb.DuckDBPyConnection) -> None:
        claim_window_writes(con)
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

    atomically(con, load, f"load {table}")


def claim_window_writes(con: duckdb.DuckDBPyConnection) -> None:
    """Call first inside a unit that deletes and re-inserts a window range: concurrent such units on DuckLake
    then conflict (one retries on the other's commit) instead of both inserting into the same empty range. On a
    DuckDB file (one writer) it is one tiny UPDATE."""
    con.execute("UPDATE meta.write_claim SET n = n + 1")


def publish(warehouse: Warehouse, published: Path) -> Path | None:
    """Copy the warehouse to a read-only copy for analysts (checkpointed first, renamed into place).
    A DuckLake needs none (None): readers attach the lake read-only and never block its writers."""
    if isinstance(warehouse, Lake):
        return None
    con = connect(warehouse)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{uuid.uuid4().hex[:8]}")
    try:
        clone_file(warehouse, tmp)
        tmp.replace(published)
    finally:
        tmp.unlink(missing_ok=True)
    return published


FICLONE = 0x40049409  # Linux ioctl: make dst share src's blocks (copy-on-write), linux/fs.h


def clone_file(src: Path, dst: Path) -> str:
    """Copy `src` to a new file `dst`: a copy-on-write clone where the file system has reflinks (btrfs, XFS,
    bcachefs, ZFS 2.2+: constant time, however large the warehouse has grown), else a plain copy (ext4, tmpfs:
    time grows with the warehouse). Returns "clone" or "copy"."""
    with open(src, "rb") as s, open(dst, "wb") as d:
        try:
            fcntl.ioctl(d.fileno(), FICLONE, s.fileno())
            return "clone"
        except OSError:  # EOPNOTSUPP / EINVAL / EXDEV / ENOTTY: no reflinks here, copy the bytes
            pass
    shutil.copyfile(src, dst)
    return "copy"


def lake_is_empty(lake: Lake) -> bool:
    """No window was ever loaded into this lake (a new catalog, or only the empty tables of sql/ddl/)."""
    if not lake_catalog_exists(lake):
        return True
    con = connect(lake)
    try:
        has_log = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'meta' AND table_name = 'window_loads'"
        ).fetchone()[0]
        return not has_log or not con.execute("SELECT count(*) FROM meta.window_loads").fetchone()[0]
    finally:
        con.close()


def copy_into_lake(source: Path, lake: Lake) -> dict[str, int]:
    """`hubsignal migrate-to-lake`: every table of a DuckDB-file warehouse into an empty DuckLake, in ONE transaction
    (a failure leaves the lake as it was), then the view models made again; returns rows copied per table."""
    from hubsignal.sql_models import discover_models, materialize

    if not source.is_file():
        raise FileNotFoundError(f"no DuckDB warehouse at {source}")
    if not lake_is_empty(lake):
        raise ValueError(f"{lake} already holds loaded windows: migrate into a new, empty lake")
    con = connect(lake)
    try:
        ensure_schema(con, on_lake=True)
        con.execute(f"ATTACH {_sql_text(str(source))} AS migrate_source (READ_ONLY)")
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'migrate_source' "
            "AND schema_name IN ('raw', 'staging', 'marts', 'meta') ORDER BY ALL"
        ).fetchall()

        def copy(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
            counts = {}
            for schema, table in tables:
                name, src = f"{schema}.{table}", f"migrate_source.{schema}.{table}"
                con.execute(f"CREATE TABLE IF NOT EXISTS {LAKE_ALIAS}.{name} AS SELECT * FROM {src} LIMIT 0")
                con.execute(f"DELETE FROM {LAKE_ALIAS}.{name}")
                con.execute(f"INSERT INTO {LAKE_ALIAS}.{name} BY NAME SELECT * FROM {src}")
                counts[name] = con.execute(f"SELECT count(*) FROM {LAKE_ALIAS}.{name}").fetchone()[0]
            return counts

        counts = atomically(con, copy, f"copy {source} into the lake")
        con.execute("DETACH migrate_source")
        views = [m for m in discover_models() if not m.incremental]
        while views:  # a view binds the views it reads: make them in dependency order
            pending = []
            for model in views:
                try:
                    materialize(con, model, datetime.min, datetime.min)
                except duckdb.CatalogException:
                    pending.append(model)
            if len(pending) == len(views):
                raise RuntimeError(f"views that cannot be created: {[m.table for m in pending]}")
            views = pending
        return counts
    finally:
        con.close()
