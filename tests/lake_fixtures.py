"""Real servers on 127.0.0.1 for the DuckLake tests: a PostgreSQL cluster from Debian's package (initdb/pg_ctl in a
temporary folder, random port, password auth) and moto's S3-compatible server. Each skips with the reason when it
cannot run here. The passwords and keys are canaries: tests grep every file and the output for them."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.checksum import checksum_of

# Columns that differ between two runs of the same data (times of loading, run ids, local paths).
VOLATILE = {
    "landing_path",
    "loaded_at",
    "quarantined_at",
    "run_id",
    "released_at",
    "fetched_at_run",
    "applied_at",
    "built_at",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


@dataclass
class Postgres:
    port: int
    user: str
    password: str

    def new_database(self) -> str:
        import psycopg2

        name = f"t_{uuid.uuid4().hex[:10]}"
        con = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname="postgres"
        )
        con.autocommit = True
        try:
            con.cursor().execute(f"CREATE DATABASE {name}")
        finally:
            con.close()
        return name

    def lake_uri(self, dbname: str, with_password: bool = False) -> str:
        uri = f"ducklake:postgres:dbname={dbname} host=127.0.0.1 port={self.port} user={self.user}"
        return uri + (f" password={self.password}" if with_password else "")


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session (initdb refuses root: run as the `postgres` user then)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run installs it)")
    bin_dir = Path(found[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="hubsignal-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run initdb as")
        os.chmod(folder, 0o755)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    password = f"pg-canary-{secrets.token_hex(8)}"
    pwfile = folder / "pw"
    pwfile.write_text(password)
    if run_as:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    data, port = folder / "data", free_port()

    def run(*cmd):
        subprocess.run([*run_as, *cmd], check=True, capture_output=True, timeout=120)

    try:
        run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "hub",
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
        )
        pwfile.unlink()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"cannot start PostgreSQL here: {exc.stderr.decode(errors='replace')[-300:]}")
    try:
        yield Postgres(port, "hub", password)
    finally:
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class S3:
    endpoint: str
    key_id: str
    secret: str

    def new_bucket(self) -> str:
        import boto3

        name = f"lake-{uuid.uuid4().hex[:10]}"
        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            region_name="us-east-1",
        ).create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server():
    """moto's server mode: an S3-compatible endpoint on 127.0.0.1 (any keys are accepted: canaries here)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield S3(
            f"http://127.0.0.1:{port}",
            f"AKIACANARY{secrets.token_hex(5).upper()}",
            f"s3-canary-{secrets.token_hex(12)}",
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_env(s3_server, monkeypatch) -> S3:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return s3_server


@pytest.fixture
def pg_lake(home, postgres, s3_env, monkeypatch) -> str:
    """HUBSIGNAL_WAREHOUSE: a new DuckLake with its catalog in Postgres and its data in a new S3 bucket."""
    uri = postgres.lake_uri(postgres.new_database())
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    monkeypatch.setenv("HUBSIGNAL_WAREHOUSE", uri)
    monkeypatch.setenv("HUBSIGNAL_LAKE_DATA_PATH", f"s3://{s3_env.new_bucket()}/warehouse/")
    return uri


def checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Order-independent checksum of every table and view of raw/staging/marts/meta in the connection's current
    database (a DuckDB file or an attached, USEd DuckLake): /work/tools/checksum.py's rule, on a connection."""
    objects = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name IN ('raw', 'staging', 'marts', 'meta') AND table_name <> 'ddl_applied' "
        "UNION SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name IN ('raw', 'staging', 'marts', 'meta') ORDER BY ALL"
    ).fetchall()
    return {f"{schema}.{table}": checksum_of(con, schema, table, volatile=VOLATILE) for schema, table in objects}


def files_containing(root: Path, needles: list[str]) -> list[str]:
    """Every file under root whose bytes (or gunzipped bytes) contain one of the needles."""
    import gzip

    hits = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            try:
                data += gzip.decompress(data)
            except OSError:
                pass
        hits += [f"{path}: {n[:12]}..." for n in needles if n.encode() in data]
    return hits
