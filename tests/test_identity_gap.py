"""Model identity across sources, the legacy-MMLU precedence and the gap marts: numbers checked by hand on a tiny
fixture, and against the real LLM-Stats / Open LLM Leaderboard exports joined with real LiveBench tables."""

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from hubsignal import landing as lz
from hubsignal.families import load_families
from hubsignal.scores.files import TABLE, land_score_file, parse_score_window, score_file_sources
from hubsignal.seeds import SeedError, load_seed, seed_files
from hubsignal.snapshots import Source
from hubsignal.sources import LIVEBENCH
from hubsignal.sql_models import discover_models, materialize
from hubsignal.warehouse import LogRow, ensure_schema, open_warehouse, write_log
from hubsignal.windows import parse_window_key
from tests.conftest import PROJECT, SHARED_DATA, query
from tests.snapshot_runs import run_loader

UTC = UTC
REAL_LIVEBENCH = SHARED_DATA / "livebench"
REAL_LLM_STATS = SHARED_DATA / "legacy_benchmarks" / "llm_stats" / "llmstats_benchmark_scores.csv"
REAL_OLL = SHARED_DATA / "legacy_benchmarks" / "open_llm_leaderboard" / "open_llm_leaderboard_v1_2024-07-07.csv"


# ------------------------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "name, key, variant",
    [
        ("qwen2.5-72b-instruct", "qwen-2.5-72b-instruct", None),
        ("qwen-2.5-72b-instruct", "qwen-2.5-72b-instruct", None),
        ("Qwen/Qwen2.5-72B-Instruct", "qwen-2.5-72b-instruct", None),  # case, org prefix
        ("qwen2.5-72b-instruct-turbo", "qwen-2.5-72b-instruct", None),  # provider suffix
        ("meta-llama-3.1-70b-instruct-turbo", "llama-3.1-70b-instruct", None),
        ("meta-llama/Meta-Llama-3.1-70B-Instruct", "llama-3.1-70b-instruct", None),
        ("  Llama 3.1 70B   Instruct ", "llama-3.1-70b-instruct", None),  # whitespace
        ("mistral_large_2411", "mistral-large-2411", None),  # _ vs -
        ("Llama-2-7b-chat-hf", "llama-2-7b-chat", None),
        ("chatgpt-4o-latest", "chatgpt-4o", None),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo-0125", None),  # -turbo inside a name stays
        ("llama4-maverick-instruct-basic", "llama-4-maverick-instruct-basic", None),
        ("gpt-5-mini-high", "gpt-5-mini", "high"),
        ("gpt-5-mini-low", "gpt-5-mini", "low"),
        ("gemini-3-flash-preview-minimal", "gemini-3-flash-preview", "minimal"),
        ("claude-opus-4-7-xhigh-effort", "claude-opus-4-7", "xhigh-effort"),
        ("gpt-5.3-codex-xhigh", "gpt-5.3-codex", "xhigh"),
        ("kimi-k2-thinking", "kimi-k2", "thinking"),
        ("claude-4-sonnet-20250514-thinking-64k", "claude-4-sonnet-20250514", "thinking-64k"),
        ("claude-opus-4-5-20251101-thinking-64k-high-effort", "claude-opus-4-5-20251101", "thinking-64k-high-effort"),
        ("claude-sonnet-4-6-thinking-auto-high-effort", "claude-sonnet-4-6", "thinking-auto-high-effort"),
        ("claude-3-7-sonnet-20250219-base", "claude-3-7-sonnet-20250219", "base"),  # LiveBench's thinking-off
        ("kimi-k2-base", "kimi-k2-base", None),  # a pretrained base model is not a variant
        ("gemini-2.5-pro-06-05-highthinking", "gemini-2.5-pro-06-05", "highthinking"),
        ("gpt-5.1-2025-11-13-nothinking", "gpt-5.1-2025-11-13", "nothinking"),
        ("grok-4-1-fast-non-reasoning", "grok-4-1-fast", "non-reasoning"),
        ("qwen3-235b-a22b-thinking", "qwen-3-235b-a22b", "thinking"),
        ("Qwen/Qwen3-235B-A22B", "qwen-3-235b-a22b", None),
        ("o3-2025-04-16-high", "o3-2025-04-16", "high"),
    ],
)
def test_identity_normalisation(name, key, variant):
    con = duckdb.connect()
    ensure_schema(con)  # the macros live in sql/ddl/41_model_identity_macros.sql: the one implementation
    assert con.execute("SELECT canonical_model_key(?), canonical_model_variant(?)", [name, name]).fetchone() == (
        key,
        variant,
    )


def test_undated_key():
    con = duckdb.connect()
    ensure_schema(con)
    got = con.execute(
        "SELECT undated_model_key('o1-mini-2024-09-12'), undated_model_key('claude-3-opus-20240229'), "
        "undated_model_key('mistral-large-2407')"
    ).fetchone()
    assert got == ("o1-mini", "claude-3-opus", "mistral-large-2407")  # MMDD-like numbers are not dates


# ------------------------------------------------------------------------------------------- seeds


def test_seeds_load_whatever_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_warehouse(tmp_path / "w.duckdb") as con:
        counts = {p.stem: load_seed(con, p) for p in seed_files()}
        assert counts["model_identity_overrides"] >= 5 and counts["family_name_patterns"] >= 10
        families = {f.name for f in load_families(PROJECT / "pipelines" / "families.yaml").families}
        seeded = {r[0] for r in con.execute("SELECT family FROM staging.family_name_patterns").fetchall()}
        assert seeded <= families  # every pattern names a family of the families file


def test_a_seed_with_a_repeated_key_is_rejected_naming_the_file(tmp_path):
    path = tmp_path / "model_identity_overrides.csv"
    path.write_text(
        "source,source_name,model_key,variant,hf_repo_id,family,note\n*,foo,a,,,,\nlivebench,bar,b,,,,\n*,FOO,c,,,,\n"
    )
    with open_warehouse(tmp_path / "w.duckdb") as con:
        con.execute("CREATE TABLE staging.model_identity_overrides AS SELECT 'keep' AS x")
        with pytest.raises(SeedError, match=r"model_identity_overrides.csv: key \['source', 'source_name'\] repeated"):
            load_seed(con, path)
        assert con.execute("SELECT * FROM staging.model_identity_overrides").fetchall() == [("keep",)]  # untouched
    path.write_text("source,source_name\n*,foo\n")
    with open_warehouse(tmp_path / "w.duckdb") as con, pytest.raises(SeedError, match="missing column"):
        load_seed(con, path)


# ------------------------------------------------------------------------------------------- helpers

MODELS = {m.table: m for m in discover_models()}


def build(home: Path, *tables: str) -> None:
    """Families and seeds loaded, then every SQL model `tables` need (views), in dependency order."""
    families = load_families(PROJECT / "pipelines" / "families.yaml")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with open_warehouse(home / "warehouse.duckdb") as con:
        con.register("families_batch", families.to_frame().to_arrow())
        con.execute("CREATE OR REPLACE TABLE staging.families AS SELECT * FROM families_batch")
        for path in seed_files():
            load_seed(con, path)
        done: set[str] = set()

        def visit(table: str) -> None:
            if table in done or table not in MODELS:
                return
            for db, name in MODELS[table].deps:
                visit(f"{db}.{name}")
            materialize(con, MODELS[table], start, start + timedelta(hours=6))
            done.add(table)

        for table in tables:
            visit(table)


def load_score_files(home: Path) -> None:
    landing = home / "landing"
    for name in score_file_sources(landing):
        keys = [parse_window_key(k) for k in lz.landed_keys(landing, name)]
        src = Source(
            name=name, table=TABLE, parser_version="test", parse=parse_score_window, scope_column="landing_source"
        )
        report = run_loader(src, keys, home)
        assert not report.quarantined, report.quarantined


def load_livebench(home: Path, key: str, files: dict[str, bytes]) -> None:
    raw = [lz.RawFile(n, b, 1) for n, b in files.items()]
    lz.land_window(home / "landing", "livebench", key, raw, origin="imported", fetched_at=parse_window_key(key))
    report = run_loader(LIVEBENCH, [key], home)
    assert report.loaded == [key], report.quarantined


# ------------------------------------------------------------------------------------------- tiny fixture

CATS = json.dumps({"A": ["a1", "a2"], "B": ["b1"]}).encode()
# Global = mean of the category means: A = mean(a1, a2), B = b1.
TABLE_2026 = b"""model,a1,a2,b1
qwen9-7b-instruct-high,40,45,40.5
qwen9-7b-instruct-low,30,30,31
qwq-99b,50,50,50
qwen9-max,55,55,55
qwen9-14b,40,40,40
meta-llama-9-70b-instruct-turbo,60,60,60
zeta-1-2025-01-02,30,30,30
mystery-model-1,20,20,20
"""
TABLE_2025 = b"model,a1,a2,b1\nqwen9-7b-instruct-high,30,33,31.5\n"
CLAIMS = """model,benchmark,score,source_url,protocol,self_reported,reported_on,hf_repo_id
Qwen9-7B-Instruct,MMLU,88.0,https://qwen.example/blog,5-shot,true,2026-01-01,Qwen/Qwen9-7B-Instruct
Qwen9-7B-Instruct,MMLU,86.0,https://qwen.example/blog,0-shot CoT,true,2026-01-01,Qwen/Qwen9-7B-Instruct
Qwen9-7B-Instruct,MMLU,80.0,https://oll.example/run,5-shot,false,2026-01-02,Qwen/Qwen9-7B-Instruct
QwQ-99B,MMLU,71.0,https://oll.example/run,5-shot,false,2026-01-02,Qwen/QwQ-99B
randomorg/QwQ-99B,MMLU,95.0,https://oll.example/run,5-shot,false,2026-01-02,randomorg/QwQ-99B
qwen9-max,MMLU,80.0,https://qwen.example/max,,true,2026-01-01,
qwen9_14b,MMLU,70.0,,5-shot,true,,
meta-llama/Meta-Llama-9-70B-Instruct,MMLU,84.0,https://meta.example,5-shot,true,,meta-llama/Meta-Llama-9-70B-Instruct
zeta-1,MMLU,65.0,,5-shot,true,,
zeta-1,GSM8K,90.0,,5-shot,true,,
Acme-Unseen-3B,MMLU,50.0,,5-shot,true,,
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("gap")
    claims = home / "claims.csv"
    claims.write_text(CLAIMS)
    land_score_file(home / "landing", claims, observed_at=datetime(2026, 1, 10, 4, tzinfo=UTC))
    load_score_files(home)
    load_livebench(
        home,
        "2026-01-20-03:00",
        {
            "table_2026_01_08.csv": TABLE_2026,
            "categories_2026_01_08.json": CATS,
            "table_2025_12_01.csv": TABLE_2025,
            "categories_2025_12_01.json": CATS,
        },
    )
    with open_warehouse(home / "warehouse.duckdb") as con:  # one Hub listing row: the repo of qwen9-14b
        w = datetime(2026, 1, 20, 3)
        con.execute(
            "INSERT INTO raw.hub_models (window_start, snapshot_ts, org, model_id, author, origin) "
            "VALUES (?, ?, 'Qwen', 'Qwen/Qwen9-14B', 'Qwen', 'live')",
            [w, w],
        )
        write_log(con, [LogRow("hub_models", w, "2026-01-20-03:00", "observed", origin="live", n_records=1)])
    build(home, "marts.family_gap", "staging.unmatched_models")
    return home


GAP_COLUMNS = (
    "model_key, family, hf_repo_id, open_weight, livebench_model, livebench_variant, n_variants, "
    "livebench_global_average, legacy_score, legacy_source, legacy_protocol, legacy_precedence, gap_pp"
)


def test_gap_by_hand(tiny):
    rows = query(
        tiny, f"SELECT {GAP_COLUMNS} FROM marts.benchmark_gap WHERE release_date = '2026-01-08' ORDER BY model_key"
    )
    assert rows == [
        # A = (60+60)/2, B = 60 -> 60.0; 84.0 - 60.0
        (
            "llama-9-70b-instruct",
            "Llama",
            "meta-llama/Meta-Llama-9-70B-Instruct",
            True,
            "meta-llama-9-70b-instruct-turbo",
            None,
            1,
            60.0,
            84.0,
            "generic_csv",
            "5-shot",
            1,
            24.0,
        ),
        # the legacy name qwen9_14b meets LiveBench's qwen9-14b; the repo comes from the Hub listing; 70.0 - 40.0
        (
            "qwen-9-14b",
            "Qwen",
            "Qwen/Qwen9-14B",
            True,
            "qwen9-14b",
            None,
            1,
            40.0,
            70.0,
            "generic_csv",
            "5-shot",
            1,
            30.0,
        ),
        # high: A = (40+45)/2 = 42.5, B = 40.5 -> 41.5 beats low (30.5); the self-reported 5-shot 88.0 wins over
        # 86.0 (0-shot CoT) and 80.0 (third-party): 88.0 - 41.5 = 46.5
        (
            "qwen-9-7b-instruct",
            "Qwen",
            "Qwen/Qwen9-7B-Instruct",
            True,
            "qwen9-7b-instruct-high",
            "high",
            2,
            41.5,
            88.0,
            "generic_csv",
            "5-shot",
            1,
            46.5,
        ),
        # API-only: family from the name pattern, no repo; no protocol -> precedence 2; 80.0 - 55.0
        ("qwen-9-max", "Qwen", None, False, "qwen9-max", None, 1, 55.0, 80.0, "generic_csv", None, 2, 25.0),
        # third-party only; the 95.0 of a same-named repo of another org is not this model's: 71.0 - 50.0
        ("qwq-99b", "Qwen", "Qwen/QwQ-99B", True, "qwq-99b", None, 1, 50.0, 71.0, "generic_csv", "5-shot", 3, 21.0),
        # LiveBench's dated id meets the undated legacy name: 65.0 - 30.0
        ("zeta-1", None, None, False, "zeta-1-2025-01-02", None, 1, 30.0, 65.0, "generic_csv", "5-shot", 1, 35.0),
    ]
    assert query(
        tiny,
        "SELECT legacy_candidates, legacy_precedence_rule FROM marts.benchmark_gap "
        "WHERE model_key = 'qwen-9-7b-instruct' AND release_date = '2026-01-08'",
    ) == [(3, "self-reported 5-shot")]
    # the other release: A = 31.5, B = 31.5 -> 31.5; 88.0 - 31.5
    assert query(tiny, "SELECT model_key, gap_pp FROM marts.benchmark_gap WHERE release_date = '2025-12-01'") == [
        ("qwen-9-7b-instruct", 56.5)
    ]


def test_family_gap_by_hand(tiny):
    rows = query(
        tiny,
        "SELECT release_date::VARCHAR, family, n_models, n_open_weight, mean_gap_pp, median_gap_pp, "
        "min_gap_pp, max_gap_pp FROM marts.family_gap ORDER BY 1, 2",
    )
    assert rows == [
        ("2025-12-01", "Qwen", 1, 1, 56.5, 56.5, 56.5, 56.5),
        ("2026-01-08", "(untracked)", 1, 0, 35.0, 35.0, 35.0, 35.0),
        ("2026-01-08", "Llama", 1, 1, 24.0, 24.0, 24.0, 24.0),
        # gaps 46.5, 21.0, 25.0, 30.0: mean 122.5 / 4; median (25.0 + 30.0) / 2
        ("2026-01-08", "Qwen", 4, 3, 30.625, 27.5, 21.0, 46.5),
    ]


def test_identity_rows(tiny):
    rows = {
        (s, n): (k, v, m, c, f)
        for s, n, k, v, m, c, f in query(
            tiny,
            "SELECT source, source_name, model_key, variant, match_method, confidence, family FROM staging.model_identity",
        )
    }
    assert rows[("livebench", "qwen9-7b-instruct-low")] == ("qwen-9-7b-instruct", "low", "variant", 0.9, "Qwen")
    assert rows[("generic_csv", "Qwen9-7B-Instruct")] == ("qwen-9-7b-instruct", None, "normalised", 0.9, "Qwen")
    assert rows[("livebench", "qwq-99b")] == ("qwq-99b", None, "exact", 1.0, "Qwen")
    assert rows[("generic_csv", "randomorg/QwQ-99B")] == ("qwq-99b", None, "other_org", 0.4, "Qwen")
    assert rows[("livebench", "zeta-1-2025-01-02")] == ("zeta-1", None, "undated", 0.7, None)
    assert rows[("hub", "Qwen/Qwen9-14B")] == ("qwen-9-14b", None, "normalised", 0.9, "Qwen")
    assert query(tiny, "SELECT count(*), count(DISTINCT (source, source_name)) FROM staging.model_identity") == [
        (17, 17)
    ]  # 8 + 8 + 1


def test_unmatched_models_lists_candidates(tiny):
    rows = query(
        tiny,
        "SELECT kind, source, source_name, best_candidate_key, len(candidates), suggested_override "
        "FROM staging.unmatched_models ORDER BY 1, 3",
    )
    assert [r[:3] for r in rows] == [("livebench_without_legacy", "livebench", "mystery-model-1")]
    kind, source, name, best, n, line = rows[0]
    assert n == 3 and best is not None and line.startswith(f"livebench,mystery-model-1,{best},,,,check: ")


def test_an_override_wins_over_the_rules(tiny, tmp_path):
    home = tmp_path / "copy"
    home.mkdir()
    shutil.copy(tiny / "warehouse.duckdb", home / "warehouse.duckdb")
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute(
        "INSERT INTO staging.model_identity_overrides VALUES "
        "('livebench', 'mystery-model-1', 'acme-unseen-3b', '', '', 'Phi', 'test')"
    )
    assert con.execute(
        "SELECT model_key, match_method, confidence, family FROM staging.model_identity "
        "WHERE source_name = 'mystery-model-1'"
    ).fetchall() == [("acme-unseen-3b", "override", 1.0, "Phi")]
    # A = 20, B = 20 -> 20.0; 50.0 - 20.0
    assert con.execute(
        "SELECT gap_pp, family FROM marts.benchmark_gap WHERE model_key = 'acme-unseen-3b'"
    ).fetchall() == [(30.0, "Phi")]
    assert con.execute("SELECT count(*) FROM staging.unmatched_models").fetchall() == [(0,)]
    con.close()


# ------------------------------------------------------------------------------------------- real data

needs_real = pytest.mark.skipif(
    not (REAL_LLM_STATS.is_file() and REAL_OLL.is_file() and (REAL_LIVEBENCH / "table_2024_08_31.csv").is_file()),
    reason=f"real legacy / LiveBench files not found under {SHARED_DATA}",
)


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("real_gap")
    land_score_file(home / "landing", REAL_LLM_STATS, observed_at=datetime(2025, 10, 24, 12, tzinfo=UTC))
    land_score_file(home / "landing", REAL_OLL, observed_at=datetime(2024, 7, 7, 12, tzinfo=UTC))
    load_score_files(home)
    load_livebench(home, "2026-01-20-03:00", {p.name: p.read_bytes() for p in sorted(REAL_LIVEBENCH.iterdir())})
    build(home, "marts.family_gap", "staging.unmatched_models")
    return home


def _livebench_global(release: str, model: str) -> float:
    """livebench.ai's Global Average, by hand: the plain mean of the category means of the numeric cells."""
    categories = json.loads((REAL_LIVEBENCH / f"categories_{release}.json").read_text())
    with open(REAL_LIVEBENCH / f"table_{release}.csv", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["model"].strip() == model)
    means = []
    for tasks in categories.values():
        cells = [float(row[t]) for t in tasks if row.get(t, "").strip()]
        means.append(sum(cells) / len(cells))
    return sum(means) / len(means)


@needs_real
def test_real_llm_stats_mmlu_meets_real_livebench(real):
    con = duckdb.connect(str(real / "warehouse.duckdb"), read_only=True)
    con.execute("CREATE TEMP TABLE gap AS SELECT * FROM marts.benchmark_gap")  # the view, computed once

    def q(sql):
        return con.execute(sql).fetchall()

    n_rows, n_models = q("SELECT count(*), count(DISTINCT model_key) FROM gap WHERE legacy_source = 'llm_stats'")[0]
    assert n_rows >= 30 and n_models >= 25, (n_rows, n_models)  # 39 rows, 37 models when written
    row = q(
        "SELECT livebench_model, legacy_score, legacy_protocol, legacy_precedence, livebench_global_average, "
        "gap_pp, family, open_weight FROM gap WHERE release_date = '2024-08-31' AND model_key = 'llama-3.1-70b-instruct'"
    )
    expected = _livebench_global("2024_08_31", "meta-llama-3.1-70b-instruct-turbo")
    assert row == [
        (
            "meta-llama-3.1-70b-instruct-turbo",
            pytest.approx(83.6),
            "5-shot",
            1,
            pytest.approx(expected),
            pytest.approx(83.6 - expected),
            "Llama",
            True,
        )
    ]
    models = dict(q("SELECT model_key, livebench_model FROM gap WHERE release_date = '2024-08-31'"))
    assert models["o1-mini"] == "o1-mini-2024-09-12"  # undated fallback
    assert models["mistral-large-2407"] == "mistral-large-2407"  # curated override of mistral-large-2-2407
    assert models["qwen-2.5-coder-32b-instruct"] == "qwen2.5-coder-32b-instruct"  # qwen2.5 <-> qwen-2.5
    assert q(
        "SELECT livebench_model, livebench_variant FROM gap "
        "WHERE release_date = '2025-04-25' AND model_key = 'qwen-3-235b-a22b'"
    ) == [("qwen3-235b-a22b-thinking", "thinking")]
    # Third-party fallback from the Open LLM Leaderboard export.
    assert q(
        "SELECT legacy_source, legacy_precedence FROM gap "
        "WHERE release_date = '2024-08-31' AND model_key = 'phi-3-mini-4k-instruct'"
    ) == [("open_llm_leaderboard_v1", 3)]
    assert q("SELECT count(*) FROM gap WHERE gap_pp IS NULL OR NOT gap_pp BETWEEN -50 AND 100") == [(0,)]
    unmatched = {
        r[0] for r in q("SELECT source_name FROM staging.unmatched_models WHERE kind = 'livebench_without_legacy'")
    }
    assert "qwen2.5-72b-instruct" in unmatched and "meta-llama-3.1-70b-instruct-turbo" not in unmatched
    con.close()


# ------------------------------------------------------------------------------------------- demo sample


def test_synthetic_sample_meets_the_synthetic_livebench(tmp_path):
    from demo.livebench import build_livebench_sample
    from demo.scores import SAMPLE_NOTE, build_legacy_sample, sample_csv

    home = tmp_path
    landed = build_legacy_sample(home / "landing")
    assert landed.landed and landed.window_key == "2026-10-01-03:00" and sample_csv() == sample_csv()
    assert not build_legacy_sample(home / "landing").landed  # byte-identical: landing it again is a no-op
    manifest = json.loads((home / "landing" / landed.source / landed.window_key / "manifest.json").read_text())
    assert (manifest["origin"], manifest["synthetic"], manifest["note"]) == ("synthetic_sample", True, SAMPLE_NOTE)
    load_score_files(home)
    lb = build_livebench_sample(home / "landing", first_window="2026-10-28-03:00", n_windows=1)
    run_loader(LIVEBENCH, lb.window_keys, home)
    build(home, "marts.family_gap", "staging.unmatched_models")
    gap = {
        r[0]: r[1:]
        for r in query(
            home,
            "SELECT model_key, livebench_model, legacy_score, legacy_precedence, legacy_source "
            "FROM marts.benchmark_gap WHERE release_date = '2026-10-12'",
        )
    }
    assert len(gap) == 22
    assert gap["llama-3.1-405b-instruct"] == ("meta-llama-3.1-405b-instruct-turbo", 87.9, 1, "generic_csv")  # not 85.1
    assert gap["qwen-2.5-72b-instruct"][1:3] == (86.4, 1)  # the 5-shot claim, not the 0-shot CoT one
    assert gap["gemma-2-27b-it"][1:3] == (76.4, 3)  # third-party only
    assert gap["o3-2025-04-16"][0] == "o3-2025-04-16-high" and gap["gpt-oss-120b"][0] == "gpt-oss-120b-high"
    assert query(home, "SELECT origin FROM raw.legacy_scores GROUP BY 1") == [("synthetic_sample",)]
    unmatched = dict(
        query(
            home,
            "SELECT source_name, suggested_override FROM staging.unmatched_models "
            "WHERE kind = 'legacy_without_livebench'",
        )
    )
    assert unmatched["Mistral-Small-3.2-24B-Instruct-2506"].startswith(
        "generic_csv,Mistral-Small-3.2-24B-Instruct-2506,mistral-small-3.2-24b-instruct,"
    )


def test_synthetic_card_scores_sample(tmp_path):
    from demo.hub import build_sample_archive
    from demo.scores import build_card_scores_sample
    from hubsignal.scores.cards import SOURCE, parse_card_window

    families = load_families(PROJECT / "pipelines" / "families.yaml")
    keys = build_sample_archive(tmp_path / "landing", families, n_windows=1).window_keys
    assert build_card_scores_sample(tmp_path / "landing", families, keys) == 1
    assert build_card_scores_sample(tmp_path / "landing", families, keys) == 0  # never overwritten
    window = lz.read_window(tmp_path / "landing", SOURCE, keys[0])
    assert window.origin == "synthetic_sample" and window.manifest["synthetic"] is True
    frame, notes, errors = parse_card_window(window, parse_window_key(keys[0]))
    assert errors == []
    got = {(r["source_model"], round(r["score"], 6), r["self_reported"]) for r in frame.iter_rows(named=True)}
    assert ("moonshotai/Kimi-K2-Instruct", 89.5, True) in got  # the plain-string source is kept as its name
    assert ("openai/gpt-oss-120b", 85.3, False) in got  # the Open LLM Leaderboard bot: third-party
    assert ("zai-org/GLM-4.6", 88.9, True) in got  # 0.889 in evalResults, a fraction
    assert any("HuggingFaceTB/SmolLM3-3B evalResults[0]" in n and "Invalid YAML" in n for n in notes)
