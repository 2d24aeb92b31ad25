"""Hub snapshots: raw/hub_models and raw/hub_children_counts."""

from assets.snapshot_assets import snapshot_asset
from hubsignal.families import load_families
from hubsignal.hub import parse
from hubsignal.hub.fetch import fetch_children, fetch_hub_models, top_models_in_window
from hubsignal.sources import HUB_CHILDREN, HUB_MODELS


def _fetch_models(context, resource, settings, start):
    families = load_families(settings.families_file)
    client = resource.hub_client()
    files = fetch_hub_models(client, families.orgs, log=context.log.info)
    return files, {
        "orgs": families.orgs,
        "expand": parse.LIST_EXPAND,
        "families_version": families.version,
        "requests_sent": client.requests_sent,
    }


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
    chosen = top_models_in_window(
        settings.landing, start, load_families(settings.families_file), settings.children_top_n
    )
    client = resource.hub_client()
    context.log.info(f"counting children of {len(chosen)} models")
    return [fetch_children(client, chosen, log=context.log.info)], {
        "top_n": settings.children_top_n,
        "requests_sent": client.requests_sent,
    }


raw_hub_children_counts = snapshot_asset(
    HUB_CHILDREN,
    _fetch_children,
    key=["raw", "hub_children_counts"],
    group_name="hub",
    deps=[raw_hub_models],
    description="Direct derivative counts per relation (childrenModelCount) for each family's most "
    "downloaded models (HUBSIGNAL_CHILDREN_TOP_N per family; 0 = all).",
)
