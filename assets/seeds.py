"""Seed assets: every `sql/seeds/<name>.csv` is the asset `staging/<name>` (hubsignal.seeds), so the SQL-model
factory sees it as an upstream of the models that join it."""

from pathlib import Path

import dagster as dg

from assets.partitions import warehouse_asset
from assets.table_metadata import table_metadata
from hubsignal.seeds import load_seed, seed_files
from hubsignal.settings import SQL_DIR
from hubsignal.warehouse import open_warehouse


def build_seed_asset(path: Path) -> dg.AssetsDefinition:
    @warehouse_asset(
        key=["staging", path.stem],
        group_name="seeds",
        kinds={"duckdb", "csv"},
        description=f"Curated seed {path.relative_to(SQL_DIR.parent)}, reloaded whole on every run.",
        metadata={"seed_file": str(path.relative_to(SQL_DIR.parent))},
    )
    def _seed(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with open_warehouse(context.resources.hubsignal.settings().warehouse) as con:
            rows = load_seed(con, path)
            table = table_metadata(con, f"staging.{path.stem}", preview=True)
        return dg.MaterializeResult(metadata={"rows": rows, **table})

    return _seed


def build_seed_assets() -> list[dg.AssetsDefinition]:
    return [build_seed_asset(p) for p in seed_files()]
