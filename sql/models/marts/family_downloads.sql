-- Per window and family: cumulative (sum of all-time counters) and 30-day downloads of the family's
-- official models, their count, the family's share of the tracked 30-day total and its rank; and the
-- downloads GAINED since the previous observed window, from all-time counter deltas (never from the
-- 30-day gauge), over the real interval (prev_window_start, hours_since_prev: 12 when one window is missing).
--
-- Reads only what the run's windows need: meta.snapshot_log (one row per window) to find the latest
-- observed window before $window_start, then staging.hub_models from that window on.
--
-- downloads_gained = sum over the family's models of
--   all-time(W) - all-time(prev)   for a model listed in both windows,
--   all-time(W)                    for a model absent from prev and created after prev's window closed
--                                  (all its downloads happened in the interval);
-- models listed before but absent now (deleted, private, renamed) and models that appear without being
-- new (created earlier: made public, renamed, moved) are left out of it (their history in the interval is
-- unknown) and counted in n_models_disappeared / n_models_appeared. So downloads_gained can differ from
-- downloads_all_time - downloads_all_time_prev. A decreasing counter is kept as a negative delta (quality
-- checks flag it). NULL when the family was not observed in the previous observed window (or there is
-- none), or when no model has all-time counters at both ends (e.g. imported dumps without them).
WITH observed AS (
    SELECT window_start
    FROM meta.accepted_windows
    WHERE source = 'hub_models'
),
windows AS (  -- each observed window of the run and the observed window before it (may precede the run)
    SELECT * FROM observed_with_previous((SELECT list(window_start) FROM observed), $window_start, $window_end)
),
bounds AS (  -- the first window read: the observed window before the run's first one
    SELECT min(coalesce(prev_window_start, window_start)) AS read_from FROM windows
),
models AS (
    SELECT window_start, family, families_version, model_id, created_at, downloads_all_time, downloads_30d
    FROM staging.hub_models
    WHERE window_start >= (SELECT read_from FROM bounds) AND window_start < $window_end
),
families_prev AS (  -- each family's totals in the previous observed window of each run window
    SELECT
        w.window_start,
        p.family,
        sum(p.downloads_all_time)::BIGINT AS downloads_all_time_prev,
        sum(p.downloads_30d)::BIGINT AS downloads_30d_prev
    FROM windows AS w
    JOIN models AS p ON p.window_start = w.prev_window_start
    GROUP BY w.window_start, p.family
),
disappeared AS (
    SELECT w.window_start, p.family, count(*) AS n_models_disappeared
    FROM windows AS w
    JOIN models AS p ON p.window_start = w.prev_window_start
    WHERE NOT EXISTS (SELECT 1 FROM models AS c WHERE c.window_start = w.window_start AND c.model_id = p.model_id)
    GROUP BY w.window_start, p.family
),
matched AS (
    SELECT
        c.*,
        p.model_id IS NULL AS appeared,
        CASE
            WHEN p.model_id IS NOT NULL THEN c.downloads_all_time - p.downloads_all_time
            WHEN c.created_at >= w.prev_window_start + INTERVAL 6 HOUR THEN c.downloads_all_time
        END AS gained
    FROM models AS c
    JOIN windows AS w ON w.window_start = c.window_start
    LEFT JOIN models AS p ON p.window_start = w.prev_window_start AND p.model_id = c.model_id
),
per_family AS (
    SELECT
        window_start,
        family,
        any_value(families_version) AS families_version,
        sum(downloads_all_time)::BIGINT AS downloads_all_time,
        sum(downloads_30d)::BIGINT AS downloads_30d,
        count(*) AS n_models,
        sum(gained)::BIGINT AS downloads_gained,
        count(gained) AS n_models_in_delta,
        count(*) FILTER (WHERE appeared) AS n_models_appeared
    FROM matched
    GROUP BY window_start, family
)
SELECT
    f.window_start,
    f.family,
    f.downloads_all_time,
    f.downloads_30d,
    f.n_models,
    f.downloads_30d / nullif(sum(f.downloads_30d) OVER (PARTITION BY f.window_start), 0) AS share_30d,
    rank() OVER (PARTITION BY f.window_start ORDER BY f.downloads_30d DESC) AS rank_30d,
    -- no counter (e.g. an imported dump without downloadsAllTime): no rank either, rather than a tie at 1
    CASE WHEN f.downloads_all_time IS NOT NULL
        THEN rank() OVER (PARTITION BY f.window_start ORDER BY f.downloads_all_time DESC NULLS LAST) END AS rank_all_time,
    w.prev_window_start AS prev_window_start,
    date_diff('hour', w.prev_window_start, f.window_start) AS hours_since_prev,
    p.downloads_all_time_prev,
    p.downloads_30d_prev,
    -- w.prev_window_start is NULL when the family has no previous observation: nothing is compared then
    CASE WHEN w.prev_window_start IS NOT NULL THEN f.downloads_gained END AS downloads_gained,
    CASE WHEN w.prev_window_start IS NOT NULL THEN f.downloads_gained END
        * 24.0 / date_diff('hour', w.prev_window_start, f.window_start) AS downloads_gained_per_day,
    CASE WHEN w.prev_window_start IS NOT NULL THEN f.n_models_in_delta END AS n_models_in_delta,
    CASE WHEN w.prev_window_start IS NOT NULL THEN f.n_models_appeared END AS n_models_appeared,
    CASE WHEN w.prev_window_start IS NOT NULL THEN coalesce(d.n_models_disappeared, 0) END AS n_models_disappeared,
    f.families_version
FROM per_family AS f
LEFT JOIN families_prev AS p ON p.window_start = f.window_start AND p.family = f.family
-- the family's previous observation: the previous observed window, if the family had rows there
LEFT JOIN windows AS w ON w.window_start = f.window_start AND p.family IS NOT NULL
LEFT JOIN disappeared AS d ON d.window_start = f.window_start AND d.family = f.family
