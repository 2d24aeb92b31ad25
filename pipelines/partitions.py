"""The one partitions definition: 6-hour windows starting 03:00, 09:00, 15:00 and 21:00 UTC."""

from __future__ import annotations

import dagster as dg

from assets.windows import WINDOW_KEY_FORMAT
from pipelines.settings import partitions_start

WINDOW_CRON = "0 3,9,15,21 * * *"

windows = dg.TimeWindowPartitionsDefinition(
    cron_schedule=WINDOW_CRON,
    start=partitions_start(),
    fmt=WINDOW_KEY_FORMAT,
    timezone="UTC",
    end_offset=0,  # the newest partition is the window that just closed
)
