"""Landed windows the warehouse has not loaded yet (e.g. just imported): for `hubsignal status`."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from hubsignal import landing as lz
from hubsignal.imports.common import walk_windows


def unloaded_windows(landing: Path, con: duckdb.DuckDBPyConnection | None) -> list[tuple[str, str, str]]:
    """(source, window key, origin) of every landed window whose current manifest no load has seen
    (con None: no warehouse yet, so every landed window)."""
    loaded = (
        {}
        if con is None
        else {
            # a window pruned by retention was loaded: not pending (a backfill of its range reloads it)
            (source, key): (fingerprint or "")
            .removeprefix(lz.DAMAGED_PREFIX)
            .removeprefix(lz.PRUNED_PREFIX)
            .split(":")[0]
            for source, key, fingerprint in con.execute(
                # every status: a missing window has no fingerprint, so it counts as not loaded either way (and this
                # read-only query needs no macro, so it also works on a warehouse written by an older version)
                "SELECT source, window_key, load_fingerprint FROM meta.snapshot_log"
            ).fetchall()
        }
    )
    out = []
    for folder in walk_windows(landing):
        manifest = json.loads((folder / lz.MANIFEST).read_text())
        source, key = manifest.get("source", folder.parent.name), manifest.get("window_key", folder.name)
        if loaded.get((source, key)) != lz.load_identity(landing, source, key):
            out.append((source, key, manifest.get("origin", "?")))
    return out


def summarize(rows: list[tuple[str, str, str]]) -> tuple[list[str], list[tuple]]:
    """Per (source, origin): windows, first, last -- in the shape reports.format_table prints."""
    groups: dict[tuple[str, str], list[str]] = {}
    for source, key, origin in rows:
        groups.setdefault((source, origin), []).append(key)
    table = [(s, o, len(keys), min(keys), max(keys)) for (s, o), keys in sorted(groups.items())]
    return ["source", "origin", "windows", "first_window", "last_window"], table


def pending_windows(landing: Path, con: duckdb.DuckDBPyConnection | None) -> set[tuple[str, str]]:
    """(source, window key) of landed windows not loaded yet, or loaded but whose models were never built."""
    from hubsignal.builds import unbuilt_windows

    pending = {(source, key) for source, key, _ in unloaded_windows(landing, con)}
    if con is not None:
        pending |= {(source, key) for source, key, _ in unbuilt_windows(con)}
    return pending
