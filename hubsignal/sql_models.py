"""SQL files: every `sql/models/<layer>/<name>.sql` is exactly one SELECT, and its upstream tables are read
from the table references in the SQL. The same reader serves the checks in `sql/checks/`.

How a model is materialized follows from its text, so there is nothing to configure:
- it uses `$window_start` / `$window_end`: an incremental table; a run over [start, end) replaces exactly
  the rows with window_start in that range (one explicit transaction), so one window and a backfill range
  give the same rows;
- otherwise: a view (`CREATE OR REPLACE VIEW`), always current and free to "rebuild".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from hubsignal.settings import SQL_DIR
from hubsignal.warehouse import atomically, claim_window_writes

MODELS_DIR = SQL_DIR / "models"
WAREHOUSE_LAYERS = {"raw", "staging", "marts"}  # schemas whose tables are assets (meta is bookkeeping)
_PARAM = re.compile(r"\$(window_start|window_end)\b")
# Tables a raw asset loads together with its own table, in the same transaction: a reader depends on that asset.
LOADED_WITH = {
    ("raw", "hub_graph_edges"): ("raw", "hub_graph_models"),
    ("raw", "hub_graph_edge_windows"): ("raw", "hub_graph_models"),
}


class SqlModelError(ValueError):
    """A SQL file breaks the contract (the message names the file)."""


def bind_window(sql: str, start: datetime, end: datetime) -> str:
    """`sql` with $window_start/$window_end inlined as UTC timestamp literals (our own values, not input)."""
    values = {"window_start": start, "window_end": end}
    return _PARAM.sub(lambda m: f"TIMESTAMP '{values[m.group(1)].strftime('%Y-%m-%d %H:%M:%S')}'", sql)


def is_windowed(sql: str) -> bool:
    return bool(_PARAM.search(sql))


def read_select(path: Path, sql: str, what: str, error: type[ValueError]) -> tuple[tuple[str, str], ...]:
    """Check that `sql` is exactly one SELECT; return the warehouse tables (layer, name) it reads.
    `what` names the file's kind in the message ("a model", "a check (the offending rows)")."""
    try:
        statements = [s for s in sqlglot.parse(_PARAM.sub("NULL", sql), read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise error(f"{path}: not valid DuckDB SQL ({exc})") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise error(f"{path}: {what} must be exactly one SELECT statement")
    tree = statements[0]
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    tables = {(t.db, t.name) for t in tree.find_all(exp.Table) if t.db in WAREHOUSE_LAYERS and t.name not in ctes}
    return tuple(sorted({LOADED_WITH.get(t, t) for t in tables}))


@dataclass(frozen=True)
class SqlModel:
    path: Path
    layer: str
    name: str
    sql: str
    deps: tuple[tuple[str, str], ...]

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def incremental(self) -> bool:
        return is_windowed(self.sql)

    @property
    def sql_file(self) -> str:
        return (
            str(self.path.relative_to(SQL_DIR.parent)) if self.path.is_relative_to(SQL_DIR.parent) else str(self.path)
        )

    def bound_sql(self, start: datetime, end: datetime) -> str:
        return bind_window(self.sql, start, end)


def load_model(path: Path) -> SqlModel:
    sql = path.read_text().strip().rstrip(";")
    return SqlModel(path, path.parent.name, path.stem, sql, read_select(path, sql, "a model", SqlModelError))


def discover_models(models_dir: Path = MODELS_DIR) -> list[SqlModel]:
    return [load_model(p) for p in sorted(models_dir.glob("*/*.sql"))]


def materialize(con: duckdb.DuckDBPyConnection, model: SqlModel, start: datetime, end: datetime) -> dict:
    """Build one model for windows in [start, end); returns metadata for the materialization."""
    if not model.incremental:
        atomically(con, lambda c: c.execute(f"CREATE OR REPLACE VIEW {model.table} AS {model.sql}"), model.table)
        return {"materialized": "view"}
    select = model.bound_sql(start, end)

    def build(con: duckdb.DuckDBPyConnection) -> int:
        claim_window_writes(con)
        con.execute(f"CREATE TABLE IF NOT EXISTS {model.table} AS SELECT * FROM ({select}) LIMIT 0")
        have = [r[0] for r in con.execute(f"DESCRIBE {model.table}").fetchall()]
        want = [r[0] for r in con.execute(f"DESCRIBE {select}").fetchall()]
        if have != want:
            raise SqlModelError(
                f"{model.path}: columns changed ({have} -> {want}); drop {model.table} and backfill it "
                "(its other windows were built by the old SQL)"
            )
        con.execute(
            f"DELETE FROM {model.table} WHERE window_start >= ? AND window_start < ?",
            [start.replace(tzinfo=None), end.replace(tzinfo=None)],
        )
        con.execute(f"INSERT INTO {model.table} BY NAME {select}")
        return con.execute(
            f"SELECT count(*) FROM {model.table} WHERE window_start >= ? AND window_start < ?",
            [start.replace(tzinfo=None), end.replace(tzinfo=None)],
        ).fetchone()[0]

    rows = atomically(con, build, model.table)
    return {"materialized": "incremental table", "rows_in_range": rows}
