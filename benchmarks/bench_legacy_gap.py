"""Legacy scores, identity and the gap marts: land + load the real LLM-Stats and Open LLM Leaderboard exports
(~45,000 claims), load the real LiveBench tables, then time the identity / gap views; then add a year of
model-card snapshots (synthetic rows, 4 windows a day) to see how the views grow with history.
Prints one line per figure; ratios are measured in the same run. Needs ../shared/data (skips otherwise).

    .venv/bin/python benchmarks/bench_legacy_gap.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hubsignal import landing as lz  # noqa: E402
from hubsignal.families import load_families  # noqa: E402
from hubsignal.scores.files import TABLE, land_score_file, parse_score_window, score_file_sources  # noqa: E402
from hubsignal.seeds import load_seed, seed_files  # noqa: E402
from hubsignal.settings import DEFAULT_FAMILIES_FILE  # noqa: E402
from hubsignal.snapshots import Source  # noqa: E402
from hubsignal.sources import LIVEBENCH  # noqa: E402
from hubsignal.sql_models import discover_models, materialize  # noqa: E402
from hubsignal.warehouse import open_warehouse  # noqa: E402
from hubsignal.windows import WINDOW, parse_window_key  # noqa: E402
from tests.snapshot_runs import run_loader  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
UTC = UTC
CARD_WINDOWS = 4 * 365
CARDS, ROWS_PER_CARD = 85, 4  # top 5 of 17 families; a few model-index rows each


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    llm_stats = DATA / "legacy_benchmarks" / "llm_stats" / "llmstats_benchmark_scores.csv"
    oll = DATA / "legacy_benchmarks" / "open_llm_leaderboard" / "open_llm_leaderboard_v1_2024-07-07.csv"
    if not (llm_stats.is_file() and oll.is_file() and (DATA / "livebench").is_dir()):
        print(f"legacy gap: skipped ({DATA} not found)")
        return
    with tempfile.TemporaryDirectory(prefix="bench_legacy_") as tmp:
        landing, warehouse = Path(tmp) / "landing", Path(tmp) / "warehouse.duckdb"
        _, t_land = timed(
            lambda: [
                land_score_file(landing, llm_stats, observed_at=datetime(2025, 10, 24, 12, tzinfo=UTC)),
                land_score_file(landing, oll, observed_at=datetime(2024, 7, 7, 12, tzinfo=UTC)),
            ]
        )

        def load_files():
            rows = 0
            for name in score_file_sources(landing):
                src = Source(name, TABLE, "bench", parse_score_window, scope_column="landing_source")
                keys = [parse_window_key(k) for k in lz.landed_keys(landing, name)]
                rows += run_loader(src, keys, landing=landing, warehouse=warehouse).rows
            return rows

        n_claims, t_load = timed(load_files)
        key = "2026-01-20-03:00"
        lz.land_window(
            landing,
            "livebench",
            key,
            [lz.RawFile(p.name, p.read_bytes(), 1) for p in (DATA / "livebench").iterdir()],
            origin="imported",
            fetched_at=parse_window_key(key),
        )
        run_loader(LIVEBENCH, [key], landing=landing, warehouse=warehouse)

        models = {m.table: m for m in discover_models()}
        with open_warehouse(warehouse) as con:
            con.register("f", load_families(DEFAULT_FAMILIES_FILE).to_frame().to_arrow())
            con.execute("CREATE OR REPLACE TABLE staging.families AS SELECT * FROM f")
            for path in seed_files():
                load_seed(con, path)
            done: set[str] = set()

            def visit(table):
                if table in done or table not in models:
                    return
                for db, name in models[table].deps:
                    visit(f"{db}.{name}")
                materialize(con, models[table], parse_window_key(key), parse_window_key(key) + WINDOW)
                done.add(table)

            _, t_views = timed(lambda: [visit(t) for t in ("marts.family_gap", "staging.unmatched_models")])

            def count(view):
                return con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]

            n_ident, t_ident = timed(lambda: count("staging.model_identity"))
            n_gap, t_gap = timed(lambda: count("marts.benchmark_gap"))
            n_fam, t_fam = timed(lambda: count("marts.family_gap"))
            n_unm, t_unm = timed(lambda: count("staging.unmatched_models"))

            # A year of card snapshots: the same claims re-observed every window (what model_card_scores loads).
            start = datetime(2025, 1, 1, 3)
            con.execute(f"""
                INSERT INTO raw.legacy_scores (window_start, landing_source, source, source_model, hf_repo_id, benchmark,
                    score, self_reported, observed_at, origin)
                SELECT TIMESTAMP '{start}' + w * INTERVAL 6 HOUR, 'model_card_scores', 'hub_model_card',
                    'org' || (c % 17) || '/Model-' || c, 'org' || (c % 17) || '/Model-' || c,
                    CASE r WHEN 0 THEN 'mmlu' WHEN 1 THEN 'gsm8k' WHEN 2 THEN 'arc-c' ELSE 'hellaswag' END,
                    50 + (c * 7 + r) % 40, r % 2 = 0, TIMESTAMP '{start}' + w * INTERVAL 6 HOUR + INTERVAL 10 MINUTE, 'live'
                FROM range({CARD_WINDOWS}) t(w), range({CARDS}) u(c), range({ROWS_PER_CARD}) v(r)""")
            con.execute(f"""
                INSERT INTO meta.window_loads (source, window_start, window_key, status, loaded_at)
                SELECT 'model_card_scores', TIMESTAMP '{start}' + w * INTERVAL 6 HOUR,
                    strftime(TIMESTAMP '{start}' + w * INTERVAL 6 HOUR, '%Y-%m-%d-%H:%M'), 'observed', now()
                FROM range({CARD_WINDOWS}) t(w)""")
            n_raw = count("raw.legacy_scores")
            _, t_gap_year = timed(lambda: count("marts.benchmark_gap"))
            _, t_claims_year = timed(lambda: count("staging.legacy_scores"))

    print(f"legacy land 2 real score files (validated in full, {n_claims:,} claims): {t_land:.2f} s")
    print(f"legacy load them into raw.legacy_scores (parse + one transaction each): {t_load:.2f} s")
    print(f"legacy build the identity/gap views (CREATE VIEW, dependency order): {t_views:.2f} s")
    print(f"legacy staging.model_identity ({n_ident:,} names): {t_ident:.2f} s")
    print(f"legacy marts.benchmark_gap ({n_gap} rows): {t_gap:.2f} s ({t_gap / t_ident:.1f}x identity)")
    print(f"legacy marts.family_gap ({n_fam} rows): {t_fam:.2f} s")
    print(f"legacy staging.unmatched_models ({n_unm} rows, Jaro-Winkler candidates): {t_unm:.2f} s")
    print(
        f"legacy + a year of card snapshots ({CARD_WINDOWS} windows, raw.legacy_scores {n_raw:,} rows): "
        f"staging.legacy_scores {t_claims_year:.2f} s, marts.benchmark_gap {t_gap_year:.2f} s "
        f"({t_gap_year / t_gap:.1f}x without the history)"
    )


if __name__ == "__main__":
    main()
