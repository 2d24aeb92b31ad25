-- Per window, family and relation: the family's derivative tree (staging.family_derivative_reach) broken down
-- by the relation of the edges that reach each derivative (docs/hub-graph.md). relation: from
-- `base_model:<relation>:<id>` (finetune / adapter / quantized / merge / ... as the Hub writes it); 'unknown'
-- for an edge declared only by a plain `base_model:<id>` tag.
-- n_direct_derivatives: derivatives with an edge of that relation from one of the family's official models.
-- n_transitive_derivatives: derivatives (any depth) with at least one incoming edge of that relation from a
-- model of the same tree (an official model or another derivative; self-loops and parents outside the tree
-- do not count). derivative_downloads_30d / _all_time: sums over those (NULL counts 0).
-- A model reached by edges of several relations counts in each: the rows of a family do NOT sum to
-- marts.family_derivative_tree's totals. Only relations that reach at least one derivative have a row.
WITH graph_windows AS (
    SELECT window_start
    FROM meta.accepted_windows
    WHERE source = 'hub_graph' AND window_start >= $window_start AND window_start < $window_end
),
tree AS (
    SELECT window_start, family, model_id, lower(model_id) AS model_key, depth
    FROM staging.family_derivative_reach
    -- the run's windows through graph_windows only: a literal range that reaches staging.hub_graph_edges
    -- through the join made DuckDB plan its unnest as a lateral join, ~15x slower at 1M models (measured)
    WHERE window_start IN (SELECT window_start FROM graph_windows)
),
reached AS (  -- (derivative, relation) with an in-tree incoming edge of that relation; from_official: from depth 0
    SELECT c.window_start, c.family, c.model_id, coalesce(e.relation, 'unknown') AS relation,
        bool_or(p.depth = 0) AS from_official
    FROM tree AS c
    JOIN staging.hub_graph_edges AS e
        ON e.window_start = c.window_start AND e.child_key = c.model_key
    JOIN tree AS p
        ON p.window_start = c.window_start AND p.family = c.family AND p.model_key = e.parent_key
    WHERE c.depth >= 1 AND e.parent_key <> e.child_key
    GROUP BY ALL
),
sums AS (
    SELECT
        r.window_start,
        r.family,
        r.relation,
        count(*) FILTER (WHERE r.from_official) AS n_direct_derivatives,
        count(*) AS n_transitive_derivatives,
        sum(coalesce(m.downloads_30d, 0)) AS derivative_downloads_30d,
        sum(coalesce(m.downloads_all_time, 0)) AS derivative_downloads_all_time
    FROM reached AS r
    JOIN raw.hub_graph_models AS m
        ON m.window_start = r.window_start AND m.model_id = r.model_id
    WHERE m.window_start IN (SELECT window_start FROM graph_windows)
    GROUP BY ALL
)
SELECT
    s.window_start,
    s.family,
    s.relation,
    s.n_direct_derivatives::BIGINT AS n_direct_derivatives,
    s.n_transitive_derivatives::BIGINT AS n_transitive_derivatives,
    s.derivative_downloads_30d::BIGINT AS derivative_downloads_30d,
    s.derivative_downloads_all_time::BIGINT AS derivative_downloads_all_time,
    f.families_version
FROM sums AS s
JOIN (SELECT family, any_value(families_version) AS families_version FROM staging.families GROUP BY family) AS f
    ON f.family = s.family
