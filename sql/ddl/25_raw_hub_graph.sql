-- The whole Hub as a graph (docs/hub-graph.md): one row per (window, model) of a whole-Hub crawl or dump, with
-- the model's declared parents parsed from its `base_model:` tags. Lean on purpose (no tags list, no text
-- beyond ids): 2M rows a window. The landing zone keeps everything as received.
CREATE TABLE IF NOT EXISTS raw.hub_graph_models (
    window_start       TIMESTAMP NOT NULL,  -- UTC start of the 6-hour window
    model_id           VARCHAR   NOT NULL,  -- as the Hub spells it (ids match case-insensitively)
    author             VARCHAR,
    downloads_30d      BIGINT,              -- Hub `downloads`: rolling 30-day gauge
    downloads_all_time BIGINT,              -- Hub `downloadsAllTime`: cumulative counter
    likes              BIGINT,
    created_at         TIMESTAMP,           -- UTC
    -- one entry per declared parent: `base_model:<relation>:<id>` gives the relation, a plain
    -- `base_model:<id>` alone gives relation NULL (unknown); parent ids as written in the tag
    parents            STRUCT(parent_id VARCHAR, relation VARCHAR)[]
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
