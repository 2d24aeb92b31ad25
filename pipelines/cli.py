"""`hubsignal`: the command line around the Dagster job (demo, run, backfill, status, import)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from hubsignal.settings import PROJECT_ROOT, Settings

JOB_NAME = "hubsignal_6h"


def _instance():
    from dagster import DagsterInstance

    # A persistent instance when DAGSTER_HOME is set (make sets it, so runs show in `make dev`'s UI).
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def run_windows(first_key: str, last_key: str | None = None, instance=None, quiet: bool = False):
    """Run the whole graph for one window, or for a range of windows in ONE run (single-run backfill)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from hubsignal.windows import parse_window_key
    from pipelines.definitions import defs
    from pipelines.recovery import prepare_run

    parse_window_key(first_key)
    job = defs.resolve_job_def(JOB_NAME)
    options = {"instance": instance or _instance(), "raise_on_error": False}
    options["tags"] = prepare_run(options["instance"])  # pipelines/recovery.py: clean up after killed runs
    if quiet:  # the demo prints its own summary; the run's events stay in the instance
        options["run_config"] = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    if last_key is None or last_key == first_key:
        return job.execute_in_process(partition_key=first_key, **options)
    if parse_window_key(last_key) < parse_window_key(first_key):
        raise SystemExit(f"backfill range is empty: {last_key} is before {first_key}")
    options["tags"] |= {ASSET_PARTITION_RANGE_START_TAG: first_key, ASSET_PARTITION_RANGE_END_TAG: last_key}
    return job.execute_in_process(**options)


def _report_failure(result) -> int:
    if result.success:
        return 0
    for event in result.all_events:
        if event.is_step_failure:
            print(f"FAILED {event.step_key}: {event.event_specific_data.error.message.strip()}", file=sys.stderr)
    return 1


def _print_report(settings: Settings, name: str) -> None:
    from hubsignal.reports import format_table, run_report
    from hubsignal.warehouse import connect

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

    from hubsignal.families import load_families
    from demo.hub import build_sample_archive
    from pipelines.summary import summarize as quality_summary

    sample_size = {"n_windows": args.windows} if args.windows else {}
    summary = build_sample_archive(settings.landing, load_families(settings.families_file), **sample_size)
    first, last = summary.window_keys[0], summary.window_keys[-1]
    print(f"SYNTHETIC SAMPLE DATA: {len(summary.window_keys)} windows {first} .. {last} in {settings.landing}")
    from demo.livebench import build_livebench_sample

    livebench = build_livebench_sample(settings.landing, first_window=first, n_windows=len(summary.window_keys))
    print(f"SYNTHETIC SAMPLE DATA: LiveBench releases {', '.join(livebench.releases)}, "
          f"one snapshot a day ({len(livebench.window_keys)} windows)")
    from demo.cards import build_sample_cards

    cards = build_sample_cards(settings.landing, load_families(settings.families_file), summary.window_keys,
                               top_n=settings.cards_top_n)
    print(f"SYNTHETIC SAMPLE DATA: model cards of the top {settings.cards_top_n} models per family "
          f"({cards.windows_written} windows written, {cards.bodies_written} card bodies)")
    from demo.scores import build_card_scores_sample, build_legacy_sample

    legacy = build_legacy_sample(settings.landing)
    card_scores = build_card_scores_sample(settings.landing, load_families(settings.families_file),
                                           summary.window_keys, top_n=settings.cards_top_n)
    print(f"SYNTHETIC SAMPLE DATA: legacy MMLU claims, a generic score file of {legacy.n_rows} rows landed in "
          f"{legacy.source}/{legacy.window_key}, and model-index/evalResults of the cards ({card_scores} windows written)")
    # One run for the whole range. The sample's deliberately broken window is quarantined by a blocking check;
    # the range's good windows go on to the marts in the same run, without it.
    result = run_windows(first, last, quiet=True)
    quality = quality_summary(result, settings.warehouse)
    if _report_failure(result):
        return 1
    print(f"\nOne Dagster run ({result.run_id[:8]}) backfilled {len(summary.window_keys)} windows into {settings.warehouse}\n")
    print("Family downloads, latest window (SYNTHETIC SAMPLE DATA):")
    _print_report(settings, "family_downloads_latest")
    print("\nOvertakes found in the sample (SYNTHETIC SAMPLE DATA):")
    _print_report(settings, "family_overtakes")
    print("\nHeadline KPIs, latest window (SYNTHETIC SAMPLE DATA):")
    _print_report(settings, "headline_kpis_latest")
    print("\nLiveBench global averages, newest release (SYNTHETIC SAMPLE DATA):")
    _print_report(settings, "livebench_latest")
    print("\nContamination disclosure on model cards, latest window (SYNTHETIC SAMPLE CARDS):")
    _print_report(settings, "disclosure_rate_latest")
    print("\nWhy: verdicts that disclose a method, with the rule that fired and its evidence (first 10):")
    _print_report(settings, "disclosure_evidence_latest")
    print("\nContamination gap per family, newest LiveBench release: legacy MMLU - LiveBench global, points "
          "(SYNTHETIC SAMPLE DATA):")
    _print_report(settings, "family_gap_latest")
    print("\nSnapshot status:")
    _print_report(settings, "snapshot_status")
    print(f"\n{quality.line()}")
    print(f"great_expectations Data Docs: {settings.home / 'quality' / 'gx'}/<suite>/index.html")
    print(f"\nElapsed: {time.monotonic() - started:.1f} s")
    return 0


def cmd_run(args) -> int:
    from hubsignal.windows import latest_closed_window, window_key

    key = args.window or window_key(latest_closed_window())
    print(f"snapshotting window {key} from {Settings.from_env().hf_endpoint}")
    return _report_failure(run_windows(key))


def cmd_backfill(args) -> int:
    print(f"backfilling {args.start} .. {args.end} in one run")
    return _report_failure(run_windows(args.start, args.end))


def cmd_release(args) -> int:
    """Explicit override of a quarantine, recorded in meta.quarantine_overrides (assets/quality/quarantine.py)."""
    from hubsignal.quality.quarantine import ReleaseError, release
    from hubsignal.warehouse import open_warehouse, publish

    settings = Settings.from_env()
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}", file=sys.stderr)
        return 1
    try:
        with open_warehouse(settings.warehouse) as con:
            outcome = release(con, args.source, args.window, args.reason)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    publish(settings.warehouse, settings.published_warehouse)  # `hubsignal status` and `make sql` read that copy
    print(f"{args.source} {args.window}: {outcome}: hubsignal backfill {args.window} {args.window}")
    return 0


def cmd_status(args) -> int:
    from hubsignal.warehouse import for_reading

    settings = for_reading(Settings.from_env())  # the published copy when there is one: never the write lock
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse} yet: run `make demo`, `make run` or `make backfill`")
        _print_unloaded(settings)
        return 1
    _print_report(settings, "snapshot_status")
    if args.windows:
        print()
        _print_report(settings, "snapshot_windows")
    _print_unloaded(settings)
    return 0


def _print_unloaded(settings: Settings) -> None:
    """Landed windows no run has loaded yet (e.g. just imported), with the command that loads them."""
    from hubsignal.imports.status import summarize, unloaded_windows
    from hubsignal.reports import format_table
    from hubsignal.warehouse import connect

    con = connect(settings.warehouse, read_only=True) if settings.warehouse.exists() else None
    try:
        rows = unloaded_windows(settings.landing, con)
    finally:
        if con is not None:
            con.close()
    if rows:
        from hubsignal.windows import latest_closed_window, window_key

        columns, table = summarize(rows)
        closed = [key for _, key, _ in rows if key <= window_key(latest_closed_window())]
        hint = f" (load them: hubsignal backfill {min(closed)} {max(closed)})" if closed else ""
        print(f"\nLanded but not loaded yet{hint}:")
        print(format_table(columns, table))


def cmd_import(args) -> int:
    """Wiring only: the importers live in assets/imports/ (the inbox sensor uses the same code)."""
    from datetime import datetime, timezone

    from hubsignal.families import load_families
    from hubsignal.imports import import_paths
    from hubsignal.imports.common import ImportRejected, parse_observed_at
    from hubsignal.windows import parse_window_key
    from hubsignal.settings import partitions_start
    from pipelines.recovery import clean_landing

    settings = Settings.from_env()
    clean_landing(settings.landing)  # pipelines/recovery.py: temp folders a killed import left behind
    now = datetime.now(timezone.utc)
    try:
        observed_at = parse_observed_at(args.observed_at, "--observed-at", now) if args.observed_at else None
    except ImportRejected as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = import_paths(args.paths, landing=settings.landing, families=load_families(settings.families_file),
                          observed_at=observed_at, replace=args.replace, now=now,
                          partitions_start=parse_window_key(partitions_start()))
    for line in report.lines():
        print(line, file=sys.stdout if line.startswith(("ok", "   ")) else sys.stderr)
    status = 0 if report.ok else 1
    for key in report.open_windows(now):
        print(f"window {key} is still open: the schedule loads it when it closes")
    window_range = report.run_range(parse_window_key(partitions_start()), now, settings.landing)
    if window_range is None:
        return status
    first, last = window_range
    if args.no_run:
        print(f"load them: hubsignal backfill {first} {last}")
        return status
    print(f"loading {first} .. {last} in one run")
    result = run_windows(first, last, quiet=True)
    if _report_failure(result):
        return 1
    print(f"one Dagster run ({result.run_id[:8]}) loaded {first} .. {last}; `hubsignal status` lists the windows")
    return status


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
    p.add_argument("--windows", action="store_true", help="also list every window with its status")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("release", help="accept a quarantined window although checks reject it (recorded with the reason)")
    p.add_argument("window", help="window key YYYY-MM-DD-HH:MM")
    p.add_argument("--source", required=True, help="meta.snapshot_log source, e.g. hub_models")
    p.add_argument("--reason", required=True, help="why the data is accepted (kept in meta.quarantine_overrides)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("import", help="import archived snapshots (dumps, landing zones, LiveBench folders), then "
                       "load the windows they landed in (one run)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="file or folder to import")
    p.add_argument("--observed-at", metavar="TIMESTAMP",
                   help="observation time (ISO 8601 with a zone) for inputs that carry none of their own")
    p.add_argument("--replace", action="store_true",
                   help="replace a different landed window (the old data is kept under landing/<source>/.replaced/)")
    p.add_argument("--no-run", action="store_true", help="only land; print the backfill command that loads them")
    p.set_defaults(func=cmd_import)
    args = parser.parse_args(argv)
    from hubsignal.warehouse import WarehouseLocked

    try:
        return args.func(args)
    except WarehouseLocked as exc:  # another process kept the warehouse longer than HUBSIGNAL_LOCK_TIMEOUT_S
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
