"""The one Dagster entry point: `defs`."""

from __future__ import annotations

import dagster as dg

from assets.cards import raw_model_cards
from assets.checks import build_checks
from assets.families import staging_families
from assets.hub import raw_hub_children_counts, raw_hub_graph_models, raw_hub_models
from assets.insights import build_insights_asset
from assets.livebench import raw_livebench_scores
from assets.publish import build_publish_asset
from assets.scores import raw_legacy_scores
from assets.seeds import build_seed_assets
from assets.sql_models import build_model_assets
from pipelines.jobs import snapshot_job, snapshot_schedule, verify_landing_job, verify_landing_schedule
from pipelines.resources import HubsignalResource
from pipelines.sensors import inbox_sensor


def build_definitions() -> dg.Definitions:
    models = build_model_assets()
    seeds = build_seed_assets()  # sql/seeds/*.csv -> staging.<name>
    warehouse_assets = [
        raw_hub_models,
        raw_hub_children_counts,
        raw_hub_graph_models,
        raw_livebench_scores,
        raw_model_cards,
        staging_families,
        raw_legacy_scores,
        *seeds,
        *models,
    ]
    publish = build_publish_asset([key for a in warehouse_assets for key in a.keys])
    # The insights page follows the marts and the published copy: the last step of every run.
    marts = [key for a in models for key in a.keys if key.path[0] == "marts"]
    insights = build_insights_asset([*marts, *publish.keys])
    return dg.Definitions(
        assets=[*warehouse_assets, publish, insights],
        # sql/checks/*.sql and the great_expectations suites of the tables that exist (assets/checks.py)
        asset_checks=build_checks(
            [key for a in warehouse_assets for key in a.keys],
            partitioned=frozenset(key for a in warehouse_assets if a.partitions_def is not None for key in a.keys),
        ),
        jobs=[snapshot_job, verify_landing_job],
        schedules=[snapshot_schedule, verify_landing_schedule],
        sensors=[inbox_sensor],
        resources={"hubsignal": HubsignalResource()},
        # Steps are serial anyway (one DuckDB writer); in-process avoids a Python start-up per step.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
