"""The architecture, checkable: dependencies point one way, the core library never imports dagster, and the
asset graph is snapshotted so that any change to it shows in review."""

import ast
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT

# package -> the project packages it may import (itself included); pipelines (the wiring) may import all
ALLOWED = {
    "hubsignal": {"hubsignal"},
    "demo": {"demo", "hubsignal"},
    "assets": {"assets", "hubsignal"},
    "pipelines": {"pipelines", "assets", "hubsignal", "demo"},
}
SNAPSHOT = PROJECT / "tests" / "snapshots" / "asset_graph.json"


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_dependencies_point_down_only(package):
    offenders = []
    for path in sorted((PROJECT / package).rglob("*.py")):
        bad = (_imports(path) & set(ALLOWED)) - ALLOWED[package]
        if package in ("hubsignal", "demo") and "dagster" in _imports(path):
            bad.add("dagster")
        offenders += [f"{path.relative_to(PROJECT)} imports {name}" for name in sorted(bad)]
    assert offenders == []


def test_the_core_library_loads_without_dagster():
    code = (
        "import pkgutil, importlib, sys, hubsignal, demo\n"
        "for pkg in (hubsignal, demo):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def asset_graph() -> dict:
    """What review should see change: every asset and check with its deps, partitions, pool, kinds, group."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.path):
        node = graph.get(key)
        spec = node.assets_def.specs_by_key[key]
        partitions = node.partitions_def
        assets[key.to_user_string()] = {
            "deps": sorted(d.to_user_string() for d in node.parent_keys),
            "partitions": partitions.get_cron_schedule() if partitions is not None else None,
            "backfill_policy": str(node.assets_def.backfill_policy),
            "pool": node.pools and sorted(node.pools),
            "kinds": sorted(spec.kinds),
            "group": spec.group_name,
            "freshness_policy": spec.freshness_policy is not None,
        }
    checks = {}
    for check_key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.path, k.name)):
        spec = graph.get_check_spec(check_key)
        checks[f"{check_key.asset_key.to_user_string()}:{check_key.name}"] = {
            "blocking": spec.blocking,
            "additional_deps": sorted(d.asset_key.to_user_string() for d in spec.additional_deps),
        }
    return {"assets": assets, "checks": checks}


def test_asset_graph_matches_the_snapshot():
    """On purpose-made graph changes: UPDATE_SNAPSHOTS=1 make test, then review tests/snapshots/asset_graph.json."""
    current = json.dumps(asset_graph(), indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(current)
    assert current == SNAPSHOT.read_text(), (
        "the asset graph changed: UPDATE_SNAPSHOTS=1 make test, then review the diff"
    )
