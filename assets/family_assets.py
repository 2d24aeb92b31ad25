"""staging/families: the versioned family definitions (pipelines/families.yaml) as a warehouse table."""


import dagster as dg

from assets.families import load_families
from assets.warehouse import open_warehouse, transaction
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource


@dg.asset(
    key=["staging", "families"],
    partitions_def=windows,  # one partitions definition for the whole graph; the table itself is global
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name="staging",
    kinds={"duckdb"},
    description="One row per (family, org) with include/exclude patterns and the definitions' version.",
)
def staging_families(context: dg.AssetExecutionContext, hubsignal: HubsignalResource) -> dg.MaterializeResult:
    settings = hubsignal.settings()
    families = load_families(settings.families_file)
    frame = families.to_frame().to_arrow()
    with open_warehouse(settings.warehouse) as con, transaction(con):
        con.register("families_batch", frame)
        con.execute("CREATE OR REPLACE TABLE staging.families AS SELECT * FROM families_batch")
        con.unregister("families_batch")
    return dg.MaterializeResult(
        metadata={"families_version": families.version, "families": len(families.families),
                  "orgs": len(families.orgs), "file": str(settings.families_file)}
    )
