-- Names the identity rules could not pair, with their most similar candidates, so a user can add an override
-- (copy `suggested_override` into sql/seeds/model_identity_overrides.csv after checking it). Two kinds:
--   livebench_without_legacy: a LiveBench model whose key has no legacy MMLU (not in staging.legacy_mmlu);
--   legacy_without_livebench: a name with a legacy MMLU whose key no LiveBench model has, listed only when the
--     claim is self-reported or the model is of a tracked family, and a LiveBench key looks like it (best
--     similarity >= 0.9): the thousands of community models LiveBench never tested stay out.
-- Candidates: the 3 keys of the other side most similar to this key (DuckDB jaro_winkler_similarity, 0-1).
WITH lb AS (
    SELECT DISTINCT source, source_name, model_key, variant
    FROM staging.model_identity
    WHERE source = 'livebench' AND confidence >= 0.5
),
legacy AS (
    SELECT i.source, i.source_name, i.model_key,
        bool_or(s.self_reported) OR any_value(i.family) IS NOT NULL AS notable
    FROM staging.model_identity AS i
    JOIN staging.legacy_scores AS s
        ON s.source = i.source
        AND s.source_model = i.source_name
    WHERE s.benchmark = 'mmlu' AND i.confidence >= 0.5
    GROUP BY i.source, i.source_name, i.model_key
),
legacy_keys AS (
    SELECT model_key, min(source || ': ' || source_name) AS example FROM legacy GROUP BY model_key
),
lb_keys AS (
    SELECT model_key, min(source || ': ' || source_name) AS example FROM lb GROUP BY model_key
),
unmatched AS (
    SELECT 'livebench_without_legacy' AS kind, source, source_name, model_key, variant
    FROM lb
    WHERE model_key NOT IN (SELECT model_key FROM staging.legacy_mmlu)
    UNION ALL
    SELECT 'legacy_without_livebench', source, source_name, model_key, CAST(NULL AS VARCHAR)
    FROM legacy
    WHERE notable AND model_key NOT IN (SELECT model_key FROM lb_keys)
),
scored AS (
    SELECT u.kind, u.source, u.source_name, c.model_key AS candidate_key, c.example AS candidate_example,
        jaro_winkler_similarity(u.model_key, c.model_key) AS similarity
    FROM unmatched AS u
    CROSS JOIN legacy_keys AS c
    WHERE u.kind = 'livebench_without_legacy'
    UNION ALL
    SELECT u.kind, u.source, u.source_name, c.model_key, c.example,
        jaro_winkler_similarity(u.model_key, c.model_key)
    FROM unmatched AS u
    JOIN lb_keys AS c ON left(c.model_key, 1) = left(u.model_key, 1)  -- >= 0.9 needs a common start anyway
    WHERE u.kind = 'legacy_without_livebench'
),
best AS (
    SELECT
        kind,
        source,
        source_name,
        max(similarity) AS best_similarity,
        max_by({'key': candidate_key, 'example': candidate_example, 'similarity': round(similarity, 3)},
               {'s': similarity, 'k': candidate_key}, 3) AS candidates
    FROM scored
    GROUP BY kind, source, source_name
)
SELECT
    u.kind,
    u.source,
    u.source_name,
    u.model_key,
    u.variant,
    b.candidates[1].key AS best_candidate_key,
    b.candidates[1].example AS best_candidate_example,
    b.best_similarity,
    b.candidates,
    CASE WHEN best_candidate_key IS NOT NULL THEN
        concat_ws(',', u.source, u.source_name, best_candidate_key, coalesce(u.variant, ''), '', '',
                  'check: ' || best_candidate_example)
    END AS suggested_override
FROM unmatched AS u
LEFT JOIN best AS b
    ON b.kind = u.kind
    AND b.source = u.source
    AND b.source_name = u.source_name
WHERE u.kind = 'livebench_without_legacy' OR b.best_similarity >= 0.9
