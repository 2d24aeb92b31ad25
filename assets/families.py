"""staging/families: the versioned family definitions (pipelines/families.yaml) as a warehouse table."""

import dagster as dg

from assets.partitions import warehouse_asset
from assets.table_metadata import table_metadata
from hubsignal.families import load_families, write_families
from hubsignal.warehouse import open_warehouse


@warehouse_asset(
    key=["staging", "families"],
    group_name="staging",
    kinds={"duckdb"},
    description="One row per (family, org) with include/exclude patterns and the definitions' version.",
)
def staging_families(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = context.resources.hubsignal.settings()
    families = load_families(settings.families_file)
    with open_warehouse(settings.warehouse) as con:
        write_families(con, families)
        table = table_metadata(con, "staging.families", preview=True)
    return dg.MaterializeResult(
        metadata={
            "families_version": families.version,
            "families": len(families.families),
            "orgs": len(families.orgs),
            "file": str(settings.families_file),
            **table,
        }
    )
