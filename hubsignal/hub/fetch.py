"""Live Hub fetches: what to request and how to turn the raw responses into files for the landing zone."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import polars as pl
from huggingface_hub.errors import HfHubHTTPError

from hubsignal.families import Families
from hubsignal.http import HttpRequestError
from hubsignal.hub.client import HubClient
from hubsignal.hub.parse import CHILDREN_EXPAND, LIST_EXPAND, parse_hub_models
from hubsignal.landing import RawFile, manifest_sha256, read_window
from hubsignal.windows import parse_window_key, window_key


class EmptySnapshotError(RuntimeError):
    """A listing that returned nothing at all: never landed as a real snapshot."""


def fetch_hub_models(client: HubClient, orgs: list[str], log: Callable[[str], None] = print) -> list[RawFile]:
    """Every model of every tracked org, page by page as received (sorted by creation: a stable key)."""
    files: list[RawFile] = []
    for org in orgs:
        pages = client.list_models_pages(author=org, expand=LIST_EXPAND, sort="created_at")
        n = 0
        for i, page in enumerate(pages, 1):
            try:
                records = len(json.loads(page.body))
            except ValueError as exc:  # the client already decoded it; this guards the landing contract
                raise HttpRequestError("GET", page.url, f"page is not valid JSON ({exc})", page.attempts) from exc
            n += records
            files.append(RawFile(f"{org}.p{i:04d}.json", page.body, records, page.url, page.status, page.fetched_at))
        log(f"listed {org}: {n} models in {len(pages)} page(s)")
    if not any(f.n_records for f in files):
        raise EmptySnapshotError(
            f"the Hub listed no model at all for the {len(orgs)} tracked orgs: refusing an empty snapshot"
        )
    return files


def models_for_children(models: pl.DataFrame, families: Families, top_n: int) -> list[str]:
    """Models whose children are counted: every family model, or the top N per family by 30-day downloads."""
    members = models.with_columns(
        pl.col("model_id").map_elements(families.family_of, return_dtype=pl.String).alias("family")
    ).filter(pl.col("family").is_not_null())
    ranked = members.sort(["family", "downloads_30d", "model_id"], descending=[False, True, False], nulls_last=True)
    if top_n > 0:
        ranked = ranked.group_by("family", maintain_order=True).head(top_n)
    return ranked["model_id"].to_list()


def top_models_in_window(landing, start: datetime, families: Families, top_n: int) -> list[str]:
    """`models_for_children` over the window's LANDED listing (the source of truth, not the warehouse): the
    models whose children, cards or card scores a live fetch of that window asks for."""
    key = window_key(start)
    listing = landed_listing(Path(landing), key, manifest_sha256(landing, "hub_models", key))
    return models_for_children(listing, families, top_n)


@lru_cache(maxsize=4)  # children, cards and card scores all ask for the same window: read and parse it once
def landed_listing(landing: Path, key: str, manifest_sha: str) -> pl.DataFrame:
    """The parsed hub_models listing of a landed window (`manifest_sha` keys the cache to its exact content)."""
    return parse_hub_models(read_window(landing, "hub_models", key), parse_window_key(key))[0]


def fetch_children(client: HubClient, model_ids: list[str], log: Callable[[str], None] = print) -> RawFile:
    """One model_info(expand=childrenModelCount) per model, as JSON lines holding each body as received.

    One model's odd answer never fails the window: a 200 body huggingface_hub cannot decode is landed as
    received (lenient), a 4xx for that model only is landed with its status; parse_children records either as
    that model's record error. Exhausted retries or a transport failure (HttpRequestError) still abort the
    fetch, so nothing partial is landed."""
    lines = []
    for model_id in model_ids:
        try:
            resp = client.model_info_raw(model_id, expand=CHILDREN_EXPAND, lenient=True)
            rec = {
                "url": resp.url if resp else None,
                "http_status": resp.status if resp else 404,
                "fetched_at": resp.fetched_at.isoformat() if resp else None,
                "body": resp.body.decode("utf-8", errors="replace") if resp else None,
            }
        except HfHubHTTPError as exc:  # e.g. 400/401/403 (gated) for this repo only
            status = exc.response.status_code if exc.response is not None else None
            log(f"children of {model_id}: HTTP {status}, recorded without a body")
            rec = {"url": None, "http_status": status, "fetched_at": None, "body": None}
        lines.append(json.dumps({"model_id": model_id, **rec}, sort_keys=True))
    return RawFile("children.jsonl", ("\n".join(lines) + "\n").encode(), len(lines))
