-- One legacy MMLU per canonical model, by the documented precedence (README "Legacy scores"):
--   1 = self-reported by the model's authors with a 5-shot protocol (the classic vendor claim),
--   2 = other self-reported MMLU (0-shot CoT, unspecified protocol, ...),
--   3 = third-party (Open LLM Leaderboard runs, LLM-Stats' own).
-- Ties inside a rank, in order: a claim made for the model itself (no effort/thinking variant in its name),
-- a claim the source did not flag, the source (hub_model_card, generic_csv, llm_stats, open_llm_leaderboard_v1),
-- the most recent observation, then the name and the highest score (deterministic).
-- Only names matched with confidence >= 0.5 count (staging.model_identity).
SELECT
    i.model_key,
    s.benchmark AS legacy_benchmark,
    s.score AS legacy_score,
    s.source AS legacy_source,
    s.source_model AS legacy_source_model,
    s.protocol AS legacy_protocol,
    s.self_reported AS legacy_self_reported,
    s.reported_by AS legacy_reported_by,
    s.source_url AS legacy_source_url,
    s.reported_on AS legacy_reported_on,
    s.observed_at AS legacy_observed_at,
    s.source_record AS legacy_source_record,
    s.source_flags AS legacy_source_flags,
    i.match_method AS legacy_match_method,
    CASE WHEN s.self_reported AND s.shots = 5 THEN 1 WHEN s.self_reported THEN 2 ELSE 3 END AS legacy_precedence,
    CASE legacy_precedence
        WHEN 1 THEN 'self-reported 5-shot'
        WHEN 2 THEN 'self-reported, other protocol'
        ELSE 'third-party'
    END AS legacy_precedence_rule,
    count(*) OVER (PARTITION BY i.model_key) AS legacy_candidates
FROM staging.legacy_scores AS s
JOIN staging.model_identity AS i
    ON i.source = s.source
    AND i.source_name = s.source_model
WHERE s.benchmark = 'mmlu'
    AND i.confidence >= 0.5
QUALIFY row_number() OVER (
    PARTITION BY i.model_key
    ORDER BY
        legacy_precedence,
        i.variant IS NOT NULL,
        list_contains(s.source_flags, 'flagged'),
        CASE s.source WHEN 'hub_model_card' THEN 1 WHEN 'generic_csv' THEN 2 WHEN 'llm_stats' THEN 3 ELSE 4 END,
        s.observed_at DESC,
        s.source_model,
        s.score DESC
) = 1
