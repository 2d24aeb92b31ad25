"""Fault injection: kill -9 anywhere, overlapping writers, 429 storms, hangs, resets, corrupt bodies, changed
landed files, a full disk, an analyst holding the published copy. Prints, per scenario: trials, recoveries,
windows lost (must be 0) and rows duplicated (must be 0), then the time it took.

    .venv/bin/python benchmarks/bench_faults.py [--trials 2] [--windows 4] [--only kill_backfill,...]

Idempotence: after each killed run, the same command again must leave every raw, staging and mart table (and
meta.snapshot_log) identical to an uninterrupted run, by an order-independent checksum (tests/checksum.py).
Real processes (the `hubsignal` command, SIGKILL), real Dagster instances, real DuckDB files; HTTP faults come
from the fake Hub on 127.0.0.1 (tests/fakes/fake_hub.py) through the real huggingface_hub client.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from hubsignal import landing as lz  # noqa: E402
from tests.checksum import duplicate_rows, table_checksums  # noqa: E402
from tests.snapshot_runs import full_disk_open, refetch_landed, run_loader  # noqa: E402

HUBSIGNAL = str(Path(sys.executable).parent / "hubsignal")
ACCEPTED = ("observed", "imported")


@dataclass
class Figures:
    name: str
    trials: int = 0
    recoveries: int = 0
    windows_lost: int = 0
    rows_duplicated: int = 0
    note: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.name:<22} trials {self.trials:>2}  recoveries {self.recoveries:>2}  windows lost "
            f"{self.windows_lost}  rows duplicated {self.rows_duplicated}  ({self.seconds:.0f} s) {self.note}"
        )


def env_for(home: Path, dagster_home: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSIGNAL_", "DAGSTER_", "HF_"))}
    env |= {
        "HUBSIGNAL_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "HUBSIGNAL_OFFLINE": "1",
        "HUBSIGNAL_GX": "off",
        "HF_HOME": str(home.parent / "hf_home"),
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "LIVEBENCH_BASE_URL": "http://127.0.0.1:9",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    return env | more


def cli(env: dict, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([HUBSIGNAL, *args], cwd=PROJECT, env=env, capture_output=True, timeout=timeout)


def start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [HUBSIGNAL, *args], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def accepted_windows(warehouse: Path) -> set[tuple[str, str]]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT source, window_key, status FROM meta.snapshot_log").fetchall()
    finally:
        con.close()
    return {(s, k) for s, k, status in rows if status in ACCEPTED}


DIFFERING: list[str] = []  # tables that differed from the reference in the last comparison


def compare(reference: dict, ref_windows: set, warehouse: Path) -> tuple[bool, int, int]:
    """(identical to the reference, windows lost, rows duplicated)."""
    if not warehouse.exists():
        return False, len(ref_windows), 0
    sums = table_checksums(warehouse)
    DIFFERING[:] = sorted(t for t in set(sums) | set(reference) if sums.get(t) != reference.get(t))
    lost = len(ref_windows - accepted_windows(warehouse))
    extra = sum(max(0, sums.get(t, (0, 0))[0] - n) for t, (n, _) in reference.items())
    dup = extra + sum(duplicate_rows(warehouse).values())
    return sums == reference, lost, dup


def fresh(root: Path, template_landing: Path | None) -> tuple[Path, Path]:
    """The same paths every trial (messages that name files then compare equal), emptied and re-seeded."""
    home, dagster_home = root / "home", root / "dagster_home"
    shutil.rmtree(root, ignore_errors=True)
    home.mkdir(parents=True)
    if template_landing is not None:
        shutil.copytree(template_landing, home / "landing")
    dagster_home.mkdir()
    shutil.copy(PROJECT / "dagster.yaml", dagster_home / "dagster.yaml")
    return home, dagster_home


def temp_folders(landing: Path) -> int:
    return sum(1 for p in landing.glob("*/.tmp-*")) if landing.exists() else 0


# ------------------------------------------------------------------------------------------- SIGKILL


def kill_trials(fig: Figures, root: Path, template: Path | None, command: list[str], trials: int, rng) -> None:
    """Uninterrupted reference run, then per trial: the same command killed with SIGKILL at a random moment,
    run again to completion, compared with the reference."""
    home, dagster_home = fresh(root, template)
    env = env_for(home, dagster_home)
    began = time.monotonic()
    done = cli(env, *command)
    duration = time.monotonic() - began
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    reference, ref_windows = table_checksums(home / "warehouse.duckdb"), accepted_windows(home / "warehouse.duckdb")
    for _ in range(trials):
        home, dagster_home = fresh(root, template)
        env = env_for(home, dagster_home)
        proc = start(env, *command)
        time.sleep(rng.uniform(0.5, duration * 0.9))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        fig.trials += 1
        again = cli(env, *command)
        same, lost, dup = compare(reference, ref_windows, home / "warehouse.duckdb")
        fig.windows_lost += lost
        fig.rows_duplicated += dup
        if again.returncode == 0 and same and temp_folders(home / "landing") == 0:
            fig.recoveries += 1
        else:
            fig.note += f"[trial {fig.trials}: exit {again.returncode}, differing {DIFFERING[:4]}] "
    fig.note += f"reference run {duration:.0f} s"


def write_dumps(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    days = ["2026-10-01T10:30:00Z", "2026-10-01T22:00:00Z", "2026-10-02T10:30:00Z"]
    out = []
    for i, day in enumerate(days):
        models = [
            {
                "id": f"Qwen/Qwen3-{n}B",
                "downloads": 1000 * (n + 1) * (i + 1),
                "likes": n,
                "createdAt": "2025-04-27T03:42:17.000Z",
            }
            for n in range(20)
        ] + [{"id": f"meta-llama/Llama-3.{n}-8B", "downloads": 700 * (n + 1) + i, "likes": 2} for n in range(20)]
        path = folder / f"dump{i}.json"
        path.write_text(json.dumps({"date": day[:10], "fetched_at": day, "models": models}))
        out.append(path)
    return out


# ------------------------------------------------------------------------------------------ writers


def two_writers(fig: Figures, root: Path, template: Path, first: str, last: str, dumps: list[Path], trials: int):
    """Backfill + a scheduled-style single-window run at once, and two imports at once, each pair on its own
    Dagster instance (so the pool does not queue them: the warehouse lock must)."""
    for pair in ("backfill+run", "import+import"):
        tpl = template if pair == "backfill+run" else None
        home, dagster_home = fresh(root, tpl)
        env = env_for(home, dagster_home)
        commands = (
            [["backfill", first, last], ["run", "--window", last]]
            if pair == "backfill+run"
            else [["import", *map(str, dumps)]] * 2
        )
        assert cli(env, *commands[0]).returncode == 0
        reference, ref_windows = table_checksums(home / "warehouse.duckdb"), accepted_windows(home / "warehouse.duckdb")
        for _ in range(trials):
            home, dagster_home = fresh(root, tpl)
            envs = [env_for(home, dagster_home), env_for(home, root / f"other_instance_{pair}")]
            procs = [
                subprocess.Popen([HUBSIGNAL, *c], cwd=PROJECT, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for c, e in zip(commands, envs, strict=True)
            ]
            codes = [p.wait(timeout=900) for p in procs]
            fig.trials += 1
            if pair == "import+import" and 0 not in codes[1:]:
                cli(envs[0], *commands[0])  # the loser's input: importing it again is the recovery
            same, lost, dup = compare(reference, ref_windows, home / "warehouse.duckdb")
            fig.windows_lost += lost
            fig.rows_duplicated += dup
            if same and codes[0] == 0:
                fig.recoveries += 1
            fig.note += f"[{pair}: exits {codes}, identical {same}] "
            shutil.rmtree(root / f"other_instance_{pair}", ignore_errors=True)


# ------------------------------------------------------------------------------------------ HTTP faults


def live_fetch_trials(fig: Figures, root: Path, faults, trials: int, gzip: bool = False) -> None:
    """A live window fetched through the real client from a fake Hub that misbehaves (`faults(hub)`); a run
    that fails lands nothing, the next one (faults over) lands the window once."""
    from hubsignal.families import load_families
    from hubsignal.http import HttpPolicy
    from hubsignal.hub.client import HubClient
    from hubsignal.hub.fetch import fetch_hub_models
    from hubsignal.settings import DEFAULT_FAMILIES_FILE
    from hubsignal.sources import HUB_MODELS
    from hubsignal.windows import latest_closed_window
    from tests.fakes.fake_hub import FakeHub
    from tests.hub_fixtures import MODELS

    families = load_families(DEFAULT_FAMILIES_FILE)
    window = latest_closed_window()
    tracked = sum(1 for m in MODELS if m["id"].split("/")[0] in families.orgs)
    for _ in range(trials):
        home, _ = fresh(root, None)
        with FakeHub(models=MODELS, page_size=2, gzip=gzip) as hub:
            faults(hub)
            policy = HttpPolicy(endpoint=hub.url, timeout_s=0.5, max_attempts=3, backoff_base_s=0.05, backoff_max_s=0.2)
            attempts, report = 0, None
            while attempts < 4:
                attempts += 1
                client = HubClient(policy)
                report = run_loader(
                    HUB_MODELS,
                    [window],
                    home,
                    live_window=window,
                    fetch=lambda w, c=client: (
                        fetch_hub_models(c, families.orgs, log=lambda _: None),
                        {"orgs": families.orgs},
                    ),
                )
                if not report.fetch_failed:
                    break
                hub._faults.clear()  # the storm is over: the next scheduled run meets a healthy Hub
        fig.trials += 1
        import duckdb

        con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
        rows = con.execute("SELECT count(*), count(DISTINCT model_id) FROM raw.hub_models").fetchone()
        con.close()
        landed = lz.is_landed(home / "landing", "hub_models", report and window.strftime("%Y-%m-%d-%H:%M"))
        fig.windows_lost += 0 if landed and rows[0] else 1
        fig.rows_duplicated += rows[0] - rows[1] + max(0, rows[1] - tracked)
        if landed and rows[1] == tracked and temp_folders(home / "landing") == 0:
            fig.recoveries += 1
        fig.note += f"[{attempts} run(s), {len(hub.requests)} requests] "


# ------------------------------------------------------------------------------------------ landed data


def sample(home: Path, n_windows: int) -> list[str]:
    from demo.hub import build_sample_archive
    from hubsignal.families import load_families
    from hubsignal.settings import DEFAULT_FAMILIES_FILE

    families = load_families(DEFAULT_FAMILIES_FILE)
    return build_sample_archive(home / "landing", families, n_windows=n_windows, broken_window=None).window_keys


def load(home: Path, keys: list[str]):
    from hubsignal.sources import HUB_MODELS

    return run_loader(HUB_MODELS, keys, home)


def changed_file_trials(fig: Figures, root: Path, trials: int, rng) -> None:
    """A byte flipped in a landed file after its load: `hubsignal verify` quarantines the window naming the
    file; a re-run keeps it out (never silently reloaded); the other windows stay."""
    for _ in range(trials):
        home, dagster_home = fresh(root, None)
        keys = sample(home, 3)
        load(home, keys)
        before = accepted_windows(home / "warehouse.duckdb")
        key = rng.choice(keys)
        victim = rng.choice(sorted(lz.window_dir(home / "landing", "hub_models", key).glob("*.gz")))
        data = bytearray(victim.read_bytes())
        data[rng.randrange(len(data))] ^= 0x01
        victim.write_bytes(bytes(data))
        verify = cli(env_for(home, dagster_home), "verify")
        rerun = load(home, keys)
        fig.trials += 1
        after = accepted_windows(home / "warehouse.duckdb")
        fig.windows_lost += len(before - after - {("hub_models", key)})
        fig.rows_duplicated += sum(duplicate_rows(home / "warehouse.duckdb").values())
        named = str(victim) in verify.stderr.decode() and str(victim) in rerun.quarantined.get(key, "")
        if verify.returncode == 1 and named and ("hub_models", key) not in after:
            fig.recoveries += 1  # "recovered" = caught, named, kept out


def disk_full_trials(fig: Figures, root: Path, trials: int, rng) -> None:
    """OSError(ENOSPC) part-way through landing a window: nothing lands, no temp folder stays, the window is
    not recorded as observed; once space is back the next attempt lands and loads it."""
    from hubsignal.windows import parse_window_key

    for _ in range(trials):
        home, _ = fresh(root, None)
        src = root / "src"
        shutil.rmtree(src, ignore_errors=True)
        keys = sample(src, 1)
        window, fetch = refetch_landed(src / "landing", "hub_models", keys[0])
        fail_at = rng.randrange(len(window.files) + 1)  # the n-th write; len(files) = the manifest

        from hubsignal.sources import HUB_MODELS

        def live_run():
            return run_loader(HUB_MODELS, keys[:1], home, live_window=parse_window_key(keys[0]), fetch=fetch)

        lz.open = full_disk_open(fail_at)  # the landing module's own `open`: only landing writes meet the full disk
        try:
            report = live_run()
        finally:
            del lz.open
        clean = not lz.is_landed(home / "landing", "hub_models", keys[0]) and temp_folders(home / "landing") == 0
        clean = clean and "No space left" in report.fetch_failed.get(keys[0], "")
        after = live_run()  # space is back: the next run fetches and lands the window
        fig.trials += 1
        fig.windows_lost += 0 if after.loaded == keys and after.fetched_live == keys else 1
        fig.rows_duplicated += sum(duplicate_rows(home / "warehouse.duckdb").values())
        if clean and after.loaded == keys:
            fig.recoveries += 1


def analyst_trials(fig: Figures, root: Path, template: Path, first: str, last: str, trials: int) -> None:
    """An analyst holds the published copy open read-only (and queries it) during a backfill: the run finishes,
    every query answers, and a reopened copy shows the new data."""
    import duckdb

    home, dagster_home = fresh(root, template)
    env = env_for(home, dagster_home)
    assert cli(env, "backfill", first, first).returncode == 0  # a first published copy
    for _ in range(trials):
        reader = duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True)
        failures, queries, stop = [], [0], threading.Event()

        def poll():
            while not stop.is_set():
                try:
                    reader.execute("SELECT count(*) FROM meta.snapshot_log").fetchone()
                    queries[0] += 1
                except Exception as exc:  # noqa: BLE001
                    failures.append(exc)
                time.sleep(0.2)

        thread = threading.Thread(target=poll)
        thread.start()
        run = cli(env, "backfill", first, last)
        stop.set()
        thread.join()
        reader.close()
        fig.trials += 1
        fresh_copy = accepted_windows(home / "published" / "warehouse.duckdb")
        fig.rows_duplicated += sum(duplicate_rows(home / "warehouse.duckdb").values())
        fig.windows_lost += len(accepted_windows(home / "warehouse.duckdb") - fresh_copy)
        if run.returncode == 0 and not failures and queries[0] > 0:
            fig.recoveries += 1
        fig.note += f"[{queries[0]} queries, {len(failures)} failed] "
    fig.note = fig.note.strip()


def secrets_dev(fig: Figures, root: Path, dumps: list[Path], seconds: float = 60) -> None:
    """`dagster dev` (webserver + daemon: the inbox sensor imports a dropped dump and requests a run) for a
    minute with a canary HF_TOKEN; then every file under HUBSIGNAL_HOME and DAGSTER_HOME (SQLite storage
    included) and the captured output are searched for it. Recovery = 0 hits."""
    import socket

    from tests.test_secrets import files_holding

    canary = "canary-dev-5e1b0-never-write-me"
    home, dagster_home = fresh(root, None)
    (home / "inbox").mkdir()
    shutil.copy(dumps[0], home / "inbox" / dumps[0].name)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = env_for(home, dagster_home, HF_TOKEN=canary)
    out = root / "dev_output.txt"
    with open(out, "wb") as fh:
        dev = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster"), "dev", "-m", "pipelines.definitions", "-p", str(port)],
            cwd=PROJECT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped below by that group's id only
        )
        time.sleep(seconds)
        os.killpg(dev.pid, signal.SIGTERM)
        try:
            dev.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()
    needle = canary.encode()
    hits = files_holding(home, needle) + files_holding(dagster_home, needle) + files_holding(root, needle)
    fig.trials = 1
    fig.recoveries = 0 if hits else 1
    imported = sorted(p.name for p in (home / "inbox" / "done").iterdir()) if (home / "inbox" / "done").exists() else []
    scanned = sum(1 for p in [*home.rglob("*"), *dagster_home.rglob("*")] if p.is_file())
    fig.note = (
        f"{seconds:.0f} s of dagster dev, {scanned} files scanned, canary hits {len(set(hits))}, inbox done {imported}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--windows", type=int, default=4, help="demo windows the backfill trials cover")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    only = set(filter(None, args.only.split(",")))
    tmp = Path(tempfile.mkdtemp(prefix="bench_faults_"))
    template_home, template_dagster = fresh(tmp / "template", None)
    made = cli(env_for(template_home, template_dagster), "demo", "--windows", str(args.windows))
    assert made.returncode == 0, made.stdout.decode()[-2000:]
    keys = sorted(p.name for p in (template_home / "landing" / "hub_models").iterdir() if not p.name.startswith("."))
    first, last = keys[0], keys[-1]
    template = template_home / "landing"
    dumps = write_dumps(tmp / "dumps")
    print(f"fault injection over {len(keys)} demo windows {first} .. {last}, {args.trials} trial(s) each")
    from hubsignal.imports.common import walk_windows

    began, n_bytes, n_windows = time.monotonic(), 0, 0
    for folder in walk_windows(template):
        source = "/".join(folder.relative_to(template).parts[:-1])
        assert not lz.file_problems(template, source, folder.name)
        n_bytes += sum(p.stat().st_size for p in folder.glob("*.gz"))
        n_windows += 1
    spent = time.monotonic() - began
    print(
        f"re-hash of skipped windows (what every re-run now adds): {n_windows} landed windows, "
        f"{n_bytes / 1e6:.1f} MB in {spent:.2f} s ({n_bytes / 1e6 / max(spent, 1e-9):.0f} MB/s)"
    )

    def storm(hub):  # every listing request limited for a while, with RateLimit and Retry-After
        hub.add_fault("429", times=4, retry_after=1)

    scenarios = {
        "kill_backfill": lambda f: kill_trials(f, tmp / "t", template, ["backfill", first, last], args.trials, rng),
        "kill_import": lambda f: kill_trials(f, tmp / "t", None, ["import", *map(str, dumps)], args.trials, rng),
        "two_writers": lambda f: two_writers(f, tmp / "t", template, first, last, dumps, max(1, args.trials // 2)),
        "429_storm": lambda f: live_fetch_trials(f, tmp / "t", storm, args.trials + 1),
        "hang": lambda f: live_fetch_trials(f, tmp / "t", lambda h: h.add_fault("hang", seconds=3), args.trials + 1),
        "reset_mid_body": lambda f: live_fetch_trials(
            f, tmp / "t", lambda h: h.add_fault("truncated", short_read=True), args.trials + 1
        ),
        "truncated_gzip": lambda f: live_fetch_trials(
            f, tmp / "t", lambda h: h.add_fault("truncated", times=3), args.trials + 1, gzip=True
        ),
        "non_json_page": lambda f: live_fetch_trials(
            f, tmp / "t", lambda h: h.add_fault("not_json", times=3), args.trials + 1
        ),
        "changed_landed_file": lambda f: changed_file_trials(f, tmp / "t", args.trials + 1, rng),
        "disk_full": lambda f: disk_full_trials(f, tmp / "t", args.trials + 1, rng),
        "analyst_reader": lambda f: analyst_trials(f, tmp / "t", template, first, last, args.trials),
        "secrets_dev": lambda f: secrets_dev(f, tmp / "t", dumps),
    }
    failed = 0
    for name, run in scenarios.items():
        if only and name not in only:
            continue
        fig, began = Figures(name), time.monotonic()
        try:
            run(fig)
        except Exception as exc:  # noqa: BLE001  (a scenario that breaks is a figure too)
            fig.note += f"SCENARIO ERROR {type(exc).__name__}: {exc}"[:300]
        fig.seconds = time.monotonic() - began
        print(fig.line(), flush=True)
        failed += fig.windows_lost or fig.rows_duplicated or fig.recoveries != fig.trials or "ERROR" in fig.note
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"scenarios with a loss, a duplicate or a trial that did not recover: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
