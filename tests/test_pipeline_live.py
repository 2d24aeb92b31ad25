"""The real Dagster job, the real huggingface_hub client and a fake Hub over HTTP on 127.0.0.1."""

import gzip
import json
from datetime import timedelta

import pytest

from hubsignal.windows import latest_closed_window, window_key
from pipelines.cli import run_windows
from tests.conftest import query
from tests.fakes.fake_hub import FakeHub
from tests.fakes.fake_livebench import FakeLiveBench
from tests.hub_fixtures import CHILDREN, EXPECTED_FAMILIES, MODELS

TOKEN = "hf_test-token-never-written-anywhere-0123"


@pytest.fixture
def hub(home, monkeypatch):
    # A tiny LiveBench too, so the whole run (and the published copy after it) succeeds.
    livebench_files = {"table_2024_08_31.csv": "model,r1\nm,1\n", "categories_2024_08_31.json": '{"R": ["r1"]}'}
    with FakeHub(models=MODELS, children=CHILDREN, page_size=2) as fake, FakeLiveBench(livebench_files) as livebench:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.setenv("LIVEBENCH_BASE_URL", livebench.url)
        monkeypatch.setenv("LIVEBENCH_RELEASES", "2024-08-31")
        yield fake


def _latest_key():
    return window_key(latest_closed_window())


def _failure_messages(result) -> str:
    return "\n".join(e.event_specific_data.error.message for e in result.all_events if e.is_step_failure)


HUB_STEPS = {"raw__hub_models", "raw__hub_children_counts", "staging__hub_models", "marts__family_downloads"}


def hub_ok(result) -> bool:
    """The Hub path succeeded. Other live sources (LiveBench, ...) have no fake here and fail on their own."""
    done = {e.step_key for e in result.all_events if e.is_step_success}
    return HUB_STEPS <= done


def test_live_window_lands_loads_and_builds_the_mart(home, hub):
    key = _latest_key()
    result = run_windows(key)
    assert hub_ok(result), _failure_messages(result)

    listing = [
        r for r in hub.requests_to("/api/models") if r.path == "/api/models" and r.query.get("author") == ["Qwen"]
    ]
    assert len(listing) == 3  # 5 Qwen models, page size 2: the real client followed the absolute Link twice
    assert listing[0].query["sort"] == ["createdAt"]
    assert {"downloads", "downloadsAllTime", "tags", "gated"} <= set(listing[0].query["expand"])

    manifest = json.loads((home / "landing" / "hub_models" / key / "manifest.json").read_text())
    assert manifest["origin"] == "live" and manifest["record_count"] == len(MODELS)
    assert all(f["url"].startswith(hub.url) and len(f["sha256"]) == 64 for f in manifest["files"])

    assert query(home, "SELECT count(*), count(DISTINCT model_id) FROM raw.hub_models") == [(len(MODELS), len(MODELS))]
    parents = query(home, "SELECT base_models FROM raw.hub_models WHERE model_id = 'Qwen/Qwen3-8B'")[0][0]
    assert parents == [{"relation": "finetune", "model_id": "Qwen/Qwen3-8B-Base"}]
    rows = query(home, "SELECT family, downloads_all_time, downloads_30d, n_models FROM marts.family_downloads")
    assert {f: (a, d, n) for f, a, d, n in rows} == EXPECTED_FAMILIES
    children = dict(
        query(home, "SELECT relation, n_children FROM raw.hub_children_counts WHERE model_id = 'Qwen/Qwen3-8B-Base'")
    )
    assert children == CHILDREN["Qwen/Qwen3-8B-Base"]
    assert query(
        home, "SELECT relation, n_children FROM raw.hub_children_counts WHERE model_id LIKE 'meta-llama/Llama-3.1%'"
    ) == [("any", 1234)]
    assert query(
        home, "SELECT source, status, origin FROM meta.snapshot_log WHERE source LIKE 'hub%' ORDER BY source"
    ) == [
        ("hub_children_counts", "observed", "live"),
        ("hub_graph", "observed", "live"),
        ("hub_models", "observed", "live"),
    ]
    # the fake answers the whole-Hub listing too (no author): the graph crawl is part of every live run
    assert query(home, "SELECT count(*) FROM raw.hub_graph_models") == [(len(MODELS),)]
    assert (home / "published" / "warehouse.duckdb").is_file()


def test_rerun_replays_and_leaves_identical_rows(home, hub):
    key = _latest_key()
    assert hub_ok(run_windows(key))
    first = query(home, "SELECT * FROM raw.hub_models ORDER BY model_id")
    mart = query(home, "SELECT * FROM marts.family_downloads ORDER BY family")
    sent = len(hub.requests)
    assert hub_ok(run_windows(key))
    assert len(hub.requests) == sent  # the landed window is replayed, not fetched again
    assert query(home, "SELECT * FROM raw.hub_models ORDER BY model_id") == first
    assert query(home, "SELECT * FROM marts.family_downloads ORDER BY family") == mart


def test_truncated_page_fails_the_window_and_leaves_nothing(home, hub):
    key = _latest_key()
    hub.add_fault("truncated", page=2, times=100)
    result = run_windows(key)
    assert not hub_ok(result)
    assert f"hub_models window {key}: live fetch failed" in _failure_messages(result)
    assert "author=Qwen" in _failure_messages(result) and "cursor=" in _failure_messages(result)  # names page 2
    landed = home / "landing" / "hub_models"
    assert not landed.exists() or list(landed.iterdir()) == []  # no window, no temp folder either
    assert query(home, "SELECT count(*) FROM raw.hub_models") == [(0,)]
    status, message = query(home, "SELECT status, message FROM meta.snapshot_log WHERE source = 'hub_models'")[0]
    assert status == "missing" and "undecodable response" in message


def test_hang_fails_within_the_timeout(home, hub, monkeypatch):
    import time

    monkeypatch.setenv("HUBSIGNAL_HUB_TIMEOUT_S", "0.5")
    hub.add_fault("hang", times=10, seconds=5)
    started = time.monotonic()
    result = run_windows(_latest_key())
    assert not hub_ok(result)
    assert "ReadTimeout" in _failure_messages(result)
    # 2 attempts x 0.5 s plus one jittered backoff (<= 1 s) plus Dagster's own overhead.
    assert time.monotonic() - started < 15


def test_past_windows_without_data_are_missing_not_zero(home, hub):
    latest = latest_closed_window()
    first, last = window_key(latest - timedelta(hours=18)), window_key(latest - timedelta(hours=6))
    assert run_windows(first, last).success
    assert hub.requests_to("/api/models") == []  # only the window that just closed is ever fetched live
    assert query(home, "SELECT window_key, status FROM meta.snapshot_log WHERE source = 'hub_models' ORDER BY 1") == [
        (window_key(latest - timedelta(hours=h)), "missing") for h in (18, 12, 6)
    ]
    assert query(home, "SELECT count(*) FROM marts.family_downloads") == [(0,)]


def test_token_is_sent_but_never_written(home, hub, monkeypatch):
    from dagster import DagsterInstance

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    instance = DagsterInstance.ephemeral()
    result = run_windows(_latest_key(), instance=instance)
    assert hub_ok(result)
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in hub.requests_to("/api/models"))

    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            assert TOKEN.encode() not in data, path
    events = instance.all_logs(result.run_id)
    assert events and all(TOKEN not in str(e) for e in events)
    assert TOKEN not in str(result.dagster_run)


# One model's malformed answers: the windows land with every other model; the bad one is a record error.
MALFORMED = {"Qwen/Qwen3-8B-Base": "not_json", "Qwen/Qwen3-8B": "children_shape", "google/gemma-3-4b-it": "no_sha"}


def test_one_models_malformed_answers_never_fail_a_window(home, monkeypatch):
    livebench_files = {"table_2024_08_31.csv": "model,r1\nm,1\n", "categories_2024_08_31.json": '{"R": ["r1"]}'}
    with (
        FakeHub(models=MODELS, children=CHILDREN, page_size=2, malformed=MALFORMED) as fake,
        FakeLiveBench(livebench_files) as livebench,
    ):
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.setenv("LIVEBENCH_BASE_URL", livebench.url)
        monkeypatch.setenv("LIVEBENCH_RELEASES", "2024-08-31")
        key = _latest_key()
        result = run_windows(key)
    assert result.success, _failure_messages(result)

    sources = ("hub_children_counts", "model_cards", "model_card_scores")
    log = dict(query(home, "SELECT source, status FROM meta.snapshot_log WHERE source IN ? ", [list(sources)]))
    assert log == dict.fromkeys(sources, "observed")
    errors = query(home, "SELECT source, record, reason FROM meta.record_errors ORDER BY source, record")
    html = "model_info answer is not JSON (Expecting value: line 1 column 1 (char 0))"
    assert [(s, r) for s, r, _ in errors] == [
        ("hub_children_counts", "Qwen/Qwen3-8B"),
        ("hub_children_counts", "Qwen/Qwen3-8B-Base"),
        ("model_card_scores", "Qwen/Qwen3-8B-Base"),
        ("model_cards", "Qwen/Qwen3-8B-Base"),
        ("model_cards", "google/gemma-3-4b-it"),
    ]
    reasons = {(s, r): why for s, r, why in errors}
    assert reasons[("hub_children_counts", "Qwen/Qwen3-8B")] == "childrenModelCount has an unexpected shape: lots"
    assert reasons[("hub_children_counts", "Qwen/Qwen3-8B-Base")].startswith(html)
    assert reasons[("model_card_scores", "Qwen/Qwen3-8B-Base")].startswith(html)
    assert reasons[("model_cards", "Qwen/Qwen3-8B-Base")].startswith(html)
    assert reasons[("model_cards", "google/gemma-3-4b-it")] == "model_info has no commit sha (None)"

    # Every other model loaded: the children of the others, the cards of the others.
    counted = {m for (m,) in query(home, "SELECT DISTINCT model_id FROM raw.hub_children_counts")}
    assert not counted & {"Qwen/Qwen3-8B", "Qwen/Qwen3-8B-Base"}
    assert query(
        home, "SELECT relation, n_children FROM raw.hub_children_counts WHERE model_id LIKE 'meta-llama/Llama-3.1%'"
    ) == [("any", 1234)]
    cards = {m for (m,) in query(home, "SELECT model_id FROM raw.model_cards")}
    assert cards and not cards & {"Qwen/Qwen3-8B-Base", "google/gemma-3-4b-it"} and "Qwen/Qwen3-8B" in cards
    message = query(home, "SELECT message FROM meta.snapshot_log WHERE source = 'model_cards'")[0][0]
    assert message.startswith("2 record(s) unreadable, loaded without them (meta.record_errors): ")
    assert "google/gemma-3-4b-it: model_info has no commit sha (None)" in message

    # The warn checks report them, one row per window; nothing downstream was stopped.
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for name, n in (
        ("hub_children_counts_record_errors", 2),
        ("model_cards_record_errors", 2),
        ("legacy_scores_record_errors", 1),
    ):
        assert not checks[name].passed and checks[name].severity.value == "WARN", name
        assert checks[name].metadata["offending_rows"].value == 1, name  # one window

    # A replay of the landed windows reloads nothing and keeps the errors.
    before = query(home, "SELECT * FROM meta.record_errors ORDER BY ALL")
    assert hub_ok(run_windows(key))
    assert query(home, "SELECT * FROM meta.record_errors ORDER BY ALL") == before
