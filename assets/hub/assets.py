"""Dagster assets for Hub snapshots: raw/hub_models and raw/hub_children_counts."""


from datetime import datetime, timezone

import dagster as dg
import polars as pl

from assets import landing as lz
from assets.families import load_families
from assets.hub import parse
from assets.hub.fetch import fetch_children, fetch_hub_models, models_for_children
from assets.quality.freshness import RAW_SNAPSHOT_FRESHNESS
from assets.quality.load_rules import Expect, LoadRules, json_list_fields, jsonl_body_fields, manifest_list
from assets.snapshots import SnapshotReport, Source, snapshot
from assets.windows import latest_closed_window, window_key, window_starts
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource
from pipelines.settings import Settings

def _listed_orgs(frame: pl.DataFrame, window: lz.LandedWindow) -> set[str]:
    """Orgs whose listing landed in the window (as parse names them), whether or not they had models."""
    return {entry.get("org") or entry["file"].split(".p")[0] for entry, _ in window.files}


HUB_MODELS = Source(
    name="hub_models",
    table="raw.hub_models",
    parser_version=parse.PARSER_VERSION,
    # An imported window's manifest note (e.g. which fields the dump lacked) goes to meta.snapshot_log.message.
    parse=lambda window, start: (parse.parse_hub_models(window, start)[0],
                                 [window.manifest["note"]] if window.origin == "imported" and window.manifest.get("note") else []),
    # Tier 1: rows, one per model, and a listing for every org the crawl was configured with (manifest `orgs`).
    validate=LoadRules(unique=("model_id",), expect=(Expect("org", manifest_list("orgs"), _listed_orgs),)),
    fields=json_list_fields,
)
HUB_CHILDREN = Source(
    name="hub_children_counts",
    table="raw.hub_children_counts",
    parser_version=parse.PARSER_VERSION,
    parse=parse.parse_children,
    validate=LoadRules(unique=("model_id", "relation")),
    fields=jsonl_body_fields,
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _run_snapshot(context: dg.AssetExecutionContext, settings: Settings, source: Source, fetch) -> SnapshotReport:
    tw = context.partition_time_window
    report = snapshot(
        source,
        window_starts(tw.start, tw.end),
        landing=settings.landing,
        warehouse=settings.warehouse,
        live_window=None if settings.offline else latest_closed_window(_now()),
        fetch=fetch,
        log=context.log.info,
        now=_now,
    )
    if report.fetch_failed:
        # The other windows are loaded and logged; the run still fails so the UI shows the failed window.
        raise dg.Failure(
            description="; ".join(f"{source.name} window {k}: live fetch failed: {e}" for k, e in report.fetch_failed.items()),
            metadata=report.metadata(),
        )
    return report


@dg.asset(
    key=["raw", "hub_models"],
    partitions_def=windows,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name="hub",
    kinds={"duckdb"},
    freshness_policy=RAW_SNAPSHOT_FRESHNESS,
    description="One row per (window, model) of every tracked org: downloads (30-day and all-time), likes, "
    "tags and declared parents, from the landing zone (replay) or live for the window that just closed.",
)
def raw_hub_models(context: dg.AssetExecutionContext, hubsignal: HubsignalResource) -> dg.MaterializeResult:
    settings = hubsignal.settings()
    families = load_families(settings.families_file)

    def fetch(start: datetime):
        client = hubsignal.hub_client()
        files = fetch_hub_models(client, families.orgs, log=context.log.info)
        extra = {"orgs": families.orgs, "expand": parse.LIST_EXPAND, "families_version": families.version,
                 "requests_sent": client.requests_sent}
        return files, extra

    report = _run_snapshot(context, settings, HUB_MODELS, fetch)
    return dg.MaterializeResult(metadata={**report.metadata(), "families_version": families.version})


@dg.asset(
    key=["raw", "hub_children_counts"],
    deps=[raw_hub_models],
    partitions_def=windows,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name="hub",
    kinds={"duckdb"},
    freshness_policy=RAW_SNAPSHOT_FRESHNESS,
    description="Direct derivative counts per relation (childrenModelCount) for each family's most "
    "downloaded models (HUBSIGNAL_CHILDREN_TOP_N per family; 0 = all).",
)
def raw_hub_children_counts(context: dg.AssetExecutionContext, hubsignal: HubsignalResource) -> dg.MaterializeResult:
    settings = hubsignal.settings()
    families = load_families(settings.families_file)

    def fetch(start: datetime):
        key = window_key(start)
        # The models to count come from this window's landed listing (the source of truth), not the warehouse.
        listing = lz.read_window(settings.landing, HUB_MODELS.name, key)
        models, _ = parse.parse_hub_models(listing, start)
        chosen = models_for_children(models, families, settings.children_top_n)
        client = hubsignal.hub_client()
        context.log.info(f"counting children of {len(chosen)} models")
        return [fetch_children(client, chosen)], {"top_n": settings.children_top_n, "requests_sent": client.requests_sent}

    report = _run_snapshot(context, settings, HUB_CHILDREN, fetch)
    return dg.MaterializeResult(metadata=report.metadata())
