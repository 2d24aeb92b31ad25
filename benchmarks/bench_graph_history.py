"""Benchmark: the cost of ONE new window is flat in the whole-Hub graph's history (issue 12: a year of history
costs at most 1.2x a month). Prints one line per figure, every ratio measured in this run.

Two warehouses are built through the real paths, each on its own fresh persistent Dagster instance (SQLite
storage, the repo's dagster.yaml, like `make backfill`): daily whole-Hub Parquet dumps of N models
(tests/fakes/fake_whole_hub.py: trees, merges, cycles, deleted parents; downloads grow day by day),
`hubsignal import --no-run` of a month's (resp. a year's) dumps, then ONE backfill run over their windows. Then,
interleaved on both (load drifts on the shared machine hit both alike), one new window as the schedule would
run it: `hubsignal import --no-run` of the next day's dump, then the whole job over that one window. Best of
--repeats per history; the ratio year / month (target <= 1.2) of the CPU seconds of this process (import and
run are in process; DuckDB's threads count): the cost. The wall-clock ratio is printed too, but on the shared
2-core machine it mostly measures the other processes. With --steps, the Dagster steps whose wall time grows
most from the month to the year (from the run's step stats).

SYNTHETIC data (deterministic, invented numbers).

    .venv/bin/python benchmarks/bench_graph_history.py [--models 2000] [--month-days 30] [--year-days 365]
"""

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_backfill import import_no_run, timed_run, use_home, window_key_of_day  # noqa: E402
from benchmarks.bench_import import YEAR_START  # noqa: E402

TARGET = 1.2


def write_daily_dumps(folder: Path, days: int, n: int) -> list[Path]:
    """One whole-Hub Parquet dump per day (the same N models; downloads grow by day), fetched 10:42 UTC: the
    window <day>-09:00."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tests.fakes.fake_whole_hub import whole_hub_dump_table

    folder.mkdir(parents=True, exist_ok=True)
    base = whole_hub_dump_table(n, seed=n)
    paths = []
    for d in range(days):
        day = YEAR_START + timedelta(days=d)
        table = base.set_column(
            base.schema.get_field_index("downloadsAllTime"),
            "downloadsAllTime",
            pc.add(base["downloadsAllTime"], 100 * d),
        ).set_column(base.schema.get_field_index("likes"), "likes", pc.add(base["likes"], d))
        fetched = day + timedelta(hours=10, minutes=42)
        table = table.replace_schema_metadata({"fetched_at": fetched.isoformat()})
        path = folder / f"hub-{day:%Y-%m-%d}.parquet"
        pq.write_table(table, path, compression="zstd")
        paths.append(path)
    return paths


def build_history(base: Path, days: int, n: int, extra: int) -> list[Path]:
    """A fresh home with `days` days of imported dumps and one backfill run over them; the next `extra` days'
    dumps are written for the new windows. Returns every dump's path."""
    use_home(base)
    paths = write_daily_dumps(base / "dumps", days + extra, n)
    t_import = import_no_run(paths[:days])
    t_run, _, _ = timed_run(window_key_of_day(0, 3), window_key_of_day(days - 1, 21))
    print(f"history of {days} days ({days * n:,} model-windows): import {t_import:.1f} s, backfill {t_run:.1f} s")
    return paths


def new_window(base: Path, paths: list[Path], day: int) -> dict:
    """`import --no-run` of day `day`'s dump into the history under `base`, then the whole job over its window:
    CPU seconds of both, wall seconds of each, wall seconds per step."""
    from dagster import DagsterInstance

    use_home(base, fresh=False)
    cpu = time.process_time()
    t_import = import_no_run(paths[day : day + 1])
    t_run, result, _ = timed_run(window_key_of_day(day))
    cpu = time.process_time() - cpu
    stats = DagsterInstance.get().get_run_step_stats(result.run_id)
    steps = {s.step_key: (s.end_time or 0) - (s.start_time or 0) for s in stats}
    return {"cpu": cpu, "wall": t_import + t_run, "import": t_import, "run": t_run, "steps": steps}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2000, help="models in each daily whole-Hub dump")
    ap.add_argument("--month-days", type=int, default=30)
    ap.add_argument("--year-days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=2, help="new windows per history (best of)")
    ap.add_argument("--steps", type=int, default=0, help="print the N steps whose time grows most")
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hubsignal-bench-graph-history-") as tmp:
        histories = {"month": (Path(tmp) / "month", args.month_days), "year": (Path(tmp) / "year", args.year_days)}
        dumps = {name: build_history(base, days, args.models, args.repeats) for name, (base, days) in histories.items()}
        best: dict[str, dict] = {}
        for extra in range(args.repeats):
            for name, (base, days) in histories.items():
                run = new_window(base, dumps[name], days + extra)
                if name not in best or run["cpu"] < best[name]["cpu"]:
                    best[name] = run
        for name, (base, days) in histories.items():
            b = best[name]
            print(
                f"one new window after {days} days of history (best of {args.repeats}): {b['cpu']:.2f} CPU s; "
                f"wall {b['wall']:.2f} s (import {b['import']:.2f} s, whole job {b['run']:.2f} s)"
            )
        ratio = best["year"]["cpu"] / best["month"]["cpu"]
        print(
            f"ratio year / month ({args.year_days} / {args.month_days} days, {args.models:,} models a dump): "
            f"{ratio:.2f} in CPU seconds (target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'}); "
            f"{best['year']['wall'] / best['month']['wall']:.2f} in wall seconds; "
            f"benchmark wall {time.perf_counter() - t0:.0f} s"
        )
        if args.steps:
            month_steps, year_steps = best["month"]["steps"], best["year"]["steps"]
            growth = sorted(year_steps, key=lambda k: month_steps.get(k, 0) - year_steps[k])[: args.steps]
            for key in growth:
                print(f"  step {key}: month {month_steps.get(key, 0):.2f} s, year {year_steps[key]:.2f} s (wall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
