"""Issue 15: a killed run never blocks the next one; a killed writer's temp landing folder is removed by the
next run; readers and writers of the warehouse wait for each other's lock (with a timeout) instead of failing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from demo.hub import build_sample_archive
from hubsignal.families import load_families
from hubsignal.landing import remove_stale_temp_folders, temp_name
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from hubsignal.warehouse import WarehouseLocked, connect

PROJECT = Path(__file__).resolve().parents[1]
HUBSIGNAL = os.path.join(os.path.dirname(sys.executable), "hubsignal")
COMPARED = {  # every column: none of these tables holds a load time
    "raw.hub_models": "SELECT count(*), sum(hash(t)) FROM raw.hub_models t",
    "staging.hub_models": "SELECT count(*), sum(hash(t)) FROM staging.hub_models t",
    "marts.family_downloads": "SELECT count(*), sum(hash(t)) FROM marts.family_downloads t",
}


def _env(home: Path, dagster_home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "HUBSIGNAL_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "HUBSIGNAL_OFFLINE": "1",
        "HUBSIGNAL_GX": "off",
        "HF_HOME": str(home / "hf"),
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "LIVEBENCH_BASE_URL": "http://127.0.0.1:9",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    env.pop("HUBSIGNAL_WAREHOUSE", None)
    return env


def _setup(root: Path, n_windows: int) -> tuple[Path, Path, list[str]]:
    home, dagster_home = root / "home", root / "dagster_home"
    keys = build_sample_archive(home / "landing", load_families(DEFAULT_FAMILIES_FILE), n_windows=n_windows).window_keys
    dagster_home.mkdir(parents=True)
    shutil.copy(PROJECT / "dagster.yaml", dagster_home / "dagster.yaml")  # the pool limit of 1 is active
    return home, dagster_home, keys


def _tables(home: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return {name: con.execute(sql).fetchone() for name, sql in COMPARED.items()}
    finally:
        con.close()


def test_a_killed_backfill_never_blocks_the_next_one(tmp_path):
    import dagster as dg

    home, dagster_home, keys = _setup(tmp_path / "killed", n_windows=4)
    env = _env(home, dagster_home)
    backfill = [HUBSIGNAL, "backfill", keys[0], keys[-1]]
    proc = subprocess.Popen(backfill, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        deadline = time.monotonic() + 120
        while True:  # kill it while one of its steps holds the duckdb pool slot
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it was killed"
            claimed = instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
            if claimed:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait(timeout=30)
        (dead,) = instance.get_runs()
        assert dead.status == dg.DagsterRunStatus.STARTED  # what the kill leaves behind: issue 15
        still_claimed = instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
        assert [slot.run_id for slot in still_claimed] == [dead.run_id]

        again = subprocess.run(backfill, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert (
            f"cleaned up run {dead.run_id[:8]} (pid {proc.pid} gone, was STARTED): marked failed, "
            f"1 pool slot freed" in again.stdout
        ), again.stdout[-3000:]

        runs = {run.run_id: run for run in instance.get_runs()}
        assert runs[dead.run_id].status == dg.DagsterRunStatus.FAILURE
        assert sorted(r.status.value for r in runs.values()) == ["FAILURE", "SUCCESS"]
        assert instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots == []
        failure = [e for e in instance.all_logs(dead.run_id) if e.dagster_event and e.dagster_event.is_run_failure]
        assert f"pid {proc.pid}" in failure[0].dagster_event.message
    finally:
        if proc.poll() is None:
            proc.kill()
        instance.dispose()

    ref_home, ref_dagster_home, ref_keys = _setup(tmp_path / "uninterrupted", n_windows=4)
    assert ref_keys == keys
    ref = subprocess.run(
        backfill, cwd=tmp_path, env=_env(ref_home, ref_dagster_home), capture_output=True, text=True, timeout=180
    )
    assert ref.returncode == 0, ref.stdout[-3000:] + ref.stderr[-3000:]
    assert "cleaned up run" not in ref.stdout
    recovered, uninterrupted = _tables(home), _tables(ref_home)
    assert recovered == uninterrupted
    assert all(count > 0 for count, _ in recovered.values())


def test_a_live_run_is_left_alone(tmp_path, home, monkeypatch):
    """A run whose process still runs (this one) is not touched, nor are runs without the pid tag."""
    import dagster as dg

    from pipelines.recovery import process_tags, recover_crashed_runs

    instance = dg.DagsterInstance.ephemeral()
    dead_tags = {**process_tags(), "hubsignal/pid": str(_dead_pid())}
    dead_tags.pop("hubsignal/pid_start", None)
    runs = {}
    for name, tags in {"live": process_tags(), "dead": dead_tags, "ui": {}}.items():
        run = instance.add_run(
            dg.DagsterRun(
                job_name="hubsignal_6h", run_id=f"{name}0000" + "0" * 28, status=dg.DagsterRunStatus.STARTED, tags=tags
            )
        )
        runs[name] = run
    cleaned = recover_crashed_runs(instance)
    assert [c.run_id for c in cleaned] == [runs["dead"].run_id]
    status = {name: instance.get_run_by_id(run.run_id).status for name, run in runs.items()}
    assert status == {
        "live": dg.DagsterRunStatus.STARTED,
        "dead": dg.DagsterRunStatus.FAILURE,
        "ui": dg.DagsterRunStatus.STARTED,
    }
    # pid reuse: the pid is alive but it is not the process that started the run
    reused = instance.add_run(
        dg.DagsterRun(
            job_name="hubsignal_6h",
            run_id="reused" + "0" * 30,
            status=dg.DagsterRunStatus.STARTED,
            tags={**process_tags(), "hubsignal/pid_start": "1"},
        )
    )
    assert [c.run_id for c in recover_crashed_runs(instance)] == [reused.run_id]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temp_landing_folders_are_removed_and_live_ones_kept(tmp_path, home, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    keys = build_sample_archive(home / "landing", load_families(DEFAULT_FAMILIES_FILE), n_windows=1).window_keys
    source = home / "landing" / "hub_models"
    assert source.is_dir()
    live = source / temp_name(keys[0])  # this process: alive
    dead = source / f".tmp-{keys[0]}-p{_dead_pid()}-0123abcd"
    old_format_old = source / f".tmp-{keys[0]}-89abcdef"
    old_format_new = source / f".tmp-{keys[0]}-fedcba98"
    for folder in (live, dead, old_format_old, old_format_new):
        folder.mkdir()
        (folder / "models.json.gz").write_bytes(b"half written")
    two_hours_ago = time.time() - 7200
    os.utime(old_format_old, (two_hours_ago, two_hours_ago))

    from pipelines.cli import run_windows

    result = run_windows(keys[0])
    assert result.success
    assert not dead.exists() and not old_format_old.exists()
    assert live.exists() and old_format_new.exists()
    assert remove_stale_temp_folders(home / "landing") == []


def test_stale_temp_folder_line_in_the_import_command(tmp_path, home):
    """`hubsignal import` cleans up before it lands, and says so."""
    source = home / "landing" / "hub_models"
    source.mkdir(parents=True)
    (source / f".tmp-2026-10-01-03:00-p{_dead_pid()}-0123abcd").mkdir()
    inbox = tmp_path / "empty"
    inbox.mkdir()
    env = {**os.environ}
    proc = subprocess.run(
        [HUBSIGNAL, "import", "--no-run", str(inbox)], env=env, capture_output=True, text=True, timeout=120
    )
    assert "removed 1 stale temporary landing folder: hub_models/.tmp-2026-10-01-03:00-p" in proc.stdout, (
        proc.stdout + proc.stderr
    )
    assert list(source.iterdir()) == []


_HOLD_LOCK = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
    con.close()
""")


def _hold(path: Path, mode: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path), mode, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_writer_waits_for_a_reader_then_proceeds(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    connect(path).close()
    reader = _hold(path, "ro", 2.0)
    try:
        started = time.monotonic()
        con = connect(path, timeout_s=30)
        waited = time.monotonic() - started
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        con.close()
        assert 0.5 < waited < 30, waited
    finally:
        reader.wait(timeout=30)


def test_a_writer_gives_up_with_a_clear_message(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    connect(path).close()
    writer = _hold(path, "rw", 30.0)
    monkeypatch.setenv("HUBSIGNAL_LOCK_TIMEOUT_S", "1")
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLocked) as caught:
            connect(path)
        assert 1.0 <= time.monotonic() - started < 10
        message = str(caught.value)
        assert f"(PID {writer.pid})" in message and "after 1 s" in message and str(path) in message, message
    finally:
        writer.kill()
        writer.wait()


def test_status_reads_the_published_copy_while_a_writer_holds_the_warehouse(tmp_path, home, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    keys = build_sample_archive(home / "landing", load_families(DEFAULT_FAMILIES_FILE), n_windows=1).window_keys
    from pipelines.cli import run_windows

    assert run_windows(keys[0]).success
    assert (home / "published" / "warehouse.duckdb").is_file()
    writer = _hold(home / "warehouse.duckdb", "rw", 60.0)
    try:
        env = {**os.environ, "HUBSIGNAL_LOCK_TIMEOUT_S": "2"}
        started = time.monotonic()
        proc = subprocess.run([HUBSIGNAL, "status"], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "hub_models" in proc.stdout
        assert time.monotonic() - started < 60
    finally:
        writer.kill()
        writer.wait()


def test_publish_is_an_independent_copy_and_leaves_no_temp_file(tmp_path):
    """publish clones the file where reflinks exist (copy-on-write), else copies it: either way the published
    copy holds what the warehouse held at publish time and later writes do not reach it."""
    from hubsignal.warehouse import clone_file, publish

    warehouse, published = tmp_path / "warehouse.duckdb", tmp_path / "published" / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    con.close()
    assert publish(warehouse, published) == published
    con = duckdb.connect(str(warehouse))
    con.execute("INSERT INTO t SELECT 5000")
    con.close()
    reader = duckdb.connect(str(published), read_only=True)
    assert reader.execute("SELECT count(*), max(i) FROM t").fetchone() == (1000, 999)
    reader.close()
    assert sorted(p.name for p in published.parent.iterdir()) == ["warehouse.duckdb"]
    assert clone_file(warehouse, tmp_path / "clone.duckdb") in ("clone", "copy")
    assert (tmp_path / "clone.duckdb").read_bytes() == warehouse.read_bytes()
