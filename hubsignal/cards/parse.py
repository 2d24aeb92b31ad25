"""Landed model-card windows -> raw.model_cards rows, each card classified (hubsignal/cards/classify.py).

Live snapshots, the synthetic sample and replays all go through this code. A reused card is read from the
earlier window named in its record and verified against that window's manifest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import lru_cache

import polars as pl

from hubsignal.cards.classify import CLASSIFIER_VERSION, Verdict, classify
from hubsignal.cards.fetch import ERROR_STATUS, INDEX_FILE, STATUSES, landed_name, read_landed_file
from hubsignal.landing import LandedWindow, LandingError, RecordError
from hubsignal.windows import parse_window_key

# The classifier's version is part of the parser's: changing a rule re-classifies every landed window on
# the next load (the snapshot fingerprint changes), without touching the landing zone.
PARSER_VERSION = f"cards-2+{CLASSIFIER_VERSION}"  # 2: unreadable records are record errors

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
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def parse_model_cards(
    window: LandedWindow, window_start: datetime
) -> tuple[pl.DataFrame, list[str], list[RecordError]]:
    """Rows of raw.model_cards. A record the fetch marked `error` (its model's answer unreadable), an unreadable
    line or an unknown status is a RecordError: no row, the other cards load. The window's own consistency
    (a card file or a referenced earlier card missing or changed, a model listed twice) is a LandingError."""
    files = {entry["file"]: body for entry, body in window.files}
    index = files.get(landed_name(INDEX_FILE))
    if index is None:
        raise LandingError(f"{window.path}: no {landed_name(INDEX_FILE)} in the window")
    cols: dict[str, list] = {k: [] for k in SCHEMA}
    errors: list[RecordError] = []
    seen: set[str] = set()
    for n, line in enumerate(index.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{window.path / landed_name(INDEX_FILE)} line {n}"
        rec = None
        try:
            rec = json.loads(line)
            model_id, status = rec["model_id"], rec["card_status"]
        except (ValueError, KeyError, TypeError) as exc:
            errors.append(
                RecordError(
                    str(rec.get("model_id")) if isinstance(rec, dict) and rec.get("model_id") else f"line {n}",
                    f"malformed card record ({exc})",
                    where,
                )
            )
            continue
        if status == ERROR_STATUS:
            errors.append(
                RecordError(model_id, rec.get("error") or "the fetch recorded an error without a reason", where)
            )
            continue
        if status not in STATUSES:
            errors.append(RecordError(model_id, f"card_status {status!r} is not one of {STATUSES}", where))
            continue
        where = f"{where} ({model_id})"
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
    return pl.DataFrame(cols, schema=SCHEMA), [], errors
