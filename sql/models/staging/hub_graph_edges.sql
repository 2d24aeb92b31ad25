-- The whole-Hub graph's edges, one row per (window, child, declared parent) as loaded into the warehouse
-- (docs/hub-graph.md): relation from `base_model:<relation>:<id>`, NULL (unknown) for a plain `base_model:<id>`.
-- Ids as written, plus lower-cased keys (the Hub matches repo ids case-insensitively). Every edge as declared:
-- self-loops and parents that are not listed in the window are kept here (the marts drop them; the check
-- hub_graph_anomalies counts them). Every loaded window, accepted or not: readers filter on accepted windows.
SELECT
    m.window_start,
    m.model_id AS child_id,
    lower(m.model_id) AS child_key,
    p.parent_id,
    lower(p.parent_id) AS parent_key,
    p.relation
FROM raw.hub_graph_models AS m, unnest(m.parents) AS t(p)
