"""The whole Hub as a graph (docs/hub-graph.md): a resumable crawl of every public model, page by page into the
landing zone, and a loader that hands the landed files to DuckDB's own readers (never Python per record).

Landed window `landing/hub_graph/<key>/`:
- a live crawl: `page-NNNNN.json.gz`, each page's body as received (gzip), in listing order;
- an imported whole-Hub dump: `models.parquet` (zstd), the dump's models with the API's field names.
Either way one row per model reaches `raw.hub_graph_models` (duplicates by case-insensitive id: the first
listed wins), with the parents parsed from its `base_model:` tags by the SQL macros of sql/ddl/25_raw_hub_graph.sql.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from hubsignal import landing as lz
from hubsignal.hub.client import HubClient
from hubsignal.values import naive_utc

SOURCE = "hub_graph"
TABLE = "raw.hub_graph_models"
PARSER_VERSION = "1"
# Everything the graph and its marts need; `tags` carry the parents (`base_model:` tags).
GRAPH_EXPAND = ["author", "downloads", "downloadsAllTime", "likes", "createdAt", "tags"]
PARQUET_FILE = "models.parquet"
# Columns of a landed page or dump file, by the API's names (explicit: no schema sniffing, no surprises).
API_COLUMNS = {
    "id": "VARCHAR",
    "author": "VARCHAR",
    "downloads": "BIGINT",
    "downloadsAllTime": "BIGINT",
    "likes": "BIGINT",
    "createdAt": "VARCHAR",
    "tags": "VARCHAR[]",
}


class EmptyCrawlError(RuntimeError):
    """The whole-Hub listing returned no model at all: never landed as a snapshot."""


def crawl_graph(
    client: HubClient,
    landing: Path,
    key: str,
    *,
    fetched_at: Callable[[], datetime],
    extra: dict | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Crawl the whole Hub for window `key`, landing each page as it arrives (resuming a killed crawl of the
    same window from its last landed page), and land the window when the listing is complete. Raises on
    failure with the pages landed so far kept for the next attempt; the window stays unlanded."""
    _drop_stale_partials(landing, key, log)
    with lz.PartialWindow(landing, SOURCE, key) as partial:
        if partial.n_pages and not partial.finished:
            log(f"{SOURCE} {key}: resuming the crawl after page {partial.n_pages} ({partial.n_records} models)")
        sent_before = client.requests_sent

        def on_page(page) -> None:
            try:
                n = len(json.loads(page.body))
            except ValueError:  # the library raises on it too; never land a page we cannot read
                return
            partial.add_page(lz.RawFile("page", page.body, n, page.url, page.status, page.fetched_at), page.next_url)
            if partial.n_pages % 100 == 0:
                log(f"{SOURCE} {key}: {partial.n_pages} pages, {partial.n_records} models landed")

        if not partial.finished:
            client.list_models_paged(GRAPH_EXPAND, on_page, sort="created_at", resume_url=partial.resume_url)
        if not partial.finished:
            raise lz.LandingError(f"{partial.folder}: the listing ended without its last page")
        if partial.n_records == 0:
            raise EmptyCrawlError(f"{SOURCE} {key}: the Hub listed no model at all; refusing an empty snapshot")
        requests = client.requests_sent - sent_before
        path = partial.complete(
            origin="live",
            fetched_at=fetched_at(),
            extra={
                "expand": GRAPH_EXPAND,
                "sort": "createdAt",
                "requests_sent_last_attempt": requests,
                **(extra or {}),
            },
        )
        log(f"{SOURCE} {key}: landed {partial.n_records} models in {partial.n_pages} pages")
        return path


def _drop_stale_partials(landing: Path, key: str, log: Callable[[str], None]) -> None:
    """Pages of an older window's unfinished crawl can never complete that window (it is no longer the one
    that just closed): they are not landed data, so they go."""
    root = landing / SOURCE
    if not root.is_dir():
        return
    for folder in root.glob(".partial-*"):
        if folder.is_dir() and folder.name.removeprefix(".partial-") < key:
            shutil.rmtree(folder, ignore_errors=True)
            (root / f"{folder.name}.lock").unlink(missing_ok=True)
            log(f"{SOURCE}: removed the unfinished crawl of an older window ({folder.name})")


def _relation(paths: list[Path]) -> str:
    """A DuckDB relation over the landed files with the API's column names and each row's file."""
    listed = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
    if all(p.name.endswith(".parquet") for p in paths):
        return f"read_parquet({listed}, filename = true)"
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in API_COLUMNS.items()) + "}"
    return f"read_json({listed}, format = 'array', columns = {columns}, compression = 'gzip', filename = true)"


# The listing of a model kept when it is listed twice (by the loader, and by compaction: hubsignal/retention.py).
FIRST_LISTING = """row_number() OVER (
    PARTITION BY lower(id) ORDER BY filename, "downloadsAllTime" DESC NULLS LAST, downloads DESC NULLS LAST
) = 1"""


def select_window_sql(paths: list[Path], *, unique_ids: bool = False) -> str:
    """One row per model of the landed files, shaped as raw.hub_graph_models (window_start bound as $1).
    A model listed twice (ids compared case-insensitively, e.g. a page boundary shifted while paging) keeps
    its listing from the first file (page order), then the one with the most all-time downloads; with
    `unique_ids` (checked by the caller) that pass is skipped. Parents: sql/ddl/25_raw_hub_graph.sql, each
    step over the previous one's column."""
    dedup = "" if unique_ids else f"QUALIFY {FIRST_LISTING}"
    return f"""
        SELECT
            $1::TIMESTAMP AS window_start,
            id AS model_id,
            coalesce(author, split_part(id, '/', 1)) AS author,
            downloads AS downloads_30d,
            "downloadsAllTime" AS downloads_all_time,
            likes,
            try_cast(replace(CAST("createdAt" AS VARCHAR), 'Z', '') AS TIMESTAMP) AS created_at,
            base_model_edges(rest, base_model_relation_ids(rest)) AS parents
        FROM (
            SELECT *, base_model_rest(tags) AS rest
            FROM {_relation(paths)}
            WHERE id IS NOT NULL
            {dedup}
        )
    """


def ids_are_unique(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> bool:
    """No model listed twice (case-insensitive ids) in landed Parquet: one cheap pass over its id column spares
    the loader its duplicate-removal pass (a sort of the whole window). Crawled pages (JSON: a second full
    parse would cost more than it saves) always take the duplicate-removal pass."""
    if not all(p.name.endswith(".parquet") for p in paths):
        return False
    return con.execute(f"SELECT count(id) = count(DISTINCT lower(id)) FROM {_relation(paths)}").fetchone()[0]


def load_window(con: duckdb.DuckDBPyConnection, paths: list[Path], window_start: datetime) -> int:
    """Insert the window's rows (call inside the load's transaction); returns the row count."""
    start = naive_utc(window_start)
    con.execute(
        f"INSERT INTO {TABLE} BY NAME {select_window_sql(paths, unique_ids=ids_are_unique(con, paths))}", [start]
    )
    return con.execute(f"SELECT count(*) FROM {TABLE} WHERE window_start = ?", [start]).fetchone()[0]
