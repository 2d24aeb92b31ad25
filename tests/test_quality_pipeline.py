"""Quality gates in the real Dagster job (offline, on the synthetic sample plus one crafted bad window):
a blocking failure stops the marts in the same run and quarantines the window; a plain re-run keeps it
quarantined and builds the marts without it; a fixed re-run or an explicit override (`hubsignal release`)
releases it; tier-1 load rules quarantine a window before it loads.

The runs select the Hub part of the graph (with its checks, the mart and the published copy) to stay fast;
tests/test_demo_flow.py runs the whole job."""

import json
import shutil
from datetime import timedelta

import dagster as dg
import polars as pl
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from demo.hub import SAMPLE_BROKEN_WINDOW, build_sample_archive
from hubsignal.families import load_families
from hubsignal.landing import RawFile, land_window, read_window
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from hubsignal.sources import HUB_MODELS
from hubsignal.windows import WINDOW, parse_window_key, window_key
from pipelines.cli import main
from pipelines.definitions import defs
from tests.conftest import query

FAMILIES = load_families(DEFAULT_FAMILIES_FILE)
N = 6  # sample windows 0..4 as generated, window 5 crafted
SELECTION = [
    dg.AssetKey(k.split("/"))
    for k in (
        "raw/hub_models",
        "raw/hub_children_counts",
        "staging/families",
        "staging/hub_models",
        "marts/family_downloads",
        "published/warehouse",
    )
]


def run_windows(first, last, quiet=True):
    """pipelines.cli.run_windows on the Hub part of the graph: one run over the range, checks included."""
    return defs.resolve_job_def("hubsignal_6h").execute_in_process(
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        asset_selection=SELECTION,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )


@pytest.fixture
def sample(home, tmp_path, monkeypatch):
    """Windows 0..4 of the sample in the landing zone; returns (keys, land_bad(mutate)) for window 5."""
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    scratch = tmp_path / "scratch"
    keys = build_sample_archive(scratch, FAMILIES, n_windows=N).window_keys
    landing = home / "landing"
    for source in ("hub_models", "hub_children_counts"):
        for key in keys[:-1]:
            shutil.copytree(scratch / source / key, landing / source / key)
    shutil.copytree(scratch / "hub_children_counts" / keys[-1], landing / "hub_children_counts" / keys[-1])

    def land_bad(mutate):
        """Land window 5's listing with `mutate(org, items) -> items | None` applied to every page."""
        good = read_window(scratch, "hub_models", keys[-1])
        files = []
        for entry, body in good.files:
            items = mutate(entry["file"].split(".p")[0], json.loads(body))
            if items is not None:
                files.append(
                    RawFile(
                        entry["file"].removesuffix(".gz"),
                        json.dumps(items).encode(),
                        len(items),
                        url=entry["url"],
                        http_status=200,
                    )
                )
        extra = {k: good.manifest[k] for k in ("orgs", "expand", "synthetic")}
        land_window(
            landing,
            "hub_models",
            keys[-1],
            files,
            origin="synthetic_sample",
            fetched_at=parse_window_key(keys[-1]) + timedelta(hours=6, minutes=3),
            extra={**extra, "note": "SYNTHETIC test window, broken on purpose"},
        )

    return keys, land_bad


def key_plus(key, n):
    return window_key(parse_window_key(key) + n * WINDOW)


def _set(model_id, **fields):
    def mutate(org, items):
        for item in items:
            if item["id"] == model_id:
                item.update(fields)
        return items

    return mutate


def _evaluation(result, name):
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _status(home, key):
    return query(
        home, "SELECT status, message FROM meta.snapshot_log WHERE source = 'hub_models' AND window_key = ?", [key]
    )[0]


def _mart_windows(home):
    return query(home, "SELECT count(DISTINCT window_start) FROM marts.family_downloads")[0][0]


def test_blocking_failure_stops_the_marts_quarantines_and_a_fixed_rerun_releases(home, sample, monkeypatch):
    keys, land_bad = sample
    bad = keys[-1]
    land_bad(_set("Qwen/Qwen3-8B", downloads=-7))

    # A run whose only window fails a blocking check: the check stops everything downstream.
    first = run_windows(bad, bad, quiet=True)
    assert not first.success
    failed = _evaluation(first, "hub_models_downloads_non_negative")
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert bad in failed.description and "quarantined" in failed.description
    done = _materialized(first)
    assert "raw/hub_models" in done
    assert (
        not {"staging/hub_models", "raw/hub_children_counts", "marts/family_downloads", "published/warehouse"} & done
    )  # the blocking check stopped everything downstream in this run
    status, message = _status(home, bad)
    assert status == "quarantined" and message.startswith("check hub_models_downloads_non_negative: 1 offending row")
    assert "Qwen/Qwen3-8B" in message and "-7" in message
    assert (home / "landing" / "hub_models" / bad / "manifest.json").is_file()  # kept in the landing zone
    assert query(
        home,
        f"SELECT count(*) > 0 FROM raw.hub_models WHERE window_start = '{parse_window_key(bad).replace(tzinfo=None)}'",
    ) == [(True,)]

    # Plain re-run: the loader does not reload (or release) the unchanged window; marts are built without it.
    again = run_windows(keys[0], bad, quiet=True)
    assert again.success
    still = _evaluation(again, "hub_models_downloads_non_negative")
    assert (
        not still.passed and still.severity == dg.AssetCheckSeverity.WARN and "still quarantined" in still.description
    )
    assert _status(home, bad)[0] == "quarantined"
    assert _mart_windows(home) == N - 1
    assert query(
        home, "SELECT count(*) FROM marts.family_downloads WHERE strftime(window_start, '%Y-%m-%d-%H:%M') = ?", [bad]
    ) == [(0,)]

    # The cause is fixed (here: the parser learns to drop negative counters; its version changes) -> released.
    original = HUB_MODELS.parse

    def fixed_parse(window, start):
        frame, notes = original(window, start)
        return frame.with_columns(
            pl.when(pl.col("downloads_30d") < 0).then(None).otherwise(pl.col("downloads_30d")).alias("downloads_30d")
        ), notes

    monkeypatch.setattr(HUB_MODELS, "parser_version", "hub-test-fixed")
    monkeypatch.setattr(HUB_MODELS, "parse", fixed_parse)
    fixed = run_windows(keys[0], bad, quiet=True)
    assert fixed.success
    released = _evaluation(fixed, "hub_models_downloads_non_negative")
    assert released.passed and released.metadata["released"].value == bad
    status, message = _status(home, bad)
    assert status == "observed" and message.startswith("released")
    assert _mart_windows(home) == N
    assert query(home, "SELECT check_name, released_by FROM meta.quarantine") == [
        ("hub_models_downloads_non_negative", "re-run: check passes")
    ]


def test_load_rules_quarantine_a_window_with_a_missing_org_before_it_loads(home, sample):
    keys, land_bad = sample
    bad = keys[-1]
    land_bad(lambda org, items: None if org == "01-ai" else items)  # the crawl never listed 01-ai (Yi)

    first = run_windows(keys[0], bad, quiet=True)
    assert first.success  # nothing of it was loaded: nothing downstream can see it
    status, message = _status(home, bad)
    assert status == "quarantined" and message == "load rules: configured org missing: 01-ai"
    assert query(
        home, "SELECT count(*) FROM raw.hub_models WHERE strftime(window_start, '%Y-%m-%d-%H:%M') = ?", [bad]
    ) == [(0,)]
    shown = _evaluation(first, "hub_models_quarantined_windows")
    assert not shown.passed and shown.severity == dg.AssetCheckSeverity.WARN
    assert "configured org missing: 01-ai" in shown.metadata["examples"].value
    assert _mart_windows(home) == N - 1

    # Accept it anyway (say 01-ai deleted its org): the next run loads it without the load rules; the partial
    # crawl check sees Yi vanish, but the override covers this very data.
    assert main(["release", bad, "--source", "hub_models", "--reason", "01-ai left the Hub"]) == 0
    second = run_windows(keys[0], bad, quiet=True)
    assert second.success
    assert _status(home, bad)[0] == "observed"
    crawl = _evaluation(second, "hub_models_partial_crawl")
    assert not crawl.passed and "released by override" in crawl.description
    assert _mart_windows(home) == N
    assert (
        query(
            home,
            "SELECT family FROM marts.family_downloads WHERE family = 'Yi' "
            "AND strftime(window_start, '%Y-%m-%d-%H:%M') = ?",
            [bad],
        )
        == []
    )


def test_the_sample_archive_has_one_deliberately_broken_window_that_gets_quarantined(home, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    broken_key, org = SAMPLE_BROKEN_WINDOW
    first = key_plus(broken_key, -1)
    build_sample_archive(home / "landing", FAMILIES, first_window=first, n_windows=2)
    clean = build_sample_archive(tmp_path / "clean", FAMILIES, first_window=first, n_windows=3, broken_window=None)
    # only that window differs from an archive without it
    for source in ("hub_models", "hub_children_counts"):
        assert (home / "landing" / source / first / "manifest.json").read_bytes() == (
            tmp_path / "clean" / source / first / "manifest.json"
        ).read_bytes()
        assert (home / "landing" / source / broken_key / "manifest.json").read_bytes() != (
            tmp_path / "clean" / source / broken_key / "manifest.json"
        ).read_bytes()
    assert clean.window_keys[1] == broken_key
    assert (
        "partial crawl"
        in json.loads((home / "landing" / "hub_models" / broken_key / "manifest.json").read_text())[
            "deliberately_broken"
        ]
    )

    # A range run with a bad window: the window is quarantined and the check is contained (WARN), so the run
    # goes on and builds the marts of the good windows in the same run, without the bad one.
    result = run_windows(first, broken_key)
    assert result.success
    crawl = _evaluation(result, "hub_models_partial_crawl")
    assert not crawl.passed and crawl.severity == dg.AssetCheckSeverity.WARN and "quarantined" in crawl.description
    assert query(home, "SELECT DISTINCT strftime(window_start, '%Y-%m-%d-%H:%M') FROM marts.family_downloads") == [
        (first,)
    ]
    status, message = _status(home, broken_key)
    assert status == "quarantined" and message.startswith(
        "check hub_models_partial_crawl: 1 offending row(s), e.g. family=Qwen"
    )
    assert "previous_n_models=7, n_models=5" in message
    assert _status(home, first)[0] == "observed"
