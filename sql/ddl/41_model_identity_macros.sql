-- Model-name normalisation: the ONE implementation of the identity rules (staging.model_identity and
-- staging.unmatched_models use it; analysts can call it too: SELECT canonical_model_key('Qwen/Qwen2.5-72B-Instruct')).
-- Rules, in order (README "Model identity"):
--   1. spelling: lower case, trimmed, the "org/" of a Hub repo id dropped, runs of whitespace and `_` -> `-`;
--   2. provider suffixes at the end: -turbo, -hf, -latest (repeatable: -instruct-turbo -> -instruct);
--   3. effort / thinking variants at the end are split off and kept apart (canonical_model_variant):
--      -high -low -medium -minimal -xhigh [-effort], -thinking[-auto][-<n>k][-<effort>-effort], -highthinking,
--      -nothinking, -reasoning, -non-reasoning, and -base right after an 8-digit date (LiveBench's "thinking off");
--   4. vendor prefix: meta-llama-3.1-... -> llama-3.1-...;
--   5. family-version spelling: a leading word of 2+ letters glued to a digit gets a hyphen (qwen2.5 -> qwen-2.5,
--      llama4 -> llama-4), so qwen2.5-72b and qwen-2.5-72b meet.
-- Idempotent (CREATE OR REPLACE), applied whenever the warehouse is opened for writing.
CREATE OR REPLACE MACRO model_name_spelling(name) AS
    trim(regexp_replace(regexp_replace(regexp_replace(lower(trim(name)), '^[^/]*/', ''), '[\s_]+', '-', 'g'),
                        '-{2,}', '-', 'g'), '-');

CREATE OR REPLACE MACRO model_name_unsuffixed(name) AS
    regexp_replace(model_name_spelling(name), '(-(turbo|hf|latest))+$', '');

CREATE OR REPLACE MACRO canonical_model_variant(name) AS
    CASE
        WHEN regexp_matches(model_name_unsuffixed(name),
            '-(thinking(-auto)?(-\d+k)?(-(xhigh|high|medium|low|minimal)-effort)?|(xhigh|high|medium|low|minimal)(-effort)?|highthinking|nothinking|non-reasoning|reasoning)$')
        THEN regexp_extract(model_name_unsuffixed(name),
            '-(thinking(-auto)?(-\d+k)?(-(xhigh|high|medium|low|minimal)-effort)?|(xhigh|high|medium|low|minimal)(-effort)?|highthinking|nothinking|non-reasoning|reasoning)$', 1)
        WHEN regexp_matches(model_name_unsuffixed(name), '-\d{8}-base$') THEN 'base'
    END;

CREATE OR REPLACE MACRO canonical_model_key(name) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        model_name_unsuffixed(name),
        '-(thinking(-auto)?(-\d+k)?(-(xhigh|high|medium|low|minimal)-effort)?|(xhigh|high|medium|low|minimal)(-effort)?|highthinking|nothinking|non-reasoning|reasoning)$', ''),
        '(-\d{8})-base$', '\1'),
        '(-(turbo|hf|latest))+$', ''),
        '^meta-llama-?(\d)', 'llama-\1'),
        '^([a-z]{2,})(\d)', '\1-\2');

-- A key without its trailing full date (o1-mini-2024-09-12 -> o1-mini, claude-x-20240229 -> claude-x): the
-- low-confidence fallback used only when the dated key has no other source (staging.model_identity).
CREATE OR REPLACE MACRO undated_model_key(model_key) AS
    regexp_replace(model_key, '-(\d{4}-\d{2}-\d{2}|\d{8})$', '');
