"""`hubsignal`: the command line around the Dagster job (demo, run, backfill, status)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pipelines.settings import PROJECT_ROOT, Settings

JOB_NAME = "hubsignal_6h"


def _instance():
    from dagster import DagsterInstance

    # A persistent instance when DAGSTER_HOME is set (make sets it, so runs show in `make dev`'s UI).
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def run_windows(first_key: str, last_key: str | None = None, instance=None, quiet: bool = False):
    """Run the whole graph for one window, or for a range of windows in ONE run (single-run backfill)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from assets.windows import parse_window_key
    from pipelines.definitions import defs

    parse_window_key(first_key)
    job = defs.resolve_job_def(JOB_NAME)
    options = {"instance": instance or _instance(), "raise_on_error": False}
    if quiet:  # the demo prints its own summary; the run's events stay in the instance
        options["run_config"] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if last_key is None or last_key == first_key:
        return job.execute_in_process(partition_key=first_key, **options)
    if parse_window_key(last_key) < parse_window_key(first_key):
        raise SystemExit(f"backfill range is empty: {last_key} is before {first_key}")
    tags = {ASSET_PARTITION_RANGE_START_TAG: first_key, ASSET_PARTITION_RANGE_END_TAG: last_key}
    return job.execute_in_process(tags=tags, **options)


def _report_failure(result) -> int:
    if result.success:
        return 0
    for event in result.all_events:
        if event.is_step_failure:
            print(f"FAILED {event.step_key}: {event.event_specific_data.error.message.strip()}", file=sys.stderr)
    return 1


def _print_report(settings: Settings, name: str) -> None:
    from assets.reports import format_table, run_report
    from assets.warehouse import connect

    con = connect(settings.warehouse, read_only=True)
    try:
        print(format_table(*run_report(con, name)))
    finally:
        con.close()


def cmd_demo(args) -> int:
    started = time.monotonic()
    home = Path(os.environ.get("HUBSIGNAL_HOME") or PROJECT_ROOT / "data" / "demo").resolve()
    os.environ["HUBSIGNAL_HOME"] = str(home)
    os.environ["HUBSIGNAL_OFFLINE"] = "1"  # the demo never touches the network
    os.environ.pop("HUBSIGNAL_WAREHOUSE", None)
    settings = Settings.from_env()
    for stale in (settings.warehouse, settings.warehouse.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)  # a fresh warehouse each time; the landing zone is kept

    from assets.families import load_families
    from assets.hub.sample import build_sample_archive

    sample_size = {"n_windows": args.windows} if args.windows else {}
    summary = build_sample_archive(settings.landing, load_families(settings.families_file), **sample_size)
    first, last = summary.window_keys[0], summary.window_keys[-1]
    print(f"SYNTHETIC SAMPLE DATA: {len(summary.window_keys)} windows {first} .. {last} in {settings.landing}")
    result = run_windows(first, last, quiet=True)
    if _report_failure(result):
        return 1
    print(f"\nOne Dagster run ({result.run_id[:8]}) backfilled {len(summary.window_keys)} windows into {settings.warehouse}\n")
    print("Family downloads, latest window (SYNTHETIC SAMPLE DATA):")
    _print_report(settings, "family_downloads_latest")
    print("\nSnapshot status:")
    _print_report(settings, "snapshot_status")
    print(f"\nElapsed: {time.monotonic() - started:.1f} s")
    return 0


def cmd_run(args) -> int:
    from assets.windows import latest_closed_window, window_key

    key = args.window or window_key(latest_closed_window())
    print(f"snapshotting window {key} from {Settings.from_env().hf_endpoint}")
    return _report_failure(run_windows(key))


def cmd_backfill(args) -> int:
    print(f"backfilling {args.start} .. {args.end} in one run")
    return _report_failure(run_windows(args.start, args.end))


def cmd_status(args) -> int:
    settings = Settings.from_env()
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse} yet: run `make demo`, `make run` or `make backfill`")
        return 1
    _print_report(settings, "snapshot_status")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubsignal", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="build the synthetic sample archive and backfill it offline in one run")
    p.add_argument("--windows", type=int, default=None, help="number of sample windows (default: all 112)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("run", help="snapshot the most recent closed window from the live sources")
    p.add_argument("--window", help="window key YYYY-MM-DD-HH:MM (default: the window that just closed)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("backfill", help="run the whole graph over a window range in one run")
    p.add_argument("start", help="first window key, e.g. 2026-10-01-03:00")
    p.add_argument("end", help="last window key (inclusive)")
    p.set_defaults(func=cmd_backfill)
    p = sub.add_parser("status", help="windows per source: observed / imported / missing / quarantined")
    p.set_defaults(func=cmd_status)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
