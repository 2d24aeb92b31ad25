-- LiveBench leaderboard snapshots, long: one row per (fetched_window, release_date, model, task).
-- Every window's snapshot is kept (a release table keeps changing after its date), so corrections and
-- first appearances stay queryable (staging.livebench_history). No primary key (fact table); uniqueness
-- of (fetched_window, release_date, model, task) is enforced by the parser (duplicate model rows: first kept).
CREATE TABLE IF NOT EXISTS raw.livebench_scores (
    fetched_window  TIMESTAMP NOT NULL,  -- UTC start of the window whose snapshot this row comes from
    release_date    DATE      NOT NULL,  -- question-set release (table_<YYYY_MM_DD>.csv)
    model           VARCHAR   NOT NULL,  -- LiveBench model id as in the table, whitespace trimmed
    task            VARCHAR   NOT NULL,  -- task column name, whitespace trimmed
    score           DOUBLE,              -- 0-100; NULL when the cell is empty or not a finite number
    raw_value       VARCHAR,             -- the cell exactly as received
    categories_file VARCHAR,             -- categories_<YYYY_MM_DD>.json that classified the task
    category        VARCHAR,             -- NULL when the task is in no category of that file (then in no average)
    origin          VARCHAR   NOT NULL   -- live | synthetic_sample | imported
);
