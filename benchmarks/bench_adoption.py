"""Adoption marts: the cost of ONE new window must not grow with history. Prints one line per figure; the
ratios are measured in this same run.

Data (SYNTHETIC): the new window W is the first window of the synthetic sample archive
(demo/hub.py: every configured family, ~90 models, ~320 children counts), landed for real and
loaded by the real snapshot assets. The HISTORY before it (120 windows = 1 month, 1,460 windows = 1 year) is
inserted directly into raw.hub_models / raw.hub_children_counts / meta.window_loads with DuckDB: W's parsed
rows repeated for every earlier window, counters wound back (all-time counters lose ~1/120 of the 30-day
gauge a window; children counts shrink slowly; models created later are absent), so loading a year
through the landing zone (minutes, measured by benchmarks/bench_import.py) is not repeated here.

Figures:
- full rebuild: the staging view and the 5 adoption marts over the whole year in one range (factory code);
- one new window: a Dagster run for W (raw loads + the adoption assets and their checks) with 1 month vs 1
  year of history, and the 5 adoption SQL models alone for W (best of repeats); ratios year / month.

    .venv/bin/python benchmarks/bench_adoption.py [--year 1460] [--month 120] [--repeats 9]
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADOPTION_MARTS = ("family_downloads", "family_derivatives", "family_overtakes", "family_concentration", "headline_kpis")


def say(line: str) -> None:
    print(f"adoption: {line}", flush=True)


def synthesize_history(warehouse: Path, landing: Path, new_key: str, n_windows: int) -> None:
    """raw rows + meta.window_loads for the n_windows windows before `new_key`, from its landed rows."""
    from hubsignal import landing as lz
    from hubsignal.families import load_families
    from hubsignal.hub.parse import parse_children, parse_hub_models
    from hubsignal.settings import DEFAULT_FAMILIES_FILE
    from hubsignal.warehouse import open_warehouse, transaction
    from hubsignal.windows import parse_window_key

    new = parse_window_key(new_key).replace(tzinfo=None)
    models, _ = parse_hub_models(lz.read_window(landing, "hub_models", new_key), new)
    children = parse_children(lz.read_window(landing, "hub_children_counts", new_key), new)[0]
    families = load_families(DEFAULT_FAMILIES_FILE).to_frame()
    with open_warehouse(warehouse) as con, transaction(con):
        con.register("w_models", models.to_arrow())
        con.register("w_children", children.to_arrow())
        con.register("w_families", families.to_arrow())
        con.execute("CREATE OR REPLACE TABLE staging.families AS SELECT * FROM w_families")  # as staging/families
        steps = f"SELECT k, TIMESTAMP '{new}' - INTERVAL 6 HOUR * k AS ws FROM range(1, {n_windows + 1}) r(k)"
        con.execute(f"""
            INSERT INTO raw.hub_models BY NAME
            SELECT m.* REPLACE (
                s.ws AS window_start,
                m.snapshot_ts - INTERVAL 6 HOUR * s.k AS snapshot_ts,
                greatest(m.downloads_all_time - s.k * m.downloads_30d // 120, 0) AS downloads_all_time,
                'synthetic_sample' AS origin)
            FROM w_models AS m, ({steps}) AS s
            WHERE m.created_at IS NULL OR m.created_at < s.ws + INTERVAL 6 HOUR
            ORDER BY s.ws, m.model_id""")
        con.execute(f"""
            INSERT INTO raw.hub_children_counts BY NAME
            SELECT c.* REPLACE (
                s.ws AS window_start,
                c.snapshot_ts - INTERVAL 6 HOUR * s.k AS snapshot_ts,
                greatest(c.n_children - (c.n_children * s.k) // 2000, 0) AS n_children,
                'synthetic_sample' AS origin)
            FROM w_children AS c
            JOIN w_models AS m USING (model_id), ({steps}) AS s
            WHERE m.created_at IS NULL OR m.created_at < s.ws + INTERVAL 6 HOUR
            ORDER BY s.ws, c.model_id, c.relation""")
        con.execute(f"""
            INSERT INTO meta.window_loads BY NAME
            SELECT src AS source, s.ws AS window_start, strftime(s.ws, '%Y-%m-%d-%H:%M') AS window_key,
                'observed' AS status, 'synthetic_sample' AS origin, now()::TIMESTAMP AS loaded_at,
                'benchmark history (synthetic)' AS message
            FROM ({steps}) AS s, (VALUES ('hub_models'), ('hub_children_counts')) AS v(src)""")
        for name in ("w_models", "w_children", "w_families"):
            con.unregister(name)


def dagster_run(key: str, warehouse: Path) -> float:
    """One Dagster run for window `key`: the adoption marts and every asset upstream of them; seconds."""
    import dagster as dg

    from pipelines.cli import JOB_NAME
    from pipelines.definitions import defs

    os.environ["HUBSIGNAL_WAREHOUSE"] = str(warehouse)
    marts = dg.AssetSelection.assets(*[dg.AssetKey(["marts", m]) for m in ADOPTION_MARTS])
    selection = sorted(marts.upstream().resolve(defs.resolve_asset_graph()))
    job = defs.resolve_job_def(JOB_NAME)
    started = time.perf_counter()
    result = job.execute_in_process(
        partition_key=key,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        asset_selection=selection,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    elapsed = time.perf_counter() - started
    if not result.success:
        errors = [e.event_specific_data.error.message for e in result.all_events if e.is_step_failure]
        raise SystemExit(f"run {key} failed: {errors}")
    return elapsed


def build_upstream(warehouse: Path, start, end) -> None:
    """The seeds and every SQL model upstream of the adoption marts, untimed (staging.hub_models, and e.g.
    marts.disclosure_rate and marts.benchmark_gap for headline_kpis, the graph marts for the derivative-inclusive
    columns), in dependency order through the factory; over tables with no rows for these windows they are
    cheap, but they must exist."""
    from hubsignal.seeds import load_seed, seed_files
    from hubsignal.sql_models import discover_models, materialize
    from hubsignal.warehouse import open_warehouse

    models = {m.table: m for m in discover_models()}
    timed = {f"marts.{m}" for m in ADOPTION_MARTS}
    order: list = []

    def visit(table: str) -> None:
        model = models.get(table)
        if model is None or model in order:
            return
        for layer, name in model.deps:
            visit(f"{layer}.{name}")
        if table not in timed:
            order.append(model)

    for mart in ADOPTION_MARTS:
        visit(f"marts.{mart}")
    with open_warehouse(warehouse) as con:
        for path in seed_files():
            load_seed(con, path)
        for model in order:
            materialize(con, model, start, end)


def sql_models(warehouse: Path, start, end, names=ADOPTION_MARTS, layer="marts") -> float:
    """SQL models over [start, end) through the factory's own materialize(); seconds."""
    from hubsignal.sql_models import MODELS_DIR, load_model, materialize
    from hubsignal.warehouse import open_warehouse

    models = [load_model(MODELS_DIR / layer / f"{m}.sql") for m in names]
    with open_warehouse(warehouse) as con:
        started = time.perf_counter()
        for model in models:
            materialize(con, model, start, end)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=1460, help="windows of history for 'one year'")
    parser.add_argument("--month", type=int, default=120, help="windows of history for 'one month'")
    parser.add_argument("--repeats", type=int, default=9, help="repeats of the one-window SQL timing")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="hubsignal-bench-adoption-"))
    try:
        return bench(home, args)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def bench(home: Path, args) -> int:
    os.environ.update(HUBSIGNAL_HOME=str(home), HUBSIGNAL_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
    for name in ("DAGSTER_HOME", "HF_TOKEN", "HUBSIGNAL_FAMILIES", "HUBSIGNAL_WAREHOUSE"):
        os.environ.pop(name, None)

    from demo.hub import SAMPLE_FIRST_WINDOW, build_sample_archive
    from hubsignal.families import load_families
    from hubsignal.settings import DEFAULT_FAMILIES_FILE
    from hubsignal.warehouse import connect
    from hubsignal.windows import WINDOW, parse_window_key

    new_key = SAMPLE_FIRST_WINDOW
    new = parse_window_key(new_key)
    build_sample_archive(home / "landing", load_families(DEFAULT_FAMILIES_FILE), first_window=new_key, n_windows=1)

    month, year = home / "month.duckdb", home / "year.duckdb"
    synthesize_history(month, home / "landing", new_key, args.month)
    started = time.perf_counter()
    synthesize_history(year, home / "landing", new_key, args.year)
    con = connect(year, read_only=True)
    n_rows = con.execute(
        "SELECT (SELECT count(*) FROM raw.hub_models) + (SELECT count(*) FROM raw.hub_children_counts)"
    ).fetchone()[0]
    con.close()
    say(
        f"synthetic history, {args.year} windows ({n_rows:,} raw rows) inserted in "
        f"{time.perf_counter() - started:.1f} s"
    )

    build_upstream(month, new - args.month * WINDOW, new)  # staging.hub_models included
    sql_models(month, new - args.month * WINDOW, new)
    build_upstream(year, new - args.year * WINDOW, new)
    t = sql_models(year, new - args.year * WINDOW, new)
    say(f"full rebuild of the 5 adoption marts over {args.year} windows (one range): {t:.2f} s")

    shutil.copyfile(month, home / "warm-up.duckdb")
    dagster_run(new_key, home / "warm-up.duckdb")  # imports and definitions load once, outside the figures
    run_month, run_year = dagster_run(new_key, month), dagster_run(new_key, year)
    what = "one new window, Dagster run (raw load + adoption assets + checks)"
    say(f"{what}, {args.month} windows of history: {run_month:.2f} s")
    say(f"{what}, {args.year} windows of history: {run_year:.2f} s")
    say(f"one new window, Dagster run, ratio year/month: {run_year / run_month:.2f}")

    timings = {month: [], year: []}
    for _ in range(args.repeats):  # interleaved, so machine load drifts affect both alike
        for warehouse in (month, year):
            timings[warehouse].append(sql_models(warehouse, new, new + WINDOW))
    sql_month, sql_year = min(timings[month]), min(timings[year])  # best of: the least disturbed by load
    what = f"one new window, 5 adoption SQL models (best of {args.repeats})"
    say(f"{what}, {args.month} windows of history: {1000 * sql_month:.0f} ms")
    say(f"{what}, {args.year} windows of history: {1000 * sql_year:.0f} ms")
    say(f"one new window, 5 adoption SQL models, ratio year/month: {sql_year / sql_month:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
