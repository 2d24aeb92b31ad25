"""Dagster assets for Hub snapshots: raw/hub_models and raw/hub_children_counts."""


from datetime import datetime

import dagster as dg
import polars as pl

from assets import landing as lz
from assets.families import load_families
from assets.hub import parse
from assets.hub.fetch import fetch_children, fetch_hub_models, top_models_in_window
from assets.quality.freshness import RAW_SNAPSHOT_FRESHNESS
from assets.quality.load_rules import Expect, LoadRules, json_list_fields, jsonl_body_fields, manifest_list
from assets.snapshots import Source, run_snapshot
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource

def _listed_orgs(frame: pl.DataFrame, window: lz.LandedWindow) -> set[str]:
    """Orgs whose listing landed in the window (as parse names them), whether or not they had models."""
    return {parse.page_org(entry) for entry, _ in window.files}


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

    report = run_snapshot(context, settings, HUB_MODELS, fetch)
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
        chosen = top_models_in_window(settings.landing, start, families, settings.children_top_n)
        client = hubsignal.hub_client()
        context.log.info(f"counting children of {len(chosen)} models")
        return [fetch_children(client, chosen, log=context.log.info)], {"top_n": settings.children_top_n, "requests_sent": client.requests_sent}

    report = run_snapshot(context, settings, HUB_CHILDREN, fetch)
    return dg.MaterializeResult(metadata=report.metadata())
