"""The one partitions definition, built from the window grid (hubsignal.windows), and the decorator every
warehouse asset shares."""

from __future__ import annotations

import dagster as dg

from hubsignal.settings import partitions_start
from hubsignal.windows import WINDOW_CRON, WINDOW_KEY_FORMAT

windows = dg.TimeWindowPartitionsDefinition(
    cron_schedule=WINDOW_CRON,
    start=partitions_start(),
    fmt=WINDOW_KEY_FORMAT,
    timezone="UTC",
    end_offset=0,  # the newest partition is the window that just closed
)


def windowed_asset(**kwargs):
    """`dg.asset` for anything that writes the warehouse: partitioned by window, a whole range in one run
    (the asset reads `context.partition_time_window`), in pool `duckdb` (DuckDB allows one writing process)."""
    return dg.asset(
        partitions_def=windows,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb",
        required_resource_keys={"hubsignal"},
        **kwargs,
    )
