-- Every card verdict with its evidence, to audit marts.disclosure_rate: per window and tracked model, the
-- family, the card's status, the verdict, the classifier rule that decided it and the matching sentences
-- ("heading › sentence"), where the card was read (sha, URL) and when. Missing/gated cards have no verdict.
SELECT
    c.window_start,
    h.family,
    c.model_id,
    c.card_status,
    c.verdict,
    c.rule,
    c.evidence,
    c.sha,
    c.card_url,
    c.card_bytes,
    c.fetched_at,
    c.reused_from_window,
    c.error_code,
    c.classifier_version,
    c.origin
FROM raw.model_cards AS c
JOIN staging.hub_models AS h
    ON h.window_start = c.window_start AND h.model_id = c.model_id
