"""staging.download_anomalies (robust per-model outliers) and marts.family_downloads_adjusted, checked
against numbers computed by hand on a two-model fixture where a CI loop hammers one Qwen repo."""

import pytest

from hubsignal.sql_models import discover_models, materialize
from hubsignal.warehouse import open_warehouse
from tests.conftest import query
from tests.quality_fixtures import build, hub_row, w

CYCLE = {1: 360, 2: 400, 0: 440}  # Qwen/Qwen3-8B gains per window: k % 3 -> gain (median 400, MAD 40)
HAMMER = 50_000  # extra downloads in window 10 (a CI pipeline)
N = 12


def _qwen_all_time(k: int) -> int:
    return 10_000 + sum(CYCLE[i % 3] for i in range(1, k + 1)) + (HAMMER if k >= 10 else 0)


def _rows():
    rows = []
    for k in range(N):
        rows.append(
            hub_row(
                k,
                "Qwen/Qwen3-8B",
                downloads_all_time=_qwen_all_time(k),
                downloads_30d=4_000 + (HAMMER if k >= 10 else 0),
            )
        )  # the gauge carries the jump for 30 days
        rows.append(hub_row(k, "meta-llama/Llama-3.1-8B", downloads_all_time=30_000 + 1_000 * k, downloads_30d=10_000))
    return rows


def _materialize(path, *ranges):
    models = {m.table: m for m in discover_models()}
    with open_warehouse(path) as con:
        for start, end in ranges:
            for table in (
                "staging.hub_models",
                "marts.family_downloads",
                "staging.download_anomalies",
                "marts.family_downloads_adjusted",
            ):
                materialize(con, models[table], start, end)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = tmp_path_factory.mktemp("anomalies")
    _materialize(build(home, n_windows=N, rows=_rows()), (w(0), w(N)))
    return home


@pytest.fixture
def home(built):
    return built  # read-only tests share one warehouse (building it costs seconds)


@pytest.fixture
def warehouse(built):
    return built / "warehouse.duckdb"


def test_the_hammered_window_is_flagged_by_hand(home, warehouse):
    flagged = query(
        home,
        "SELECT window_start, model_id, downloads_gained, baseline_median, baseline_mad, n_history, "
        "excess_downloads FROM staging.download_anomalies WHERE is_anomaly",
    )
    # window 10: gain 360 + 50,000; previous 9 gains 360/400/440 x3 -> median 400, MAD 40; excess 50,360 - 400
    assert flagged == [(w(10), "Qwen/Qwen3-8B", 50_360, 400.0, 40.0, 9, 49_960)]
    # one row per model and window with a previous window (window 0 has none)
    assert query(home, "SELECT count(*) FROM staging.download_anomalies") == [(2 * (N - 1),)]
    # the window after the jump is back to normal: median of the last 10 gains is still 400
    assert query(
        home,
        "SELECT is_anomaly, baseline_median FROM staging.download_anomalies "
        f"WHERE model_id = 'Qwen/Qwen3-8B' AND window_start = '{w(11)}'",
    ) == [(False, 400.0)]


def test_too_little_history_is_never_flagged(home, warehouse):
    # windows 1..8 have fewer than 8 previous gains
    assert query(
        home,
        f"SELECT bool_or(is_anomaly), max(n_history) FROM staging.download_anomalies WHERE window_start <= '{w(8)}'",
    ) == [(False, 7)]


def test_the_adjusted_mart_by_hand(home, warehouse):
    raw = query(
        home,
        "SELECT family, downloads_30d, rank_30d FROM marts.family_downloads "
        f"WHERE window_start = '{w(10)}' ORDER BY family",
    )
    assert raw == [("Llama", 10_000, 2), ("Qwen", 54_000, 1)]  # the CI loop crowns Qwen
    adjusted = query(
        home,
        "SELECT family, downloads_30d_adjusted, excluded_30d, n_anomalies_30d, "
        "downloads_all_time_adjusted, rank_30d_adjusted, round(share_30d_adjusted, 6) "
        f"FROM marts.family_downloads_adjusted WHERE window_start = '{w(10)}' ORDER BY family",
    )
    # Qwen all-time at window 10: 10,000 + 3 x (360 + 400 + 440) + 50,360 = 63,960; minus 49,960 = 14,000
    assert adjusted == [
        ("Llama", 10_000, 0, 0, 40_000, 1, round(10_000 / 14_040, 6)),
        ("Qwen", 4_040, 49_960, 1, 14_000, 2, round(4_040 / 14_040, 6)),
    ]
    later = query(
        home,
        "SELECT downloads_30d_adjusted, excluded_30d, downloads_all_time_adjusted "
        f"FROM marts.family_downloads_adjusted WHERE family = 'Qwen' AND window_start = '{w(11)}'",
    )
    assert later == [(4_040, 49_960, 64_360 - 49_960)]  # still inside the 30-day gauge
    before = query(
        home,
        "SELECT downloads_30d, downloads_30d_adjusted FROM marts.family_downloads_adjusted "
        f"WHERE family = 'Qwen' AND window_start = '{w(9)}'",
    )
    assert before == [(4_000, 4_000)]


def test_one_window_alone_gives_the_same_rows_as_the_range(home, warehouse):
    sql = (
        "SELECT * FROM staging.download_anomalies ORDER BY window_start, model_id",
        "SELECT * FROM marts.family_downloads_adjusted ORDER BY window_start, family",
    )
    whole = [query(home, s) for s in sql]
    # rebuild the last windows one by one: the bounded lookback reads the history each needs
    _materialize(warehouse, *((w(k), w(k + 1)) for k in (8, 9, 10, 11)))
    assert [query(home, s) for s in sql] == whole
