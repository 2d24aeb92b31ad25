"""Numbers and times as the sources write them, turned into what the warehouse stores (UTC, finite floats)."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def as_utc(ts: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken as UTC (the warehouse stores naive UTC)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def naive_utc(ts: datetime | None) -> datetime | None:
    """Naive UTC, as the warehouse stores timestamps (a naive input is already UTC)."""
    return None if ts is None else as_utc(ts).replace(tzinfo=None)


def to_number(text: str) -> float | None:
    """The text as a finite decimal number, else None (empty, '-', 'n/a', 'nan', 'inf', '12abc', ...)."""
    s = text.strip()
    if not _NUMBER.match(s):
        return None
    value = float(s)
    return value if math.isfinite(value) else None


def to_bool(text: str) -> bool | None:
    s = text.strip().lower()
    return True if s in _TRUE else False if s in _FALSE else None


def to_date(text: str) -> date | None:
    s = text.strip()
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date() if len(s) > 10 else date.fromisoformat(s)
    except ValueError:
        return None
