-- Snapshots of family models only, from windows that were observed or imported (never quarantined ones),
-- with the family from the versioned definitions (in_family: org match, then include/exclude patterns on the
-- repo name; sql/ddl/60_shared_rules.sql).
SELECT
    m.*,
    f.family,
    f.families_version
FROM raw.hub_models AS m
JOIN meta.accepted_windows AS l
    ON l.source = 'hub_models' AND l.window_start = m.window_start
JOIN staging.families AS f
    ON in_family(m.model_id, f.org, f.include_pattern, f.exclude_pattern)
