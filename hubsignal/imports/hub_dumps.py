"""Hub model dumps -> one `hub_models` window in the landing format the parser reads.

Accepted shapes (optionally gzip-compressed), each holding `/api/models` records (`id`, `downloads`,
`downloadsAllTime`, `likes`, `createdAt`, `lastModified`, `tags`, `pipeline_tag`, `library_name`, `gated`,
`author`, ...; any may be absent):
- a JSON array of records;
- JSON Lines (one record a line; `.jsonl` / `.ndjson`, or any file whose lines are objects);
- an object `{"date"?, "fetched_at"?, "source"?, "models": [records]}`;
- Parquet with the same column names (file-level key-value metadata `fetched_at` / `date` honoured).

Observation time: the file's `fetched_at` (object field, Parquet metadata, or one `fetched_at` shared by
every record), else `--observed-at`. It must carry a zone and not be in the future. A file that has both
must agree on the window; a bare `date` is not enough to place a snapshot (it has no time and no zone).

What lands: the records of the TRACKED orgs only (families file; the same orgs the live listing covers,
matched case-insensitively on the id prefix), one file `<org>.p0001.json` per org holding a JSON list, as
the live fetch lands pages. `raw.hub_models` is "one row per (snapshot, model) of the tracked orgs", so the
rest of a whole-Hub dump is not landed (its count is in the manifest; the original file's sha256 too, so
after adding an org to the families file, re-import the file with --replace). A dump holds only what it
holds: a top-N dump lists only some of an org's models, and the manifest says so.

Absent fields stay absent (NULL in raw.hub_models): a dump without `downloadsAllTime` or `tags` is valid.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hubsignal import landing as lz
from hubsignal.families import Families
from hubsignal.hub.parse import LIST_EXPAND, parse_hub_models
from hubsignal.imports.common import (
    ImportedInput,
    ImportRejected,
    WindowPlan,
    imported_file_plan,
    parse_observed_at,
)
from hubsignal.landing import LandedWindow, LandingError, RawFile
from hubsignal.windows import window_floor, window_key

SOURCE = "hub_models"
IMPORTER = "hub_models_dump"
SUFFIXES = (".json", ".jsonl", ".ndjson", ".parquet")
_INT_FIELDS = ("downloads", "downloadsAllTime", "likes")
_STR_FIELDS = ("pipeline_tag", "library_name")
_TS_FIELDS = ("createdAt", "lastModified")
_HUB_TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z\Z")


def is_hub_dump(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return path.is_file() and name.endswith(SUFFIXES)


@dataclass
class Dump:
    path: Path
    format: str  # json-array | json-lines | json-object | parquet
    records: list[tuple[str, Any]]  # (where in the file, record)
    meta: dict[str, Any] = field(default_factory=dict)  # date / fetched_at / source, if the file has them
    n_records: int | None = None  # records in the file (Parquet: counted by DuckDB; `records` holds the tracked)
    notes: list[str] = field(default_factory=list)  # how the file was read (e.g. naive timestamps taken as UTC)


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRejected(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ImportRejected(f"{path}: not a valid gzip file ({exc})") from exc
    return data


def read_dump(path: Path, tracked: set[str] | None = None) -> Dump:
    """Read a dump into (where, record) pairs and its file-level metadata. Shape errors name the file.
    Parquet is read by DuckDB and only the records of the `tracked` orgs (lower-case) come back as records."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return _read_parquet(path, tracked)
    data = _read_bytes(path)
    if data[:4] == b"PAR1":  # a gzip-compressed Parquet file
        raise ImportRejected(f"{path}: a gzip-compressed Parquet file; decompress it first (Parquet compresses itself)")
    if not data.strip():
        raise ImportRejected(f"{path}: empty file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(f"{path}: not UTF-8 text and not Parquet ({exc})") from exc
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson")):
        return _read_lines(path, text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{") and exc.msg == "Extra data":
            return _read_lines(path, text)
        raise ImportRejected(f"{path}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from exc
    if isinstance(doc, list):
        return Dump(path, "json-array", [(f"[{i}]", r) for i, r in enumerate(doc)])
    if isinstance(doc, dict) and "models" in doc:
        models = doc["models"]
        if not isinstance(models, list):
            raise ImportRejected(f"{path}: 'models' must be a JSON array of model records, got {type(models).__name__}")
        meta = {k: doc[k] for k in ("date", "fetched_at", "source") if doc.get(k) is not None}
        return Dump(path, "json-object", [(f"models[{i}]", r) for i, r in enumerate(models)], meta)
    if isinstance(doc, dict) and "id" in doc:  # JSON Lines holding one record
        return Dump(path, "json-lines", [("line 1", doc)])
    got = f"an object with keys {sorted(doc)[:8]}" if isinstance(doc, dict) else type(doc).__name__
    raise ImportRejected(
        f"{path}: wrong shape: expected a JSON array of /api/models records, JSON Lines, or an object with a "
        f"'models' array; got {got}"
    )


def _read_lines(path: Path, text: str) -> Dump:
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((f"line {n}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ImportRejected(f"{path}: line {n}: not valid JSON ({exc.msg})") from exc
    return Dump(path, "json-lines", records)


def _parquet_sql(path: Path) -> str:
    return "read_parquet('" + str(path).replace("'", "''") + "')"


def _read_parquet(path: Path, tracked: set[str] | None) -> Dump:
    """A Parquet dump through DuckDB's reader: file metadata, the record count, and the tracked orgs' records
    (a whole-Hub dump goes to the hub_graph window by `graph_plan`, never through Python per record)."""
    import duckdb

    con = duckdb.connect()
    try:
        try:
            kv = con.execute("SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)", [str(path)]).fetchall()
            columns = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {_parquet_sql(path)}").fetchall()}
        except duckdb.Error as exc:
            raise ImportRejected(f"{path}: unreadable Parquet file ({exc})") from exc
        meta = {k: v for k, v in kv if k in ("date", "fetched_at", "source")}
        notes = []
        select = []
        for name, typ in columns.items():
            if name in _TS_FIELDS and typ == "TIMESTAMP WITH TIME ZONE":
                select.append(f"strftime(timezone('UTC', \"{name}\"), '%Y-%m-%dT%H:%M:%S.%gZ') AS \"{name}\"")
            elif name in _TS_FIELDS and typ.startswith("TIMESTAMP"):  # no zone: the Hub's clock is UTC
                select.append(f'strftime("{name}"::TIMESTAMP, \'%Y-%m-%dT%H:%M:%S.%gZ\') AS "{name}"')
                notes.append(f"column {name!r} is a timestamp without a time zone: read as UTC")
            else:
                select.append(f'"{name}"')
        if "id" not in columns:
            raise ImportRejected(f"{path}: no 'id' column (expected /api/models field names)")
        n = con.execute(f"SELECT count(*) FROM {_parquet_sql(path)}").fetchone()[0]
        where = "lower(split_part(id, '/', 1)) IN (SELECT unnest(?))" if tracked is not None else "true"
        table = con.execute(
            f"SELECT file_row_number, {', '.join(select)} FROM read_parquet(?, file_row_number = true) "
            f"WHERE {where} ORDER BY file_row_number",
            [str(path), sorted(tracked)] if tracked is not None else [str(path)],
        ).fetch_arrow_table()
        stamps = []
        if "fetched_at" in columns:
            stamps = [
                r[0] for r in con.execute(f"SELECT DISTINCT fetched_at FROM {_parquet_sql(path)} LIMIT 2").fetchall()
            ]
    finally:
        con.close()
    # A Parquet column cannot tell an absent field from a null one: a null cell is an absent field.
    rows = [{k: v for k, v in r.items() if v is not None} for r in table.to_pylist()]
    records = [(f"row {r.pop('file_row_number')}", r) for r in rows]
    if len(stamps) == 1 and stamps[0] is not None:
        meta.setdefault("fetched_at", stamps[0] if isinstance(stamps[0], str) else stamps[0].isoformat())
    elif len(stamps) > 1:
        raise ImportRejected(f"{path}: records carry different fetched_at values: one file must be one snapshot")
    return Dump(path, "parquet", records, meta, n_records=n, notes=notes)


def _hub_ts(value: Any, where: str) -> str | None:
    """A record timestamp in the Hub's format (`2024-07-31T21:13:44.000Z`); zone required."""
    if value is None:
        return None
    if isinstance(value, str) and _HUB_TS.match(value):
        return value  # already the Hub's form (the parser checks it strictly): keep it byte for byte
    if isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            raise ImportRejected(f"{where}: {value!r} is not an ISO 8601 timestamp") from None
    elif isinstance(value, datetime):
        ts = value
    else:
        raise ImportRejected(f"{where}: expected a timestamp, got {value!r}")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ImportRejected(f"{where}: {value!s} has no time zone")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _clean(where: str, record: Any) -> tuple[str, dict[str, Any]]:
    """Validate one record (types the parser needs); returns (id, record with timestamps in Hub form)."""
    if not isinstance(record, dict):
        raise ImportRejected(f"{where}: expected a model object, got {str(record)[:80]}")
    model_id = record.get("id")
    # A bare name ('gpt2': the Hub's pre-2024 canonical repos) has no org, so it is never tracked, but valid.
    if not isinstance(model_id, str) or model_id.count("/") > 1 or not all(model_id.split("/")):
        raise ImportRejected(f"{where}: missing or malformed 'id' (expected 'org/name'): {str(record)[:80]}")
    at = f"{where} ({model_id})"
    out = dict(record)
    for k in _INT_FIELDS:
        v = record.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise ImportRejected(f"{at}: '{k}' must be an integer, got {v!r}")
        if v is not None and v < 0:  # counts (downloads, likes): a negative one is a broken dump, not data
            raise ImportRejected(f"{at}: '{k}' must not be negative, got {v!r}")
    for k in _STR_FIELDS:
        v = record.get(k)
        if v is not None and not isinstance(v, str):
            raise ImportRejected(f"{at}: '{k}' must be a string, got {v!r}")
    for k in _TS_FIELDS:
        if k in record:
            out[k] = _hub_ts(record[k], f"{at} '{k}'")
    tags = record.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise ImportRejected(f"{at}: 'tags' must be a list of strings")
    gated = record.get("gated")
    if gated is not None and not isinstance(gated, (bool, str)):
        raise ImportRejected(f"{at}: 'gated' must be false, 'auto' or 'manual', got {gated!r}")
    author = record.get("author")
    if author is not None and "/" in model_id and author != model_id.split("/")[0]:
        raise ImportRejected(f"{at}: 'author' {author!r} disagrees with the id's org {model_id.split('/')[0]!r}")
    if "fetched_at" in out:
        out.pop("fetched_at")  # the snapshot time lives in the manifest (checked in _observed_at)
    return model_id, out


def _diff(a: dict, b: dict) -> str:
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return ", ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in keys[:3])


def _observed_at(dump: Dump, explicit: datetime | None, now: datetime) -> tuple[datetime, str]:
    path = dump.path
    stamps = {r.get("fetched_at") for _, r in dump.records if isinstance(r, dict) and "fetched_at" in r}
    if len(stamps) > 1:
        sample = sorted(map(str, stamps))[:2]
        raise ImportRejected(
            f"{path}: records carry different fetched_at values ({sample[0]} vs {sample[1]}): "
            "one file must be one snapshot"
        )
    raw, origin = dump.meta.get("fetched_at"), "the file's fetched_at"
    if raw is None and stamps:
        raw, origin = stamps.pop(), "the records' fetched_at"
    from_file = parse_observed_at(raw, f"{path}: fetched_at", now) if raw is not None else None
    day = dump.meta.get("date")
    if day is not None:
        try:
            day = date.fromisoformat(str(day))
        except ValueError:
            raise ImportRejected(f"{path}: 'date' {day!r} is not a YYYY-MM-DD date") from None
    chosen = from_file or explicit
    if chosen is None:
        hint = f"it has only a date ({day}), no time and no zone" if day else "it has no fetched_at"
        raise ImportRejected(f"{path}: no observation time: {hint}; pass --observed-at TIMESTAMP (with a zone)")
    if from_file and explicit and window_floor(from_file) != window_floor(explicit):
        raise ImportRejected(
            f"{path}: the file's fetched_at {from_file.isoformat()} (window {window_key(window_floor(from_file))}) "
            f"disagrees with --observed-at {explicit.isoformat()} (window {window_key(window_floor(explicit))})"
        )
    if day is not None and abs((chosen.date() - day).days) > 1:
        raise ImportRejected(f"{path}: 'date' {day} disagrees with the observation time {chosen.isoformat()}")
    return chosen, origin if from_file else "--observed-at"


def plan_hub_dump(path: Path, *, families: Families, observed_at: datetime | None, now: datetime) -> list[WindowPlan]:
    """Read and fully validate a dump; the windows it would land: `hub_graph` (every model of the dump) and
    `hub_models` (the tracked orgs' models, when it has any). Nothing is written."""
    sha = lz.sha256_file(path) if path.is_file() else ""
    tracked = {org.lower() for org in families.orgs}
    dump = read_dump(path, tracked)
    if not (dump.n_records or dump.records):
        raise ImportRejected(f"{path}: the dump holds no model record")
    when, when_from = _observed_at(dump, observed_at, now)
    imported = ImportedInput(path, sha, when, when_from, now)

    # Per-record checks first (they name the record); then the graph's check of every record by DuckDB.
    by_id: dict[str, tuple[str, dict]] = {}
    duplicates = 0
    present: set[str] = set()
    for where, record in dump.records:
        model_id, rec = _clean(f"{path}: {where}", record)
        if model_id in by_id:
            first_where, first = by_id[model_id]
            if first != rec:
                raise ImportRejected(
                    f"{path}: {where} ({model_id}): duplicate id with conflicting values "
                    f"(first at {first_where}; {_diff(first, rec)})"
                )
            duplicates += 1
            continue
        by_id[model_id] = (where, rec)
        for k in LIST_EXPAND:
            if rec.get(k) is not None:
                present.add(k)

    per_org: dict[str, list[dict]] = {}
    for model_id, (_, rec) in by_id.items():
        org = model_id.split("/")[0]
        if "/" in model_id and org.lower() in tracked:
            per_org.setdefault(org, []).append(rec)
    landed = sum(len(v) for v in per_org.values())
    if not landed:  # a whole-Hub dump without any tracked org's model still feeds the graph
        graph = graph_plan(dump, imported)
        graph.extra["note"] += f"; none of its models belongs to a tracked org ({families.source})"
        return [graph]
    files = [
        RawFile(
            f"{org}.p0001.json",
            json.dumps(recs, separators=(",", ":"), ensure_ascii=False).encode(),
            len(recs),
            fetched_at=imported.observed_at,
        )
        for org, recs in sorted(per_org.items())
    ]
    absent = [k for k in LIST_EXPAND if k not in present]
    plan = imported_file_plan(
        imported,
        source=SOURCE,
        importer=IMPORTER,
        files=files,
        note=f"imported from {path.name}: only the records the dump holds"
        + (f"; absent fields (NULL): {', '.join(absent)}" if absent else ""),
        manifest={"orgs": sorted(per_org), "families_version": families.version},
        details={
            "format": dump.format,
            "file_date": str(dump.meta["date"]) if "date" in dump.meta else None,
            "file_source": dump.meta.get("source"),
            "records_in_file": dump.n_records or len(dump.records),
            "records_landed": landed,
            "records_untracked_orgs": (dump.n_records or len(by_id)) - landed,
            "exact_duplicates_dropped": duplicates,
            "fields_absent": absent,
            "tracked_orgs_absent": sorted(o for o in families.orgs if o.lower() not in {p.lower() for p in per_org}),
        },
    )
    _check_parses(plan)
    return [plan, graph_plan(dump, imported)]


_GRAPH_STRUCT = (
    'STRUCT(id VARCHAR, author VARCHAR, downloads BIGINT, "downloadsAllTime" BIGINT, likes BIGINT, '
    '"createdAt" VARCHAR, tags VARCHAR[])'
)


def _graph_source(path: Path, fmt: str) -> str:
    """The dump's records with the graph's fields, as a DuckDB relation (DuckDB's own readers)."""
    quoted = "'" + str(path).replace("'", "''") + "'"
    if fmt == "parquet":
        return f"read_parquet({quoted})"
    columns = "{'id': 'VARCHAR', 'author': 'VARCHAR', 'downloads': 'BIGINT', 'downloadsAllTime': 'BIGINT', " + (
        "'likes': 'BIGINT', 'createdAt': 'VARCHAR', 'tags': 'VARCHAR[]'}"
    )
    if fmt == "json-object":
        return (
            f"(SELECT unnest(models, recursive := true) FROM read_json({quoted}, format = 'unstructured', "
            f"columns = {{'models': '{_GRAPH_STRUCT}[]'}}))"
        )
    shape = "array" if fmt == "json-array" else "newline_delimited"
    return f"read_json({quoted}, format = '{shape}', columns = {columns})"


def graph_plan(dump: Dump, imported: ImportedInput) -> WindowPlan:
    """The dump's `hub_graph` window: every model with the graph's fields, written by DuckDB as one Parquet
    file (zstd) with the API's field names; the manifest keeps the sha256 of the file as received."""
    import tempfile

    import duckdb

    from hubsignal.hub import graph as hub_graph

    path = imported.path

    con = duckdb.connect()
    try:
        source = _graph_source(path, dump.format)
        try:
            columns = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        except duckdb.Error as exc:
            raise ImportRejected(f"{path}: unreadable by DuckDB ({exc})") from exc

        def col(name: str, typ: str) -> str:
            return f'CAST("{name}" AS {typ})' if name in columns else f"NULL::{typ}"

        created = columns.get("createdAt")
        if created is None:
            created_sql = "NULL::TIMESTAMP"
        elif created == "TIMESTAMP WITH TIME ZONE":
            created_sql = "timezone('UTC', \"createdAt\")"
        elif created.startswith("TIMESTAMP"):  # naive: read as UTC (the note says so)
            created_sql = '"createdAt"::TIMESTAMP'
        else:
            created_sql = "timezone('UTC', try_cast(\"createdAt\" AS TIMESTAMPTZ))"
        select = (
            f"SELECT id, {col('author', 'VARCHAR')} AS author, {col('downloads', 'BIGINT')} AS downloads, "
            f'{col("downloadsAllTime", "BIGINT")} AS "downloadsAllTime", {col("likes", "BIGINT")} AS likes, '
            f'{created_sql} AS "createdAt", {col("tags", "VARCHAR[]")} AS tags FROM {source}'
        )
        with tempfile.TemporaryDirectory(prefix="hubsignal-graph-") as tmp:
            out = Path(tmp) / hub_graph.PARQUET_FILE
            try:
                # COPY keeps the file's order, so a row of the written file is the dump's record of that index.
                con.execute(f"COPY ({select}) TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
                n, n_bad, first_bad = con.execute(
                    "SELECT count(*), count(*) FILTER (id IS NULL OR id = ''), "
                    "(list(file_row_number ORDER BY file_row_number) FILTER (id IS NULL OR id = ''))[:5] "
                    "FROM read_parquet(?, file_row_number = true)",
                    [str(out)],
                ).fetchone()
            except duckdb.Error as exc:
                raise ImportRejected(f"{path}: a record DuckDB cannot read with the API's types ({exc})") from exc
            if n_bad:
                where = "row" if dump.format == "parquet" else "record"
                more = ", ..." if n_bad > len(first_bad) else ""
                raise ImportRejected(
                    f"{path}: {n_bad} record(s) without an 'id' ({where} {', '.join(map(str, first_bad))}{more}; "
                    "counted from 0)"
                )
            body = out.read_bytes()
    finally:
        con.close()
    notes = list(dump.notes)
    if created and created.startswith("TIMESTAMP") and created != "TIMESTAMP WITH TIME ZONE":
        notes.append("column 'createdAt' is a timestamp without a time zone: read as UTC")
    notes = list(dict.fromkeys(notes))
    sha = imported.sha256
    return imported_file_plan(
        imported,
        source=hub_graph.SOURCE,
        importer=IMPORTER,
        files=[
            lz.RawFile(
                hub_graph.PARQUET_FILE, body, n, fetched_at=imported.observed_at, as_is=True, received_sha256=sha
            )
        ],
        note=f"imported from {path.name}: every model of the dump" + "".join(f"; {x}" for x in notes),
        details={"format": dump.format, "records_in_file": n, "notes": notes},
    )


def _check_parses(plan: WindowPlan) -> None:
    """The landed window must load: run the real parser on it before anything is written."""
    fetched = plan.observed_at.isoformat()
    window = LandedWindow(
        Path(plan.origin_file),
        {"fetched_at": fetched, "origin": plan.origin},
        [({"file": f"{f.name}.gz", "fetched_at": fetched}, f.body) for f in plan.files],
    )
    try:
        parse_hub_models(window, plan.window_start)
    except (LandingError, ValueError, KeyError) as exc:
        raise ImportRejected(f"{plan.origin_file}: would not load: {exc}") from exc
