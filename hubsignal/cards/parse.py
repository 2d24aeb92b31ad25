"""Landed model-card windows -> raw.model_cards rows, each card classified (assets/cards/classify.py).

Live snapshots, the synthetic sample and replays all go through this code. A reused card is read from the
earlier window named in its record and verified against that window's manifest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from functools import lru_cache

import polars as pl

from hubsignal.cards.classify import CLASSIFIER_VERSION, Verdict, classify
from hubsignal.cards.fetch import INDEX_FILE, STATUSES, landed_name, read_landed_file
from hubsignal.landing import LandedWindow, LandingError
from hubsignal.windows import parse_window_key

# The classifier's version is part of the parser's: changing a rule re-classifies every landed window on
# the next load (the snapshot fingerprint changes), without touching the landing zone.
PARSER_VERSION = f"cards-1+{CLASSIFIER_VERSION}"

SCHEMA = {
    "window_start": pl.Datetime("us"),
    "snapshot_ts": pl.Datetime("us"),  # when this window checked the repo's sha
    "model_id": pl.String,
    "sha": pl.String,
    "card_status": pl.String,
    "http_status": pl.Int32,
    "error_code": pl.String,
    "card_url": pl.String,
    "card_bytes": pl.Int64,
    "card_sha256": pl.String,
    "fetched_at": pl.Datetime("us"),  # when the body (or its absence) was observed
    "reused_from_window": pl.Datetime("us"),
    "verdict": pl.String,
    "rule": pl.String,
    "evidence": pl.List(pl.String),
    "classifier_version": pl.String,
    "origin": pl.String,
}


@lru_cache(maxsize=2048)  # the same card is re-read by every window until its sha changes
def _verdict(text: str) -> Verdict:
    return classify(text)


def _ts(value: str | None, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise LandingError(f"{where}: bad timestamp {value!r}") from exc
    return ts.astimezone(timezone.utc).replace(tzinfo=None) if ts.tzinfo else ts


def parse_model_cards(window: LandedWindow, window_start: datetime) -> pl.DataFrame:
    files = {entry["file"]: body for entry, body in window.files}
    index = files.get(landed_name(INDEX_FILE))
    if index is None:
        raise LandingError(f"{window.path}: no {landed_name(INDEX_FILE)} in the window")
    cols: dict[str, list] = {k: [] for k in SCHEMA}
    seen: set[str] = set()
    for n, line in enumerate(index.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{window.path / landed_name(INDEX_FILE)} line {n}"
        try:
            rec = json.loads(line)
            model_id, status = rec["model_id"], rec["card_status"]
        except (ValueError, KeyError, TypeError) as exc:
            raise LandingError(f"{where}: malformed record ({exc})") from exc
        where = f"{where} ({model_id})"
        if status not in STATUSES:
            raise LandingError(f"{where}: card_status {status!r} is not one of {STATUSES}")
        if model_id in seen:
            raise LandingError(f"{where}: model listed twice")
        seen.add(model_id)
        body = None
        ref = rec.get("reused_from")
        if status == "ok":
            if rec.get("file"):
                body = files.get(rec["file"])
                if body is None:
                    raise LandingError(f"{where}: card file {rec['file']} is not in the window")
            elif ref and ref.get("file"):
                body = read_landed_file(window.path.parent / ref["window_key"], ref["file"], ref.get("sha256"))
            else:
                raise LandingError(f"{where}: card_status ok but no card file and no reference")
        verdict = _verdict(body.decode("utf-8", errors="replace")) if body is not None else None
        cols["window_start"].append(window_start)
        cols["snapshot_ts"].append(_ts(rec.get("checked_at"), where))
        cols["model_id"].append(model_id)
        cols["sha"].append(rec.get("sha"))
        cols["card_status"].append(status)
        cols["http_status"].append(rec.get("http_status"))
        cols["error_code"].append(rec.get("error_code"))
        cols["card_url"].append(rec.get("url"))
        cols["card_bytes"].append(len(body) if body is not None else None)
        cols["card_sha256"].append(hashlib.sha256(body).hexdigest() if body is not None else None)
        cols["fetched_at"].append(_ts(rec.get("fetched_at"), where))
        cols["reused_from_window"].append(parse_window_key(ref["window_key"]).replace(tzinfo=None) if ref else None)
        cols["verdict"].append(verdict.verdict if verdict else None)
        cols["rule"].append(verdict.rule if verdict else None)
        cols["evidence"].append(list(verdict.evidence) if verdict else None)
        cols["classifier_version"].append(CLASSIFIER_VERSION if verdict else None)
        cols["origin"].append(window.origin)
    return pl.DataFrame(cols, schema=SCHEMA)
