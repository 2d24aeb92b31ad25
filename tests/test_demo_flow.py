"""`make demo`'s flow on a small sample, and the single-run backfill contract."""

import os
import subprocess
import sys

from demo.hub import build_sample_archive
from hubsignal.families import load_families
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from pipelines.cli import run_windows
from tests.conftest import query

TABLES = {
    "raw.hub_models": "SELECT * FROM raw.hub_models ORDER BY window_start, model_id",
    "raw.hub_children_counts": "SELECT * FROM raw.hub_children_counts ORDER BY window_start, model_id, relation",
    "marts.family_downloads": "SELECT * FROM marts.family_downloads ORDER BY window_start, family",
    "meta.snapshot_log": "SELECT source, window_key, status, origin, n_records FROM meta.snapshot_log ORDER BY 1, 2",
}


def test_demo_command_runs_offline_on_a_small_sample(tmp_path):
    env = {
        **os.environ,
        "HUBSIGNAL_HOME": str(tmp_path / "demo"),
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "HF_HOME": str(tmp_path / "hf"),
    }
    env.pop("DAGSTER_HOME", None)
    hubsignal = os.path.join(os.path.dirname(sys.executable), "hubsignal")
    proc = subprocess.run(
        [hubsignal, "demo", "--windows", "6"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "SYNTHETIC SAMPLE DATA" in out and "One Dagster run" in out and "Elapsed:" in out
    assert "cumulative_downloads" in out and "Qwen" in out
    assert "Quality checks: " in out and " 0 failed | quarantined windows: none" in out  # 6 windows: none broken
    assert (tmp_path / "demo" / "published" / "warehouse.duckdb").is_file()


def test_range_run_equals_single_window_runs(tmp_path, monkeypatch, home):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    families = load_families(DEFAULT_FAMILIES_FILE)
    keys = build_sample_archive(home / "landing", families, n_windows=5).window_keys
    assert len(keys) == 5
    assert run_windows(keys[0], keys[-1]).success
    ranged = {name: query(home, sql) for name, sql in TABLES.items()}

    single_home = tmp_path / "single"
    monkeypatch.setenv("HUBSIGNAL_HOME", str(single_home))
    build_sample_archive(single_home / "landing", families, n_windows=5)
    for key in keys:
        assert run_windows(key).success
    single = {name: query(single_home, sql) for name, sql in TABLES.items()}
    for name in TABLES:
        assert ranged[name] == single[name], name
    assert len(ranged["marts.family_downloads"]) == 5 * 17
