"""Issue 15: faults that must lose nothing and mislead no one -- an import killed before its models were
built, a landed file changed after its load (`hubsignal verify` and the re-run's re-hash). The longer
fault-injection trials (SIGKILL at random moments, two writers, 429 storms, ...) are benchmarks/bench_faults.py."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from demo.hub import build_sample_archive
from hubsignal import landing as lz
from hubsignal.families import load_families
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from hubsignal.sources import HUB_MODELS
from hubsignal.windows import parse_window_key
from pipelines.cli import main as cli
from tests.conftest import query
from tests.snapshot_runs import full_disk_open, refetch_landed, run_loader
from tests.test_imports import RANGE, _dumps, _run


def _raw_only_run(first: str, last: str):
    """A run that loaded raw/hub_models and stopped there, as a run killed after its first step does."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from pipelines.definitions import defs

    job = dg.define_asset_job("raw_only", selection=dg.AssetSelection.assets(["raw", "hub_models"]).without_checks())
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def("raw_only")
    tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), tags=tags).success


def test_an_interrupted_import_is_pending_and_importing_again_builds_it(home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    monkeypatch.setattr("pipelines.cli.run_windows", _run)
    dumps = _dumps(tmp_path / "dumps")
    assert cli(["import", *map(str, dumps), "--no-run"]) == 0
    _raw_only_run(*RANGE)  # raw rows and meta.snapshot_log `imported`, staging and marts never built
    assert query(home, "SELECT count(*) FROM meta.snapshot_log WHERE status = 'imported'") == [(2,)]
    capsys.readouterr()

    assert cli(["status"]) == 0
    out = capsys.readouterr().out
    assert "Pending: loaded but staging/marts not built yet" in out
    assert f"hubsignal backfill {RANGE[0]} {RANGE[1]}" in out

    assert cli(["import", *map(str, dumps)]) == 0
    out = capsys.readouterr().out
    assert "pending: not built yet" in out and "unchanged (already imported)" not in out
    assert f"loading {RANGE[0]} .. {RANGE[1]} in one run" in out
    assert query(home, "SELECT count(DISTINCT window_start) FROM marts.family_downloads") == [(2,)]

    assert cli(["status"]) == 0
    assert "Pending" not in capsys.readouterr().out
    assert cli(["import", *map(str, dumps)]) == 0
    assert "unchanged (already imported)" in capsys.readouterr().out


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _load_hub_models(home: Path, keys: list[str]):
    return run_loader(HUB_MODELS, keys, home)


def _sample(home: Path, n_windows: int = 2) -> list[str]:
    families = load_families(DEFAULT_FAMILIES_FILE)
    return build_sample_archive(home / "landing", families, n_windows=n_windows, broken_window=None).window_keys


def _log(home: Path, key: str) -> tuple[str, str | None]:
    return query(
        home, "SELECT status, message FROM meta.snapshot_log WHERE source = 'hub_models' AND window_key = ?", [key]
    )[0]


def _rows(home: Path, key: str) -> int:
    sql = "SELECT count(*) FROM raw.hub_models WHERE window_start = ?"
    return query(home, sql, [parse_window_key(key).replace(tzinfo=None)])[0][0]


def test_verify_quarantines_a_changed_file_and_the_next_run_keeps_it_out(home, capsys):
    keys = _sample(home)
    assert not _load_hub_models(home, keys).quarantined
    good_rows = _rows(home, keys[0])
    assert good_rows > 0
    assert cli(["verify"]) == 0
    assert "0 damaged" in capsys.readouterr().out

    damaged = sorted(lz.window_dir(home / "landing", "hub_models", keys[0]).glob("*.gz"))[0]
    original = damaged.read_bytes()
    _flip_a_byte(damaged)
    assert cli(["verify"]) == 1
    err = capsys.readouterr().err
    assert str(damaged) in err and "sha256 differs" in err and f"hubsignal backfill {keys[0]} {keys[0]}" in err
    status, message = _log(home, keys[0])
    assert status == "quarantined" and str(damaged) in message
    assert _rows(home, keys[0]) == 0 and _rows(home, keys[1]) > 0  # only the damaged window is taken out

    report = _load_hub_models(home, keys)  # a re-run reads the window again: still damaged -> still out
    assert str(damaged) in report.quarantined[keys[0]] and _rows(home, keys[0]) == 0
    damaged.write_bytes(original)  # restored to the landed bytes: the next run loads it again
    assert _load_hub_models(home, keys).loaded == [keys[0]]
    assert _rows(home, keys[0]) == good_rows and _log(home, keys[0])[0] == "observed"


def test_a_rerun_notices_a_file_changed_after_its_load(home):
    """No verify in between: the re-run's fingerprint matches, so it re-hashes the files of skipped windows."""
    keys = _sample(home)
    _load_hub_models(home, keys)
    assert _load_hub_models(home, keys).unchanged == keys
    damaged = sorted(lz.window_dir(home / "landing", "hub_models", keys[1]).glob("*.gz"))[-1]
    _flip_a_byte(damaged)
    report = _load_hub_models(home, keys)
    assert report.unchanged == [keys[0]] and str(damaged) in report.quarantined[keys[1]]
    assert _log(home, keys[1])[0] == "quarantined" and _rows(home, keys[1]) == 0
    manifest = json.loads((damaged.parent / lz.MANIFEST).read_text())
    assert damaged.name in [f["file"] for f in manifest["files"]]  # landed data is never deleted
    assert damaged.exists()


def test_disk_full_while_landing_lands_nothing_and_the_next_run_lands_it(home, monkeypatch):
    keys = _sample(home.parent / "source", 1)
    window, fetch = refetch_landed(home.parent / "source" / "landing", "hub_models", keys[0])

    def live_run():
        return run_loader(
            HUB_MODELS,
            keys[:1],
            home,
            live_window=parse_window_key(keys[0]),
            fetch=fetch,
            now=lambda: window.fetched_at,
        )

    # only the landing zone's writes; the second file of the window meets a full disk
    monkeypatch.setattr(lz, "open", full_disk_open(1), raising=False)
    report = live_run()
    assert "No space left on device" in report.fetch_failed[keys[0]]
    assert not lz.is_landed(home / "landing", "hub_models", keys[0])
    assert not list((home / "landing" / "hub_models").glob(".tmp-*"))  # no half window left behind
    monkeypatch.delattr(lz, "open")
    report = live_run()
    assert report.fetched_live == keys and report.loaded == keys and _rows(home, keys[0]) > 0


def test_corrupt_live_bodies_land_nothing_then_the_next_run_lands_the_window(home):
    """A truncated gzip body and an HTML page where JSON belongs, through the real client: the fetch fails
    after its retries, nothing is landed or loaded; the next run (healthy Hub) lands the window once."""
    from hubsignal.families import load_families
    from hubsignal.http import HttpPolicy
    from hubsignal.hub.client import HubClient
    from hubsignal.hub.fetch import fetch_hub_models
    from hubsignal.windows import latest_closed_window
    from tests.fakes.fake_hub import FakeHub
    from tests.hub_fixtures import MODELS

    orgs = load_families(DEFAULT_FAMILIES_FILE).orgs
    window = latest_closed_window()
    with FakeHub(models=MODELS, page_size=2, gzip=True) as hub:
        policy = HttpPolicy(endpoint=hub.url, timeout_s=1, max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.02)

        def live_run():
            client = HubClient(policy)
            return run_loader(
                HUB_MODELS,
                [window],
                home,
                live_window=window,
                fetch=lambda w: (fetch_hub_models(client, orgs, log=lambda _: None), {"orgs": orgs}),
                now=latest_closed_window,
            )

        # a 200 whose body does not decode (cut gzip, HTML) is not retried: one fault fails the run
        for fault, times in (("truncated", 1), ("not_json", 1)):
            hub.add_fault(fault, times=times)
            report = live_run()
            assert report.fetch_failed and not report.fetched_live, fault
            assert not (home / "landing" / "hub_models").exists() or not any(
                (home / "landing" / "hub_models").iterdir()
            )
        report = live_run()
    assert len(report.fetched_live) == 1 and report.loaded == report.fetched_live
    assert query(home, "SELECT count(*) - count(DISTINCT model_id) FROM raw.hub_models") == [(0,)]
