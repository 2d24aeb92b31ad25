"""The whole Hub as a graph: a resumable crawl of a fake whole Hub through the real client and the real
Dagster job, and marts.family_derivative_tree checked against a plain Python BFS over the same tags."""

import json

import pytest

from hubsignal.families import load_families
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from hubsignal.windows import latest_closed_window, window_key
from pipelines.cli import run_windows
from tests.conftest import query
from tests.fakes.fake_livebench import FakeLiveBench
from tests.fakes.fake_whole_hub import WholeHub, anomaly_truth, derivative_truth, whole_hub_models

COLUMNS = (
    "n_direct_derivatives",
    "n_transitive_derivatives",
    "derivative_downloads_30d",
    "derivative_downloads_all_time",
    "max_depth",
)


@pytest.fixture
def livebench(monkeypatch):
    files = {"table_2024_08_31.csv": "model,r1\nm,1\n", "categories_2024_08_31.json": '{"R": ["r1"]}'}
    with FakeLiveBench(files) as fake:
        monkeypatch.setenv("LIVEBENCH_BASE_URL", fake.url)
        monkeypatch.setenv("LIVEBENCH_RELEASES", "2024-08-31")
        monkeypatch.setenv("HUBSIGNAL_CHILDREN_TOP_N", "2")
        monkeypatch.setenv("HUBSIGNAL_CARDS_TOP_N", "1")
        yield fake


def _tree(home, key):
    rows = query(
        home,
        f"SELECT family, {', '.join(COLUMNS)} FROM marts.family_derivative_tree "
        "WHERE strftime(window_start, '%Y-%m-%d-%H:%M') = ? ORDER BY family",
        [key],
    )
    return {r[0]: dict(zip(COLUMNS, r[1:], strict=True)) for r in rows}


def _failures(result) -> str:
    return "\n".join(e.event_specific_data.error.message for e in result.all_events if e.is_step_failure)


_GRAPH_PATH = [
    ["raw", "hub_graph_models"],
    ["staging", "families"],
    ["staging", "hub_graph_edges"],
    ["staging", "family_derivative_reach"],
    ["marts", "family_derivative_tree"],
]
_GRAPH_JOB = None


def _run_graph_path(key: str):
    """The crawl, the families and the derivative-tree mart only (a real in-process Dagster run of a subset
    of the job): the whole job costs ~25 s a run and is exercised by the 100k test."""
    global _GRAPH_JOB
    import dagster as dg

    if _GRAPH_JOB is None:
        from pipelines.definitions import defs

        subset = dg.define_asset_job(
            "hub_graph_test_subset", selection=dg.AssetSelection.assets(*map(dg.AssetKey, _GRAPH_PATH)).without_checks()
        )
        _GRAPH_JOB = dg.Definitions.merge(defs, dg.Definitions(jobs=[subset])).resolve_job_def(subset.name)
    return _GRAPH_JOB.execute_in_process(
        partition_key=key,
        raise_on_error=False,
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )


def _expected(models):
    families = load_families(DEFAULT_FAMILIES_FILE)
    truth = derivative_truth(models, families.family_of)
    zero = dict.fromkeys(COLUMNS, 0)
    return {f.name: truth.get(f.name, zero) for f in families.families}


# 100k: the whole job (`make run`'s path), the one slow test here; 3k: the graph path only, fast.
@pytest.mark.parametrize("n, run", [(3_000, _run_graph_path), (100_000, run_windows)], ids=["3k", "100k"])
def test_crawl_builds_exact_derivative_trees(home, livebench, monkeypatch, n, run):
    models = whole_hub_models(n, seed=n)
    with WholeHub(models, quota=100_000) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        key = window_key(latest_closed_window())
        result = run(key)
        assert result.success, _failures(result)
        listing = [r for r in hub.requests_to("/api/models") if r.path == "/api/models" and "author" not in r.query]
    assert listing[0].query["sort"] == ["createdAt"] and "filter" not in listing[0].query
    assert {"author", "downloads", "downloadsAllTime", "likes", "createdAt", "tags"} <= set(listing[0].query["expand"])
    assert len(listing) == -(-n // 1000)
    assert query(home, "SELECT count(*) FROM raw.hub_graph_models") == [(n,)]
    got = _tree(home, key)
    expected = _expected(models)
    assert got == expected
    assert sum(v["n_transitive_derivatives"] for v in got.values()) > n // 10  # the trees are not trivial
    assert max(v["max_depth"] for v in got.values()) > 8  # deeper than the old 8-level search: exact at any depth
    anomalies = anomaly_truth(models, load_families(DEFAULT_FAMILIES_FILE).family_of)
    assert _anomalies(home, key) == anomalies and min(anomalies.values()) > 0


def _anomalies(home, key):
    """The warn check hub_graph_anomalies' counts for the window (its SQL, run on the built warehouse)."""
    from hubsignal.quality.sql_checks import CHECKS_DIR, load_check
    from hubsignal.sql_models import bind_window
    from hubsignal.windows import WINDOW, parse_window_key

    start = parse_window_key(key)
    sql = bind_window(load_check(CHECKS_DIR / "hub_graph_anomalies.sql").sql, start, start + WINDOW)
    names = ("n_self_loops", "n_models_on_cycles", "n_dead_parent_edges", "n_dead_parents")
    (row,) = query(home, f"SELECT {', '.join(names)} FROM ({sql})")
    return dict(zip(names, row, strict=True))


def test_crawl_resumes_from_its_last_landed_page(home, livebench, monkeypatch):
    models = whole_hub_models(5_500, seed=3)
    with WholeHub(models, quota=100_000) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HUBSIGNAL_HUB_MAX_ATTEMPTS", "2")
        key = window_key(latest_closed_window())
        hub.add_fault("500", page=4, times=2)  # the 2 attempts at page 4 fail: the crawl stops there
        first = _run_graph_path(key)
        assert not first.success
        partial = home / "landing" / "hub_graph" / f".partial-{key}"
        assert sorted(p.name for p in partial.glob("page-*")) == [f"page-0000{i}.json.gz" for i in (1, 2, 3)]
        assert not (home / "landing" / "hub_graph" / key).exists()  # never a partial window
        status, message = query(home, "SELECT status, message FROM meta.snapshot_log WHERE source = 'hub_graph'")[0]
        assert status == "missing" and "HTTP 500" in message
        assert query(home, "SELECT count(*) FROM raw.hub_graph_models") == [(0,)]

        sent = len(hub.requests_to("/api/models"))
        monkeypatch.setenv("HUBSIGNAL_HUB_MAX_ATTEMPTS", "6")
        hub.add_fault("429", times=3)  # rate-limited on the way: waits RateLimit t, never fails the window
        second = _run_graph_path(key)
        assert second.success, _failures(second)
        resumed = [
            r for r in hub.requests_to("/api/models")[sent:] if r.path == "/api/models" and "author" not in r.query
        ]
    assert all("cursor" in r.query for r in resumed), [
        r.query for r in resumed if "cursor" not in r.query
    ]  # page 1 never again
    assert len({r.query["cursor"][0] for r in resumed}) == 3  # pages 4, 5, 6
    manifest = json.loads((home / "landing" / "hub_graph" / key / "manifest.json").read_text())
    assert manifest["record_count"] == 5_500 and len(manifest["files"]) == 6
    assert all(len(f["received_sha256"]) == 64 for f in manifest["files"])
    assert not partial.exists()
    assert _tree(home, key) == _expected(models)
