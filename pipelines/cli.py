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


POOL = "duckdb"  # every asset and check that opens the warehouse (assets/partitions.py)


def duckdb_pool_limit() -> int | None:
    """HUBSIGNAL_DUCKDB_POOL_LIMIT: steps holding the warehouse at once across runs (unset: the instance's
    dagster.yaml, 1). More than 1 only on DuckLake: a DuckDB file has one writing process."""
    raw = os.environ.get("HUBSIGNAL_DUCKDB_POOL_LIMIT", "").strip()
    if not raw:
        return None
    try:
        limit = int(raw)
    except ValueError:
        raise SystemExit(f"error: setting HUBSIGNAL_DUCKDB_POOL_LIMIT={raw!r} is not an integer") from None
    if limit < 1:
        raise SystemExit(f"error: setting HUBSIGNAL_DUCKDB_POOL_LIMIT={limit} must be 1 or more")
    if limit > 1 and not Settings.from_env().on_lake:
        raise SystemExit(
            f"error: HUBSIGNAL_DUCKDB_POOL_LIMIT={limit} needs a DuckLake warehouse: a DuckDB file takes one writing "
            "process at a time (docs/scale-out.md)"
        )
    return limit


def _instance():
    from dagster import DagsterInstance

    # A persistent instance when DAGSTER_HOME is set (make sets it, so runs show in `make dev`'s UI).
    instance = DagsterInstance.get() if prepare_dagster_home() else DagsterInstance.ephemeral()
    if (limit := duckdb_pool_limit()) is not None:
        # Stored in the instance's storage (it outranks dagster.yaml's default_limit), so the webserver and
        # daemon of the same instance apply it too.
        instance.event_log_storage.set_concurrency_slots(POOL, limit)
    return instance


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
    from hubsignal.families import load_families

    settings = Settings.from_env()
    load_families(settings.families_file)  # a broken families file stops here, in one line (main), not mid-graph
    with RunConsole(command, settings, first_key, last_key, verbose=verbose or None) as console:
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
    if not os.environ.get("HUBSIGNAL_WAREHOUSE", "").startswith("ducklake:"):
        os.environ.pop("HUBSIGNAL_WAREHOUSE", None)  # the demo's own file, never a user's warehouse file
    settings = Settings.from_env()
    if settings.on_lake:
        from hubsignal.warehouse import lake_is_empty

        if not lake_is_empty(settings.warehouse):  # never clobber a real lake with sample data
            print(
                f"error: the demo needs an empty DuckLake; {settings.warehouse} already holds tables", file=sys.stderr
            )
            return 2
    else:
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
    from hubsignal.warehouse import open_warehouse, publish, warehouse_exists

    settings = Settings.from_env()
    if not warehouse_exists(settings.warehouse):
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


def cmd_verify(args) -> int:
    """Re-hash landed files against their manifests; damaged loaded windows are quarantined (hubsignal/verify.py)."""
    from hubsignal.verify import verify_landing
    from hubsignal.warehouse import publish
    from hubsignal.windows import parse_window_key

    settings = Settings.from_env()
    try:
        first = parse_window_key(args.start) if args.start else None
        last = parse_window_key(args.end) if args.end else first
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = verify_landing(settings.landing, settings.warehouse, first=first, last=last)
    for line in report.lines():
        print(line, file=sys.stdout if line.startswith("verified") else sys.stderr)
    if report.quarantined:
        publish(settings.warehouse, settings.published_warehouse)  # `hubsignal status` reads that copy
        keys = sorted(key for _, key in report.quarantined)
        print(f"rebuild the marts without them: hubsignal backfill {keys[0]} {keys[-1]}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_compact(args) -> int:
    """The whole-Hub graph's retention now, with no per-run limit (every run applies it after the graph's load):
    hubsignal/retention.py, docs/hub-graph.md "Retention"."""
    from hubsignal.retention import apply_retention
    from hubsignal.snapshots import utc_now
    from hubsignal.warehouse import publish

    settings = Settings.from_env()
    report = apply_retention(settings, now=utc_now(), log=lambda line: None)
    for line in report.lines():
        print(line, file=sys.stderr if ": not " in line or report.locked else sys.stdout)
    if report.pruned:
        publish(settings.warehouse, settings.published_warehouse)  # `hubsignal status` and `make sql` read that copy
    return 1 if report.not_compacted or report.not_pruned or report.locked else 0


def cmd_status(args) -> int:
    from hubsignal.warehouse import for_reading, warehouse_exists

    settings = for_reading(Settings.from_env())  # the published copy when there is one: never the write lock
    if not warehouse_exists(settings.warehouse):
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
    """Pending windows, with the command that loads or rebuilds them: landed windows no run has loaded yet
    (e.g. just imported), and loaded windows whose models were never built (a run killed or failed midway)."""
    from hubsignal.builds import unbuilt_windows
    from hubsignal.imports.status import summarize, unloaded_windows
    from hubsignal.reports import format_table
    from hubsignal.warehouse import connect, warehouse_exists
    from hubsignal.windows import latest_closed_window, window_key

    con = connect(settings.warehouse, read_only=True) if warehouse_exists(settings.warehouse) else None
    try:
        rows = unloaded_windows(settings.landing, con)
        unbuilt = unbuilt_windows(con) if con is not None else []
    finally:
        if con is not None:
            con.close()
    if rows:
        columns, table = summarize(rows)
        closed = [key for _, key, _ in rows if key <= window_key(latest_closed_window())]
        hint = f" (load them: hubsignal backfill {min(closed)} {max(closed)})" if closed else ""
        print(f"\nLanded but not loaded yet{hint}:")
        print(format_table(columns, table))
    if unbuilt:
        keys = [key for _, key, _ in unbuilt]
        print(
            f"\nPending: loaded but staging/marts not built yet (a run stopped midway; rebuild them: "
            f"hubsignal backfill {min(keys)} {max(keys)}):"
        )
        columns, table = summarize([(source, key, "loaded, not built") for source, key, _ in unbuilt])
        print(format_table(columns, table))


def _pending_windows(settings: Settings) -> set[tuple[str, str]]:
    """Landed windows not loaded, or loaded but never built, read without the write lock (the published copy:
    a run killed before its end never published, so its windows are not loaded there either)."""
    from hubsignal.imports.status import pending_windows
    from hubsignal.warehouse import connect, for_reading

    reading = for_reading(settings)
    if not reading.warehouse.exists():
        return pending_windows(settings.landing, None)
    con = connect(reading.warehouse, read_only=True)
    try:
        return pending_windows(settings.landing, con)
    finally:
        con.close()


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
    report.mark_pending(_pending_windows(settings))
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


def _parse_as_of(raw: str):
    """--as-of: an ISO date-time, UTC unless it names a zone (2026-10-01T03:00, 2026-10-01 03:00+02:00)."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise SystemExit(f"error: --as-of {raw!r} is not a date-time like 2026-10-01T03:00 (UTC)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cmd_sql(args) -> int:
    """SQL on the warehouse, read-only: a query given on the command line is run and printed; without one, the
    DuckDB CLI opens. A DuckDB file: its published copy (or the file when none). A DuckLake: attached read-only,
    --as-of reading it as it stood then (DuckLake snapshots)."""
    import subprocess
    import tempfile

    from hubsignal.settings import Lake
    from hubsignal.warehouse import connect, for_reading, lake_setup_sql, warehouse_exists

    settings = for_reading(Settings.from_env())
    as_of = _parse_as_of(args.as_of) if args.as_of else None
    if as_of is not None and not settings.on_lake:
        print(
            f"error: --as-of needs a DuckLake warehouse (HUBSIGNAL_WAREHOUSE=ducklake:..., docs/scale-out.md): "
            f"{settings.warehouse} is a DuckDB file, which keeps no history",
            file=sys.stderr,
        )
        return 2
    if not warehouse_exists(settings.warehouse):
        print(f"no warehouse at {settings.warehouse} yet: run `make demo`, `make run` or `make backfill`")
        return 1
    if args.query:
        from hubsignal.reports import format_table

        con = connect(settings.warehouse, read_only=True, as_of=as_of)
        try:
            cursor = con.execute(" ".join(args.query))
            columns = [d[0] for d in cursor.description or []]
            print(format_table(columns, cursor.fetchall()))
        finally:
            con.close()
        return 0
    cli = Path(sys.executable).with_name("duckdb")
    if not isinstance(settings.warehouse, Lake):
        return subprocess.call([str(cli), "-readonly", str(settings.warehouse)])
    # The attach statements (with the S3 secret) go through an init file only this user can read, never argv.
    with tempfile.TemporaryDirectory(prefix="hubsignal-sql-") as folder:
        init = Path(folder) / "init.sql"
        init.touch(mode=0o600)
        init.write_text("".join(f"{s};\n" for s in lake_setup_sql(settings.warehouse, read_only=True, as_of=as_of)))
        return subprocess.call([str(cli), "-init", str(init)])


def cmd_migrate_to_lake(args) -> int:
    """Copy a DuckDB-file warehouse into the DuckLake HUBSIGNAL_WAREHOUSE names (one transaction)."""
    from hubsignal.warehouse import copy_into_lake

    settings = Settings.from_env()
    if not settings.on_lake:
        print("error: set HUBSIGNAL_WAREHOUSE=ducklake:... (and HUBSIGNAL_LAKE_DATA_PATH) to the lake", file=sys.stderr)
        return 2
    source = Path(args.source).expanduser().resolve()
    try:
        counts = copy_into_lake(source, settings.warehouse)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"copied {len(counts)} tables, {sum(counts.values())} rows from {source} into {settings.warehouse}")
    return 0


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
        "verify", help="re-hash landed files against their manifests; quarantine windows whose files changed"
    )
    p.add_argument("start", nargs="?", help="first window key (default: every landed window)")
    p.add_argument("end", nargs="?", help="last window key (default: start)")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser(
        "compact",
        help="the graph's retention now: compact old crawled windows in the landing zone, prune old raw graph rows",
    )
    p.set_defaults(func=cmd_compact)
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
    p = sub.add_parser("sql", help="SQL on the warehouse, read-only (the DuckDB CLI, or one query printed)")
    p.add_argument("query", nargs="*", help="a query to run and print (none: open the DuckDB CLI)")
    p.add_argument(
        "--as-of", metavar="TIMESTAMP", help="DuckLake only: read the warehouse as it stood then (UTC unless zoned)"
    )
    p.set_defaults(func=cmd_sql)
    p = sub.add_parser(
        "migrate-to-lake", help="copy a DuckDB-file warehouse into the (empty) DuckLake HUBSIGNAL_WAREHOUSE names"
    )
    p.add_argument("source", help="the DuckDB warehouse file, e.g. data/warehouse.duckdb")
    p.set_defaults(func=cmd_migrate_to_lake)
    args = parser.parse_args(argv)
    from hubsignal.families import FamiliesError
    from hubsignal.warehouse import LakeError, WarehouseLocked, WriteConflict

    try:
        return args.func(args)
    except (WarehouseLocked, WriteConflict, LakeError) as exc:  # locked file, lost commit races, lake unreachable
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except FamiliesError as exc:  # the message names the file and the family/org: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
