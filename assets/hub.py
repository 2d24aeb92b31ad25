"""Hub snapshots: raw/hub_models, raw/hub_children_counts and the whole-Hub graph raw/hub_graph_models."""

from assets.partitions import run_windows_or_all
from assets.snapshot_assets import snapshot_asset
from hubsignal import snapshots
from hubsignal.families import load_families
from hubsignal.hub import parse
from hubsignal.hub.fetch import fetch_children, fetch_hub_models, top_models_in_window
from hubsignal.hub.graph import crawl_graph
from hubsignal.retention import COMPACT_PER_RUN, apply_retention
from hubsignal.snapshots import NotScheduled
from hubsignal.sources import HUB_CHILDREN, HUB_GRAPH, HUB_MODELS
from hubsignal.windows import window_index, window_key


def live_hub_fetch(resource, fetch):
    """A live fetch with a fresh Hub client: `fetch(client)` returns (files, extra metadata); the metadata
    ends with the number of requests the client sent."""
    client = resource.hub_client()
    files, extra = fetch(client)
    return files, {**extra, "requests_sent": client.requests_sent}


def _fetch_models(context, resource, settings, start):
    families = load_families(settings.families_file)
    extra = {"orgs": families.orgs, "expand": parse.LIST_EXPAND, "families_version": families.version}
    return live_hub_fetch(
        resource, lambda client: (fetch_hub_models(client, families.orgs, log=context.log.info), extra)
    )


raw_hub_models = snapshot_asset(
    HUB_MODELS,
    _fetch_models,
    key=["raw", "hub_models"],
    group_name="hub",
    metadata=lambda settings: {"families_version": load_families(settings.families_file).version},
    description="One row per (window, model) of every tracked org: downloads (30-day and all-time), likes, "
    "tags and declared parents, from the landing zone (replay) or live for the window that just closed.",
)


def _fetch_children(context, resource, settings, start):
    families = load_families(settings.families_file)
    chosen = top_models_in_window(settings.landing, start, families, settings.children_top_n)
    context.log.info(f"counting children of {len(chosen)} models")
    return live_hub_fetch(
        resource,
        lambda client: ([fetch_children(client, chosen, log=context.log.info)], {"top_n": settings.children_top_n}),
    )


raw_hub_children_counts = snapshot_asset(
    HUB_CHILDREN,
    _fetch_children,
    key=["raw", "hub_children_counts"],
    group_name="hub",
    deps=[raw_hub_models],
    description="Direct derivative counts per relation (childrenModelCount) for each family's most "
    "downloaded models (HUBSIGNAL_CHILDREN_TOP_N per family; 0 = all).",
)


def _crawl_graph(context, resource, settings, start):
    """The whole Hub for the window that just closed, every HUBSIGNAL_GRAPH_EVERY windows; the crawl lands
    its pages itself (resumable), so nothing is returned to land."""
    if settings.graph_every > 1 and window_index(start) % settings.graph_every:
        raise NotScheduled(f"the whole Hub is crawled every {settings.graph_every} windows (HUBSIGNAL_GRAPH_EVERY)")
    client = resource.hub_client(quota_per_5min=settings.graph_quota_per_5min)
    crawl_graph(
        client,
        settings.landing,
        window_key(start),
        fetched_at=snapshots.utc_now,
        extra={"quota_per_5min": settings.graph_quota_per_5min},
        log=context.log.info,
    )
    context.log.info(f"hub_graph: {client.requests_sent} requests at a pace of {settings.graph_quota_per_5min}/5 min")


def _graph_retention(context, settings) -> dict:
    """After the load, in the same pool slot (no load reads a window while it is swapped): compact old crawled
    windows in the landing zone, prune old raw rows; the run's own windows are never pruned."""
    report = apply_retention(
        settings,
        now=snapshots.utc_now(),
        keep=run_windows_or_all(context),
        compact_limit=COMPACT_PER_RUN,
        log=context.log.info,
    )
    for line in report.lines():
        (context.log.warning if ": not " in line else context.log.info)(line)
    return report.metadata()


raw_hub_graph_models = snapshot_asset(
    HUB_GRAPH,
    _crawl_graph,
    key=["raw", "hub_graph_models"],
    group_name="hub",
    metadata=lambda settings: {
        "graph_quota_per_5min": settings.graph_quota_per_5min,
        "graph_every": settings.graph_every,
        "graph_compact_after_days": settings.graph_compact_after_days,
        "graph_retain_days": settings.graph_retain_days,
    },
    after=_graph_retention,
    description="The whole Hub as a graph: one row per (window, model) of every public model, with its "
    "downloads (its declared parents, base_model: tags, go to raw.hub_graph_edges, stored once while unchanged), "
    "from a resumable crawl of GET /api/models or an imported whole-Hub dump (docs/hub-graph.md). Then the "
    "graph's retention: old crawled windows compacted in the landing zone, old raw rows pruned "
    "(HUBSIGNAL_GRAPH_COMPACT_AFTER_DAYS, HUBSIGNAL_GRAPH_RETAIN_DAYS).",
)
