"""Issue 15: a canary HF_TOKEN run through every command -- demo, run (live, against the fake Hub), backfill,
import, status, verify, report, Dagster definitions validation and a sensor and schedule tick on the persistent
instance -- is sent to the Hub as a bearer token but found nowhere else: not under HUBSIGNAL_HOME (landing
zone, warehouse and its published copy, logs, report), not in the Dagster instance (its SQLite event and run
storage included), not in HF_HOME, not in anything the commands printed. `make dev` for a minute is
benchmarks/bench_faults.py's `secrets_dev` scenario (too long for the suite)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fakes.fake_hub import FakeHub
from tests.fakes.fake_livebench import FakeLiveBench
from tests.hub_fixtures import CHILDREN, MODELS
from tests.test_imports import _write

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CANARY = "canary-7f3a9e1d-never-write-me"


def files_holding(root: Path, needle: bytes) -> list[str]:
    """Every file under root whose bytes contain needle (binary files too: SQLite, DuckDB, gzip bodies are
    checked decompressed as well, since a token in a landed body would be compressed)."""
    import gzip

    hits = []
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            try:
                data += gzip.decompress(data)
            except (OSError, EOFError):
                pass
        if needle in data:
            hits.append(str(path))
    return hits


def test_a_canary_token_reaches_the_hub_and_nothing_else(tmp_path):
    home, dagster_home, hf_home = tmp_path / "home", tmp_path / "dagster_home", tmp_path / "hf_home"
    livebench_files = {"table_2024_08_31.csv": "model,r1\nm,1\n", "categories_2024_08_31.json": '{"R": ["r1"]}'}
    outputs = []
    with FakeHub(models=MODELS, children=CHILDREN, page_size=2) as hub, FakeLiveBench(livebench_files) as lb:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HUBSIGNAL_", "DAGSTER_", "HF_"))},
            "HF_TOKEN": CANARY,
            "HUBSIGNAL_HOME": str(home),
            "DAGSTER_HOME": str(dagster_home),
            "HF_HOME": str(hf_home),
            "HF_ENDPOINT": hub.url,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "LIVEBENCH_BASE_URL": lb.url,
            "LIVEBENCH_RELEASES": "2024-08-31",
            "HUBSIGNAL_GX": "off",
            "HUBSIGNAL_HUB_TIMEOUT_S": "5",
        }

        def run(*args: str, ok=(0,), exe="hubsignal") -> str:
            proc = subprocess.run([str(BIN / exe), *args], cwd=PROJECT, env=env, capture_output=True, timeout=300)
            out = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
            outputs.append(out)
            assert proc.returncode in ok, f"{exe} {' '.join(args)} exited {proc.returncode}:\n{out[-3000:]}"
            return out

        run("demo", "--windows", "2")  # offline, but the token is in its environment all the same
        first = json.loads(next((home / "landing" / "hub_models").glob("*/manifest.json")).read_text())["window_key"]
        # before the live run: the import's run reaches the next landed window, which must stay near
        run("import", str(_write(tmp_path / "dump.json", fetched_at="2026-10-01T22:00:00Z")))
        run("backfill", first, first)
        run("run")  # live: lands the window that just closed from the fake Hub, with the token
        run("status", "--windows")
        run("verify")
        run("report", "--rebuild")
        run("definitions", "validate", "-m", "pipelines.definitions", exe="dagster")
        tick = (
            "import dagster as dg\n"
            "from pipelines.definitions import defs\n"
            "instance = dg.DagsterInstance.get()\n"
            "sensor = defs.get_sensor_def('inbox_sensor')\n"
            "with dg.build_sensor_context(instance=instance, resources=defs.resources) as ctx:\n"
            "    print(sensor(ctx))\n"
            "schedule = defs.get_schedule_def('hubsignal_6h_schedule')\n"
            "with dg.build_schedule_context(instance=instance) as ctx:\n"
            "    print(schedule.evaluate_tick(ctx))\n"
        )
        run("-c", tick, exe="python")
        sent = [r for r in hub.requests if r.headers.get("authorization") == f"Bearer {CANARY}"]
    assert sent, "the live run never sent the token: the canary proves nothing"
    assert all(CANARY not in r.path + json.dumps(r.query) for r in hub.requests)  # a header, never the URL

    needle = CANARY.encode()
    assert files_holding(home, needle) == []
    assert files_holding(dagster_home, needle) == []
    assert (dagster_home / "history").exists() or any(dagster_home.rglob("*.db"))  # SQLite storage was written
    assert files_holding(hf_home, needle) == []
    assert [o for o in outputs if CANARY in o] == []
    live = [json.loads(p.read_text()) for p in (home / "landing").rglob("manifest.json")]
    live = [m for m in live if m.get("origin") == "live"]
    urls = [f["url"] for m in live for f in m["files"] if f.get("url")]  # derived files (card scores) have none
    assert urls and all(CANARY not in u and "token" not in u.lower() for u in urls)
    shutil.rmtree(tmp_path, ignore_errors=True)
