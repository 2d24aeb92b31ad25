"""The SQL-model factory: every `sql/models/<layer>/<name>.sql` (exactly one SELECT) becomes the asset
`<layer>/<name>`, with its upstream assets read from the table references in the SQL.

How a model is materialized follows from its text, so there is nothing to configure:
- it uses `$window_start` / `$window_end`: an incremental table; a run over [start, end) replaces exactly
  the rows with window_start in that range (one explicit transaction), so one window and a backfill range
  give the same rows;
- otherwise: a view (`CREATE OR REPLACE VIEW`), always current and free to "rebuild".
"""


import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import sqlglot
from sqlglot import exp

from assets.warehouse import open_warehouse, transaction
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource
from pipelines.settings import SQL_DIR

MODELS_DIR = SQL_DIR / "models"
WAREHOUSE_LAYERS = {"raw", "staging", "marts"}  # schemas whose tables are assets (meta is bookkeeping)
_PARAM = re.compile(r"\$(window_start|window_end)\b")


class SqlModelError(ValueError):
    """A SQL model file breaks the contract (the message names the file)."""


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
        return bool(_PARAM.search(self.sql))

    def bound_sql(self, start: datetime, end: datetime) -> str:
        """The SELECT with the window bounds inlined as UTC timestamp literals (our own values, not input)."""
        return bind_window(self.sql, start, end)


def bind_window(sql: str, start: datetime, end: datetime) -> str:
    """`sql` with $window_start/$window_end inlined as UTC timestamp literals (also used by sql/checks)."""
    values = {"window_start": start, "window_end": end}
    return _PARAM.sub(lambda m: f"TIMESTAMP '{values[m.group(1)].strftime('%Y-%m-%d %H:%M:%S')}'", sql)


def load_model(path: Path) -> SqlModel:
    layer, name = path.parent.name, path.stem
    sql = path.read_text().strip().rstrip(";")
    try:
        statements = [s for s in sqlglot.parse(_PARAM.sub("NULL", sql), read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise SqlModelError(f"{path}: not valid DuckDB SQL ({exc})") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise SqlModelError(f"{path}: a model must be exactly one SELECT statement")
    tree = statements[0]
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    deps = sorted(
        {(t.db, t.name) for t in tree.find_all(exp.Table) if t.db in WAREHOUSE_LAYERS and t.name not in ctes}
    )
    return SqlModel(path, layer, name, sql, tuple(deps))


def discover_models(models_dir: Path = MODELS_DIR) -> list[SqlModel]:
    return [load_model(p) for p in sorted(models_dir.glob("*/*.sql"))]


def materialize(con: duckdb.DuckDBPyConnection, model: SqlModel, start: datetime, end: datetime) -> dict:
    """Build one model for windows in [start, end); returns metadata for the materialization."""
    if not model.incremental:
        con.execute(f"CREATE OR REPLACE VIEW {model.table} AS {model.sql}")
        return {"materialized": "view"}
    select = model.bound_sql(start, end)
    with transaction(con):
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
        rows = con.execute(
            f"SELECT count(*) FROM {model.table} WHERE window_start >= ? AND window_start < ?",
            [start.replace(tzinfo=None), end.replace(tzinfo=None)],
        ).fetchone()[0]
    return {"materialized": "incremental table", "rows_in_range": rows}


def build_model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        key=[model.layer, model.name],
        deps=[dg.AssetKey([db, name]) for db, name in model.deps],
        partitions_def=windows,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb",
        group_name=model.layer,
        kinds={"duckdb", "sql"},
        description=f"SQL model {model.path.relative_to(SQL_DIR.parent)}",
        metadata={"sql_file": str(model.path.relative_to(SQL_DIR.parent))},
    )
    def _asset(context: dg.AssetExecutionContext, hubsignal: HubsignalResource) -> dg.MaterializeResult:
        tw = context.partition_time_window
        with open_warehouse(hubsignal.settings().warehouse) as con:
            meta = materialize(con, model, tw.start, tw.end)
        return dg.MaterializeResult(metadata=meta)

    return _asset


def build_model_assets() -> list[dg.AssetsDefinition]:
    return [build_model_asset(m) for m in discover_models()]
