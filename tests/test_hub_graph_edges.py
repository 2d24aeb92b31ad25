"""The whole-Hub graph's edges stored once per run of loaded windows (raw.hub_graph_edges: valid_from / valid_to),
whatever the order windows are loaded in: random load sequences (new windows at the end, backfills between
loaded ones, re-loads with the same or changed edges, failed re-loads) checked after every step against the
edge sets last loaded, through staging.hub_graph_edges and the stored intervals themselves."""

import gzip
import json
import random
import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from hubsignal import landing as lz
from hubsignal.hub import graph
from hubsignal.settings import Lake
from hubsignal.snapshots import snapshot
from hubsignal.sources import HUB_GRAPH
from hubsignal.sql_models import MODELS_DIR, load_model, materialize
from hubsignal.warehouse import connect, ensure_schema, open_warehouse, transaction
from hubsignal.windows import window_key

T0 = datetime(2026, 3, 1, 3)
WINDOWS = [T0 + timedelta(hours=6 * i) for i in range(9)]
CHILDREN = [f"user{i % 3}/Model-{i}" for i in range(10)]
PARENTS = ["Qwen/Qwen3-8B", "qwen/qwen3-8b", "meta-llama/Llama-3.1-8B", "gone/deleted", *CHILDREN[:3]]
RELATIONS = [None, "finetune", "adapter", "quantized", "merge"]
EDGES_VIEW = load_model(MODELS_DIR / "staging" / "hub_graph_edges.sql")


def _random_edge(rng: random.Random) -> tuple:
    return rng.choice(CHILDREN), rng.choice(PARENTS), rng.choice(RELATIONS)


def _mutated(rng: random.Random, edges: set) -> set:
    """Edges added, removed, or with another relation; sometimes the same set, sometimes none at all."""
    roll = rng.random()
    if roll < 0.15:
        return set(edges)
    if roll < 0.22:
        return set()
    out = set(edges)
    for _ in range(rng.randint(1, 4)):
        action = rng.random()
        if action < 0.4:
            out.add(_random_edge(rng))
        elif action < 0.7 and out:
            out.discard(rng.choice(sorted(out, key=str)))
        elif out:
            child, parent, relation = old = rng.choice(sorted(out, key=str))
            out.discard(old)
            out.add((child, parent, rng.choice([r for r in RELATIONS if r != relation])))
    return out


def _runs(loaded: list[datetime], truth: dict, edge: tuple) -> list[tuple]:
    """The rows an edge must have: one per maximal run of consecutive loaded windows declaring it,
    (valid_from = the run's first window, valid_to = the next loaded window or None)."""
    rows, start = [], None
    for i, w in enumerate(loaded):
        if edge in truth[w] and start is None:
            start = w
        if edge not in truth[w] and start is not None:
            rows.append((start, w))
            start = None
    if start is not None:
        rows.append((start, None))
    return rows


def _assert_exact(con, truth: dict) -> None:
    loaded = sorted(truth)
    got = {w: set() for w in loaded}
    for w, child, parent, relation in con.execute(
        "SELECT window_start, child_id, parent_id, relation FROM staging.hub_graph_edges"
    ).fetchall():
        assert w in got, f"edges read back for a window that is not loaded: {w}"
        assert (child, parent, relation) not in got[w], "an edge read back twice for one window"
        got[w].add((child, parent, relation))
    assert got == truth
    assert dict(con.execute("SELECT window_start, n_edges FROM raw.hub_graph_edge_windows").fetchall()) == {
        w: len(e) for w, e in truth.items()
    }
    stored: dict[tuple, list] = {}
    for child, parent, relation, valid_from, valid_to in con.execute(
        "SELECT child_id, parent_id, relation, valid_from, valid_to FROM raw.hub_graph_edges"
    ).fetchall():
        stored.setdefault((child, parent, relation), []).append((valid_from, valid_to))
    every_edge = set().union(*truth.values()) if truth else set()
    assert set(stored) == every_edge
    for edge, rows in stored.items():  # unchanged across consecutive loaded windows: ONE row
        assert sorted(rows, key=lambda r: r[0]) == _runs(loaded, truth, edge), edge


def _set_edges(con, window: datetime, edges: set) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE given (child_id VARCHAR, parent_id VARCHAR, relation VARCHAR)")
    if edges:
        con.executemany("INSERT INTO given VALUES (?, ?, ?)", sorted(edges, key=str))
    with transaction(con):
        graph.set_window_edges(con, window, "SELECT * FROM given")


@pytest.fixture
def warehouse():
    """The warehouse's schema in memory: the sequences below load hundreds of windows."""
    con = duckdb.connect()
    ensure_schema(con)
    materialize(con, EDGES_VIEW, T0, T0)
    yield con
    con.close()


@pytest.mark.parametrize("seed", range(12))
def test_random_load_orders_read_back_every_window_exactly_and_store_unchanged_edges_once(warehouse, seed):
    rng = random.Random(seed)
    con, truth = warehouse, {}
    for _ in range(30):
        window = rng.choice(WINDOWS)
        if truth and rng.random() < 0.12:  # a failed re-load: the window's rows go, the others read the same
            gone = rng.choice(sorted(truth))
            with transaction(con):
                graph.drop_window_edges(con, gone)
            del truth[gone]
        else:
            # start from the window's own last load or from a loaded neighbour: consecutive windows share edges
            base = truth.get(window) or (truth[rng.choice(sorted(truth))] if truth else set())
            if not base:
                base = {_random_edge(rng) for _ in range(rng.randint(0, 8))}
            truth[window] = _mutated(rng, base)
            _set_edges(con, window, truth[window])
        _assert_exact(con, truth)


def test_a_new_window_with_the_same_edges_writes_no_edge_row(warehouse):
    con = warehouse
    edges = {(c, p, r) for c, p, r in zip(CHILDREN, PARENTS * 2, RELATIONS * 2, strict=False)}
    _set_edges(con, WINDOWS[0], edges)
    before = con.execute("SELECT rowid, * FROM raw.hub_graph_edges ORDER BY rowid").fetchall()
    _set_edges(con, WINDOWS[1], edges)
    _set_edges(con, WINDOWS[1], edges)  # re-loaded unchanged
    assert con.execute("SELECT rowid, * FROM raw.hub_graph_edges ORDER BY rowid").fetchall() == before
    assert all(valid_to is None for *_, valid_to in before)
    _assert_exact(con, {WINDOWS[0]: edges, WINDOWS[1]: edges})


# ------------------------------------------------------------------ through the snapshot loader, from landed pages


def _page(edges_by_child: dict[str, list[str]], extra_models: int = 2) -> bytes:
    """A landed page of the whole-Hub listing: each child's tags carry its parents; a few models without any."""
    records = [{"id": child, "downloads": 1, "tags": ["transformers", *tags]} for child, tags in edges_by_child.items()]
    records += [{"id": f"solo/m{i}", "downloads": 2, "tags": []} for i in range(extra_models)]
    return json.dumps(records).encode()


def _tags(edges: set) -> dict[str, list[str]]:
    by_child: dict[str, list[str]] = {c: [] for c in CHILDREN}
    for child, parent, relation in edges:
        by_child[child].append(f"base_model:{parent}" if relation is None else f"base_model:{relation}:{parent}")
    return by_child


def _land(landing, window: datetime, body: bytes) -> None:
    folder = lz.window_dir(landing, graph.SOURCE, window_key(window))
    shutil.rmtree(folder, ignore_errors=True)  # a re-landed window (e.g. a corrected re-import)
    n = len(json.loads(body))
    lz.land_window(
        landing,
        graph.SOURCE,
        window_key(window),
        [lz.RawFile("page-00001.json", body, n)],
        origin="live",
        fetched_at=window + timedelta(hours=7),
    )


def _warehouse(tmp_path, backend: str):
    """The warehouse of a test: a DuckDB file, or a DuckLake (DuckDB-file catalog, Parquet data on local disk)."""
    if backend == "file":
        return tmp_path / "warehouse.duckdb"
    return Lake(str(tmp_path / "catalog.ducklake"), str(tmp_path / "lake-data"))


def _load(tmp_path, warehouse, window: datetime):
    return snapshot(
        HUB_GRAPH,
        [window],
        landing=tmp_path / "landing",
        warehouse=warehouse,
        live_window=None,
        fetch=None,
        log=lambda _: None,
        now=lambda: datetime.now(UTC),
    )


def _read_back(warehouse) -> tuple[dict, dict]:
    con = connect(warehouse, read_only=True)
    try:
        edges: dict = {}
        for w, c, p, r in con.execute(
            "SELECT window_start, child_id, parent_id, relation FROM staging.hub_graph_edges"
        ).fetchall():
            edges.setdefault(w, set()).add((c, p, r))
        models = dict(con.execute("SELECT window_start, count(*) FROM raw.hub_graph_models GROUP BY ALL").fetchall())
        return edges, models
    finally:
        con.close()


@pytest.mark.parametrize("backend", ["file", "ducklake"])
def test_the_snapshot_loader_keeps_the_intervals_for_any_load_order(tmp_path, backend):
    """Landed pages loaded in a random order, re-landed with other edges, an empty window and a damaged one:
    every loaded window reads back its last loaded edges; a window whose load fails changes nothing else."""
    rng = random.Random(12)
    landing, warehouse = tmp_path / "landing", _warehouse(tmp_path, backend)
    with open_warehouse(warehouse) as con:
        materialize(con, EDGES_VIEW, T0, T0)
    truth: dict = {}
    base = {_random_edge(rng) for _ in range(12)}
    for window in rng.sample(WINDOWS[:6], 6) + [WINDOWS[2], WINDOWS[6]]:  # random order, then a re-load
        truth[window] = base = _mutated(rng, base) | {(CHILDREN[0], PARENTS[0], "finetune")}
        _land(landing, window, _page(_tags(base)))
        report = _load(tmp_path, warehouse, window)
        assert report.loaded == [window_key(window)]
        edges, models = _read_back(warehouse)
        assert edges == truth and set(models) == set(truth)

    # A window the Hub listed no model for is quarantined: no model, no edge, the others unchanged.
    _land(landing, WINDOWS[7], b"[]")
    assert window_key(WINDOWS[7]) in _load(tmp_path, warehouse, WINDOWS[7]).quarantined
    assert _read_back(warehouse) == (truth, {w: len(CHILDREN) + 2 for w in truth})

    # A loaded window whose landed page was damaged afterwards: its re-load fails, its rows go, the windows
    # around it read the same (and their edges are stored once again, as if it had never been loaded).
    damaged = WINDOWS[3]
    page = lz.window_dir(landing, graph.SOURCE, window_key(damaged)) / "page-00001.json.gz"
    page.write_bytes(gzip.compress(b"[]"))
    assert window_key(damaged) in _load(tmp_path, warehouse, damaged).quarantined
    del truth[damaged]
    assert _read_back(warehouse) == (truth, {w: len(CHILDREN) + 2 for w in truth})
    with open_warehouse(warehouse) as con:
        _assert_exact(con, truth)


# ------------------------------------------------------------------ an old warehouse: parents in raw.hub_graph_models

# raw.hub_graph_models and staging.hub_graph_edges as they were before the edges were stored once.
OLD_GRAPH_DDL = [
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS staging",
    """CREATE TABLE raw.hub_graph_models (
        window_start TIMESTAMP NOT NULL, model_id VARCHAR NOT NULL, author VARCHAR, downloads_30d BIGINT,
        downloads_all_time BIGINT, likes BIGINT, created_at TIMESTAMP,
        parents STRUCT(parent_id VARCHAR, relation VARCHAR)[])""",
    """CREATE VIEW staging.hub_graph_edges AS SELECT m.window_start, m.model_id AS child_id,
        lower(m.model_id) AS child_key, p.parent_id, lower(p.parent_id) AS parent_key, p.relation
        FROM raw.hub_graph_models AS m, unnest(m.parents) AS t(p)""",
]


def _old_graph_warehouse(warehouse, rng: random.Random) -> dict:
    """Windows loaded in a random order, each with edges changed from a neighbour's; returns their edges."""
    con = connect(warehouse)
    for statement in OLD_GRAPH_DDL:
        con.execute(statement)
    truth, base = {}, {_random_edge(rng) for _ in range(10)}
    for window in rng.sample(WINDOWS, 7):
        truth[window] = base = _mutated(rng, base)
        parents = {c: [] for c in CHILDREN}
        for child, parent, relation in base:
            parents[child].append({"parent_id": parent, "relation": relation})
        con.executemany(
            "INSERT INTO raw.hub_graph_models VALUES (?, ?, ?, 1, 2, 3, NULL, ?)",
            [(window, child, child.split("/")[0], ps) for child, ps in parents.items()],
        )
    con.close()
    return truth


def _view_rows(warehouse):
    con = connect(warehouse, read_only=True)
    try:
        return sorted(con.execute("SELECT * FROM staging.hub_graph_edges").fetchall(), key=str)
    finally:
        con.close()


@pytest.mark.parametrize("backend", ["file", "ducklake"])
def test_an_old_warehouse_moves_its_parents_to_the_intervals_on_first_write_open(tmp_path, backend):
    path = _warehouse(tmp_path, backend)
    truth = _old_graph_warehouse(path, random.Random(5))
    before = _view_rows(path)
    with open_warehouse(path) as con:
        columns = [r[0] for r in con.execute("DESCRIBE raw.hub_graph_models").fetchall()]
        assert "parents" not in columns and "model_id" in columns
        _assert_exact(con, truth)  # every window's edges, each unchanged run stored once
        assert con.execute("SELECT count(*) FROM raw.hub_graph_models").fetchone()[0] == 7 * len(CHILDREN)
    assert _view_rows(path) == before  # readers see the same rows
    stored = _view_rows(path)
    with open_warehouse(path) as con:  # a no-op from now on
        _assert_exact(con, truth)
    assert _view_rows(path) == stored
