"""Adoption marts (family_downloads, family_derivatives, family_overtakes, family_concentration,
headline_kpis) on a tiny hand-written history, built by the real Dagster job offline.

The fixture lands six 6-hour windows W0..W5 of hub_models + hub_children_counts (origin "live"), except W3,
which is never landed (a missing window). Every expected number below is computed by hand from the tables
in this file:

    all-time downloads (30-day in brackets)
              W0        W1        W2        W4 (prev W2, 12 h)   W5
    Qwen-B    100 [40]  150 [40]  200 [40]  210 [40]             220 [40]
    Qwen-I    200 [60]  260 [60]  300 [60]  310 [60]             320 [60]
    Qwen-AWQ   -         -         -         20 [20] new         40 [20]
    Llama-B   250 [30]  270 [30]  290 [30]  330 [30]             335 [30]
    Llama-I   150 [20]  160 [20]  170 [20]  250 [20]             255 [20]
    Mistral   50 [8]    60 [8]    70 [8]    80 [8]               90 [8]
    Distill   30 [2]    35 [2]    40 [2]     - (disappeared)      -
    Mistral3   -         -         -         25 [1] (old repo)   26 [1]
    Gemma     no all-time counter, 30-day 5 throughout

Qwen passes Llama on cumulative downloads in W2 (410 <= 430, then 500 > 460); Llama passes back in W4
(460 <= 500, then 580 > 540): a reversal, over the 12-hour gap left by the missing W3. Qwen passes Llama on
derivatives in W5 (27 <= 28, then 29 > 28).
"""

import hashlib
import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hubsignal import landing as lz
from hubsignal.families import load_families
from hubsignal.settings import DEFAULT_FAMILIES_FILE

ADOPTION_MARTS = ("family_downloads", "family_derivatives", "family_overtakes", "family_concentration", "headline_kpis")
KEYS = [
    "2026-10-01-03:00",
    "2026-10-01-09:00",
    "2026-10-01-15:00",
    "2026-10-01-21:00",
    "2026-10-02-03:00",
    "2026-10-02-09:00",
]
W = [datetime.strptime(k, "%Y-%m-%d-%H:%M") for k in KEYS]  # naive UTC, as the warehouse returns them
MISSING = 3  # W3 is never landed

QB, QI, QAWQ = "Qwen/Qwen3-8B-Base", "Qwen/Qwen3-8B", "Qwen/Qwen3-8B-AWQ"
LB, LI = "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"
M1, MD, M3 = "mistralai/Mistral-7B-v0.1", "mistralai/Ministral-Qwen-Distill", "mistralai/Mistral-7B-v0.3"
G1 = "google/gemma-3-1b-it"

# model -> (createdAt, declared parents as (relation, parent))
META = {
    QB: ("2025-04-28T05:51:46.000Z", []),
    QI: ("2025-04-27T03:42:17.000Z", [("finetune", QB)]),  # intra-family: not a derivative of QB
    QAWQ: ("2026-10-01T22:30:00.000Z", [("quantized", QI)]),  # created after W2 closed: new in W4; intra
    LB: ("2024-07-14T22:20:15.000Z", []),
    LI: ("2024-07-18T08:56:00.000Z", [("finetune", LB)]),  # intra-family, against LB's bare-int 'any' count
    M1: ("2023-09-20T13:03:50.000Z", []),
    MD: ("2025-02-01T00:00:00.000Z", [("finetune", QI)]),  # Mistral's child of a Qwen model: a derivative
    M3: ("2024-05-22T10:00:00.000Z", []),  # listed from W4 on, but old: not "new", left out of gains
    G1: ("2025-03-10T17:17:07.000Z", []),
}
# window index -> model -> (all-time or None, 30-day)
DOWNLOADS = {
    0: {QB: (100, 40), QI: (200, 60), LB: (250, 30), LI: (150, 20), M1: (50, 8), MD: (30, 2), G1: (None, 5)},
    1: {QB: (150, 40), QI: (260, 60), LB: (270, 30), LI: (160, 20), M1: (60, 8), MD: (35, 2), G1: (None, 5)},
    2: {QB: (200, 40), QI: (300, 60), LB: (290, 30), LI: (170, 20), M1: (70, 8), MD: (40, 2), G1: (None, 5)},
    4: {
        QB: (210, 40),
        QI: (310, 60),
        QAWQ: (20, 20),
        LB: (330, 30),
        LI: (250, 20),
        M1: (80, 8),
        M3: (25, 1),
        G1: (None, 5),
    },
    5: {
        QB: (220, 40),
        QI: (320, 60),
        QAWQ: (40, 20),
        LB: (335, 30),
        LI: (255, 20),
        M1: (90, 8),
        M3: (26, 1),
        G1: (None, 5),
    },
}
_QI_KIDS = {"finetune": 2, "adapter": 1, "quantized": 4, "merge": 0}  # finetune 2 includes Mistral's MD


def _qb_kids(finetune: int) -> dict[str, int]:
    return {"finetune": finetune, "adapter": 5, "quantized": 3, "merge": 0}


_LI_M1_KIDS = {LI: {"finetune": 6, "quantized": 2}, M1: {"finetune": 9}}  # the same in every window
# window index -> model -> childrenModelCount as served (an int is the bare-total shape)
CHILDREN = {
    0: {QB: _qb_kids(10), QI: _QI_KIDS, LB: 20, **_LI_M1_KIDS, MD: {"adapter": 1}},
    1: {QB: _qb_kids(12), QI: _QI_KIDS, LB: 20, **_LI_M1_KIDS, MD: {"adapter": 1}},
    2: {QB: _qb_kids(12), QI: _QI_KIDS, LB: 20, **_LI_M1_KIDS, MD: {"adapter": 1}},
    4: {QB: _qb_kids(13), QI: _QI_KIDS, QAWQ: {"finetune": 1}, LB: 21, **_LI_M1_KIDS},
    5: {QB: _qb_kids(13), QI: _QI_KIDS, QAWQ: {"finetune": 3}, LB: 21, **_LI_M1_KIDS},
}


def _item(model_id: str, all_time: int | None, d30: int) -> dict:
    created, parents = META[model_id]
    tags = ["transformers", "text-generation"]
    for relation, parent in parents:
        tags += [f"base_model:{parent}", f"base_model:{relation}:{parent}"]
    item = {
        "_id": hashlib.sha256(model_id.encode()).hexdigest()[:24],
        "id": model_id,
        "likes": 1,
        "downloads": d30,
        "gated": False,
        "lastModified": created,
        "tags": tags,
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "createdAt": created,
    }
    if all_time is not None:
        item["downloadsAllTime"] = all_time
    return item


def land_fixture(landing: Path, windows=(0, 1, 2, 4, 5), corrupt_listing=()) -> None:
    """Land W0..W5 except W3, as the live fetch would (one listing page per org, one model_info per line).
    Windows in `corrupt_listing` get a truncated Qwen listing page (their load quarantines them)."""
    orgs = load_families(DEFAULT_FAMILIES_FILE).orgs
    for i in windows:
        key = KEYS[i]
        fetched = datetime.strptime(key, "%Y-%m-%d-%H:%M").replace(tzinfo=UTC) + timedelta(hours=6, minutes=5)
        pages = []
        for org in orgs:
            items = [_item(m, *v) for m, v in DOWNLOADS[i].items() if m.split("/")[0] == org]
            body = json.dumps(items).encode()
            if i in corrupt_listing and org == "Qwen":
                body = body[: len(body) // 2]
            pages.append(
                lz.RawFile(
                    f"{org}.p0001.json",
                    body,
                    len(items),
                    f"https://huggingface.co/api/models?author={org}",
                    200,
                    fetched,
                )
            )
        lz.land_window(landing, "hub_models", key, pages, origin="live", fetched_at=fetched)
        lines = [
            json.dumps(
                {
                    "model_id": m,
                    "url": f"https://huggingface.co/api/models/{m}?expand=childrenModelCount",
                    "http_status": 200,
                    "fetched_at": fetched.isoformat(),
                    "body": json.dumps({"_id": "0" * 24, "id": m, "childrenModelCount": kids}),
                }
            )
            for m, kids in CHILDREN[i].items()
        ]
        lz.land_window(
            landing,
            "hub_children_counts",
            key,
            [lz.RawFile("children.jsonl", ("\n".join(lines) + "\n").encode(), len(lines))],
            origin="live",
            fetched_at=fetched,
        )


def _run(runs: list[tuple[str, str | None]]) -> None:
    from pipelines.cli import run_windows

    for first, last in runs:
        result = run_windows(first, last, quiet=True)
        assert result.success, "\n".join(
            e.event_specific_data.error.message for e in result.all_events if e.is_step_failure
        )


def _env(mp: pytest.MonkeyPatch, home: Path) -> None:
    """The hermetic settings of tests/conftest.py's `home`, for a module-scoped warehouse; offline."""
    mp.setenv("HUBSIGNAL_HOME", str(home))
    for name in ("HUBSIGNAL_WAREHOUSE", "HF_TOKEN", "HUBSIGNAL_FAMILIES", "DAGSTER_HOME"):
        mp.delenv(name, raising=False)
    mp.setenv("HUBSIGNAL_OFFLINE", "1")
    mp.setenv("HUBSIGNAL_GX", "0")  # tier-3 suites are not what these tests are about; they cost seconds a run
    mp.setenv("HF_HOME", str(home.parent / "hf_home"))
    mp.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    mp.setenv("HF_ENDPOINT", "http://127.0.0.1:9")


@pytest.fixture(scope="module")
def range_home(tmp_path_factory) -> Path:
    """W0..W5 backfilled in ONE run."""
    home = tmp_path_factory.mktemp("adoption_range") / "home"
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, home)
        land_fixture(home / "landing")
        _run([(KEYS[0], KEYS[-1])])
    return home


def q(home: Path, sql: str, params=None) -> list[tuple]:
    from tests.conftest import query

    return query(home, sql, params)


# ------------------------------------------------------------------------------------------ family_downloads


def test_family_downloads_gains_over_the_real_interval(range_home):
    rows = q(
        range_home,
        """
        SELECT window_start, family, downloads_all_time, downloads_30d, n_models, prev_window_start,
               hours_since_prev, downloads_all_time_prev, downloads_30d_prev, downloads_gained,
               n_models_in_delta, n_models_appeared, n_models_disappeared
        FROM marts.family_downloads ORDER BY window_start, family""",
    )
    got = {(r[0], r[1]): r[2:] for r in rows}
    N = None
    expected = {
        # W0: first observation, nothing to compare
        (W[0], "Gemma"): (N, 5, 1, N, N, N, N, N, N, N, N),
        (W[0], "Llama"): (400, 50, 2, N, N, N, N, N, N, N, N),
        (W[0], "Mistral"): (80, 10, 2, N, N, N, N, N, N, N, N),
        (W[0], "Qwen"): (300, 100, 2, N, N, N, N, N, N, N, N),
        # W1: Qwen 50 + 60, Llama 20 + 10, Mistral 10 + 5
        (W[1], "Gemma"): (N, 5, 1, W[0], 6, N, 5, N, 0, 0, 0),
        (W[1], "Llama"): (430, 50, 2, W[0], 6, 400, 50, 30, 2, 0, 0),
        (W[1], "Mistral"): (95, 10, 2, W[0], 6, 80, 10, 15, 2, 0, 0),
        (W[1], "Qwen"): (410, 100, 2, W[0], 6, 300, 100, 110, 2, 0, 0),
        (W[2], "Gemma"): (N, 5, 1, W[1], 6, N, 5, N, 0, 0, 0),
        (W[2], "Llama"): (460, 50, 2, W[1], 6, 430, 50, 30, 2, 0, 0),
        (W[2], "Mistral"): (110, 10, 2, W[1], 6, 95, 10, 15, 2, 0, 0),
        (W[2], "Qwen"): (500, 100, 2, W[1], 6, 410, 100, 90, 2, 0, 0),
        # W4 after the missing W3: deltas span 12 h from W2. Qwen 10 + 10 + the new AWQ's whole 20;
        # Llama 40 + 80; Mistral: only M1's 10 (the distill is gone, Mistral-7B-v0.3 is old, not new).
        (W[4], "Gemma"): (N, 5, 1, W[2], 12, N, 5, N, 0, 0, 0),
        (W[4], "Llama"): (580, 50, 2, W[2], 12, 460, 50, 120, 2, 0, 0),
        (W[4], "Mistral"): (105, 9, 2, W[2], 12, 110, 10, 10, 1, 1, 1),
        (W[4], "Qwen"): (540, 120, 3, W[2], 12, 500, 100, 40, 3, 1, 0),
        (W[5], "Gemma"): (N, 5, 1, W[4], 6, N, 5, N, 0, 0, 0),
        (W[5], "Llama"): (590, 50, 2, W[4], 6, 580, 50, 10, 2, 0, 0),
        (W[5], "Mistral"): (116, 9, 2, W[4], 6, 105, 9, 11, 2, 0, 0),
        (W[5], "Qwen"): (580, 120, 3, W[4], 6, 540, 120, 40, 3, 0, 0),
    }
    assert got == expected


def test_missing_window_is_no_row_and_the_next_delta_says_12_hours(range_home):
    assert q(
        range_home,
        "SELECT status FROM meta.snapshot_log WHERE source = 'hub_models' AND window_key = ?",
        [KEYS[MISSING]],
    ) == [("missing",)]
    for mart in ADOPTION_MARTS:
        assert q(range_home, f"SELECT count(*) FROM marts.{mart} WHERE window_start = ?", [W[MISSING]]) == [(0,)], mart
    # per day over the real 12 hours, not 6: Qwen gained 40 -> 80 a day; in W5 (6 h) 40 -> 160 a day
    per_day = dict(
        q(
            range_home,
            "SELECT window_start, downloads_gained_per_day FROM marts.family_downloads "
            "WHERE family = 'Qwen' AND window_start >= ?",
            [W[4]],
        )
    )
    assert per_day == {W[4]: 80.0, W[5]: 160.0}
    assert q(
        range_home, "SELECT DISTINCT hours_since_prev FROM marts.family_derivatives WHERE window_start = ?", [W[4]]
    ) == [(12,)]


def test_shares_of_a_window_sum_to_one_and_ranks(range_home):
    sums = q(range_home, "SELECT window_start, sum(share_30d) FROM marts.family_downloads GROUP BY 1 ORDER BY 1")
    assert [w for w, _ in sums] == [W[i] for i in (0, 1, 2, 4, 5)]
    assert all(s == pytest.approx(1.0, abs=1e-12) for _, s in sums)
    assert q(
        range_home,
        "SELECT family, share_30d, rank_30d, rank_all_time FROM marts.family_downloads "
        "WHERE window_start = ? ORDER BY rank_30d",
        [W[4]],
    ) == [("Qwen", 120 / 184, 1, 2), ("Llama", 50 / 184, 2, 1), ("Mistral", 9 / 184, 3, 3), ("Gemma", 5 / 184, 4, None)]


# ------------------------------------------------------------------------------------------ family_overtakes


def test_overtake_then_reversal_are_two_events(range_home):
    rows = q(
        range_home,
        """
        SELECT window_start, metric, family, overtaken_family, prev_window_start, hours_since_prev,
               family_before, overtaken_before, family_after, overtaken_after
        FROM marts.family_overtakes ORDER BY window_start, metric""",
    )
    assert rows == [
        (W[2], "downloads_all_time", "Qwen", "Llama", W[1], 6, 410, 430, 500, 460),
        (W[4], "downloads_all_time", "Llama", "Qwen", W[2], 12, 460, 500, 580, 540),  # the reversal
        (W[5], "derivatives", "Qwen", "Llama", W[4], 6, 27, 28, 29, 28),
    ]


# --------------------------------------------------------------------------------------- family_derivatives


def test_derivatives_remove_intra_family_children_and_count_growth(range_home):
    rows = q(
        range_home,
        """
        SELECT window_start, family, relation, n_derivatives, n_children, n_intra_family, n_parents,
               n_derivatives_prev, derivatives_growth
        FROM marts.family_derivatives ORDER BY ALL""",
    )
    got = {(r[0], r[1], r[2]): r[3:] for r in rows}
    N = None
    # W0. Qwen finetune: QB's 10 children include Qwen3-8B (first-party, declares QB): 9 + QI's 2 (one of
    # them Mistral's distill, another family: kept) = 11. Llama: LB's bare total 20 ('any') minus the
    # Instruct model = 19.
    assert {k[2]: v for k, v in got.items() if k[:2] == (W[0], "Qwen")} == {
        "adapter": (6, 6, 0, 2, N, N),
        "finetune": (11, 12, 1, 2, N, N),
        "merge": (0, 0, 0, 2, N, N),
        "quantized": (7, 7, 0, 2, N, N),
    }
    assert {k[2]: v for k, v in got.items() if k[:2] == (W[0], "Llama")} == {
        "any": (19, 20, 1, 1, N, N),
        "finetune": (6, 6, 0, 1, N, N),
        "quantized": (2, 2, 0, 1, N, N),
    }
    assert {k[2]: v for k, v in got.items() if k[:2] == (W[1], "Qwen")}["finetune"] == (13, 14, 1, 2, 11, 2)
    # W4 (prev W2, 12 h). finetune: QB +1, the new AWQ's 1 = growth 2. quantized: AWQ is a first-party
    # quantization of QI, so QI's 4 quantized children now hold 1 intra-family one: 3 + 3 = 6, growth -1.
    assert {k[2]: v for k, v in got.items() if k[:2] == (W[4], "Qwen")} == {
        "adapter": (6, 6, 0, 2, 6, 0),
        "finetune": (15, 16, 1, 3, 13, 2),
        "merge": (0, 0, 0, 2, 0, 0),
        "quantized": (6, 7, 1, 2, 7, -1),
    }
    assert {k[2]: v for k, v in got.items() if k[:2] == (W[4], "Llama")} == {
        "any": (20, 21, 1, 1, 19, 1),
        "finetune": (6, 6, 0, 1, 6, 0),
        "quantized": (2, 2, 0, 1, 2, 0),
    }
    # Mistral's distill (the only adapter parent) disappeared: its relation row stays at 0 with no growth.
    assert {k[2]: v for k, v in got.items() if k[:2] == (W[4], "Mistral")} == {
        "adapter": (0, 0, 0, 0, 1, 0),
        "finetune": (9, 9, 0, 1, 9, 0),
    }
    assert {k[2]: v for k, v in got.items() if k[:2] == (W[5], "Qwen")}["finetune"] == (17, 18, 1, 3, 15, 2)
    totals = dict(
        q(
            range_home,
            "SELECT family, sum(n_derivatives) FROM marts.family_derivatives WHERE window_start = ? GROUP BY 1",
            [W[5]],
        )
    )
    assert totals == {"Qwen": 29, "Llama": 28, "Mistral": 9}


# ------------------------------------------------------------------------------ concentration and headline


def test_concentration(range_home):
    rows = q(
        range_home,
        """
        SELECT window_start, leader_family, leader_downloads_30d, leader_share_30d, next_eight_downloads_30d,
               n_next_families, leader_to_next_eight, leader_exceeds_next_eight, tracked_downloads_30d,
               n_families, hhi_30d
        FROM marts.family_concentration ORDER BY window_start""",
    )
    assert [r[0] for r in rows] == [W[i] for i in (0, 1, 2, 4, 5)]
    w0, w4 = rows[0], rows[3]
    assert w0[1:10] == ("Qwen", 100, pytest.approx(100 / 165), 65, 3, pytest.approx(100 / 65), True, 165, 4)
    assert w0[10] == pytest.approx(10_000 * (100**2 + 50**2 + 10**2 + 5**2) / 165**2)  # 4637.28
    assert w4[1:10] == ("Qwen", 120, pytest.approx(120 / 184), 64, 3, pytest.approx(120 / 64), True, 184, 4)
    assert w4[10] == pytest.approx(10_000 * (120**2 + 50**2 + 9**2 + 5**2) / 184**2)


def test_headline_kpis(range_home):
    rows = q(
        range_home,
        """
        SELECT window_start, leader_family, leader_downloads_all_time, leader_derivatives,
               tracked_downloads_all_time, tracked_derivatives, top_family_30d, n_overtakes,
               contamination_disclosure_rate, mean_gap_pp
        FROM marts.headline_kpis ORDER BY window_start""",
    )
    assert rows == [
        (W[0], "Llama", 400, 27, 780, 61, "Qwen", 0, None, None),
        (W[1], "Llama", 430, 27, 935, 63, "Qwen", 0, None, None),
        (W[2], "Qwen", 500, 26, 1070, 63, "Qwen", 1, None, None),
        (W[4], "Llama", 580, 28, 1225, 64, "Qwen", 1, None, None),
        (W[5], "Llama", 590, 28, 1286, 66, "Qwen", 1, None, None),
    ]
    share = q(range_home, "SELECT top_family_share_30d FROM marts.headline_kpis WHERE window_start = ?", [W[4]])
    assert share == [(pytest.approx(120 / 184),)]


# ------------------------------------------------------------------------- incremental: range == singles


def _snapshot_marts(home: Path) -> dict[str, list[tuple]]:
    return {m: q(home, f"SELECT * FROM marts.{m} ORDER BY ALL") for m in ADOPTION_MARTS}


@contextmanager
def _benchmark_marts_stubbed(con):
    """headline_kpis also reads the disclosure and gap marts (other issues' sources): empty stand-ins while
    the adoption marts are built alone outside Dagster, dropped afterwards (a real run builds the real ones)."""
    created = []
    existing = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' "
            "UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'marts'"
        ).fetchall()
    }
    for name, columns in (
        ("disclosure_rate", "window_start TIMESTAMP, scope VARCHAR, disclosure_rate DOUBLE"),
        ("benchmark_gap", "release_date DATE, gap_pp DOUBLE"),
    ):
        if name not in existing:
            con.execute(f"CREATE TABLE marts.{name} ({columns})")
            created.append(name)
    try:
        yield
    finally:
        for name in created:
            con.execute(f"DROP TABLE marts.{name}")


def _one_window_as_its_run_would(home: Path, key: str) -> None:
    """What a one-window run does for the adoption marts, without Dagster's per-run overhead: the snapshot
    loads of both Hub sources, staging.families, then the factory's materialize() for the staging view and
    each mart in dependency order -- the very calls those assets make for a one-window partition."""
    from hubsignal.sources import HUB_CHILDREN, HUB_MODELS
    from hubsignal.sql_models import MODELS_DIR, load_model, materialize
    from hubsignal.warehouse import open_warehouse, transaction
    from hubsignal.windows import WINDOW, parse_window_key
    from tests.snapshot_runs import run_loader

    start, warehouse = parse_window_key(key), home / "warehouse.duckdb"
    for source in (HUB_MODELS, HUB_CHILDREN):
        run_loader(source, [start], home)
    with open_warehouse(warehouse) as con:
        with transaction(con):
            con.register("families_batch", load_families(DEFAULT_FAMILIES_FILE).to_frame().to_arrow())
            con.execute("CREATE OR REPLACE TABLE staging.families AS SELECT * FROM families_batch")
            con.unregister("families_batch")
        with _benchmark_marts_stubbed(con):
            graph = [
                ("staging", "hub_graph_edges"),
                ("staging", "family_derivative_reach"),
                ("marts", "family_derivative_tree"),
            ]
            for layer, name in [("staging", "hub_models"), *graph, *(("marts", m) for m in ADOPTION_MARTS)]:
                materialize(con, load_model(MODELS_DIR / layer / f"{name}.sql"), start, start + WINDOW)


def test_range_run_equals_single_window_runs_and_reruns_are_stable(range_home, tmp_path, monkeypatch):
    home = tmp_path / "singles"
    _env(monkeypatch, home)
    land_fixture(home / "landing")
    # one window at a time, in order, each seeing only the raw data loaded so far (W3: recorded missing) ...
    for key in KEYS[:-1]:
        _one_window_as_its_run_would(home, key)
    # ... and the last one as a real one-window Dagster run
    _run([(KEYS[-1], None)])
    singles = _snapshot_marts(home)
    assert singles == _snapshot_marts(range_home)
    assert singles["family_overtakes"] and singles["family_derivatives"]
    # re-computing a range over built windows (as a range run's assets do) changes nothing: events are stable
    from hubsignal.sql_models import MODELS_DIR, load_model, materialize
    from hubsignal.warehouse import open_warehouse
    from hubsignal.windows import WINDOW, parse_window_key

    with open_warehouse(home / "warehouse.duckdb") as con:
        with _benchmark_marts_stubbed(con):
            for name in ADOPTION_MARTS:
                materialize(
                    con,
                    load_model(MODELS_DIR / "marts" / f"{name}.sql"),
                    parse_window_key(KEYS[1]),
                    parse_window_key(KEYS[-1]) + WINDOW,
                )
    assert _snapshot_marts(home) == singles


def test_quarantined_window_is_skipped_like_a_missing_one(tmp_path, monkeypatch):
    home = tmp_path / "quarantine"
    _env(monkeypatch, home)
    land_fixture(home / "landing", windows=(0, 1, 2), corrupt_listing=(1,))
    for key in KEYS[:3]:
        _one_window_as_its_run_would(home, key)
    status, message = q(
        home, "SELECT status, message FROM meta.snapshot_log WHERE source = 'hub_models' AND window_key = ?", [KEYS[1]]
    )[0]
    assert status == "quarantined" and "Qwen.p0001.json" in message
    for mart in ADOPTION_MARTS:  # its children counts were observed, but without a listing W1 is not used
        assert q(home, f"SELECT count(*) FROM marts.{mart} WHERE window_start = ?", [W[1]]) == [(0,)], mart
    # W2 compares with W0 over 12 h: Qwen (200 - 100) + (300 - 200)
    assert q(
        home,
        "SELECT prev_window_start, hours_since_prev, downloads_gained FROM marts.family_downloads "
        "WHERE family = 'Qwen' AND window_start = ?",
        [W[2]],
    ) == [(W[0], 12, 200)]
    assert q(
        home,
        "SELECT prev_window_start, n_derivatives_prev, derivatives_growth FROM marts.family_derivatives "
        "WHERE family = 'Qwen' AND relation = 'finetune' AND window_start = ?",
        [W[2]],
    ) == [(W[0], 11, 2)]
    assert q(
        home,
        "SELECT window_start, metric, family, overtaken_family, hours_since_prev, family_before, "
        "overtaken_before FROM marts.family_overtakes",
    ) == [(W[2], "downloads_all_time", "Qwen", "Llama", 12, 300, 400)]
