-- Insights page, KPI cards: the newest window of marts.headline_kpis (pos 0) and, for the trend, the newest
-- window at least seven days before it (pos 1); with the provenance each card shows.
WITH latest AS (
    SELECT max(window_start) AS w FROM marts.headline_kpis
),
picked AS (
    SELECT 0 AS pos, k.* FROM marts.headline_kpis AS k, latest WHERE k.window_start = latest.w
    UNION ALL
    SELECT 1, k.*
    FROM marts.headline_kpis AS k, latest
    WHERE k.window_start = (SELECT max(window_start) FROM marts.headline_kpis, latest
                            WHERE window_start <= latest.w - INTERVAL 7 DAY)
)
SELECT
    p.pos,
    strftime(p.window_start, '%Y-%m-%d-%H:%M') AS window_key,
    p.leader_family,
    p.leader_downloads_all_time,
    p.leader_derivatives,
    p.contamination_disclosure_rate,
    p.mean_gap_pp,
    strftime(p.mean_gap_release_date, '%Y-%m-%d') AS mean_gap_release,
    p.n_overtakes,
    p.top_family_incl_derivatives,
    p.top_family_incl_derivatives_share_30d,
    p.top_family_derivative_downloads_30d,
    p.top_family_derivative_share_30d,
    p.families_version,
    fd.n_models AS leader_n_models,
    (SELECT count(*) FROM marts.benchmark_gap AS g
     WHERE g.release_date = p.mean_gap_release_date AND g.gap_pp IS NOT NULL) AS gap_n_models,
    dr.models_disclosing AS disclosure_n_disclosing,
    dr.models_with_card AS disclosure_n_readable,
    dr.models_tracked AS disclosure_n_tracked,
    (SELECT o.overtaken_family FROM marts.family_overtakes AS o
     WHERE o.metric = 'downloads_all_time' AND o.family = p.leader_family AND o.window_start <= p.window_start
     ORDER BY o.window_start DESC, o.overtaken_before DESC LIMIT 1) AS leader_passed,
    (SELECT strftime(o.window_start, '%Y-%m-%d-%H:%M') FROM marts.family_overtakes AS o
     WHERE o.metric = 'downloads_all_time' AND o.family = p.leader_family AND o.window_start <= p.window_start
     ORDER BY o.window_start DESC, o.overtaken_before DESC LIMIT 1) AS leader_passed_window
FROM picked AS p
LEFT JOIN marts.family_downloads AS fd ON fd.window_start = p.window_start AND fd.family = p.leader_family
LEFT JOIN marts.disclosure_rate AS dr ON dr.window_start = p.window_start AND dr.scope = 'overall'
ORDER BY p.pos
