"""HubClient against a real HTTP fake Hub, through the real huggingface_hub client. No internet.

Time: backoff/pacing sleeps go to a fake clock (recorded, not slept); only socket timeouts take real time.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
from huggingface_hub.errors import BadRequestError
from huggingface_hub.utils import close_session

from hubsignal.http import HttpPolicy, HttpRequestError, parse_rate_limit
from hubsignal.hub.client import HubClient
from tests.fakes.fake_clock import FakeClock
from tests.fakes.fake_hub import FakeHub, make_model

TOKEN = "hf_TESTtokenDoNotLeak0123456789"
EXPAND = ["downloads", "downloadsAllTime", "likes", "createdAt", "tags"]


@pytest.fixture(autouse=True)
def hf_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    for name in (
        "HF_TOKEN",
        "HF_HUB_OFFLINE",
        "HF_ENDPOINT",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    close_session()  # the shared session reads proxy settings when built: rebuild it with this env
    yield
    close_session()


def qwen_models(n: int) -> list[dict]:
    return [
        make_model(
            f"Qwen/Qwen3-{i}B",
            downloads=100 * i,
            downloads_all_time=1000 * i,
            likes=i,
            created_at=f"2025-04-{i + 1:02d}T08:25:31.000Z",
            tags=["transformers", "text-generation"],
            pipeline_tag="text-generation",
            library_name="transformers",
        )
        for i in range(n)
    ]


def make_client(hub: FakeHub, clock: FakeClock | None = None, token: str | None = None, **policy) -> HubClient:
    clock = clock or FakeClock()
    settings = (
        dict(
            endpoint=hub.url,
            timeout_s=0.5,
            max_attempts=3,
            backoff_base_s=0.01,
            backoff_max_s=0.05,
            rate_limit_slack_s=0.0,
        )
        | policy
    )
    return HubClient(HttpPolicy(**settings), token=token, clock=clock, sleep=clock.sleep)


def ids(pages) -> list[str]:
    return [item["id"] for page in pages for item in json.loads(page.body)]


def test_listing_spans_pages_and_records_each_raw_page():
    models = qwen_models(7) + [make_model("meta-llama/Llama-3.1-8B")]
    with FakeHub(models=models, page_size=2, gzip=True) as hub:
        client = make_client(hub)
        pages = client.list_models_pages("Qwen", EXPAND)
        assert len(pages) == 4 and client.requests_sent == 4
        assert sorted(ids(pages)) == sorted(m["id"] for m in models[:7])  # each exactly once
        assert all(p.status == 200 and p.url.startswith(hub.url + "/api/models?") for p in pages)
        assert "cursor=" not in pages[0].url and all("cursor=" in p.url for p in pages[1:])
        assert all(p.fetched_at.utcoffset().total_seconds() == 0 for p in pages)
        assert parse_rate_limit(pages[0].rate_limit)[0] == 499
        first = json.loads(pages[0].body)[0]  # decoded from gzip; expand = _id, id + requested only
        assert set(first) == {"_id", "id", *EXPAND} and first["createdAt"].endswith(".000Z")
        assert hub.requests[0].query["expand"] == EXPAND and hub.requests[0].query["sort"] == ["createdAt"]


def test_429_with_ratelimit_reset_then_success():
    with FakeHub(models=qwen_models(3)) as hub:
        hub.add_fault("429", reset=1)
        clock = FakeClock()
        pages = make_client(hub, clock).list_models_pages("Qwen", EXPAND)
        assert sorted(ids(pages)) == sorted(m["id"] for m in qwen_models(3))
        assert clock.sleeps == [1.0]  # waited the RateLimit t, once (no extra r==0 pause)
        assert pages[0].attempts == 2 and len(hub.requests) == 3


def test_retry_after_is_honoured_on_503():
    with FakeHub(models=qwen_models(1)) as hub:
        hub.add_fault("503", retry_after=4)
        clock = FakeClock()
        make_client(hub, clock).list_models_pages("Qwen", EXPAND)
        assert clock.sleeps == [4.0]


def test_503_on_a_middle_page_then_success():
    with FakeHub(models=qwen_models(6), page_size=2) as hub:
        hub.add_fault("503", page=2)
        pages = make_client(hub).list_models_pages("Qwen", EXPAND)
        assert len(ids(pages)) == 6 and [p.attempts for p in pages] == [1, 2, 1]
        assert len(hub.requests) == 4


def test_model_info_is_retried_on_503():
    with FakeHub(models=qwen_models(2)) as hub:
        hub.add_fault("503", path_prefix="/api/models/")
        raw = make_client(hub).model_info_raw("Qwen/Qwen3-1B", ["downloadsAllTime"])
        assert json.loads(raw.body)["downloadsAllTime"] == 1000 and raw.attempts == 2
        assert len(hub.requests_to("/api/models/")) == 2


def test_hang_fails_within_attempts_times_timeout():
    with FakeHub(models=qwen_models(1)) as hub:
        hub.add_fault("hang", times=5, seconds=5)
        client = make_client(hub, timeout_s=0.3, max_attempts=2)
        start = time.monotonic()
        with pytest.raises(HttpRequestError) as err:
            client.list_models_pages("Qwen", EXPAND)
        assert time.monotonic() - start < 2 * 0.3 + 0.7
        assert f"{hub.url}/api/models?author=Qwen" in str(err.value) and "Timeout" in str(err.value)
        assert err.value.attempts == 2 and len(hub.requests) == 2


@pytest.mark.parametrize("kind, page", [("truncated", 2), ("not_json", 1)])
def test_bad_page_raises_naming_its_url(kind, page):
    with FakeHub(models=qwen_models(5), page_size=2) as hub:
        hub.add_fault(kind, page=page)
        with pytest.raises(HttpRequestError) as err:
            make_client(hub).list_models_pages("Qwen", EXPAND)
        assert err.value.url.startswith(f"{hub.url}/api/models?author=Qwen")
        assert ("cursor=" in err.value.url) == (page > 1) and err.value.url in str(err.value)


def test_body_cut_mid_transfer_is_retried():
    with FakeHub(models=qwen_models(3), page_size=2) as hub:
        hub.add_fault("truncated", page=2, short_read=True)  # Content-Length says more than was sent
        pages = make_client(hub).list_models_pages("Qwen", EXPAND)
        assert len(ids(pages)) == 3 and pages[1].attempts == 2


@pytest.mark.parametrize("kind, prefix", [("503", "/api/models"), ("429", "/api/models"), ("502", "/api/models/")])
def test_exhausted_retries_raise_after_exactly_max_attempts(kind, prefix):
    with FakeHub(models=qwen_models(2)) as hub:
        hub.add_fault(kind, path_prefix=prefix, times=50)
        client = make_client(hub, max_attempts=4)
        with pytest.raises(HttpRequestError) as err:
            if prefix.endswith("/"):
                client.model_info_raw("Qwen/Qwen3-1B", ["downloads"])
            else:
                client.list_models_pages("Qwen", EXPAND)
        assert f"HTTP {kind}" in str(err.value) and err.value.attempts == 4
        assert len(hub.requests) == 4 and client.requests_sent == 4  # huggingface_hub did not retry on top


def test_client_errors_are_not_retried():
    with FakeHub(models=qwen_models(2)) as hub:
        client = make_client(hub)
        with pytest.raises(BadRequestError):
            client.list_models_pages("Qwen", ["childrenModelCount"])  # model_info-only property
        assert len(hub.requests) == 1


def test_pacing_waits_for_the_rolling_window():
    with FakeHub(models=qwen_models(2)) as hub:
        clock = FakeClock()
        client = make_client(hub, clock, quota_per_5min=3)
        for _ in range(3):
            client.model_info_raw("Qwen/Qwen3-1B", ["downloads"])
        assert clock.sleeps == []
        client.model_info_raw("Qwen/Qwen3-1B", ["downloads"])
        assert clock.sleeps == [300.0] and client.requests_sent == 4


def test_remaining_zero_pauses_until_reset():
    with FakeHub(models=qwen_models(2), quota=1, enforce_quota=False) as hub:
        clock = FakeClock()
        client = make_client(hub, clock)
        first = client.model_info_raw("Qwen/Qwen3-1B", ["downloads"])
        assert parse_rate_limit(first.rate_limit)[0] == 0
        client.model_info_raw("Qwen/Qwen3-1B", ["downloads"])
        assert len(clock.sleeps) == 1 and 295 <= clock.sleeps[0] <= 300


def test_token_travels_only_in_the_authorization_header(caplog):
    caplog.set_level(logging.DEBUG)
    with FakeHub(models=qwen_models(3), page_size=2) as hub:
        client = make_client(hub, token=TOKEN)
        hub.add_fault("503", page=2)
        pages = client.list_models_pages("Qwen", EXPAND)
        hub.add_fault("503", path_prefix="/api/models/", times=10)
        with pytest.raises(HttpRequestError) as err:
            client.model_info_raw("Qwen/Qwen3-1B", ["downloads"])
        assert hub.requests and all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in hub.requests)
        assert all(TOKEN not in r.path + json.dumps(r.query) for r in hub.requests)
        assert all(TOKEN not in p.url for p in pages) and TOKEN not in str(err.value)
        assert "retry" in caplog.text and TOKEN not in caplog.text


def test_children_count_as_object_or_bare_int():
    models = qwen_models(3) + [make_model("someone/Qwen3-2B-GGUF", tags=["base_model:quantized:Qwen/Qwen3-2B"])]
    children = {"Qwen/Qwen3-0B": {"adapter": 716, "merge": 19, "quantized": 190, "finetune": 328}, "Qwen/Qwen3-1B": 42}
    with FakeHub(models=models, children=children) as hub:
        client = make_client(hub)
        count = lambda repo: json.loads(client.model_info_raw(repo, ["childrenModelCount"]).body)["childrenModelCount"]  # noqa: E731
        assert count("Qwen/Qwen3-0B") == children["Qwen/Qwen3-0B"]
        assert count("Qwen/Qwen3-1B") == 42
        assert count("Qwen/Qwen3-2B") == {"quantized": 1}  # derived from the child's base_model tag
        base = json.loads(client.model_info_raw("someone/Qwen3-2B-GGUF", ["baseModels"]).body)["baseModels"]
        assert base == {"relation": "quantized", "models": [{"_id": models[2]["_id"], "id": "Qwen/Qwen3-2B"}]}


def test_missing_model_returns_none():
    with FakeHub(models=qwen_models(1)) as hub:
        client = make_client(hub)
        assert client.model_info_raw("Qwen/does-not-exist", ["downloads"]) is None
        assert len(hub.requests) == 1
