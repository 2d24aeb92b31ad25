"""What `hubsignal backfill` / `hubsignal run` print: a fresh instance without Dagster's first-run notices,
a progress line, a summary naming the log file, and one clear last line when a run fails."""

import os
import re
import subprocess
import sys
from pathlib import Path

from demo.hub import build_sample_archive
from hubsignal.families import load_families
from hubsignal.settings import DEFAULT_FAMILIES_FILE

HUBSIGNAL = os.path.join(os.path.dirname(sys.executable), "hubsignal")
FIRST_RUN_NOISE = ("Welcome to Dagster", "No dagster instance configuration", "telemetry")
# A raw Dagster event line as its console logger prints it: "... - dagster - DEBUG - hubsignal_6h - <run id> - ..."
RAW_EVENT_LINE = re.compile(r" - dagster - (DEBUG|INFO) - ")


def _env(tmp_path: Path, **extra: str) -> dict:
    env = {
        **os.environ,
        "HUBSIGNAL_HOME": str(tmp_path / "home"),
        "DAGSTER_HOME": str(tmp_path / "instance" / "new"),
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "LIVEBENCH_BASE_URL": "http://127.0.0.1:9",
        "HUBSIGNAL_HUB_TIMEOUT_S": "1",
        "HUBSIGNAL_HUB_MAX_ATTEMPTS": "2",
        "HUBSIGNAL_GX": "off",
        **extra,
    }
    for name in ("HUBSIGNAL_WAREHOUSE", "HUBSIGNAL_FAMILIES", "HF_TOKEN", "VERBOSE"):
        if name not in extra:
            env.pop(name, None)
    return env


def _hubsignal(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HUBSIGNAL, *args], cwd=tmp_path, env=_env(tmp_path, **env), capture_output=True, text=True, timeout=600
    )


def _sample(tmp_path: Path, n_windows: int = 3) -> list[str]:
    families = load_families(DEFAULT_FAMILIES_FILE)
    return build_sample_archive(tmp_path / "home" / "landing", families, n_windows=n_windows).window_keys


def test_backfill_prepares_the_instance_and_prints_progress_and_a_summary(tmp_path):
    keys = _sample(tmp_path)
    proc = _hubsignal(tmp_path, "backfill", keys[0], keys[-1], HUBSIGNAL_OFFLINE="1")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out

    instance = tmp_path / "instance" / "new"
    assert (instance / "dagster.yaml").is_file()
    assert "enabled: false" in (instance / "dagster.yaml").read_text()
    for noise in FIRST_RUN_NOISE:
        assert noise.lower() not in out.lower(), noise
    assert not RAW_EVENT_LINE.search(out), out

    lines = proc.stdout.splitlines()
    assert "\r" not in proc.stdout  # not a terminal: plain lines
    assert any(re.match(r"\[\d+/\d+ steps\] done raw/hub_models · \d+:\d\d elapsed", line) for line in lines), out
    assert re.search(r"^hub_models\s+3\s+0\s+0\s+0$", proc.stdout, re.M), out  # loaded/unchanged/missing/quarantined
    assert re.search(r"^Quality checks: \d+ passed, \d+ warned, 0 failed", proc.stdout, re.M), out
    assert f"Published copy: {tmp_path / 'home' / 'published' / 'warehouse.duckdb'}" in proc.stdout
    log_line = next(line for line in lines if line.startswith("Log file:"))
    log_file = Path(log_line.split(":", 1)[1].strip())
    assert log_file.parent == tmp_path / "home" / "logs" and "-backfill-" in log_file.name
    log = log_file.read_text()
    assert "RUN_START" in log and "STEP_SUCCESS" in log and "raw__hub_models" in log

    # Again: nothing changed, so every window is unchanged; the instance is reused as it is.
    again = _hubsignal(tmp_path, "backfill", keys[0], keys[-1], HUBSIGNAL_OFFLINE="1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.search(r"^hub_models\s+0\s+3\s+0\s+0$", again.stdout, re.M), again.stdout


def test_a_failed_live_run_ends_with_the_window_source_and_reason(tmp_path):
    # Not offline: the window that just closed is fetched live from a dead endpoint.
    proc = _hubsignal(tmp_path, "run")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert re.match(r"FAILED raw/\w+: \w+ window \d{4}-\d\d-\d\d-\d\d:\d\d: live fetch failed: .*Connect", last), last
    assert "Log file:" in proc.stdout and "FAILED after" in proc.stdout
    assert not RAW_EVENT_LINE.search(proc.stdout + proc.stderr)
    assert "retry 1/1" not in proc.stderr  # the HTTP policy's retry notices go to the log file


def test_verbose_shows_dagster_events_and_a_bad_window_key_is_one_line(tmp_path):
    keys = _sample(tmp_path, n_windows=1)
    proc = _hubsignal(tmp_path, "backfill", keys[0], keys[0], HUBSIGNAL_OFFLINE="1", VERBOSE="1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert RAW_EVENT_LINE.search(proc.stderr) and "STEP_START" in proc.stderr

    bad = _hubsignal(tmp_path, "backfill", "2026-10-01-04:00", keys[0], HUBSIGNAL_OFFLINE="1")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: window key '2026-10-01-04:00' is not a window start (windows start 03:00, 09:00, 15:00, 21:00 UTC)"
    ]
