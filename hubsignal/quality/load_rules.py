"""Tier 1: rules checked inside the load, on every parsed window before it is written.

A window that breaks a rule is quarantined at load: no rows are loaded, its files stay in the landing zone,
and `meta.snapshot_log` says why (message `load rules: ...`). A source opts in with `Source.validate`
(`hubsignal/snapshots.py`); `LoadRules` covers the usual rules so a source only declares them:

    Source(..., validate=LoadRules(unique=("model_id",), expect=(Expect("org", expected, present),)))

Also here: `Source.fields` helpers that count the top-level keys of a window's raw records, recorded in
`meta.raw_fields` at load time for the schema-drift check (sql/checks/*schema_drift*.sql).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl

from hubsignal.landing import LandedWindow

LOAD_RULES_PREFIX = "load rules: "  # meta.snapshot_log.message of a window quarantined by these rules


@dataclass(frozen=True)
class Expect:
    """Every value the window was configured to cover must be present, e.g. every org of the crawl."""

    what: str  # singular noun for messages ("org", "release")
    expected: Callable[[LandedWindow], Iterable[str] | None]  # None: nothing configured, nothing to verify
    present: Callable[[pl.DataFrame, LandedWindow], Iterable[str]]


@dataclass(frozen=True)
class LoadRules:
    unique: tuple[str, ...] = ()  # key columns, unique within a window
    non_empty: bool = True  # a landed window must yield at least one row
    expect: tuple[Expect, ...] = ()

    def __call__(self, frame: pl.DataFrame, window: LandedWindow) -> list[str]:
        """Problems of one parsed window (empty list: it may be loaded)."""
        problems = []
        if self.non_empty and frame.height == 0:
            problems.append("no rows although the window is landed")
        if self.unique and frame.height:
            dup = frame.group_by(list(self.unique)).len().filter(pl.col("len") > 1)
            if dup.height:
                first = dup.row(0, named=True)
                example = ", ".join(f"{c}={first[c]}" for c in self.unique)
                problems.append(
                    f"{dup.height} duplicate ({', '.join(self.unique)}) keys, e.g. {example} x{first['len']}"
                )
        for rule in self.expect:
            expected = rule.expected(window)
            if expected is None:
                continue
            missing = sorted(set(expected) - set(rule.present(frame, window)))
            if missing:
                more = f" (+{len(missing) - 10})" if len(missing) > 10 else ""
                problems.append(f"configured {rule.what} missing: {', '.join(missing[:10])}{more}")
        return problems


def manifest_list(key: str) -> Callable[[LandedWindow], list[str] | None]:
    """`Expect.expected` reading a list the fetch recorded in the manifest (e.g. the orgs it was asked to crawl)."""
    return lambda window: window.manifest.get(key)


# ------------------------------------------------------------------------------------ raw fields (schema drift)


def json_list_fields(window: LandedWindow) -> dict[str, int]:
    """Top-level keys of the records of a window whose files are JSON lists of objects (API listing pages)."""
    counts: Counter[str] = Counter()
    for _, body in window.files:
        items = json.loads(body)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                counts.update(item.keys())
    return dict(counts)


def jsonl_body_fields(window: LandedWindow) -> dict[str, int]:
    """Top-level keys of the answer bodies of a JSONL window (one `{"http_status", "body": "<json>"}` a line).
    Unreadable lines and bodies are skipped: the parser records them as record errors."""
    counts: Counter[str] = Counter()
    for _, body in window.files:
        for line in body.decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                info = (
                    json.loads(rec["body"])
                    if rec.get("http_status") == 200 and isinstance(rec.get("body"), str)
                    else None
                )
            except (ValueError, AttributeError):
                continue
            if isinstance(info, dict):
                counts.update(info.keys())
    return dict(counts)
