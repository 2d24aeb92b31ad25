"""The warehouse on DuckLake, end to end against real servers on 127.0.0.1 (tests/lake_fixtures.py): PostgreSQL
for the catalog (and for Dagster's instance), moto's S3-compatible server for the data. The same SQL, checks and
loads as on the DuckDB file; all-or-nothing windows; concurrent writers; snapshots (as of); secrets kept out."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from hubsignal.settings import Lake, Settings
from hubsignal.warehouse import connect
from pipelines.cli import main
from tests.conftest import PROJECT
from tests.lake_fixtures import checksums, files_containing
from tests.lake_writer import FIRST, ROWS_PER_WINDOW


def lake_checksums() -> dict:
    con = connect(Settings.from_env().warehouse, read_only=True)
    try:
        return checksums(con)
    finally:
        con.close()


def writer(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.lake_writer", *args],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_lake_uri_setting_and_redaction(home, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_WAREHOUSE", "ducklake:postgres:dbname=hub host=db password=hunter2 port=5432")
    monkeypatch.setenv("HUBSIGNAL_LAKE_DATA_PATH", "s3://bucket/lake/")
    settings = Settings.from_env()
    assert isinstance(settings.warehouse, Lake) and settings.on_lake
    assert settings.warehouse.uri.endswith("password=hunter2 port=5432")  # what DuckDB is given
    assert "hunter2" not in str(settings.warehouse) and "hunter2" not in repr(settings)
    monkeypatch.setenv("HUBSIGNAL_WAREHOUSE", str(home / "w.duckdb"))
    assert Settings.from_env().warehouse == home / "w.duckdb"


def test_as_of_on_a_duckdb_file_says_it_needs_ducklake(home, capsys):
    assert main(["sql", "--as-of", "2026-10-01T03:00", "SELECT 1"]) == 2
    assert "--as-of needs a DuckLake warehouse" in capsys.readouterr().err


def test_pool_limit_above_one_needs_ducklake(home, monkeypatch, tmp_path):
    from pipelines.cli import _instance

    monkeypatch.setenv("HUBSIGNAL_DUCKDB_POOL_LIMIT", "2")
    with pytest.raises(SystemExit, match="needs a DuckLake warehouse"):
        _instance()
    monkeypatch.setenv("HUBSIGNAL_WAREHOUSE", f"ducklake:{tmp_path / 'c.ducklake'}")
    instance = _instance()
    assert instance.event_log_storage.get_concurrency_info("duckdb").slot_count == 2


def test_demo_on_postgres_and_s3_gives_the_file_marts(home, tmp_path, monkeypatch, postgres, s3_env, capfd):
    """`hubsignal demo` on DuckLake (Postgres catalog, S3 data) == on the DuckDB file, table for table; then
    `migrate-to-lake` of that file into a file-catalog lake gives the same again. No secret anywhere."""
    # One home for both (the same landing zone, as `make demo` twice would): only the warehouse differs.
    lake_home = tmp_path / "demo_home"
    monkeypatch.setenv("HUBSIGNAL_HOME", str(lake_home))
    assert main(["demo", "--windows", "8"]) == 0
    file_warehouse = lake_home / "warehouse.duckdb"
    con = connect(file_warehouse, read_only=True)
    expected = checksums(con)
    con.close()
    assert expected["marts.family_downloads"][0] > 0 and expected["marts.headline_kpis"][0] > 0

    # The password in the URI (PGPASSWORD is the documented way): it must still appear nowhere.
    monkeypatch.setenv("HUBSIGNAL_WAREHOUSE", postgres.lake_uri(postgres.new_database(), with_password=True))
    monkeypatch.setenv("HUBSIGNAL_LAKE_DATA_PATH", f"s3://{s3_env.new_bucket()}/warehouse/")
    assert main(["demo", "--windows", "8"]) == 0
    got = lake_checksums()
    assert got == expected, {
        k: (expected.get(k), got.get(k)) for k in set(expected) | set(got) if expected.get(k) != got.get(k)
    }
    assert main(["demo", "--windows", "8"]) == 2  # never over a lake that holds data

    monkeypatch.setenv("HUBSIGNAL_WAREHOUSE", f"ducklake:{tmp_path / 'migrated' / 'catalog.ducklake'}")
    monkeypatch.setenv("HUBSIGNAL_LAKE_DATA_PATH", str(tmp_path / "migrated" / "data"))
    assert main(["migrate-to-lake", str(file_warehouse)]) == 0
    assert lake_checksums() == expected

    output = capfd.readouterr()
    canaries = [postgres.password, s3_env.secret, s3_env.key_id]
    assert not [c for c in canaries if c in output.out + output.err]
    assert not files_containing(lake_home, canaries)
    assert not files_containing(tmp_path / "migrated", canaries)


def test_killed_load_leaves_nothing_partial(pg_lake):
    assert subprocess.run([sys.executable, "-m", "tests.lake_writer", "0"], cwd=PROJECT, check=True).returncode == 0
    proc = writer("1", "2", "--hang")  # dies inside window 1's transaction (rows inserted, log row written)
    try:
        assert proc.stdout.readline().strip() == "INSIDE", proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    con = connect(Settings.from_env().warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT window_start, count(*) FROM raw.hub_children_counts GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        logged = con.execute("SELECT window_start FROM meta.snapshot_log ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert rows == [(FIRST, ROWS_PER_WINDOW)]  # window 0 intact, nothing of window 1
    assert logged == [(FIRST,)]
    # and the next writer loads it whole
    subprocess.run([sys.executable, "-m", "tests.lake_writer", "1"], cwd=PROJECT, check=True)


def test_two_overlapping_writers_equal_a_serial_run(pg_lake, postgres, s3_env, monkeypatch):
    """A backfill and a scheduled run at once: overlapping windows, the same tables and view; conflicting commits
    are retried; the result equals loading the same windows one writer after the other."""
    a, b = writer(*map(str, range(0, 8))), writer(*map(str, range(4, 12)))
    out_a, err_a = a.communicate(timeout=300)
    out_b, err_b = b.communicate(timeout=300)
    assert a.returncode == 0 and b.returncode == 0, err_a + err_b
    concurrent = lake_checksums()
    n_retries = sum(int(out.split("RETRIES ")[1]) for out in (out_a, out_b))

    monkeypatch.setenv("HUBSIGNAL_WAREHOUSE", postgres.lake_uri(postgres.new_database()))
    monkeypatch.setenv("HUBSIGNAL_LAKE_DATA_PATH", f"s3://{s3_env.new_bucket()}/serial/")
    for args in (range(0, 8), range(4, 12)):
        subprocess.run([sys.executable, "-m", "tests.lake_writer", *map(str, args)], cwd=PROJECT, check=True)
    serial = lake_checksums()
    assert concurrent == serial
    assert concurrent["raw.hub_children_counts"][0] == 12 * ROWS_PER_WINDOW  # nothing lost, nothing twice
    assert concurrent["meta.snapshot_log"][0] == 12
    print(f"conflicting commits retried: {n_retries}")


def test_as_of_reads_an_earlier_state(pg_lake, capsys):
    subprocess.run([sys.executable, "-m", "tests.lake_writer", "0", "1"], cwd=PROJECT, check=True)
    time.sleep(1.0)
    between = datetime.now(UTC)
    time.sleep(1.0)
    subprocess.run([sys.executable, "-m", "tests.lake_writer", "2"], cwd=PROJECT, check=True)
    query = "SELECT count(DISTINCT window_start) AS windows FROM raw.hub_children_counts"
    capsys.readouterr()
    assert main(["sql", query]) == 0
    assert capsys.readouterr().out.split()[-1] == "3"
    assert main(["sql", "--as-of", between.strftime("%Y-%m-%dT%H:%M:%S"), query]) == 0
    assert capsys.readouterr().out.split()[-1] == "2"
    assert main(["sql", "--as-of", (between - timedelta(days=1)).isoformat(), query]) == 1  # before the lake existed


def test_dagster_instance_on_postgres_runs_the_demo_job(home, tmp_path, monkeypatch, postgres, capfd):
    import psycopg2

    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copyfile(PROJECT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    dbname = postgres.new_database()
    for name, value in {
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_DB": dbname,
        "DAGSTER_PG_USERNAME": postgres.user,
        "DAGSTER_PG_PASSWORD": postgres.password,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["demo", "--windows", "2"]) == 0
    con = psycopg2.connect(
        host="127.0.0.1", port=postgres.port, user=postgres.user, password=postgres.password, dbname=dbname
    )
    try:
        cur = con.cursor()
        cur.execute("SELECT status FROM runs")
        statuses = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT count(*) FROM event_logs")
        n_events = cur.fetchone()[0]
    finally:
        con.close()
    assert statuses == ["SUCCESS"] and n_events > 100
    output = capfd.readouterr()
    assert postgres.password not in output.out + output.err
    assert not files_containing(dagster_home, [postgres.password])
    assert not files_containing(home, [postgres.password])


def test_deploy_files_are_complete():
    """deploy/ is not run here (no container engine): check it parses and wires what docs/scale-out.md says."""
    import yaml

    compose = yaml.safe_load((PROJECT / "deploy" / "compose.yaml").read_text())
    assert {"postgres", "minio", "code", "webserver", "daemon"} <= set(compose["services"])
    for name in ("code", "webserver", "daemon"):
        env = compose["services"][name]["environment"]
        assert env["HUBSIGNAL_WAREHOUSE"].startswith("ducklake:postgres:")
        assert env["HUBSIGNAL_LAKE_DATA_PATH"].startswith("s3://")
        assert "password=" not in env["HUBSIGNAL_WAREHOUSE"]  # PGPASSWORD, from the environment
    workspace = yaml.safe_load((PROJECT / "deploy" / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"]["port"] == 4000
    dockerfile = (PROJECT / "deploy" / "Dockerfile").read_text().splitlines()
    instructions = [line.split()[0] for line in dockerfile if line.strip() and not line.startswith(("#", " "))]
    assert instructions[0] == "FROM" and instructions[-1] == "CMD"
    assert set(instructions) <= {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "EXPOSE", "CMD"}
    for line in dockerfile:
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                assert (PROJECT / src).exists(), src
    instance = yaml.safe_load((PROJECT / "deploy" / "dagster.yaml").read_text())
    assert "postgres_db" in instance["storage"]["postgres"]
