-- asset: raw.legacy_scores
-- severity: error
-- quarantine: column landing_source
-- description: Legacy benchmark scores are on 0-100 (an adapter that forgot to scale a fraction, or a copy error upstream).
SELECT
    window_start,
    landing_source,
    source,
    source_model,
    benchmark,
    score,
    raw_score,
    source_record
FROM raw.legacy_scores
WHERE window_start >= $window_start AND window_start < $window_end
    AND (score < 0 OR score > 100 OR isnan(score))
ORDER BY window_start, landing_source, source_model, benchmark
