-- Data-quality bookkeeping (hubsignal/quality/). Small tables: no fact-table rules apply.

-- One row per (source, window, check) quarantine: a blocking SQL check found offending rows in that window.
-- Active while released_at IS NULL. The one truth for check quarantines: meta.snapshot_log (a view) shows a
-- window whose load was accepted as 'quarantined' while any of its rows is active.
CREATE TABLE IF NOT EXISTS meta.quarantine (
    source           VARCHAR   NOT NULL,  -- meta.window_loads.source
    window_start     TIMESTAMP NOT NULL,  -- UTC
    window_key       VARCHAR   NOT NULL,
    check_name       VARCHAR   NOT NULL,  -- sql/checks/<check_name>.sql
    reason           VARCHAR   NOT NULL,  -- offending row count and an example row
    n_offending      BIGINT    NOT NULL,
    quarantined_at   TIMESTAMP NOT NULL,  -- UTC
    run_id           VARCHAR,             -- Dagster run that found it
    released_at      TIMESTAMP,           -- UTC; NULL = still active
    released_by      VARCHAR              -- 're-run: check passes' | 'override: <reason>' | 're-run: check fails
                                          -- on the reloaded data' (replaced by a row for the new data)
);

-- Explicit releases (`hubsignal release WINDOW --source S --reason "..."`): the window's data as identified
-- by load_fingerprint is accepted although blocking checks (or the load rules) reject it.
CREATE TABLE IF NOT EXISTS meta.quarantine_overrides (
    source           VARCHAR   NOT NULL,
    window_start     TIMESTAMP NOT NULL,
    window_key       VARCHAR   NOT NULL,
    reason           VARCHAR   NOT NULL,
    load_fingerprint VARCHAR,             -- the override applies to this landed data + parser version only
    released_at      TIMESTAMP NOT NULL
);

-- Schema drift: the fields seen in a landed window's raw bodies, recorded when the window is loaded.
CREATE TABLE IF NOT EXISTS meta.raw_fields (
    source       VARCHAR   NOT NULL,
    window_start TIMESTAMP NOT NULL,
    field        VARCHAR   NOT NULL,  -- top-level key of a raw record
    n_records    BIGINT    NOT NULL   -- records of the window carrying it
);

-- Records a window loaded WITHOUT: one model whose answer could not be read (model_info without a commit sha,
-- a body that is not JSON, childrenModelCount or a card of an unexpected shape, a 4xx for that model only).
-- The rest of the window loads (status observed); the reason is also named in meta.snapshot_log.message and
-- the warn checks `<table>_record_errors` count these per window. Replaced with the window on every load.
CREATE TABLE IF NOT EXISTS meta.record_errors (
    source       VARCHAR   NOT NULL,  -- meta.snapshot_log.source
    window_start TIMESTAMP NOT NULL,  -- UTC
    window_key   VARCHAR   NOT NULL,
    record       VARCHAR   NOT NULL,  -- the record as the source names it (model id), or `line N`
    reason       VARCHAR   NOT NULL,
    location     VARCHAR              -- landed file and line
);

-- The records a window loaded without, counted per window of [ws, we): the body of every `*_record_errors` check.
CREATE OR REPLACE MACRO record_errors_per_window(src, ws, we) AS TABLE
    SELECT
        window_start,
        count(*) AS n_records,
        string_agg(record || ': ' || reason, '; ' ORDER BY record) AS records
    FROM meta.record_errors
    WHERE source = src AND window_start >= ws AND window_start < we
    GROUP BY window_start
    ORDER BY window_start;
