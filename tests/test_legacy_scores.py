"""Legacy scores: score-file adapters against the real exports, landing and loading score files, and the model
cards' model-index / evalResults read raw through the fake Hub and parsed defensively."""

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from hubsignal.scores import cards as card_scores
from hubsignal.scores import files as legacy
from hubsignal.scores.files import ScoreFileError, adapt, detect_adapter, land_score_file
from hubsignal.windows import latest_closed_window, parse_window_key, window_key
from pipelines.cli import JOB_NAME
from pipelines.definitions import defs
from tests.conftest import SHARED_DATA, query
from tests.fakes.fake_hub import FakeHub, make_model

LEGACY = SHARED_DATA / "legacy_benchmarks"
LLM_STATS = LEGACY / "llm_stats" / "llmstats_benchmark_scores.csv"
OLL = LEGACY / "open_llm_leaderboard" / "open_llm_leaderboard_v1_2024-07-07.csv"
needs_real = pytest.mark.skipif(
    not LLM_STATS.is_file() or not OLL.is_file(), reason=f"real legacy benchmark files not found under {LEGACY}"
)
UTC = UTC
GENERIC_HEADER = "model,benchmark,score,source_url,protocol,self_reported,reported_on\n"


def _adapt_file(path: Path, adapter: str | None = None):
    files = {path.name: path.read_bytes()}
    adapter = adapter or detect_adapter(path.name, files[path.name])
    for extra in legacy._companions(path, adapter):
        files[extra.name] = extra.read_bytes()
    frame, notes = adapt(adapter, files, path.name)
    return adapter, frame, notes


def _one(frame, **where) -> dict:
    rows = [r for r in frame.to_dicts() if all(r[k] == v for k, v in where.items())]
    assert len(rows) == 1, (where, rows)
    return rows[0]


# ------------------------------------------------------------------------------------ adapters, real files


@needs_real
def test_llm_stats_fractions_become_percent_with_vendor_provenance():
    adapter, frame, notes = _adapt_file(LLM_STATS)
    assert adapter == "llm_stats"
    # By hand from the CSV: claude-3-opus-20240229,mmlu,0.868,...,True,https://www.anthropic.com/news/claude-3-family,5-shot
    opus = _one(frame, source_model="claude-3-opus-20240229", benchmark="mmlu")
    assert opus["score"] == pytest.approx(86.8) and opus["raw_score"] == "0.868"
    assert opus["self_reported"] is True and opus["protocol"] == "5-shot"
    assert opus["reported_by"] == "Anthropic"  # organization_name from llmstats_models.csv
    assert opus["source_url"] == "https://www.anthropic.com/news/claude-3-family"
    llama = _one(frame, source_model="llama-3.1-70b-instruct", benchmark="mmlu", protocol="5-shot")
    assert llama["score"] == pytest.approx(83.6) and llama["hf_repo_id"] == "meta-llama/Meta-Llama-3.1-70B-Instruct"
    # "MMLU (CoT)" is MMLU under another protocol: same benchmark id, the protocol tells them apart.
    cot = _one(frame, source_model="llama-3.1-70b-instruct", benchmark="mmlu", protocol="0-shot Chain-of-Thought")
    assert cot["score"] == pytest.approx(86.0) and cot["benchmark_name"] == "MMLU (CoT)"
    gpt35 = _one(frame, source_model="gpt-3.5-turbo-0125", benchmark="mmlu")
    assert gpt35["self_reported"] is False and gpt35["reported_by"] == "LLM-Stats"
    # 2,224 rows, of which two ratings (cfeval ~2,100, max 10,000) are not fractions: skipped and named.
    assert frame.height == 2222 and frame["score"].min() >= 0 and frame["score"].max() <= 100
    assert len(notes) == 1 and "2 row(s) skipped" in notes[0] and "line 2129" in notes[0] and "line 2195" in notes[0]
    assert frame.filter(frame["benchmark"] == "mmlu").height == 83  # benchmark_id mmlu (80) + mmlu-(cot) (3)


@needs_real
def test_open_llm_leaderboard_v1_booleans_are_un_inverted():
    adapter, frame, _ = _adapt_file(OLL)
    assert adapter == "open_llm_leaderboard_v1"
    assert frame.height == 7169 * 6  # one row per run and harness benchmark, none empty in this export
    # Stored moe=FALSE for Mixtral (a mixture of experts) and TRUE for Llama 3 (dense): the column is inverted.
    mixtral = frame.filter((frame["source_model"] == "mistralai/Mixtral-8x7B-v0.1") & (frame["benchmark"] == "mmlu"))
    assert mixtral.height >= 1 and all("moe" in flags for flags in mixtral["source_flags"])
    llama = frame.filter((frame["source_model"] == "meta-llama/Meta-Llama-3-8B") & (frame["benchmark"] == "mmlu"))
    assert sorted(llama["score"].to_list()) == [66.49, 66.7]  # bfloat16 and float16 runs, by hand from the CSV
    assert all("moe" not in f and "merged" not in f and "flagged" not in f for f in llama["source_flags"])
    merge = _one(frame, source_model="paloalma/Le_Triomphant-ECE-TW3", benchmark="mmlu")
    assert merge["source_flags"] == ["merged"]  # type "base merges and moerges", stored merged=FALSE
    assert merge["score"] == 77.81 and merge["protocol"] == "5-shot" and merge["self_reported"] is False
    assert merge["hf_repo_id"] == "paloalma/Le_Triomphant-ECE-TW3" and merge["reported_by"] == "Open LLM Leaderboard"
    assert set(frame["benchmark"].unique()) == {"arc-c", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k"}


@needs_real
def test_the_llm_stats_models_file_alone_is_refused_with_a_hint():
    models = LLM_STATS.with_name("llmstats_models.csv")
    with pytest.raises(ScoreFileError, match="LLM-Stats models file"):
        detect_adapter(models.name, models.read_bytes())


def test_llm_stats_repo_ids_come_from_the_models_file_when_the_row_has_none(tmp_path):
    scores = tmp_path / "llmstats_benchmark_scores.csv"
    scores.write_text(
        "model_id,benchmark_id,score,is_self_reported,analysis_method\n"
        "acme-7b,mmlu,0.705,True,5-shot\nacme-7b,gpqa,0.31,False,0-shot\n"
    )
    (tmp_path / "llmstats_models.csv").write_text(
        "model_id,name,organization_id,organization_name,hf_repo_id\nacme-7b,Acme 7B,acme,Acme Labs,acme/Acme-7B\n"
    )
    _, frame, _ = _adapt_file(scores)
    mmlu = _one(frame, benchmark="mmlu")
    assert mmlu["hf_repo_id"] == "acme/Acme-7B" and mmlu["score"] == pytest.approx(70.5)
    assert mmlu["reported_by"] == "Acme Labs"
    assert _one(frame, benchmark="gpqa")["reported_by"] == "LLM-Stats"


def test_generic_csv(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(
        GENERIC_HEADER.replace("\n", ",hf_repo_id\n")
        + "Acme 7B Instruct,MMLU (5-shot),71.5,https://acme.example/blog,5-shot,yes,2026-03-01,acme/Acme-7B\n"
        + "acme_7b,cais/mmlu,70,,,FALSE,,\n"
        + "Acme 7B Instruct,GSM8K,80.25,https://acme.example/blog,4-shot,true,2026-03-01T10:00:00Z,\n"
    )
    adapter, frame, notes = _adapt_file(path)
    assert adapter == "generic_csv" and notes == [] and frame.height == 3
    first = frame.row(0, named=True)
    assert (first["benchmark"], first["score"], first["self_reported"], first["hf_repo_id"]) == (
        "mmlu",
        71.5,
        True,
        "acme/Acme-7B",
    )
    assert first["reported_on"].isoformat() == "2026-03-01" and first["source_record"] == "line 2"
    second = frame.row(1, named=True)
    assert (second["benchmark"], second["self_reported"], second["protocol"], second["source_url"]) == (
        "mmlu",
        False,
        None,
        None,
    )
    assert frame.row(2, named=True)["benchmark"] == "gsm8k"


@pytest.mark.parametrize(
    "body, where",
    [
        (GENERIC_HEADER + "m,mmlu,70,,5-shot,true,\nm,mmlu,seventy,,5-shot,true,\n", "line 3, column 'score'"),
        (GENERIC_HEADER + "m,mmlu,170,,5-shot,true,\n", "line 2, column 'score': 170.0 is outside 0-100"),
        (GENERIC_HEADER + "m,mmlu,70,,5-shot,maybe,\n", "line 2, column 'self_reported'"),
        (GENERIC_HEADER + "m,mmlu,70,,5-shot,true,01/02/2026\n", "line 2, column 'reported_on'"),
        (GENERIC_HEADER + ",mmlu,70,,5-shot,true,\n", "line 2, column 'model': empty"),
        (GENERIC_HEADER + "m,mmlu,70,,5-shot,true\n", "line 2: 6 fields, the header has 7"),
        (GENERIC_HEADER + 'm,mmlu,70,"unterminated,5-shot,true,\n', "malformed CSV"),
        ("model,benchmark,score\nm,mmlu,70\n", "unknown score-file format"),
    ],
)
def test_a_malformed_file_is_rejected_naming_file_and_line_and_nothing_lands(tmp_path, body, where):
    path = tmp_path / "bad_claims.csv"
    path.write_text(body)
    landing = tmp_path / "landing"
    with pytest.raises(ScoreFileError) as err:
        land_score_file(landing, path, observed_at=datetime(2026, 3, 2, tzinfo=UTC))
    assert "bad_claims.csv" in str(err.value) and where in str(err.value)
    assert not landing.exists()


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("model,benchmark,score,source_url,protocol,self_reported\nm,mmlu,70,,5-shot,true\n")
    with pytest.raises(ScoreFileError, match=r"claims.csv line 1: missing column\(s\) \['reported_on'\]"):
        land_score_file(tmp_path / "landing", path, adapter="generic_csv")


def test_canonical_benchmark_ids():
    cb = legacy.canonical_benchmark
    assert {cb("cais/mmlu"), cb("MMLU (5-Shot)"), cb("hendrycks_test"), cb("mmlu")} == {"mmlu"}
    assert cb("TIGER-Lab/MMLU-Pro") == cb("mmlu_pro") == "mmlu-pro"
    assert cb("ai2_arc", "ARC-Challenge") == "arc-c" and cb("ai2_arc", "ARC-Easy") == "arc-e"
    assert cb("truthful_qa") == "truthfulqa" and cb("openai/gsm8k") == "gsm8k"


# ------------------------------------------------------------------------------------ landing score files


@needs_real
def test_land_score_file_lands_as_received_in_the_observation_window(tmp_path):
    landing = tmp_path / "landing"
    observed = datetime(2025, 10, 24, 12, 30, tzinfo=UTC)
    result = land_score_file(landing, LLM_STATS, observed_at=observed, now=observed + timedelta(days=30))
    assert result.landed and result.adapter == "llm_stats" and result.window_key == "2025-10-24-09:00"
    assert result.source.startswith("score_files/llm_stats-") and result.n_rows == 2222
    folder = landing / result.source / result.window_key
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["origin"] == "imported" and manifest["adapter"] == "llm_stats"
    assert manifest["companions"] == ["llmstats_models.csv"]  # the models file travels with the scores
    assert manifest["sha256_as_received"]["llmstats_benchmark_scores.csv"] == result.sha256
    assert gzip.decompress((folder / "llmstats_benchmark_scores.csv.gz").read_bytes()) == LLM_STATS.read_bytes()
    again = land_score_file(landing, LLM_STATS, observed_at=observed, now=observed + timedelta(days=30))
    assert not again.landed and again.source == result.source  # the same file, the same window: a no-op
    with pytest.raises(ScoreFileError, match="in the future"):
        land_score_file(landing, LLM_STATS, observed_at=datetime.now(UTC) + timedelta(days=1))


def _write(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(GENERIC_HEADER + rows)
    return path


def _run(keys: tuple[str, str], assets: list[list[str]]):
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    job = defs.resolve_job_def(JOB_NAME)
    options = {
        "asset_selection": [dg.AssetKey(a) for a in assets],
        "raise_on_error": False,
        "instance": dg.DagsterInstance.ephemeral(),
    }
    if keys[0] == keys[1]:
        options["partition_key"] = keys[0]
    else:
        options["tags"] = {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[1]}
    return job.execute_in_process(**options)


def _failures(result) -> str:
    return "\n".join(e.event_specific_data.error.message for e in result.all_events if e.is_step_failure)


def test_score_files_load_through_the_job_each_replacing_only_its_own_rows(home, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    landing = home / "landing"
    w1, w2 = parse_window_key("2026-03-02-03:00"), parse_window_key("2026-03-02-09:00")
    a = _write(tmp_path, "a.csv", "acme-7b,mmlu,70.0,,5-shot,true,\nacme-7b,gsm8k,60.0,,,true,\n")
    b = _write(tmp_path, "b.csv", "beta-2,mmlu,55.5,,5-shot,false,\n")
    c = _write(tmp_path, "c.csv", "gamma-1,mmlu,44.0,,0-shot,true,\n")
    for path, at in ((a, w1), (b, w1), (c, w2)):  # two files observed in the same window
        assert land_score_file(landing, path, observed_at=at + timedelta(hours=1)).landed
    result = _run(("2026-03-02-03:00", "2026-03-02-09:00"), [["raw", "legacy_scores"], ["staging", "legacy_scores"]])
    assert result.success, _failures(result)
    assert query(
        home, "SELECT source_model, benchmark, score, self_reported, origin FROM raw.legacy_scores ORDER BY 1, 2"
    ) == [
        ("acme-7b", "gsm8k", 60.0, True, "imported"),
        ("acme-7b", "mmlu", 70.0, True, "imported"),
        ("beta-2", "mmlu", 55.5, False, "imported"),
        ("gamma-1", "mmlu", 44.0, True, "imported"),
    ]
    log = query(
        home,
        "SELECT window_key, status, n_records FROM meta.snapshot_log WHERE source LIKE 'score_files/%' ORDER BY 1, 3",
    )
    assert log == [
        ("2026-03-02-03:00", "imported", 1),
        ("2026-03-02-03:00", "imported", 2),
        ("2026-03-02-09:00", "imported", 1),
    ]
    assert query(
        home, "SELECT count(*) FROM meta.snapshot_log WHERE status = 'missing' AND source LIKE 'score_files/%'"
    ) == [(0,)]
    assert query(home, "SELECT source_model, shots FROM staging.legacy_scores WHERE benchmark = 'mmlu' ORDER BY 1") == [
        ("acme-7b", 5),
        ("beta-2", 5),
        ("gamma-1", 0),
    ]
    # A re-run is idempotent.
    assert _run(("2026-03-02-03:00", "2026-03-02-09:00"), [["raw", "legacy_scores"]]).success
    assert query(home, "SELECT count(*) FROM raw.legacy_scores") == [(4,)]


# ------------------------------------------------------------------------------------ model cards, defensive

OLL_BOT = {
    "name": "Open LLM Leaderboard",
    "url": "https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard",
}


def _result(dataset, metrics, source=None):
    out = {"task": {"type": "text-generation"}, "dataset": dataset, "metrics": metrics}
    if source is not None:
        out["source"] = source
    return out


def test_card_parsing_handles_the_crash_hazard_shapes():
    body = {
        "model-index": [
            {
                "name": "Acme-7B",
                "results": [
                    _result(
                        {"name": "MMLU (5-Shot)", "type": "cais/mmlu", "config": "all", "args": {"num_few_shot": 5}},
                        [{"type": "acc", "value": 64.2, "name": "accuracy"}],
                        OLL_BOT,
                    ),
                    _result(
                        {"name": "MMLU", "type": "mmlu", "args": {"num_few_shot": "5"}},
                        [{"type": "acc", "value": 0.705}],
                        {"name": "Acme evaluation"},
                    ),  # a name but no url
                    _result(
                        {"name": "GSM8K (5-shot)", "type": "gsm8k"}, [{"type": "acc", "value": "n/a"}], "our own run"
                    ),
                    _result({"name": "ARC", "type": "ai2_arc", "config": "ARC-Challenge"}, [{"value": 250}], ["odd"]),
                    "not a result",
                    _result({"name": "HellaSwag"}, "not a list"),
                ],
            }
        ],
        "evalResults": [
            {
                "filename": ".eval_results/gsm8k.yaml",
                "verified": True,
                "pullRequest": 44,
                "data": {
                    "dataset": {"id": "openai/gsm8k", "task_id": "main"},
                    "value": 86.2,
                    "date": "2024-04-22",
                    "source": {"url": "https://acme.example/eval"},
                },
            },
            {"filename": ".eval_results/broken.yaml", "error": "Invalid YAML"},
            {"filename": ".eval_results/noid.yaml", "data": {"dataset": {"task_id": "x"}, "value": 1}},
        ],
    }
    rows, notes = card_scores.parse_card("acme/Acme-7B", body)
    got = sorted(
        (r["source_record"], r["benchmark"], round(r["score"], 6), r["protocol"], r["self_reported"], r["reported_by"])
        for r in rows
    )
    assert got == [
        ("evalResults[0] (.eval_results/gsm8k.yaml)", "gsm8k", 86.2, None, True, "acme"),
        ("model-index[0].results[0].metrics[0]", "mmlu", 64.2, "5-shot", False, "Open LLM Leaderboard"),
        ("model-index[0].results[1].metrics[0]", "mmlu", 70.5, "5-shot", True, "Acme evaluation"),  # 0.705 x 100
    ]
    by_record = {r["source_record"]: r for r in rows}
    assert by_record["model-index[0].results[1].metrics[0]"]["source_url"] == "https://huggingface.co/acme/Acme-7B"
    gsm = by_record["evalResults[0] (.eval_results/gsm8k.yaml)"]
    assert gsm["source_flags"] == ["verified"] and gsm["reported_on"].isoformat() == "2024-04-22"
    text = "\n".join(notes)
    assert all(n.startswith("acme/Acme-7B") for n in notes)
    for expected in (
        "results[2].metrics[0]: value 'n/a' is not a number",
        "results[3]: `source` is a list",
        "results[3].metrics[0]: value 250 is not on a 0-1 or 0-100 scale",
        "results[4]: no dataset",
        "results[5]: no dataset",
        "broken.yaml): the Hub could not read this eval-results file (Invalid YAML)",
        "noid.yaml): no dataset id",
    ):
        assert expected in text, (expected, text)


@pytest.mark.parametrize(
    "body, note",
    [
        ({"model-index": {"name": "x"}}, "model-index is a dict, not a list"),
        ({"model-index": [{"results": None}]}, "model-index[0]: no list of results"),
        ({"evalResults": "nope"}, "evalResults is a str, not a list"),
        ([1, 2], "the answer is a list, not an object"),
    ],
)
def test_an_off_spec_card_is_skipped_with_a_note_naming_the_repo(body, note):
    rows, notes = card_scores.parse_card("org/model", body)
    assert rows == [] and len(notes) == 1 and notes[0].startswith("org/model") and note in notes[0]


# A model whose evalResults item lacks dataset.id: huggingface_hub's own parser raises on it (KeyError).
CARD_MODELS = [
    make_model(
        "Qwen/Qwen3-8B",
        downloads=300,
        tags=["text-generation"],
        **{
            "model-index": [
                {
                    "name": "Qwen3-8B",
                    "results": [
                        _result(
                            {"name": "MMLU", "type": "cais/mmlu", "args": {"num_few_shot": 5}},
                            [{"type": "acc", "value": 76.9}],
                            {"name": "Qwen"},
                        ),
                        _result(
                            {"name": "MMLU (5-Shot)", "type": "cais/mmlu"}, [{"type": "acc", "value": 74.1}], OLL_BOT
                        ),
                    ],
                }
            ],
            "evalResults": [{"filename": ".eval_results/x.yaml", "data": {"dataset": {"task_id": "x"}, "value": 1}}],
        },
    ),
    make_model("Qwen/Qwen2.5-7B-Instruct", downloads=250, **{"model-index": "garbage"}),
    make_model(
        "meta-llama/Llama-3.1-8B-Instruct",
        downloads=400,
        **{
            "evalResults": [
                {
                    "filename": ".eval_results/mmlu.yaml",
                    "data": {"dataset": {"id": "cais/mmlu", "task_id": "all"}, "value": 0.694, "source": "Meta"},
                }
            ]
        },
    ),
    make_model("google/gemma-3-4b-it", downloads=200),
]


def test_card_scores_live_through_the_fake_hub(home, monkeypatch):
    with FakeHub(models=CARD_MODELS, page_size=10) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HUBSIGNAL_CARDS_TOP_N", "2")
        key = window_key(latest_closed_window())
        result = _run(
            (key, key),
            [["raw", "hub_models"], ["staging", "families"], ["raw", "legacy_scores"], ["staging", "legacy_scores"]],
        )
        assert result.success, _failures(result)
        infos = [r for r in hub.requests_to("/api/models/")]
        assert sorted(r.path for r in infos) == sorted(f"/api/models/{m['id']}" for m in CARD_MODELS)
        assert all(r.query["expand"] == ["model-index", "evalResults"] for r in infos)
    rows = query(
        home,
        "SELECT source_model, benchmark, score, protocol, self_reported, reported_by, origin "
        "FROM raw.legacy_scores ORDER BY source_model, score",
    )
    assert rows == [
        ("Qwen/Qwen3-8B", "mmlu", 74.1, "5-shot", False, "Open LLM Leaderboard", "live"),
        ("Qwen/Qwen3-8B", "mmlu", 76.9, "5-shot", True, "Qwen", "live"),
        ("meta-llama/Llama-3.1-8B-Instruct", "mmlu", pytest.approx(69.4), None, True, "Meta", "live"),
    ]
    status, message = query(home, "SELECT status, message FROM meta.snapshot_log WHERE source = 'model_card_scores'")[0]
    assert status == "observed"
    assert "Qwen/Qwen2.5-7B-Instruct: model-index is a str" in message and "Qwen/Qwen3-8B evalResults[0]" in message
    manifest = json.loads((home / "landing" / "model_card_scores" / key / "manifest.json").read_text())
    assert manifest["origin"] == "live" and manifest["record_count"] == 4 and manifest["top_n"] == 2
    assert query(home, "SELECT count(*) FROM staging.legacy_scores") == [(3,)]


def test_make_run_includes_legacy_scores():
    job = defs.resolve_job_def(JOB_NAME)
    assert dg.AssetKey(["raw", "legacy_scores"]) in job.asset_layer.executable_asset_keys
