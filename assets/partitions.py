"""The one partitions definition, built from the window grid (hubsignal.windows), the two decorators every
warehouse asset uses, and the run's window range.

Only the raw snapshot assets are partitioned by window (`windowed_asset`): their partitions show which windows
of each source were loaded. Everything derived from them (SQL models, seeds, families, the published copy, the
insights page) is one unpartitioned asset (`warehouse_asset`) that rebuilds the run's windows: Dagster records
one event per partition of a partitioned asset in a range run (on SQLite run storage one write each), so a view
or mart partitioned over a year of windows cost thousands of events per run for nothing a reader uses.

A run's windows: its partition (one window: the schedule), its partition range (a backfill launched from the UI),
and, for `hubsignal backfill/import/demo` and the inbox sensor, the tag FIRST_WINDOW_TAG that widens a run of
the range's LAST window back to the first. Such a run plans one partition per asset; the snapshot assets record
one materialization per window they actually loaded (assets/snapshot_assets.py), so a year with 365 landed
windows costs 365 events, not 1,460 per asset.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from hubsignal.settings import partitions_start
from hubsignal.windows import WINDOW, WINDOW_CRON, WINDOW_KEY_FORMAT, parse_window_key, window_floor

windows = dg.TimeWindowPartitionsDefinition(
    cron_schedule=WINDOW_CRON,
    start=partitions_start(),
    fmt=WINDOW_KEY_FORMAT,
    timezone="UTC",
    end_offset=0,  # the newest partition is the window that just closed
)

# Run tag: the first window of a range run that is launched as a run of its last window (see the module doc).
FIRST_WINDOW_TAG = "hubsignal/first_window"


def windowed_asset(**kwargs):
    """`dg.asset` for a raw snapshot table: partitioned by window, a whole range in one run (the asset reads
    `run_window_range`), in pool `duckdb` (DuckDB allows one writing process)."""
    return dg.asset(
        partitions_def=windows,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb",
        required_resource_keys={"hubsignal"},
        **kwargs,
    )


def warehouse_asset(**kwargs):
    """`dg.asset` for what is derived from the raw tables (SQL models, seeds, publish, the insights page): one
    unpartitioned asset, materialized once per run over the run's windows (`run_window_range`; all windows so
    far when the run has none), in pool `duckdb`.

    Its dependencies on the raw partitioned assets map to their newest window (LastPartitionMapping): with
    Dagster's default (all partitions) every step enumerates every window since HUBSIGNAL_START to compute data
    versions (a second and more per step, growing with time), and the asset reads the whole table anyway."""
    deps = [dg.AssetDep(d, partition_mapping=dg.LastPartitionMapping()) for d in kwargs.pop("deps", ())]
    return dg.asset(pool="duckdb", required_resource_keys={"hubsignal"}, deps=deps, **kwargs)


def run_window_range(context) -> tuple[datetime, datetime] | None:
    """[start, end) of the windows this run covers (UTC), or None for a run without partitions."""
    tags = context.run.tags
    first = tags.get(ASSET_PARTITION_RANGE_START_TAG)
    last = tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if first is None:
        first = last = tags.get(PARTITION_NAME_TAG)
    if first is None:
        return None
    start = parse_window_key(first)
    if tags.get(FIRST_WINDOW_TAG):
        start = min(start, parse_window_key(tags[FIRST_WINDOW_TAG]))
    return start, parse_window_key(last) + WINDOW


def run_windows_or_all(context) -> tuple[datetime, datetime]:
    """The run's window range; a run without partitions (an asset or check launched alone) covers every
    window so far."""
    return run_window_range(context) or (parse_window_key(partitions_start()), window_floor(datetime.now(UTC)))


def run_partition_keys(context) -> set[str]:
    """The partition keys Dagster itself records for a partitioned asset in this run."""
    return set(context.partition_keys) if context.has_partition_key or context.has_partition_key_range else set()
