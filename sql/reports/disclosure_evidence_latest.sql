-- Why: the verdicts behind the latest rate that disclose a method, with the rule and the first evidence
-- sentence (the first 10; marts.disclosure_evidence has them all, and every other verdict).
SELECT
    family,
    model_id,
    rule,
    left(regexp_replace(evidence[1], '^.* › ', ''), 100) AS evidence  -- the sentence, without its headings
FROM marts.disclosure_evidence
WHERE window_start = (SELECT max(window_start) FROM marts.disclosure_evidence)
    AND verdict = 'discloses_method'
ORDER BY family, model_id
LIMIT 10
