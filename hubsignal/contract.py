"""The warehouse contract as data, and a profile of a warehouse table: columns with their contract
descriptions, row counts, a preview of the newest window's rows. Plain data; assets/table_metadata.py turns
it into Dagster metadata (column schema, row count, Markdown preview) for every warehouse asset.

The descriptions are read from the contract table of docs/warehouse.md, the one place they are written
(`name` (description), ... per table); a column the table does not describe gets none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb

from hubsignal.reports import markdown_table
from hubsignal.settings import PROJECT_ROOT

CONTRACT_DOC = PROJECT_ROOT / "docs" / "warehouse.md"
PREVIEW_ROWS = 10
_NAME = re.compile(r"`([a-z_][a-z0-9_]*)`")
# Columns many tables share, described once (a table's own contract text wins).
COMMON = {
    "window_start": "start of the 6-hour window (UTC): 03:00, 09:00, 15:00 or 21:00",
    "snapshot_ts": "when the snapshot was taken (UTC)",
    "family": "model family (pipelines/families.yaml)",
    "families_version": "version of the families file that produced the row",
    "origin": "live / synthetic_sample / imported",
    "release_date": "LiveBench release (its question-set date)",
    "model_id": "Hugging Face repo id",
    "fetched_window": "start of the window whose snapshot it is",
    "categories_file": "which categories_<date>.json classified the tasks",
}


@dataclass(frozen=True)
class TableContract:
    table: str
    grain: str
    columns: dict[str, str] = field(default_factory=dict)  # column -> description ('' when none is given)


def _split_top(text: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses and backticks."""
    out, depth, tick, cur = [], 0, False, []
    for ch in text:
        if ch == "`":
            tick = not tick
        elif not tick and ch == "(":
            depth += 1
        elif not tick and ch == ")":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0 and not tick:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def parse_columns(cell: str) -> dict[str, str]:
    columns: dict[str, str] = {}
    for item in _split_top(cell, ","):
        item = item.strip()
        head = re.match(r"^((?:`[a-z_][a-z0-9_]*`(?:\s*(?:and|,)\s*)?)+)(.*)$", item, re.S)
        if not head:
            continue
        names, rest = _NAME.findall(head.group(1)), head.group(2).strip()
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1]
        rest = rest.replace("`", "")
        for name in names:
            columns.setdefault(name, rest)
    return columns


@cache
def _contract(doc: Path) -> dict[str, TableContract]:
    try:
        text = doc.read_text()
    except OSError:  # installed without the docs: no descriptions, nothing else changes
        return {}
    start = text.find("## Tables")
    if start < 0:
        return {}
    end = text.find("\n## ", start + 1)
    out = {}
    for line in text[start : end if end > 0 else None].splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if len(cells) < 3:
            continue
        columns = parse_columns(cells[2])
        for table in re.findall(r"`([a-z_]+\.[a-z0-9_]+)`", cells[0]):
            out[table] = TableContract(table, cells[1].replace("`", ""), columns)
    return out


def contract(doc: Path = CONTRACT_DOC) -> dict[str, TableContract]:
    """table ('layer.name') -> its contract row."""
    return _contract(doc)


@dataclass
class TableProfile:
    table: str
    grain: str | None
    columns: list[tuple[str, str, str]]  # (name, DuckDB type, contract description)
    row_count: int | None  # None: a windowed view, counted only over the run's windows (rows_in_range)
    rows_in_range: int | None = None  # rows with window_start in the run's range (windowed tables)
    preview_window: str | None = None
    preview: str | None = None  # Markdown table of the preview rows


def profile(
    con: duckdb.DuckDBPyConnection,
    table: str,
    start: datetime | None = None,
    end: datetime | None = None,
    preview: bool = False,
) -> TableProfile:
    """Columns, row counts and (preview=True) a Markdown preview of the newest window in [start, end) (or of
    the first rows when the table has no window_start)."""
    described = contract().get(table)
    docs = described.columns if described else {}
    cols = [
        (name, str(typ), docs.get(name) or COMMON.get(name, ""))
        for name, typ, *_ in con.execute(f"DESCRIBE {table}").fetchall()
    ]
    names = [c[0] for c in cols]
    windowed = "window_start" in names and start is not None and end is not None
    schema, name = table.split(".", 1)
    is_view = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = ? AND view_name = ?",
        [schema, name],
    ).fetchone()[0]
    # A windowed view is not counted whole: that evaluates it over every window of history on every run (e.g.
    # staging.hub_graph_edges unnests every model's parents of every window); its run's rows are counted.
    row_count = None if windowed and is_view else con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    out = TableProfile(table, described.grain if described else None, cols, row_count)
    bounds = [start.replace(tzinfo=None), end.replace(tzinfo=None)] if windowed else []
    if windowed:
        out.rows_in_range = con.execute(
            f"SELECT count(*) FROM {table} WHERE window_start >= ? AND window_start < ?", bounds
        ).fetchone()[0]
    if preview:
        if windowed:
            newest = con.execute(
                f"SELECT max(window_start) FROM {table} WHERE window_start >= ? AND window_start < ?", bounds
            ).fetchone()[0]
            rel = con.execute(f"SELECT * FROM {table} WHERE window_start = ? LIMIT {PREVIEW_ROWS}", [newest])
            out.preview_window = newest.strftime("%Y-%m-%d-%H:%M") if newest else None
        else:
            rel = con.execute(f"SELECT * FROM {table} LIMIT {PREVIEW_ROWS}")
        rows = rel.fetchall()
        out.preview = markdown_table(names, rows) if rows else "(no rows)"
    return out


def leading_comment(sql: str) -> str:
    """The `--` comment lines a SQL file starts with, as one paragraph (what the table answers)."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines).strip()
