"""Plain-text reports over the warehouse; the queries live in sql/reports/."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from hubsignal.settings import SQL_DIR

REPORTS_DIR = SQL_DIR / "reports"


def run_report(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list[str], list[tuple]]:
    rel = con.execute((REPORTS_DIR / f"{name}.sql").read_text())
    return [d[0] for d in rel.description], rel.fetchall()


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (float, Decimal)):
        return f"{v:,.1f}"
    return str(v)


def format_table(columns: list[str], rows: list[tuple]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r[i], (int, float, Decimal)) or r[i] is None for r in rows) for i in range(len(columns))]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out) if rows else "\n".join(out + ["(no rows)"])


class Markdown(str):
    """Text meant to be rendered as Markdown (e.g. in the Dagster UI's metadata)."""


def short_cell(value, width: int = 60) -> str:
    """A value on one line for a Markdown table cell, cut at `width` characters."""
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(short_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
