"""Parse landed Hub bodies into warehouse rows. Live snapshots and replays go through this same code."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pyarrow as pa

from hubsignal.landing import LandedWindow, LandingError, RecordError
from hubsignal.values import naive_utc

# The listing's expand set (HUB_API.md): `expand` returns only _id, id and these properties.
LIST_EXPAND = [
    "downloads",
    "downloadsAllTime",
    "likes",
    "createdAt",
    "lastModified",
    "tags",
    "pipeline_tag",
    "library_name",
    "gated",
]
CHILDREN_EXPAND = ["childrenModelCount"]
RELATIONS = ("finetune", "adapter", "quantized", "merge")
BARE_TOTAL_RELATION = "any"  # childrenModelCount served as a bare integer: a total over relations
PARSER_VERSION = "hub-2"  # 2: an unreadable children record is a record error, not a quarantine

_BASE_MODEL_TYPE = pl.List(pl.Struct({"relation": pl.String, "model_id": pl.String}))
HUB_MODELS_SCHEMA = {
    "window_start": pl.Datetime("us"),
    "snapshot_ts": pl.Datetime("us"),
    "org": pl.String,
    "model_id": pl.String,
    "author": pl.String,
    "downloads_30d": pl.Int64,
    "downloads_all_time": pl.Int64,
    "likes": pl.Int64,
    "created_at": pl.String,  # parsed to Datetime below, vectorised
    "last_modified": pl.String,
    "pipeline_tag": pl.String,
    "library_name": pl.String,
    "gated": pl.String,
    "tags": pl.List(pl.String),
    "base_models": _BASE_MODEL_TYPE,
    "origin": pl.String,
}
CHILDREN_SCHEMA = {
    "window_start": pl.Datetime("us"),
    "snapshot_ts": pl.Datetime("us"),
    "model_id": pl.String,
    "relation": pl.String,
    "n_children": pl.Int64,
    "origin": pl.String,
}


def base_models_from_tags(tags: list[str] | None) -> list[dict[str, str | None]]:
    """Parents declared in `base_model:ORG/NAME` and `base_model:<relation>:ORG/NAME` tags."""
    with_relation: list[tuple[str, str]] = []
    plain: list[str] = []
    for tag in tags or ():
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        relation, sep, parent = rest.partition(":")
        if sep and relation in RELATIONS:
            if (relation, parent) not in with_relation:
                with_relation.append((relation, parent))
        elif rest not in plain:
            plain.append(rest)
    related = {parent for _, parent in with_relation}
    return [{"relation": r, "model_id": p} for r, p in with_relation] + [
        {"relation": None, "model_id": p} for p in plain if p not in related
    ]


def _int_or_none(value, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise LandingError(f"{where}: expected an integer, got {value!r}")
    return value


def _gated(value) -> str | None:
    if value is None:
        return None
    if value is False or value is True:
        return str(value).lower()
    return str(value)


_NESTED = ("tags", "base_models")


def _hub_models_frame(cols: dict[str, list]) -> pl.DataFrame:
    """The frame for HUB_MODELS_SCHEMA. The two nested columns go through Arrow (tags as one array, parents
    from flat offset/value arrays): polars builds nested columns row by row, ~50x slower, and this frame is
    built once per loaded window (a year of backfill = 1,460 of them)."""
    offsets, relations, parents, nulls = [0], [], [], []
    for declared in cols["base_models"]:
        nulls.append(declared is None)
        for p in declared or ():
            relations.append(p["relation"])
            parents.append(p["model_id"])
        offsets.append(len(parents))
    base_models = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()),
        pa.StructArray.from_arrays(
            [pa.array(relations, pa.string()), pa.array(parents, pa.string())], names=["relation", "model_id"]
        ),
        mask=pa.array(nulls, pa.bool_()),
    )
    flat = pl.DataFrame(
        {k: v for k, v in cols.items() if k not in _NESTED},
        schema={k: t for k, t in HUB_MODELS_SCHEMA.items() if k not in _NESTED},
    )
    return flat.with_columns(
        pl.Series("tags", pa.array(cols["tags"], pa.list_(pa.string()))).cast(HUB_MODELS_SCHEMA["tags"]),
        pl.Series("base_models", base_models).cast(HUB_MODELS_SCHEMA["base_models"]),
    ).select(list(HUB_MODELS_SCHEMA))


def page_org(entry: dict) -> str:
    """The org a landed listing page belongs to (files are named `<org>.pNNNN.json`)."""
    return entry.get("org") or entry["file"].rsplit(".p", 1)[0]


def parse_hub_models(window: LandedWindow, window_start: datetime) -> tuple[pl.DataFrame, int]:
    """Rows of raw.hub_models for one landed window, de-duplicated by id (first occurrence wins).

    Returns the frame and the number of duplicate items dropped (a keyset cursor on a mutable sort key
    can repeat items across pages). Any off-shape item is an error naming the file and the item.
    """
    cols: dict[str, list] = {k: [] for k in HUB_MODELS_SCHEMA}
    seen: set[str] = set()
    duplicates = 0
    for entry, body in window.files:
        where = f"{window.path / entry['file']}"
        try:
            items = json.loads(body)
        except ValueError as exc:
            raise LandingError(f"{where}: not valid JSON ({exc})") from exc
        if not isinstance(items, list):
            raise LandingError(f"{where}: expected a JSON list of models, got {type(items).__name__}")
        org = page_org(entry)
        snapshot_ts = naive_utc(datetime.fromisoformat(entry.get("fetched_at") or window.manifest["fetched_at"]))
        for i, item in enumerate(items):
            at = f"{where} item {i}"
            model_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(model_id, str) or "/" not in model_id:
                raise LandingError(f"{at}: missing or malformed 'id' ({str(item)[:80]})")
            if model_id in seen:
                duplicates += 1
                continue
            seen.add(model_id)
            tags = item.get("tags")
            if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
                raise LandingError(f"{at} ({model_id}): 'tags' is not a list of strings")
            cols["window_start"].append(window_start)
            cols["snapshot_ts"].append(snapshot_ts)
            cols["org"].append(org)
            cols["model_id"].append(model_id)
            cols["author"].append(model_id.split("/", 1)[0])
            cols["downloads_30d"].append(_int_or_none(item.get("downloads"), f"{at} ({model_id}) downloads"))
            cols["downloads_all_time"].append(
                _int_or_none(item.get("downloadsAllTime"), f"{at} ({model_id}) downloadsAllTime")
            )
            cols["likes"].append(_int_or_none(item.get("likes"), f"{at} ({model_id}) likes"))
            cols["created_at"].append(item.get("createdAt"))
            cols["last_modified"].append(item.get("lastModified"))
            cols["pipeline_tag"].append(item.get("pipeline_tag"))
            cols["library_name"].append(item.get("library_name"))
            cols["gated"].append(_gated(item.get("gated")))
            cols["tags"].append(tags)
            # No tags in the source (e.g. an imported dump): parents unknown, NULL -- not "no parents".
            cols["base_models"].append(None if tags is None else base_models_from_tags(tags))
            cols["origin"].append(window.origin)
    frame = _hub_models_frame(cols)
    try:
        frame = frame.with_columns(
            pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us", strict=True)
            for c in ("created_at", "last_modified")
        )
    except pl.exceptions.PolarsError as exc:
        raise LandingError(f"{window.path}: createdAt/lastModified not in the Hub's format ({exc})") from exc
    return frame, duplicates


def children_counts(body: dict) -> list[tuple[str, int]]:
    """(relation, count) pairs from a model_info body; the field is an object by relation or a bare int."""
    value = body.get("childrenModelCount")
    if value is None:
        return []
    if isinstance(value, bool):
        raise ValueError(f"childrenModelCount is a boolean ({value!r})")
    if isinstance(value, int):
        return [(BARE_TOTAL_RELATION, value)]
    if isinstance(value, dict) and all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        return sorted(value.items())
    raise ValueError(f"childrenModelCount has an unexpected shape: {str(value)[:80]}")


def parse_children(window: LandedWindow, window_start: datetime) -> tuple[pl.DataFrame, list[str], list[RecordError]]:
    """Rows of raw.hub_children_counts from a landed children.jsonl (one model_info response a line).

    A line that cannot be read (its answer not JSON, childrenModelCount of an unexpected shape, a 4xx for that
    model, or the line itself damaged) is a RecordError naming the model: the other models' counts load."""
    cols: dict[str, list] = {k: [] for k in CHILDREN_SCHEMA}
    errors: list[RecordError] = []
    for entry, body in window.files:
        where = window.path / entry["file"]
        for n, line in enumerate(body.decode("utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            model_id = f"line {n}"
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or not isinstance(rec.get("model_id"), str):
                    raise ValueError("not a children record (no model_id)")
                model_id = rec["model_id"]
                if rec.get("http_status") == 404:
                    continue  # repo deleted between listing and model_info: recorded, no counts
                if rec.get("http_status") != 200:
                    raise ValueError(f"HTTP {rec.get('http_status')} for this model")
                try:
                    info = json.loads(rec["body"])
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"model_info answer is not JSON ({exc}): {str(rec['body'])[:60]!r}") from None
                if not isinstance(info, dict):
                    raise ValueError(f"model_info answer is a JSON {type(info).__name__}, not an object")
                pairs = children_counts(info)
                snapshot_ts = naive_utc(datetime.fromisoformat(rec["fetched_at"]))
            except (ValueError, KeyError, TypeError) as exc:
                reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                errors.append(RecordError(model_id, reason, f"{where} line {n}"))
                continue
            for relation, count in pairs:
                cols["window_start"].append(window_start)
                cols["snapshot_ts"].append(snapshot_ts)
                cols["model_id"].append(model_id)
                cols["relation"].append(relation)
                cols["n_children"].append(count)
                cols["origin"].append(window.origin)
    return pl.DataFrame(cols, schema=CHILDREN_SCHEMA), [], errors
