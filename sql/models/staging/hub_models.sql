-- Snapshots of family models only, from windows that were observed or imported (never quarantined ones),
-- with the family from the versioned definitions: org match, then include/exclude patterns on the repo name.
SELECT
    m.*,
    f.family,
    f.families_version
FROM raw.hub_models AS m
JOIN meta.snapshot_log AS l
    ON l.source = 'hub_models'
    AND l.window_start = m.window_start
    AND l.status IN ('observed', 'imported')
JOIN staging.families AS f
    ON lower(f.org) = lower(m.author)
WHERE (f.include_pattern IS NULL OR regexp_matches(split_part(m.model_id, '/', 2), f.include_pattern))
    AND (f.exclude_pattern IS NULL OR NOT regexp_matches(split_part(m.model_id, '/', 2), f.exclude_pattern))
