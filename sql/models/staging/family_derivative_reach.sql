-- Per window and family: every model of the family's derivative tree in the whole-Hub graph, with its depth
-- (docs/hub-graph.md). Computed once per window by ONE recursive walk, read by marts.family_derivative_tree,
-- marts.family_derivative_relations and marts.family_derivative_publishers.
--
-- Roots (depth 0): the window's models that the families file assigns to the family (macro in_family, the
-- same rule as staging.hub_models and Python's Families.family_of). Edges: parent -> child from
-- staging.hub_graph_edges, any relation, ids matched case-insensitively, self-loops dropped. depth: the
-- length of the SHORTEST chain of edges from any root (exact, any depth): a breadth-first walk from all
-- roots at once, keyed on (window, family, model) (USING KEY), that only steps to models not reached yet
-- (recurring.walk holds every model reached so far), so every model is reached once, at its smallest depth,
-- and cycles end. Parents not listed in the window never enter (they are no root and no child).
-- A model reachable from the roots of two families is in both trees (an official model of another family
-- included); the family's own official models are depth 0 only, never derivatives.
WITH RECURSIVE graph_windows AS (
    SELECT window_start
    FROM meta.accepted_windows
    WHERE source = 'hub_graph' AND window_start >= $window_start AND window_start < $window_end
),
official AS MATERIALIZED (
    SELECT m.window_start, f.family, lower(m.model_id) AS model_key, m.model_id
    FROM raw.hub_graph_models AS m
    JOIN staging.families AS f
        ON in_family(m.model_id, f.org, f.include_pattern, f.exclude_pattern)
    WHERE m.window_start IN (SELECT window_start FROM graph_windows)
),
-- parent -> child, lower-cased ids, any relation, self-loops dropped. The run's windows are selected through
-- graph_windows only (the join pushes them into the scan as a dynamic filter): a literal range here made
-- DuckDB plan the walk slower (about 3x at 1M models, measured).
-- An edge declared twice (two relations) steps twice to the same model: USING KEY keeps one row (cheaper
-- than a DISTINCT over all edges).
edges AS MATERIALIZED (
    SELECT window_start, parent_key, child_key, child_id
    FROM staging.hub_graph_edges
    WHERE window_start IN (SELECT window_start FROM graph_windows) AND parent_key <> child_key
),
walk(window_start, family, model_key, model_id, depth) USING KEY (window_start, family, model_key) AS (
    SELECT window_start, family, model_key, model_id, 0 FROM official
    UNION
    SELECT w.window_start, w.family, e.child_key, e.child_id, w.depth + 1
    FROM walk AS w
    JOIN edges AS e
        ON e.window_start = w.window_start AND e.parent_key = w.model_key
    LEFT JOIN recurring.walk AS r
        ON r.window_start = w.window_start AND r.family = w.family AND r.model_key = e.child_key
    WHERE r.model_key IS NULL
)
SELECT window_start, family, model_id, depth::INTEGER AS depth
FROM walk
