"""Archive imports (hubsignal/imports/): formats, placement, provenance, replace semantics, bad input, the inbox
sensor, `hubsignal import`/`status`, and range backfills over imported windows."""

import gzip
import hashlib
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hubsignal import landing as lz
from hubsignal.families import load_families
from hubsignal.hub.parse import parse_hub_models
from hubsignal.imports import ImportRejected, import_paths
from hubsignal.imports.common import parse_observed_at
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from hubsignal.windows import parse_window_key
from pipelines.cli import main as cli
from tests.conftest import SHARED_DATA, query

FAMILIES = load_families(DEFAULT_FAMILIES_FILE)
UTC = UTC
T1 = datetime(2026, 10, 1, 10, 30, tzinfo=UTC)  # window 2026-10-01-09:00
K1 = "2026-10-01-09:00"
QWEN = [
    {
        "id": "Qwen/Qwen3-8B",
        "downloads": 1000,
        "likes": 50,
        "createdAt": "2025-04-27T03:42:17.000Z",
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
    },
    {"id": "Qwen/Qwen3-0.6B", "downloads": 300, "likes": 7, "createdAt": "2025-04-27T03:40:08.000Z"},
]
LLAMA = [{"id": "meta-llama/Llama-3.1-8B", "downloads": 700, "likes": 9}]
OTHER = [{"id": "someone/not-tracked", "downloads": 5}, {"id": "gpt2", "downloads": 9}]  # gpt2: a bare legacy id
RECORDS = QWEN + LLAMA + OTHER


def _write(
    path: Path, records=RECORDS, shape="object", fetched_at: str | None = "2026-10-01T19:30:00+09:00", **meta
) -> Path:
    """A dump in one of the accepted shapes (fetched_at 19:30+09:00 = 10:30 UTC -> window K1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if shape == "object":
        doc = {"date": "2026-10-01", **({"fetched_at": fetched_at} if fetched_at else {}), **meta, "models": records}
        path.write_text(json.dumps(doc))
    elif shape == "array":
        path.write_text(json.dumps(records))
    elif shape == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    elif shape == "parquet":
        table = pa.Table.from_pylist(records)
        if fetched_at:
            table = table.replace_schema_metadata({"fetched_at": fetched_at})
        pq.write_table(table, path)
    return path


def _import(home: Path, *paths, **kw):
    return import_paths(paths, landing=home / "landing", families=FAMILIES, **kw)


def _tree(root: Path) -> dict[str, str]:
    """Every file under root -> sha256 (to prove 'nothing changed')."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _manifest(home: Path, key: str, source: str = "hub_models") -> dict:
    return json.loads((lz.window_dir(home / "landing", source, key) / "manifest.json").read_text())


# ------------------------------------------------------------------------------------------ formats


@pytest.mark.parametrize(
    "shape, name", [("object", "d.json"), ("array", "d.json"), ("jsonl", "d.jsonl"), ("parquet", "d.parquet")]
)
def test_every_dump_shape_lands_the_same_rows(home, tmp_path, shape, name):
    path = _write(tmp_path / name, shape=shape)
    explicit = None if shape in ("object", "parquet") else T1
    report = _import(home, path, observed_at=explicit)
    assert report.ok, report.lines()
    assert report.changed == [("hub_graph", K1), ("hub_models", K1)]  # every model, and the tracked orgs'
    window = lz.read_window(home / "landing", "hub_models", K1)
    assert sorted(e["file"] for e, _ in window.files) == ["Qwen.p0001.json.gz", "meta-llama.p0001.json.gz"]
    frame, _ = parse_hub_models(window, parse_window_key(K1))
    rows = sorted(
        frame.select(
            "model_id",
            "org",
            "author",
            "downloads_30d",
            "downloads_all_time",
            "likes",
            "tags",
            "base_models",
            "created_at",
        ).rows()
    )
    assert rows == [
        ("Qwen/Qwen3-0.6B", "Qwen", "Qwen", 300, None, 7, None, None, datetime(2025, 4, 27, 3, 40, 8)),
        ("Qwen/Qwen3-8B", "Qwen", "Qwen", 1000, None, 50, None, None, datetime(2025, 4, 27, 3, 42, 17)),
        ("meta-llama/Llama-3.1-8B", "meta-llama", "meta-llama", 700, None, 9, None, None, None),
    ]
    assert frame["snapshot_ts"].unique().to_list() == [datetime(2026, 10, 1, 10, 30)]
    assert (
        _manifest(home, K1)["import"]["format"]
        == {"object": "json-object", "array": "json-array", "jsonl": "json-lines", "parquet": "parquet"}[shape]
    )


def test_fast_frame_equals_the_plain_polars_frame():
    """parse._hub_models_frame (Arrow for the nested columns) builds exactly what pl.DataFrame(cols) builds."""
    import polars as pl

    from hubsignal.hub.parse import HUB_MODELS_SCHEMA, _hub_models_frame

    tags = [None, [], ["a", "base_model:finetune:Q/x", "base_model:Q/y"], ["b"]]
    parents = [None, [], [{"relation": "finetune", "model_id": "Q/x"}, {"relation": None, "model_id": "Q/y"}], []]
    n = len(tags)
    cols = {k: [None] * n for k in HUB_MODELS_SCHEMA}
    cols.update(
        window_start=[datetime(2026, 10, 1, 9)] * n,
        snapshot_ts=[datetime(2026, 10, 1, 10)] * n,
        org=["Q"] * n,
        model_id=[f"Q/m{i}" for i in range(n)],
        author=["Q"] * n,
        downloads_30d=[1, None, 3, 4],
        tags=tags,
        base_models=parents,
        origin=["imported"] * n,
    )
    assert _hub_models_frame(cols).equals(pl.DataFrame(cols, schema=HUB_MODELS_SCHEMA))


def test_gzip_dump_and_offset_timestamps_are_normalised(home, tmp_path):
    records = [{**QWEN[0], "createdAt": "2025-04-27T05:42:17+02:00"}]
    path = tmp_path / "d.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"fetched_at": "2026-10-01T10:30:00Z", "models": records}).encode()))
    assert _import(home, path).ok
    frame, _ = parse_hub_models(lz.read_window(home / "landing", "hub_models", K1), parse_window_key(K1))
    assert frame["created_at"].to_list() == [datetime(2025, 4, 27, 3, 42, 17)]


def test_placement_and_provenance_in_the_manifest(home, tmp_path):
    path = _write(tmp_path / "2026-10-01.json", records=RECORDS + [QWEN[0]])  # one exact duplicate
    assert _import(home, path).ok
    m = _manifest(home, K1)
    assert m["origin"] == "imported" and m["window_key"] == K1
    assert m["fetched_at"] == "2026-10-01T10:30:00+00:00"  # the file's +09:00 time, in UTC
    prov = m["import"]
    assert prov["importer"] == "hub_models_dump" and prov["importer_version"] == "1"
    assert prov["observation"] == "imported" and prov["observed_at_from"] == "the file's fetched_at"
    assert prov["origin_file"] == str(path) and prov["origin_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (
        prov["records_in_file"],
        prov["records_landed"],
        prov["records_untracked_orgs"],
        prov["exact_duplicates_dropped"],
    ) == (6, 3, 2, 1)
    assert prov["fields_absent"] == ["downloadsAllTime", "lastModified", "tags", "gated"]
    assert m["orgs"] == ["Qwen", "meta-llama"] and m["record_count"] == 3


def test_observed_at_places_files_without_a_time_and_must_agree_with_one(home, tmp_path):
    bare = _write(tmp_path / "bare.jsonl", shape="jsonl")
    result = _import(home, bare)
    assert (
        not result.ok
        and "no observation time" in result.outcomes[0].error
        and "--observed-at" in result.outcomes[0].error
    )
    dated = _write(tmp_path / "dated.json", fetched_at=None)  # a date but no time
    assert "only a date (2026-10-01)" in _import(home, dated).outcomes[0].error
    other = _write(tmp_path / "timed.json")
    error = _import(home, other, observed_at=T1 + timedelta(hours=6)).outcomes[0].error
    assert "disagrees with --observed-at" in error and str(other) in error
    assert _import(home, bare, observed_at=T1).ok
    assert lz.landed_keys(home / "landing", "hub_models") == [K1]


def test_observed_at_needs_a_zone_and_no_future():
    now = datetime(2026, 11, 28, tzinfo=UTC)
    assert parse_observed_at("2026-10-01T10:30:00Z", "x", now) == T1
    with pytest.raises(ImportRejected, match="has no time zone"):
        parse_observed_at("2026-10-01T10:30:00", "--observed-at", now)
    with pytest.raises(ImportRejected, match="in the future"):
        parse_observed_at("2026-12-01T00:00:00Z", "--observed-at", now)


# ------------------------------------------------------------------------------ re-import / replace


def test_same_file_is_a_no_op_different_file_refused_then_replaced_and_kept(home, tmp_path):
    a = _write(tmp_path / "a.json")
    assert _import(home, a).changed == [("hub_graph", K1), ("hub_models", K1)]
    before = _tree(home / "landing")
    again = _import(home, a)
    assert again.ok and again.changed == [] and again.outcomes[0].unchanged == [("hub_models", K1), ("hub_graph", K1)]
    assert _tree(home / "landing") == before

    b = _write(tmp_path / "b.json", records=[{**QWEN[0], "downloads": 999}])
    refused = _import(home, b)
    error = refused.outcomes[0].error
    assert str(b) in error and f"hub_models/{K1}" in error and "--replace" in error and str(a) in error
    assert _tree(home / "landing") == before

    replaced = _import(home, b, replace=True)
    assert replaced.ok and replaced.outcomes[0].replaced[0][:2] == ("hub_models", K1)
    assert _manifest(home, K1)["import"]["origin_file"] == str(b)
    kept = list((home / "landing" / "hub_models" / ".replaced").iterdir())
    assert len(kept) == 1 and kept[0].name.startswith(f"{K1}-")
    assert json.loads((kept[0] / "manifest.json").read_text())["import"]["origin_file"] == str(a)
    assert lz.landed_keys(home / "landing", "hub_models") == [K1]  # the loader never sees .replaced/
    assert _import(home, b).changed == []  # and b is now the landed data: re-importing it changes nothing


def test_same_file_after_a_families_change_needs_replace(home, tmp_path, monkeypatch):
    from dataclasses import replace as with_

    from hubsignal.families import Family

    path = _write(tmp_path / "a.json")
    assert _import(home, path).ok
    more = with_(FAMILIES, families=(*FAMILIES.families, Family("Someone", ("someone",))))
    again = import_paths([path], landing=home / "landing", families=more)
    assert again.ok and again.changed == []  # the same file: unchanged
    replaced = import_paths([path], landing=home / "landing", families=more, replace=True)
    # the graph window of the same file did not change (it holds every model, whatever the families file says)
    assert replaced.changed == [("hub_models", K1)] and "someone" in _manifest(home, K1)["orgs"]


def test_same_data_from_another_file_is_identical(home, tmp_path):
    assert _import(home, _write(tmp_path / "a.json")).ok
    same = _import(home, _write(tmp_path / "a.parquet", shape="parquet"))
    assert same.ok and same.changed == []


def test_two_inputs_of_one_import_for_one_window_with_different_data(home, tmp_path):
    a = _write(tmp_path / "a.json")
    b = _write(tmp_path / "b.json", records=[{**QWEN[0], "downloads": 1}])
    report = _import(home, a, b, replace=True)
    assert report.outcomes[0].ok and not report.outcomes[1].ok
    assert "also comes from" in report.outcomes[1].error and str(a) in report.outcomes[1].error
    assert _manifest(home, K1)["import"]["origin_file"] == str(a)


# ------------------------------------------------------------------------------------------ bad input


def _bad(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / "bad" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


FUTURE = (datetime.now(UTC) + timedelta(days=2)).isoformat()
BAD = [
    ("truncated.json", '{"fetched_at": "2026-10-01T10:30:00Z", "models": [{"id": "Qwen/a"', "not valid JSON (line 1"),
    ("garbage.json", b"\xff\xfe\x00garbage\x81", "not UTF-8 text"),
    ("broken.json.gz", b"\x1f\x8b\x08\x00garbage", "not a valid gzip file"),
    ("broken.parquet", b"PAR1 this is not parquet", "unreadable Parquet"),
    ("shape.json", {"fetched_at": "2026-10-01T10:30:00Z", "rows": []}, "wrong shape"),
    (
        "models.json",
        {"fetched_at": "2026-10-01T10:30:00Z", "models": {"id": "Qwen/a"}},
        "'models' must be a JSON array",
    ),
    (
        "noid.json",
        {"fetched_at": "2026-10-01T10:30:00Z", "models": [QWEN[0], {"downloads": 3}]},
        "models[1]: missing or malformed 'id'",
    ),
    (
        "badid.json",
        {"fetched_at": "2026-10-01T10:30:00Z", "models": [{"id": "a/b/c"}]},
        "models[0]: missing or malformed 'id'",
    ),
    (
        "scalar.json",
        {"fetched_at": "2026-10-01T10:30:00Z", "models": [QWEN[0], 7]},
        "models[1]: expected a model object",
    ),
    (
        "dup.json",
        {"fetched_at": "2026-10-01T10:30:00Z", "models": [QWEN[0], {**QWEN[0], "downloads": 5}]},
        "models[1] (Qwen/Qwen3-8B): duplicate id with conflicting values (first at models[0]; downloads: 1000 vs 5)",
    ),
    (
        "type.json",
        {"fetched_at": "2026-10-01T10:30:00Z", "models": [{**QWEN[0], "downloads": "1000"}]},
        "models[0] (Qwen/Qwen3-8B): 'downloads' must be an integer",
    ),
    (
        "naive.json",
        {"fetched_at": "2026-10-01T10:30:00", "models": QWEN},
        "fetched_at: 2026-10-01T10:30:00 has no time zone",
    ),
    ("future.json", {"fetched_at": FUTURE, "models": QWEN}, "is in the future"),
    (
        "naive_record.json",
        {"fetched_at": "2026-10-01T10:30:00Z", "models": [{**QWEN[0], "createdAt": "2025-04-27T03:42:17"}]},
        "models[0] (Qwen/Qwen3-8B) 'createdAt': 2025-04-27T03:42:17 has no time zone",
    ),
    ("empty.json", {"fetched_at": "2026-10-01T10:30:00Z", "models": []}, "holds no model record"),
    ("lines.jsonl", '{"id": "Qwen/a"}\n{"id": \n', "line 2: not valid JSON"),
    ("old.json", {"fetched_at": "2023-06-01T10:30:00Z", "models": QWEN}, "before the first window 2024-01-01-03:00"),
    ("notes.txt", "hello", "unknown kind of input"),
]


@pytest.mark.parametrize("name, content, why", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_rejected_naming_file_and_record_and_changes_nothing(home, tmp_path, name, content, why):
    assert _import(home, _write(tmp_path / "good.json")).ok  # something already imported
    before = _tree(home / "landing")
    path = _bad(tmp_path, name, content)
    report = _import(home, path, partitions_start=parse_window_key("2024-01-01-03:00"))
    assert not report.ok
    error = report.outcomes[0].error
    assert str(path) in error and why in error, error
    assert _tree(home / "landing") == before
    assert not list((home / "landing" / "hub_models").glob(".tmp-*"))


def test_a_dump_without_tracked_orgs_feeds_only_the_graph(home, tmp_path):
    path = _write(tmp_path / "untracked.json", records=OTHER)
    report = _import(home, path)
    assert report.ok and report.changed == [("hub_graph", K1)]
    assert "none of its models belongs to a tracked org" in _manifest(home, K1, "hub_graph")["note"]
    assert not lz.is_landed(home / "landing", "hub_models", K1)


def test_a_refused_hub_models_window_lands_no_graph_window_either(home, tmp_path):
    body = json.dumps([{**QWEN[0], "downloads": 1}]).encode()
    lz.land_window(
        home / "landing", "hub_models", K1, [lz.RawFile("Qwen.p0001.json", body, 1)], origin="live", fetched_at=T1
    )
    before = _tree(home / "landing")
    report = _import(home, _write(tmp_path / "a.json"))  # its graph window is new, its hub_models one differs
    assert not report.ok and f"hub_models/{K1}: refused" in report.outcomes[0].error
    assert _tree(home / "landing") == before and not lz.is_landed(home / "landing", "hub_graph", K1)


def test_a_parquet_row_without_id_is_named_and_nothing_lands(home, tmp_path):
    path = _write(tmp_path / "noid.parquet", records=[*RECORDS, {"downloads": 3}], shape="parquet")
    report = _import(home, path)
    assert not report.ok and "1 record(s) without an 'id' (row 5;" in report.outcomes[0].error
    assert str(path) in report.outcomes[0].error and _tree(home / "landing") == {}


def test_a_bad_file_does_not_stop_the_good_ones(home, tmp_path):
    good = _write(tmp_path / "in" / "a.json")
    _bad(tmp_path / "in", "x.json", "{nope")
    report = _import(home, tmp_path / "in")  # a folder of dumps: each file is its own input
    assert [o.ok for o in report.outcomes] == [True, False] and report.outcomes[0].path == str(good)


def test_run_range_skips_open_and_early_windows(home, tmp_path):
    now = datetime.now(UTC)
    report = _import(
        home,
        _write(tmp_path / "a.json"),
        _write(tmp_path / "now.json", fetched_at=now.isoformat(), date=now.date().isoformat()),
    )
    assert report.ok and len(report.changed) == 4  # hub_graph and hub_models, each in two windows
    assert report.run_range(now=now) == (K1, K1)  # the still-open window is loaded by the schedule when it closes


# ------------------------------------------------------------------------------------------ landing zone


def _foreign_zone(root: Path, keys: list[str], downloads: int = 1000, origin: str = "live") -> Path:
    for key in keys:
        body = json.dumps([{**QWEN[0], "downloads": downloads}]).encode()
        lz.land_window(
            root / "landing",
            "hub_models",
            key,
            [lz.RawFile("Qwen.p0001.json", body, 1, "https://x", 200)],
            origin=origin,
            fetched_at=parse_window_key(key) + timedelta(hours=6, minutes=3),
            extra={"orgs": ["Qwen"]},
        )
    return root


def test_landing_zone_copy_merge(home, tmp_path):
    keys = ["2026-10-01-03:00", "2026-10-01-09:00"]
    other = _foreign_zone(tmp_path / "other", keys)
    report = _import(home, other)
    assert report.ok and report.changed == [("hub_models", k) for k in keys]
    m = _manifest(home, keys[0])
    assert m["origin"] == "imported" and m["orgs"] == ["Qwen"]
    assert m["fetched_at"] == "2026-10-01T09:03:00+00:00"  # the key is kept (a live fetch lands after its window)
    assert m["import"]["original_origin"] == "live" and m["import"]["importer"] == "landing_zone"
    assert (
        lz.read_window(home / "landing", "hub_models", keys[0]).files[0][1]
        == lz.read_window(other / "landing", "hub_models", keys[0]).files[0][1]
    )
    before = _tree(home / "landing")
    assert _import(home, other / "landing").changed == []  # identical: nothing to do
    assert _tree(home / "landing") == before

    # A zone with one new window and one that differs: refused whole (the new one is not copied either).
    diverging = _foreign_zone(tmp_path / "diverging", ["2026-10-01-09:00", "2026-10-01-15:00"], downloads=5)
    refused = _import(home, diverging)
    assert "2026-10-01-09:00: refused" in refused.outcomes[0].error and "--replace" in refused.outcomes[0].error
    assert _tree(home / "landing") == before
    assert _import(home, diverging, replace=True).ok
    assert lz.landed_keys(home / "landing", "hub_models") == [*keys, "2026-10-01-15:00"]
    assert len(list((home / "landing" / "hub_models" / ".replaced").iterdir())) == 1


def test_landing_zone_with_a_corrupt_window_is_rejected_whole(home, tmp_path):
    other = _foreign_zone(tmp_path / "other", ["2026-10-01-03:00", "2026-10-01-09:00"])
    (other / "landing" / "hub_models" / "2026-10-01-09:00" / "Qwen.p0001.json.gz").write_bytes(gzip.compress(b"[]"))
    report = _import(home, other)
    assert "sha256 differs" in report.outcomes[0].error and "2026-10-01-09:00" in report.outcomes[0].error
    assert _tree(home / "landing") == {}


def test_synthetic_windows_stay_synthetic(home, tmp_path):
    other = _foreign_zone(tmp_path / "other", ["2026-10-01-03:00"], origin="synthetic_sample")
    assert _import(home, other).ok
    assert _manifest(home, "2026-10-01-03:00")["origin"] == "synthetic_sample"


# ------------------------------------------------------------------------------------------ LiveBench


def test_livebench_release_folder(home, tmp_path):
    from hubsignal.livebench import parse_livebench

    folder = tmp_path / "lb"
    folder.mkdir()
    (folder / "table_2025_04_25.csv").write_text("model,a,b\nm1,10,20\nm2,30,\n")
    (folder / "categories_2025_04_25.json").write_text(json.dumps({"Reasoning": ["a"], "Coding": ["b"]}))
    assert "pass --observed-at" in _import(home, folder).outcomes[0].error
    report = _import(home, folder, observed_at=T1)
    assert report.ok and report.changed == [("livebench", K1)]
    window = lz.read_window(home / "landing", "livebench", K1)
    assert window.origin == "imported" and window.manifest["releases"] == ["2025-04-25"]
    frame, _ = parse_livebench(window, parse_window_key(K1))
    assert sorted(frame.select("model", "task", "score").rows(), key=str) == sorted(
        [("m1", "a", 10.0), ("m1", "b", 20.0), ("m2", "a", 30.0), ("m2", "b", None)], key=str
    )
    assert _import(home, folder, observed_at=T1).changed == []

    broken = tmp_path / "lb2"
    broken.mkdir()
    (broken / "table_2025_04_25.csv").write_text("model,a\nm1,1\n")  # no categories file for the release
    assert (
        "categories_2025_04_25.json absent"
        in _import(home, broken, observed_at=T1 + timedelta(days=1)).outcomes[0].error
    )


# ------------------------------------------------------------------------------------------ score files

SCORES = (
    "model,benchmark,score,source_url,protocol,self_reported,reported_on\n"
    "Qwen/Qwen3-8B,MMLU,76.9,https://example.org/card,5-shot,true,2025-04-29\n"
)


def test_score_files_go_through_land_score_file(home, tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(SCORES)
    report = _import(home, path, observed_at=T1)
    assert report.ok, report.lines()
    [(source, key)] = report.changed
    assert source.startswith("score_files/generic_csv-") and key == K1
    manifest = _manifest(home, key, source)
    assert (
        manifest["origin"] == "imported"
        and manifest["sha256_as_received"]["scores.csv"] == hashlib.sha256(path.read_bytes()).hexdigest()
    )
    assert _import(home, path).changed == []  # the same file again, even without a time: nothing changes
    bad = tmp_path / "bad.csv"
    bad.write_text(SCORES.replace("76.9", "abc"))
    error = _import(home, bad, observed_at=T1).outcomes[0].error
    assert str(bad) in error and "line 2" in error and "not a number" in error

    other = tmp_path / "other"  # another install's landing zone with nested sources copies as it is
    report = _import(other, home)
    assert report.ok and report.changed == [(source, key)]
    assert lz.read_window(other / "landing", source, key).files[0][1] == path.read_bytes()


# ------------------------------------------------------------------------------------------ sensor


def test_inbox_sensor_imports_moves_and_requests_one_run(home, tmp_path):
    import dagster as dg

    from assets.partitions import FIRST_WINDOW_TAG
    from pipelines.resources import HubsignalResource
    from pipelines.sensors import inbox_sensor

    inbox = home / "inbox"
    _write(inbox / "a.json")
    _write(inbox / "b.json", fetched_at="2026-10-02T10:30:00Z")
    bare = _write(inbox / "c.jsonl", shape="jsonl", records=LLAMA)
    (inbox / "c.jsonl.observed_at").write_text("2026-10-03T10:30:00+00:00\n")
    (inbox / "bad.json").write_text(json.dumps({"fetched_at": "2026-10-04T10:30:00", "models": QWEN}))
    (inbox / ".partial.json").write_text("{")  # dot-names are ignored (copy in, then rename)
    old = time.time() - 60
    for p in inbox.iterdir():
        os.utime(p, (old, old))

    context = dg.build_sensor_context(resources={"hubsignal": HubsignalResource()})
    request = inbox_sensor(context)
    assert isinstance(request, dg.RunRequest)
    assert request.tags[FIRST_WINDOW_TAG] == K1  # one run of the range's last window, widened back to the first
    assert request.partition_key == "2026-10-03-09:00"
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["a.json", "b.json", "c.jsonl", "c.jsonl.observed_at"]
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == ["bad.json", "bad.json.error.txt"]
    error = (inbox / "rejected" / "bad.json.error.txt").read_text()
    assert "bad.json: fetched_at: 2026-10-04T10:30:00 has no time zone" in error
    assert (inbox / ".partial.json").exists() and not bare.exists()
    assert lz.landed_keys(home / "landing", "hub_models") == [K1, "2026-10-02-09:00", "2026-10-03-09:00"]

    # Nothing new: skip. A fresh file waits until it has settled.
    assert isinstance(
        inbox_sensor(dg.build_sensor_context(resources={"hubsignal": HubsignalResource()})), dg.SkipReason
    )
    _write(inbox / "fresh.json", fetched_at="2026-10-05T10:30:00Z")
    skip = inbox_sensor(dg.build_sensor_context(resources={"hubsignal": HubsignalResource()}))
    assert isinstance(skip, dg.SkipReason) and "1 waiting" in skip.skip_message
    # The same file dropped again is imported as "unchanged": no run needed.
    (inbox / "done" / "a.json").rename(inbox / "a.json")
    os.utime(inbox / "a.json", (old, old))
    assert isinstance(
        inbox_sensor(dg.build_sensor_context(resources={"hubsignal": HubsignalResource()})), dg.SkipReason
    )
    assert (inbox / "done" / "a.json").exists() or any(p.name.endswith("-a.json") for p in (inbox / "done").iterdir())


def test_inbox_takes_folders_and_rejects_a_bad_sidecar(home, tmp_path):
    from hubsignal.imports.inbox import process_inbox

    inbox = home / "inbox"
    _foreign_zone(inbox / "other_install", ["2026-10-01-03:00"])
    _write(inbox / "x.jsonl", shape="jsonl")
    (inbox / "x.jsonl.observed_at").write_text("2026-10-01 10:30")  # no zone
    result = process_inbox(home, landing=home / "landing", families=FAMILIES, settle_s=0)
    assert result.done == ["other_install"] and list(result.rejected) == ["x.jsonl"]
    assert (
        "x.jsonl.observed_at: 2026-10-01 10:30 has no time zone"
        in (inbox / "rejected" / "x.jsonl.error.txt").read_text()
    )
    assert (inbox / "rejected" / "x.jsonl.observed_at").exists() and (inbox / "done" / "other_install").is_dir()
    assert result.run_range == ("2026-10-01-03:00", "2026-10-01-03:00") and result.run_key.startswith("inbox-")


# ------------------------------------------------------------------------------------------ runs

TABLES = {
    "raw.hub_models": "SELECT * EXCLUDE (origin), origin FROM raw.hub_models ORDER BY window_start, model_id",
    "marts.family_downloads": "SELECT * FROM marts.family_downloads ORDER BY window_start, family",
    "meta.snapshot_log": "SELECT source, window_key, status, origin, n_records, message FROM meta.snapshot_log ORDER BY 1, 2",
}
DAYS = ["2026-10-01T10:30:00Z", "2026-10-01T22:00:00Z"]  # windows 2026-10-01-09:00 and 2026-10-01-21:00
RANGE = ("2026-10-01-09:00", "2026-10-01-21:00")  # 3 windows: imported, no data, imported
K3 = "2026-10-01-21:00"
_SUBSET = [
    ["raw", "hub_models"],
    ["raw", "hub_graph_models"],
    ["staging", "families"],
    ["staging", "hub_models"],
    ["marts", "family_downloads"],
    ["published", "warehouse"],  # the last step: marks the run's windows built (meta.model_builds)
]
_JOB = None


def _run(first: str, last: str | None = None, instance=None, quiet: bool = True, console=None):
    """run_windows (the same run of the last window widened to the first, one run) for the Hub path only: the whole graph's other assets and
    checks cost ~25 s a run here and are not what these tests are about (the benchmark runs the whole job)."""
    global _JOB
    import dagster as dg

    from assets.partitions import FIRST_WINDOW_TAG

    if _JOB is None:
        from pipelines.definitions import defs

        subset = dg.define_asset_job(
            "imports_test_subset", selection=dg.AssetSelection.assets(*map(dg.AssetKey, _SUBSET)).without_checks()
        )
        _JOB = dg.Definitions.merge(defs, dg.Definitions(jobs=[subset])).resolve_job_def(subset.name)
    options = {
        "raise_on_error": False,
        "instance": instance or dg.DagsterInstance.ephemeral(),
        "run_config": {"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    }
    job = _JOB
    if console is not None:  # the CLI's progress line, summary and log file, as run_windows does
        job, console_options = console.instrument(job)
        options.update(console_options)
    if last is None or last == first:
        return job.execute_in_process(partition_key=first, **options)
    return job.execute_in_process(partition_key=last, tags={FIRST_WINDOW_TAG: first}, **options)


def _dumps(folder: Path) -> list[Path]:
    return [
        _write(
            folder / f"d{i}.json",
            records=[{**r, "downloads": r["downloads"] * (i + 1)} for r in RECORDS],
            fetched_at=day,
        )
        for i, day in enumerate(DAYS)
    ]


def test_range_backfill_over_imports_equals_window_by_window(home, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    dumps = _dumps(tmp_path / "dumps")
    assert _import(home, *dumps).ok
    assert _run(*RANGE).success
    ranged = {name: query(home, sql) for name, sql in TABLES.items()}

    single = tmp_path / "single"
    monkeypatch.setenv("HUBSIGNAL_HOME", str(single))
    assert _import(single, *dumps).ok
    keys = [K1, "2026-10-01-15:00", K3]
    for key in keys:
        assert _run(key).success
    for name, sql in TABLES.items():
        assert ranged[name] == query(single, sql), name

    # By hand: Qwen 1000 + 300, Llama 700 in the first dump; twice that in the second. No all-time counter.
    mart = query(
        home,
        "SELECT strftime(window_start, '%Y-%m-%d-%H:%M'), family, downloads_30d, downloads_all_time, "
        "n_models, rank_30d, rank_all_time, round(share_30d, 4) FROM marts.family_downloads ORDER BY 1, 2",
    )
    assert mart == [
        (K1, "Llama", 700, None, 1, 2, None, 0.35),
        (K1, "Qwen", 1300, None, 2, 1, None, 0.65),
        (K3, "Llama", 1400, None, 1, 2, None, 0.35),
        (K3, "Qwen", 2600, None, 2, 1, None, 0.65),
    ]  # and no row at all for 2026-10-01-15:00: it was not observed (no zero-filling)
    log = [(k, s, o) for src, k, s, o, *_ in ranged["meta.snapshot_log"] if src == "hub_models"]
    assert log == [(K1, "imported", "imported"), ("2026-10-01-15:00", "missing", None), (K3, "imported", "imported")]
    message = query(home, f"SELECT message FROM meta.snapshot_log WHERE source = 'hub_models' AND window_key = '{K1}'")[
        0
    ][0]
    assert "absent fields (NULL): downloadsAllTime" in message
    assert query(home, "SELECT count(*) FROM raw.hub_models WHERE model_id = 'someone/not-tracked'") == [(0,)]


def test_cli_import_loads_and_status_lists_windows(home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    monkeypatch.setattr("pipelines.cli.run_windows", _run)
    dumps = _dumps(tmp_path / "dumps")
    assert cli(["import", *map(str, dumps), "--no-run"]) == 0
    out = capsys.readouterr().out
    assert f"load them: hubsignal backfill {RANGE[0]} {RANGE[1]}" in out
    assert cli(["status"]) == 1  # no warehouse yet, but the landed windows are listed
    assert "Landed but not loaded yet" in capsys.readouterr().out

    # landed by the --no-run import but never loaded: pending, so importing again loads them
    assert cli(["import", str(tmp_path / "dumps")]) == 0
    out = capsys.readouterr().out
    assert "pending: not built yet" in out and f"loading {RANGE[0]} .. {RANGE[1]} in one run" in out
    assert cli(["import", str(tmp_path / "dumps")]) == 0  # loaded and built now: unchanged, nothing to load
    out = capsys.readouterr().out
    assert "unchanged (already imported)" in out and "pending" not in out and "loading" not in out
    assert cli(["status", "--windows"]) == 0
    out = capsys.readouterr().out
    rows = [line.split()[:3] for line in out.splitlines()]
    assert ["hub_models", K1, "imported"] in rows and ["hub_models", "2026-10-01-15:00", "missing"] in rows
    assert "Landed but not loaded" not in out

    changed = _write(tmp_path / "changed.json", records=LLAMA, fetched_at=DAYS[0])
    assert cli(["import", str(changed)]) == 1
    assert "--replace" in capsys.readouterr().err
    assert cli(["import", str(changed), "--replace"]) == 0
    # the run reaches the next landed window too: its deltas now compare with the replaced data
    assert f"loading {K1} .. {K3} in one run" in capsys.readouterr().out
    assert query(
        home,
        "SELECT family, downloads_30d FROM marts.family_downloads WHERE window_start = TIMESTAMP '2026-10-01 09:00:00'",
    ) == [("Llama", 700)]
    assert cli(["import", str(changed), "--observed-at", "2026-10-01T10:30:00"]) == 2
    assert "has no time zone" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ real dumps

REAL_DUMPS = SHARED_DATA / "hf_snapshots" / "hf_api_top_models_daily"


@pytest.mark.skipif(not REAL_DUMPS.is_dir(), reason=f"real Hub dumps not present at {REAL_DUMPS}")
def test_real_dumps_flow_to_family_downloads(home, monkeypatch):
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    files = sorted(REAL_DUMPS.glob("*.json"))
    report = _import(home, *files)
    assert report.ok, report.lines()
    expected: dict[tuple[str, str], tuple[int, int]] = {}
    for f in files:
        doc = json.loads(f.read_text())
        key = window_key_of(doc["fetched_at"])
        for m in doc["models"]:
            family = FAMILIES.family_of(m["id"])
            if family:
                d, n = expected.get((key, family), (0, 0))
                expected[(key, family)] = (d + m["downloads"], n + 1)
    keys = sorted({k for k, _ in expected})
    assert keys == ["2026-08-07-09:00", "2026-08-07-21:00", "2026-08-08-21:00", "2026-08-09-21:00", "2026-08-10-21:00"]
    assert _run(keys[0], keys[-1]).success
    rows = query(
        home,
        "SELECT strftime(window_start, '%Y-%m-%d-%H:%M'), family, downloads_30d, n_models, "
        "downloads_all_time FROM marts.family_downloads",
    )
    assert {(k, f): (d, n) for k, f, d, n, _ in rows} == expected
    assert {a for *_, a in rows} == {None}  # the dumps have no downloadsAllTime: unknown, not 0
    assert ("2026-08-07-09:00", "Qwen") in expected
    status = dict(query(home, "SELECT status, count(*) FROM meta.snapshot_log WHERE source = 'hub_models' GROUP BY 1"))
    assert status == {"imported": 5, "missing": 10}
    assert query(
        home,
        "SELECT count(*) FROM marts.family_downloads WHERE window_start NOT IN "
        "(SELECT window_start FROM meta.snapshot_log WHERE source = 'hub_models' AND status = 'imported')",
    ) == [(0,)]


def window_key_of(fetched_at: str) -> str:
    from hubsignal.windows import window_floor, window_key

    return window_key(window_floor(datetime.fromisoformat(fetched_at)))
