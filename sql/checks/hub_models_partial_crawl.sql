-- asset: raw.hub_models
-- severity: error
-- quarantine: hub_models
-- description: Partial crawl: a family's model count (by more than 20% and 2+ models) or all-time downloads (by more than 20%) dropped against the previous accepted window.
-- Families as staging.hub_models assigns them (org, then include/exclude patterns), computed on the raw rows
-- so that quarantined windows are judged again on every run. Only windows we crawled ourselves (live or
-- sample) are compared, with the previous accepted one within 7 days: imported dumps cover a varying subset
-- of models by nature. A genuine drop (repos deleted) is accepted once with `hubsignal release`.
-- Reads only the checked windows and their previous windows; family patterns are matched once per model.
WITH checked AS (
    SELECT DISTINCT window_start
    FROM raw.hub_models
    WHERE window_start >= $window_start AND window_start < $window_end AND origin <> 'imported'
),
accepted AS (
    SELECT window_start
    FROM meta.snapshot_log
    WHERE source = 'hub_models' AND status IN ('observed', 'imported') AND origin <> 'imported'
        AND window_start >= $window_start - INTERVAL 7 DAYS AND window_start < $window_end
),
pairs AS (
    SELECT c.window_start, a.window_start AS previous_window
    FROM checked AS c
    ASOF JOIN accepted AS a
        ON c.window_start > a.window_start
),
rows_in_scope AS (
    SELECT window_start, model_id, author, downloads_all_time
    FROM raw.hub_models
    WHERE window_start IN (SELECT window_start FROM pairs UNION SELECT previous_window FROM pairs)
),
model_family AS (
    SELECT m.model_id, f.family
    FROM (SELECT DISTINCT model_id, author FROM rows_in_scope) AS m
    JOIN staging.families AS f
        ON lower(f.org) = lower(m.author)
    WHERE CASE WHEN f.include_pattern IS NULL THEN true
               ELSE regexp_matches(split_part(m.model_id, '/', 2), f.include_pattern) END
        AND CASE WHEN f.exclude_pattern IS NULL THEN true
                 ELSE NOT regexp_matches(split_part(m.model_id, '/', 2), f.exclude_pattern) END
),
per_family AS (
    SELECT r.window_start, mf.family, count(*) AS n_models, sum(r.downloads_all_time) AS downloads_all_time
    FROM rows_in_scope AS r
    JOIN model_family AS mf
        ON mf.model_id = r.model_id
    GROUP BY r.window_start, mf.family
),
compared AS (  -- every family of the previous window; one that vanished counts as 0 models
    SELECT
        p.window_start,
        b.family,
        p.previous_window,
        b.n_models AS previous_n_models,
        coalesce(c.n_models, 0) AS n_models,
        b.downloads_all_time AS previous_all_time,
        CASE WHEN c.family IS NULL THEN 0 ELSE c.downloads_all_time END AS downloads_all_time
    FROM pairs AS p
    JOIN per_family AS b
        ON b.window_start = p.previous_window
    LEFT JOIN per_family AS c
        ON c.window_start = p.window_start AND c.family = b.family
)
SELECT
    window_start,
    family,
    strftime(previous_window, '%Y-%m-%d-%H:%M') AS previous_window,
    previous_n_models,
    n_models,
    previous_all_time,
    downloads_all_time
FROM compared
WHERE (n_models < 0.8 * previous_n_models AND previous_n_models - n_models >= 2)
    OR downloads_all_time < 0.8 * previous_all_time
ORDER BY window_start, family
