"""A warehouse made when meta.snapshot_log was a table (its status/message rewritten by the checks) migrates on
its first write-open: the rows move to meta.window_loads as load outcomes, meta.snapshot_log becomes the view,
and every row reads exactly as before."""

from datetime import datetime

import duckdb

from hubsignal.warehouse import open_warehouse

# The meta tables as the DDL created them before the view (sql/ddl/10_meta.sql, 15_meta_quality.sql).
OLD_DDL = [
    "CREATE SCHEMA meta",
    """CREATE TABLE meta.snapshot_log (
        source VARCHAR NOT NULL, window_start TIMESTAMP NOT NULL, window_key VARCHAR NOT NULL,
        status VARCHAR NOT NULL, origin VARCHAR, n_records BIGINT, n_files INTEGER, fetched_at TIMESTAMP,
        loaded_at TIMESTAMP NOT NULL, landing_path VARCHAR, load_fingerprint VARCHAR, message VARCHAR,
        PRIMARY KEY (source, window_start))""",
    """CREATE TABLE meta.quarantine (
        source VARCHAR NOT NULL, window_start TIMESTAMP NOT NULL, window_key VARCHAR NOT NULL,
        check_name VARCHAR NOT NULL, reason VARCHAR NOT NULL, n_offending BIGINT NOT NULL,
        quarantined_at TIMESTAMP NOT NULL, run_id VARCHAR, released_at TIMESTAMP, released_by VARCHAR)""",
    """CREATE VIEW meta.accepted_windows AS SELECT source, window_start, window_key, origin
        FROM meta.snapshot_log WHERE status IN ('observed', 'imported')""",
]


def t(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute)


def log(day, status, message, origin="live"):
    key = t(day).strftime("%Y-%m-%d-%H:%M")
    return ("hub_models", t(day), key, status, origin, 5, 1, t(day), t(day, 1), f"/l/{key}", f"fp{day}", message)


# Every state the old bookkeeping (_sync_log, release) could leave a window in.
OLD_LOG = [
    log(1, "observed", "2 record(s) unreadable"),  # plain load with notes
    log(2, "quarantined", "check a: 1 offending row(s) | check b: 2 offending row(s)"),  # held by two checks
    log(3, "observed", "released 2026-10-03 05:00 UTC (was: check a: 1 offending row(s))"),  # re-run released
    log(4, "imported", "released by override (accepted) (was: check a: 3 offending row(s))", origin="imported"),
    log(5, "observed", "a note; released 2026-10-05 05:00 UTC: a passes on the reloaded data"),  # reloaded, passes
    log(6, "quarantined", "load rules: configured org missing: 01-ai"),  # rejected at load
    log(7, "missing", "not observed: no landed snapshot for this window"),
    log(8, "observed", "a later load's note"),  # released, then reloaded: the load's message stands
    log(9, "quarantined", "check a: 4 offending row(s)", origin="imported"),
]
OLD_QUARANTINE = [
    ("hub_models", t(2), "k2", "a", "1 offending row(s)", 1, t(2, 2), None, None, None),
    ("hub_models", t(2), "k2", "b", "2 offending row(s)", 2, t(2, 3), None, None, None),
    ("hub_models", t(3), "k3", "a", "1 offending row(s)", 1, t(3, 2), None, t(3, 5), "re-run: check passes"),
    ("hub_models", t(4), "k4", "a", "3 offending row(s)", 3, t(4, 2), None, t(4, 5), "override: accepted"),
    ("hub_models", t(5), "k5", "a", "9 offending row(s)", 9, t(5, 0, 30), None, t(5, 5), "re-run: check passes"),
    ("hub_models", t(8), "k8", "a", "1", 1, t(8, 0, 10), None, t(8, 0, 20), "re-run: check passes"),
    ("hub_models", t(9), "k9", "a", "4 offending row(s)", 4, t(9, 2), None, None, None),
]


def _old_warehouse(path):
    con = duckdb.connect(str(path))
    for statement in OLD_DDL:
        con.execute(statement)
    con.executemany("INSERT INTO meta.snapshot_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", OLD_LOG)
    con.executemany("INSERT INTO meta.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", OLD_QUARANTINE)
    con.close()


def _read(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_an_old_warehouse_migrates_once_and_reads_the_same(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    _old_warehouse(path)
    everything = "SELECT * FROM meta.snapshot_log ORDER BY window_start"
    accepted = "SELECT * FROM meta.accepted_windows ORDER BY window_start"
    before, accepted_before = _read(path, everything), _read(path, accepted)
    for _ in range(2):  # the second write-open finds the view and leaves everything as it is
        with open_warehouse(path):
            pass
        assert _read(path, everything) == before
        assert _read(path, accepted) == accepted_before
    kinds = "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'meta' ORDER BY 1"
    assert ("snapshot_log", "VIEW") in _read(path, kinds) and ("window_loads", "BASE TABLE") in _read(path, kinds)
    # the load outcomes: check quarantines back to their load status, release texts gone
    loads = _read(path, "SELECT day(window_start), status, message FROM meta.window_loads ORDER BY 1")
    assert loads == [
        (1, "observed", "2 record(s) unreadable"),
        (2, "observed", None),
        (3, "observed", None),
        (4, "imported", None),
        (5, "observed", "a note"),
        (6, "quarantined", "load rules: configured org missing: 01-ai"),
        (7, "missing", "not observed: no landed snapshot for this window"),
        (8, "observed", "a later load's note"),
        (9, "imported", None),
    ]
