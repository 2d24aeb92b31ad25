"""Hermetic test set-up: a temporary HUBSIGNAL_HOME (landing zone + warehouse) and HF_HOME per test,
no telemetry, no token unless a test sets one, and nothing that can reach the internet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

# The DuckLake tests' servers (PostgreSQL, S3), started on first use only.
from tests.lake_fixtures import pg_lake, postgres, s3_env, s3_server  # noqa: F401

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("HUBSIGNAL_HOME", str(home))
    for name in ("HUBSIGNAL_WAREHOUSE", "HUBSIGNAL_OFFLINE", "HF_TOKEN", "HUBSIGNAL_FAMILIES", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    # Fail fast against the fake Hub; no test may ever reach huggingface.co.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("LIVEBENCH_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("HUBSIGNAL_HUB_TIMEOUT_S", "1")
    monkeypatch.setenv("HUBSIGNAL_HUB_MAX_ATTEMPTS", "2")
    # The great_expectations suites cost seconds per run: tests/test_quality_gx.py turns them back on.
    monkeypatch.setenv("HUBSIGNAL_GX", "off")
    return home


def query(home: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
