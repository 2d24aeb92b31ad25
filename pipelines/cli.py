"""`hubsignal`: the command line around the Dagster job (demo, run, backfill, status, import, report)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from hubsignal.insights import page_path
from hubsignal.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from pipelines.console import RunConsole

JOB_NAME = "hubsignal_6h"


def prepare_dagster_home() -> Path | None:
    """Create $DAGSTER_HOME and its dagster.yaml (the repo's: telemetry off, the duckdb pool) when missing, so a
    first run works from any shell and prints none of Dagster's first-run notices. None when DAGSTER_HOME is unset."""
    raw = os.environ.get("DAGSTER_HOME", "").strip()
    if not raw:
        return None
    home = Path(raw).expanduser().resolve()
    os.environ["DAGSTER_HOME"] = str(home)  # Dagster insists on an absolute path
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # an existing one is the user's: leave it
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", config)
    return home


def _instance():
    from dagster import DagsterInstance

    # A persistent instance when DAGSTER_HOME is set (make sets it, so runs show in `make dev`'s UI).
    return DagsterInstance.get() if prepare_dagster_home() else DagsterInstance.ephemeral()


def run_windows(
    first_key: str, last_key: str | None = None, instance=None, quiet: bool = False, console: RunConsole | None = None
):
    """Run the whole graph for one window, or for a range of windows in ONE run (single-run backfill): a run of
    the range's last window with FIRST_WINDOW_TAG naming the first (assets/partitions.py: it plans one partition
    per asset, and the snapshot assets record a materialization only for the windows they load).
    `console`: progress line and log file instead of Dagster's console logger (the commands use it)."""
    from assets.partitions import FIRST_WINDOW_TAG
    from hubsignal.windows import parse_window_key
    from pipelines.definitions import defs
    from pipelines.recovery import prepare_run

    parse_window_key(first_key)
    job = defs.resolve_job_def(JOB_NAME)
    options = {"instance": instance or _instance(), "raise_on_error": False}
    options["tags"] = prepare_run(options["instance"])  # pipelines/recovery.py: clean up after killed runs
    if console is not None:
        job, console_options = console.instrument(job)
        options.update(console_options)
    elif quiet:  # the caller prints its own summary; the run's events stay in the instance
        options["run_config"] = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    if last_key is None or last_key == first_key:
        return job.execute_in_process(partition_key=first_key, **options)
    if parse_window_key(last_key) < parse_window_key(first_key):
        raise SystemExit(f"backfill range is empty: {last_key} is before {first_key}")
    options["tags"] |= {FIRST_WINDOW_TAG: first_key}
    return job.execute_in_process(partition_key=last_key, **options)


def _run_on_console(command: str, first_key: str, last_key: str, verbose: bool, after_run=None) -> int:
    """run_windows with the progress line, the summary and the log file; `after_run(result)` prints more
    (the demo's tables) before the summary when the run succeeded."""
    from hubsignal.windows import parse_window_key
    from pipelines.console import RunConsole

    try:
        parse_window_key(first_key)
        parse_window_key(last_key)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with RunConsole(command, Settings.from_env(), first_key, last_key, verbose=verbose or None) as console:
        result = run_windows(first_key, last_key, console=console)
        if result.success and after_run is not None:
            after_run(result)
        return console.finish(result)


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

    from demo.hub import build_sample_archive
    from hubsignal.families import load_families

    sample_size = {"n_windows": args.windows} if args.windows else {}
    summary = build_sample_archive(settings.landing, load_families(settings.families_file), **sample_size)
    first, last = summary.window_keys[0], summary.window_keys[-1]
    print(f"SYNTHETIC SAMPLE DATA: {len(summary.window_keys)} windows {first} .. {last} in {settings.landing}")
    from demo.livebench import build_livebench_sample

    livebench = build_livebench_sample(settings.landing, first_window=first, n_windows=len(summary.window_keys))
    print(
        f"SYNTHETIC SAMPLE DATA: LiveBench releases {', '.join(livebench.releases)}, "
        f"one snapshot a day ({len(livebench.window_keys)} windows)"
    )
    from demo.cards import build_sample_cards

    cards = build_sample_cards(
        settings.landing, load_families(settings.families_file), summary.window_keys, top_n=settings.cards_top_n
    )
    print(
        f"SYNTHETIC SAMPLE DATA: model cards of the top {settings.cards_top_n} models per family "
        f"({cards.windows_written} windows written, {cards.bodies_written} card bodies)"
    )
    from demo.scores import build_card_scores_sample, build_legacy_sample

    legacy = build_legacy_sample(settings.landing)
    card_scores = build_card_scores_sample(
        settings.landing, load_families(settings.families_file), summary.window_keys, top_n=settings.cards_top_n
    )
    print(
        f"SYNTHETIC SAMPLE DATA: legacy MMLU claims, a generic score file of {legacy.n_rows} rows landed in "
        f"{legacy.source}/{legacy.window_key}, and model-index/evalResults of the cards ({card_scores} windows written)"
    )
    # One run for the whole range. The sample's deliberately broken window is quarantined by a blocking check;
    # the range's good windows go on to the marts in the same run, without it.

    def print_results(result) -> None:
        print(
            f"\nOne Dagster run ({result.run_id[:8]}) backfilled {len(summary.window_keys)} windows into "
            f"{settings.warehouse}"
        )
        for title, report in DEMO_REPORTS:
            print(f"\n{title}")
            _print_report(settings, report)
        print(f"\nInsights page: {page_path(settings.home)}")

    status = _run_on_console("demo", first, last, args.verbose, after_run=print_results)
    print(f"\nElapsed: {time.monotonic() - started:.1f} s")
    return status


DEMO_REPORTS = [
    ("Family downloads, latest window (SYNTHETIC SAMPLE DATA):", "family_downloads_latest"),
    ("Overtakes found in the sample (SYNTHETIC SAMPLE DATA):", "family_overtakes"),
    ("Headline KPIs, latest window (SYNTHETIC SAMPLE DATA):", "headline_kpis_latest"),
    ("LiveBench global averages, newest release (SYNTHETIC SAMPLE DATA):", "livebench_latest"),
    ("Contamination disclosure on model cards, latest window (SYNTHETIC SAMPLE CARDS):", "disclosure_rate_latest"),
    (
        "Why: verdicts that disclose a method, with the rule that fired and its evidence (first 10):",
        "disclosure_evidence_latest",
    ),
    (
        (
            "Contamination gap per family, newest LiveBench release: legacy MMLU - LiveBench global, points "
            "(SYNTHETIC SAMPLE DATA):"
        ),
        "family_gap_latest",
    ),
    ("Snapshot status:", "snapshot_status"),
]


def cmd_report(args) -> int:
    """The insights page's path (rebuilt by every run); --rebuild renders it now, --serve serves it locally."""
    settings = Settings.from_env()
    path = page_path(settings.home)
    if args.rebuild or not path.exists():
        from hubsignal.insights import build_page

        build_page(settings)
    print(path)
    if args.serve:
        from hubsignal.insights.serve import serve

        serve(path.parent, port=args.port)
    return 0


def cmd_run(args) -> int:
    from hubsignal.windows import latest_closed_window, window_key

    key = args.window or window_key(latest_closed_window())
    print(f"snapshotting window {key} from {Settings.from_env().hf_endpoint}")
    return _run_on_console("run", key, key, args.verbose)


def cmd_backfill(args) -> int:
    print(f"backfilling {args.start} .. {args.end} in one run")
    return _run_on_console("backfill", args.start, args.end, args.verbose)


def cmd_release(args) -> int:
    """Explicit override of a quarantine, recorded in meta.quarantine_overrides (hubsignal/quality/quarantine.py)."""
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
    """Wiring only: the importers live in hubsignal/imports/ (the inbox sensor uses the same code)."""
    from datetime import datetime

    from hubsignal.families import load_families
    from hubsignal.imports import import_paths
    from hubsignal.imports.common import ImportRejected, parse_observed_at
    from hubsignal.settings import partitions_start
    from hubsignal.windows import parse_window_key
    from pipelines.recovery import clean_landing

    settings = Settings.from_env()
    clean_landing(settings.landing)  # pipelines/recovery.py: temp folders a killed import left behind
    now = datetime.now(UTC)
    try:
        observed_at = parse_observed_at(args.observed_at, "--observed-at", now) if args.observed_at else None
    except ImportRejected as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = import_paths(
        args.paths,
        landing=settings.landing,
        families=load_families(settings.families_file),
        observed_at=observed_at,
        replace=args.replace,
        now=now,
        partitions_start=parse_window_key(partitions_start()),
    )
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
    if _run_on_console("import", first, last, args.verbose):
        return 1
    print("`hubsignal status` lists the windows")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubsignal", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    # -v on every command that runs the job (VERBOSE=1 in the environment does the same)
    run_options = argparse.ArgumentParser(add_help=False)
    run_options.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show Dagster's event log live on the console (it always goes to the log file)",
    )
    p = sub.add_parser(
        "demo", parents=[run_options], help="build the synthetic sample archive and backfill it offline in one run"
    )
    p.add_argument("--windows", type=int, default=None, help="number of sample windows (default: all 112)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser(
        "run", parents=[run_options], help="snapshot the most recent closed window from the live sources"
    )
    p.add_argument("--window", help="window key YYYY-MM-DD-HH:MM (default: the window that just closed)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("backfill", parents=[run_options], help="run the whole graph over a window range in one run")
    p.add_argument("start", help="first window key, e.g. 2026-10-01-03:00")
    p.add_argument("end", help="last window key (inclusive)")
    p.set_defaults(func=cmd_backfill)
    p = sub.add_parser("status", help="windows per source: observed / imported / missing / quarantined")
    p.add_argument("--windows", action="store_true", help="also list every window with its status")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser(
        "release", help="accept a quarantined window although checks reject it (recorded with the reason)"
    )
    p.add_argument("window", help="window key YYYY-MM-DD-HH:MM")
    p.add_argument("--source", required=True, help="meta.snapshot_log source, e.g. hub_models")
    p.add_argument("--reason", required=True, help="why the data is accepted (kept in meta.quarantine_overrides)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser(
        "import",
        parents=[run_options],
        help="import archived snapshots (dumps, landing zones, LiveBench folders), then "
        "load the windows they landed in (one run)",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="file or folder to import")
    p.add_argument(
        "--observed-at",
        metavar="TIMESTAMP",
        help="observation time (ISO 8601 with a zone) for inputs that carry none of their own",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace a different landed window (the old data is kept under landing/<source>/.replaced/)",
    )
    p.add_argument("--no-run", action="store_true", help="only land; print the backfill command that loads them")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("report", help="print the insights page's path ($HUBSIGNAL_HOME/report/index.html)")
    p.add_argument("--rebuild", action="store_true", help="render it now from the warehouse (runs rebuild it anyway)")
    p.add_argument("--serve", action="store_true", help="serve it on http://127.0.0.1:PORT/ for a browser")
    p.add_argument("--port", type=int, default=8765)
    p.set_defaults(func=cmd_report)
    args = parser.parse_args(argv)
    from hubsignal.warehouse import WarehouseLocked

    try:
        return args.func(args)
    except WarehouseLocked as exc:  # another process kept the warehouse longer than HUBSIGNAL_LOCK_TIMEOUT_S
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
