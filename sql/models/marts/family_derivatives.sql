-- Per window, family and relation: direct derivative models of the family's counted models, from the
-- Hub's per-relation children counts (raw.hub_children_counts), with intra-family children removed, and
-- their growth since the previous observed window.
--
-- Windows: those where both hub_children_counts and hub_models were observed (the listing says which
-- children are first-party). Reads meta.snapshot_log, then only the run's windows and the observed window
-- before $window_start.
--
-- Intra-family children: a first-party model of family F that declares (base_model tags) a parent of the
-- same family F is counted in that parent's children by the Hub but is not a derivative (Qwen/Qwen3-8B is
-- a finetune of Qwen/Qwen3-8B-Base). Per counted parent and relation:
--     n_derivatives = greatest(n_children - n_intra_family, 0)
-- where n_intra_family counts the family's models listed in the same window that declare that parent
-- with that relation. Children of another family (DeepSeek's distills of Qwen) stay derivatives.
--
-- The 'any' relation: when the Hub serves childrenModelCount as a bare integer (a total over relations),
-- the row keeps relation 'any'; it is never split across relations. Its intra-family removal counts the
-- family's models declaring that parent under any relation (or with a plain base_model tag). A family's
-- total is the sum over all its relation rows, 'any' included. A child declared with a plain
-- `base_model:` tag only (no relation) is removed only from 'any' totals (its relation bucket is unknown).
--
-- Growth (derivatives_growth) is counted per parent, like downloads: n_derivatives(W) - n_derivatives(prev)
-- for parents counted in both windows (a relation missing on one side counts 0), plus all derivatives of
-- parents created after prev's window closed. Parents entering or leaving the counted set (top-N per
-- family, or a repo appearing/disappearing) change n_derivatives but not growth, so growth can differ
-- from n_derivatives - n_derivatives_prev. Rows: the relations the family has in W or in prev.
-- prev_window_start, n_derivatives_prev and derivatives_growth are NULL when the family has no counts in
-- the previous observed window (or there is none).
WITH observed AS (
    SELECT c.window_start
    FROM meta.accepted_windows AS c
    JOIN meta.accepted_windows AS m
        ON m.source = 'hub_models' AND m.window_start = c.window_start
    WHERE c.source = 'hub_children_counts'
),
windows AS (  -- each observed window of the run and the observed window before it (may precede the run)
    SELECT * FROM observed_with_previous((SELECT list(window_start) FROM observed), $window_start, $window_end)
),
bounds AS (  -- the first window read: the observed window before the run's first one
    SELECT min(coalesce(prev_window_start, window_start)) AS read_from FROM windows
),
read_windows AS (  -- the run's windows and their previous observed windows: all this model reads
    SELECT window_start FROM windows
    UNION
    SELECT prev_window_start FROM windows WHERE prev_window_start IS NOT NULL
),
listing AS (
    SELECT window_start, family, families_version, model_id, created_at, base_models
    FROM staging.hub_models
    WHERE window_start >= (SELECT read_from FROM bounds) AND window_start < $window_end
        AND window_start IN (SELECT window_start FROM read_windows)
),
declared AS (  -- (child, declared parent, relation) for every listed first-party model
    SELECT window_start, family, child_id, parent.model_id AS parent_id, parent.relation AS relation
    FROM (
        SELECT window_start, family, model_id AS child_id, unnest(base_models) AS parent
        FROM listing
    )
),
counts AS (  -- children counts of the family models listed in the same window
    SELECT k.window_start, p.family, p.families_version, p.created_at, k.model_id, k.relation, k.n_children
    FROM raw.hub_children_counts AS k
    JOIN listing AS p ON p.window_start = k.window_start AND p.model_id = k.model_id
    WHERE k.window_start >= (SELECT read_from FROM bounds) AND k.window_start < $window_end
),
intra AS (
    SELECT k.window_start, k.model_id, k.relation, count(DISTINCT d.child_id) AS n_intra_family
    FROM counts AS k
    JOIN declared AS d
        ON d.window_start = k.window_start
        AND d.parent_id = k.model_id
        AND d.family = k.family
        AND (k.relation = 'any' OR d.relation = k.relation)
    GROUP BY k.window_start, k.model_id, k.relation
),
net AS (  -- per counted parent and relation
    SELECT
        k.*,
        coalesce(i.n_intra_family, 0) AS n_intra_family,
        greatest(k.n_children - coalesce(i.n_intra_family, 0), 0) AS n_derivatives
    FROM counts AS k
    LEFT JOIN intra AS i USING (window_start, model_id, relation)
),
parents AS (
    SELECT DISTINCT window_start, family, model_id, created_at FROM net
),
families_prev AS (  -- families with counts in the previous observed window of each run window
    SELECT DISTINCT w.window_start, w.prev_window_start, p.family
    FROM windows AS w
    JOIN parents AS p ON p.window_start = w.prev_window_start
),
growth_parents AS (  -- (run window, parent) whose derivatives count as growth, and where to subtract from
    SELECT c.window_start, c.model_id, (p.model_id IS NOT NULL) AS counted_before, w.prev_window_start
    FROM parents AS c
    JOIN windows AS w ON w.window_start = c.window_start
    LEFT JOIN parents AS p ON p.window_start = w.prev_window_start AND p.model_id = c.model_id
    WHERE p.model_id IS NOT NULL OR c.created_at >= w.prev_window_start + INTERVAL 6 HOUR
),
growth AS (
    SELECT window_start, family, relation, sum(delta) AS derivatives_growth
    FROM (
        SELECT g.window_start, n.family, n.relation, n.n_derivatives AS delta
        FROM growth_parents AS g
        JOIN net AS n ON n.window_start = g.window_start AND n.model_id = g.model_id
        UNION ALL
        SELECT g.window_start, n.family, n.relation, -n.n_derivatives AS delta
        FROM growth_parents AS g
        JOIN net AS n ON n.window_start = g.prev_window_start AND n.model_id = g.model_id
        WHERE g.counted_before
    )
    GROUP BY window_start, family, relation
),
cur AS (
    SELECT
        n.window_start,
        n.family,
        n.relation,
        any_value(n.families_version) AS families_version,
        count(*) AS n_parents,
        sum(n.n_children) AS n_children,
        sum(n.n_intra_family) AS n_intra_family,
        sum(n.n_derivatives) AS n_derivatives
    FROM net AS n
    JOIN windows AS w ON w.window_start = n.window_start
    GROUP BY n.window_start, n.family, n.relation
),
prev AS (
    SELECT f.window_start, n.family, n.relation, sum(n.n_derivatives) AS n_derivatives_prev
    FROM families_prev AS f
    JOIN net AS n ON n.window_start = f.prev_window_start AND n.family = f.family
    GROUP BY f.window_start, n.family, n.relation
),
versions AS (
    SELECT window_start, family, any_value(families_version) AS families_version
    FROM cur
    GROUP BY window_start, family
),
grid AS (  -- relations the family has in W, or had in prev (a relation can vanish), for families in W
    SELECT window_start, family, relation FROM cur
    UNION
    SELECT p.window_start, p.family, p.relation
    FROM prev AS p
    JOIN versions AS v ON v.window_start = p.window_start AND v.family = p.family
)
SELECT
    g.window_start,
    g.family,
    g.relation,
    coalesce(c.n_derivatives, 0)::BIGINT AS n_derivatives,
    coalesce(c.n_children, 0)::BIGINT AS n_children,
    coalesce(c.n_intra_family, 0)::BIGINT AS n_intra_family,
    coalesce(c.n_parents, 0)::BIGINT AS n_parents,
    f.prev_window_start,
    date_diff('hour', f.prev_window_start, g.window_start) AS hours_since_prev,
    CASE WHEN f.family IS NOT NULL THEN coalesce(p.n_derivatives_prev, 0)::BIGINT END AS n_derivatives_prev,
    CASE WHEN f.family IS NOT NULL THEN coalesce(gr.derivatives_growth, 0)::BIGINT END AS derivatives_growth,
    v.families_version
FROM grid AS g
JOIN versions AS v ON v.window_start = g.window_start AND v.family = g.family
LEFT JOIN cur AS c ON c.window_start = g.window_start AND c.family = g.family AND c.relation = g.relation
LEFT JOIN prev AS p ON p.window_start = g.window_start AND p.family = g.family AND p.relation = g.relation
LEFT JOIN families_prev AS f ON f.window_start = g.window_start AND f.family = g.family
LEFT JOIN growth AS gr ON gr.window_start = g.window_start AND gr.family = g.family AND gr.relation = g.relation
