"""published/warehouse: a read-only copy for analysts, refreshed at the end of every run."""


import dagster as dg

from assets.warehouse import publish
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource


def build_publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["published", "warehouse"],
        deps=upstream,
        partitions_def=windows,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb",
        group_name="published",
        description="Copy of the warehouse that analysts open read-only (`make sql`) while runs go on.",
    )
    def published_warehouse(hubsignal: HubsignalResource) -> dg.MaterializeResult:
        s = hubsignal.settings()
        path = publish(s.warehouse, s.published_warehouse)
        return dg.MaterializeResult(metadata={"path": str(path), "bytes": path.stat().st_size})

    return published_warehouse
