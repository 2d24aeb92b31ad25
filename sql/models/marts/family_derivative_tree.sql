-- Per window and family: the family's derivative tree in the whole-Hub graph (raw.hub_graph_models, a crawl of
-- every public model or an imported whole-Hub dump; docs/hub-graph.md).
--
-- Official models of family F: the window's models that the families file assigns to F (macro in_family, the
-- same rule as staging.hub_models and Python's Families.family_of). They are the roots and never count as
-- F's derivatives. Edges: child -> each declared parent (base_model: tags, any relation), ids matched
-- case-insensitively (the Hub treats repo ids so); self-loops are dropped.
-- F's transitive derivatives: every model reachable from F's official models through child edges, any
-- relation, any depth, minus F's official models. A model in the trees of two families counts in each
-- (an official model of another family included). Cycles terminate (each (family, model) is visited once:
-- UNION's set semantics), parents that no longer exist (not listed in the window) end their chain.
-- Direct derivatives: models (not official to F) with a parent among F's official models.
-- Sums over the transitive derivatives: derivative_downloads_30d, derivative_downloads_all_time (NULL
-- counts 0); n_active_derivatives: 30-day downloads >= active_derivative_min_downloads() (10).
-- max_depth: the longest shortest chain from an official model (1 = direct only), counted up to 8 levels
-- (8 means 8 or more: the depth search stops there, the derivative counts do not).
-- own_downloads_30d: the official models' 30-day downloads; derivative_share_30d = derivative_downloads_30d /
-- (own_downloads_30d + derivative_downloads_30d). One row per family per accepted hub_graph window.
WITH graph_windows AS (
    SELECT window_start
    FROM meta.accepted_windows
    WHERE source = 'hub_graph' AND window_start >= $window_start AND window_start < $window_end
),
models AS (
    SELECT m.window_start, m.model_id, lower(m.model_id) AS model_key, m.downloads_30d, m.downloads_all_time
    FROM raw.hub_graph_models AS m
    WHERE m.window_start >= $window_start AND m.window_start < $window_end
        AND m.window_start IN (SELECT window_start FROM graph_windows)
),
official AS (
    SELECT m.window_start, f.family, m.model_key, m.downloads_30d
    FROM models AS m
    JOIN staging.families AS f
        ON in_family(m.model_id, f.org, f.include_pattern, f.exclude_pattern)
),
edges AS (  -- parent -> child, lower-cased ids, any relation, self-loops dropped
    SELECT DISTINCT window_start, parent_key, child_key
    FROM staging.hub_graph_edges
    WHERE window_start >= $window_start AND window_start < $window_end
        AND window_start IN (SELECT window_start FROM graph_windows)
        AND parent_key <> child_key
),
reach AS (  -- (window, family, model) reachable from the family's official models; set semantics end cycles
    WITH RECURSIVE walk(window_start, family, model_key) AS (
        SELECT window_start, family, model_key FROM official
        UNION
        SELECT w.window_start, w.family, e.child_key
        FROM walk AS w
        JOIN edges AS e
            ON e.window_start = w.window_start AND e.parent_key = w.model_key
    )
    SELECT * FROM walk
),
derivatives AS (
    SELECT r.window_start, r.family, r.model_key, m.downloads_30d, m.downloads_all_time
    FROM reach AS r
    JOIN models AS m
        ON m.window_start = r.window_start AND m.model_key = r.model_key
    ANTI JOIN official AS o
        ON o.window_start = r.window_start AND o.family = r.family AND o.model_key = r.model_key
),
direct AS (
    SELECT DISTINCT o.window_start, o.family, e.child_key AS model_key
    FROM official AS o
    JOIN edges AS e
        ON e.window_start = o.window_start AND e.parent_key = o.model_key
    ANTI JOIN official AS x
        ON x.window_start = o.window_start AND x.family = o.family AND x.model_key = e.child_key
),
levels AS (  -- depth of each derivative, searched up to 8 levels (a model reached at several depths repeats)
    WITH RECURSIVE walk(window_start, family, model_key, depth) AS (
        SELECT window_start, family, model_key, 1 FROM direct
        UNION
        SELECT w.window_start, w.family, e.child_key, w.depth + 1
        FROM walk AS w
        JOIN edges AS e
            ON e.window_start = w.window_start AND e.parent_key = w.model_key
        WHERE w.depth < 8
    )
    SELECT window_start, family, max(depth) AS max_depth
    FROM (
        SELECT w.window_start, w.family, w.model_key, min(w.depth) AS depth
        FROM walk AS w
        ANTI JOIN official AS o
            ON o.window_start = w.window_start AND o.family = w.family AND o.model_key = w.model_key
        GROUP BY ALL
    )
    GROUP BY ALL
),
tree AS (
    SELECT
        window_start,
        family,
        count(*) AS n_transitive_derivatives,
        sum(coalesce(downloads_30d, 0)) AS derivative_downloads_30d,
        sum(coalesce(downloads_all_time, 0)) AS derivative_downloads_all_time,
        count(*) FILTER (WHERE downloads_30d >= active_derivative_min_downloads()) AS n_active_derivatives
    FROM derivatives
    GROUP BY ALL
),
n_direct AS (
    SELECT window_start, family, count(*) AS n_direct_derivatives FROM direct GROUP BY ALL
),
own AS (
    SELECT window_start, family, count(*) AS n_official_models, sum(coalesce(downloads_30d, 0)) AS own_downloads_30d
    FROM official
    GROUP BY ALL
),
grid AS (
    SELECT g.window_start, f.family, any_value(f.families_version) AS families_version
    FROM graph_windows AS g
    CROSS JOIN staging.families AS f
    GROUP BY ALL
)
SELECT
    g.window_start,
    g.family,
    coalesce(o.n_official_models, 0)::BIGINT AS n_official_models,
    coalesce(d.n_direct_derivatives, 0)::BIGINT AS n_direct_derivatives,
    coalesce(t.n_transitive_derivatives, 0)::BIGINT AS n_transitive_derivatives,
    coalesce(t.derivative_downloads_30d, 0)::BIGINT AS derivative_downloads_30d,
    coalesce(t.derivative_downloads_all_time, 0)::BIGINT AS derivative_downloads_all_time,
    coalesce(t.n_active_derivatives, 0)::BIGINT AS n_active_derivatives,
    coalesce(l.max_depth, 0)::INTEGER AS max_depth,
    coalesce(o.own_downloads_30d, 0)::BIGINT AS own_downloads_30d,
    coalesce(t.derivative_downloads_30d, 0)
        / nullif(coalesce(o.own_downloads_30d, 0) + coalesce(t.derivative_downloads_30d, 0), 0) AS derivative_share_30d,
    g.families_version
FROM grid AS g
LEFT JOIN own AS o ON o.window_start = g.window_start AND o.family = g.family
LEFT JOIN n_direct AS d ON d.window_start = g.window_start AND d.family = g.family
LEFT JOIN tree AS t ON t.window_start = g.window_start AND t.family = g.family
LEFT JOIN levels AS l ON l.window_start = g.window_start AND l.family = g.family
