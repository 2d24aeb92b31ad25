-- Contamination disclosure on model cards, per window: one row per family (scope = 'family') and one for
-- all tracked families together (scope = 'overall', family NULL).
-- models_tracked: the family's top HUBSIGNAL_CARDS_TOP_N models whose card was looked up in that window.
-- disclosure_rate = models_disclosing / models_with_card: among the cards that could be READ (card_status
-- 'ok'), the share whose verdict is discloses_method. Missing (404) and gated (401/403) cards are NOT in the
-- denominator (nothing can be said about them) and are counted in their own columns;
-- disclosure_rate_of_tracked = models_disclosing / models_tracked counts them as not disclosing (a lower bound).
WITH cards AS (
    SELECT c.window_start, h.family, h.families_version, c.card_status, c.verdict
    FROM raw.model_cards AS c
    JOIN staging.hub_models AS h
        ON h.window_start = c.window_start AND h.model_id = c.model_id
    WHERE c.window_start >= $window_start AND c.window_start < $window_end
)
SELECT
    window_start,
    CASE WHEN grouping(family) = 1 THEN 'overall' ELSE 'family' END AS scope,
    family,
    count(*) AS models_tracked,
    count(*) FILTER (WHERE card_status = 'ok') AS models_with_card,
    count(*) FILTER (WHERE card_status = 'missing') AS models_card_missing,
    count(*) FILTER (WHERE card_status = 'gated') AS models_card_gated,
    count(*) FILTER (WHERE verdict = 'discloses_method') AS models_disclosing,
    count(*) FILTER (WHERE verdict = 'mentions_without_method') AS models_mentioning_only,
    count(*) FILTER (WHERE verdict = 'silent') AS models_silent,
    count(*) FILTER (WHERE verdict = 'discloses_method')
        / nullif(count(*) FILTER (WHERE card_status = 'ok'), 0) AS disclosure_rate,
    count(*) FILTER (WHERE verdict = 'discloses_method') / count(*) AS disclosure_rate_of_tracked,
    any_value(families_version) AS families_version
FROM cards
GROUP BY GROUPING SETS ((window_start, family), (window_start))
