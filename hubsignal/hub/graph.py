"""The whole Hub as a graph (docs/hub-graph.md): a resumable crawl of every public model, page by page into the
landing zone, and a loader that hands the landed files to DuckDB's own readers (never Python per record).

Landed window `landing/hub_graph/<key>/`:
- a live crawl: `page-NNNNN.json.gz`, each page's body as received (gzip), in listing order;
- an imported whole-Hub dump: `models.parquet` (zstd), the dump's models with the API's field names.
Either way one row per model reaches `raw.hub_graph_models` (duplicates by case-insensitive id: the first
listed wins), and the edges parsed from its `base_model:` tags by the SQL macros of sql/ddl/25_raw_hub_graph.sql
reach `raw.hub_graph_edges`, stored once per run of loaded windows that declare them (valid_from / valid_to).
"""

from __future__ import annotations

import json
import re
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
EDGES_TABLE = "raw.hub_graph_edges"
EDGE_WINDOWS_TABLE = "raw.hub_graph_edge_windows"
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


def landed_relation(paths: list[Path]) -> str:
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


def window_rows_sql(paths: list[Path], *, unique_ids: bool = False) -> str:
    """The landed files' rows, one per model, with the API's columns and `rest` (the `base_model:` tags' parts,
    sql/ddl/25_raw_hub_graph.sql) for the tags. A model listed twice (ids compared case-insensitively, e.g. a
    page boundary shifted while paging) keeps its listing from the first file (page order), then the one with
    the most all-time downloads; with `unique_ids` (checked by the caller) that pass is skipped."""
    dedup = "" if unique_ids else f"QUALIFY {FIRST_LISTING}"
    return (
        'SELECT id, author, downloads, "downloadsAllTime", likes, "createdAt", base_model_rest(tags) AS rest '
        f"FROM {landed_relation(paths)} WHERE id IS NOT NULL {dedup}"
    )


def select_window_sql(rows: str) -> str:
    """One row per model of `rows` (window_rows_sql), shaped as raw.hub_graph_models (window_start bound as $1)."""
    return f"""
        SELECT
            $1::TIMESTAMP AS window_start,
            id AS model_id,
            coalesce(author, split_part(id, '/', 1)) AS author,
            downloads AS downloads_30d,
            "downloadsAllTime" AS downloads_all_time,
            likes,
            try_cast(replace(CAST("createdAt" AS VARCHAR), 'Z', '') AS TIMESTAMP) AS created_at
        FROM ({rows})
    """


def select_edges_sql(rows: str) -> str:
    """The edges `rows` (window_rows_sql) declare: (child_id, parent_id, relation), distinct, by the macros of
    sql/ddl/25_raw_hub_graph.sql, each step over the previous one's column."""
    return f"""
        SELECT child_id, edge.parent_id, edge.relation
        FROM (SELECT id AS child_id, unnest(base_model_edges(rest, base_model_relation_ids(rest))) AS edge FROM ({rows}))
    """


def ids_are_unique(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> bool:
    """No model listed twice (case-insensitive ids) in landed Parquet: one cheap pass over its id column spares
    the loader its duplicate-removal pass (a sort of the whole window). Crawled pages (JSON: a second full
    parse would cost more than it saves) always take the duplicate-removal pass."""
    if not all(p.name.endswith(".parquet") for p in paths):
        return False
    return con.execute(f"SELECT count(id) = count(DISTINCT lower(id)) FROM {landed_relation(paths)}").fetchone()[0]


def load_window(con: duckdb.DuckDBPyConnection, paths: list[Path], window_start: datetime) -> int:
    """Insert the window's models and make it declare exactly its files' edges (call inside the load's
    transaction, after its old models rows are deleted); returns the model count."""
    start = naive_utc(window_start)
    unique_ids = ids_are_unique(con, paths)
    # The files are read twice, for the models and for the edges: a columnar read of Parquet costs little, and
    # staging crawled pages' rows in a temporary table once measured no faster than parsing the JSON again.
    rows = window_rows_sql(paths, unique_ids=unique_ids)
    con.execute(f"INSERT INTO {TABLE} BY NAME {select_window_sql(rows)}", [start])
    set_window_edges(con, start, select_edges_sql(rows))
    return con.execute(f"SELECT count(*) FROM {TABLE} WHERE window_start = ?", [start]).fetchone()[0]


# Edges are stored as intervals over the loaded windows (sql/ddl/25_raw_hub_graph.sql): the rows of an edge hold
# the runs of consecutive loaded windows (raw.hub_graph_edge_windows) that declare it, valid_from the run's first
# window, valid_to the next loaded window (which does not declare it) or NULL. Setting window X's edges first
# takes X into the loaded windows as a copy of the window before it, prev (no row changes: a run through prev
# now runs through X; valid_to is always a loaded window), then flips only the edges whose membership in X
# differs, each touching only its rows next to X: the run ending at X, the run covering X, the run starting at
# next (the loaded window after X). A new window after the others (the steady state) costs one hash join of its
# edges against the open rows, then writes only what changed.
_CHANGES = "hub_graph_edge_changes"
_PLAN = "hub_graph_edge_plan"
_KEY = "child_id, parent_id, relation"


def _run(con: duckdb.DuckDBPyConnection, sql: str, **params) -> duckdb.DuckDBPyConnection:
    """`sql` with the named parameters it uses (DuckDB refuses unused ones)."""
    return con.execute(sql, {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)})


def _same_edge(a: str, b: str) -> str:
    return (
        f"{a}.child_id = {b}.child_id AND {a}.parent_id = {b}.parent_id "
        f"AND {a}.relation IS NOT DISTINCT FROM {b}.relation"
    )


def _covering(at: str) -> str:
    """The edge rows whose run holds loaded window `at` (a parameter)."""
    return f"valid_from <= {at} AND (valid_to IS NULL OR valid_to > {at})"


def set_window_edges(con: duckdb.DuckDBPyConnection, window_start: datetime, edges_sql: str) -> int:
    """Make loaded window `window_start` declare exactly the edges `edges_sql` selects (columns child_id,
    parent_id, relation; distinct rows; read once), whatever the order windows are loaded in: a new window
    after the others, a backfilled one between them, a re-load with the same or other edges (nothing is
    written when they are the same). Call inside the load's transaction. Returns the window's edge count."""
    start = naive_utc(window_start)
    prev, nxt, known = _run(
        con,
        f"SELECT max(window_start) FILTER (WHERE window_start < $w), "
        f"min(window_start) FILTER (WHERE window_start > $w), count(*) FILTER (WHERE window_start = $w) > 0 "
        f"FROM {EDGE_WINDOWS_TABLE}",
        w=start,
    ).fetchone()
    if prev is None and nxt is None and not known:  # the only loaded window: every edge is a new open row
        _run(con, f"INSERT INTO {EDGES_TABLE} SELECT {_KEY}, $w, NULL FROM ({edges_sql})", w=start)
    else:
        _flip_changed_edges(con, start, nxt, known, edges_sql)
    n_edges = _run(con, f"SELECT count(*) FROM {EDGES_TABLE} WHERE {_covering('$w')}", w=start).fetchone()[0]
    con.execute(f"DELETE FROM {EDGE_WINDOWS_TABLE} WHERE window_start = ?", [start])
    con.execute(f"INSERT INTO {EDGE_WINDOWS_TABLE} VALUES (?, ?)", [start, n_edges])
    return n_edges


def _flip_changed_edges(con, start: datetime, nxt: datetime | None, known: bool, edges_sql: str) -> None:
    """set_window_edges with other loaded windows (see the comment above set_window_edges)."""
    # The rows declaring an edge in X (a new X as a copy of prev); with no loaded window after X: the open rows.
    covering = "valid_to IS NULL" if nxt is None else _covering("$w")
    _run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE {_CHANGES} AS
        SELECT
            coalesce(n.child_id, o.child_id) AS child_id,
            coalesce(n.parent_id, o.parent_id) AS parent_id,
            CASE WHEN o.child_id IS NULL THEN n.relation ELSE o.relation END AS relation,
            o.child_id IS NULL AS declared,  -- turned on in X (else turned off)
            o.valid_from AS old_from,
            o.valid_to AS old_to
        FROM ({edges_sql}) AS n
        FULL JOIN (SELECT * FROM {EDGES_TABLE} WHERE {covering}) AS o ON {_same_edge("o", "n")}
        WHERE n.child_id IS NULL OR o.child_id IS NULL
        """,
        w=start,
    )
    # An edge turned on joins the run ending at X (in prev; only a re-loaded X has such rows) and the run
    # starting at next; with neither it is a new run [X, next).
    neighbours = []
    if known:
        neighbours.append(("a", f"SELECT * FROM {EDGES_TABLE} WHERE valid_to = $w"))
    if nxt is not None:
        neighbours.append(("b", f"SELECT * FROM {EDGES_TABLE} WHERE valid_from = $n"))
    alone = " ".join(f"ANTI JOIN ({sql}) AS {x} ON {_same_edge(x, 'c')}" for x, sql in neighbours)
    _run(
        con,
        f"INSERT INTO {EDGES_TABLE} SELECT c.child_id, c.parent_id, c.relation, $w, $n "
        f"FROM {_CHANGES} AS c {alone} WHERE c.declared",
        w=start,
        n=nxt,
    )
    ending = neighbours[0][1] if known else f"SELECT * FROM {EDGES_TABLE} LIMIT 0"
    starting = neighbours[-1][1] if nxt is not None else f"SELECT * FROM {EDGES_TABLE} LIMIT 0"
    # Every other change, one action per row, a row named by its edge and valid_from.
    _run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE {_PLAN} AS
        WITH joined AS (  -- turned on next to a run
            SELECT c.child_id, c.parent_id, c.relation, a.valid_from AS a_from, a.child_id IS NOT NULL AS has_a,
                b.valid_to AS b_to, b.child_id IS NOT NULL AS has_b
            FROM (SELECT * FROM {_CHANGES} WHERE declared) AS c
            LEFT JOIN ({ending}) AS a ON {_same_edge("a", "c")}
            LEFT JOIN ({starting}) AS b ON {_same_edge("b", "c")}
            WHERE a.child_id IS NOT NULL OR b.child_id IS NOT NULL
        ),
        turned_off AS (SELECT * FROM {_CHANGES} WHERE NOT declared)
        -- on, in prev: prev's run now runs through X (and on through next's run, which goes)
        SELECT 'update' AS action, {_KEY}, a_from AS match_from, a_from AS new_from,
            CASE WHEN has_b THEN b_to ELSE $n::TIMESTAMP END AS new_to
        FROM joined WHERE has_a
        UNION ALL
        SELECT 'delete', {_KEY}, $n, NULL, NULL FROM joined WHERE has_a AND has_b
        UNION ALL  -- on, in next only: next's run starts at X
        SELECT 'update', {_KEY}, $n, $w, b_to FROM joined WHERE has_b AND NOT has_a
        UNION ALL  -- off, a run of X alone: gone
        SELECT 'delete', {_KEY}, old_from, NULL, NULL
        FROM turned_off WHERE old_from = $w AND old_to IS NOT DISTINCT FROM $n
        UNION ALL  -- off, the run starts at X and goes on: it starts at next
        SELECT 'update', {_KEY}, old_from, $n, old_to
        FROM turned_off WHERE old_from = $w AND old_to IS DISTINCT FROM $n
        UNION ALL  -- off, the run started before X: it ends at X ...
        SELECT 'update', {_KEY}, old_from, old_from, $w FROM turned_off WHERE old_from < $w
        UNION ALL  -- ... and what went on past X resumes at next
        SELECT 'insert', {_KEY}, NULL, $n, old_to
        FROM turned_off WHERE old_from < $w AND old_to IS DISTINCT FROM $n
        """,
        w=start,
        n=nxt,
    )
    con.execute(
        f"DELETE FROM {EDGES_TABLE} AS e USING {_PLAN} AS p "
        f"WHERE p.action = 'delete' AND {_same_edge('e', 'p')} AND e.valid_from = p.match_from"
    )
    con.execute(
        f"UPDATE {EDGES_TABLE} AS e SET valid_from = p.new_from, valid_to = p.new_to FROM {_PLAN} AS p "
        f"WHERE p.action = 'update' AND {_same_edge('e', 'p')} AND e.valid_from = p.match_from"
    )
    con.execute(f"INSERT INTO {EDGES_TABLE} SELECT {_KEY}, new_from, new_to FROM {_PLAN} WHERE action = 'insert'")
    con.execute(f"DROP TABLE {_CHANGES}")  # (a failed load rolls back: its temporary tables go with it)
    con.execute(f"DROP TABLE {_PLAN}")


def drop_window_edges(con: duckdb.DuckDBPyConnection, window_start: datetime) -> None:
    """Take window `window_start` out of the loaded windows (its models gone: a failed re-load, retention): the
    other windows' edges read the same and stay stored once (call inside the transaction that deletes its
    models). A no-op for a window that is not loaded."""
    start = naive_utc(window_start)
    prev, known = _run(
        con,
        f"SELECT max(window_start) FILTER (WHERE window_start < $w), count(*) FILTER (WHERE window_start = $w) > 0 "
        f"FROM {EDGE_WINDOWS_TABLE}",
        w=start,
    ).fetchone()
    if not known:
        return
    # X declaring exactly prev's edges (none when X is the first) is a copy of prev: then no row names X.
    prev_edges = (
        f"SELECT {_KEY} FROM {EDGES_TABLE} WHERE {_covering(_sql_timestamp(prev))}"
        if prev is not None
        else f"SELECT {_KEY} FROM {EDGES_TABLE} LIMIT 0"
    )
    set_window_edges(con, start, prev_edges)
    con.execute(f"DELETE FROM {EDGE_WINDOWS_TABLE} WHERE window_start = ?", [start])


def _sql_timestamp(value: datetime) -> str:
    return f"TIMESTAMP '{naive_utc(value).isoformat(sep=' ')}'"
