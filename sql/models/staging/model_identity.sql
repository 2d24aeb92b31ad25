-- Every (source, source name) -> canonical model key, with the key's HF repo id and family, how the name was
-- matched and how sure we are. Sources: livebench (staging.livebench_averages), each legacy source
-- (staging.legacy_scores: hub_model_card, llm_stats, open_llm_leaderboard_v1, generic_csv) and hub (the tracked
-- families' repos of the latest observed listing).
-- Key: the curated override (staging.model_identity_overrides, source '*' = any source) wins; else the rules of
-- canonical_model_key()/canonical_model_variant() (sql/ddl/41_model_identity_macros.sql); else, only for a
-- dated key no other source has, its undated form when another source has THAT (o1-mini-2024-09-12 -> o1-mini).
-- match_method / confidence: override 1.0, exact 1.0 (only case or org prefix differ), normalised 0.9, variant 0.9
-- (an effort/thinking variant of the key), undated 0.7, other_org 0.4 (the name's own repo belongs to another
-- org than the key's repo: a re-upload or a fine-tune with the same name; the gap marts ignore < 0.5).
-- Key attributes: hf_repo_id = override, else a repo of the hub listing, else one of a tracked family's org,
-- else one given by a vendor-linked source (card, LLM-Stats, generic file), else any (first by name);
-- family = override, else the families definition applied to that repo (no family when the repo's org is not a
-- tracked family's), else, for a key without any repo (API-only models), the first matching pattern of
-- staging.family_name_patterns on the key.
WITH names AS (
    SELECT DISTINCT 'livebench' AS source, model AS source_name, CAST(NULL AS VARCHAR) AS source_hf_repo_id
    FROM staging.livebench_averages
    UNION ALL
    SELECT source, source_model, max(hf_repo_id)
    FROM staging.legacy_scores
    GROUP BY source, source_model
    UNION ALL
    SELECT DISTINCT 'hub', h.model_id, h.model_id
    FROM staging.hub_models AS h
    -- A join, not `= (SELECT max(...))`: inlined into the gap views, the scalar subquery was not pushed into
    -- the scan and every window of history was matched to its family (7x slower after a year).
    SEMI JOIN (SELECT max(window_start) AS w FROM meta.accepted_windows WHERE source = 'hub_models') AS latest
        ON h.window_start = latest.w
),
overridden AS (
    SELECT
        n.*,
        nullif(trim(o.model_key), '') AS o_key,
        nullif(trim(o.variant), '') AS o_variant,
        nullif(trim(o.hf_repo_id), '') AS o_repo,
        nullif(trim(o.family), '') AS o_family
    FROM names AS n
    LEFT JOIN staging.model_identity_overrides AS o
        ON (trim(o.source) = n.source OR trim(o.source) = '*')
        AND lower(trim(o.source_name)) = lower(trim(n.source_name))
    QUALIFY row_number() OVER (PARTITION BY n.source, n.source_name ORDER BY trim(o.source) = '*' NULLS LAST) = 1
),
ruled AS (
    SELECT
        *,
        coalesce(o_key, canonical_model_key(source_name)) AS rule_key,
        CASE WHEN o_key IS NOT NULL THEN o_variant ELSE canonical_model_variant(source_name) END AS variant
    FROM overridden
),
key_sources AS (
    SELECT rule_key, list(DISTINCT source ORDER BY source) AS sources
    FROM ruled
    GROUP BY rule_key
),
keyed AS (
    SELECT
        r.*,
        CASE
            WHEN r.o_key IS NULL
                AND own.sources = [r.source]
                AND undated_model_key(r.rule_key) <> r.rule_key
                AND other.sources IS NOT NULL
                AND other.sources <> [r.source]
            THEN undated_model_key(r.rule_key)
        END AS undated_key
    FROM ruled AS r
    JOIN key_sources AS own ON own.rule_key = r.rule_key
    LEFT JOIN key_sources AS other ON other.rule_key = undated_model_key(r.rule_key)
),
named AS (
    SELECT
        *,
        coalesce(undated_key, rule_key) AS model_key,
        CASE
            WHEN o_key IS NOT NULL THEN 'override'
            WHEN undated_key IS NOT NULL THEN 'undated'
            WHEN variant IS NOT NULL THEN 'variant'
            WHEN lower(trim(regexp_replace(source_name, '^[^/]*/', ''))) = rule_key THEN 'exact'
            ELSE 'normalised'
        END AS rule_method
    FROM keyed
),
family_orgs AS (
    SELECT DISTINCT lower(org) AS org FROM staging.families
),
key_repo AS (
    SELECT
        n.model_key,
        first(coalesce(n.o_repo, n.source_hf_repo_id) ORDER BY
            CASE
                WHEN n.o_repo IS NOT NULL THEN 0
                WHEN n.source = 'hub' THEN 1
                WHEN f.org IS NOT NULL THEN 2
                WHEN n.source IN ('hub_model_card', 'llm_stats', 'generic_csv') THEN 3
                ELSE 4
            END,
            coalesce(n.o_repo, n.source_hf_repo_id)) AS hf_repo_id
    FROM named AS n
    LEFT JOIN family_orgs AS f ON f.org = lower(split_part(coalesce(n.o_repo, n.source_hf_repo_id), '/', 1))
    WHERE coalesce(n.o_repo, n.source_hf_repo_id) LIKE '%/%'
    GROUP BY n.model_key
),
keys AS (
    SELECT
        model_key,
        first(o_family ORDER BY o_family) FILTER (WHERE o_family IS NOT NULL) AS o_family,
        count(DISTINCT source) AS n_sources
    FROM named
    GROUP BY model_key
),
repo_family AS (
    SELECT k.model_key, first(f.family ORDER BY f.family) AS family
    FROM key_repo AS k
    JOIN staging.families AS f
        ON in_family(k.hf_repo_id, f.org, f.include_pattern, f.exclude_pattern)
    GROUP BY k.model_key
),
repo_less AS (  -- keys without any Hub repo (API-only models): only they get a family from their name
    SELECT k.model_key FROM keys AS k ANTI JOIN key_repo AS r ON r.model_key = k.model_key
),
name_family AS (
    SELECT k.model_key, first(p.family ORDER BY CAST(p.priority AS INTEGER), p.pattern) AS family
    FROM repo_less AS k
    JOIN staging.family_name_patterns AS p ON regexp_matches(k.model_key, trim(p.pattern))
    GROUP BY k.model_key
)
SELECT
    n.source,
    n.source_name,
    n.model_key,
    n.variant,
    r.hf_repo_id,
    n.source_hf_repo_id,
    coalesce(k.o_family, rf.family, nf.family) AS family,
    CASE
        WHEN k.o_family IS NOT NULL THEN 'override'
        WHEN rf.family IS NOT NULL THEN 'hf_repo_org'
        WHEN nf.family IS NOT NULL THEN 'name_pattern'
    END AS family_method,
    CASE
        WHEN n.rule_method <> 'override' AND n.source_hf_repo_id LIKE '%/%' AND r.hf_repo_id IS NOT NULL
            AND lower(split_part(n.source_hf_repo_id, '/', 1)) <> lower(split_part(r.hf_repo_id, '/', 1))
        THEN 'other_org'
        ELSE n.rule_method
    END AS match_method,
    CAST(CASE match_method
        WHEN 'override' THEN 1.0
        WHEN 'exact' THEN 1.0
        WHEN 'normalised' THEN 0.9
        WHEN 'variant' THEN 0.9
        WHEN 'undated' THEN 0.7
        ELSE 0.4
    END AS DOUBLE) AS confidence,
    k.n_sources,
    k.n_sources > 1 AS matched
FROM named AS n
JOIN keys AS k ON k.model_key = n.model_key
LEFT JOIN key_repo AS r ON r.model_key = n.model_key
LEFT JOIN repo_family AS rf ON rf.model_key = n.model_key
LEFT JOIN name_family AS nf ON nf.model_key = n.model_key
