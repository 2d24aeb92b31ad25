-- Per window and family: the top 10 publishers of the family's derivatives (staging.family_derivative_reach,
-- depth >= 1) by the 30-day downloads of their derivatives, ties by publisher name (docs/hub-graph.md).
-- publisher: the derivative's author (org or user) as raw.hub_graph_models has it (the id's prefix when the
-- Hub gave none).
-- n_derivatives, downloads_30d, downloads_all_time (NULL counts 0): over the publisher's derivatives in the
-- family's tree; share_30d: of the family's derivative 30-day downloads (marts.family_derivative_tree's
-- derivative_downloads_30d; NULL when that is 0); rank: 1-10, no ties (row_number).
WITH graph_windows AS (
    SELECT window_start
    FROM meta.accepted_windows
    WHERE source = 'hub_graph' AND window_start >= $window_start AND window_start < $window_end
),
derivatives AS (
    SELECT r.window_start, r.family, m.author AS publisher,
        m.downloads_30d, m.downloads_all_time
    FROM staging.family_derivative_reach AS r
    JOIN raw.hub_graph_models AS m
        ON m.window_start = r.window_start AND m.model_id = r.model_id
    WHERE r.window_start >= $window_start AND r.window_start < $window_end
        AND m.window_start >= $window_start AND m.window_start < $window_end
        AND r.window_start IN (SELECT window_start FROM graph_windows)
        AND r.depth >= 1
),
per_publisher AS (
    SELECT
        window_start,
        family,
        publisher,
        count(*) AS n_derivatives,
        sum(coalesce(downloads_30d, 0)) AS downloads_30d,
        sum(coalesce(downloads_all_time, 0)) AS downloads_all_time
    FROM derivatives
    GROUP BY ALL
),
ranked AS (
    SELECT
        *,
        sum(downloads_30d) OVER (PARTITION BY window_start, family) AS family_downloads_30d,
        row_number() OVER (PARTITION BY window_start, family ORDER BY downloads_30d DESC, publisher) AS rank
    FROM per_publisher
)
SELECT
    r.window_start,
    r.family,
    r.publisher,
    r.n_derivatives::BIGINT AS n_derivatives,
    r.downloads_30d::BIGINT AS downloads_30d,
    r.downloads_all_time::BIGINT AS downloads_all_time,
    r.downloads_30d / nullif(r.family_downloads_30d, 0) AS share_30d,
    r.rank::INTEGER AS rank,
    f.families_version
FROM ranked AS r
JOIN (SELECT family, any_value(families_version) AS families_version FROM staging.families GROUP BY family) AS f
    ON f.family = r.family
WHERE r.rank <= 10
