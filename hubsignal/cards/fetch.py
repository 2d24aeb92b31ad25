"""Live model-card snapshots: which cards to fetch, when a landed card can be reused, what gets landed.

A window of `model_cards` in the landing zone holds:
- `cards.jsonl`: one line per tracked model (the top N per family of the window's landed `hub_models`
  listing): its repo `sha` (from `model_info(expand=["sha"])`, whose raw answer is kept under `info`),
  `card_status` (`ok` / `missing` / `gated`, or `error` with an `error` reason when this model's answer could
  not be read: model_info without a commit sha or not a JSON object, a 4xx other than gated/not found; the
  window still lands, parse records it in meta.record_errors), the HTTP status and X-Error-Code of the card request, and where
  the body is: `file` (landed in this window) or `reused_from` (`{window_key, file, sha256}` of the earlier
  window that holds it, when the sha has not changed since the previous snapshot);
- one `<org>__<name>.README.md` file per card fetched in this window, exactly as received.
The manifest lists the reused cards too (`cards_reused`), so the landing zone alone says where every body is.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RemoteEntryNotFoundError, RepositoryNotFoundError

from hubsignal import landing as lz
from hubsignal.http import safe_url
from hubsignal.hub.client import HubClient

SOURCE = "model_cards"
INDEX_FILE = "cards.jsonl"
INFO_EXPAND = ["sha"]
STATUSES = ("ok", "missing", "gated")
ERROR_STATUS = "error"  # this model's answer could not be read: no row, a record error with the reason
# A card is fetched again only when the repo's sha changed. A gated answer is retried every window anyway:
# access depends on the token and the repo's settings, not on the commit.
REUSABLE = ("ok", "missing")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def card_file(model_id: str) -> str:
    """Name of a card body in its window folder (before land_window adds `.gz`)."""
    return model_id.replace("/", "__") + ".README.md"


def landed_name(name: str) -> str:
    """The file name land_window gives a RawFile (it stores every body gzip-compressed)."""
    return f"{name}.gz"


def read_landed_file(window_dir: Path, file: str, expect_sha256: str | None = None) -> bytes:
    """One file of a landed window, verified against that window's manifest (and `expect_sha256`)."""
    st = (window_dir / file).stat() if (window_dir / file).is_file() else None
    return _read_verified(str(window_dir), file, expect_sha256, st.st_mtime_ns if st else 0, st.st_size if st else -1)


@lru_cache(maxsize=512)  # a reused card is read by every later window of a backfill: read and verify it once
def _read_verified(window_dir: str, file: str, expect_sha256: str | None, _mtime: int, _size: int) -> bytes:
    folder = Path(window_dir)
    try:
        manifest = json.loads((folder / lz.MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise lz.LandingError(f"{folder / lz.MANIFEST}: unreadable manifest ({exc})") from exc
    entry = next((e for e in manifest.get("files", []) if e.get("file") == file), None)
    if entry is None:
        raise lz.LandingError(f"{folder / file}: not listed in the window's manifest")
    if expect_sha256 is not None and entry["sha256"] != expect_sha256:
        raise lz.LandingError(
            f"{folder / file}: manifest sha256 {entry['sha256']} differs from the reference {expect_sha256}"
        )
    try:
        data = (folder / file).read_bytes()
    except OSError as exc:
        raise lz.LandingError(f"{folder / file}: listed in the manifest but unreadable ({exc})") from exc
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise lz.LandingError(f"{folder / file}: sha256 differs from the manifest (file changed after landing)")
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise lz.LandingError(f"{folder / file}: not a valid gzip file ({exc})") from exc


def read_index(window_dir: Path) -> list[dict]:
    body = read_landed_file(window_dir, landed_name(INDEX_FILE))
    out = []
    for n, line in enumerate(body.decode("utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                raise lz.LandingError(f"{window_dir / landed_name(INDEX_FILE)} line {n}: not JSON ({exc})") from exc
    return out


def previous_cards(landing: Path, key: str) -> tuple[str | None, dict[str, dict]]:
    """The most recent landed card window before `key` and its records by model id, each with `body_ref`:
    where its body (or its observed absence) lives in the landing zone."""
    earlier = [k for k in lz.landed_keys(landing, SOURCE) if k < key]
    if not earlier:
        return None, {}
    prev = earlier[-1]
    folder = lz.window_dir(landing, SOURCE, prev)
    shas = {e["file"]: e["sha256"] for e in json.loads((folder / lz.MANIFEST).read_text())["files"]}
    records = {}
    for rec in read_index(folder):
        if rec.get("file"):
            rec["body_ref"] = {"window_key": prev, "file": rec["file"], "sha256": shas.get(rec["file"])}
        else:
            rec["body_ref"] = rec.get("reused_from") or {"window_key": prev, "file": None, "sha256": None}
        records[rec["model_id"]] = rec
    return prev, records


def _info_record(resp) -> dict:
    return (
        {"url": resp.url, "http_status": resp.status, "body": resp.body.decode("utf-8", errors="replace")}
        if resp
        else None
    )


def _http_status(error) -> int | None:
    response = getattr(error, "response", None)
    return response.status_code if response is not None else None


def _commit_sha(body: bytes) -> tuple[str | None, str | None]:
    """(sha, None) from a model_info(expand=sha) body, or (None, why not) when it holds no commit sha."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        return None, f"model_info answer is not JSON ({exc}): {body[:60]!r}"
    if not isinstance(doc, dict):
        return None, f"model_info answer is a JSON {type(doc).__name__}, not an object"
    sha = doc.get("sha")
    if not isinstance(sha, str) or not _SHA.match(sha):
        return None, f"model_info has no commit sha ({str(sha)[:60] if isinstance(sha, str) else sha!r})"
    return sha, None


def reuse_record(model_id: str, sha: str, prev: dict, checked_at: datetime, info: dict | None) -> dict:
    """The record of a card whose repo sha did not change: same status and body, referenced, not fetched."""
    return {
        "model_id": model_id,
        "sha": sha,
        "card_status": prev["card_status"],
        "http_status": prev["http_status"],
        "error_code": prev.get("error_code"),
        "url": prev["url"],
        "fetched_at": prev["fetched_at"],
        "checked_at": checked_at.isoformat(),
        "file": None,
        "reused_from": prev["body_ref"],
        "info": info,
    }


def fetch_cards(
    client: HubClient,
    model_ids: list[str],
    previous: dict[str, dict],
    log: Callable[[str], None] = print,
) -> tuple[list[lz.RawFile], dict]:
    """The card of every model: sha first, then README.md at that sha unless the landed one is still current."""
    lines: list[str] = []
    bodies: list[lz.RawFile] = []
    reused: dict[str, str] = {}
    for model_id in model_ids:
        # One model's odd answer is recorded as that model's error; only HttpRequestError (retries exhausted,
        # transport failure) propagates and fails the fetch, so nothing partial is landed.
        try:
            info = client.model_info_raw(model_id, expand=INFO_EXPAND, lenient=True)
        except GatedRepoError as exc:  # the Hub serves metadata of gated repos; recorded if it ever does not
            info, status, error = None, "gated", exc
        except HfHubHTTPError as exc:  # another 4xx for this repo only
            info, status, error = None, ERROR_STATUS, exc
        else:
            status, error = (None, None) if info else ("missing", None)
        sha, reason = None, None
        if info is not None:
            sha, reason = _commit_sha(info.body)
        elif status == ERROR_STATUS:
            reason = f"model_info answered HTTP {_http_status(error)}"
        if reason is not None:
            record = {
                "model_id": model_id,
                "sha": None,
                "card_status": ERROR_STATUS,
                "error": reason,
                "http_status": info.status if info else _http_status(error),
                "error_code": None,
                "url": info.url if info else None,
                "file": None,
                "reused_from": None,
                "info": _info_record(info),
                "checked_at": (info.fetched_at if info else datetime.now(UTC)).isoformat(),
            }
            record["fetched_at"] = record["checked_at"]
            log(f"card of {model_id}: not read, {reason}")
            lines.append(json.dumps(record, sort_keys=True))
            continue
        checked_at = info.fetched_at if info else datetime.now(UTC)
        prev = previous.get(model_id)
        if sha and prev and prev.get("sha") == sha and prev["card_status"] in REUSABLE:
            record = reuse_record(model_id, sha, prev, checked_at, _info_record(info))
            ref = record["reused_from"]
            reused[model_id] = f"{ref['window_key']}/{ref['file'] or '(' + prev['card_status'] + ')'}"
        else:
            record = {
                "model_id": model_id,
                "sha": sha,
                "file": None,
                "reused_from": None,
                "info": _info_record(info),
                "checked_at": checked_at.isoformat(),
            }
            if status is None:
                try:
                    resp = client.card_raw(model_id, sha)
                except GatedRepoError as exc:  # 401 anonymous / 403 without access, X-Error-Code: GatedRepo
                    status, error = "gated", exc
                except RemoteEntryNotFoundError as exc:  # the repo has no README.md at this sha
                    status, error = "missing", exc
                except RepositoryNotFoundError as exc:  # deleted between the listing and now
                    status, error = "missing", exc
                except HfHubHTTPError as exc:  # another 4xx for this card only (e.g. the revision is gone)
                    status, error = ERROR_STATUS, exc
                else:
                    status = "ok"
                    name = card_file(model_id)
                    bodies.append(lz.RawFile(name, resp.body, 1, resp.url, resp.status, resp.fetched_at))
                    record.update(
                        card_status="ok",
                        http_status=resp.status,
                        error_code=None,
                        url=resp.url,
                        fetched_at=resp.fetched_at.isoformat(),
                        file=landed_name(name),
                    )
            if status != "ok":  # recorded as such: never a card that "says nothing"
                response = getattr(error, "response", None)
                if response is None:  # model_info found no such repo (deleted since the listing)
                    http_status, error_code, url = 404, "RepoNotFound", None
                else:
                    http_status, error_code = response.status_code, response.headers.get("X-Error-Code")
                    url = safe_url(str(response.request.url))
                record.update(
                    card_status=status,
                    http_status=http_status,
                    error_code=error_code,
                    url=url,
                    fetched_at=record["checked_at"],
                )
                if status == ERROR_STATUS:
                    record["error"] = (
                        f"README.md at {sha} answered HTTP {http_status} ({error_code or type(error).__name__})"
                    )
                log(f"card of {model_id}: {status} (HTTP {http_status}, {error_code})")
        lines.append(json.dumps(record, sort_keys=True))
    index = lz.RawFile(INDEX_FILE, ("\n".join(lines) + "\n").encode(), len(lines))
    extra = {"cards_fetched": len(bodies), "cards_reused": reused}
    return [index, *bodies], extra
