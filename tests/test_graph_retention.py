"""The whole-Hub graph's retention (docs/hub-graph.md "Retention"): crawled windows compacted into one Parquet
file in the landing zone (same raw rows, verify still guards it, a kill -9 at any point leaves a valid window),
old raw rows pruned from the warehouse and rebuilt from the landing zone by a backfill. Real Dagster runs over
the fake whole Hub; the clock is moved forward to age the window."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from hubsignal import landing as lz
from hubsignal.hub import graph
from hubsignal.imports.status import unloaded_windows
from hubsignal.retention import compact_graph_windows
from hubsignal.warehouse import connect, open_warehouse
from hubsignal.windows import latest_closed_window, parse_window_key, window_key
from pipelines.cli import main as cli
from pipelines.cli import run_windows
from tests.checksum import checksum_of, table_checksums
from tests.conftest import query
from tests.fakes.fake_whole_hub import WholeHub, whole_hub_models
from tests.test_hub_graph import _failures, _run_graph_path, livebench  # noqa: F401 (a fixture)

PROJECT = Path(__file__).resolve().parents[1]


def _folder(home: Path, key: str) -> Path:
    return lz.window_dir(home / "landing", graph.SOURCE, key)


def _crawl(home: Path, monkeypatch, run, n: int = 3_000) -> str:
    """Crawl a fake whole Hub of n models for the window that just closed (a real Dagster run)."""
    with WholeHub(whole_hub_models(n, seed=7), quota=100_000) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        key = window_key(latest_closed_window())
        result = run(key)
        assert result.success, _failures(result)
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")  # later runs replay the landing zone only
    return key


def _days_later(monkeypatch, days: float) -> datetime:
    later = datetime.now(UTC) + timedelta(days=days)
    monkeypatch.setattr("hubsignal.snapshots.utc_now", lambda: later)
    return later


def _graph_log(home: Path) -> tuple:
    return query(
        home,
        "SELECT status, n_records, loaded_at, load_fingerprint, message FROM meta.snapshot_log "
        "WHERE source = 'hub_graph'",
    )[0]


def _warehouse_checksums(home: Path) -> dict:
    return table_checksums(home / "warehouse.duckdb", also=())


@pytest.mark.usefixtures("home", "livebench")  # in this order: home points LiveBench away first
def test_a_compacted_window_loads_the_same_rows_is_not_reloaded_and_verify_guards_it(home, monkeypatch):
    key = _crawl(home, monkeypatch, _run_graph_path)
    folder = _folder(home, key)
    pages_manifest = json.loads((folder / lz.MANIFEST).read_text())
    pages_bytes = sum(p.stat().st_size for p in folder.glob("page-*.json.gz"))
    before = _warehouse_checksums(home)
    log_before = _graph_log(home)
    crawling = home / "landing" / graph.SOURCE / ".partial-2099-01-01-03:00"  # a crawl in progress: never touched
    crawling.mkdir()
    (crawling / "page-00001.json.gz").write_bytes(b"not yet")

    assert _run_graph_path(key).success  # 0 days old: nothing to compact yet
    assert sorted(p.name for p in folder.iterdir())[-1].startswith("page-")

    _days_later(monkeypatch, 8)  # older than HUBSIGNAL_GRAPH_COMPACT_AFTER_DAYS (7)
    result = _run_graph_path(key)
    assert result.success, _failures(result)
    assert sorted(p.name for p in folder.iterdir()) == [lz.MANIFEST, graph.PARQUET_FILE]
    manifest = json.loads((folder / lz.MANIFEST).read_text())
    compacted = manifest[lz.COMPACTED]
    assert compacted["pages"] == pages_manifest["files"]  # every page's url, fetched_at, received_sha256 ...
    assert all(len(page["received_sha256"]) == 64 and page["url"] for page in compacted["pages"])
    assert compacted["record_count"] == manifest["record_count"] == 3_000 and compacted["records_not_kept"] == 0
    [entry] = manifest["files"]
    assert entry["file"] == graph.PARQUET_FILE and entry["bytes"] < pages_bytes
    assert {k: manifest[k] for k in ("origin", "fetched_at", "expand", "sort")} == {
        k: pages_manifest[k] for k in ("origin", "fetched_at", "expand", "sort")
    }
    # Not reloaded for nothing: the load identity survived the compaction.
    assert _graph_log(home) == log_before
    assert _warehouse_checksums(home) == before
    assert (crawling / "page-00001.json.gz").read_bytes() == b"not yet"

    manifest_bytes = (folder / lz.MANIFEST).read_bytes()  # idempotent: a second run changes nothing
    assert _run_graph_path(key).success
    assert (folder / lz.MANIFEST).read_bytes() == manifest_bytes

    # Reloading from the compacted window gives the same raw rows (and staging, marts).
    (home / "warehouse.duckdb").unlink()
    result = _run_graph_path(key)
    assert result.success, _failures(result)
    assert _warehouse_checksums(home) == before
    assert _graph_log(home)[:2] == log_before[:2]

    # `hubsignal verify` and the verify_landing job pass on it, and catch a changed file.
    assert cli(["verify"]) == 0
    from pipelines.definitions import defs

    job = defs.resolve_job_def("verify_landing_job")
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
    parquet = folder / graph.PARQUET_FILE
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    assert not job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False).success
    status, _, _, fingerprint, message = _graph_log(home)
    assert status == "quarantined" and str(parquet) in message and fingerprint.startswith(lz.DAMAGED_PREFIX)
    assert query(home, "SELECT count(*) FROM raw.hub_graph_models") == [(0,)]


def _land_pages(landing: Path, key: str, models: list[dict], page_size: int = 500) -> None:
    """A crawled window as the crawl lands it (PartialWindow), without a Hub."""
    pages = [models[i : i + page_size] for i in range(0, len(models), page_size)]
    fetched = datetime(2026, 1, 1, tzinfo=UTC)
    with lz.PartialWindow(landing, graph.SOURCE, key) as partial:
        for i, page in enumerate(pages, 1):
            url = f"http://127.0.0.1/api/models?page={i}"
            body = json.dumps(page).encode()
            partial.add_page(lz.RawFile("page", body, len(page), url, 200, fetched), None if i == len(pages) else url)
        partial.complete(origin="live", fetched_at=fetched)


def _raw_rows(tmp: Path, landing: Path, key: str) -> tuple[int, int]:
    """raw.hub_graph_models of the window loaded alone into a fresh warehouse: (rows, checksum)."""
    warehouse = tmp / f"w-{time.monotonic_ns()}.duckdb"
    with open_warehouse(warehouse) as con:
        _, paths = lz.verify_window(landing, graph.SOURCE, key)
        graph.load_window(con, paths, parse_window_key(key))
    con = connect(warehouse, read_only=True)
    try:
        return checksum_of(con, "raw", "hub_graph_models", volatile=())
    finally:
        con.close()


_KILLED_COMPACTION = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from hubsignal import landing as lz
from hubsignal.retention import compact_graph_windows

landing, stage, flag = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

def pause():
    flag.touch()
    time.sleep(600)  # killed here

def before(fn):
    def wrapped(*a, **kw):
        pause()
        return fn(*a, **kw)
    return wrapped

def after(fn):
    def wrapped(*a, **kw):
        out = fn(*a, **kw)
        pause()
        return out
    return wrapped

if stage == "written":  # the Parquet file written and checked beside the pages, nothing swapped
    lz.swap_window_files = before(lz.swap_window_files)
elif stage == "renamed":  # models.parquet in place but not listed: the old manifest still rules
    lz.commit_manifest = before(lz.commit_manifest)
elif stage == "committed":  # the new manifest in place, the pages not removed yet
    lz.commit_manifest = after(lz.commit_manifest)
now = datetime.now(UTC)
compact_graph_windows(landing, older_than=now, now=now)
"""


@pytest.mark.parametrize("stage", ["written", "renamed", "committed"])
def test_a_compaction_killed_at_any_point_leaves_a_valid_window_and_the_next_run_finishes(tmp_path, stage):
    landing, key = tmp_path / "landing", "2026-01-01-03:00"
    models = whole_hub_models(2_000, seed=11)
    models += [dict(models[3], downloads=10**9), dict(models[700])]  # listed twice, on a later page
    _land_pages(landing, key, models)
    truth = _raw_rows(tmp_path, landing, key)
    assert truth[0] == 2_000
    flag = tmp_path / "paused"
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_COMPACTION, str(landing), stage, str(flag)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, f"the compaction ended before the {stage} point"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    folder = lz.window_dir(landing, graph.SOURCE, key)
    assert lz.file_problems(landing, graph.SOURCE, key) == []  # a valid window: old (pages) or new (Parquet)
    files = [e["file"] for e in json.loads((folder / lz.MANIFEST).read_text())["files"]]
    assert files == (
        [graph.PARQUET_FILE] if stage == "committed" else [f"page-{i:05d}.json.gz" for i in (1, 2, 3, 4, 5)]
    )
    assert _raw_rows(tmp_path, landing, key) == truth

    now = datetime.now(UTC)
    report = compact_graph_windows(landing, older_than=now, now=now)  # the next run cleans up and finishes
    assert report.cleaned[key]
    assert list(report.compacted) == ([] if stage == "committed" else [key])
    assert sorted(p.name for p in folder.iterdir()) == [lz.MANIFEST, graph.PARQUET_FILE]
    assert lz.file_problems(landing, graph.SOURCE, key) == []
    assert _raw_rows(tmp_path, landing, key) == truth
    manifest = json.loads((folder / lz.MANIFEST).read_text())
    assert manifest[lz.COMPACTED]["records_not_kept"] == 2 and manifest["record_count"] == 2_000
    again = compact_graph_windows(landing, older_than=now, now=now)
    assert not again.compacted and not again.cleaned  # idempotent


def test_a_compaction_that_does_not_match_the_pages_swaps_nothing(tmp_path, monkeypatch):
    landing, key = tmp_path / "landing", "2026-01-01-03:00"
    _land_pages(landing, key, whole_hub_models(1_000, seed=2))
    folder = lz.window_dir(landing, graph.SOURCE, key)
    manifest = (folder / lz.MANIFEST).read_bytes()
    # A written file that lost a record (e.g. a disk fault between the write and the check): refused.
    import duckdb

    from hubsignal import retention

    fsync = lz.fsync_path

    def lose_a_record(path: Path) -> None:
        if Path(path).name.startswith(".compact-") and Path(path).is_file():  # the compacted file, once written
            duckdb.sql(f"COPY (FROM read_parquet('{path}') LIMIT 999) TO '{path}.short' (FORMAT parquet)")
            os.replace(f"{path}.short", path)
        fsync(path)

    monkeypatch.setattr(retention.lz, "fsync_path", lose_a_record)
    now = datetime.now(UTC)
    report = compact_graph_windows(landing, older_than=now, now=now)
    assert "differ from the pages" in report.not_compacted[key]
    assert (folder / lz.MANIFEST).read_bytes() == manifest
    assert sorted(p.name for p in folder.iterdir()) == [lz.MANIFEST, *(f"page-0000{i}.json.gz" for i in (1, 2))]


@pytest.mark.usefixtures("home", "livebench")  # in this order: home points LiveBench away first
def test_pruned_raw_rows_come_back_by_a_backfill_with_the_same_rows_and_marts(home, monkeypatch, capsys):
    key = _crawl(home, monkeypatch, run_windows)  # the whole job: `make run`'s path
    before = _warehouse_checksums(home)
    mart_rows = query(home, "SELECT count(*) FROM marts.family_derivative_tree")[0][0]
    status, n_records, loaded_at, fingerprint, _ = _graph_log(home)
    assert mart_rows > 0 and n_records == 3_000

    _days_later(monkeypatch, 100)  # past HUBSIGNAL_GRAPH_RETAIN_DAYS (90) and the compaction age (7)
    assert cli(["compact"]) == 0
    out = capsys.readouterr().out
    assert "compacted 1 window(s)" in out and "pruned 3,000 raw.hub_graph_models rows of 1 window(s)" in out
    assert query(home, "SELECT count(*) FROM raw.hub_graph_models") == [(0,)]
    assert query(home, "SELECT count(*) FROM staging.hub_graph_edges") == [(0,)]
    # the edges only that window declared go too, and it is no longer a loaded window of the intervals
    assert query(home, "SELECT count(*) FROM raw.hub_graph_edges") == [(0,)]
    assert query(home, "SELECT count(*) FROM raw.hub_graph_edge_windows") == [(0,)]
    marts = {k: v for k, v in before.items() if k.startswith("marts.")}
    assert {k: v for k, v in _warehouse_checksums(home).items() if k.startswith("marts.")} == marts  # kept
    pruned = _graph_log(home)
    assert pruned[:3] == (status, n_records, loaded_at)  # still observed, its counts and load time kept
    assert pruned[3] == lz.PRUNED_PREFIX + fingerprint and "pruned by retention" in pruned[4]
    con = connect(home / "warehouse.duckdb", read_only=True)
    try:
        assert unloaded_windows(home / "landing", con) == []  # `hubsignal status` does not call it pending
    finally:
        con.close()

    result = run_windows(key, key)  # `hubsignal backfill KEY KEY`: reloaded from the (compacted) landing zone
    assert result.success, _failures(result)
    assert _warehouse_checksums(home) == before  # the same raw rows, staging and marts
    assert _graph_log(home)[3] == fingerprint  # loaded again, and kept by this run's retention (its own range)

    assert cli(["compact"]) == 0  # the next retention pass prunes it again: the horizon is the policy
    assert query(home, "SELECT count(*) FROM raw.hub_graph_models") == [(0,)]


def test_a_window_hashed_while_it_is_compacted_is_not_called_damaged(tmp_path, monkeypatch):
    """`hubsignal verify` (no pool slot) may hash a window while a run compacts it: it sees the old or new files."""
    landing, key = tmp_path / "landing", "2026-01-01-03:00"
    _land_pages(landing, key, whole_hub_models(1_000, seed=4))
    hash_file = lz._landed_file_problem
    compacted = {}

    def compacted_meanwhile(path: Path, sha256: str):
        if path.name == "page-00002.json.gz" and "report" not in compacted:  # the pages go while it hashes them
            compacted["report"] = None
            now = datetime.now(UTC)
            compacted["report"] = compact_graph_windows(landing, older_than=now, now=now)
        return hash_file(path, sha256)

    monkeypatch.setattr(lz, "_landed_file_problem", compacted_meanwhile)
    assert lz.file_problems(landing, graph.SOURCE, key) == []
    assert list(compacted["report"].compacted) == [key]
    assert [
        e["file"] for e in json.loads((lz.window_dir(landing, graph.SOURCE, key) / lz.MANIFEST).read_text())["files"]
    ] == [graph.PARQUET_FILE]


def test_retention_settings_are_days_or_zero(monkeypatch):
    from hubsignal.settings import Settings

    monkeypatch.setenv("HUBSIGNAL_GRAPH_RETAIN_DAYS", "0")
    monkeypatch.setenv("HUBSIGNAL_GRAPH_COMPACT_AFTER_DAYS", "0.5")
    settings = Settings.from_env()
    assert (settings.graph_retain_days, settings.graph_compact_after_days) == (0, 0.5)
    monkeypatch.setenv("HUBSIGNAL_GRAPH_RETAIN_DAYS", "-1")
    with pytest.raises(ValueError, match="HUBSIGNAL_GRAPH_RETAIN_DAYS=-1.0 must be 0"):
        Settings.from_env()


def test_a_compacted_window_copied_to_another_landing_zone_loads_the_same_rows(home, tmp_path, capsys):
    landing, key = tmp_path / "other" / "landing", "2026-01-01-03:00"
    _land_pages(landing, key, whole_hub_models(1_000, seed=6))
    truth = _raw_rows(tmp_path, landing, key)
    now = datetime.now(UTC)
    assert list(compact_graph_windows(landing, older_than=now, now=now).compacted) == [key]
    assert cli(["import", str(landing), "--no-run"]) == 0, capsys.readouterr().err
    copied = lz.window_dir(home / "landing", graph.SOURCE, key)
    assert [e["file"] for e in json.loads((copied / lz.MANIFEST).read_text())["files"]] == [graph.PARQUET_FILE]
    assert (copied / graph.PARQUET_FILE).read_bytes() == (
        lz.window_dir(landing, graph.SOURCE, key) / "models.parquet"
    ).read_bytes()
    assert _raw_rows(tmp_path, home / "landing", key) == truth
