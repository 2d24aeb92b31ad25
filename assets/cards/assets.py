"""Dagster asset raw/model_cards: the README.md of each family's most downloaded models, classified."""


from datetime import datetime

import dagster as dg

from assets.cards import fetch as cards_fetch
from assets.cards.parse import PARSER_VERSION, parse_model_cards
from assets.families import load_families
from assets.hub.assets import raw_hub_models
from assets.hub.fetch import top_models_in_window
from assets.snapshots import Source, run_snapshot
from assets.windows import window_key
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource

MODEL_CARDS = Source(
    name=cards_fetch.SOURCE,
    table="raw.model_cards",
    parser_version=PARSER_VERSION,
    parse=parse_model_cards,
)


@dg.asset(
    key=["raw", "model_cards"],
    deps=[raw_hub_models],
    partitions_def=windows,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name="cards",
    kinds={"duckdb"},
    description="Model cards (README.md at the repo's sha) of each family's top HUBSIGNAL_CARDS_TOP_N models by "
    "30-day downloads, with the contamination-disclosure verdict, rule and evidence. A card is downloaded "
    "again only when the repo's sha changed since the previous snapshot; missing and gated cards are recorded as such.",
)
def raw_model_cards(context: dg.AssetExecutionContext, hubsignal: HubsignalResource) -> dg.MaterializeResult:
    settings = hubsignal.settings()
    families = load_families(settings.families_file)

    def fetch(start: datetime):
        key = window_key(start)
        chosen = top_models_in_window(settings.landing, start, families, settings.cards_top_n)
        previous_key, previous = cards_fetch.previous_cards(settings.landing, key)
        client = hubsignal.hub_client()
        context.log.info(f"model cards of {len(chosen)} models (previous card snapshot: {previous_key or 'none'})")
        files, extra = cards_fetch.fetch_cards(client, chosen, previous, log=context.log.info)
        return files, {**extra, "top_n": settings.cards_top_n, "families_version": families.version,
                       "previous_window": previous_key, "requests_sent": client.requests_sent}

    report = run_snapshot(context, settings, MODEL_CARDS, fetch)
    return dg.MaterializeResult(metadata={**report.metadata(), "top_n": settings.cards_top_n})
