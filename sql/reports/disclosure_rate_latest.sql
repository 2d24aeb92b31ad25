-- Contamination disclosure on model cards in the latest window that has cards: per family, then overall.
SELECT
    strftime(window_start, '%Y-%m-%d-%H:%M') AS "window",
    coalesce(family, 'ALL FAMILIES') AS family,
    models_tracked AS tracked,
    models_with_card AS readable,
    models_card_missing AS missing,
    models_card_gated AS gated,
    models_disclosing AS disclosing,
    models_mentioning_only AS mentions_only,
    models_silent AS silent,
    round(100 * disclosure_rate, 1) AS disclosure_pct
FROM marts.disclosure_rate
WHERE window_start = (SELECT max(window_start) FROM marts.disclosure_rate)
ORDER BY scope = 'overall', family
