"""Quality suite cost: every tier-2 SQL check (sql/checks) and every great_expectations suite of the tables
that exist, on ONE checked window, family-scale vs 2 million rows. Prints one line per figure; the ratio is
measured in this same run.

Data (SYNTHETIC):
- family-scale: the synthetic sample archive (demo/hub.py, ~100 models a window), 40 windows landed
  and loaded by the real snapshot loader; the checked window is the last one (its lookbacks are full).
- 2M rows: raw.hub_models windows of 2,000,000 models each (generated with DuckDB over every configured org),
  the checked window and the 8 windows before it (the stalled-counter lookback), all counters growing.
  marts.family_downloads is not built for them (its checks read ~20 rows a window whatever the raw size).
Only the checks and suites whose tables exist are run (the Hub's and the adoption mart's; LiveBench and
legacy tables exist but are empty). Setup (loading, building the SQL models) is not timed.
The great_expectations import (once per process) is timed on its own. Data Docs are written as in a run.

    .venv/bin/python benchmarks/bench_quality.py [--rows 2000000] [--history 8]
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SAMPLE_WINDOWS = 40


def say(line: str) -> None:
    print(f"quality: {line}", flush=True)


def _families(con):
    from hubsignal.families import load_families
    from hubsignal.settings import DEFAULT_FAMILIES_FILE

    families = load_families(DEFAULT_FAMILIES_FILE)
    con.register("families_batch", families.to_frame().to_arrow())
    con.execute("CREATE OR REPLACE TABLE staging.families AS SELECT * FROM families_batch")
    con.unregister("families_batch")
    return families


def _build_models(con, start, end, tables=("staging.hub_models", "marts.family_downloads")):
    from hubsignal.sql_models import discover_models, materialize

    models = {m.table: m for m in discover_models()}
    for table in tables:
        materialize(con, models[table], start, end)


def family_scale(home: Path):
    """Load SAMPLE_WINDOWS windows of the synthetic sample; returns the checked window (start, end, rows)."""
    from demo.hub import build_sample_archive
    from hubsignal.families import load_families
    from hubsignal.settings import DEFAULT_FAMILIES_FILE
    from hubsignal.sources import HUB_CHILDREN, HUB_MODELS
    from hubsignal.warehouse import open_warehouse
    from hubsignal.windows import WINDOW, parse_window_key
    from tests.snapshot_runs import run_loader

    keys = build_sample_archive(
        home / "landing", load_families(DEFAULT_FAMILIES_FILE), n_windows=SAMPLE_WINDOWS, broken_window=None
    ).window_keys
    starts = [parse_window_key(k) for k in keys]
    for source in (HUB_MODELS, HUB_CHILDREN):
        run_loader(source, starts, home)
    with open_warehouse(home / "warehouse.duckdb") as con:
        _families(con)
        _build_models(con, starts[0].replace(tzinfo=None), (starts[-1] + WINDOW).replace(tzinfo=None))
        rows = con.execute(
            "SELECT count(*) FROM raw.hub_models WHERE window_start = ?", [starts[-1].replace(tzinfo=None)]
        ).fetchone()[0]
    return starts[-1].replace(tzinfo=None), (starts[-1] + WINDOW).replace(tzinfo=None), rows


def big_windows(home: Path, n_rows: int, history: int):
    """history + 1 windows of n_rows models each; returns the last (checked) window (start, end, rows)."""
    from hubsignal.warehouse import LogRow, open_warehouse, transaction, write_log
    from hubsignal.windows import WINDOW, window_key

    first = datetime(2026, 10, 1, 3)
    with open_warehouse(home / "warehouse.duckdb") as con:
        families = _families(con)
        orgs = families.orgs
        for k in range(history + 1):
            start = first + k * WINDOW
            with transaction(con):
                # all-time grows every window (no decrease, no stall); 30-day <= all-time; unique model ids
                con.execute(
                    f"""
                    INSERT INTO raw.hub_models BY NAME
                    SELECT
                        TIMESTAMP '{start}' AS window_start,
                        TIMESTAMP '{start + WINDOW + timedelta(minutes=3)}' AS snapshot_ts,
                        list_element(?, (i % {len(orgs)})::INTEGER + 1) AS org,
                        org || '/model-' || i AS model_id,
                        org AS author,
                        (i % 997) * 30 AS downloads_30d,
                        1000000 + (i % 997) * 40 + {k} * ((i % 13) + 1) AS downloads_all_time,
                        i % 301 AS likes,
                        TIMESTAMP '2025-01-01' AS created_at,
                        TIMESTAMP '2025-02-01' AS last_modified,
                        'text-generation' AS pipeline_tag,
                        'transformers' AS library_name,
                        'false' AS gated,
                        ['transformers', 'text-generation'] AS tags,
                        [] AS base_models,
                        'synthetic_sample' AS origin
                    FROM range({n_rows}) AS r(i)
                """,
                    [orgs],
                )
                write_log(
                    con,
                    [
                        LogRow(
                            "hub_models",
                            start,
                            window_key(start),
                            "observed",
                            origin="synthetic_sample",
                            n_records=n_rows,
                            load_fingerprint=f"bench-{k}",
                        )
                    ],
                )
                con.executemany(
                    "INSERT INTO meta.raw_fields VALUES ('hub_models', ?, ?, ?)",
                    [(start, f, n_rows) for f in ("_id", "id", "downloads", "downloadsAllTime", "likes")],
                )
        last = first + history * WINDOW
        # the mart is not built here (minutes on 18M rows, and its checks read ~20 rows a window anyway)
        _build_models(con, first, last + WINDOW, tables=("staging.hub_models",))
    return last, last + WINDOW, n_rows


def run_suite(home: Path, start, end):
    """Every SQL check and GX suite whose tables exist here, on [start, end).
    Returns (sql seconds, gx seconds, n_sql, n_gx, sampled)."""
    from hubsignal.quality import gx_suites
    from hubsignal.quality.sql_checks import discover_checks, evaluate
    from hubsignal.warehouse import open_warehouse
    from pipelines.definitions import defs

    keys = defs.resolve_asset_graph().get_all_asset_keys()
    with open_warehouse(home / "warehouse.duckdb") as con:
        # the Hub tables and their marts are built here; LiveBench, legacy and gap tables are not
        tables = {
            (s, t) for s, t in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        }
    checks = [c for c in discover_checks() if {c.asset, *c.deps} <= tables]
    suites = [s for s in gx_suites.active_suites(keys) if {s.asset, *s.deps} <= tables]
    failures = []
    started = time.perf_counter()
    with open_warehouse(home / "warehouse.duckdb") as con:
        for check in checks:
            result = evaluate(con, check, start, end)
            if not result.passed:
                failures.append(check.name)
    sql_s = time.perf_counter() - started
    started = time.perf_counter()
    sampled = []
    for suite in suites:
        with open_warehouse(home / "warehouse.duckdb") as con:
            frame, batch = gx_suites.load_batch(con, suite, start, end)
        report = gx_suites.validate(suite, frame, batch, docs_root=home / "quality")
        if batch.sampled:
            sampled.append(f"{suite.name} {batch.rows_validated:,} of {batch.rows_total:,}")
        if not report.success:
            failures.append(f"gx_{suite.name}")
    gx_s = time.perf_counter() - started
    if failures:
        raise SystemExit(f"unexpected failures on clean synthetic data: {failures}")
    return sql_s, gx_s, len(checks), len(suites), sampled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--history", type=int, default=8, help="windows before the checked 2M-row window")
    args = parser.parse_args()
    os.environ.setdefault("HUBSIGNAL_START", "2026-10-01-03:00")
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        small, big = Path(tmp) / "small", Path(tmp) / "big"
        start, end, small_rows = family_scale(small)
        started = time.perf_counter()
        from hubsignal.quality import gx_suites

        gx_suites._gx()
        say(f"great_expectations import (once per process): {time.perf_counter() - started:.2f} s")

        sql_s, gx_s, n_sql, n_gx, _ = run_suite(small, start, end)
        small_total = sql_s + gx_s
        say(
            f"family-scale window ({small_rows:,} rows): whole suite {small_total:.2f} s = {n_sql} SQL checks "
            f"{sql_s:.2f} s + {n_gx} GX suites {gx_s:.2f} s (GX on every row)"
        )

        start, end, rows = big_windows(big, args.rows, args.history)
        sql_s, gx_s, n_sql, n_gx, sampled = run_suite(big, start, end)
        big_total = sql_s + gx_s
        how = "; ".join(sampled) if sampled else "every row"
        say(
            f"{rows:,}-row window (+{args.history} windows of history): whole suite {big_total:.2f} s = {n_sql} SQL "
            f"checks {sql_s:.2f} s (every row) + {n_gx} GX suites {gx_s:.2f} s (GX on a reservoir sample: {how})"
        )
        say(
            f"ratio {rows:,}-row / family-scale window: whole suite {big_total / small_total:.1f}x "
            f"for {rows / small_rows:,.0f}x the rows"
        )


if __name__ == "__main__":
    main()
