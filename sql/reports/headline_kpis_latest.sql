-- The headline cards of the latest window that has them (marts.headline_kpis), one card a line.
WITH k AS (
    SELECT *
    FROM marts.headline_kpis
    WHERE window_start = (SELECT max(window_start) FROM marts.headline_kpis)
)
SELECT kpi, value
FROM (
    SELECT 1 AS pos, 'window' AS kpi, strftime(window_start, '%Y-%m-%d-%H:%M') AS value FROM k
    UNION ALL
    SELECT 2, 'leading family, cumulative downloads',
        coalesce(leader_family || ': ' || format('{:,}', leader_downloads_all_time), '-') FROM k
    UNION ALL
    SELECT 3, 'its derivative models', coalesce(format('{:,}', leader_derivatives), '-') FROM k
    UNION ALL
    SELECT 4, 'derivative models, all tracked families', coalesce(format('{:,}', tracked_derivatives), '-') FROM k
    UNION ALL
    SELECT 5, 'top family, 30-day downloads',
        coalesce(top_family_30d || ': ' || round(100 * top_family_share_30d, 1) || '% of tracked', '-') FROM k
    UNION ALL
    SELECT 6, 'top family vs the next eight combined', coalesce(round(top_family_to_next_eight, 2) || 'x', '-') FROM k
    UNION ALL
    SELECT 7, 'HHI over families, 30-day (0-10,000)', coalesce(format('{:,}', round(hhi_30d)::BIGINT), '-') FROM k
    UNION ALL
    SELECT 8, 'overtakes in this window', format('{:,}', n_overtakes) FROM k
    UNION ALL
    SELECT 9, 'contamination-disclosure rate',
        coalesce(round(100 * contamination_disclosure_rate, 1) || '% of readable cards', '- (no card snapshot)') FROM k
    UNION ALL
    SELECT 10, 'mean legacy MMLU - LiveBench gap (pp)',
        coalesce(round(mean_gap_pp, 1) || ' (release ' || mean_gap_release_date || ')', '- (no release yet)') FROM k
)
ORDER BY pos
