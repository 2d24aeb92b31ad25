"""One way for tests and benchmarks to run the real snapshot loader (hubsignal.snapshots.snapshot).

By default it replays what is already landed (no live window, no fetch), logs nothing and stamps the
current time; a live run passes `live_window` and `fetch`. Paths default to a `home` folder laid out like
the conftest `home` fixture (`landing/`, `warehouse.duckdb`)."""

from __future__ import annotations

import builtins
import errno
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from hubsignal import landing as lz
from hubsignal.snapshots import Source, snapshot
from hubsignal.windows import parse_window_key


def run_loader(
    source: Source,
    windows: Iterable[str | datetime],
    home: Path | None = None,
    *,
    landing: Path | None = None,
    warehouse: Path | None = None,
    live_window: datetime | None = None,
    fetch=None,
    log: Callable[[str], None] | None = None,
    now: Callable[[], datetime] | None = None,
):
    """Snapshot `source` for `windows` (window keys or starts) and return the loader's report."""
    if home is None and (landing is None or warehouse is None):
        raise ValueError("run_loader needs `home` or both `landing` and `warehouse`")
    return snapshot(
        source,
        [parse_window_key(w) if isinstance(w, str) else w for w in windows],
        landing=landing or home / "landing",
        warehouse=warehouse or home / "warehouse.duckdb",
        live_window=live_window,
        fetch=fetch,
        log=log or (lambda _: None),
        now=now or (lambda: datetime.now(UTC)),
    )


def refetch_landed(landing: Path, source_name: str, key: str):
    """The landed window `key` of `source_name` and a live `fetch` that serves its files again."""
    window = lz.read_window(landing, source_name, key)
    files = [lz.RawFile(e["file"].removesuffix(".gz"), body, e["n_records"]) for e, body in window.files]
    return window, lambda _start: (files, {"orgs": window.manifest["orgs"]})


def full_disk_open(writes_allowed: int):
    """An `open` for the landing module (set as `landing.open`) whose file writes meet ENOSPC once
    `writes_allowed` files have been opened for writing; reads pass through."""
    writes: list[Path] = []

    def open_(path, mode="r", *args, **kw):
        if "w" in mode:
            writes.append(path)
            if len(writes) > writes_allowed:
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return builtins.open(path, mode, *args, **kw)

    return open_
