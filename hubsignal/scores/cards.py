"""Legacy scores from Hub model cards: `model-index` (YAML in the card) and `evalResults` (.eval_results/*.yaml),
read RAW with one `model_info(expand=["model-index", "evalResults"])` per tracked model and parsed defensively.

Why raw: huggingface_hub parses these fields itself and some off-spec cards make it raise (HUB_API.md, the
cardData crash hazard; an `evalResults` item without `dataset.id` does the same in `model_info`). We land the
body as received and parse it here, where an off-spec card, entry or value is skipped with a note naming the
repo and the path inside the card, and never aborts the window.

Rules:
- a result's source is its `source` ({name, url}, a plain string, or absent); rows whose source is the Open LLM
  Leaderboard (its bot added many MMLU rows to cards) are third-party (`self_reported` false), every other row
  is the card's own claim;
- benchmark id from the dataset type/name (`cais/mmlu`, `MMLU (5-Shot)` -> mmlu; see legacy.canonical_benchmark);
- protocol `<n>-shot` from `dataset.args.num_few_shot`, else from a "(n-shot)" in the dataset name;
- values on 0-1 are taken as fractions (x100), values in (1, 100] as percentages, anything else is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime

import polars as pl
from huggingface_hub.errors import HfHubHTTPError

from hubsignal.hub.client import HubClient
from hubsignal.landing import LandedWindow, RawFile, RecordError
from hubsignal.scores.files import LOAD_SCHEMA, SCORE_SCHEMA, canonical_benchmark, to_date
from hubsignal.values import as_utc

SOURCE = "model_card_scores"  # landing folder and meta.snapshot_log.source
PARSER_VERSION = "cards-2"  # 2: an unreadable answer is a record error (meta.record_errors), not a note
CARD_EXPAND = ["model-index", "evalResults"]
CARD_FILE = "card_scores.jsonl"
HUB_URL = "https://huggingface.co"
_SHOTS = re.compile(r"(\d+)\s*-?\s*shots?", re.I)


def is_third_party(source_name: str | None) -> bool:
    return bool(source_name) and "open llm leaderboard" in source_name.lower()


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        try:
            return _number(float(value.strip().rstrip("%")))
        except ValueError:
            return None
    return None


def to_percent(value: float) -> float | None:
    """0-1 -> x100 (a fraction), (1, 100] -> as is, anything else -> None (not a percentage)."""
    if 0 <= value <= 1:
        return value * 100
    if 1 < value <= 100:
        return value
    return None


def _source(src, where: str, notes: list[str]) -> tuple[str | None, str | None]:
    """(name, url) of a result's `source`: an object, a plain string, or absent (the crash-hazard shapes)."""
    if src is None:
        return None, None
    if isinstance(src, str):
        return src.strip() or None, None
    if isinstance(src, dict):
        name, url = src.get("name"), src.get("url")
        return (name.strip() or None) if isinstance(name, str) else None, url if isinstance(url, str) else None
    notes.append(f"{where}: `source` is a {type(src).__name__}; kept without a source")
    return None, None


def _protocol(dataset: dict) -> str | None:
    args = dataset.get("args")
    shots = args.get("num_few_shot") if isinstance(args, dict) else None
    if isinstance(shots, bool):
        shots = None
    if isinstance(shots, str) and shots.strip().isdigit():
        shots = int(shots.strip())
    if isinstance(shots, int):
        return f"{shots}-shot"
    name = dataset.get("name")
    match = _SHOTS.search(name) if isinstance(name, str) else None
    return f"{int(match[1])}-shot" if match else None


def parse_card(repo_id: str, body) -> tuple[list[dict], list[str]]:
    """Score rows (SCORE_SCHEMA keys) and notes for one model_info body. Never raises on card content."""
    rows: list[dict] = []
    notes: list[str] = []
    if not isinstance(body, dict):
        return [], [f"{repo_id}: card skipped, the answer is a {type(body).__name__}, not an object"]
    org = repo_id.split("/", 1)[0]

    def add(where, bench_raw, config, metric, raw_value, protocol, src_name, src_url, reported_on, flags):
        value = _number(raw_value)
        if value is None:
            notes.append(f"{repo_id} {where}: value {raw_value!r} is not a number; skipped")
            return
        score = to_percent(value)
        if score is None:
            notes.append(f"{repo_id} {where}: value {raw_value!r} is not on a 0-1 or 0-100 scale; skipped")
            return
        third = is_third_party(src_name)
        rows.append(
            {
                **dict.fromkeys(SCORE_SCHEMA),
                "source": "hub_model_card",
                "source_model": repo_id,
                "hf_repo_id": repo_id,
                "benchmark": canonical_benchmark(bench_raw, config),
                "benchmark_name": bench_raw,
                "metric": metric if isinstance(metric, str) else None,
                "score": score,
                "raw_score": str(raw_value),
                "protocol": protocol,
                "self_reported": not third,
                "reported_by": src_name or org,
                "source_url": src_url or f"{HUB_URL}/{repo_id}",
                "reported_on": reported_on,
                "source_file": None,
                "source_record": where,
                "source_flags": flags,
            }
        )

    index = body.get("model-index")
    if index is not None and not isinstance(index, list):
        notes.append(f"{repo_id}: model-index is a {type(index).__name__}, not a list; skipped")
    for i, entry in enumerate(index if isinstance(index, list) else []):
        results = entry.get("results") if isinstance(entry, dict) else None
        if not isinstance(results, list):
            notes.append(f"{repo_id} model-index[{i}]: no list of results; skipped")
            continue
        for j, result in enumerate(results):
            where = f"model-index[{i}].results[{j}]"
            dataset = result.get("dataset") if isinstance(result, dict) else None
            bench = (dataset.get("type") or dataset.get("name")) if isinstance(dataset, dict) else None
            metrics = result.get("metrics") if isinstance(result, dict) else None
            if not isinstance(bench, str) or not bench.strip() or not isinstance(metrics, list):
                notes.append(f"{repo_id} {where}: no dataset type/name or no list of metrics; skipped")
                continue
            src_name, src_url = _source(result.get("source"), f"{repo_id} {where}", notes)
            config = dataset.get("config") if isinstance(dataset.get("config"), str) else None
            for k, metric in enumerate(metrics):
                if not isinstance(metric, dict):
                    notes.append(f"{repo_id} {where}.metrics[{k}]: not an object; skipped")
                    continue
                add(
                    f"{where}.metrics[{k}]",
                    bench.strip(),
                    config,
                    metric.get("type"),
                    metric.get("value"),
                    _protocol(dataset),
                    src_name,
                    src_url,
                    None,
                    [],
                )

    evals = body.get("evalResults")
    if evals is not None and not isinstance(evals, list):
        notes.append(f"{repo_id}: evalResults is a {type(evals).__name__}, not a list; skipped")
    for i, item in enumerate(evals if isinstance(evals, list) else []):
        filename = item.get("filename") if isinstance(item, dict) else None
        where = f"evalResults[{i}]" + (f" ({filename})" if isinstance(filename, str) else "")
        if not isinstance(item, dict):
            notes.append(f"{repo_id} {where}: not an object; skipped")
            continue
        if "error" in item:
            notes.append(f"{repo_id} {where}: the Hub could not read this eval-results file ({item['error']}); skipped")
            continue
        data = item.get("data", item)
        dataset = data.get("dataset") if isinstance(data, dict) else None
        bench = dataset.get("id") if isinstance(dataset, dict) else None
        if not isinstance(bench, str) or not bench.strip():
            notes.append(f"{repo_id} {where}: no dataset id; skipped")
            continue
        src_name, src_url = _source(data.get("source"), f"{repo_id} {where}", notes)
        task = dataset.get("task_id") if isinstance(dataset.get("task_id"), str) else None
        day = to_date(data["date"]) if isinstance(data.get("date"), str) else None
        add(
            where,
            bench.strip(),
            task,
            data.get("metric"),
            data.get("value"),
            _protocol(dataset),
            src_name,
            src_url,
            day,
            ["verified"] if item.get("verified") is True else [],
        )
    return rows, notes


def parse_card_window(
    window: LandedWindow, window_start: datetime
) -> tuple[pl.DataFrame, list[str], list[RecordError]]:
    """Rows of raw.legacy_scores for a landed window of card bodies (one model_info answer per line).
    A model whose answer cannot be read (4xx, not JSON, not an object) or a damaged line is a RecordError;
    off-spec entries inside a readable card are notes."""
    rows, notes, errors = [], [], []
    for entry, body in window.files:
        where = window.path / entry["file"]
        for n, line in enumerate(body.decode("utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                repo_id, status = rec["model_id"], rec.get("http_status")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:  # our own envelope, damaged
                errors.append(RecordError(f"line {n}", f"not a card record ({exc})", f"{where} line {n}"))
                continue
            if status == 404:
                notes.append(f"{repo_id}: HTTP 404, no card read (repo gone)")
                continue
            if status != 200:
                errors.append(RecordError(repo_id, f"model_info answered HTTP {status}", f"{where} line {n}"))
                continue
            try:
                card = json.loads(rec.get("body") or "")
            except ValueError as exc:
                errors.append(RecordError(repo_id, f"model_info answer is not JSON ({exc})", f"{where} line {n}"))
                continue
            if not isinstance(card, dict):
                errors.append(
                    RecordError(
                        repo_id,
                        f"model_info answer is a JSON {type(card).__name__}, not an object",
                        f"{where} line {n}",
                    )
                )
                continue
            card_rows, card_notes = parse_card(repo_id, card)
            fetched = as_utc(datetime.fromisoformat(rec.get("fetched_at") or window.manifest["fetched_at"]))
            rows += [
                {**r, "source_file": entry["file"], "observed_at": fetched.replace(tzinfo=None)} for r in card_rows
            ]
            notes += card_notes
    frame = pl.DataFrame(rows, schema={**SCORE_SCHEMA, "observed_at": pl.Datetime("us")})
    return (
        frame.with_columns(
            pl.lit(as_utc(window_start).replace(tzinfo=None), dtype=pl.Datetime("us")).alias("window_start"),
            pl.lit(SOURCE, dtype=pl.String).alias("landing_source"),
            pl.lit(window.origin, dtype=pl.String).alias("origin"),
        ).select(list(LOAD_SCHEMA)),
        notes,
        errors,
    )


def fetch_card_scores(client: HubClient, repo_ids: list[str], log: Callable[[str], None] = print) -> RawFile:
    """One raw `model_info(expand=model-index,evalResults)` per repo, as JSON lines holding each body as received.
    A repo the Hub answers with a 4xx is recorded with its status; exhausted retries abort (nothing is landed)."""
    lines = []
    for repo_id in repo_ids:
        try:
            resp = client.model_info_raw(repo_id, expand=CARD_EXPAND, lenient=True)
            rec = {
                "http_status": resp.status if resp else 404,
                "url": resp.url if resp else None,
                "fetched_at": resp.fetched_at.isoformat() if resp else None,
                "body": resp.body.decode("utf-8", errors="replace") if resp else None,
            }
        except HfHubHTTPError as exc:  # e.g. 400/401/403 for this repo only
            status = exc.response.status_code if exc.response is not None else None
            log(f"card of {repo_id}: HTTP {status}, recorded without a body")
            rec = {"http_status": status, "url": None, "fetched_at": None, "body": None}
        lines.append(json.dumps({"model_id": repo_id, **rec}, sort_keys=True))
    return RawFile(CARD_FILE, ("\n".join(lines) + "\n").encode(), len(lines))
