-- Model cards (README.md) of each family's top models, one row per (window, tracked model), with the
-- contamination-disclosure verdict of hubsignal/cards/classify.py. Bodies stay in the landing zone.
CREATE TABLE IF NOT EXISTS raw.model_cards (
    window_start       TIMESTAMP NOT NULL,  -- UTC start of the 6-hour window
    snapshot_ts        TIMESTAMP NOT NULL,  -- UTC time this window checked the repo's sha
    model_id           VARCHAR   NOT NULL,
    sha                VARCHAR,             -- repo commit the card was read at (NULL: repo not found)
    card_status        VARCHAR   NOT NULL,  -- ok | missing (404: no README / no repo) | gated (401/403 GatedRepo)
    http_status        INTEGER,             -- of the card request (or of model_info when the repo is gone)
    error_code         VARCHAR,             -- X-Error-Code when not ok: EntryNotFound | GatedRepo | RepoNotFound
    card_url           VARCHAR,             -- .../{model_id}/resolve/{sha}/README.md
    card_bytes         BIGINT,              -- size of the body as received (ok only)
    card_sha256        VARCHAR,             -- sha256 of the body as received (ok only)
    fetched_at         TIMESTAMP,           -- UTC time the body (or its absence) was observed
    reused_from_window TIMESTAMP,           -- sha unchanged: window whose landed card was reused (no request)
    verdict            VARCHAR,             -- discloses_method | mentions_without_method | silent; NULL unless ok
    rule               VARCHAR,             -- the classifier rule that decided the verdict (e.g. D2-ngram-overlap)
    evidence           VARCHAR[],           -- the matching sentences, "heading › sentence"
    classifier_version VARCHAR,
    origin             VARCHAR   NOT NULL   -- live | synthetic_sample | imported
);
