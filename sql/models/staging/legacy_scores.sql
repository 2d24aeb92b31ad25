-- Current legacy claims. From raw.legacy_scores rows of observed/imported windows (never quarantined ones):
-- (1) per landing source and model, the rows of the latest window that has the model (a card re-fetched every
--     window counts once, from its latest fetch; a model that left the top N keeps its last card);
-- (2) per claim (source, model, benchmark, metric, protocol, self-reported, reporter), the latest observation,
--     so a newer file replaces an older one with the same claims.
-- `shots` is read from the protocol ("5-shot CoT" -> 5; NULL when the protocol does not say).
WITH loaded AS (
    SELECT s.*
    FROM raw.legacy_scores AS s
    JOIN meta.accepted_windows AS l
        ON l.source = s.landing_source AND l.window_start = s.window_start
),
latest AS (
    SELECT landing_source, source_model, max(window_start) AS window_start
    FROM loaded
    GROUP BY landing_source, source_model
)
SELECT
    s.*,
    TRY_CAST(nullif(regexp_extract(lower(s.protocol), '(\d+)\s*-?\s*shots?', 1), '') AS INTEGER) AS shots
FROM loaded AS s
JOIN latest AS t
    ON t.landing_source = s.landing_source
    AND t.source_model = s.source_model
    AND t.window_start = s.window_start
QUALIFY s.observed_at = max(s.observed_at) OVER (
    PARTITION BY s.source, s.source_model, s.benchmark, coalesce(s.metric, ''), coalesce(s.protocol, ''),
        s.self_reported, coalesce(s.reported_by, '')
)
