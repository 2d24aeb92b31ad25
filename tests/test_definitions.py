"""The Dagster definitions load, validate, and register every SQL model with its dependencies."""

import os
import subprocess
import sys
from datetime import UTC, datetime

import dagster as dg
import pytest

from hubsignal.sql_models import MODELS_DIR, SqlModelError, discover_models, load_model
from pipelines.definitions import defs
from tests.conftest import PROJECT


def test_dagster_definitions_validate():
    env = {**os.environ, "DAGSTER_HOME": ""}
    env.pop("DAGSTER_HOME")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_sql_file_is_a_registered_asset():
    keys = defs.resolve_all_asset_keys()
    files = sorted(MODELS_DIR.rglob("*.sql"))
    assert files
    orphans = [f for f in files if dg.AssetKey([f.parent.name, f.stem]) not in keys or f.parent.parent != MODELS_DIR]
    assert orphans == [], f"SQL files that are not assets (expected sql/models/<layer>/<name>.sql): {orphans}"


def test_sql_model_dependencies_come_from_the_sql():
    graph = {m.table: m.deps for m in discover_models()}
    assert ("raw", "hub_models") in graph["staging.hub_models"]
    assert ("staging", "families") in graph["staging.hub_models"]
    assert ("staging", "hub_models") in graph["marts.family_downloads"]
    spec = defs.resolve_assets_def(dg.AssetKey(["marts", "family_downloads"])).specs_by_key[
        dg.AssetKey(["marts", "family_downloads"])
    ]
    assert dg.AssetKey(["staging", "hub_models"]) in {d.asset_key for d in spec.deps}


def test_every_partitioned_asset_runs_ranges_in_one_run():
    for asset in defs.resolve_asset_graph().assets_defs:
        if asset.partitions_def is not None and asset.keys:  # (asset checks have no keys and no backfill policy)
            assert asset.backfill_policy == dg.BackfillPolicy.single_run(), asset.key
            assert asset.partitions_def.get_cron_schedule() == "0 3,9,15,21 * * *"


def test_schedule_targets_the_window_that_just_closed():
    schedule = defs.resolve_schedule_def("hubsignal_6h_schedule")
    assert schedule.cron_schedule == "0 3,9,15,21 * * *"
    assert schedule.execution_timezone in (None, "UTC")
    tick = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # the 03:00-09:00 window has just closed
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=tick, repository_def=defs.get_repository_def()
        )
        requests = list(schedule.evaluate_tick(context).run_requests)
    assert [r.partition_key for r in requests] == ["2026-11-28-03:00"]


@pytest.mark.parametrize(
    "text, why",
    [
        ("SELECT 1; SELECT 2", "exactly one SELECT"),
        ("CREATE TABLE x AS SELECT 1", "exactly one SELECT"),
        ("SELEC oops FROM", "not valid DuckDB SQL"),
    ],
)
def test_model_file_contract(tmp_path, text, why):
    path = tmp_path / "marts" / "bad.sql"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(SqlModelError, match=why):
        load_model(path)
