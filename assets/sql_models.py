"""The SQL-model factory: every `sql/models/<layer>/<name>.sql` becomes the asset `<layer>/<name>`, its
upstream assets read from the tables the SQL references (hubsignal.sql_models)."""

import dagster as dg

from assets.partitions import run_windows_or_all, warehouse_asset
from assets.table_metadata import table_metadata
from hubsignal.contract import contract, leading_comment
from hubsignal.sql_models import SqlModel, discover_models, materialize
from hubsignal.warehouse import open_warehouse


def describe(model: SqlModel) -> str:
    """What the table answers (the SQL file's leading comment), its grain (the warehouse contract), its file."""
    grain = contract().get(model.table)
    parts = [leading_comment(model.sql), f"Grain: {grain.grain}." if grain else "", f"SQL model `{model.sql_file}`."]
    return "\n\n".join(p for p in parts if p)


def build_model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @warehouse_asset(
        key=[model.layer, model.name],
        deps=[dg.AssetKey([db, name]) for db, name in model.deps],
        group_name=model.layer,
        kinds={"duckdb", "sql"},
        description=describe(model),
        metadata={"sql_file": model.sql_file},
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        start, end = run_windows_or_all(context)  # an incremental model rebuilds exactly these windows
        with open_warehouse(context.resources.hubsignal.settings().warehouse) as con:
            meta = materialize(con, model, start, end)
            meta.update(table_metadata(con, model.table, start, end))
        return dg.MaterializeResult(metadata=meta)

    return _asset


def build_model_assets() -> list[dg.AssetsDefinition]:
    return [build_model_asset(m) for m in discover_models()]
