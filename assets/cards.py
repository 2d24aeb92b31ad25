"""raw/model_cards: the README.md of each family's most downloaded models, classified."""

from assets.hub import live_hub_fetch, raw_hub_models
from assets.snapshot_assets import snapshot_asset
from hubsignal.cards import fetch as cards_fetch
from hubsignal.families import load_families
from hubsignal.hub.fetch import top_models_in_window
from hubsignal.sources import MODEL_CARDS
from hubsignal.windows import window_key


def _fetch(context, resource, settings, start):
    families = load_families(settings.families_file)
    chosen = top_models_in_window(settings.landing, start, families, settings.cards_top_n)
    previous_key, previous = cards_fetch.previous_cards(settings.landing, window_key(start))
    context.log.info(f"model cards of {len(chosen)} models (previous card snapshot: {previous_key or 'none'})")
    about = {"top_n": settings.cards_top_n, "families_version": families.version, "previous_window": previous_key}

    def fetch(client):
        files, extra = cards_fetch.fetch_cards(client, chosen, previous, log=context.log.info)
        return files, {**extra, **about}

    return live_hub_fetch(resource, fetch)


raw_model_cards = snapshot_asset(
    MODEL_CARDS,
    _fetch,
    key=["raw", "model_cards"],
    group_name="cards",
    deps=[raw_hub_models],
    metadata=lambda settings: {"top_n": settings.cards_top_n},
    description="Model cards (README.md at the repo's sha) of each family's top HUBSIGNAL_CARDS_TOP_N models by "
    "30-day downloads, with the contamination-disclosure verdict, rule and evidence. A card is downloaded "
    "again only when the repo's sha changed since the previous snapshot; missing and gated cards are recorded as such.",
)
