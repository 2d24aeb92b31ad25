"""raw/model_cards end to end: the real Dagster job, the real huggingface_hub download (HEAD + GET of
/{repo}/resolve/{sha}/README.md) against the fake Hub on 127.0.0.1, cards reused while the sha is unchanged,
missing and gated cards recorded as such, and marts.disclosure_rate checked against numbers worked out by
hand. Also: failure paths (nothing half-landed), and the synthetic sample cards of `make demo`."""

import gzip
import hashlib
import json
import random
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from demo.cards import _DISCLOSE, _MENTION, _SILENT, SAMPLE_NOTE, build_sample_cards, render_card
from demo.hub import build_sample_archive
from hubsignal import landing as lz
from hubsignal.cards.classify import DISCLOSES, MENTIONS, SILENT, classify
from hubsignal.cards.fetch import SOURCE, fetch_cards, previous_cards
from hubsignal.cards.parse import parse_model_cards
from hubsignal.families import load_families
from hubsignal.http import HttpPolicy
from hubsignal.hub.client import HubClient
from hubsignal.settings import Settings
from hubsignal.windows import WINDOW, latest_closed_window, parse_window_key, window_key
from pipelines.cli import JOB_NAME
from pipelines.definitions import defs
from tests.conftest import PROJECT, query
from tests.fakes.fake_hub import FakeHub
from tests.hub_fixtures import MODELS
from tests.snapshot_runs import run_loader

FIXTURES = Path(__file__).parent / "fixtures" / "cards"
FAMILIES = load_families(PROJECT / "pipelines" / "families.yaml")
CARDS = {
    "Qwen/Qwen3-8B": (FIXTURES / "ngram_paragraph.md").read_text(),  # D2
    "Qwen/Qwen2.5-7B-Instruct": (FIXTURES / "mention_only.md").read_text(),  # M1 (then D3 after its update)
    "Qwen/Qwen3-8B-Base": (FIXTURES / "table_contamination_column.md").read_text(),  # D2, from a table
    # Qwen/Qwen3-8B-GGUF has no README: 404 EntryNotFound
    "Qwen/QwQ-32B": (FIXTURES / "decontamination_section.md").read_text(),  # 5th Qwen by downloads: not tracked (N=4)
    "meta-llama/Llama-3.1-8B-Instruct": 401,  # gated, anonymous
    "meta-llama/Llama-3.2-1B": 403,  # gated, token without access
    "google/gemma-3-4b-it": (FIXTURES / "soil_contamination.md").read_text(),  # silent (another sense)
}
UPDATED_CARD = (FIXTURES / "embedding_similarity.md").read_text()
CARD_ASSETS = [
    dg.AssetKey(k)
    for k in (
        ["raw", "hub_models"],
        ["raw", "model_cards"],
        ["staging", "families"],
        ["staging", "hub_models"],
        ["marts", "disclosure_rate"],
        ["marts", "disclosure_evidence"],
    )
]


@pytest.fixture
def hub(home, monkeypatch):
    models = [dict(m) for m in MODELS]  # the test changes a sha: keep the shared fixture intact
    with FakeHub(models=models, cards=dict(CARDS), page_size=2) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.setenv("HUBSIGNAL_CARDS_TOP_N", "4")
        yield fake


def _run(key: str, monkeypatch, *, live: str | None = None, last: str | None = None, assets=CARD_ASSETS):
    """The real hubsignal_6h job over the card assets and their upstreams, `live` being the window that
    has just closed (the clock is set inside the window after it)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    if live:
        now = parse_window_key(live) + WINDOW + timedelta(minutes=7)
        monkeypatch.setattr("hubsignal.snapshots.utc_now", lambda: now)
    job = defs.resolve_job_def(JOB_NAME)
    options = {"asset_selection": assets, "raise_on_error": False, "instance": dg.DagsterInstance.ephemeral()}
    if last:
        options["tags"] = {ASSET_PARTITION_RANGE_START_TAG: key, ASSET_PARTITION_RANGE_END_TAG: last}
    else:
        options["partition_key"] = key
    result = job.execute_in_process(**options)
    assert result.success, "\n".join(
        e.event_specific_data.error.message for e in result.all_events if e.is_step_failure
    )
    return result


def _card_requests(hub, since: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in hub.requests[since:] if "/resolve/" in r.path]


def _sha(hub, model_id: str) -> str:
    return hub.models[model_id]["sha"]


def test_make_run_includes_the_card_snapshot():
    job = defs.resolve_job_def(JOB_NAME)
    assert dg.AssetKey(["raw", "model_cards"]) in job.asset_layer.executable_asset_keys
    assert Settings.from_env().cards_top_n == 5


def test_cards_land_classify_reuse_by_sha_and_feed_the_mart(home, hub, monkeypatch):
    k2 = latest_closed_window()
    k1 = k2 - WINDOW
    key1, key2 = window_key(k1), window_key(k2)

    # ---- window 1: every tracked card is fetched live
    _run(key1, monkeypatch, live=key1)
    tracked = [
        "Qwen/Qwen3-8B",
        "Qwen/Qwen2.5-7B-Instruct",
        "Qwen/Qwen3-8B-Base",
        "Qwen/Qwen3-8B-GGUF",
        "meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.2-1B",
        "google/gemma-3-4b-it",
    ]
    infos = [r for r in hub.requests if r.path.startswith("/api/models/")]
    assert sorted(r.path[len("/api/models/") :] for r in infos) == sorted(tracked)
    assert all(r.query.get("expand") == ["sha"] for r in infos)
    assert not any("QwQ" in r.path for r in hub.requests)  # 5th Qwen model by downloads: beyond the top 4
    ok = ["Qwen/Qwen3-8B", "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen3-8B-Base", "google/gemma-3-4b-it"]
    expected = [("HEAD", f"/{m}/resolve/{_sha(hub, m)}/README.md") for m in tracked]
    expected += [("GET", f"/{m}/resolve/{_sha(hub, m)}/README.md") for m in ok]
    assert sorted(_card_requests(hub)) == sorted(expected)  # pinned to the sha model_info returned

    folder = lz.window_dir(home / "landing", SOURCE, key1)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["origin"] == "live" and manifest["cards_fetched"] == 4 and manifest["cards_reused"] == {}
    assert manifest["top_n"] == 4 and manifest["record_count"] == 7 + 4
    for m in ok:  # bodies land exactly as served
        assert gzip.decompress((folder / f"{m.replace('/', '__')}.README.md.gz").read_bytes()) == CARDS[m].encode()

    rows = query(
        home,
        "SELECT model_id, card_status, http_status, error_code, verdict, rule, sha, card_bytes, "
        "reused_from_window FROM raw.model_cards ORDER BY model_id",
    )
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("Qwen/Qwen2.5-7B-Instruct", "ok", 200, None, MENTIONS, "M1-mention"),
        ("Qwen/Qwen3-8B", "ok", 200, None, DISCLOSES, "D2-ngram-overlap"),
        ("Qwen/Qwen3-8B-Base", "ok", 200, None, DISCLOSES, "D2-ngram-overlap"),
        ("Qwen/Qwen3-8B-GGUF", "missing", 404, "EntryNotFound", None, None),
        ("google/gemma-3-4b-it", "ok", 200, None, SILENT, "S1-other-sense"),
        ("meta-llama/Llama-3.1-8B-Instruct", "gated", 401, "GatedRepo", None, None),
        ("meta-llama/Llama-3.2-1B", "gated", 403, "GatedRepo", None, None),
    ]
    assert all(r[6] == _sha(hub, r[0]) for r in rows)
    assert {r[0]: r[7] for r in rows if r[1] == "ok"} == {m: len(CARDS[m].encode()) for m in ok}
    assert all(r[8] is None for r in rows)

    # marts.disclosure_rate by hand (denominator = readable cards; missing/gated counted apart):
    #   Qwen  tracked 4: ok 3 (8B D2, 8B-Base D2, 2.5-7B M1), missing 1 (GGUF) -> 2 / 3; of tracked 2 / 4
    #   Llama tracked 2: gated 2 -> rate NULL (no readable card); of tracked 0 / 2
    #   Gemma tracked 1: ok 1, silent -> 0 / 1
    #   overall tracked 7: ok 4, missing 1, gated 2, disclosing 2 -> 2 / 4; of tracked 2 / 7
    mart = query(
        home,
        "SELECT scope, family, models_tracked, models_with_card, models_card_missing, models_card_gated, "
        "models_disclosing, models_mentioning_only, models_silent, disclosure_rate, "
        "disclosure_rate_of_tracked FROM marts.disclosure_rate ORDER BY scope, family",
    )
    assert mart == [
        ("family", "Gemma", 1, 1, 0, 0, 0, 0, 1, 0.0, 0.0),
        ("family", "Llama", 2, 0, 0, 2, 0, 0, 0, None, 0.0),
        ("family", "Qwen", 4, 3, 1, 0, 2, 1, 0, pytest.approx(2 / 3), 0.5),
        ("overall", None, 7, 4, 1, 2, 2, 1, 1, 0.5, pytest.approx(2 / 7)),
    ]
    evidence = dict(query(home, "SELECT model_id, evidence FROM marts.disclosure_evidence WHERE verdict IS NOT NULL"))
    assert "shares a 13-gram with any benchmark test set" in evidence["Qwen/Qwen3-8B"][0]
    assert evidence["Qwen/Qwen3-8B-Base"][0].startswith("Granular-8B-Instruct › Results › Benchmark: MMLU-Pro")
    assert query(home, "SELECT family, card_status FROM marts.disclosure_evidence WHERE model_id LIKE '%GGUF'") == [
        ("Qwen", "missing")
    ]

    # ---- window 2: one repo got a new commit (new sha, new card); the others did not
    hub.models["Qwen/Qwen2.5-7B-Instruct"]["sha"] = hashlib.sha1(b"a new commit").hexdigest()
    hub.cards["Qwen/Qwen2.5-7B-Instruct"] = UPDATED_CARD
    hub.cards["Qwen/Qwen3-8B"] = "changed on the server but the sha did not move: never fetched"
    sent = len(hub.requests)
    _run(key2, monkeypatch, live=key2)
    assert len([r for r in hub.requests[sent:] if r.path.startswith("/api/models/")]) == 7  # the sha of each
    new = f"/Qwen/Qwen2.5-7B-Instruct/resolve/{_sha(hub, 'Qwen/Qwen2.5-7B-Instruct')}/README.md"
    assert sorted(_card_requests(hub, sent)) == sorted(
        [
            ("HEAD", new),
            ("GET", new),  # the changed repo
            (
                "HEAD",
                f"/meta-llama/Llama-3.1-8B-Instruct/resolve/{_sha(hub, 'meta-llama/Llama-3.1-8B-Instruct')}/README.md",
            ),
            (
                "HEAD",
                f"/meta-llama/Llama-3.2-1B/resolve/{_sha(hub, 'meta-llama/Llama-3.2-1B')}/README.md",
            ),  # gated: retried
        ]
    )  # unchanged ok cards and the missing one: no request at all

    manifest2 = json.loads((lz.window_dir(home / "landing", SOURCE, key2) / "manifest.json").read_text())
    assert manifest2["previous_window"] == key1 and manifest2["cards_fetched"] == 1
    assert manifest2["cards_reused"] == {
        "Qwen/Qwen3-8B": f"{key1}/Qwen__Qwen3-8B.README.md.gz",
        "Qwen/Qwen3-8B-Base": f"{key1}/Qwen__Qwen3-8B-Base.README.md.gz",
        "google/gemma-3-4b-it": f"{key1}/google__gemma-3-4b-it.README.md.gz",
        "Qwen/Qwen3-8B-GGUF": f"{key1}/(missing)",
    }
    w2 = {
        r[0]: r[1:]
        for r in query(
            home,
            "SELECT model_id, card_status, verdict, rule, reused_from_window, card_sha256 FROM raw.model_cards "
            "WHERE window_start = ?",
            [k2.replace(tzinfo=None)],
        )
    }
    assert w2["Qwen/Qwen2.5-7B-Instruct"][:4] == ("ok", DISCLOSES, "D3-embedding-similarity", None)
    assert w2["Qwen/Qwen3-8B"][:4] == ("ok", DISCLOSES, "D2-ngram-overlap", k1.replace(tzinfo=None))
    assert w2["Qwen/Qwen3-8B"][4] == hashlib.sha256(CARDS["Qwen/Qwen3-8B"].encode()).hexdigest()
    assert w2["Qwen/Qwen3-8B-GGUF"][:2] == ("missing", None) and w2["Qwen/Qwen3-8B-GGUF"][3] == k1.replace(tzinfo=None)
    # By hand: Qwen now 3 disclosing of 3 readable; overall 3 of 4 readable, 3 of 7 tracked.
    assert query(
        home,
        "SELECT family, models_disclosing, models_with_card, disclosure_rate, disclosure_rate_of_tracked "
        "FROM marts.disclosure_rate WHERE window_start = ? AND family IN ('Qwen') OR "
        "(window_start = ? AND scope = 'overall') ORDER BY scope",
        [k2.replace(tzinfo=None)] * 2,
    ) == [("Qwen", 3, 3, 1.0, 0.75), (None, 3, 4, 0.75, pytest.approx(3 / 7))]

    # ---- replaying both windows in one run: no request, identical rows (the reference is read back)
    before = query(home, "SELECT * FROM raw.model_cards ORDER BY window_start, model_id")
    mart = query(home, "SELECT * FROM marts.disclosure_rate ORDER BY window_start, scope, family")
    sent = len(hub.requests)
    _run(key1, monkeypatch, last=key2, assets=CARD_ASSETS[1:2] + CARD_ASSETS[4:])  # hub_models stays loaded
    assert len(hub.requests) == sent
    assert query(home, "SELECT * FROM raw.model_cards ORDER BY window_start, model_id") == before
    assert query(home, "SELECT * FROM marts.disclosure_rate ORDER BY window_start, scope, family") == mart


# ------------------------------------------------------------------------------------------ failure paths


def _snapshot(home, key: str, fetch, log=None):
    from hubsignal.sources import MODEL_CARDS

    return run_loader(MODEL_CARDS, [key], home, live_window=parse_window_key(key), fetch=fetch, log=log)


def test_a_card_that_keeps_failing_lands_nothing(home):
    with FakeHub(models=MODELS, cards=dict(CARDS)) as fake:
        client = HubClient(
            HttpPolicy(endpoint=fake.url, timeout_s=2, max_attempts=2, backoff_base_s=0),
            sleep=lambda _: None,
            rng=random.Random(0),
        )
        fake.add_fault("503", path_prefix="/Qwen/Qwen3-8B-Base/resolve", times=10)
        key = "2026-10-01-03:00"
        report = _snapshot(home, key, lambda start: fetch_cards(client, ["Qwen/Qwen3-8B", "Qwen/Qwen3-8B-Base"], {}))
    assert list(report.fetch_failed) == [key] and "Qwen/Qwen3-8B-Base/resolve" in report.fetch_failed[key]
    assert "HTTP 503" in report.fetch_failed[key]
    assert not (home / "landing" / SOURCE).exists() or list((home / "landing" / SOURCE).iterdir()) == []
    assert query(home, "SELECT status FROM meta.snapshot_log WHERE source = 'model_cards'") == [("missing",)]
    assert query(home, "SELECT count(*) FROM raw.model_cards") == [(0,)]


def test_a_reused_card_whose_landed_body_changed_quarantines_the_window(home):
    with FakeHub(models=MODELS, cards=dict(CARDS)) as fake:
        client = HubClient(HttpPolicy(endpoint=fake.url, timeout_s=2, max_attempts=1))
        k1, k2 = "2026-10-01-03:00", "2026-10-01-09:00"
        assert _snapshot(home, k1, lambda s: fetch_cards(client, ["Qwen/Qwen3-8B"], {})).loaded == [k1]
        prev_key, previous = previous_cards(home / "landing", k2)
        assert prev_key == k1
        assert _snapshot(home, k2, lambda s: fetch_cards(client, ["Qwen/Qwen3-8B"], previous)).loaded == [k2]
    body = lz.window_dir(home / "landing", SOURCE, k1) / "Qwen__Qwen3-8B.README.md.gz"
    body.write_bytes(gzip.compress(b"tampered"))
    window = lz.read_window(home / "landing", SOURCE, k2)  # k2's own files are intact ...
    with pytest.raises(lz.LandingError, match=r"Qwen__Qwen3-8B.README.md.gz: sha256 differs from the manifest"):
        parse_model_cards(window, parse_window_key(k2))  # ... but the card it references is not


def test_unreadable_records_are_record_errors_and_the_others_load(home):
    good = {
        "model_id": "Qwen/Y",
        "card_status": "missing",
        "http_status": 404,
        "error_code": "EntryNotFound",
        "url": None,
        "file": None,
        "reused_from": None,
        "checked_at": "2026-10-01T09:01:00+00:00",
        "fetched_at": "2026-10-01T09:01:00+00:00",
        "sha": "0" * 40,
    }
    lines = [
        json.dumps({"model_id": "Qwen/X", "card_status": "says_nothing"}),
        "{damaged",
        json.dumps(
            {
                **good,
                "model_id": "Qwen/Z",
                "card_status": "error",
                "sha": None,
                "error": "model_info has no commit sha (None)",
            }
        ),
        json.dumps(good),
    ]
    lz.land_window(
        home / "landing",
        SOURCE,
        "2026-10-01-03:00",
        [lz.RawFile("cards.jsonl", "\n".join(lines).encode() + b"\n", 4)],
        origin="live",
        fetched_at=parse_window_key("2026-10-01-03:00"),
    )
    window = lz.read_window(home / "landing", SOURCE, "2026-10-01-03:00")
    frame, notes, errors = parse_model_cards(window, parse_window_key("2026-10-01-03:00"))
    assert frame["model_id"].to_list() == ["Qwen/Y"] and notes == []
    assert [(e.record, e.reason) for e in errors] == [
        ("Qwen/X", "card_status 'says_nothing' is not one of ('ok', 'missing', 'gated')"),
        (
            "line 2",
            "malformed card record (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        ),
        ("Qwen/Z", "model_info has no commit sha (None)"),
    ]
    assert errors[1].location.endswith("cards.jsonl.gz line 2")


# ---------------------------------------------------------------------------------- synthetic sample cards


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_sample_cards_are_synthetic_deterministic_and_reuse_by_sha(tmp_path):
    trees = []
    for run in ("a", "b"):
        landing = tmp_path / run / "landing"
        keys = build_sample_archive(landing, FAMILIES, n_windows=6).window_keys
        summary = build_sample_cards(landing, FAMILIES, keys)
        assert summary.windows_written == 6 and summary.windows_without_listing == 0
        trees.append(_tree(landing / SOURCE))
    assert trees[0] == trees[1]  # byte-identical
    again = build_sample_cards(landing, FAMILIES, keys)
    assert (again.windows_written, again.windows_skipped) == (0, 6) and _tree(landing / SOURCE) == trees[1]

    statuses, reused = set(), 0
    for key in keys:
        window = lz.read_window(landing, SOURCE, key)
        assert window.origin == "synthetic_sample" and window.manifest["synthetic"] is True
        assert window.manifest["note"] == SAMPLE_NOTE
        for entry, body in window.files:
            if entry["file"].endswith(".README.md.gz"):
                assert b"SYNTHETIC SAMPLE DATA" in body and b"NOT the model card" in body
        frame, _, errors = parse_model_cards(window, parse_window_key(key))
        assert errors == []
        assert set(frame["origin"]) == {"synthetic_sample"} and frame.height > 0
        statuses |= set(frame["card_status"])
        reused += frame["reused_from_window"].is_not_null().sum()
    assert statuses == {"ok", "missing", "gated"}
    assert reused > 0 and window.manifest["cards_fetched"] < window.manifest["record_count"]  # later windows reuse


@pytest.mark.parametrize("pool, verdict", [(_DISCLOSE, DISCLOSES), (_MENTION, MENTIONS), (_SILENT, SILENT)])
def test_every_sample_card_variant_gets_the_verdict_it_was_written_for(pool, verdict):
    for section in pool:
        assert classify(render_card("org/Model-1B", "Qwen", "0" * 40, section)).verdict == verdict, section
