"""LiveBench snapshots: parsing quirks, averages exactly as livebench.ai computes them (hand-computed on small
fixtures, independently recomputed on the real tables in ../shared/data/livebench/), the live fetch through
the Hub's HTTP policy against a fake livebench.ai on 127.0.0.1, replay idempotence, the synthetic sample."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest

from demo.livebench import SAMPLE_NOTE, SAMPLE_ORIGIN, build_livebench_sample
from hubsignal import landing as lz
from hubsignal.http import HttpFetcher, HttpPolicy
from hubsignal.livebench import (
    LiveBenchFetchError,
    LiveBenchFileError,
    fetch_livebench,
    parse_categories,
    parse_snapshot,
    parse_table,
)
from hubsignal.settings import DEFAULT_LIVEBENCH_RELEASES, Settings
from hubsignal.sources import LIVEBENCH
from hubsignal.sql_models import MODELS_DIR, load_model, materialize
from hubsignal.values import to_number
from hubsignal.warehouse import open_warehouse
from hubsignal.windows import latest_closed_window, parse_window_key, window_key
from tests.conftest import SHARED_DATA, query
from tests.fakes.fake_clock import FakeClock
from tests.fakes.fake_livebench import FakeLiveBench
from tests.snapshot_runs import run_loader

REAL = SHARED_DATA / "livebench"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real LiveBench files not found at {REAL}")
VIEWS = ("livebench_category_averages", "livebench_averages", "livebench_history")
W1, W2, W3 = "2026-01-10-03:00", "2026-01-10-09:00", "2026-01-10-15:00"
CATS_A = {"Reasoning": ["r1", "r2"], "Coding": ["c1"], "Math": ["m1", "m2", "m3"]}


# ------------------------------------------------------------------------------------------------ helpers


def _cats(doc: dict) -> bytes:
    return json.dumps(doc, indent=4).encode()


def _land(home: Path, key: str, files: dict[str, bytes | str], origin: str = "live", absent=()) -> None:
    raw = [lz.RawFile(n, b.encode() if isinstance(b, str) else b, 1) for n, b in files.items()]
    lz.land_window(
        home / "landing",
        "livebench",
        key,
        raw,
        origin=origin,
        fetched_at=parse_window_key(key) + timedelta(hours=6),
        extra={"absent": list(absent)},
    )


def _load(home: Path, *keys: str):
    """Load the landed windows through the real snapshot machinery, then (re)build the staging views."""
    starts = [parse_window_key(k) for k in keys]
    report = run_loader(LIVEBENCH, starts, home)
    with open_warehouse(home / "warehouse.duckdb") as con:
        for name in VIEWS:
            materialize(con, load_model(MODELS_DIR / "staging" / f"{name}.sql"), starts[0], starts[-1])
    return report


def _averages(home: Path, release: str) -> dict[str, tuple]:
    rows = query(
        home,
        "SELECT model, global_average, category_averages FROM staging.livebench_averages WHERE release_date = ?",
        [release],
    )
    return {m: (g, dict(c)) for m, g, c in rows}


# ------------------------------------------------------------------------------------- real public tables


@needs_real
def test_real_tables_parse_with_their_own_categories():
    files = {p.name: p.read_bytes() for p in REAL.iterdir()}
    parsed = parse_snapshot(files)
    assert parsed.rejected == {}
    cols = parsed.columns
    per_release = {}
    for release, model, task in zip(cols["release_date"], cols["model"], cols["task"]):
        per_release.setdefault(release.isoformat(), (set(), set()))
        per_release[release.isoformat()][0].add(model)
        per_release[release.isoformat()][1].add(task)
    assert {r: (len(m), len(t)) for r, (m, t) in per_release.items()} == {
        "2024-08-31": (59, 18),
        "2025-04-25": (57, 17),
        "2026-01-08": (127, 23),  # every row of the file, the short one included
    }
    assert len(cols["model"]) == 59 * 18 + 57 * 17 + 127 * 23
    assert set(cols["categories_file"]) == {f"categories_{r.replace('-', '_')}.json" for r in per_release}
    assert None not in cols["category"]  # every real task belongs to a category of its own release's file
    # The real 2026-01-08 table has a row with 21 fields for a 24-column header. livebench.ai shows that model
    # with its last three cells (typescript, typos, zebra_puzzle) empty: so do we, and the note names it.
    assert [n for n in parsed.notes if "shorter than the header" in n] == [
        "table_2026_01_08.csv: 1 row(s) shorter than the header, missing trailing cells read as empty: "
        "line 110 (nemotron-3-super-120b-a12b: 21 of 24 fields)"
    ]
    assert not [n for n in parsed.notes if "skipped" in n]
    nemotron = {
        t: (v, s)
        for r, m, t, v, s in zip(cols["release_date"], cols["model"], cols["task"], cols["raw_value"], cols["score"])
        if m == "nemotron-3-super-120b-a12b"
    }
    assert len(nemotron) == 23
    assert nemotron["AMPS_Hard"] == ("87.0", 87.0) and nemotron["theory_of_mind"] == ("0.25", 0.25)
    assert nemotron["typescript"] == nemotron["typos"] == nemotron["zebra_puzzle"] == ("", None)


def _site_averages(release: str) -> dict[str, float | None]:
    """livebench.ai's Global Average recomputed independently with the csv/json modules."""
    categories = json.loads((REAL / f"categories_{release}.json").read_text())
    with open(REAL / f"table_{release}.csv", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        # A short row's missing trailing cells are empty (zip stops early; .get() below reads them as '').
        # A row longer than the header with values beyond it is not shown (none in the real files).
        rows = [dict(zip(header, r)) for r in reader if not any(c.strip() for c in r[len(header) :])]
    out = {}
    for row in rows:
        category_averages = []
        for tasks in categories.values():
            values = []
            for t in tasks:
                try:
                    values.append(float(row.get(t, "")))
                except ValueError:
                    pass
            category_averages.append(sum(values) / len(values) if values else None)
        out[row["model"].strip()] = (
            None if None in category_averages else sum(category_averages) / len(category_averages)
        )
    return out


@needs_real
def test_real_averages_match_livebench_ai(home):
    _land(home, W1, {p.name: p.read_bytes() for p in REAL.iterdir()}, origin="imported")
    _load(home, W1)
    for release in ("2024_08_31", "2025_04_25", "2026_01_08"):
        expected = _site_averages(release)
        got = _averages(home, release.replace("_", "-"))
        assert set(got) == set(expected)
        assert len(got) == {"2024_08_31": 59, "2025_04_25": 57, "2026_01_08": 127}[release]
        for model, value in expected.items():
            assert got[model][0] == pytest.approx(value, abs=1e-9), (release, model)
    # Pinned by hand (category means, then their plain mean), rounded as the site shows them:
    # claude-3-5-sonnet-20240620 @ 2024-08-31: Reasoning (80+48+48)/3=58.667, Coding (57.692+64)/2=60.846,
    # Mathematics 53.324, Data Analysis 56.74, Language 56.937, IF 72.3 -> 59.80
    assert round(_averages(home, "2024-08-31")["claude-3-5-sonnet-20240620"][0], 2) == 59.80
    assert round(_averages(home, "2025-04-25")["o3-2025-04-16-high"][0], 2) == 80.71
    gpt = _averages(home, "2026-01-08")["gpt-5.5-xhigh"]
    assert round(gpt[0], 2) == 80.71 and len(gpt[1]) == 7 and round(gpt[1]["Agentic Coding"], 3) == 56.667
    n = query(
        home,
        "SELECT n_tasks_numeric FROM staging.livebench_category_averages WHERE release_date = "
        "'2026-01-08' AND model = 'gpt-5.5-xhigh' AND category = 'Reasoning'",
    )
    assert n == [(4,)]
    # The short row (line 110): every category keeps a numeric cell, so the model has a global average.
    # Reasoning (0.25+42.133+60.784)/3=34.389, Coding 54.072, Agentic Coding (0+46)/2=23, Mathematics 36.429,
    # Data Analysis 21.231, Language (24+36.083)/2=30.042, IF 28.408 -> 32.51
    nemotron = _averages(home, "2026-01-08")["nemotron-3-super-120b-a12b"]
    assert round(nemotron[0], 2) == 32.51 and round(nemotron[1]["Agentic Coding"], 3) == 23.0
    n = dict(
        query(
            home,
            "SELECT category, n_tasks_numeric FROM staging.livebench_category_averages WHERE "
            "release_date = '2026-01-08' AND model = 'nemotron-3-super-120b-a12b'",
        )
    )
    assert n == {
        "Reasoning": 3,
        "Coding": 2,
        "Agentic Coding": 2,
        "Mathematics": 4,
        "Data Analysis": 3,
        "Language": 2,
        "IF": 4,
    }
    message = query(home, "SELECT message FROM meta.snapshot_log WHERE source = 'livebench'")[0][0]
    assert "line 110 (nemotron-3-super-120b-a12b: 21 of 24 fields)" in message


@needs_real
def test_real_release_without_categories_is_rejected_naming_uncovered_tasks(home):
    files = {p.name: p.read_bytes() for p in REAL.iterdir() if p.name != "categories_2025_04_25.json"}
    _land(home, W1, files)
    report = _load(home, W1)
    # categories_2024_08_31.json is the only earlier file and lacks the renamed/new columns.
    status, message = query(home, "SELECT status, message FROM meta.snapshot_log")[0]
    assert status == "observed"
    assert "REJECTED release 2025-04-25" in message
    assert "code_completion, code_generation, web_of_lies_v3" in message
    assert report.loaded == [W1]
    assert query(home, "SELECT DISTINCT release_date::VARCHAR FROM raw.livebench_scores ORDER BY 1") == [
        ("2024-08-31",),
        ("2026-01-08",),
    ]


# ------------------------------------------------------------------------------- hand-made quirky files


def test_cells_whitespace_crlf_bom_and_null_categories(home):
    # BOM, CRLF, padded header and ids, empty / non-numeric / nan cells, a blank line, trailing separators.
    table = "\ufeff model , r1 ,r2, c1 ,m1,m2,m3\r\n  alpha-7b , 10 ,20,30,40,n/a,60\r\n\r\nbeta-8b,50,,-,1,2,nan,\r\n"
    _land(home, W1, {"table_2024_01_01.csv": table, "categories_2024_01_01.json": _cats(CATS_A)})
    _load(home, W1)
    rows = query(
        home,
        "SELECT model, task, score, raw_value, category FROM raw.livebench_scores "
        "WHERE task IN ('r1', 'c1') ORDER BY model, task",
    )
    assert rows == [
        ("alpha-7b", "c1", 30.0, "30", "Coding"),
        ("alpha-7b", "r1", 10.0, " 10 ", "Reasoning"),
        ("beta-8b", "c1", None, "-", "Coding"),
        ("beta-8b", "r1", 50.0, "50", "Reasoning"),
    ]
    avg = _averages(home, "2024-01-01")
    # alpha: Reasoning (10+20)/2=15, Coding 30, Math (40+60)/2=50 (n/a skipped) -> (15+30+50)/3 = 31.666...
    assert avg["alpha-7b"][1] == {"Coding": 30.0, "Math": 50.0, "Reasoning": 15.0}
    assert avg["alpha-7b"][0] == pytest.approx(95 / 3)
    # beta: Coding has no numeric cell -> no value, so no global; Math (1+2)/2 = 1.5 ('nan' is not a score)
    assert avg["beta-8b"] == (None, {"Coding": None, "Math": 1.5, "Reasoning": 50.0})
    n = dict(
        query(home, "SELECT category, n_tasks_numeric FROM staging.livebench_category_averages WHERE model = 'beta-8b'")
    )
    assert n == {"Coding": 0, "Math": 2, "Reasoning": 1}


def test_score_parsing():
    assert [to_number(c) for c in ("55", " 47.436 ", "-0.5", "1e1", ".5")] == [55.0, 47.436, -0.5, 10.0, 0.5]
    assert [to_number(c) for c in ("", " ", "-", "n/a", "nan", "inf", "12abc", "1_000", "1,5")] == [None] * 9


def test_duplicated_model_row_keeps_the_first(home):
    table = "model,r1,r2,c1,m1\na,1,2,3,4\nb,5,6,7,8\na ,9,9,9,9\n"
    _land(home, W1, {"table_2024_01_01.csv": table, "categories_2024_01_01.json": _cats(CATS_A)})
    _load(home, W1)
    assert query(home, "SELECT task, score FROM raw.livebench_scores WHERE model = 'a' ORDER BY task") == [
        ("c1", 3.0),
        ("m1", 4.0),
        ("r1", 1.0),
        ("r2", 2.0),
    ]
    message = query(home, "SELECT message FROM meta.snapshot_log")[0][0]
    assert "1 duplicated model row(s) dropped" in message and "a (line 4 repeats line 2)" in message


def test_short_row_loads_with_empty_trailing_cells_and_long_row_is_skipped():
    table = parse_table("table_2024_01_01.csv", b"model,r1,r2\na,1,2\nb,3\nc,4,5,,\nd,6,7,8\ne\n")
    assert table.rows == [("a", ["1", "2"]), ("b", ["3", ""]), ("c", ["4", "5"]), ("e", ["", ""])]
    assert table.notes == [
        "table_2024_01_01.csv: 2 row(s) shorter than the header, missing trailing cells read as empty: "
        "line 3 (b: 2 of 3 fields), line 6 (e: 1 of 3 fields)",
        "table_2024_01_01.csv: 1 row(s) skipped, longer than the header's 3 fields with values beyond it "
        "(cells cannot be matched to tasks): line 5 (d: 4 fields)",
    ]  # c's trailing empty fields are only separators: not named


def test_short_row_averages_as_the_site_shows_it(home):
    # b lacks m1 (Math's only task): Math has no value, so b has no global; c lacks only r2.
    cats = {"Reasoning": ["r1", "r2"], "Coding": ["c1"], "Math": ["m1"]}
    _land(
        home,
        W1,
        {
            "table_2024_01_01.csv": "model,r1,c1,r2,m1\na,10,20,30,40\nb,10,20\nc,50,60,,70\n",
            "categories_2024_01_01.json": _cats(cats),
        },
    )
    _load(home, W1)
    assert query(home, "SELECT task, score, raw_value FROM raw.livebench_scores WHERE model = 'b' ORDER BY task") == [
        ("c1", 20.0, "20"),
        ("m1", None, ""),
        ("r1", 10.0, "10"),
        ("r2", None, ""),
    ]
    avg = _averages(home, "2024-01-01")
    assert avg["b"] == (None, {"Coding": 20.0, "Math": None, "Reasoning": 10.0})
    assert avg["a"][0] == pytest.approx((20 + 20 + 40) / 3)
    assert avg["c"][0] == pytest.approx((50 + 60 + 70) / 3)
    assert "line 3 (b: 3 of 5 fields)" in query(home, "SELECT message FROM meta.snapshot_log")[0][0]


def test_task_columns_renamed_between_releases(home):
    cats_v1 = {"Coding": ["LCB_generation", "coding_completion"], "Reasoning": ["web_of_lies_v2"]}
    cats_v2 = {"Coding": ["code_generation", "code_completion"], "Reasoning": ["web_of_lies_v3"]}
    _land(
        home,
        W1,
        {
            "table_2024_08_31.csv": "model,LCB_generation,coding_completion,web_of_lies_v2\nm,40,60,10\n",
            "categories_2024_08_31.json": _cats(cats_v1),
            "table_2025_04_25.csv": "model,code_completion,code_generation,web_of_lies_v3\nm,70,90,20\n",
            "categories_2025_04_25.json": _cats(cats_v2),
        },
    )
    _load(home, W1)
    assert _averages(home, "2024-08-31")["m"] == (30.0, {"Coding": 50.0, "Reasoning": 10.0})
    assert _averages(home, "2025-04-25")["m"] == (50.0, {"Coding": 80.0, "Reasoning": 20.0})
    tasks = query(
        home, "SELECT release_date::VARCHAR, list(task ORDER BY task) FROM raw.livebench_scores GROUP BY 1 ORDER BY 1"
    )
    assert tasks == [
        ("2024-08-31", ["LCB_generation", "coding_completion", "web_of_lies_v2"]),
        ("2025-04-25", ["code_completion", "code_generation", "web_of_lies_v3"]),
    ]


def test_release_without_categories_uses_most_recent_earlier_covering_file(home):
    covering = {"Reasoning": ["r1", "r2"], "Coding": ["c1"], "Math": ["m1"]}
    not_covering = {"Reasoning": ["r1"], "Coding": ["c1"], "Math": ["m1"]}  # newer, but lacks r2
    later = {"Reasoning": ["r1", "r2"], "Coding": ["c1"], "Math": ["m1"]}  # covers, but is LATER: never used
    _land(
        home,
        W1,
        {
            "categories_2024_01_01.json": _cats(covering),
            "categories_2024_02_01.json": _cats(not_covering),
            "table_2024_03_01.csv": "model,r1,r2,c1,m1\nm,10,30,50,90\n",
            "table_2024_04_01.csv": "model,r1,c1,m1\nm,1,2,3\n",
            "categories_2024_04_01.json": _cats(later),
        },
        absent=[{"file": "categories_2024_03_01.json", "http_status": 404, "reason": "HTTP 404"}],
    )
    _load(home, W1)
    assert query(
        home, "SELECT DISTINCT categories_file FROM raw.livebench_scores WHERE release_date = '2024-03-01'"
    ) == [("categories_2024_01_01.json",)]
    assert _averages(home, "2024-03-01")["m"] == (
        pytest.approx(160 / 3),
        {"Coding": 50.0, "Math": 90.0, "Reasoning": 20.0},
    )  # (20+50+90)/3
    message = query(home, "SELECT message FROM meta.snapshot_log")[0][0]
    assert "categories_2024_03_01.json absent (HTTP 404)" in message
    assert "classified with categories_2024_01_01.json" in message


def test_uncovered_release_is_rejected_and_the_others_still_load(home):
    _land(
        home,
        W1,
        {
            "categories_2024_01_01.json": _cats(CATS_A),
            "table_2024_01_01.csv": "model,r1,c1,m1\nm,10,20,30\n",
            "table_2024_02_01.csv": "model,r1,c1,new_task,other_new\nm,1,2,3,4\n",
        },
    )
    _load(home, W1)
    status, message = query(home, "SELECT status, message FROM meta.snapshot_log")[0]
    assert status == "observed"
    assert (
        "REJECTED release 2024-02-01: categories_2024_02_01.json absent and no earlier categories file covers "
        "every task column of table_2024_02_01.csv (1 tried); uncovered by categories_2024_01_01.json "
        "(the most recent): new_task, other_new"
    ) in message
    assert query(home, "SELECT DISTINCT release_date::VARCHAR FROM raw.livebench_scores") == [("2024-01-01",)]
    assert _averages(home, "2024-01-01")["m"] == (20.0, {"Coding": 20.0, "Math": 30.0, "Reasoning": 10.0})


def test_task_in_no_category_is_loaded_but_left_out_of_the_averages(home):
    _land(
        home,
        W1,
        {
            "table_2024_01_01.csv": "model,r1,c1,m1,mystery\nm,10,20,30,1000\n",
            "categories_2024_01_01.json": _cats(CATS_A),
        },
    )
    _load(home, W1)
    assert query(home, "SELECT score, category FROM raw.livebench_scores WHERE task = 'mystery'") == [(1000.0, None)]
    assert _averages(home, "2024-01-01")["m"][0] == 20.0
    assert (
        "task(s) in no category of categories_2024_01_01.json"
        in query(home, "SELECT message FROM meta.snapshot_log")[0][0]
    )


@pytest.mark.parametrize(
    "body, expected",
    [
        (b'model,r1\na,"1\nb,2\n', "table_x.csv line 2: malformed CSV (unexpected end of data)"),
        (b'model,r1\na,1\nb,"2"x\n', "table_x.csv line 3: malformed CSV (',' expected after '\"')"),
        (b"", "table_x.csv: empty file"),
        (b"name,r1\na,1\n", "table_x.csv line 1: expected exactly one `model` column, found 0"),
        (b"model,r1,r1\na,1,2\n", "table_x.csv line 1: column 'r1' appears twice (columns 2 and 3)"),
        (b"model,r1,\na,1,\nb,2,7\n", "table_x.csv line 3: column 3 has no name in the header but holds a value"),
        (b"model,r1\n\xff,1\n", "table_x.csv: not UTF-8 text (byte offset 9)"),
    ],
)
def test_malformed_csv_is_rejected_naming_file_and_line(body, expected):
    with pytest.raises(LiveBenchFileError) as err:
        parse_table("table_x.csv", body)
    assert expected in str(err.value)


@pytest.mark.parametrize(
    "body, expected",
    [
        (b'{\n  "A": ["x",\n}', "categories_x.json line 3 column 1: invalid JSON"),
        (b'["x"]', "categories_x.json: expected a non-empty object"),
        (b'{"A": "x"}', "categories_x.json key 'A': expected a list of task names"),
        (b'{"A": ["x", 3]}', "categories_x.json key 'A': expected a list of task names"),
        (b'{"A": ["x"], "B": ["y", "x"]}', "categories_x.json key 'B': task 'x' is also listed under 'A'"),
        (b'{"A": ["x"], "A": ["y"]}', "categories_x.json: duplicate key 'A'"),
    ],
)
def test_malformed_categories_are_rejected_naming_file_and_key(body, expected):
    with pytest.raises(LiveBenchFileError) as err:
        parse_categories("categories_x.json", body)
    assert expected in str(err.value)


def test_malformed_own_categories_file_rejects_its_release():
    parsed = parse_snapshot(
        {
            "categories_2024_01_01.json": _cats(CATS_A),
            "table_2024_02_01.csv": b"model,r1\nm,1\n",
            "categories_2024_02_01.json": b'{"A": ["r1"',
        }
    )
    assert list(parsed.rejected) and "categories_2024_02_01.json line 1" in parsed.rejected[min(parsed.rejected)]
    assert parsed.loaded == []  # no silent fallback past a broken file of the release's own
    # A broken categories file of a release without a table is only skipped as a fallback, and said so.
    parsed = parse_snapshot(
        {
            "categories_2024_01_01.json": b"[]",
            "table_2024_02_01.csv": b"model,r1\nm,1\n",
            "categories_2024_02_01.json": _cats({"R": ["r1"]}),
        }
    )
    assert parsed.loaded and any("categories_2024_01_01.json: expected a non-empty object" in n for n in parsed.notes)


def test_window_where_nothing_loads_is_quarantined_and_earlier_snapshots_stay(home):
    good = {"table_2024_01_01.csv": "model,r1,c1,m1\nm,10,20,30\n", "categories_2024_01_01.json": _cats(CATS_A)}
    _land(home, W1, good)
    _load(home, W1)
    before = query(home, "SELECT * FROM raw.livebench_scores ORDER BY task")
    _land(
        home, W2, {"table_2024_01_01.csv": 'model,r1,c1,m1\nm,"11,20,30\n', "categories_2024_01_01.json": _cats(CATS_A)}
    )
    report = _load(home, W1, W2)
    assert list(report.quarantined) == [W2]
    assert "table_2024_01_01.csv line 2: malformed CSV" in report.quarantined[W2]
    assert query(home, "SELECT window_key, status FROM meta.snapshot_log ORDER BY 1") == [
        (W1, "observed"),
        (W2, "quarantined"),
    ]
    assert query(home, "SELECT * FROM raw.livebench_scores ORDER BY task") == before
    assert query(
        home, "SELECT strftime(fetched_window, '%Y-%m-%d-%H:%M'), global_average FROM staging.livebench_averages"
    ) == [(W1, 20.0)]


def test_latest_snapshot_wins_and_history_shows_first_seen_and_corrections(home):
    cats = {"Reasoning": ["r1"], "Coding": ["c1"]}
    _land(home, W1, {"table_2024_01_01.csv": "model,r1,c1\na,10,20\n", "categories_2024_01_01.json": _cats(cats)})
    _land(
        home, W2, {"table_2024_01_01.csv": "model,r1,c1\na,10,26\nb,40,\n", "categories_2024_01_01.json": _cats(cats)}
    )
    _land(
        home, W3, {"table_2024_01_01.csv": "model,r1,c1\na,10,26\nb,40,50\n", "categories_2024_01_01.json": _cats(cats)}
    )
    report = _load(home, W1, W2, W3)
    assert report.loaded == [W1, W2, W3]
    avg = _averages(home, "2024-01-01")
    assert avg == {"a": (18.0, {"Coding": 26.0, "Reasoning": 10.0}), "b": (45.0, {"Coding": 50.0, "Reasoning": 40.0})}
    history = query(
        home,
        """
        SELECT model, task, strftime(fetched_window, '%H'), change, score, previous_score,
               strftime(first_seen_window, '%H'), strftime(last_seen_window, '%H')
        FROM staging.livebench_history ORDER BY model, task, fetched_window""",
    )
    assert history == [
        ("a", "c1", "03", "first_seen", 20.0, None, "03", "15"),
        ("a", "c1", "09", "corrected", 26.0, 20.0, "03", "15"),
        ("a", "r1", "03", "first_seen", 10.0, None, "03", "15"),
        ("b", "c1", "09", "first_seen", None, None, "09", "15"),
        ("b", "c1", "15", "corrected", 50.0, None, "09", "15"),  # an empty cell filled in later
        ("b", "r1", "09", "first_seen", 40.0, None, "09", "15"),
    ]


def test_replay_is_idempotent(home):
    _land(
        home, W1, {"table_2024_01_01.csv": "model,r1,c1,m1\nm,10,20,30\n", "categories_2024_01_01.json": _cats(CATS_A)}
    )
    _load(home, W1)
    rows = query(home, "SELECT * FROM raw.livebench_scores ORDER BY task")
    log = query(home, "SELECT load_fingerprint, loaded_at FROM meta.snapshot_log")
    report = _load(home, W1)
    assert report.unchanged == [W1] and report.loaded == []
    assert query(home, "SELECT * FROM raw.livebench_scores ORDER BY task") == rows
    assert query(home, "SELECT load_fingerprint, loaded_at FROM meta.snapshot_log") == log


# ---------------------------------------------------------------------------------- HTTP: policy + fetch


def test_fetch_goes_through_the_hub_http_policy(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_SHOULDneverREACHlivebench")
    files = {
        "table_2024_01_01.csv": "model,r1\nm,1\n",
        "categories_2024_01_01.json": _cats({"R": ["r1"]}),
        "table_2024_02_01.csv": "model,r1\nm,2\n",
    }
    with FakeLiveBench(files, html_for_missing=True) as lb:
        lb.add_fault("503", path_prefix="/table_2024_01_01.csv", times=1, retry_after=2)
        clock = FakeClock()
        policy = HttpPolicy(endpoint=lb.url, timeout_s=2, max_attempts=3, rate_limit_slack_s=0)
        with HttpFetcher(policy, clock=clock, sleep=clock.sleep) as fetcher:
            landed, extra = fetch_livebench(
                fetcher, lb.url, ["2024-01-01", "2024-02-01", "2024-03-01"], log=lambda m: None
            )
    assert clock.sleeps == [2.0]  # Retry-After honoured by the shared engine
    assert [f.name for f in landed] == ["table_2024_01_01.csv", "categories_2024_01_01.json", "table_2024_02_01.csv"]
    assert landed[0].body == b"model,r1\nm,1\n" and landed[0].n_records == 1 and landed[0].http_status == 200
    assert [(a["file"], a["http_status"], a["reason"]) for a in extra["absent"]] == [
        ("categories_2024_02_01.json", 200, "HTML page served instead of the file"),  # a catch-all page is not JSON
        ("table_2024_03_01.csv", 200, "HTML page served instead of the file"),
        ("categories_2024_03_01.json", 200, "HTML page served instead of the file"),
    ]
    assert extra["requests_sent"] == 7  # 6 files + 1 retry
    assert all("authorization" not in r.headers for r in lb.requests)
    assert all(r.headers["user-agent"].startswith("hubsignal/") for r in lb.requests)


def test_fetch_refuses_an_empty_snapshot_and_fails_on_other_errors():
    with FakeLiveBench({"categories_2024_01_01.json": "{}"}) as lb:
        with HttpFetcher(HttpPolicy(max_attempts=1)) as fetcher:
            with pytest.raises(LiveBenchFetchError, match="none of the 1 configured LiveBench releases has a table"):
                fetch_livebench(fetcher, lb.url, ["2024-01-01"], log=lambda m: None)
        lb.files["table_2024_01_01.csv"] = b"model,r1\n"
        lb.add_fault("403", path_prefix="/categories")
        with HttpFetcher(HttpPolicy(max_attempts=1)) as fetcher:
            with pytest.raises(LiveBenchFetchError, match=r"categories_2024_01_01.json: HTTP 403"):
                fetch_livebench(fetcher, lb.url, ["2024-01-01"], log=lambda m: None)


# ------------------------------------------------------------- end to end: the real Dagster assets, live


def _run_livebench(key: str):
    """Materialize the LiveBench assets (raw + staging views) for one window, in-process, like the job does.
    The whole job with LiveBench against a fake is exercised by tests/test_pipeline_live.py."""
    import dagster as dg

    from assets.livebench import raw_livebench_scores
    from assets.sql_models import build_model_asset
    from pipelines.resources import HubsignalResource

    views = [build_model_asset(load_model(MODELS_DIR / "staging" / f"{name}.sql")) for name in VIEWS]
    return dg.materialize(
        [raw_livebench_scores, *views],
        partition_key=key,
        raise_on_error=False,
        resources={"hubsignal": HubsignalResource()},
    )


@pytest.fixture
def live(home, monkeypatch):
    files = {
        "table_2024_08_31.csv": "model,LCB_generation,web_of_lies_v2\r\nqwen2.5-72b-instruct,40,60\r\n"
        "meta-llama-3.1-70b-instruct-turbo,20,\r\n",
        "categories_2024_08_31.json": _cats({"Coding": ["LCB_generation"], "Reasoning": ["web_of_lies_v2"]}),
        # no categories file of its own: 2024-08-31's covers both tasks
        "table_2024_11_25.csv": "model,web_of_lies_v2,LCB_generation\nqwen2.5-72b-instruct,70,50\n",
    }
    with FakeLiveBench(files) as lb:
        monkeypatch.setenv("LIVEBENCH_BASE_URL", lb.url)
        monkeypatch.setenv("LIVEBENCH_RELEASES", "2024-08-31, 2024_11_25")
        yield lb


def test_live_snapshot_end_to_end_then_replay(home, live, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_test-token-never-written-anywhere-0123")
    live.add_fault("503", path_prefix="/table_2024_08_31.csv", times=1)
    key = window_key(latest_closed_window())
    result = _run_livebench(key)
    assert result.success, [e.event_specific_data.error.message for e in result.all_events if e.is_step_failure]

    assert [r.path for r in live.requests] == [
        "/table_2024_08_31.csv",
        "/table_2024_08_31.csv",
        "/categories_2024_08_31.json",
        "/table_2024_11_25.csv",
        "/categories_2024_11_25.json",
    ]
    assert all("authorization" not in r.headers for r in live.requests)
    folder = home / "landing" / "livebench" / key
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["origin"] == "live" and manifest["releases"] == ["2024-08-31", "2024-11-25"]
    assert [f["file"] for f in manifest["files"]] == [
        "table_2024_08_31.csv.gz",
        "categories_2024_08_31.json.gz",
        "table_2024_11_25.csv.gz",
    ]
    assert [(a["file"], a["http_status"]) for a in manifest["absent"]] == [("categories_2024_11_25.json", 404)]
    assert gzip.decompress((folder / "table_2024_08_31.csv.gz").read_bytes()) == live.files["table_2024_08_31.csv"]

    assert query(home, "SELECT count(*), min(origin), max(origin) FROM raw.livebench_scores") == [(6, "live", "live")]
    assert query(
        home, "SELECT DISTINCT categories_file FROM raw.livebench_scores WHERE release_date = '2024-11-25'"
    ) == [("categories_2024_08_31.json",)]
    averages = query(
        home, "SELECT release_date::VARCHAR, model, global_average FROM staging.livebench_averages ORDER BY 1, 2"
    )
    assert averages == [
        ("2024-08-31", "meta-llama-3.1-70b-instruct-turbo", None),  # Reasoning has no numeric cell
        ("2024-08-31", "qwen2.5-72b-instruct", 50.0),
        ("2024-11-25", "qwen2.5-72b-instruct", 60.0),
    ]
    status, message = query(home, "SELECT status, message FROM meta.snapshot_log WHERE source = 'livebench'")[0]
    assert status == "observed" and "classified with categories_2024_08_31.json" in message

    first = query(home, "SELECT * FROM raw.livebench_scores ORDER BY release_date, model, task")
    sent = len(live.requests)
    assert _run_livebench(key).success
    assert len(live.requests) == sent  # the landed window is replayed, not fetched again
    assert query(home, "SELECT * FROM raw.livebench_scores ORDER BY release_date, model, task") == first


def test_live_fetch_failure_lands_nothing(home, live, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_HUB_MAX_ATTEMPTS", "2")
    live.add_fault("503", path_prefix="/categories_2024_08_31.json", times=5)
    key = window_key(latest_closed_window())
    result = _run_livebench(key)
    assert not result.success
    failures = "\n".join(e.event_specific_data.error.message for e in result.all_events if e.is_step_failure)
    assert f"livebench window {key}: live fetch failed" in failures and "categories_2024_08_31.json" in failures
    landed = home / "landing" / "livebench"
    assert not landed.exists() or list(landed.iterdir()) == []
    assert query(home, "SELECT status, message FROM meta.snapshot_log") == [
        ("missing", f"HttpRequestError: GET {live.url}/categories_2024_08_31.json failed after 2 attempt(s): HTTP 503")
    ]


# ----------------------------------------------------------------------------------- settings and sample


def test_livebench_settings(monkeypatch):
    monkeypatch.delenv("LIVEBENCH_RELEASES", raising=False)
    monkeypatch.delenv("LIVEBENCH_BASE_URL", raising=False)
    s = Settings.from_env()
    assert s.livebench_releases == DEFAULT_LIVEBENCH_RELEASES and len(s.livebench_releases) == 10
    assert s.livebench_base_url == "https://livebench.ai"
    monkeypatch.setenv("LIVEBENCH_RELEASES", "2026_01_08, 2024-06-24,,2024-06-24")
    assert Settings.from_env().livebench_releases == ("2024-06-24", "2026-01-08")
    monkeypatch.setenv("LIVEBENCH_RELEASES", "2024-06-24,june")
    with pytest.raises(ValueError, match="LIVEBENCH_RELEASES: 'june' is not a date"):
        Settings.from_env()


def test_synthetic_sample_is_deterministic_labelled_and_tells_its_story(home, tmp_path):
    summary = build_livebench_sample(home / "landing")
    assert len(summary.window_keys) == 28 and summary.windows_written == 28
    assert summary.releases == ["2026-07-28", "2026-09-10", "2026-10-12"]
    other = tmp_path / "again"
    build_livebench_sample(other, first_window="2026-10-20-03:00", n_windows=4)  # another range: same content
    key = "2026-10-20-03:00"
    for name in ("manifest.json", "table_2026_10_12.csv.gz"):
        assert (other / "livebench" / key / name).read_bytes() == (
            home / "landing" / "livebench" / key / name
        ).read_bytes()
    again = build_livebench_sample(home / "landing")
    assert again.windows_written == 0 and again.windows_skipped == 28
    manifest = json.loads((home / "landing" / "livebench" / key / "manifest.json").read_text())
    assert manifest["origin"] == SAMPLE_ORIGIN and manifest["synthetic"] is True and manifest["note"] == SAMPLE_NOTE

    report = _load(home, *summary.window_keys)
    assert report.loaded == summary.window_keys and not report.quarantined
    assert query(home, "SELECT DISTINCT origin FROM raw.livebench_scores") == [(SAMPLE_ORIGIN,)]
    assert query(
        home, "SELECT DISTINCT categories_file FROM staging.livebench_averages WHERE release_date = '2026-10-12'"
    ) == [("categories_2026_09_10.json",)]
    assert query(home, "SELECT count(*), count(global_average) FROM staging.livebench_averages") == [
        (11 + 27 + 31, 11 + 27 + 31)
    ]
    history = query(
        home,
        """SELECT model, strftime(fetched_window, '%Y-%m-%d-%H:%M'), change FROM staging.livebench_history
                             WHERE change = 'corrected' ORDER BY ALL""",
    )
    assert history == [
        ("gemma-3-27b-it", "2026-10-21-03:00", "corrected"),
        ("qwen2.5-72b-instruct", "2026-10-20-03:00", "corrected"),
    ]
    first_seen = dict(
        query(
            home,
            "SELECT DISTINCT model, strftime(first_seen_window, '%m-%d') FROM staging.livebench_history "
            "WHERE release_date = '2026-10-12' AND model IN ('kimi-k2-instruct', 'qwen3-next-80b-a3b-thinking')",
        )
    )
    assert first_seen == {"kimi-k2-instruct": "10-16", "qwen3-next-80b-a3b-thinking": "10-26"}
