"""Dagster asset raw/legacy_scores: legacy benchmark claims from model cards (snapshot per window) and from
landed score files (each in the window of its observation), all into raw.legacy_scores.

Two kinds of landing source share the table; each window load replaces only its own source's rows
(`landing_source`), so a card snapshot and a score file landed in the same window never overwrite each other.
- model_card_scores: replayed when landed; fetched live only for the window that just closed, for the top
  HUBSIGNAL_CARDS_TOP_N models per family of that window's landed hub_models listing;
- score_files/<adapter>-<sha12>: only windows that hold a landed file are loaded (a file is an event, not a
  per-window snapshot, so windows without one are not recorded as missing).
"""


from datetime import datetime

import dagster as dg

from assets import landing as lz
from assets.benchmarks import card_scores, legacy
from assets.families import load_families
from assets.hub.assets import raw_hub_models
from assets.hub.fetch import top_models_in_window
from assets.snapshots import SnapshotReport, Source, live_window, snapshot, utc_now
from assets.windows import window_key, window_starts
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource

CARD_SCORES = Source(
    name=card_scores.SOURCE,
    table=legacy.TABLE,
    parser_version=card_scores.PARSER_VERSION,
    parse=card_scores.parse_card_window,
    scope_column="landing_source",
)


def score_file_source(name: str) -> Source:
    return Source(name=name, table=legacy.TABLE, parser_version=legacy.PARSER_VERSION,
                  parse=legacy.parse_score_window, scope_column="landing_source")


@dg.asset(
    key=["raw", "legacy_scores"],
    deps=[raw_hub_models],
    partitions_def=windows,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name="benchmarks",
    kinds={"duckdb"},
    description="Legacy benchmark claims (MMLU, ...) on 0-100 with provenance: model-index/evalResults of the "
    "top HUBSIGNAL_CARDS_TOP_N models per family (live for the window that just closed, else replayed), and "
    "score files landed by land_score_file / `hubsignal import` in the window of their observation.",
)
def raw_legacy_scores(context: dg.AssetExecutionContext, hubsignal: HubsignalResource) -> dg.MaterializeResult:
    settings = hubsignal.settings()
    families = load_families(settings.families_file)
    tw = context.partition_time_window
    starts = window_starts(tw.start, tw.end)

    def fetch(start: datetime):
        chosen = top_models_in_window(settings.landing, start, families, settings.cards_top_n)
        client = hubsignal.hub_client()
        context.log.info(f"model-index/evalResults of {len(chosen)} model cards")
        body = card_scores.fetch_card_scores(client, chosen, log=context.log.info)
        return [body], {"expand": card_scores.CARD_EXPAND, "top_n": settings.cards_top_n,
                        "families_version": families.version, "requests_sent": client.requests_sent}

    cards = snapshot(CARD_SCORES, starts, landing=settings.landing, warehouse=settings.warehouse,
                     live_window=live_window(settings), fetch=fetch, log=context.log.info, now=utc_now)
    for key, notes in cards.notes.items():  # off-spec cards and entries: skipped, each named
        for note in notes:
            context.log.warning(f"{card_scores.SOURCE} {key}: {note}")

    files: list[SnapshotReport] = []
    wanted = {window_key(s): s for s in starts}
    for name in legacy.score_file_sources(settings.landing):
        landed = [wanted[k] for k in lz.landed_keys(settings.landing, name) if k in wanted]
        if landed:
            files.append(snapshot(score_file_source(name), landed, landing=settings.landing,
                                  warehouse=settings.warehouse, live_window=None, fetch=None,
                                  log=context.log.info, now=utc_now))
    metadata = {
        **{f"cards_{k}": v for k, v in cards.metadata().items()},
        "score_files_loaded": sum(len(r.loaded) for r in files),
        "score_files_unchanged": sum(len(r.unchanged) for r in files),
        "score_files_quarantined": "; ".join(f"{r.source} {k}: {v}" for r in files for k, v in r.quarantined.items())
        or "none",
        "score_file_rows_loaded": sum(r.rows for r in files),
        "cards_top_n": settings.cards_top_n,
    }
    if cards.fetch_failed:
        # Score files and the other windows are loaded and logged; the run still fails so the UI shows it.
        raise dg.Failure(
            description="; ".join(f"{card_scores.SOURCE} window {k}: live fetch failed: {e}"
                                  for k, e in cards.fetch_failed.items()),
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)
