"""Tier-2 SQL checks (sql/checks/*.sql through hubsignal/quality/sql_checks.py): each passes on good data and fails on a
crafted bad window; blocking ones quarantine that window, and quarantine is released by a fixed re-run or
an explicit override. Direct evaluation on a small warehouse (no Dagster run): fast."""

import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.checks import build_checks
from hubsignal.hub import graph
from hubsignal.quality.quarantine import RELOADED_FAILS, ReleaseError, release
from hubsignal.quality.sql_checks import CheckFileError, discover_checks, evaluate, load_check
from hubsignal.sql_models import discover_models, materialize
from hubsignal.warehouse import LogRow, open_warehouse, quarantine_at_load, transaction, write_log
from hubsignal.windows import window_key
from pipelines.definitions import defs
from tests.conftest import query
from tests.quality_fixtures import MODELS, build, hub_row, insert, log_windows, w

CHECKS = {c.name: c for c in discover_checks()}
N = 10  # windows 0..9; the crafted bad window is the last one
BAD = window_key(w(N - 1))
FIELDS = ["_id", "createdAt", "downloads", "downloadsAllTime", "gated", "id", "likes", "tags"]
LEGACY = "score_files/generic_csv-0123456789ab"  # the meta.snapshot_log source of a score file


def _good_warehouse(home):
    path = build(home, n_windows=N)
    with open_warehouse(path) as con, transaction(con):
        insert(
            con,
            "raw.hub_children_counts",
            [
                {
                    "window_start": w(k),
                    "snapshot_ts": w(k + 1),
                    "model_id": m,
                    "relation": rel,
                    "n_children": 10 * k + n,
                    "origin": "synthetic_sample",
                }
                for k in range(N)
                for m in MODELS
                for rel, n in (("finetune", 5), ("quantized", 3))
            ],
        )
        log_windows(con, "hub_children_counts", range(N))
        con.executemany(
            "INSERT INTO meta.raw_fields VALUES (?, ?, ?, ?)",
            [(src, w(k), f, 7) for src in ("hub_models", "hub_children_counts") for k in range(N) for f in FIELDS],
        )
        insert(
            con,
            "raw.livebench_scores",
            [
                {
                    "fetched_window": w(k),
                    "release_date": date(2025, 4, 25),
                    "model": model,
                    "task": task,
                    "score": score,
                    "raw_value": str(score),
                    "categories_file": "categories_2025_04_25.json",
                    "category": cat,
                    "origin": "synthetic_sample",
                }
                for k in (0, 4, 8, 9)
                for model, score in (("qwen3-8b", 41.5), ("llama-3.1-8b", 30.25))
                for task, cat in (("web_of_lies", "reasoning"), ("LCB_generation", "coding"))
            ],
        )
        log_windows(con, "livebench", (0, 4, 8, 9))
        insert(
            con,
            "raw.legacy_scores",
            [
                {
                    "window_start": w(k),
                    "landing_source": LEGACY,
                    "source": "generic_csv",
                    "source_model": model,
                    "benchmark": "mmlu",
                    "score": score,
                    "raw_score": str(score),
                    "self_reported": True,
                    "observed_at": w(k),
                    "origin": "synthetic_sample",
                }
                for k in (2, 9)
                for model, score in (("Qwen2.5-72B-Instruct", 86.1), ("Llama-3.1-70B-Instruct", 83.6))
            ],
        )
        log_windows(con, LEGACY, (2, 9))
        # a clean whole-Hub graph each window: a chain Qwen/Qwen3-8B <- alice/ft <- bob/ft-gguf
        for k in range(N):
            con.execute(
                "INSERT INTO raw.hub_graph_models (window_start, model_id, author, downloads_30d) VALUES "
                "(?, 'Qwen/Qwen3-8B', 'Qwen', 100), (?, 'alice/ft', 'alice', 10), (?, 'bob/ft-gguf', 'bob', 5)",
                [w(k)] * 3,
            )
            graph.set_window_edges(
                con,
                w(k),
                "SELECT * FROM (VALUES ('alice/ft', 'Qwen/Qwen3-8B', 'finetune'), "
                "('bob/ft-gguf', 'alice/ft', 'quantized')) AS t(child_id, parent_id, relation)",
            )
        log_windows(con, "hub_graph", range(N))
        # staging.unmatched_models is a view over the identity models; here a table with its columns
        con.execute(
            "CREATE TABLE staging.unmatched_models AS SELECT 'livebench_without_legacy' AS kind, "
            "'livebench' AS source, 'gpt-4o' AS source_name, 'gpt-4o' AS model_key, NULL::VARCHAR AS variant, "
            "'gpt-4o-mini' AS best_candidate_key, 0.93::DOUBLE AS best_similarity, NULL::VARCHAR AS suggested_override"
        )
    with open_warehouse(path) as con:
        models = {m.table: m for m in discover_models()}
        for table in (
            "staging.hub_models",
            "marts.family_downloads",
            "staging.hub_graph_edges",
            "staging.family_derivative_reach",
        ):
            materialize(con, models[table], w(0), w(N))
    return path


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory):
    return _good_warehouse(tmp_path_factory.mktemp("good"))


@pytest.fixture
def warehouse(home, good_warehouse):
    """A private copy of the good warehouse (built once per module: building costs seconds)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "warehouse.duckdb"
    shutil.copyfile(good_warehouse, path)
    return path


def run(path, name, first=0, end=N):
    with open_warehouse(path) as con:
        return evaluate(con, CHECKS[name], w(first), w(end), run_id="test")


def sql(path, *statements):
    with open_warehouse(path) as con, transaction(con):
        for s in statements:
            con.execute(s)


def status(home, source="hub_models", key=BAD):
    return query(
        home, "SELECT status, message FROM meta.snapshot_log WHERE source = ? AND window_key = ?", [source, key]
    )[0]


# (check, SQL that breaks window 9, offending rows, text of the first offending row)
BAD_WINDOWS = [
    (
        "hub_models_unique_model",
        "INSERT INTO raw.hub_models BY NAME SELECT * FROM raw.hub_models WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{bad}'",
        1,
        "Qwen/Qwen3-8B",
    ),
    (
        "hub_models_downloads_non_negative",
        "UPDATE raw.hub_models SET downloads_30d = -5 WHERE model_id = 'google/gemma-3-4b-it' AND window_start = '{bad}'",
        1,
        "-5",
    ),
    (
        "hub_models_all_time_ge_30d",
        "UPDATE raw.hub_models SET downloads_all_time = 10 WHERE model_id = 'Qwen/Qwen3-8B-GGUF' AND window_start = '{bad}'",
        1,
        "Qwen/Qwen3-8B-GGUF",
    ),
    # Qwen: 4 models -> 2 (-50%, 2 models) and all-time 49,400 at window 8 -> 24,500 + 1,900 = 26,400 (-47%)
    (
        "hub_models_partial_crawl",
        "DELETE FROM raw.hub_models WHERE model_id IN ('Qwen/Qwen3-8B', 'Qwen/Qwen3-0.6B') AND window_start = '{bad}'",
        1,
        "Qwen",
    ),
    # 10,000 + 9 * 400 = 13,600 -> 13,100, below window 8's 13,200
    (
        "hub_models_all_time_decreasing",
        "UPDATE raw.hub_models SET downloads_all_time = 13100 WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{bad}'",
        1,
        "13100",
    ),
    # unchanged over windows 2..9 (8 windows) while downloads_30d = 2,000 > 0
    (
        "hub_models_stalled_counters",
        "UPDATE raw.hub_models SET downloads_all_time = 40000 WHERE model_id = 'meta-llama/Llama-3.1-8B' AND window_start >= '{w2}'",
        1,
        "meta-llama/Llama-3.1-8B",
    ),
    (
        "hub_models_schema_drift",
        "UPDATE meta.raw_fields SET field = 'trendingScore' WHERE source = 'hub_models' AND field = 'likes' AND window_start = '{bad}'",
        1,
        "trendingScore",
    ),
    (
        "hub_models_quarantined_windows",
        "UPDATE meta.window_loads SET status = 'quarantined', message = 'load rules: no rows' WHERE source = 'hub_models' AND window_start = '{bad}'",
        1,
        "load rules: no rows",
    ),
    (
        "hub_children_counts_valid",
        "INSERT INTO raw.hub_children_counts VALUES ('{bad}', '{bad}', 'Qwen/Qwen3-8B', 'finetune', -1, 'synthetic_sample')",
        2,
        "Qwen/Qwen3-8B",
    ),
    (
        "hub_children_counts_partial_crawl",
        "DELETE FROM raw.hub_children_counts WHERE model_id IN ('Qwen/Qwen3-8B', 'Qwen/Qwen3-0.6B') AND window_start = '{bad}'",
        1,
        "Qwen",
    ),
    (
        "hub_children_counts_schema_drift",
        "DELETE FROM meta.raw_fields WHERE source = 'hub_children_counts' AND field = 'tags' AND window_start = '{bad}'",
        1,
        "tags",
    ),
    (
        "family_downloads_unique",
        "INSERT INTO marts.family_downloads BY NAME SELECT * FROM marts.family_downloads WHERE family = 'Llama' AND window_start = '{bad}'",
        1,
        "Llama",
    ),
    (
        "livebench_scores_in_range",
        "UPDATE raw.livebench_scores SET score = 101.5 WHERE model = 'qwen3-8b' AND task = 'LCB_generation' AND fetched_window = '{bad}'",
        1,
        "101.5",
    ),
    (
        "legacy_scores_in_range",
        "UPDATE raw.legacy_scores SET score = 8610 WHERE source_model = 'Qwen2.5-72B-Instruct' AND window_start = '{bad}'",
        1,
        "8610",
    ),
    (
        "benchmark_gap_unmatched_models",
        "INSERT INTO staging.unmatched_models VALUES ('legacy_without_livebench', 'llm_stats', 'qwen-2.5-72b-instruct', "
        "'qwen-2.5-72b-instruct', NULL, 'qwen2.5-72b-instruct', 0.98, 'llm_stats,qwen-2.5-72b-instruct,qwen2.5-72b-instruct')",
        1,
        "qwen-2.5-72b-instruct",
    ),
    (
        "hub_children_counts_record_errors",
        "INSERT INTO meta.record_errors VALUES ('hub_children_counts', '{bad}', 'k', 'Qwen/Qwen3-8B', "
        "'childrenModelCount has an unexpected shape: lots', NULL)",
        1,
        "Qwen/Qwen3-8B: childrenModelCount has an unexpected shape: lots",
    ),
    (
        "model_cards_record_errors",
        "INSERT INTO meta.record_errors VALUES ('model_cards', '{bad}', 'k', 'Qwen/Qwen3-8B', "
        "'model_info has no commit sha (None)', NULL), ('model_card_scores', '{bad}', 'k', 'other/source', 'x', NULL)",
        1,
        "Qwen/Qwen3-8B: model_info has no commit sha (None)",
    ),
    (
        "legacy_scores_record_errors",
        "INSERT INTO meta.record_errors VALUES ('model_card_scores', '{bad}', 'k', 'Qwen/Qwen3-8B', "
        "'model_info answered HTTP 400', NULL)",
        1,
        "Qwen/Qwen3-8B: model_info answered HTTP 400",
    ),
    # window 9: alice/ft names itself, a parent that is not listed, and bob/ft-gguf (which names alice/ft): a
    # self-loop, a dead parent and a 2-cycle
    (
        "hub_graph_anomalies",
        # (the last loaded window: alice/ft's new edges start there, beside its Qwen edge)
        "INSERT INTO raw.hub_graph_edges (child_id, parent_id, relation, valid_from) VALUES "
        "('alice/ft', 'alice/ft', 'finetune', '{bad}'), ('alice/ft', 'gone/deleted', NULL, '{bad}'), "
        "('alice/ft', 'bob/ft-gguf', 'merge', '{bad}')",
        1,
        "1 2 1 1 alice/ft gone/deleted",
    ),
    (
        "livebench_task_in_category",
        "UPDATE raw.livebench_scores SET category = NULL WHERE task = 'web_of_lies' AND fetched_window = '{bad}'",
        1,
        "web_of_lies",
    ),
]


def test_the_bad_window_table_covers_every_check():
    assert {name for name, *_ in BAD_WINDOWS} == set(CHECKS)


def test_every_check_passes_on_good_data(warehouse):
    for name in CHECKS:
        result = run(warehouse, name)
        assert result.offending == 0, (name, result.columns, result.examples)
        assert result.passed and not (result.outcome and (result.outcome.new or result.outcome.released))


@pytest.mark.parametrize("name, breakage, offending, text", BAD_WINDOWS, ids=[b[0] for b in BAD_WINDOWS])
def test_each_check_fails_on_its_crafted_bad_window(home, warehouse, name, breakage, offending, text):
    sql(warehouse, breakage.format(bad=w(N - 1), w2=w(2)))
    check = CHECKS[name]
    result = run(warehouse, name)
    assert not result.passed and result.offending == offending
    assert text in " ".join(map(str, result.examples[0]))
    meta = result.metadata()
    assert meta["offending_rows"] == offending and "examples" in meta
    # A quarantining check over a range that keeps good windows is contained (WARN): the run goes on without
    # the bad window. Blocking checks that cannot quarantine stop what is downstream (ERROR).
    contained = check.quarantine is not None
    assert result.severity == ("error" if check.blocking and not contained else "warn")
    if check.quarantine:
        source = LEGACY if check.quarantine_column else check.quarantine
        st, message = status(home, source)
        assert st == "quarantined" and message.startswith(f"check {name}: {offending} offending row(s), e.g. ")
        named = [
            (c, v) for c, v in zip(result.columns, result.examples[0]) if c not in ("window_start", "landing_source")
        ]
        assert f"{named[0][0]}={named[0][1]}" in message  # names the offending row
        key = f"{source} {BAD}" if check.quarantine_column else BAD
        assert result.outcome.new == {key: message.split(": ", 1)[1]}
        others = query(
            home, "SELECT DISTINCT status FROM meta.snapshot_log WHERE source = ? AND window_key <> ?", [source, BAD]
        )
        assert others == [("observed",)]
        # the rows stay in raw (re-checked on every run); only the staging views drop the window
        if source == "hub_models":
            assert query(home, f"SELECT count(*) > 0 FROM raw.hub_models WHERE window_start = '{w(N - 1)}'") == [
                (True,)
            ]
            assert query(home, f"SELECT count(*) FROM staging.hub_models WHERE window_start = '{w(N - 1)}'") == [(0,)]


def test_only_the_checked_windows_are_judged(warehouse):
    sql(warehouse, f"UPDATE raw.hub_models SET downloads_30d = -1 WHERE window_start = '{w(N - 1)}'")
    assert run(warehouse, "hub_models_downloads_non_negative", 0, N - 1).passed  # window 9 is not in the run
    assert not run(warehouse, "hub_models_downloads_non_negative", N - 1, N).passed


def test_one_small_model_gone_is_not_a_partial_crawl(warehouse):
    # Qwen 4 -> 3 models (one model only) and all-time 49,400 -> 48,800 (-1.2%): a repo deletion, not a crawl gap
    sql(warehouse, f"DELETE FROM raw.hub_models WHERE model_id = 'Qwen/Qwen3-8B-GGUF' AND window_start = '{w(N - 1)}'")
    assert run(warehouse, "hub_models_partial_crawl").passed


def test_a_family_that_vanished_is_a_partial_crawl(warehouse):
    sql(warehouse, f"DELETE FROM raw.hub_models WHERE author = 'meta-llama' AND window_start = '{w(N - 1)}'")
    result = run(warehouse, "hub_models_partial_crawl")
    assert result.offending == 1
    row = dict(zip(result.columns, result.examples[0]))
    assert (row["family"], row["n_models"], row["downloads_all_time"], row["previous_all_time"]) == (
        "Llama",
        0,
        0,
        31_600,
    )


def test_the_drop_is_measured_against_the_previous_accepted_window(home, warehouse):
    # window 8 is quarantined (say by another check): window 9 is compared with window 7
    sql(
        warehouse,
        f"INSERT INTO meta.quarantine VALUES ('hub_models', '{w(8)}', '{window_key(w(8))}', 'x', 'y', 1, now(), NULL, NULL, NULL)",
        f"DELETE FROM raw.hub_models WHERE model_id IN ('Qwen/Qwen3-8B', 'Qwen/Qwen3-0.6B') AND window_start = '{w(N - 1)}'",
    )
    result = run(warehouse, "hub_models_partial_crawl", N - 1, N)
    assert dict(zip(result.columns, result.examples[0]))["previous_window"] == window_key(w(7))


# ------------------------------------------------------------------------------------- quarantine lifecycle


def test_quarantine_is_kept_while_failing_and_released_when_fixed(home, warehouse):
    sql(
        warehouse,
        f"UPDATE raw.hub_models SET downloads_30d = -5 WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{w(N - 1)}'",
    )
    first = run(warehouse, "hub_models_downloads_non_negative")
    assert first.severity == "warn" and BAD in first.outcome.new  # contained: good windows remain
    assert first.clean_windows == N - 1
    again = run(warehouse, "hub_models_downloads_non_negative")  # nothing changed: no new failure, no release
    assert not again.passed and again.severity == "warn"
    assert BAD in again.outcome.still and "still quarantined" in again.description()
    assert status(home)[0] == "quarantined"
    sql(
        warehouse,
        f"UPDATE raw.hub_models SET downloads_30d = 4000 WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{w(N - 1)}'",
    )
    fixed = run(warehouse, "hub_models_downloads_non_negative")
    assert fixed.passed and fixed.outcome.released == [BAD]
    st, message = status(home)
    assert st == "observed" and message.startswith("released")
    assert query(home, "SELECT released_by FROM meta.quarantine") == [("re-run: check passes",)]


def test_a_window_held_by_two_checks_is_released_when_both_pass(home, warehouse):
    sql(
        warehouse,
        f"UPDATE raw.hub_models SET downloads_30d = -5 WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{w(N - 1)}'",
        f"UPDATE raw.hub_models SET downloads_all_time = 10 WHERE model_id = 'Qwen/Qwen3-8B-GGUF' AND window_start = '{w(N - 1)}'",
    )
    assert BAD in run(warehouse, "hub_models_downloads_non_negative").outcome.new
    assert BAD in run(warehouse, "hub_models_all_time_ge_30d").outcome.still  # already quarantined: recorded too
    message = status(home)[1]
    assert "hub_models_downloads_non_negative" in message and "hub_models_all_time_ge_30d" in message
    sql(
        warehouse,
        f"UPDATE raw.hub_models SET downloads_30d = 4000 WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{w(N - 1)}'",
    )
    assert run(warehouse, "hub_models_downloads_non_negative").outcome.released == []
    assert status(home)[0] == "quarantined" and "non_negative" not in status(home)[1]
    sql(
        warehouse,
        f"UPDATE raw.hub_models SET downloads_all_time = 1900 WHERE model_id = 'Qwen/Qwen3-8B-GGUF' AND window_start = '{w(N - 1)}'",
    )
    assert run(warehouse, "hub_models_all_time_ge_30d").outcome.released == [BAD]
    assert status(home)[0] == "observed"


def test_an_override_releases_the_window_and_sticks_to_its_data(home, warehouse):
    sql(
        warehouse,
        f"UPDATE raw.hub_models SET downloads_30d = -5 WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{w(N - 1)}'",
    )
    run(warehouse, "hub_models_downloads_non_negative")
    with open_warehouse(warehouse) as con:
        assert "rebuilds the marts" in release(con, "hub_models", BAD, "Hub served -5 for one hour; accepted")
    st, message = status(home)
    assert st == "observed" and "Hub served -5" in message
    result = run(warehouse, "hub_models_downloads_non_negative")
    assert result.outcome.overridden and not result.outcome.new and result.severity == "warn"
    assert status(home)[0] == "observed"
    assert query(home, "SELECT reason, load_fingerprint FROM meta.quarantine_overrides") == [
        ("Hub served -5 for one hour; accepted", f"fp-hub_models-{N - 1}")
    ]
    # other data for the window (a new manifest or parser): the override no longer covers it
    sql(
        warehouse,
        f"UPDATE meta.window_loads SET load_fingerprint = 'fp-new' WHERE source = 'hub_models' AND window_start = '{w(N - 1)}'",
    )
    assert BAD in run(warehouse, "hub_models_downloads_non_negative").outcome.new


def _reload(path, k, fingerprint):
    """What the loader records when new data of window k loads (a new manifest or parser version)."""
    with open_warehouse(path) as con, transaction(con):
        write_log(con, [LogRow("hub_models", w(k), window_key(w(k)), "observed", load_fingerprint=fingerprint)])


def test_a_reloaded_window_stays_held_until_its_new_data_is_checked(home, warehouse):
    bad = (
        f"UPDATE raw.hub_models SET downloads_30d = -5 WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{w(N - 1)}'"
    )
    sql(warehouse, bad)
    assert BAD in run(warehouse, "hub_models_downloads_non_negative").outcome.new
    _reload(warehouse, N - 1, "fp-reloaded")
    # the check's verdict on the older data stands until the check judges the new data
    assert status(home)[0] == "quarantined"
    assert query(
        home, f"SELECT count(*) FROM meta.accepted_windows WHERE source = 'hub_models' AND window_start = '{w(N - 1)}'"
    ) == [(0,)]
    # the new data fails too: quarantined now (a new row), the row of the older data is closed
    assert BAD in run(warehouse, "hub_models_downloads_non_negative", N - 1, N).outcome.new
    assert query(home, "SELECT released_by IS NULL, released_by FROM meta.quarantine ORDER BY quarantined_at") == [
        (False, RELOADED_FAILS),
        (True, None),
    ]
    assert BAD in run(warehouse, "hub_models_downloads_non_negative", N - 1, N).outcome.still
    # fixed data loads: the check passes on it and releases the window
    _reload(warehouse, N - 1, "fp-fixed")
    sql(warehouse, bad.replace("-5", "4000"))
    assert run(warehouse, "hub_models_downloads_non_negative").outcome.released == [BAD]
    st, message = status(home)
    assert st == "observed"
    assert message.startswith("released ") and message.endswith(
        " UTC: hub_models_downloads_non_negative passes on the reloaded data"
    )
    # the next load of the window states its own message again
    _reload(warehouse, N - 1, "fp-later")
    assert status(home) == ("observed", None)


def test_a_window_quarantined_at_load_level_is_hidden_and_cannot_be_overridden(home, warehouse):
    with open_warehouse(warehouse) as con:
        quarantine_at_load(con, "hub_models", w(N - 1), "landed files no longer match their manifest")
        quarantine_at_load(con, "hub_models", w(N + 5), "landed files no longer match their manifest")
    assert status(home) == ("quarantined", "landed files no longer match their manifest")
    fingerprint = query(
        home,
        f"SELECT load_fingerprint FROM meta.window_loads WHERE source = 'hub_models' AND window_start = '{w(N - 1)}'",
    )
    assert fingerprint == [(f"fp-hub_models-{N - 1}",)]  # kept: an unchanged window stays quarantined
    assert status(home, key=window_key(w(N + 5)))[0] == "quarantined"  # never loaded: recorded all the same
    assert query(home, f"SELECT count(*) FROM staging.hub_models WHERE window_start = '{w(N - 1)}'") == [(0,)]
    with open_warehouse(warehouse) as con, pytest.raises(ReleaseError, match="cannot be read"):
        release(con, "hub_models", BAD, "why")


def test_release_refuses_what_it_cannot_release(home, warehouse):
    with open_warehouse(warehouse) as con:
        with pytest.raises(ReleaseError, match="not quarantined"):
            release(con, "hub_models", BAD, "why")
        with pytest.raises(ReleaseError, match="needs a reason"):
            release(con, "hub_models", BAD, " ")
        con.execute(
            "UPDATE meta.window_loads SET status = 'quarantined', message = 'x.json.gz: not valid JSON' "
            "WHERE source = 'hub_models' AND window_key = ?",
            [BAD],
        )
        with pytest.raises(ReleaseError, match="cannot be read"):
            release(con, "hub_models", BAD, "why")
        with pytest.raises(ReleaseError, match="never loaded"):
            release(con, "hub_models", "2020-01-01-03:00", "why")


# ------------------------------------------------------------------------------------------ the factory


def test_every_check_is_registered_on_its_asset_with_its_severity():
    graph = defs.resolve_asset_graph()
    for check in CHECKS.values():
        key = dg.AssetCheckKey(dg.AssetKey(list(check.asset)), check.name)
        assert key in graph.asset_check_keys, key
        spec = graph.get_check_spec(key)
        assert spec.blocking == (check.severity == "error")
        assert spec.metadata["sql_file"] == f"sql/checks/{check.name}.sql"


def test_raw_hub_data_is_overdue_after_one_window_plus_a_margin():
    for name in ("hub_models", "hub_children_counts"):
        key = dg.AssetKey(["raw", name])
        policy = defs.resolve_assets_def(key).specs_by_key[key].freshness_policy
        assert policy.fail_window.to_timedelta() == timedelta(hours=7)  # 6-hour window + 1 hour
        assert policy.warn_window.to_timedelta() == timedelta(hours=6, minutes=15)


def test_a_check_on_an_unregistered_asset_fails_the_build(tmp_path):
    (tmp_path / "orphan.sql").write_text(
        "-- asset: marts.no_such_table\n-- severity: warn\n-- description: x\nSELECT 1 AS a"
    )
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    with pytest.raises(CheckFileError, match=r"orphan.sql: marts.no_such_table is not a registered asset"):
        build_checks(keys, tmp_path)
    (tmp_path / "orphan.sql").write_text(
        "-- asset: raw.hub_models\n-- severity: warn\n-- description: x\nSELECT * FROM marts.no_such_table"
    )
    with pytest.raises(CheckFileError, match="no_such_table is not a registered asset"):
        build_checks(keys, tmp_path)


@pytest.mark.parametrize(
    "text, why",
    [
        ("-- asset: raw.hub_models\n-- description: x\nSELECT 1", "missing header line '-- severity"),
        ("-- asset: raw.hub_models\n-- severity: fatal\n-- description: x\nSELECT 1", "is not error or warn"),
        (
            "-- asset: raw.hub_models\n-- severity: warn\n-- sevrity: warn\n-- description: x\nSELECT 1",
            "unknown header key",
        ),
        ("-- asset: hub_models\n-- severity: warn\n-- description: x\nSELECT 1", "is not <raw|staging|marts>"),
        (
            "-- asset: raw.hub_models\n-- severity: warn\n-- quarantine: hub_models\n-- description: x\nSELECT 1",
            "only a blocking",
        ),
        ("-- asset: raw.hub_models\n-- severity: warn\n-- description: x\nSELECT 1; SELECT 2", "exactly one SELECT"),
        (
            "-- asset: raw.hub_models\n-- severity: warn\n-- description: x\nDELETE FROM raw.hub_models",
            "exactly one SELECT",
        ),
    ],
)
def test_check_file_contract(tmp_path, text, why):
    path = tmp_path / "bad_check.sql"
    path.write_text(text)
    with pytest.raises(CheckFileError, match=why):
        load_check(path)


def test_a_quarantining_check_must_name_the_window(home, warehouse, tmp_path):
    path = tmp_path / "no_window.sql"
    path.write_text(
        "-- asset: raw.hub_models\n-- severity: error\n-- quarantine: hub_models\n-- description: x\n"
        "SELECT model_id FROM raw.hub_models WHERE downloads_30d >= 0"
    )
    with open_warehouse(warehouse) as con, pytest.raises(CheckFileError, match="must return a window_start column"):
        evaluate(con, load_check(path), w(0), w(N))


def test_hub_row_fixture_is_consistent():
    assert hub_row(9, "Qwen/Qwen3-8B")["downloads_all_time"] == 13_600


# ---------------------------------------------------------------------------------- tier 1: load rules


def _window(manifest, files=()):
    from hubsignal.landing import LandedWindow

    return LandedWindow(Path("/landing/x/2026-10-01-03:00"), manifest, [({"file": f}, b"") for f in files])


def test_load_rules_name_every_problem():
    from hubsignal.quality.load_rules import Expect, LoadRules, manifest_list

    rules = LoadRules(unique=("model_id",), expect=(Expect("org", manifest_list("orgs"), lambda f, w: set(f["org"])),))
    good = pl.DataFrame({"model_id": ["Qwen/a", "Qwen/b", "google/c"], "org": ["Qwen", "Qwen", "google"]})
    assert rules(good, _window({"orgs": ["Qwen", "google"]})) == []
    assert rules(good, _window({})) == []  # nothing configured (an imported archive): nothing to verify
    dup = pl.concat([good, good.head(1)])
    assert rules(dup, _window({"orgs": ["Qwen", "google", "01-ai"]})) == [
        "1 duplicate (model_id) keys, e.g. model_id=Qwen/a x2",
        "configured org missing: 01-ai",
    ]
    assert rules(good.head(0), _window({})) == ["no rows although the window is landed"]


def test_livebench_load_rules_want_every_configured_release_accounted_for():
    from hubsignal.sources import LIVEBENCH

    frame = pl.DataFrame({"release_date": [date(2025, 4, 25)], "model": ["qwen3-8b"], "task": ["web_of_lies"]})
    manifest = {"releases": ["2025-04-25", "2026-01-08"], "absent": [{"file": "categories_2026_01_08.json"}]}
    files = ["table_2025_04_25.csv.gz", "categories_2025_04_25.json.gz"]
    assert LIVEBENCH.validate(frame, _window(manifest, files)) == [
        "configured release table missing: table_2026_01_08.csv"
    ]
    manifest["absent"].append({"file": "table_2026_01_08.csv"})  # a 404 is accounted for: the window loads
    assert LIVEBENCH.validate(frame, _window(manifest, files)) == []
