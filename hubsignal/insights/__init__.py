"""The insights page: `$HUBSIGNAL_HOME/report/index.html`, rebuilt from the warehouse after every run.

    from hubsignal.insights import build_page
    build_page(Settings.from_env())          # from a notebook, too: no dagster needed
"""

from __future__ import annotations

from pathlib import Path

from hubsignal.insights.data import InsightsData, load_insights
from hubsignal.insights.page import render, write_page

__all__ = ["InsightsData", "build_page", "load_insights", "page_path", "render", "write_page"]


def page_path(home: Path) -> Path:
    return home / "report" / "index.html"


def build_page(settings, checks: list[dict] | None = None) -> tuple[Path, InsightsData]:
    """Read the warehouse (read-only) and write the page; returns its path and what it shows."""
    from hubsignal.warehouse import connect

    if settings.warehouse.exists():
        con = connect(settings.warehouse, read_only=True)
    else:  # no run yet: an in-memory warehouse with no tables gives the empty page
        import duckdb

        con = duckdb.connect()
    try:
        data = load_insights(con, checks)
    finally:
        con.close()
    return write_page(data, page_path(settings.home)), data
