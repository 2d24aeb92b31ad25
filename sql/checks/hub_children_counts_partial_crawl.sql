-- asset: raw.hub_children_counts
-- severity: error
-- quarantine: hub_children_counts
-- description: Partial crawl: a family's number of counted models (by more than 20% and 2+ models) or its children total (by more than 20%) dropped against the previous accepted window.
-- Same rule as hub_models_partial_crawl, on the derivative counts (crawled for each family's top models).
WITH checked AS (
    SELECT DISTINCT window_start
    FROM raw.hub_children_counts
    WHERE window_start >= $window_start AND window_start < $window_end AND origin <> 'imported'
),
accepted AS (
    SELECT window_start
    FROM meta.snapshot_log
    WHERE source = 'hub_children_counts' AND status IN ('observed', 'imported') AND origin <> 'imported'
        AND window_start >= $window_start - INTERVAL 7 DAYS AND window_start < $window_end
),
pairs AS (
    SELECT c.window_start, a.window_start AS previous_window
    FROM checked AS c
    ASOF JOIN accepted AS a
        ON c.window_start > a.window_start
),
rows_in_scope AS (
    SELECT window_start, model_id, n_children
    FROM raw.hub_children_counts
    WHERE window_start IN (SELECT window_start FROM pairs UNION SELECT previous_window FROM pairs)
),
model_family AS (
    SELECT m.model_id, f.family
    FROM (SELECT DISTINCT model_id FROM rows_in_scope) AS m
    JOIN staging.families AS f
        ON lower(f.org) = lower(split_part(m.model_id, '/', 1))
    WHERE CASE WHEN f.include_pattern IS NULL THEN true
               ELSE regexp_matches(split_part(m.model_id, '/', 2), f.include_pattern) END
        AND CASE WHEN f.exclude_pattern IS NULL THEN true
                 ELSE NOT regexp_matches(split_part(m.model_id, '/', 2), f.exclude_pattern) END
),
per_family AS (
    SELECT r.window_start, mf.family, count(DISTINCT r.model_id) AS n_models, sum(r.n_children) AS n_children
    FROM rows_in_scope AS r
    JOIN model_family AS mf
        ON mf.model_id = r.model_id
    GROUP BY r.window_start, mf.family
),
compared AS (
    SELECT
        p.window_start,
        b.family,
        p.previous_window,
        b.n_models AS previous_n_models,
        coalesce(c.n_models, 0) AS n_models,
        b.n_children AS previous_n_children,
        coalesce(c.n_children, 0) AS n_children
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
    previous_n_children,
    n_children
FROM compared
WHERE (n_models < 0.8 * previous_n_models AND previous_n_models - n_models >= 2)
    OR n_children < 0.8 * previous_n_children
ORDER BY window_start, family
