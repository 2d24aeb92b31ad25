"""LiveBench snapshots: raw/livebench_scores, one snapshot of every configured release per window."""

from assets.snapshot_assets import snapshot_asset
from hubsignal.livebench import fetch_livebench
from hubsignal.sources import LIVEBENCH


def _fetch(context, resource, settings, start):
    with resource.livebench_fetcher() as fetcher:
        return fetch_livebench(fetcher, settings.livebench_base_url, settings.livebench_releases, log=context.log.info)


raw_livebench_scores = snapshot_asset(
    LIVEBENCH,
    _fetch,
    key=["raw", "livebench_scores"],
    group_name="benchmarks",
    metadata=lambda settings: {"releases_configured": len(settings.livebench_releases)},
    description="LiveBench leaderboard, long: one row per (fetched_window, release_date, model, task) for every "
    "configured release (LIVEBENCH_RELEASES) as served by LIVEBENCH_BASE_URL; every window's snapshot is kept.",
)
