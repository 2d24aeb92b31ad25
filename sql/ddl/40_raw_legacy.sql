-- Legacy benchmark claims (MMLU and friends), every score on 0-100, with the provenance of each number.
-- Two kinds of landing source load here, each replacing only its own rows of a window (`landing_source`):
--   model_card_scores            model-index / evalResults of tracked models' Hub cards, one snapshot per window;
--   score_files/<adapter>-<sha>  a score file dropped by a user or an archive import, in the window that contains
--                                its observation time (one landing folder per distinct file).
-- No primary key (fact table); a card re-observed every window repeats its rows per window.
CREATE TABLE IF NOT EXISTS raw.legacy_scores (
    window_start   TIMESTAMP NOT NULL,  -- UTC start of the window of the observation (the load machinery's key)
    landing_source VARCHAR   NOT NULL,  -- landing folder = meta.snapshot_log.source of the window that loaded the row
    source         VARCHAR   NOT NULL,  -- hub_model_card | llm_stats | open_llm_leaderboard_v1 | generic_csv
    source_model   VARCHAR   NOT NULL,  -- the model as the source names it (a Hub repo id for cards and the OLL export)
    hf_repo_id     VARCHAR,             -- Hub repo the source ties the score to, when it gives one
    benchmark      VARCHAR   NOT NULL,  -- normalised id: mmlu, mmlu-pro, gsm8k, arc-c, hellaswag, ...
    benchmark_name VARCHAR,             -- as the source names it (dataset type/name, benchmark_id, column)
    metric         VARCHAR,             -- metric type when the source gives one (acc, acc_norm, ...)
    score          DOUBLE    NOT NULL,  -- 0-100 (fractions converted)
    raw_score      VARCHAR,             -- the value exactly as the source wrote it
    protocol       VARCHAR,             -- e.g. 5-shot, "0-shot CoT"; NULL when the source does not say
    self_reported  BOOLEAN   NOT NULL,  -- TRUE: claimed by the model's authors; FALSE: third-party run
    reported_by    VARCHAR,             -- who made the claim (card source name, vendor, "Open LLM Leaderboard")
    source_url     VARCHAR,
    reported_on    DATE,                -- the date the source gives for the claim, if any
    observed_at    TIMESTAMP NOT NULL,  -- UTC: when this claim was observed (card fetch, file observation)
    source_file    VARCHAR,             -- landed file name
    source_record  VARCHAR,             -- where in it: "line 12", "model-index[0].results[3].metrics[0]", ...
    source_flags   VARCHAR[],           -- source-specific flags, e.g. merged / flagged / moe (OLL v1, un-inverted)
    origin         VARCHAR   NOT NULL   -- live | imported | synthetic_sample
);
