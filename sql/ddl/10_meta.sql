-- The load outcome of each (source, window): written only by the snapshot loader (hubsignal/warehouse.py
-- write_log) and by the release of a load-level quarantine. It is the truth for what was loaded; the truth
-- for check quarantines is meta.quarantine (15_meta_quality.sql). Read meta.snapshot_log (60_shared_rules.sql),
-- which derives each window's status from both.
-- status: observed (loaded from a live or sample snapshot), imported (from an archive), missing (never
-- observed: no rows exist for it), quarantined (rejected AT LOAD: unparsable, or the tier-1 load rules; kept
-- in the landing zone; message says why).
CREATE TABLE IF NOT EXISTS meta.window_loads (
    source           VARCHAR   NOT NULL,
    window_start     TIMESTAMP NOT NULL,  -- UTC
    window_key       VARCHAR   NOT NULL,
    status           VARCHAR   NOT NULL,
    origin           VARCHAR,             -- live | synthetic_sample | imported
    n_records        BIGINT,
    n_files          INTEGER,
    fetched_at       TIMESTAMP,           -- UTC, when the snapshot was taken
    loaded_at        TIMESTAMP NOT NULL,  -- UTC, when this row was written
    landing_path     VARCHAR,
    load_fingerprint VARCHAR,             -- manifest sha256 + parser version: unchanged -> no reload
    message          VARCHAR,             -- notes of the load, or why it was rejected
    PRIMARY KEY (source, window_start)
);

-- One row per window: when a run last finished building the whole graph (staging, marts) over it. Written by
-- the last warehouse step of every run (published/warehouse) for the run's range, so a window whose raw rows
-- were loaded (meta.snapshot_log.loaded_at) after its last build -- a run killed or failed mid-graph -- is
-- pending: `hubsignal status` lists it and the next run of its range rebuilds it.
CREATE TABLE IF NOT EXISTS meta.model_builds (
    window_start TIMESTAMP NOT NULL,  -- UTC
    window_key   VARCHAR   NOT NULL,
    built_at     TIMESTAMP NOT NULL,  -- UTC
    run_id       VARCHAR,
    PRIMARY KEY (window_start)
);

-- One row that every write replacing a window range updates first (hubsignal/warehouse.py claim_window_writes):
-- on DuckLake two writers deleting and re-inserting the same windows at once would both insert into a range the
-- other has not committed yet; updating the same row makes the second commit conflict and retry instead.
CREATE TABLE IF NOT EXISTS meta.write_claim (n BIGINT NOT NULL);
INSERT INTO meta.write_claim SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM meta.write_claim);
