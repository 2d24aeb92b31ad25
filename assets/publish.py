"""published/warehouse: a read-only copy for analysts, refreshed at the end of every run (a DuckDB-file warehouse;
a DuckLake needs none: its readers attach it read-only). It is the last warehouse step, after every model, so it
also records the run's windows as built (hubsignal.builds)."""

import dagster as dg

from assets.partitions import run_window_range, warehouse_asset
from hubsignal.builds import record_builds
from hubsignal.warehouse import open_warehouse, publish
from hubsignal.windows import window_starts


def build_publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @warehouse_asset(
        key=["published", "warehouse"],
        deps=upstream,
        group_name="published",
        description="Copy of the warehouse that analysts open read-only (`make sql`) while runs go on; "
        "marks the run's windows built (meta.model_builds).",
    )
    def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        s = context.resources.hubsignal.settings()
        window_range = run_window_range(context)
        if window_range is not None:  # a run of the publish step alone builds nothing
            with open_warehouse(s.warehouse) as con:
                record_builds(con, window_starts(*window_range), context.run.run_id)
        path = publish(s.warehouse, s.published_warehouse)
        if path is None:
            return dg.MaterializeResult(
                metadata={"published": "nothing: a DuckLake is read in place (hubsignal sql attaches it read-only)"}
            )
        return dg.MaterializeResult(metadata={"path": str(path), "bytes": path.stat().st_size})

    return published_warehouse
