"""Tier 3: the great_expectations suites (hubsignal/quality/gx_suites.py). The one test module that imports GX
(the import alone costs seconds): every suite passes on a good batch and fails on a crafted bad one, the
result names every expectation and example offending rows, the Data Docs site of the latest validation is
written under $HUBSIGNAL_HOME/quality/, big batches are sampled, and the gx_ check runs inside the job."""

from datetime import date, datetime

import dagster as dg
import pandas as pd
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from demo.hub import build_sample_archive
from hubsignal.families import load_families
from hubsignal.quality import gx_suites
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from hubsignal.warehouse import open_warehouse
from pipelines.definitions import defs
from tests.quality_fixtures import build, hub_rows, w

SUITES = {s.name: s for s in gx_suites.SUITES}
T = datetime(2026, 10, 1, 3)


def _frame(rows):
    return pd.DataFrame(rows)


GOOD = {
    "raw_hub_models": lambda: _frame(
        [
            {
                k: v
                for k, v in r.items()
                if k
                in (
                    "window_start",
                    "snapshot_ts",
                    "model_id",
                    "downloads_30d",
                    "downloads_all_time",
                    "likes",
                    "created_at",
                    "gated",
                    "origin",
                )
            }
            for r in hub_rows(range(2))
        ]
    ),
    "raw_livebench_scores": lambda: _frame(
        [
            {
                "fetched_window": T,
                "release_date": date(2025, 4, 25),
                "model": m,
                "task": t,
                "score": s,
                "category": c,
                "origin": "synthetic_sample",
            }
            for m, s in (("qwen3-8b", 41.5), ("llama-3.1-8b", None))
            for t, c in (("web_of_lies", "reasoning"), ("LCB", "coding"))
        ]
    ),
    "raw_legacy_scores": lambda: _frame(
        [
            {
                "window_start": T,
                "source": "llm_stats",
                "source_model": m,
                "benchmark": "mmlu",
                "score": s,
                "observed_at": T,
                "origin": "imported",
            }
            for m, s in (("qwen-2.5-72b-instruct", 86.1), ("llama-3.1-70b", 83.6))
        ]
    ),
    "marts_family_downloads": lambda: _frame(
        [
            {
                "window_start": T,
                "family": f,
                "downloads_all_time": a,
                "downloads_30d": d,
                "n_models": n,
                "share_30d": sh,
                "rank_30d": r,
            }
            for f, a, d, n, sh, r in (("Qwen", 9000, 720, 5, 0.6, 1), ("Llama", 10000, 480, 2, 0.4, 2))
        ]
    ),
    "marts_family_downloads_adjusted": lambda: _frame(
        [
            {"window_start": T, "family": f, "downloads_30d": d, "downloads_30d_adjusted": a, "share_30d_adjusted": sh}
            for f, d, a, sh in (("Qwen", 54000, 4040, 0.2877), ("Llama", 10000, 10000, 0.7123))
        ]
    ),
    "marts_family_derivatives": lambda: _frame(
        [
            {"window_start": T, "family": f, "relation": r, "n_derivatives": d, "n_children": c}
            for f, r, d, c in (("Qwen", "finetune", 320, 328), ("Qwen", "any", 12, 12), ("Llama", "adapter", 700, 716))
        ]
    ),
    "marts_headline_kpis": lambda: _frame(
        [
            {"window_start": t, "leader_family": "Qwen", "top_family_share_30d": 0.31, "hhi_30d": 2210.5}
            for t in (T, datetime(2026, 10, 1, 9))
        ]
    ),
    "marts_benchmark_gap": lambda: _frame(
        [
            {
                "release_date": date(2025, 4, 25),
                "model_key": k,
                "family": f,
                "legacy_score": legacy,
                "livebench_global_average": g,
                "gap_pp": legacy - g,
            }
            for k, f, legacy, g in (("qwen2.5-72b-instruct", "Qwen", 86.1, 52.0), ("gpt-4o", None, 88.7, 55.3))
        ]
    ),
    "marts_family_gap": lambda: _frame(
        [
            {
                "release_date": date(2025, 4, 25),
                "family": f,
                "n_models": n,
                "mean_gap_pp": m,
                "min_gap_pp": lo,
                "max_gap_pp": hi,
            }
            for f, n, m, lo, hi in (("Qwen", 2, 30.5, 27.0, 34.0), ("(untracked)", 1, 33.4, 33.4, 33.4))
        ]
    ),
}
# suite -> (change that breaks row 0, the failing expectation, its column)
BAD = {
    "raw_hub_models": ({"downloads_30d": -5}, "expect_column_values_to_be_between", "downloads_30d"),
    "raw_livebench_scores": ({"score": 104.0}, "expect_column_values_to_be_between", "score"),
    "raw_legacy_scores": ({"score": 0.861 * 1000}, "expect_column_values_to_be_between", "score"),
    "marts_family_downloads": ({"share_30d": 1.4}, "expect_column_values_to_be_between", "share_30d"),
    "marts_family_downloads_adjusted": (
        {"downloads_30d_adjusted": 60000},
        "expect_column_pair_values_a_to_be_greater_than_b",
        "downloads_30d >= downloads_30d_adjusted",
    ),
    "marts_family_derivatives": ({"relation": "derived"}, "expect_column_values_to_be_in_set", "relation"),
    "marts_headline_kpis": ({"hhi_30d": 12_000.0}, "expect_column_values_to_be_between", "hhi_30d"),
    "marts_benchmark_gap": ({"legacy_score": 861.0}, "expect_column_values_to_be_between", "legacy_score"),
    "marts_family_gap": (
        {"min_gap_pp": 40.0},
        "expect_column_pair_values_a_to_be_greater_than_b",
        "max_gap_pp >= min_gap_pp",
    ),
}


def _batch(frame):
    return gx_suites.Batch(len(frame), len(frame), False, w(0), w(2))


def test_every_suite_has_a_good_and_a_bad_case():
    assert set(GOOD) == set(BAD) == set(SUITES)


@pytest.mark.parametrize("name", sorted(SUITES))
def test_each_suite_passes_on_a_good_batch_and_fails_on_a_bad_one(home, name):
    suite = SUITES[name]
    good = gx_suites.validate(suite, GOOD[name](), _batch(GOOD[name]()), docs_root=None)
    assert good.success, [(e.expectation, e.columns, e.examples) for e in good.expectations if not e.success]
    assert len(good.expectations) == len(suite.expectations(gx_suites._gx())) and all(
        e.success for e in good.expectations
    )

    change, expectation, column = BAD[name]
    frame = GOOD[name]()
    for key, value in change.items():
        frame.loc[0, key] = value
    bad = gx_suites.validate(suite, frame, _batch(frame), docs_root=None)
    assert not bad.success
    (failed,) = [e for e in bad.expectations if not e.success]
    assert (failed.expectation, failed.columns, failed.unexpected) == (expectation, column, 1)
    first = frame.iloc[0]
    assert all(f"{c}={first[c]}" in failed.examples[0] for c in suite.index_columns if c in frame.columns)

    meta = bad.metadata()
    table = meta["expectations"]
    assert table.count("\n") == len(bad.expectations) + 1  # header + one line per expectation
    assert f"| {expectation} | {column} | NO | 1 |" in table
    assert meta["failed"] == 1 and meta["rows_validated"] == len(frame)
    assert "NO" not in good.metadata()["expectations"]


def test_the_data_docs_site_of_the_latest_validation(home):
    suite = SUITES["raw_hub_models"]
    frame = GOOD[suite.name]()
    frame.loc[0, "gated"] = "sometimes"
    first = gx_suites.validate(suite, frame, _batch(frame), docs_root=home / "quality")
    latest = gx_suites.validate(suite, GOOD[suite.name](), _batch(frame), docs_root=home / "quality")
    docs = home / "quality" / "gx" / suite.name / "index.html"
    assert first.metadata()["data_docs"] == latest.metadata()["data_docs"] == docs
    assert docs.is_file()
    pages = list((docs.parent / "validations").rglob("*.html"))
    assert len(pages) == 1 and "sometimes" not in pages[0].read_text()  # only the latest (passing) validation
    assert [p.name for p in (home / "quality" / "gx").iterdir()] == [suite.name]  # no temporary folders left


def test_a_big_batch_is_validated_on_a_reproducible_sample(home):
    path = build(home, n_windows=10)  # 7 models x 10 windows = 70 rows
    suite = SUITES["raw_hub_models"]
    with open_warehouse(path) as con:
        frame, batch = gx_suites.load_batch(con, suite, w(0), w(10), limit=50)
        again, _ = gx_suites.load_batch(con, suite, w(0), w(10), limit=50)
    assert (batch.rows_total, batch.rows_validated, batch.sampled) == (70, 50, True)
    assert frame.equals(again)
    report = gx_suites.validate(suite, frame, batch, docs_root=None)
    assert report.success and report.metadata()["sampled"] is True
    assert "sample of 50 of 70 rows" in report.description()


def test_the_gx_checks_run_in_the_job(home, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_GX", "on")
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    keys = build_sample_archive(home / "landing", load_families(DEFAULT_FAMILIES_FILE), n_windows=2).window_keys
    result = defs.resolve_job_def("hubsignal_6h").execute_in_process(
        tags={ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]},
        asset_selection=[dg.AssetKey(["raw", "hub_models"]), dg.AssetKey(["staging", "families"])],
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )
    assert result.success
    gx = {e.check_name: e for e in result.get_asset_check_evaluations() if e.check_name.startswith("gx_")}
    assert set(gx) == {"gx_raw_hub_models"}
    for evaluation in gx.values():
        assert evaluation.passed, evaluation.description
        assert evaluation.metadata["rows_in_windows"].value > 0
        assert (home / "quality" / "gx" / evaluation.check_name.removeprefix("gx_") / "index.html").is_file()
        assert evaluation.metadata["data_docs"].value.startswith(str(home / "quality" / "gx"))
