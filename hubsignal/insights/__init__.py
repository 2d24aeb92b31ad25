"""The insights page: `$HUBSIGNAL_HOME/report/index.html`, rebuilt from the warehouse after every run.

    from hubsignal.insights import build_page
    build_page(Settings.from_env())          # from a notebook, too: no dagster needed

Importing this package is cheap; altair and vl-convert load only when a page is rendered.
"""

from __future__ import annotations

from pathlib import Path


def page_path(home: Path) -> Path:
    return home / "report" / "index.html"


def build_page(settings, checks: list[dict] | None = None):
    """Read the warehouse (read-only) and write the page; returns (its path, the InsightsData it shows)."""
    import duckdb

    from hubsignal.insights.data import load_insights
    from hubsignal.insights.page import write_page
    from hubsignal.warehouse import connect, warehouse_exists

    # No warehouse yet (no run): an empty in-memory database gives the page's empty states.
    con = connect(settings.warehouse, read_only=True) if warehouse_exists(settings.warehouse) else duckdb.connect()
    try:
        data = load_insights(con, checks)
    finally:
        con.close()
    return write_page(data, page_path(settings.home)), data
