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


@dg.op(
    pool="duckdb",  # it may quarantine windows: one DuckDB writer at a time, like every warehouse step
    required_resource_keys={"hubsignal"},
    description="Re-hash every landed file against its manifest; quarantine loaded windows whose files changed.",
)
def verify_landing_op(context) -> None:  # no annotation: this module uses postponed annotations
    from hubsignal.verify import verify_landing
    from hubsignal.warehouse import publish

    settings = context.resources.hubsignal.settings()
    report = verify_landing(settings.landing, settings.warehouse)
    for line in report.lines():
        (context.log.info if line.startswith("verified") else context.log.warning)(line)
    if report.quarantined:
        publish(settings.warehouse, settings.published_warehouse)
    if not report.ok:
        raise dg.Failure(description=f"{len(report.problems)} landed window(s) changed after landing: see the log")


@dg.job(description="`hubsignal verify` as a job: the landing zone's files against their manifests.")
def verify_landing_job():
    verify_landing_op()


# Daily, between the 6-hourly windows (they close at 03/09/15/21 UTC).
verify_landing_schedule = dg.ScheduleDefinition(
    job=verify_landing_job,
    cron_schedule="30 5 * * *",
    execution_timezone="UTC",
    name="verify_landing_daily",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
