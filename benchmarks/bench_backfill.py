"""Benchmark: `hubsignal import --no-run` of a year of family-scale daily Hub dumps, then ONE backfill run over
every 6-hour window of that year on a fresh persistent Dagster instance (SQLite storage, the repo's
dagster.yaml: what `make backfill` sets up). Prints one line per figure, every ratio measured in this run:

- import: seconds and records/s;
- backfill: seconds, ms per window, Dagster events stored per window (all kinds) and materializations;
- import + backfill against the 150 s budget (issue 14);
- the re-run of the unchanged year (nothing to load);
- one new window's whole-job run after a month and after a year of history (interleaved, best of 2: the
  machine is shared) and their ratio, in wall and in CPU seconds. The adoption marts alone: benchmarks/bench_adoption.py.

SYNTHETIC dumps (deterministic, invented numbers; benchmarks/bench_import.py writes them).

    .venv/bin/python benchmarks/bench_backfill.py [--days 365] [--records 1000] [--month-days 30]
"""

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_import import YEAR_START, synthesize  # noqa: E402

BUDGET_S = 150.0


def use_home(base: Path, fresh: bool = True) -> None:
    """HUBSIGNAL_HOME and a persistent DAGSTER_HOME (fresh: new, with the repo's dagster.yaml) under `base`."""
    dagster_home = base / "dagster_home"
    if fresh:
        dagster_home.mkdir(parents=True)
        shutil.copyfile(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    os.environ.update(
        HUBSIGNAL_HOME=str(base / "home"),
        DAGSTER_HOME=str(dagster_home),
        HUBSIGNAL_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
    )
    for name in ("HUBSIGNAL_WAREHOUSE", "HUBSIGNAL_FAMILIES"):
        os.environ.pop(name, None)


def import_no_run(paths: list[Path]) -> float:
    """`hubsignal import --no-run PATH...` in process (its per-file lines discarded); seconds."""
    from pipelines.cli import main

    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = main(["import", "--no-run", *map(str, paths)])
    assert status == 0, "import rejected a dump"
    return time.perf_counter() - t


def timed_run(first: str, last: str | None = None):
    """run_windows on the persistent instance; (seconds, result, events stored for the run)."""
    from dagster import DagsterInstance

    from pipelines.cli import run_windows

    instance = DagsterInstance.get()
    t = time.perf_counter()
    result = run_windows(first, last, instance=instance, quiet=True)
    seconds = time.perf_counter() - t
    assert result.success, f"run {first}..{last} failed"
    stored = len(instance.all_logs(result.run_id))
    return seconds, result, stored


def window_key_of_day(day: int, hour: int = 9) -> str:
    from hubsignal.windows import window_key

    return window_key(YEAR_START + timedelta(days=day, hours=hour))


def new_window(base: Path, paths: list[Path], day: int) -> tuple[float, float]:
    """Import day `day`'s dump into the history under `base`, then run that one window: (wall seconds of the
    run, CPU seconds of this process for the run)."""
    use_home(base, fresh=False)
    import_no_run(paths[day : day + 1])
    cpu = time.process_time()
    seconds, _, _ = timed_run(window_key_of_day(day))
    return seconds, time.process_time() - cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--month-days", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubsignal-bench-backfill-") as tmp:
        tmp = Path(tmp)
        # A month of history (its own homes), then the year.
        month = tmp / "month"
        use_home(month)
        month_paths = synthesize(month / "dumps", args.month_days + 2, args.records)
        import_no_run(month_paths[: args.month_days])
        timed_run(window_key_of_day(0, 3), window_key_of_day(args.month_days - 1, 21))

        use_home(tmp / "year")
        paths = synthesize(tmp / "year" / "dumps", args.days + 2, args.records)
        n_records = args.days * args.records
        t_import = import_no_run(paths[: args.days])
        print(
            f"import --no-run of {args.days} dumps ({n_records:,} records): {t_import:.1f} s "
            f"({n_records / t_import:,.0f} records/s)"
        )

        first, last = window_key_of_day(0, 3), window_key_of_day(args.days - 1, 21)
        n_windows = args.days * 4
        t_run, result, stored = timed_run(first, last)
        materializations = len(result.get_asset_materialization_events())
        print(
            f"backfill {first} .. {last} ({n_windows} windows, {args.days} landed) in one run on a fresh persistent "
            f"instance: {t_run:.1f} s ({1000 * t_run / n_windows:.1f} ms/window)"
        )
        print(
            f"  Dagster events stored: {stored:,} ({stored / n_windows:.2f} per window), of which "
            f"{materializations:,} materializations ({materializations / n_windows:.2f} per window)"
        )
        from hubsignal.settings import Settings
        from hubsignal.warehouse import connect

        con = connect(Settings.from_env().warehouse, read_only=True)
        built = con.execute("SELECT count(DISTINCT window_start) FROM marts.family_downloads").fetchone()[0]
        con.close()
        print(f"  marts.family_downloads holds {built} windows ({args.days} imported)")
        assert built == args.days, f"marts.family_downloads has {built} windows, not the {args.days} imported"
        total = t_import + t_run
        print(
            f"import + backfill: {total:.1f} s (budget {BUDGET_S:.0f} s: {'within' if total <= BUDGET_S else 'OVER'})"
        )

        t_rerun, _, rerun_stored = timed_run(first, last)
        print(
            f"re-run of the unchanged range: {t_rerun:.1f} s ({t_rerun / t_run:.2f}x the first run, "
            f"{rerun_stored:,} events)"
        )

        month_s, year_s = [], []
        for extra in (0, 1):  # interleaved: load drifts on the shared machine hit both alike
            month_s.append(new_window(month, month_paths, args.month_days + extra))
            year_s.append(new_window(tmp / "year", paths, args.days + extra))
        month_window_s, year_window_s = min(w for w, _ in month_s), min(w for w, _ in year_s)
        print(
            f"one new window, whole job (best of 2), after {args.month_days} days of history: {month_window_s:.1f} s; "
            f"after {args.days} days: {year_window_s:.1f} s; ratio {year_window_s / month_window_s:.2f}"
        )
        month_cpu, year_cpu = min(c for _, c in month_s), min(c for _, c in year_s)
        print(
            f"  the same in CPU seconds of the run (what the shared machine's load does not inflate): "
            f"{month_cpu:.1f} s; {year_cpu:.1f} s; ratio {year_cpu / month_cpu:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
