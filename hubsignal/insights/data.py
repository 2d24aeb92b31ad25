"""What the insights page shows, read from the warehouse as plain data (sql/reports/insights_*.sql).

A table that does not exist yet (a fresh warehouse, a mart not built yet) reads as no rows: the page then
shows an empty state for it instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from hubsignal.reports import REPORTS_DIR
from hubsignal.windows import WINDOW

QUERIES = (
    "sources",
    "quality",
    "kpis",
    "model_gap",
    "family_gap",
    "downloads",
    "overtakes",
    "share",
    "concentration",
    "derivatives",
    "disclosure",
    "evidence",
)


def rows(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    """sql/reports/insights_<name>.sql as a list of dicts; [] when a table it reads does not exist yet."""
    try:
        rel = con.execute((REPORTS_DIR / f"insights_{name}.sql").read_text())
    except duckdb.CatalogException:
        return []
    columns = [d[0] for d in rel.description]
    return [dict(zip(columns, r)) for r in rel.fetchall()]


@dataclass
class PipelineStatus:
    last_window: datetime | None  # start of the newest window any source loaded (observed or imported)
    next_window: datetime | None  # start of the window after it: the one the schedule materializes next

    def line(self) -> str:
        """'Last: 21:00 UTC | Next: 03:00 UTC' (window starts), or a sentence when nothing is loaded."""
        if self.last_window is None:
            return "Last: none yet | Next: the next scheduled window"
        return f"Last: {self.last_window:%H:%M} UTC | Next: {self.next_window:%H:%M} UTC"


@dataclass
class InsightsData:
    generated_at: datetime
    status: PipelineStatus
    tables: dict[str, list[dict]] = field(default_factory=dict)
    checks: list[dict] = field(default_factory=list)  # the last run's asset checks (see load_insights)

    def __getitem__(self, name: str) -> list[dict]:
        return self.tables.get(name, [])

    @property
    def synthetic_sources(self) -> set[str]:
        """Sources with any window from the synthetic sample (origin 'synthetic_sample')."""
        return {r["source"] for r in self["sources"] if r["synthetic"]}

    def synthetic(self, *prefixes: str) -> bool:
        """Does any source starting with one of `prefixes` hold synthetic sample data?"""
        return any(s.startswith(p) for s in self.synthetic_sources for p in prefixes)

    @property
    def kpis(self) -> dict | None:
        return next((r for r in self["kpis"] if r["pos"] == 0), None)

    @property
    def kpis_week_before(self) -> dict | None:
        return next((r for r in self["kpis"] if r["pos"] == 1), None)


def pipeline_status(con: duckdb.DuckDBPyConnection) -> PipelineStatus:
    try:
        last = con.execute("SELECT max(window_start) FROM meta.accepted_windows").fetchone()[0]
    except duckdb.CatalogException:
        last = None
    if last is None:
        return PipelineStatus(None, None)
    last = last.replace(tzinfo=UTC)
    return PipelineStatus(last, last + WINDOW)


def load_insights(
    con: duckdb.DuckDBPyConnection, checks: list[dict] | None = None, now: datetime | None = None
) -> InsightsData:
    """Everything the page shows. `checks`: the last run's asset check results as dicts with keys
    `asset`, `check`, `passed`, `severity` (plain data: the caller reads them from wherever runs are recorded)."""
    return InsightsData(
        generated_at=now or datetime.now(UTC),
        status=pipeline_status(con),
        tables={name: rows(con, name) for name in QUERIES},
        checks=list(checks or []),
    )
