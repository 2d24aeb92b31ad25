"""published/warehouse: a read-only copy for analysts, refreshed at the end of every run."""

import dagster as dg

from assets.partitions import warehouse_asset
from hubsignal.warehouse import publish


def build_publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @warehouse_asset(
        key=["published", "warehouse"],
        deps=upstream,
        group_name="published",
        description="Copy of the warehouse that analysts open read-only (`make sql`) while runs go on.",
    )
    def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        s = context.resources.hubsignal.settings()
        path = publish(s.warehouse, s.published_warehouse)
        return dg.MaterializeResult(metadata={"path": str(path), "bytes": path.stat().st_size})

    return published_warehouse
