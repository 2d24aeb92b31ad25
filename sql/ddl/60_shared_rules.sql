-- Shared rules: the ONE definition of each rule that models, checks and Python use (README "Shared SQL rules").
-- DuckDB binds a macro's tables when the macro is created and again at every call, so every table a macro
-- reads must exist before this file runs (hence the staging.families declaration below) and may be
-- replaced later (write_families does CREATE OR REPLACE TABLE). Idempotent, applied on every write-open.

-- The family definitions (pipelines/families.yaml), one row per (family, org); filled by the staging/families
-- asset (hubsignal/families.py write_families). Declared here only so the macros below can bind on a new
-- warehouse; patterns carry their own (?i).
CREATE TABLE IF NOT EXISTS staging.families (
    family           VARCHAR,
    org              VARCHAR,
    include_pattern  VARCHAR,  -- NULL: every repo of the org
    exclude_pattern  VARCHAR,  -- NULL: none excluded
    families_version VARCHAR
);

-- Family membership of a Hub repo id against one staging.families row: the org (part before '/') matches
-- case-insensitively, then include_pattern must match the repo name (part after the first '/') if set and
-- exclude_pattern must not. Use it as a join condition (DuckDB still hashes on the org equality):
--   JOIN staging.families AS f ON in_family(m.model_id, f.org, f.include_pattern, f.exclude_pattern)
-- Python's Families.family_of is the same rule (tests/test_families.py compares them).
CREATE OR REPLACE MACRO in_family(model_id, org, include_pattern, exclude_pattern) AS
    lower(org) = lower(split_part(model_id, '/', 1))
    AND (include_pattern IS NULL OR regexp_matches(regexp_replace(model_id, '^[^/]*/?', ''), include_pattern))
    AND (exclude_pattern IS NULL OR NOT regexp_matches(regexp_replace(model_id, '^[^/]*/?', ''), exclude_pattern));

-- The family of one repo id, NULL when none (one org belongs to one family, so at most one matches).
CREATE OR REPLACE MACRO model_family(model_id) AS (
    SELECT min(f.family) FROM staging.families AS f
    WHERE in_family(model_id, f.org, f.include_pattern, f.exclude_pattern)
);

-- Accepted windows: a window's rows reach staging and marts only with one of these statuses (never
-- 'quarantined' or 'missing'). Python asks the warehouse too (hubsignal/quality/quarantine.py is_accepted()).
CREATE OR REPLACE MACRO is_accepted(status) AS status IN ('observed', 'imported');

-- Each window's status and message as everyone reads them, derived from the two truths: the load outcome
-- (meta.window_loads, written by the loader) and the check quarantines (meta.quarantine). Same columns as
-- meta.window_loads. A window whose load is accepted is 'quarantined' while any check holds it (message: the
-- holding checks, `check <name>: <reason>` joined by ' | '); once the checks that held it were released after
-- its load, the message says so (`released <time> UTC (was: ...)`, `released by override (<reason>) (was:
-- ...)`, or, when they held older data of the window, the load's notes + `released <time> UTC: <check>
-- passes on the reloaded data`); otherwise the load's own status and message stand (a window rejected at load
-- keeps its reason). meta.quarantine is small: both aggregates are cheap next to the scan of window_loads.
CREATE OR REPLACE VIEW meta.snapshot_log AS
WITH active AS (
    SELECT
        source,
        window_start,
        string_agg('check ' || check_name || ': ' || reason, ' | ' ORDER BY quarantined_at, check_name) AS message
    FROM meta.quarantine
    WHERE released_at IS NULL
    GROUP BY source, window_start
),
released_since_load AS (
    SELECT
        q.*,
        q.quarantined_at < l.loaded_at AS on_older_data,
        q.released_at = max(q.released_at) OVER (PARTITION BY q.source, q.window_start) AS latest
    FROM meta.quarantine AS q
    JOIN meta.window_loads AS l
        ON l.source = q.source AND l.window_start = q.window_start
    WHERE q.released_at >= l.loaded_at
),
released AS (
    SELECT
        source,
        window_start,
        bool_or(on_older_data AND released_by = 're-run: check passes') FILTER (WHERE latest) AS on_reloaded_data,
        CASE
            WHEN bool_or(released_by LIKE 'override: %') FILTER (WHERE latest)
                THEN 'released by override (' || substr(min(released_by) FILTER (WHERE latest), 11) || ') (was: '
            ELSE 'released ' || strftime(max(released_at), '%Y-%m-%d %H:%M') || ' UTC (was: '
        END
        || string_agg('check ' || check_name || ': ' || reason, ' | ' ORDER BY quarantined_at, check_name)
            FILTER (WHERE latest)
        || ')' AS message,
        string_agg(
            'released ' || strftime(released_at, '%Y-%m-%d %H:%M') || ' UTC: ' || check_name
            || ' passes on the reloaded data',
            '; ' ORDER BY released_at, check_name
        ) FILTER (WHERE on_older_data AND released_by = 're-run: check passes') AS reloaded_message
    FROM released_since_load
    GROUP BY source, window_start
)
SELECT
    l.source,
    l.window_start,
    l.window_key,
    CASE WHEN is_accepted(l.status) AND a.message IS NOT NULL THEN 'quarantined' ELSE l.status END AS status,
    l.origin,
    l.n_records,
    l.n_files,
    l.fetched_at,
    l.loaded_at,
    l.landing_path,
    l.load_fingerprint,
    CASE
        WHEN NOT is_accepted(l.status) THEN l.message
        WHEN a.message IS NOT NULL THEN a.message
        WHEN r.on_reloaded_data THEN concat_ws('; ', l.message, r.reloaded_message)
        ELSE coalesce(r.message, l.message)
    END AS message
FROM meta.window_loads AS l
LEFT JOIN active AS a
    ON a.source = l.source AND a.window_start = l.window_start
LEFT JOIN released AS r
    ON r.source = l.source AND r.window_start = l.window_start;

CREATE OR REPLACE VIEW meta.accepted_windows AS
SELECT source, window_start, window_key, origin
FROM meta.snapshot_log
WHERE is_accepted(status);

-- Each window of src holding rows in [ws, we) paired with the previous accepted window of src within 7 days
-- (ASOF: the latest accepted window before it). crawled_only: only windows we crawled ourselves (live or
-- sample) on both sides, since imported dumps cover a varying subset of models by nature.
-- src names both the meta.snapshot_log source and its raw table (raw.<src> with window_start and origin).
CREATE OR REPLACE MACRO previous_accepted_windows(src, ws, we, crawled_only) AS TABLE
WITH checked AS (
    SELECT DISTINCT window_start
    FROM query_table('raw.' || src)
    WHERE window_start >= ws AND window_start < we AND (NOT crawled_only OR origin <> 'imported')
),
accepted AS (
    SELECT window_start
    FROM meta.accepted_windows
    WHERE source = src AND (NOT crawled_only OR origin <> 'imported')
        AND window_start >= ws - INTERVAL 7 DAYS AND window_start < we
)
SELECT c.window_start, a.window_start AS previous_window
FROM checked AS c
ASOF JOIN accepted AS a
    ON c.window_start > a.window_start;

-- Partial crawl of src: per family, the counted models (distinct model_id) and the total of `measure` (a
-- column of raw.<src>) in each checked window against its previous accepted crawled window. A family of the
-- previous window that vanished counts 0 models and 0. Offending: models down by more than 20% and 2+, or
-- the total down by more than 20%. Families by in_family on the raw rows, so that quarantined windows are
-- judged again on every run; patterns are matched once per model. Columns: window_start, family,
-- previous_window (as text), previous_n_models, n_models, previous_total, total (each check renames the last two).
CREATE OR REPLACE MACRO partial_crawl(src, measure, ws, we) AS TABLE
WITH pairs AS (
    SELECT * FROM previous_accepted_windows(src, ws, we, true)
),
rows_in_scope AS (
    SELECT window_start, model_id, COLUMNS(measure) AS total
    FROM query_table('raw.' || src)
    WHERE window_start IN (SELECT window_start FROM pairs UNION SELECT previous_window FROM pairs)
),
model_family AS (
    SELECT m.model_id, f.family
    FROM (SELECT DISTINCT model_id FROM rows_in_scope) AS m
    JOIN staging.families AS f
        ON in_family(m.model_id, f.org, f.include_pattern, f.exclude_pattern)
),
per_family AS (
    SELECT r.window_start, mf.family, count(DISTINCT r.model_id) AS n_models, sum(r.total) AS total
    FROM rows_in_scope AS r
    JOIN model_family AS mf
        ON mf.model_id = r.model_id
    GROUP BY r.window_start, mf.family
),
compared AS (
    SELECT
        p.window_start,
        b.family,
        strftime(p.previous_window, '%Y-%m-%d-%H:%M') AS previous_window,
        b.n_models AS previous_n_models,
        coalesce(c.n_models, 0) AS n_models,
        b.total AS previous_total,
        CASE WHEN c.family IS NULL THEN 0 ELSE c.total END AS total
    FROM pairs AS p
    JOIN per_family AS b
        ON b.window_start = p.previous_window
    LEFT JOIN per_family AS c
        ON c.window_start = p.window_start AND c.family = b.family
)
SELECT *
FROM compared
WHERE (n_models < 0.8 * previous_n_models AND previous_n_models - n_models >= 2)
    OR total < 0.8 * previous_total;

-- Schema drift of src: the top-level fields (meta.raw_fields) that appeared or disappeared in each window of
-- [ws, we) against the previous accepted window within 7 days.
CREATE OR REPLACE MACRO schema_drift(src, ws, we) AS TABLE
WITH fields AS (
    SELECT window_start, list_sort(list(field)) AS fields
    FROM meta.raw_fields
    WHERE source = src
        AND window_start >= ws - INTERVAL 7 DAYS AND window_start < we
    GROUP BY window_start
),
accepted AS (
    SELECT f.*
    FROM fields AS f
    JOIN meta.accepted_windows AS l
        ON l.source = src AND l.window_start = f.window_start
),
compared AS (
    SELECT
        c.window_start,
        a.window_start AS previous_window,
        list_filter(c.fields, x -> NOT list_contains(a.fields, x)) AS appeared,
        list_filter(a.fields, x -> NOT list_contains(c.fields, x)) AS disappeared
    FROM fields AS c
    ASOF JOIN accepted AS a
        ON c.window_start > a.window_start
    WHERE c.window_start >= ws
)
SELECT
    window_start,
    strftime(previous_window, '%Y-%m-%d-%H:%M') AS previous_window,
    array_to_string(appeared, ', ') AS fields_appeared,
    array_to_string(disappeared, ', ') AS fields_disappeared
FROM compared
WHERE len(appeared) > 0 OR len(disappeared) > 0;

-- Each observed window in [ws, we) with the observed window before it (prev_window_start: it may precede ws;
-- NULL for the first one ever). `observed`: the list of observed windows, built by the model from the tables
-- it names, so that the SQL reader still sees what the model reads.
CREATE OR REPLACE MACRO observed_with_previous(observed, ws, we) AS TABLE
WITH candidates AS (
    SELECT unnest(observed) AS window_start
)
SELECT window_start, prev_window_start
FROM (
    SELECT window_start, lag(window_start) OVER (ORDER BY window_start) AS prev_window_start
    FROM candidates
    WHERE window_start >= (SELECT coalesce(max(window_start) FILTER (WHERE window_start < ws), ws) FROM candidates)
        AND window_start < we
)
WHERE window_start >= ws;
