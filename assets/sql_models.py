"""The SQL-model factory: every `sql/models/<layer>/<name>.sql` becomes the asset `<layer>/<name>`, its
upstream assets read from the tables the SQL references (hubsignal.sql_models)."""

import dagster as dg

from assets.partitions import windowed_asset
from hubsignal.sql_models import SqlModel, discover_models, materialize
from hubsignal.warehouse import open_warehouse


def build_model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @windowed_asset(
        key=[model.layer, model.name],
        deps=[dg.AssetKey([db, name]) for db, name in model.deps],
        group_name=model.layer,
        kinds={"duckdb", "sql"},
        description=f"SQL model {model.sql_file}",
        metadata={"sql_file": model.sql_file},
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        tw = context.partition_time_window
        with open_warehouse(context.resources.hubsignal.settings().warehouse) as con:
            meta = materialize(con, model, tw.start, tw.end)
        return dg.MaterializeResult(metadata=meta)

    return _asset


def build_model_assets() -> list[dg.AssetsDefinition]:
    return [build_model_asset(m) for m in discover_models()]
