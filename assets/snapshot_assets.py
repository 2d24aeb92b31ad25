"""The snapshot-asset factory: a raw table loaded window by window from the landing zone (replay), fetched
live only for the window that just closed, every other window recorded as missing (hubsignal.snapshots)."""

from collections.abc import Callable
from datetime import datetime

import dagster as dg

from assets.freshness import RAW_SNAPSHOT_FRESHNESS
from assets.partitions import run_partition_keys, run_windows_or_all, windowed_asset
from assets.table_metadata import read_table_metadata
from hubsignal import snapshots
from hubsignal.snapshots import SnapshotReport, Source, live_window, snapshot
from hubsignal.windows import window_starts

# fetch(context, resource, settings, window_start) -> (files, manifest extra) of one live window
Fetch = Callable[[dg.AssetExecutionContext, object, object, datetime], tuple[list, dict]]


def run_snapshot(
    context: dg.AssetExecutionContext,
    source: Source,
    fetch: Callable[[datetime], tuple] | None,
    windows: list[datetime] | None = None,
) -> SnapshotReport:
    """`snapshot` over the run's windows (or `windows`). A failed live fetch fails the step after the other
    windows are loaded and logged, so the UI shows the window."""
    settings = context.resources.hubsignal.settings()
    if windows is None:
        windows = window_starts(*run_windows_or_all(context))
    report = snapshot(
        source,
        windows,
        landing=settings.landing,
        warehouse=settings.warehouse,
        live_window=live_window(settings) if fetch else None,
        fetch=fetch,
        log=context.log.info,
        warn=context.log.warning,
        now=lambda: snapshots.utc_now(),
    )  # looked up at call time: tests pin the clock
    if report.fetch_failed:
        raise dg.Failure(
            description="; ".join(
                f"{source.name} window {k}: live fetch failed: {e}" for k, e in report.fetch_failed.items()
            ),
            metadata=report.metadata(),
        )
    return report


def window_materializations(context: dg.AssetExecutionContext, reports: list[SnapshotReport]):
    """One materialization per window a range run loaded beyond the run's own partitions (a run of the range's
    last window widened by FIRST_WINDOW_TAG), and per unchanged window this instance has not recorded yet (a
    warehouse loaded under another Dagster instance): the asset's partitions show every loaded window, and
    windows with nothing landed cost no event. Quarantined and missing windows stay unmaterialized
    (meta.snapshot_log and `hubsignal status` say which is which)."""
    own = run_partition_keys(context)
    loaded = {k for r in reports for k in r.loaded} - own
    unchanged = {k for r in reports for k in r.unchanged} - own - loaded
    if unchanged:
        unchanged -= set(context.instance.get_materialized_partitions(context.asset_key))
    sources = ", ".join(sorted({r.source for r in reports}))
    for key in sorted(loaded | unchanged):
        yield dg.AssetMaterialization(
            asset_key=context.asset_key,
            partition=key,
            metadata={"loaded_from": sources, "window": "loaded" if key in loaded else "unchanged"},
        )


def snapshot_asset(
    source: Source,
    fetch: Fetch,
    *,
    key: list[str],
    group_name: str,
    description: str,
    deps=(),
    metadata: Callable[[object], dict] | None = None,
    after: Callable[[dg.AssetExecutionContext, object], dict] | None = None,
) -> dg.AssetsDefinition:
    """The asset of `source`; `metadata(settings)` adds keys to every materialization's metadata; `after(context,
    settings)` runs once the windows are loaded (in the same duckdb pool slot) and returns more metadata."""

    @windowed_asset(
        key=key,
        deps=list(deps),
        group_name=group_name,
        kinds={"duckdb"},
        freshness_policy=RAW_SNAPSHOT_FRESHNESS,
        description=description,
    )
    def _asset(context: dg.AssetExecutionContext):
        resource = context.resources.hubsignal
        settings = resource.settings()
        report = run_snapshot(context, source, lambda start: fetch(context, resource, settings, start))
        yield from window_materializations(context, [report])
        after_metadata = after(context, settings) if after else {}
        yield dg.MaterializeResult(
            metadata={
                **report.metadata(),
                **(metadata(settings) if metadata else {}),
                **after_metadata,
                **read_table_metadata(settings, [source.table], *run_windows_or_all(context)),
            }
        )

    return _asset
