-- Hub snapshots. No primary keys on fact tables (they slow loads); uniqueness is an asset check.
CREATE TABLE IF NOT EXISTS raw.hub_models (
    window_start       TIMESTAMP NOT NULL,  -- UTC start of the 6-hour window
    snapshot_ts        TIMESTAMP NOT NULL,  -- UTC time the listing was fetched
    org                VARCHAR   NOT NULL,  -- the org that was listed (author=)
    model_id           VARCHAR   NOT NULL,
    author             VARCHAR   NOT NULL,  -- id prefix
    downloads_30d      BIGINT,              -- Hub `downloads`: rolling 30-day gauge
    downloads_all_time BIGINT,              -- Hub `downloadsAllTime`: cumulative counter
    likes              BIGINT,
    created_at         TIMESTAMP,
    last_modified      TIMESTAMP,
    pipeline_tag       VARCHAR,
    library_name       VARCHAR,
    gated              VARCHAR,             -- 'false' | 'auto' | 'manual'
    tags               VARCHAR[],
    base_models        STRUCT(relation VARCHAR, model_id VARCHAR)[],  -- from base_model: tags
    origin             VARCHAR   NOT NULL   -- live | synthetic_sample | imported
);

CREATE TABLE IF NOT EXISTS raw.hub_children_counts (
    window_start TIMESTAMP NOT NULL,
    snapshot_ts  TIMESTAMP NOT NULL,
    model_id     VARCHAR   NOT NULL,
    relation     VARCHAR   NOT NULL,  -- finetune | adapter | quantized | merge | other relations as served; 'any' when the Hub sent a bare total
    n_children   BIGINT    NOT NULL,
    origin       VARCHAR   NOT NULL
);
