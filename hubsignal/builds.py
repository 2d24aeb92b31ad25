"""Which loaded windows the graph's models were built for (meta.model_builds), and which are still pending.

A run loads raw windows first and builds staging and marts after; a run killed or failed in between leaves
windows whose raw rows are newer than their last build. The last warehouse step of every run records its
range as built (`record_builds`); `unbuilt_windows` finds the windows loaded since, so `hubsignal status` and
`hubsignal import` name them and the next run of their range rebuilds them (the SQL models always rebuild the
run's range, whether or not its landed data changed).
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from hubsignal.values import naive_utc
from hubsignal.windows import window_key


def record_builds(con: duckdb.DuckDBPyConnection, window_starts: list[datetime], run_id: str | None) -> None:
    """Mark these windows built now (call from the run's last warehouse step, after every model)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [(naive_utc(w), window_key(w), now, run_id) for w in window_starts]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM meta.model_builds WHERE window_start IN (SELECT unnest(?))", [[r[0] for r in rows]])
        con.executemany("INSERT INTO meta.model_builds VALUES (?, ?, ?, ?)", rows)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def unbuilt_windows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, datetime]]:
    """(source, window key, loaded_at) of every window loaded (or quarantined: its raw rows went away) after
    its last build, or never built. Empty for a warehouse written before meta.model_builds existed."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'meta' AND table_name = 'model_builds'"
    ).fetchone()[0]
    if not exists:
        return []
    return con.execute(
        """
        SELECT l.source, l.window_key, l.loaded_at
        FROM meta.snapshot_log l LEFT JOIN meta.model_builds b USING (window_start)
        WHERE l.status IN ('observed', 'imported', 'quarantined')
          AND (b.built_at IS NULL OR l.loaded_at > b.built_at)
        ORDER BY l.window_start, l.source
        """
    ).fetchall()
