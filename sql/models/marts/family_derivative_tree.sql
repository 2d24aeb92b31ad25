-- Per window and family: the family's derivative tree in the whole-Hub graph (raw.hub_graph_models, a crawl of
-- every public model or an imported whole-Hub dump; docs/hub-graph.md), from staging.family_derivative_reach
-- (one walk per window: the family's official models at depth 0, every model reachable from them through
-- child edges of any relation at its shortest-chain depth; self-loops, cycles and parents not listed in the
-- window end the walk).
--
-- Official models of family F: the window's models that the families file assigns to F. They are the roots
-- and never count as F's derivatives. A model in the trees of two families counts in each (an official model
-- of another family included).
-- n_direct_derivatives: models (not official to F) with a parent among F's official models (depth 1).
-- n_transitive_derivatives: every reachable model, any depth (depth >= 1). Sums over them:
-- derivative_downloads_30d, derivative_downloads_all_time (NULL counts 0); n_active_derivatives: 30-day
-- downloads >= active_derivative_min_downloads() (10). max_depth: the largest shortest-chain depth (exact,
-- 0 = no derivative). own_downloads_30d: the official models' 30-day downloads; derivative_share_30d =
-- derivative_downloads_30d / (own_downloads_30d + derivative_downloads_30d).
-- prev_window_start: the previous accepted hub_graph window (NULL for the first); n_transitive_derivatives_prev
-- and derivative_downloads_30d_prev: the family's values then (NULL when that window has no tree rows, e.g.
-- loaded before the tree existed: never read as zero). One row per family per accepted hub_graph window.
WITH accepted AS (
    SELECT window_start FROM meta.accepted_windows WHERE source = 'hub_graph'
),
windows AS (  -- each accepted graph window of the run and the accepted graph window before it
    SELECT * FROM observed_with_previous((SELECT list(window_start) FROM accepted), $window_start, $window_end)
),
bounds AS (
    SELECT min(coalesce(prev_window_start, window_start)) AS read_from FROM windows
),
read_windows AS (
    SELECT window_start FROM windows UNION SELECT prev_window_start FROM windows WHERE prev_window_start IS NOT NULL
),
members AS (
    SELECT r.window_start, r.family, r.depth, m.downloads_30d, m.downloads_all_time
    FROM staging.family_derivative_reach AS r
    JOIN raw.hub_graph_models AS m
        ON m.window_start = r.window_start AND m.model_id = r.model_id
    WHERE r.window_start >= (SELECT read_from FROM bounds) AND r.window_start < $window_end
        AND m.window_start >= (SELECT read_from FROM bounds) AND m.window_start < $window_end
        AND r.window_start IN (SELECT window_start FROM read_windows)
),
per_family AS (
    SELECT
        window_start,
        family,
        count(*) FILTER (WHERE depth = 0) AS n_official_models,
        count(*) FILTER (WHERE depth = 1) AS n_direct_derivatives,
        count(*) FILTER (WHERE depth >= 1) AS n_transitive_derivatives,
        sum(coalesce(downloads_30d, 0)) FILTER (WHERE depth >= 1) AS derivative_downloads_30d,
        sum(coalesce(downloads_all_time, 0)) FILTER (WHERE depth >= 1) AS derivative_downloads_all_time,
        count(*) FILTER (WHERE depth >= 1 AND downloads_30d >= active_derivative_min_downloads()) AS n_active_derivatives,
        max(depth) AS max_depth,
        sum(coalesce(downloads_30d, 0)) FILTER (WHERE depth = 0) AS own_downloads_30d
    FROM members
    GROUP BY ALL
),
with_tree AS (  -- windows whose tree was built (any family has a member)
    SELECT DISTINCT window_start FROM per_family
),
grid AS (
    SELECT w.window_start, w.prev_window_start, f.family, any_value(f.families_version) AS families_version
    FROM windows AS w
    CROSS JOIN staging.families AS f
    GROUP BY ALL
)
SELECT
    g.window_start,
    g.family,
    coalesce(t.n_official_models, 0)::BIGINT AS n_official_models,
    coalesce(t.n_direct_derivatives, 0)::BIGINT AS n_direct_derivatives,
    coalesce(t.n_transitive_derivatives, 0)::BIGINT AS n_transitive_derivatives,
    coalesce(t.derivative_downloads_30d, 0)::BIGINT AS derivative_downloads_30d,
    coalesce(t.derivative_downloads_all_time, 0)::BIGINT AS derivative_downloads_all_time,
    coalesce(t.n_active_derivatives, 0)::BIGINT AS n_active_derivatives,
    coalesce(t.max_depth, 0)::INTEGER AS max_depth,
    coalesce(t.own_downloads_30d, 0)::BIGINT AS own_downloads_30d,
    coalesce(t.derivative_downloads_30d, 0)
        / nullif(coalesce(t.own_downloads_30d, 0) + coalesce(t.derivative_downloads_30d, 0), 0) AS derivative_share_30d,
    g.prev_window_start,
    CASE WHEN p_built.window_start IS NOT NULL
        THEN coalesce(p.n_transitive_derivatives, 0)::BIGINT END AS n_transitive_derivatives_prev,
    CASE WHEN p_built.window_start IS NOT NULL
        THEN coalesce(p.derivative_downloads_30d, 0)::BIGINT END AS derivative_downloads_30d_prev,
    g.families_version
FROM grid AS g
LEFT JOIN per_family AS t ON t.window_start = g.window_start AND t.family = g.family
LEFT JOIN with_tree AS p_built ON p_built.window_start = g.prev_window_start
LEFT JOIN per_family AS p ON p.window_start = g.prev_window_start AND p.family = g.family
