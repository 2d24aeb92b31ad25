"""The whole-Hub graph's marts on a small hand-built graph: two imported windows of a whole-Hub dump through the
real job; every number below is worked out by hand from the fixture (docs/hub-graph.md defines them).

Window W1 (Qwen/Qwen3-8B and meta-llama/Llama-3.1-8B are the official models; 30-day downloads in brackets):
    Qwen/Qwen3-8B [1000] --finetune--> alice/q-ft [100] --quantized--> bob/q-gguf [50] --merge--> carol/a [7]
    Qwen/Qwen3-8B --adapter--> bob/q-adapter [30] <--plain tag only (unknown)-- alice/q-ft
    Qwen/Qwen3-8B --finetune--> alice/self [5], which also names itself (a self-loop)
    carol/a <--plain (unknown)-- carol/b [3] <--finetune-- carol/a            (a 2-cycle)
    Qwen/Qwen3-8B and meta-llama/Llama-3.1-8B --merge--> eve/merge [20]      (in both families' trees)
    meta-llama/Llama-3.1-8B [2000] --finetune--> dave/l-ft [10 in W1, 500 in W2]; dave/l-ft also names
    gone/deleted, which is not listed (a dead parent)
W2: the same graph, dave/l-ft at 500: Llama's derivatives (520) pass Qwen's (215) on 30-day downloads.
"""

import json
from datetime import timedelta

import pytest

from hubsignal.families import load_families
from hubsignal.imports import import_paths
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from hubsignal.windows import latest_closed_window, window_key
from pipelines.cli import run_windows
from tests.conftest import query

W1_START = latest_closed_window() - timedelta(hours=12)
W1, W2 = window_key(W1_START), window_key(W1_START + timedelta(hours=6))


def _model(mid, downloads, tags=(), all_time=None):
    return {
        "id": mid,
        "author": mid.split("/")[0],
        "downloads": downloads,
        "downloadsAllTime": all_time if all_time is not None else downloads * 4,
        "likes": 1,
        "createdAt": "2025-01-01T00:00:00.000Z",
        "tags": ["transformers", *tags],
    }


def _graph(dave_downloads):
    return [
        _model("Qwen/Qwen3-8B", 1000),
        _model("meta-llama/Llama-3.1-8B", 2000),
        _model("alice/q-ft", 100, ["base_model:Qwen/Qwen3-8B", "base_model:finetune:Qwen/Qwen3-8B"]),
        _model("bob/q-gguf", 50, ["base_model:quantized:alice/q-ft"]),
        _model("bob/q-adapter", 30, ["base_model:adapter:Qwen/Qwen3-8B", "base_model:alice/q-ft"]),
        _model("alice/self", 5, ["base_model:finetune:alice/self", "base_model:finetune:qwen/qwen3-8b"]),
        _model("carol/a", 7, ["base_model:merge:bob/q-gguf", "base_model:carol/b"]),
        _model("carol/b", 3, ["base_model:finetune:carol/a"]),
        _model("eve/merge", 20, ["base_model:merge:Qwen/Qwen3-8B", "base_model:merge:meta-llama/Llama-3.1-8B"]),
        _model("dave/l-ft", dave_downloads, ["base_model:finetune:meta-llama/Llama-3.1-8B", "base_model:gone/deleted"]),
    ]


def _rows(home, sql, params=()):
    return query(home, sql, list(params))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Both windows imported and built in ONE run (the whole job), then W2 re-run alone (must change nothing)."""
    home = tmp_path_factory.mktemp("graph-marts") / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("HUBSIGNAL_HOME", str(home))
    for name in ("HUBSIGNAL_WAREHOUSE", "HF_TOKEN", "HUBSIGNAL_FAMILIES", "DAGSTER_HOME"):
        mp.delenv(name, raising=False)
    mp.setenv("HUBSIGNAL_OFFLINE", "1")
    mp.setenv("HUBSIGNAL_GX", "off")
    mp.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    mp.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    mp.setenv("LIVEBENCH_BASE_URL", "http://127.0.0.1:9")
    dumps = []
    for key, start, dave in ((W1, W1_START, 10), (W2, W1_START + timedelta(hours=6), 500)):
        path = home.parent / f"dump-{key}.json"
        fetched = (start + timedelta(hours=1)).isoformat()  # placed in the window it falls in
        path.write_text(json.dumps({"fetched_at": fetched, "models": _graph(dave)}))
        dumps.append(path)
    families = load_families(DEFAULT_FAMILIES_FILE)
    report = import_paths(dumps, landing=home / "landing", families=families)
    assert report.ok, report.lines()
    first = run_windows(W1, W2, quiet=True)
    assert first.success
    tables = (
        "marts.family_derivative_tree",
        "marts.family_derivative_relations",
        "marts.family_derivative_publishers",
        "marts.family_overtakes",
        "marts.family_concentration",
        "marts.headline_kpis",
    )
    before = {t: sorted(map(repr, _rows(home, f"SELECT * FROM {t}"))) for t in tables}
    again = run_windows(W2, quiet=True)
    assert again.success
    after = {t: sorted(map(repr, _rows(home, f"SELECT * FROM {t}"))) for t in tables}
    yield home, before, after
    mp.undo()


def _by_key(home, sql, window):
    return _rows(home, sql, [window])


def test_derivative_tree_by_hand(built):
    home, _, _ = built
    rows = _by_key(
        home,
        "SELECT family, n_official_models, n_direct_derivatives, n_transitive_derivatives, derivative_downloads_30d, "
        "derivative_downloads_all_time, n_active_derivatives, max_depth, own_downloads_30d, prev_window_start, "
        "n_transitive_derivatives_prev, derivative_downloads_30d_prev FROM marts.family_derivative_tree "
        "WHERE strftime(window_start, '%Y-%m-%d-%H:%M') = ? AND n_official_models > 0 ORDER BY family",
        W1,
    )
    # Qwen: depth 1 alice/q-ft, bob/q-adapter, alice/self, eve/merge; 2 bob/q-gguf; 3 carol/a; 4 carol/b
    qwen_30d = 100 + 30 + 5 + 20 + 50 + 7 + 3
    assert rows == [
        ("Llama", 1, 2, 2, 30, 4 * 30, 2, 1, 2000, None, None, None),
        ("Qwen", 1, 4, 7, qwen_30d, 4 * qwen_30d, 4, 4, 1000, None, None, None),  # active: >= 10
    ]
    second = _by_key(
        home,
        "SELECT family, derivative_downloads_30d, strftime(prev_window_start, '%Y-%m-%d-%H:%M'), "
        "derivative_downloads_30d_prev, n_transitive_derivatives_prev FROM marts.family_derivative_tree "
        "WHERE strftime(window_start, '%Y-%m-%d-%H:%M') = ? AND n_official_models > 0 ORDER BY family",
        W2,
    )
    assert second == [("Llama", 520, W1, 30, 2), ("Qwen", qwen_30d, W1, qwen_30d, 7)]


def test_relations_by_hand(built):
    home, _, _ = built
    rows = _by_key(
        home,
        "SELECT family, relation, n_direct_derivatives, n_transitive_derivatives, derivative_downloads_30d, "
        "derivative_downloads_all_time FROM marts.family_derivative_relations "
        "WHERE strftime(window_start, '%Y-%m-%d-%H:%M') = ? ORDER BY family, relation",
        W1,
    )
    assert rows == [
        ("Llama", "finetune", 1, 1, 10, 40),  # dave/l-ft (its dead parent adds nothing)
        ("Llama", "merge", 1, 1, 20, 80),  # eve/merge
        ("Qwen", "adapter", 1, 1, 30, 120),  # bob/q-adapter from the official model
        ("Qwen", "finetune", 2, 3, 108, 432),  # alice/q-ft, alice/self (not its self-loop), carol/b from carol/a
        ("Qwen", "merge", 1, 2, 27, 108),  # eve/merge (direct), carol/a from bob/q-gguf
        ("Qwen", "quantized", 0, 1, 50, 200),  # bob/q-gguf from alice/q-ft
        ("Qwen", "unknown", 0, 2, 37, 148),  # plain tags alone: bob/q-adapter <- alice/q-ft, carol/a <- carol/b
    ]
    # a model reached by two relations counts in each: Qwen's rows sum to more than its 7 derivatives
    assert sum(r[3] for r in rows if r[0] == "Qwen") == 9


def test_publishers_by_hand(built):
    home, _, _ = built
    rows = _by_key(
        home,
        "SELECT family, rank, publisher, n_derivatives, downloads_30d, downloads_all_time, round(share_30d, 6) "
        "FROM marts.family_derivative_publishers WHERE strftime(window_start, '%Y-%m-%d-%H:%M') = ? "
        "ORDER BY family, rank",
        W1,
    )
    assert rows == [
        ("Llama", 1, "eve", 1, 20, 80, round(20 / 30, 6)),
        ("Llama", 2, "dave", 1, 10, 40, round(10 / 30, 6)),
        ("Qwen", 1, "alice", 2, 105, 420, round(105 / 215, 6)),
        ("Qwen", 2, "bob", 2, 80, 320, round(80 / 215, 6)),
        ("Qwen", 3, "eve", 1, 20, 80, round(20 / 215, 6)),
        ("Qwen", 4, "carol", 2, 10, 40, round(10 / 215, 6)),
    ]
    w2 = _by_key(
        home,
        "SELECT publisher, rank FROM marts.family_derivative_publishers "
        "WHERE strftime(window_start, '%Y-%m-%d-%H:%M') = ? AND family = 'Llama' ORDER BY rank",
        W2,
    )
    assert w2 == [("dave", 1), ("eve", 2)]


def test_derivative_overtake_by_hand(built):
    home, _, _ = built
    rows = _rows(
        home,
        "SELECT strftime(window_start, '%Y-%m-%d-%H:%M'), metric, family, overtaken_family, "
        "strftime(prev_window_start, '%Y-%m-%d-%H:%M'), family_before, overtaken_before, family_after, "
        "overtaken_after FROM marts.family_overtakes "
        "WHERE metric IN ('derivative_downloads_30d', 'transitive_derivatives') ORDER BY ALL",
    )
    assert rows == [(W2, "derivative_downloads_30d", "Llama", "Qwen", W1, 30, 215, 520, 215)]


def test_derivative_inclusive_concentration_and_kpis(built):
    home, _, _ = built
    rows = _rows(
        home,
        "SELECT strftime(c.window_start, '%Y-%m-%d-%H:%M'), c.leader_family_incl_derivatives, "
        "c.leader_downloads_30d_incl_derivatives, round(c.leader_share_30d_incl_derivatives, 6), "
        "round(c.hhi_30d_incl_derivatives, 3), k.top_family_incl_derivatives, "
        "round(k.top_family_incl_derivatives_share_30d, 6), k.top_family_derivative_downloads_30d, "
        "round(k.top_family_derivative_share_30d, 6), k.tracked_derivative_downloads_30d "
        "FROM marts.family_concentration AS c JOIN marts.headline_kpis AS k USING (window_start) ORDER BY 1",
    )
    hhi = lambda *v: round(sum((100 * x / sum(v)) ** 2 for x in v), 3)  # noqa: E731
    assert rows == [
        # own + derivative 30-day downloads: Llama 2000 + 30, Qwen 1000 + 215
        (
            W1,
            "Llama",
            2030,
            round(2030 / 3245, 6),
            hhi(2030, 1215),
            "Llama",
            round(2030 / 3245, 6),
            30,
            round(30 / 2030, 6),
            245,
        ),
        (
            W2,
            "Llama",
            2520,
            round(2520 / 3735, 6),
            hhi(2520, 1215),
            "Llama",
            round(2520 / 3735, 6),
            520,
            round(520 / 2520, 6),
            735,
        ),
    ]


def test_insights_page_shows_the_derivative_inclusive_leader(built):
    home, _, _ = built
    html = (home / "report" / "index.html").read_text()
    card = html[html.index('data-kpi="top_family_derivative_downloads_30d"') :]
    card = card[: card.index("</article>")]
    assert '<span class="kpi-value" data-kpi-value="top_family_derivative_downloads_30d">520</span>' in card
    assert 'data-kpi-value="top_family_incl_derivatives">Llama</span>' in card
    assert f"{100 * 2520 / 3735:.1f}% of the families" in card and f"{100 * 520 / 2520:.1f}% of its total" in card


def test_graph_anomalies_check_by_hand(built):
    home, _, _ = built
    from hubsignal.quality.sql_checks import CHECKS_DIR, load_check
    from hubsignal.sql_models import bind_window
    from hubsignal.windows import parse_window_key

    check = load_check(CHECKS_DIR / "hub_graph_anomalies.sql")
    assert (check.severity, check.asset) == ("warn", ("raw", "hub_graph_models"))
    sql = bind_window(check.sql, parse_window_key(W1), parse_window_key(W2) + timedelta(hours=6))
    # per window: 1 self-loop (alice/self), the 2-cycle carol/a <-> carol/b, 1 edge to gone/deleted
    expected = (1, 2, 1, 1, "carol/a", "gone/deleted")
    assert [r[1:] for r in _rows(home, sql)] == [expected, expected]
    from pipelines.definitions import defs  # an asset check of the job's graph (a warning: it never stops a run)

    keys = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert ("raw/hub_graph_models", "hub_graph_anomalies") in keys


def test_rerun_is_idempotent(built):
    _, before, after = built
    assert before == after
    assert all(before.values())  # every table has rows
