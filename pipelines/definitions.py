"""The one Dagster entry point: `defs`."""

from __future__ import annotations

import dagster as dg

from assets.family_assets import staging_families
from assets.hub.assets import raw_hub_children_counts, raw_hub_models
from assets.publish import build_publish_asset
from assets.sql_models import build_model_assets
from pipelines.jobs import snapshot_job, snapshot_schedule
from pipelines.resources import HubsignalResource


def build_definitions() -> dg.Definitions:
    models = build_model_assets()
    warehouse_assets = [raw_hub_models, raw_hub_children_counts, staging_families, *models]
    publish = build_publish_asset([key for a in warehouse_assets for key in a.keys])
    return dg.Definitions(
        assets=[*warehouse_assets, publish],
        jobs=[snapshot_job],
        schedules=[snapshot_schedule],
        resources={"hubsignal": HubsignalResource()},
        # Steps are serial anyway (one DuckDB writer); in-process avoids a Python start-up per step.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
