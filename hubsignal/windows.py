"""The window grid, defined once: 6-hour windows starting 03:00, 09:00, 15:00 and 21:00 UTC. The Dagster
partitions (assets/partitions.py) and the schedule are built from these constants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hubsignal.values import as_utc

WINDOW_START_HOURS = (3, 9, 15, 21)  # UTC
WINDOW = timedelta(hours=24 // len(WINDOW_START_HOURS))
WINDOW_CRON = f"0 {','.join(str(h) for h in WINDOW_START_HOURS)} * * *"
WINDOW_KEY_FORMAT = "%Y-%m-%d-%H:%M"
_ANCHOR = datetime(2000, 1, 1, WINDOW_START_HOURS[0], 0, tzinfo=UTC)  # any window start


def window_key(start: datetime) -> str:
    return as_utc(start).strftime(WINDOW_KEY_FORMAT)


def parse_window_key(key: str) -> datetime:
    try:
        start = datetime.strptime(key, WINDOW_KEY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"window key {key!r} is not of the form YYYY-MM-DD-HH:MM") from None
    if window_floor(start) != start:
        raise ValueError(f"window key {key!r} is not a window start (windows start 03:00, 09:00, 15:00, 21:00 UTC)")
    return start


def window_floor(ts: datetime) -> datetime:
    """Start of the window containing ts."""
    ts = as_utc(ts)
    return _ANCHOR + ((ts - _ANCHOR) // WINDOW) * WINDOW


def window_starts(start: datetime, end: datetime) -> list[datetime]:
    """Starts of every window in [start, end)."""
    first, out = window_floor(start), []
    if first < as_utc(start):
        first += WINDOW
    t = first
    while t < as_utc(end):
        out.append(t)
        t += WINDOW
    return out


def latest_closed_window(now: datetime | None = None) -> datetime:
    """Start of the most recent window that has ended at `now` (the one a schedule tick materializes)."""
    return window_floor(now or datetime.now(UTC)) - WINDOW


def window_index(start: datetime) -> int:
    """The window's position on the grid (consecutive windows differ by 1): for every-N-windows cadences."""
    return (window_floor(start) - _ANCHOR) // WINDOW
