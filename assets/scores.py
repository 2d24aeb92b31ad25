"""raw/legacy_scores: legacy benchmark claims from model cards (a snapshot per window) and from landed score
files (each in the window of its observation), all into raw.legacy_scores.

- model_card_scores: replayed when landed; fetched live only for the window that just closed, for the top
  HUBSIGNAL_CARDS_TOP_N models per family of that window's landed hub_models listing;
- score_files/<adapter>-<sha12>: only windows that hold a landed file are loaded (a file is an event, not a
  per-window snapshot, so windows without one are not recorded as missing).
"""

import dagster as dg

from assets.hub import live_hub_fetch, raw_hub_models
from assets.partitions import run_windows_or_all, windowed_asset
from assets.snapshot_assets import run_snapshot, window_materializations
from assets.table_metadata import read_table_metadata
from hubsignal import landing as lz
from hubsignal.families import load_families
from hubsignal.hub.fetch import top_models_in_window
from hubsignal.scores import cards as card_scores
from hubsignal.scores import files as score_files
from hubsignal.sources import CARD_SCORES, score_file_source
from hubsignal.windows import window_key, window_starts


@windowed_asset(
    key=["raw", "legacy_scores"],
    deps=[raw_hub_models],
    group_name="benchmarks",
    kinds={"duckdb"},
    description="Legacy benchmark claims (MMLU, ...) on 0-100 with provenance: model-index/evalResults of the "
    "top HUBSIGNAL_CARDS_TOP_N models per family (live for the window that just closed, else replayed), and "
    "score files landed by land_score_file / `hubsignal import` in the window of their observation.",
)
def raw_legacy_scores(context: dg.AssetExecutionContext):
    resource = context.resources.hubsignal
    settings = resource.settings()
    first, end = run_windows_or_all(context)
    starts = window_starts(first, end)

    # Score files first: a failed live card fetch fails the step only after they are loaded.
    files = []
    wanted = {window_key(s): s for s in starts}
    for name in score_files.score_file_sources(settings.landing):
        landed = [wanted[k] for k in lz.landed_keys(settings.landing, name) if k in wanted]
        if landed:
            files.append(run_snapshot(context, score_file_source(name), None, windows=landed))

    def fetch(start):
        families = load_families(settings.families_file)
        chosen = top_models_in_window(settings.landing, start, families, settings.cards_top_n)
        context.log.info(f"model-index/evalResults of {len(chosen)} model cards")
        extra = {
            "expand": card_scores.CARD_EXPAND,
            "top_n": settings.cards_top_n,
            "families_version": families.version,
        }
        return live_hub_fetch(
            resource, lambda client: ([card_scores.fetch_card_scores(client, chosen, log=context.log.info)], extra)
        )

    cards = run_snapshot(context, CARD_SCORES, fetch, windows=starts)
    yield from window_materializations(context, [cards, *files])
    yield dg.MaterializeResult(
        metadata={
            **{f"cards_{k}": v for k, v in cards.metadata().items()},
            "score_files_loaded": sum(len(r.loaded) for r in files),
            "score_files_unchanged": sum(len(r.unchanged) for r in files),
            "score_files_quarantined": "; ".join(
                f"{r.source} {k}: {v}" for r in files for k, v in r.quarantined.items()
            )
            or "none",
            "score_file_rows_loaded": sum(r.rows for r in files),
            "cards_top_n": settings.cards_top_n,
            **read_table_metadata(settings, [score_files.TABLE], first, end),
        }
    )
