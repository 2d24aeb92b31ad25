"""Freshness: raw snapshot data older than one window plus a margin shows as overdue in the Dagster UI.

Dagster 1.13 freshness policies (they superseded freshness checks in 1.12) are evaluated continuously by the
daemon (`make dev`) from the asset's latest materialization: WARN after one window and a quarter of the
margin, FAIL (overdue) after one window plus the margin. A live fetch that fails raises, so it never counts
as a materialization.
"""

from datetime import timedelta

import dagster as dg

from hubsignal.windows import WINDOW

FRESHNESS_MARGIN = timedelta(hours=1)  # the schedule fires at the window's end; a crawl takes minutes

RAW_SNAPSHOT_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=WINDOW + FRESHNESS_MARGIN,
    warn_window=WINDOW + FRESHNESS_MARGIN / 4,
)
