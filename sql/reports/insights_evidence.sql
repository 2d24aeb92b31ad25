-- Insights page, the evidence of every verdict behind the newest disclosure rate.
SELECT
    family,
    model_id,
    card_status,
    verdict,
    rule,
    evidence[1] AS evidence,
    card_url
FROM marts.disclosure_evidence
WHERE window_start = (SELECT max(window_start) FROM marts.disclosure_evidence)
ORDER BY family, verdict, model_id
