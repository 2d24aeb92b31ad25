"""LiveBench leaderboard snapshots: what to fetch, and how landed files become `raw.livebench_scores` rows.

livebench.ai serves, per question-set release, `table_<YYYY_MM_DD>.csv` (column `model`, then one column
per task, scores 0-100) and `categories_<YYYY_MM_DD>.json` (category -> list of task columns). A table keeps
changing after its date, so every window lands all configured releases as received and loads them whole.

Outcomes (never a crash; every skipped or rejected thing is named in a note kept in meta.snapshot_log):
- cells: `score` is the cell as a finite decimal number (surrounding whitespace ignored), else NULL;
  `raw_value` keeps the cell as received. CRLF or LF, a UTF-8 BOM and blank lines are all fine.
- names: header names and model ids are whitespace-trimmed; the `model` column is found by name.
- duplicated model row (same trimmed id twice in a table): the FIRST row is kept, later ones are dropped
  and counted in a note.
- a row SHORTER than the header: its missing trailing cells are read as empty (score NULL, raw_value ''), as
  livebench.ai shows it, with a note naming the line and its field count. A row LONGER than the header with
  values beyond it is skipped with a note naming the line: those cells cannot be matched to tasks.
- task columns differ between releases (renames such as LCB_generation -> code_generation): each release
  is read with its own header; nothing assumes a fixed task list.
- categories: the release's own file; if it is absent, the most recent EARLIER categories file of the same
  snapshot whose tasks cover every task column of the table (`categories_file` records which). If none
  covers it, the release is rejected with an error naming the uncovered tasks.
- a task in no category of the file used: loaded with `category` NULL and left out of every average (as
  livebench.ai, which only averages the columns its categories list).
- malformed files (not UTF-8, broken CSV quoting, no `model` column, duplicate or nameless columns holding
  values, invalid JSON, a categories file that is not {category: [task, ...]} or lists a task under two
  categories): the release is rejected with the file and the line/key named.
- rejection is per RELEASE: the other releases of the window still load and the window is `observed`
  (its log message lists the rejected releases; staging falls back to that release's latest earlier
  snapshot). Only a window where no release loads is quarantined (no rows, files kept).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from hubsignal.csv_records import csv_records, decode
from hubsignal.http import HttpFetcher
from hubsignal.landing import LandedWindow, RawFile
from hubsignal.values import as_utc, to_number

SOURCE = "livebench"  # landing folder and meta.snapshot_log.source
PARSER_VERSION = "livebench-2"  # 2: rows shorter than the header load (trailing cells empty)
_TABLE = re.compile(r"^table_(\d{4})_(\d{2})_(\d{2})\.csv$")
_CATEGORIES = re.compile(r"^categories_(\d{4})_(\d{2})_(\d{2})\.json$")
_MAX_LISTED = 8  # names listed in one note before "... (+N)"

SCHEMA = {
    "fetched_window": pl.Datetime("us"),
    "release_date": pl.Date,
    "model": pl.String,
    "task": pl.String,
    "score": pl.Float64,
    "raw_value": pl.String,
    "categories_file": pl.String,
    "category": pl.String,
    "origin": pl.String,
}


class LiveBenchFileError(ValueError):
    """A LiveBench file or release cannot be used; the message names the file and the line or key."""


class LiveBenchFetchError(RuntimeError):
    """The live fetch cannot produce a snapshot (nothing is landed)."""


def table_file(release: date | str) -> str:
    return f"table_{_underscored(release)}.csv"


def categories_file(release: date | str) -> str:
    return f"categories_{_underscored(release)}.json"


def _underscored(release: date | str) -> str:
    d = release if isinstance(release, date) else date.fromisoformat(str(release).replace("_", "-"))
    return d.strftime("%Y_%m_%d")


def _release_of(match: re.Match) -> date | None:
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (f" ... (+{len(names) - _MAX_LISTED})" if len(names) > _MAX_LISTED else "")


def _text(name: str, body: bytes) -> str:
    return decode(name, body, LiveBenchFileError)


# ------------------------------------------------------------------------------------------------ table


@dataclass
class Table:
    name: str
    tasks: list[str]
    rows: list[tuple[str, list[str]]]  # (trimmed model id, raw cells aligned with tasks)
    notes: list[str] = field(default_factory=list)


def parse_table(name: str, body: bytes) -> Table:
    """A leaderboard CSV; raises LiveBenchFileError naming the file and line when it is malformed."""
    records: list[tuple[int, list[str]]] = []  # (first physical line, fields)
    header: list[str] | None = None
    header_line = 0
    for line, fields in csv_records(name, _text(name, body), LiveBenchFileError):
        if header is None:
            header, header_line = [f.strip() for f in fields], line
        else:
            records.append((line, fields))
    if header is None:
        raise LiveBenchFileError(f"{name}: empty file (no header line)")

    model_cols = [i for i, h in enumerate(header) if h.lower() == "model"]
    if len(model_cols) != 1:
        raise LiveBenchFileError(
            f"{name} line {header_line}: expected exactly one `model` column, found {len(model_cols)}"
        )
    model_col = model_cols[0]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h and h in seen:
            raise LiveBenchFileError(
                f"{name} line {header_line}: column {h!r} appears twice (columns {seen[h] + 1} and {i + 1})"
            )
        seen[h] = i

    notes: list[str] = []
    width = len(header)
    kept_records: list[tuple[int, list[str]]] = []
    short: list[str] = []
    long: list[str] = []
    for line, fields in records:
        if len(fields) > width and not any(f.strip() for f in fields[width:]):
            fields = fields[:width]  # trailing separators
        who = fields[model_col].strip() if model_col < len(fields) else ""
        if len(fields) < width:  # livebench.ai shows such a row with its trailing cells empty
            short.append(f"line {line} ({who or 'no model'}: {len(fields)} of {width} fields)")
            fields = fields + [""] * (width - len(fields))
        elif len(fields) > width:
            long.append(f"line {line} ({who or 'no model'}: {len(fields)} fields)")
            continue
        kept_records.append((line, fields))
    if short:
        notes.append(
            f"{name}: {len(short)} row(s) shorter than the header, missing trailing cells read as empty: "
            f"{_listed(short)}"
        )
    if long:
        notes.append(
            f"{name}: {len(long)} row(s) skipped, longer than the header's {width} fields with values "
            f"beyond it (cells cannot be matched to tasks): {_listed(long)}"
        )

    nameless = [i for i, h in enumerate(header) if not h and i != model_col]
    for i in nameless:
        holding = next((line for line, fields in kept_records if fields[i].strip()), None)
        if holding is not None:
            raise LiveBenchFileError(
                f"{name} line {holding}: column {i + 1} has no name in the header but holds a value"
            )
    task_cols = [i for i, h in enumerate(header) if h and i != model_col]

    rows: list[tuple[str, list[str]]] = []
    first_line: dict[str, int] = {}
    duplicates: list[str] = []
    unnamed: list[str] = []
    for line, fields in kept_records:
        model = fields[model_col].strip()
        if not model:
            unnamed.append(f"line {line}")
            continue
        if model in first_line:
            duplicates.append(f"{model} (line {line} repeats line {first_line[model]})")
            continue
        first_line[model] = line
        rows.append((model, [fields[i] for i in task_cols]))
    if duplicates:
        notes.append(
            f"{name}: {len(duplicates)} duplicated model row(s) dropped, the first row of each model "
            f"kept: {_listed(duplicates)}"
        )
    if unnamed:
        notes.append(f"{name}: {len(unnamed)} row(s) without a model id skipped: {_listed(unnamed)}")
    return Table(name, [header[i] for i in task_cols], rows, notes)


# ------------------------------------------------------------------------------------------- categories


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise LiveBenchFileError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_categories(name: str, body: bytes) -> dict[str, str]:
    """`{category: [task, ...]}` -> {task: category}; raises LiveBenchFileError naming the file and key."""
    text = _text(name, body)
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise LiveBenchFileError(f"{name} line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})") from None
    except LiveBenchFileError as exc:
        raise LiveBenchFileError(f"{name}: {exc}") from None
    if not isinstance(doc, dict) or not doc:
        raise LiveBenchFileError(
            f"{name}: expected a non-empty object {{category: [task, ...]}}, got {type(doc).__name__}"
        )
    mapping: dict[str, str] = {}
    for key, tasks in doc.items():
        category = key.strip()
        if not category:
            raise LiveBenchFileError(f"{name} key {key!r}: empty category name")
        if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
            raise LiveBenchFileError(f"{name} key {key!r}: expected a list of task names")
        for raw in tasks:
            task = raw.strip()
            if not task:
                raise LiveBenchFileError(f"{name} key {key!r}: empty task name")
            if mapping.get(task, category) != category:
                raise LiveBenchFileError(
                    f"{name} key {key!r}: task {task!r} is also listed under {mapping[task]!r} "
                    "(a task belongs to exactly one category)"
                )
            mapping[task] = category
    return mapping


def choose_categories(
    release: date, tasks: list[str], valid: dict[date, tuple[str, dict[str, str]]], broken: dict[date, str]
) -> tuple[str, dict[str, str], list[str]]:
    """(file name, task -> category, notes) for a release; LiveBenchFileError when the release is unusable."""
    own = categories_file(release)
    if release in valid:
        name, mapping = valid[release]
        loose = [t for t in tasks if t not in mapping]
        notes = (
            [
                f"{table_file(release)}: task(s) in no category of {name}, loaded with category NULL and left "
                f"out of the averages: {_listed(loose)}"
            ]
            if loose
            else []
        )
        return name, mapping, notes
    if release in broken:
        raise LiveBenchFileError(f"release {release}: its categories file is malformed: {broken[release]}")
    earlier = sorted((d for d in valid if d < release), reverse=True)
    for d in earlier:
        name, mapping = valid[d]
        if all(t in mapping for t in tasks):
            return (
                name,
                mapping,
                [
                    f"{table_file(release)}: {own} absent; classified with {name}, the most recent "
                    f"earlier categories file covering all {len(tasks)} task columns"
                ],
            )
    if not earlier:
        raise LiveBenchFileError(
            f"release {release}: {own} absent and no earlier categories file in this snapshot; "
            f"uncovered tasks: {_listed(tasks)}"
        )
    nearest, mapping = valid[earlier[0]]
    uncovered = [t for t in tasks if t not in mapping]
    raise LiveBenchFileError(
        f"release {release}: {own} absent and no earlier categories file covers every task column of "
        f"{table_file(release)} ({len(earlier)} tried); uncovered by {nearest} (the most recent): {_listed(uncovered)}"
    )


# ---------------------------------------------------------------------------------------------- snapshot


@dataclass
class ParsedSnapshot:
    columns: dict[str, list]  # SCHEMA columns except fetched_window and origin
    notes: list[str]
    loaded: list[date]
    rejected: dict[date, str]


def parse_snapshot(files: dict[str, bytes]) -> ParsedSnapshot:
    """Every release table in one snapshot (file name -> body as received), classified and long."""
    tables: dict[date, str] = {}
    valid: dict[date, tuple[str, dict[str, str]]] = {}
    broken: dict[date, str] = {}
    notes: list[str] = []
    for name in sorted(files):
        if (m := _TABLE.match(name)) and (release := _release_of(m)):
            tables[release] = name
        elif (m := _CATEGORIES.match(name)) and (release := _release_of(m)):
            try:
                valid[release] = (name, parse_categories(name, files[name]))
            except LiveBenchFileError as exc:
                broken[release] = str(exc)
        else:
            notes.append(f"{name}: ignored (not a table_<YYYY_MM_DD>.csv or categories_<YYYY_MM_DD>.json file)")

    cols: dict[str, list] = {
        k: [] for k in ("release_date", "model", "task", "score", "raw_value", "categories_file", "category")
    }
    loaded: list[date] = []
    rejected: dict[date, str] = {}
    for release in sorted(tables):
        try:
            table = parse_table(tables[release], files[tables[release]])
            used, mapping, chosen_notes = choose_categories(release, table.tasks, valid, broken)
        except LiveBenchFileError as exc:
            rejected[release] = str(exc)
            continue
        notes += table.notes + chosen_notes
        n_cells = len(table.rows) * len(table.tasks)
        categories = [mapping.get(t) for t in table.tasks]
        non_numeric = 0
        for model, cells in table.rows:
            for task, category, cell in zip(table.tasks, categories, cells):
                score = to_number(cell)
                non_numeric += score is None
                cols["score"].append(score)
                cols["raw_value"].append(cell)
                cols["task"].append(task)
                cols["category"].append(category)
            cols["model"] += [model] * len(cells)
        cols["release_date"] += [release] * n_cells
        cols["categories_file"] += [used] * n_cells
        if non_numeric:
            notes.append(f"{table.name}: {non_numeric} of {n_cells} cells empty or not numeric (score NULL)")
        loaded.append(release)
    notes += [f"{error} (not usable as an earlier categories file)" for d, error in broken.items() if d not in tables]
    notes += [f"REJECTED {error}" for error in rejected.values()]
    return ParsedSnapshot(cols, notes, loaded, rejected)


def parse_livebench(window: LandedWindow, start: datetime) -> tuple[pl.DataFrame, list[str]]:
    """A landed window -> (rows of raw.livebench_scores, notes). ValueError (-> quarantine) when no release loads."""
    files = {entry["file"].removesuffix(".gz"): body for entry, body in window.files}
    parsed = parse_snapshot(files)
    absent = [
        f"{a['file']} absent ({a.get('reason') or 'HTTP ' + str(a.get('http_status'))})"
        for a in window.manifest.get("absent", [])
    ]
    if not parsed.loaded:
        problems = list(parsed.rejected.values()) or ["no LiveBench table in this snapshot"]
        raise LiveBenchFileError("; ".join(problems + absent))
    n = len(parsed.columns["model"])
    fetched_window = as_utc(start).replace(tzinfo=None)
    frame = pl.DataFrame(
        {"fetched_window": [fetched_window] * n, **parsed.columns, "origin": [window.origin] * n},
        schema=SCHEMA,
    )
    return frame, absent + parsed.notes


# ------------------------------------------------------------------------------------------------- fetch


def _looks_like_html(body: bytes) -> bool:
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _n_records(name: str, body: bytes) -> int:
    try:
        if name.endswith(".json"):
            doc = json.loads(body)
            return len(doc) if isinstance(doc, dict) else 0
        return max(sum(1 for line in body.splitlines() if line.strip()) - 1, 0)
    except ValueError:
        return 0


def fetch_livebench(
    fetcher: HttpFetcher, base_url: str, releases: Sequence[str], log: Callable[[str], None] = print
) -> tuple[list[RawFile], dict]:
    """GET every configured release's table and categories file, as received, for the landing zone.

    404 (or an HTML page where a file was expected: a site's catch-all page) records the file as absent in
    the manifest; any other final non-200 answer, or no table at all, fails the fetch (nothing is landed).
    """
    files: list[RawFile] = []
    absent: list[dict] = []
    base = base_url.rstrip("/")
    for release in releases:
        for name in (table_file(release), categories_file(release)):
            resp = fetcher.get_raw(f"{base}/{name}")
            if resp.status == 404 or (resp.status == 200 and _looks_like_html(resp.body)):
                reason = "HTTP 404" if resp.status == 404 else "HTML page served instead of the file"
                absent.append({"file": name, "url": resp.url, "http_status": resp.status, "reason": reason})
                log(f"livebench {name}: absent ({reason})")
                continue
            if resp.status != 200:
                raise LiveBenchFetchError(f"GET {resp.url}: HTTP {resp.status}")
            files.append(RawFile(name, resp.body, _n_records(name, resp.body), resp.url, resp.status, resp.fetched_at))
    if not any(f.name.startswith("table_") for f in files):
        raise LiveBenchFetchError(
            f"none of the {len(releases)} configured LiveBench releases has a table at {base}: refusing an empty snapshot"
        )
    log(f"livebench: {sum(f.name.startswith('table_') for f in files)} table(s), {len(absent)} file(s) absent")
    return files, {"releases": list(releases), "absent": absent, "requests_sent": fetcher.requests_sent}
