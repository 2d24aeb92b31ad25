"""Dagster asset for LiveBench snapshots: raw/livebench_scores (one snapshot of every configured release
per window; replayed from the landing zone, fetched live only for the window that just closed)."""


from datetime import datetime

import dagster as dg

from assets.benchmarks.livebench import PARSER_VERSION, SOURCE, fetch_livebench, parse_livebench, table_file
from assets.quality.load_rules import Expect, LoadRules
from assets.snapshots import Source, run_snapshot
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource

def _configured_tables(window) -> list[str] | None:
    return [table_file(r) for r in window.manifest["releases"]] if window.manifest.get("releases") else None


def _accounted_tables(frame, window) -> set[str]:
    """Release tables the crawl landed or recorded absent (HTTP 404): a table it never asked for is neither."""
    landed = {entry["file"].removesuffix(".gz") for entry, _ in window.files}
    return landed | {a["file"] for a in window.manifest.get("absent", [])}


LIVEBENCH = Source(
    name=SOURCE,
    table="raw.livebench_scores",
    parser_version=PARSER_VERSION,
    parse=parse_livebench,
    window_column="fetched_window",
    # Tier 1: one cell per (release, model, task); every configured release's table landed or recorded absent.
    validate=LoadRules(unique=("release_date", "model", "task"),
                       expect=(Expect("release table", _configured_tables, _accounted_tables),)),
)


@dg.asset(
    key=["raw", "livebench_scores"],
    partitions_def=windows,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name="benchmarks",
    kinds={"duckdb"},
    description="LiveBench leaderboard, long: one row per (fetched_window, release_date, model, task) for every "
    "configured release (LIVEBENCH_RELEASES) as served by LIVEBENCH_BASE_URL; every window's snapshot is kept.",
)
def raw_livebench_scores(context: dg.AssetExecutionContext, hubsignal: HubsignalResource) -> dg.MaterializeResult:
    settings = hubsignal.settings()

    def fetch(start: datetime):
        with hubsignal.livebench_fetcher() as fetcher:
            return fetch_livebench(fetcher, settings.livebench_base_url, settings.livebench_releases,
                                   log=context.log.info)

    report = run_snapshot(context, settings, LIVEBENCH, fetch)
    for key, notes in report.notes.items():
        for note in notes:
            if note.startswith("REJECTED"):
                context.log.warning(f"{SOURCE} {key}: {note}")
    return dg.MaterializeResult(metadata={**report.metadata(), "releases_configured": len(settings.livebench_releases)})
