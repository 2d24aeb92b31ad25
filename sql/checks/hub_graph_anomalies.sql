-- asset: raw.hub_graph_models
-- severity: warn
-- description: Oddities of the whole-Hub graph that end the derivative walk, per window (zero rows: none): self-loops, models on a cycle of the family trees, edges to a parent not listed in the window (docs/hub-graph.md).
--
-- Per accepted hub_graph window, over the declared edges of staging.hub_graph_edges (ids case-insensitive, one
-- edge per child and parent whatever the relation):
--   n_self_loops = models that name themselves as parent;
--   n_dead_parent_edges / n_dead_parents = edges whose parent is not listed in the window (deleted, private,
--     renamed, or never existed), and the distinct such parents;
--   n_models_on_cycles = the cycles the derivative walk meets: within the family trees (the models of
--     staging.family_derivative_reach; a walk that reaches one model of a cycle reaches all of it), what
--     remains after repeatedly removing every model with no parent left and every model with no child left
--     (self-loops ignored): exactly the models on a cycle, plus models on a chain from one cycle to another
--     (rare). Two walks that each touch a model once (Kahn's peeling from the sources, then from the sinks,
--     of the models that have both a parent and a child), no per-model recursive search: cheap at 2M models;
--   example_cycle_model, example_dead_parent = one of each (the smallest id), to look at.
WITH graph_windows AS (
    SELECT window_start
    FROM meta.accepted_windows
    WHERE source = 'hub_graph' AND window_start >= $window_start AND window_start < $window_end
),
declared AS (
    SELECT DISTINCT window_start, child_key, parent_key
    FROM staging.hub_graph_edges
    WHERE window_start IN (SELECT window_start FROM graph_windows)
),
listed AS (
    SELECT window_start, lower(model_id) AS model_key
    FROM raw.hub_graph_models
    WHERE window_start IN (SELECT window_start FROM graph_windows)
),
self_loops AS (
    SELECT window_start, count(*) AS n_self_loops FROM declared WHERE child_key = parent_key GROUP BY ALL
),
dead AS (
    SELECT d.window_start, d.parent_key
    FROM declared AS d
    ANTI JOIN listed AS l ON l.window_start = d.window_start AND l.model_key = d.parent_key
),
dead_counts AS (
    SELECT window_start, count(*) AS n_dead_parent_edges, count(DISTINCT parent_key) AS n_dead_parents,
        min(parent_key) AS example_dead_parent
    FROM dead
    GROUP BY ALL
),
tree_models AS (
    SELECT DISTINCT window_start, lower(model_id) AS model_key
    FROM staging.family_derivative_reach
    WHERE window_start IN (SELECT window_start FROM graph_windows)
),
live AS MATERIALIZED (  -- edges between two models of the family trees, self-loops dropped
    SELECT d.window_start, d.parent_key, d.child_key
    FROM declared AS d
    SEMI JOIN tree_models AS p ON p.window_start = d.window_start AND p.model_key = d.parent_key
    SEMI JOIN tree_models AS c ON c.window_start = d.window_start AND c.model_key = d.child_key
    WHERE d.child_key <> d.parent_key
),
inner_models AS (  -- only a model with both a parent and a child can be on a cycle
    SELECT window_start, child_key AS model_key FROM live
    INTERSECT
    SELECT window_start, parent_key FROM live
),
core_edges AS (
    SELECT e.*
    FROM live AS e
    SEMI JOIN inner_models AS p ON p.window_start = e.window_start AND p.model_key = e.parent_key
    SEMI JOIN inner_models AS c ON c.window_start = e.window_start AND c.model_key = e.child_key
),
n_parents AS (
    SELECT m.window_start, m.model_key, count(e.parent_key) AS n
    FROM inner_models AS m
    LEFT JOIN core_edges AS e ON e.window_start = m.window_start AND e.child_key = m.model_key
    GROUP BY ALL
),
from_sources AS (  -- Kahn: a model is peeled once all its parents are; n_peeled counts its peeled parents
    WITH RECURSIVE peel(window_start, model_key, n_peeled, peeled) USING KEY (window_start, model_key) AS (
        SELECT window_start, model_key, 0, true FROM n_parents WHERE n = 0
        UNION
        SELECT e.window_start, e.child_key, coalesce(any_value(r.n_peeled), 0) + count(*),
            coalesce(any_value(r.n_peeled), 0) + count(*) = any_value(np.n)
        FROM peel AS p
        JOIN live AS e ON e.window_start = p.window_start AND e.parent_key = p.model_key
        JOIN n_parents AS np ON np.window_start = e.window_start AND np.model_key = e.child_key
        LEFT JOIN recurring.peel AS r ON r.window_start = e.window_start AND r.model_key = e.child_key
        WHERE p.peeled
        GROUP BY e.window_start, e.child_key
    )
    SELECT window_start, model_key FROM peel WHERE peeled
),
rest AS (  -- on a cycle or downstream of one
    SELECT window_start, model_key FROM inner_models
    EXCEPT
    SELECT window_start, model_key FROM from_sources
),
rest_edges AS (
    SELECT e.*
    FROM core_edges AS e
    SEMI JOIN rest AS p ON p.window_start = e.window_start AND p.model_key = e.parent_key
    SEMI JOIN rest AS c ON c.window_start = e.window_start AND c.model_key = e.child_key
),
n_children AS (
    SELECT m.window_start, m.model_key, count(e.child_key) AS n
    FROM rest AS m
    LEFT JOIN rest_edges AS e ON e.window_start = m.window_start AND e.parent_key = m.model_key
    GROUP BY ALL
),
from_sinks AS (  -- the same from the sinks, over what the first walk left
    WITH RECURSIVE peel(window_start, model_key, n_peeled, peeled) USING KEY (window_start, model_key) AS (
        SELECT window_start, model_key, 0, true FROM n_children WHERE n = 0
        UNION
        SELECT e.window_start, e.parent_key, coalesce(any_value(r.n_peeled), 0) + count(*),
            coalesce(any_value(r.n_peeled), 0) + count(*) = any_value(nc.n)
        FROM peel AS p
        JOIN live AS e ON e.window_start = p.window_start AND e.child_key = p.model_key
        JOIN n_children AS nc ON nc.window_start = e.window_start AND nc.model_key = e.parent_key
        LEFT JOIN recurring.peel AS r ON r.window_start = e.window_start AND r.model_key = e.parent_key
        WHERE p.peeled
        GROUP BY e.window_start, e.parent_key
    )
    SELECT window_start, model_key FROM peel WHERE peeled
),
on_cycles AS (
    SELECT window_start, count(*) AS n_models_on_cycles, min(model_key) AS example_cycle_model
    FROM (
        SELECT window_start, model_key FROM rest
        EXCEPT
        SELECT window_start, model_key FROM from_sinks
    )
    GROUP BY ALL
)
SELECT
    g.window_start,
    coalesce(s.n_self_loops, 0) AS n_self_loops,
    coalesce(c.n_models_on_cycles, 0) AS n_models_on_cycles,
    coalesce(d.n_dead_parent_edges, 0) AS n_dead_parent_edges,
    coalesce(d.n_dead_parents, 0) AS n_dead_parents,
    c.example_cycle_model,
    d.example_dead_parent
FROM graph_windows AS g
LEFT JOIN self_loops AS s ON s.window_start = g.window_start
LEFT JOIN on_cycles AS c ON c.window_start = g.window_start
LEFT JOIN dead_counts AS d ON d.window_start = g.window_start
WHERE s.n_self_loops > 0 OR c.n_models_on_cycles > 0 OR d.n_dead_parent_edges > 0
ORDER BY g.window_start
