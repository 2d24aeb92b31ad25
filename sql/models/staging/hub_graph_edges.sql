-- The whole-Hub graph's edges, one row per (window, child, declared parent) as loaded into the warehouse
-- (docs/hub-graph.md): relation from `base_model:<relation>:<id>`, NULL (unknown) for a plain `base_model:<id>`.
-- Ids as written, plus lower-cased keys (the Hub matches repo ids case-insensitively). Every edge as declared:
-- self-loops and parents that are not listed in the window are kept here (the marts drop them; the check
-- hub_graph_anomalies counts them). Every loaded window, accepted or not: readers filter on accepted windows.
-- Stored once per run of loaded windows (raw.hub_graph_edges: valid_from inclusive, valid_to exclusive, NULL =
-- up to the latest loaded window), spread here over the loaded windows (raw.hub_graph_edge_windows).
SELECT
    w.window_start,
    e.child_id,
    lower(e.child_id) AS child_key,
    e.parent_id,
    lower(e.parent_id) AS parent_key,
    e.relation
FROM raw.hub_graph_edge_windows AS w
JOIN raw.hub_graph_edges AS e
    ON e.valid_from <= w.window_start AND w.window_start < coalesce(e.valid_to, 'infinity'::TIMESTAMP)
