"""Legacy benchmark score files: adapters, landing, and parsing of landed score-file windows.

A score file (dropped by a user, or found by the archive importer) is validated IN FULL by its adapter, then
landed as received by `land_score_file` into the window that contains its observation time:
`landing/score_files/<adapter>-<sha256[:12]>/<window-key>/` (one folder per distinct file, so two files observed
in the same window never collide; the same file observed again is a no-op). `raw/legacy_scores` loads those
windows through the same adapter (`parse_score_window`). A malformed file is rejected with the file and the
line/column named, before anything is written.

Adapters (plain functions `(files, main) -> (frame, notes)`, every score on 0-100):
- `generic_csv`: columns model, benchmark, score (0-100), source_url, protocol, self_reported, reported_on
  (+ optional hf_repo_id, reported_by, metric);
- `llm_stats`: the LLM-Stats export `llmstats_benchmark_scores.csv` (score is a FRACTION 0-1; its sibling
  `llmstats_models.csv`, when present, is landed with it and fills hf_repo_id and the vendor's name); rows whose
  score is not a fraction (ratings such as Codeforces Elo) are skipped with a note;
- `open_llm_leaderboard_v1`: the retired Open LLM Leaderboard's final export (harness-run, third-party), one
  row per run and benchmark; its boolean columns `merged`, `flagged`, `moe` are stored INVERTED and are
  un-inverted into `source_flags`.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from hubsignal import landing as lz
from hubsignal.csv_records import csv_records, decode
from hubsignal.landing import LandedWindow, RawFile
from hubsignal.values import as_utc, naive_utc, to_bool, to_date, to_number
from hubsignal.windows import window_floor, window_key

SCORE_FILES = "score_files"  # landing root; each landed file is the source `score_files/<adapter>-<sha12>`
PARSER_VERSION = "legacy-1"
TABLE = "raw.legacy_scores"
MAX_ERRORS = 5  # errors listed before a file is rejected
_MAX_LISTED = 8

# The columns an adapter produces (raw.legacy_scores minus what the loader adds per window).
SCORE_SCHEMA = {
    "source": pl.String,
    "source_model": pl.String,
    "hf_repo_id": pl.String,
    "benchmark": pl.String,
    "benchmark_name": pl.String,
    "metric": pl.String,
    "score": pl.Float64,
    "raw_score": pl.String,
    "protocol": pl.String,
    "self_reported": pl.Boolean,
    "reported_by": pl.String,
    "source_url": pl.String,
    "reported_on": pl.Date,
    "source_file": pl.String,
    "source_record": pl.String,
    "source_flags": pl.List(pl.String),
}
LOAD_SCHEMA = {
    "window_start": pl.Datetime("us"),
    "landing_source": pl.String,
    **SCORE_SCHEMA,
    "observed_at": pl.Datetime("us"),
    "origin": pl.String,
}


class ScoreFileError(ValueError):
    """A score file cannot be used; the message names the file and the line/column (or the missing columns)."""


# --------------------------------------------------------------------------------------------- helpers

_BENCHMARK_ALIASES = {
    "hendrycks-test": "mmlu",
    "hendryckstest": "mmlu",
    "mmlu-no-train": "mmlu",
    "massive-multitask-language-understanding": "mmlu",
    "truthful-qa": "truthfulqa",
    "truthfulqa-mc": "truthfulqa",
    "truthfulqa-mc2": "truthfulqa",
    "arc": "arc-c",
    "arc-challenge": "arc-c",
    "arc-easy": "arc-e",
    "gsm-8k": "gsm8k",
    "human-eval": "humaneval",
    "openai-humaneval": "humaneval",
    "mmlu-pro-plus": "mmlu-pro-plus",
}


def canonical_benchmark(name: str, config: str | None = None) -> str:
    """A benchmark id shared by every source: `cais/mmlu`, `MMLU (5-Shot)`, `hendrycks_test`, `mmlu` -> `mmlu`;
    `ai2_arc` + config ARC-Challenge -> `arc-c`; `TIGER-Lab/MMLU-Pro`, `mmlu_pro` -> `mmlu-pro`."""
    text = re.sub(r"\([^)]*\)", " ", str(name).lower()).strip().rstrip("/")
    text = text.rsplit("/", 1)[-1]
    slug = re.sub(r"[^a-z0-9.]+", "-", text).strip("-")
    if slug in ("ai2-arc", "arc") and config:
        slug = "arc-e" if "easy" in str(config).lower() else "arc-c"
    return _BENCHMARK_ALIASES.get(slug, slug)


def _blank(text: str | None) -> str | None:
    s = (text or "").strip()
    return None if s in ("", "-") else s


def _listed(items: list[str]) -> str:
    return ", ".join(items[:_MAX_LISTED]) + (f" ... (+{len(items) - _MAX_LISTED})" if len(items) > _MAX_LISTED else "")


@dataclass
class CsvFile:
    name: str
    header: list[str]
    records: list[tuple[int, dict[str, str]]]  # (physical line, {column: cell})


def read_csv(name: str, body: bytes, required: tuple[str, ...] = ()) -> CsvFile:
    """A CSV as (line, row) records; raises ScoreFileError naming the file and line when it is malformed."""
    header: list[str] | None = None
    records: list[tuple[int, dict[str, str]]] = []
    for line, fields in csv_records(name, decode(name, body, ScoreFileError), ScoreFileError):
        if header is None:
            header = [f.strip() for f in fields]
            dupes = sorted({h for h in header if h and header.count(h) > 1})
            if dupes:
                raise ScoreFileError(f"{name} line {line}: column(s) {dupes} appear more than once")
            continue
        if len(fields) != len(header):
            raise ScoreFileError(f"{name} line {line}: {len(fields)} fields, the header has {len(header)}")
        records.append((line, dict(zip(header, fields))))
    if header is None:
        raise ScoreFileError(f"{name}: empty file (no header line)")
    missing = [c for c in required if c not in header]
    if missing:
        raise ScoreFileError(f"{name} line 1: missing column(s) {missing} (header: {header})")
    return CsvFile(name, header, records)


class _Errors:
    """Collects cell errors (file, line, column) and raises them together, MAX_ERRORS at most."""

    def __init__(self, name: str):
        self.name, self.items = name, []

    def add(self, line: int, column: str, why: str) -> None:
        self.items.append(f"line {line}, column {column!r}: {why}")

    def add_if_empty(self, line: int, **cells: str) -> None:
        """An "empty" error for each of these (column=stripped value) cells that is empty, in the order given."""
        for column, value in cells.items():
            if not value:
                self.add(line, column, "empty")

    def check(self) -> None:
        if self.items:
            more = f" (+{len(self.items) - MAX_ERRORS} more)" if len(self.items) > MAX_ERRORS else ""
            raise ScoreFileError(f"{self.name}: rejected, nothing loaded: " + "; ".join(self.items[:MAX_ERRORS]) + more)


class _Rows:
    """Adapter output, column by column (building a frame from columns is many times faster than from dicts)."""

    def __init__(self):
        self.cols: dict[str, list] = {k: [] for k in SCORE_SCHEMA}

    def append(self, **kw) -> None:
        kw["source_flags"] = ",".join(kw.get("source_flags") or ())  # lists are built vectorised in frame()
        for k, col in self.cols.items():
            col.append(kw.get(k))

    def frame(self) -> pl.DataFrame:
        flags = pl.col("source_flags")
        return pl.DataFrame(self.cols, schema={**SCORE_SCHEMA, "source_flags": pl.String}).with_columns(
            pl.when(flags == "")
            .then(pl.lit([], dtype=pl.List(pl.String)))
            .otherwise(flags.str.split(","))
            .alias("source_flags")
        )


# -------------------------------------------------------------------------------------------- adapters

GENERIC_COLUMNS = ("model", "benchmark", "score", "source_url", "protocol", "self_reported", "reported_on")


def adapt_generic_csv(files: dict[str, bytes], main: str) -> tuple[pl.DataFrame, list[str]]:
    """`model, benchmark, score, source_url, protocol, self_reported, reported_on` (+ hf_repo_id, reported_by,
    metric); score on 0-100, self_reported true/false (yes/no, 1/0), reported_on YYYY-MM-DD or empty."""
    f = read_csv(main, files[main], GENERIC_COLUMNS)
    errors, rows = _Errors(main), _Rows()
    for line, rec in f.records:
        model, bench = rec["model"].strip(), rec["benchmark"].strip()
        score = to_number(rec["score"])
        reported = to_bool(rec["self_reported"])
        day = to_date(rec["reported_on"]) if rec["reported_on"].strip() else None
        errors.add_if_empty(line, model=model, benchmark=bench)
        if score is None:
            errors.add(line, "score", f"{rec['score']!r} is not a number")
        elif not 0 <= score <= 100:
            errors.add(line, "score", f"{score} is outside 0-100 (this format takes percentages)")
        if reported is None:
            errors.add(line, "self_reported", f"{rec['self_reported']!r} is not true/false")
        if rec["reported_on"].strip() and day is None:
            errors.add(line, "reported_on", f"{rec['reported_on']!r} is not a date YYYY-MM-DD")
        if errors.items:
            continue
        rows.append(
            source="generic_csv",
            source_model=model,
            hf_repo_id=_blank(rec.get("hf_repo_id")),
            benchmark=canonical_benchmark(bench),
            benchmark_name=bench,
            metric=_blank(rec.get("metric")),
            score=score,
            raw_score=rec["score"].strip(),
            protocol=_blank(rec["protocol"]),
            self_reported=reported,
            reported_by=_blank(rec.get("reported_by")),
            source_url=_blank(rec["source_url"]),
            reported_on=day,
            source_file=main,
            source_record=f"line {line}",
            source_flags=[],
        )
    errors.check()
    return rows.frame(), []


LLM_STATS_COLUMNS = ("model_id", "benchmark_id", "score", "is_self_reported")
LLM_STATS_MODELS = "llmstats_models.csv"


def adapt_llm_stats(files: dict[str, bytes], main: str) -> tuple[pl.DataFrame, list[str]]:
    """LLM-Stats `llmstats_benchmark_scores.csv`: score is a FRACTION (x100); hf_repo_id from the row, else from
    the models file landed with it; reported_by = the vendor (self-reported) or LLM-Stats."""
    f = read_csv(main, files[main], LLM_STATS_COLUMNS)
    models: dict[str, dict[str, str]] = {}
    companion = next((n for n in files if n != main), None)
    if companion is not None:
        m = read_csv(companion, files[companion], ("model_id",))
        models = {rec["model_id"].strip(): rec for _, rec in m.records}
    errors, rows, skipped = _Errors(main), _Rows(), []
    for line, rec in f.records:
        model, bench = rec["model_id"].strip(), rec["benchmark_id"].strip()
        value = to_number(rec["score"])
        reported = to_bool(rec["is_self_reported"])
        errors.add_if_empty(line, model_id=model, benchmark_id=bench)
        if value is None:
            errors.add(line, "score", f"{rec['score']!r} is not a number")
        if reported is None:
            errors.add(line, "is_self_reported", f"{rec['is_self_reported']!r} is not True/False")
        if errors.items:
            continue
        if not 0 <= value <= 1:
            skipped.append(f"line {line} ({model} {bench} = {rec['score'].strip()})")
            continue
        info = models.get(model, {})
        vendor = (
            _blank(info.get("organization_name"))
            or _blank(rec.get("organization_id"))
            or _blank(info.get("organization_id"))
        )
        updated = _blank(rec.get("updated_at"))
        rows.append(
            source="llm_stats",
            source_model=model,
            hf_repo_id=_blank(rec.get("hf_repo_id")) or _blank(info.get("hf_repo_id")),
            benchmark=canonical_benchmark(bench),
            benchmark_name=_blank(rec.get("benchmark_name")) or bench,
            score=value * 100,
            raw_score=rec["score"].strip(),
            protocol=_blank(rec.get("analysis_method")),
            self_reported=reported,
            reported_by=vendor if reported else "LLM-Stats",
            source_url=_blank(rec.get("self_reported_source_link")),
            reported_on=to_date(updated) if updated else None,
            source_file=main,
            source_record=f"line {line}",
            source_flags=[],
        )
    errors.check()
    notes = (
        [
            f"{main}: {len(skipped)} row(s) skipped, score is not a fraction 0-1 (not a percentage benchmark): "
            f"{_listed(skipped)}"
        ]
        if skipped
        else []
    )
    return rows.frame(), notes


# The final export's six harness benchmarks: (canonical id, shots, metric).
OLL_BENCHMARKS = {
    "arc": ("arc-c", "25-shot", "acc_norm"),
    "hellaswag": ("hellaswag", "10-shot", "acc_norm"),
    "mmlu": ("mmlu", "5-shot", "acc"),
    "truthfulqa": ("truthfulqa", "0-shot", "mc2"),
    "winogrande": ("winogrande", "5-shot", "acc"),
    "gsm8k": ("gsm8k", "5-shot", "acc"),
}
OLL_INVERTED = ("merged", "flagged", "moe")  # stored inverted in the export (data README)
OLL_COLUMNS = ("fullname", "precision", "mmlu", *OLL_INVERTED)
OLL_REPORTED_BY = "Open LLM Leaderboard"


def adapt_open_llm_leaderboard_v1(files: dict[str, bytes], main: str) -> tuple[pl.DataFrame, list[str]]:
    """Open LLM Leaderboard v1 export: one row per run (precision); every present benchmark column 0-100,
    third-party. `merged`/`flagged`/`moe` are un-inverted into source_flags."""
    f = read_csv(main, files[main], OLL_COLUMNS)
    benches = [c for c in OLL_BENCHMARKS if c in f.header]
    errors, rows = _Errors(main), _Rows()
    for line, rec in f.records:
        repo = rec["fullname"].strip()
        if not repo:
            errors.add(line, "fullname", "empty")
        flags = []
        for col in OLL_INVERTED:
            stored = to_bool(rec[col])
            if stored is None:
                errors.add(line, col, f"{rec[col]!r} is not TRUE/FALSE")
            elif not stored:  # inverted: FALSE in the file means the flag is set
                flags.append(col)
        values = {}
        for col in benches:
            cell = rec[col].strip()
            if not cell:
                continue  # not evaluated: no row
            value = to_number(cell)
            if value is None or not 0 <= value <= 100:
                errors.add(line, col, f"{cell!r} is not a score 0-100")
            else:
                values[col] = (value, cell)
        if errors.items:
            continue
        precision = _blank(rec["precision"])
        day = to_date(rec["date"]) if _blank(rec.get("date")) else None
        for col, (value, cell) in values.items():
            bench, shots, metric = OLL_BENCHMARKS[col]
            rows.append(
                source="open_llm_leaderboard_v1",
                source_model=repo,
                hf_repo_id=repo if "/" in repo else None,
                benchmark=bench,
                benchmark_name=col,
                metric=metric,
                score=value,
                raw_score=cell,
                protocol=shots,
                self_reported=False,
                reported_by=OLL_REPORTED_BY,
                source_url=_blank(rec.get("url")),
                reported_on=day,
                source_file=main,
                source_record=f"line {line}" + (f" (precision {precision})" if precision else ""),
                source_flags=flags,
            )
    errors.check()
    return rows.frame(), []


Adapter = Callable[[dict[str, bytes], str], tuple[pl.DataFrame, list[str]]]
ADAPTERS: dict[str, Adapter] = {
    "generic_csv": adapt_generic_csv,
    "llm_stats": adapt_llm_stats,
    "open_llm_leaderboard_v1": adapt_open_llm_leaderboard_v1,
}
_SIGNATURES = {  # header columns that identify each format (checked in this order)
    "open_llm_leaderboard_v1": set(OLL_COLUMNS),
    "llm_stats": set(LLM_STATS_COLUMNS),
    "generic_csv": set(GENERIC_COLUMNS),
}


def detect_adapter(name: str, body: bytes) -> str:
    """The adapter whose columns the file's header has; ScoreFileError naming the file otherwise."""
    first = body.decode("utf-8-sig", errors="replace").splitlines()[:1]
    header = {h.strip() for h in next(csv.reader(first), [])} if first else set()
    for adapter, needed in _SIGNATURES.items():
        if needed <= header:
            return adapter
    if {"model_id", "hf_repo_id", "organization_id"} <= header and "benchmark_id" not in header:
        raise ScoreFileError(
            f"{name}: this is the LLM-Stats models file; land llmstats_benchmark_scores.csv "
            f"instead (the models file next to it is landed with it)"
        )
    raise ScoreFileError(
        f"{name}: unknown score-file format (header {sorted(header)}); expected one of: generic CSV "
        f"{list(GENERIC_COLUMNS)}, LLM-Stats {list(LLM_STATS_COLUMNS)}, Open LLM Leaderboard v1 {list(OLL_COLUMNS)}"
    )


def adapt(adapter: str, files: dict[str, bytes], main: str) -> tuple[pl.DataFrame, list[str]]:
    try:
        fn = ADAPTERS[adapter]
    except KeyError:
        raise ScoreFileError(f"{main}: unknown adapter {adapter!r} (known: {sorted(ADAPTERS)})") from None
    return fn(files, main)


# ---------------------------------------------------------------------------------------------- landing


@dataclass
class LandedScoreFile:
    path: Path  # the file as given
    adapter: str
    source: str  # landing source = meta.snapshot_log.source, e.g. score_files/llm_stats-1a2b3c4d5e6f
    window_key: str
    sha256: str  # of the file as received
    n_rows: int  # score rows it yields
    landed: bool  # False: this exact file was already landed for that window (nothing written)
    notes: list[str] = field(default_factory=list)


def _companions(path: Path, adapter: str) -> list[Path]:
    if adapter == "llm_stats":
        sibling = path.with_name(LLM_STATS_MODELS)
        if sibling.is_file() and sibling != path:
            return [sibling]
    return []


def land_score_file(
    landing: Path,
    path: Path | str,
    adapter: str | None = None,
    observed_at: datetime | None = None,
    *,
    origin: str = "imported",
    note: str | None = None,
    now: datetime | None = None,
) -> LandedScoreFile:
    """Validate a score file completely, then land it as received into the window containing `observed_at`
    (default: now). `adapter` None = detected from the header. Nothing is written if the file is malformed
    (ScoreFileError naming the file and line/column); landing the same file for the same window again is a
    no-op (`landed=False`)."""
    path = Path(path)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ScoreFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    adapter = adapter or detect_adapter(str(path), body)
    files = {path.name: body}
    for extra in _companions(path, adapter):
        files[extra.name] = extra.read_bytes()
    frame, notes = adapt(adapter, files, path.name)
    now = as_utc(now or datetime.now(UTC))
    observed = as_utc(observed_at) if observed_at is not None else now
    if observed > now:
        raise ScoreFileError(f"{path}: observation time {observed.isoformat()} is in the future")
    digest = hashlib.sha256(b"".join(hashlib.sha256(files[n]).digest() for n in sorted(files))).hexdigest()
    source = f"{SCORE_FILES}/{adapter}-{digest[:12]}"
    key = window_key(window_floor(observed))
    result = LandedScoreFile(path, adapter, source, key, hashlib.sha256(body).hexdigest(), frame.height, False, notes)
    if lz.is_landed(landing, source, key):
        return result
    raw = [RawFile(path.name, body, frame.height, fetched_at=observed)]
    raw += [RawFile(n, b, max(0, b.count(b"\n") - 1), fetched_at=observed) for n, b in files.items() if n != path.name]
    extra = {
        "adapter": adapter,
        "score_file": path.name,
        "companions": sorted(n for n in files if n != path.name),
        "received_from": str(path),
        "observed_at": observed.isoformat(),
        "landed_at": now.isoformat(),
        "sha256_as_received": {n: hashlib.sha256(b).hexdigest() for n, b in files.items()},
        "parser_version": PARSER_VERSION,
        "notes": notes,
    }
    if origin == "synthetic_sample":
        extra["synthetic"] = True
    if note:
        extra["note"] = note
    try:
        lz.land_window(landing, source, key, raw, origin=origin, fetched_at=observed, extra=extra)
    except lz.LandingError:
        if lz.is_landed(landing, source, key):  # the same file, landed concurrently
            return result
        raise
    result.landed = True
    return result


def score_file_sources(landing: Path) -> list[str]:
    """Landing sources of every landed score file (`score_files/<adapter>-<sha12>`)."""
    root = Path(landing) / SCORE_FILES
    if not root.is_dir():
        return []
    return sorted(f"{SCORE_FILES}/{p.name}" for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def with_load_columns(
    frame: pl.DataFrame, window_start: datetime, landing_source: str, observed_at: datetime, origin: str
) -> pl.DataFrame:
    """Adapter rows + the loader's columns, in raw.legacy_scores order."""
    return frame.with_columns(
        pl.lit(naive_utc(window_start), dtype=pl.Datetime("us")).alias("window_start"),
        pl.lit(landing_source, dtype=pl.String).alias("landing_source"),
        pl.lit(naive_utc(observed_at), dtype=pl.Datetime("us")).alias("observed_at"),
        pl.lit(origin, dtype=pl.String).alias("origin"),
    ).select(list(LOAD_SCHEMA))


def parse_score_window(window: LandedWindow, window_start: datetime) -> tuple[pl.DataFrame, list[str]]:
    """Rows of raw.legacy_scores for one landed score-file window (the adapter named in its manifest)."""
    manifest = window.manifest
    try:
        adapter, main = manifest["adapter"], manifest["score_file"]
    except KeyError as exc:
        raise lz.LandingError(f"{window.path}/manifest.json: no {exc} (not a score-file landing)") from None
    files = {entry["file"].removesuffix(".gz"): body for entry, body in window.files}
    if main not in files:
        raise lz.LandingError(f"{window.path}: manifest names {main} but it is not among the landed files")
    frame, notes = adapt(adapter, files, main)
    observed = datetime.fromisoformat(manifest.get("observed_at") or manifest["fetched_at"])
    return with_load_columns(frame, window_start, manifest["source"], observed, window.origin), notes
