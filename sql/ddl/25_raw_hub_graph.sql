-- The whole Hub as a graph (docs/hub-graph.md): one row per (window, model) of a whole-Hub crawl or dump (the
-- counters), and the declared edges stored once per run of loaded windows that declare them (intervals). Lean on
-- purpose (no tags list, no text beyond ids): 2M models a window. The landing zone keeps everything as received.
CREATE TABLE IF NOT EXISTS raw.hub_graph_models (
    window_start       TIMESTAMP NOT NULL,  -- UTC start of the 6-hour window
    model_id           VARCHAR   NOT NULL,  -- as the Hub spells it (ids match case-insensitively)
    author             VARCHAR,
    downloads_30d      BIGINT,              -- Hub `downloads`: rolling 30-day gauge
    downloads_all_time BIGINT,              -- Hub `downloadsAllTime`: cumulative counter
    likes              BIGINT,
    created_at         TIMESTAMP            -- UTC
);

-- The hub_graph windows whose edges raw.hub_graph_edges holds: every loaded window, one row each (written with
-- the window's models, in the same transaction, by hubsignal/hub/graph.py). An interval covers these windows only.
CREATE TABLE IF NOT EXISTS raw.hub_graph_edge_windows (
    window_start TIMESTAMP NOT NULL,  -- a loaded hub_graph window
    n_edges      BIGINT    NOT NULL   -- edges it declares (rows of staging.hub_graph_edges for it)
);

-- Declared edges child -> parent, one row per (child, parent, relation) and run of consecutive loaded windows
-- (raw.hub_graph_edge_windows) that declare it: an edge unchanged from one loaded window to the next is never
-- written again. Edge e is declared in loaded window W exactly when a row of e has
-- valid_from <= W AND (valid_to IS NULL OR W < valid_to). Rows of one edge never overlap, and two rows of an
-- edge are never adjacent (a loaded window without the edge lies between them).
CREATE TABLE IF NOT EXISTS raw.hub_graph_edges (
    child_id   VARCHAR   NOT NULL,  -- the declaring model, as the Hub spells it
    parent_id  VARCHAR   NOT NULL,  -- as written in the tag
    -- `base_model:<relation>:<id>` gives the relation, a plain `base_model:<id>` alone gives NULL (unknown)
    relation   VARCHAR,
    valid_from TIMESTAMP NOT NULL,  -- first loaded window of the run (inclusive)
    -- the first loaded window after the run, which does not declare the edge (exclusive); NULL: declared up to
    -- the latest loaded window
    valid_to   TIMESTAMP
);

-- A derivative is "active" when its 30-day downloads reach this many (marts.family_derivative_tree).
CREATE OR REPLACE MACRO active_derivative_min_downloads() AS 10;

-- The declared parents of a model from its tags: `base_model:<relation>:<id>` is an edge with that relation,
-- `base_model:<id>` alone an edge with relation NULL (unknown); a plain tag whose parent also has a relation
-- tag (ids compared case-insensitively) adds nothing. Repo ids never hold ':', so the first ':' after the
-- prefix separates a relation. In three steps, each over the previous one's COLUMN (the hub_graph loader,
-- hubsignal/hub/graph.py): macros expand textually, so one nested expression would re-parse the tags for
-- every reference and every list element (measured 2x slower at 1M models).
--   rest = base_model_rest(tags); relation_ids = base_model_relation_ids(rest); base_model_edges(rest, relation_ids)
CREATE OR REPLACE MACRO base_model_rest(tags) AS
    list_filter(
        list_transform(list_filter(coalesce(tags, []), t -> starts_with(t, 'base_model:')), t -> t[12:]),
        r -> r <> '' AND NOT ends_with(r, ':')
    );
CREATE OR REPLACE MACRO base_model_relation_ids(rest) AS
    list_transform(list_filter(rest, r -> contains(r, ':')), r -> lower(r[strpos(r, ':') + 1:]));
CREATE OR REPLACE MACRO base_model_edges(rest, relation_ids) AS
    list_distinct(list_concat(
        list_transform(
            list_filter(rest, r -> contains(r, ':')),
            r -> {'parent_id': r[strpos(r, ':') + 1:], 'relation': r[:strpos(r, ':') - 1]}
        ),
        list_transform(
            list_filter(rest, p -> NOT contains(p, ':') AND NOT list_contains(relation_ids, lower(p))),
            p -> {'parent_id': p, 'relation': NULL::VARCHAR}
        )
    ));
