"""The 6-hourly job over the whole graph, and its schedule."""

from __future__ import annotations

import dagster as dg

snapshot_job = dg.define_asset_job(
    name="hubsignal_6h",
    selection=dg.AssetSelection.all(),
    description="Snapshot the Hub for a window (or replay/backfill a range), then rebuild the SQL models.",
)

# Fires when a window closes (03/09/15/21 UTC) and materializes the window that just closed.
snapshot_schedule = dg.build_schedule_from_partitioned_job(snapshot_job, name="hubsignal_6h_schedule")
