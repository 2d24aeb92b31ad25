import gzip
import json
from datetime import UTC, datetime

import pytest

from hubsignal import landing as lz
from hubsignal.hub.parse import base_models_from_tags, children_counts, parse_hub_models
from hubsignal.windows import latest_closed_window, parse_window_key, window_floor, window_key, window_starts

T0 = datetime(2026, 10, 1, 9, 12, tzinfo=UTC)


def test_window_arithmetic():
    assert window_key(window_floor(T0)) == "2026-10-01-09:00"
    assert window_key(window_floor(datetime(2026, 10, 1, 2, 59, tzinfo=UTC))) == "2026-09-30-21:00"
    assert window_key(latest_closed_window(T0)) == "2026-10-01-03:00"  # 03:00-09:00 closed at 09:00
    assert window_key(latest_closed_window(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))) == "2026-10-01-03:00"
    starts = window_starts(parse_window_key("2026-10-01-03:00"), parse_window_key("2026-10-02-03:00"))
    assert [window_key(s) for s in starts] == [
        "2026-10-01-03:00",
        "2026-10-01-09:00",
        "2026-10-01-15:00",
        "2026-10-01-21:00",
    ]
    with pytest.raises(ValueError, match="not a window start"):
        parse_window_key("2026-10-01-04:00")


def test_partitions_definition_matches_design():
    from assets.partitions import WINDOW_CRON, windows

    assert WINDOW_CRON == "0 3,9,15,21 * * *"
    keys = windows.get_partition_keys_in_range(
        __import__("dagster").PartitionKeyRange("2026-10-01-03:00", "2026-10-02-03:00")
    )
    assert keys == ["2026-10-01-03:00", "2026-10-01-09:00", "2026-10-01-15:00", "2026-10-01-21:00", "2026-10-02-03:00"]
    assert windows.timezone == "UTC"


def _page(*items) -> lz.RawFile:
    body = json.dumps(list(items)).encode()
    return lz.RawFile("Qwen.p0001.json", body, len(items), "https://huggingface.co/api/models?author=Qwen", 200, T0)


def test_land_is_atomic_immutable_and_verified(tmp_path):
    item = {"_id": "a" * 24, "id": "Qwen/Qwen3-8B", "downloads": 5, "downloadsAllTime": 9}
    path = lz.land_window(tmp_path, "hub_models", "2026-10-01-03:00", [_page(item)], origin="live", fetched_at=T0)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["record_count"] == 1 and manifest["status"] == "complete" and manifest["origin"] == "live"
    assert [p.name for p in tmp_path.joinpath("hub_models").iterdir()] == ["2026-10-01-03:00"]  # no temp left
    with pytest.raises(lz.LandingError, match="already landed"):
        lz.land_window(tmp_path, "hub_models", "2026-10-01-03:00", [_page()], origin="live", fetched_at=T0)
    window = lz.read_window(tmp_path, "hub_models", "2026-10-01-03:00")
    assert json.loads(window.files[0][1]) == [item]
    # A file changed after landing is detected, naming the file.
    (path / "Qwen.p0001.json.gz").write_bytes(gzip.compress(b"[]"))
    with pytest.raises(lz.LandingError, match=r"Qwen\.p0001\.json\.gz: sha256 differs"):
        lz.read_window(tmp_path, "hub_models", "2026-10-01-03:00")


def test_failed_landing_leaves_nothing(tmp_path):
    good = lz.RawFile("Qwen.p0001.json", b"[]", 0)
    unwritable = lz.RawFile("no-such-dir/x.json", b"[]", 0)  # open() fails after a first file was written
    with pytest.raises(OSError):
        lz.land_window(tmp_path, "hub_models", "2026-10-01-03:00", [good, unwritable], origin="live", fetched_at=T0)
    assert list((tmp_path / "hub_models").iterdir()) == []
    assert not lz.is_landed(tmp_path, "hub_models", "2026-10-01-03:00")


def test_base_models_from_tags():
    tags = [
        "transformers",
        "base_model:Qwen/Qwen3-8B-Base",
        "base_model:finetune:Qwen/Qwen3-8B-Base",
        "base_model:meta-llama/Llama-3.1-8B",
        "base_model:quantized:Qwen/Qwen3-8B",
    ]
    assert base_models_from_tags(tags) == [
        {"relation": "finetune", "model_id": "Qwen/Qwen3-8B-Base"},
        {"relation": "quantized", "model_id": "Qwen/Qwen3-8B"},
        {"relation": None, "model_id": "meta-llama/Llama-3.1-8B"},
    ]
    assert base_models_from_tags(None) == []


def test_children_counts_object_or_bare_int():
    assert children_counts(
        {"childrenModelCount": {"adapter": 716, "merge": 19, "quantized": 190, "finetune": 328}}
    ) == [("adapter", 716), ("finetune", 328), ("merge", 19), ("quantized", 190)]
    assert children_counts({"childrenModelCount": 42}) == [("any", 42)]
    assert children_counts({}) == []
    with pytest.raises(ValueError, match="unexpected shape"):
        children_counts({"childrenModelCount": "many"})


def test_parse_dedupes_and_names_bad_records(tmp_path):
    a = {
        "_id": "a" * 24,
        "id": "Qwen/A",
        "downloads": 1,
        "downloadsAllTime": 2,
        "createdAt": "2025-11-04T08:25:31.000Z",
        "tags": ["base_model:finetune:Qwen/B"],
        "gated": False,
    }
    b = {"_id": "b" * 24, "id": "Qwen/B", "downloads": 3, "gated": "manual"}
    lz.land_window(tmp_path, "hub_models", "2026-10-01-03:00", [_page(a, b, a)], origin="live", fetched_at=T0)
    frame, dupes = parse_hub_models(lz.read_window(tmp_path, "hub_models", "2026-10-01-03:00"), T0)
    assert dupes == 1 and frame["model_id"].to_list() == ["Qwen/A", "Qwen/B"]
    assert frame["gated"].to_list() == ["false", "manual"]
    assert frame["downloads_all_time"].to_list() == [2, None]  # absent stays NULL, never 0
    assert str(frame["created_at"][0]) == "2025-11-04 08:25:31"

    lz.land_window(
        tmp_path, "hub_models", "2026-10-01-09:00", [_page(a, {"downloads": 3})], origin="live", fetched_at=T0
    )
    with pytest.raises(lz.LandingError, match=r"Qwen\.p0001\.json\.gz item 1: missing or malformed 'id'"):
        parse_hub_models(lz.read_window(tmp_path, "hub_models", "2026-10-01-09:00"), T0)


def test_a_damaged_children_line_is_a_record_error_and_the_window_loads(tmp_path):
    from datetime import datetime

    from hubsignal.hub.parse import parse_children

    ok = {
        "model_id": "Qwen/A",
        "http_status": 200,
        "fetched_at": "2026-10-01T09:00:00+00:00",
        "url": None,
        "body": json.dumps({"_id": "x", "id": "Qwen/A", "childrenModelCount": {"finetune": 3}}),
    }
    lines = [
        json.dumps(ok),
        '{"model_id": "Qwen/B", "http_sta',  # a line cut short
        json.dumps({**ok, "model_id": "Qwen/C", "body": "<html>"}),
        json.dumps({**ok, "model_id": "Qwen/D", "body": json.dumps({"childrenModelCount": [1]})}),
        json.dumps({**ok, "model_id": "Qwen/E", "http_status": 403, "body": None}),
        json.dumps({**ok, "model_id": "Qwen/F", "http_status": 404, "body": None}),
    ]  # deleted: no error
    key = "2026-10-01-03:00"
    lz.land_window(
        tmp_path,
        "hub_children_counts",
        key,
        [lz.RawFile("children.jsonl", "\n".join(lines).encode(), 6)],
        origin="live",
        fetched_at=datetime(2026, 10, 1, 9, 5),
    )
    frame, notes, errors = parse_children(
        lz.read_window(tmp_path, "hub_children_counts", key), datetime(2026, 10, 1, 3)
    )
    assert frame.select("model_id", "relation", "n_children").rows() == [("Qwen/A", "finetune", 3)]
    assert [(e.record, e.reason[:40]) for e in errors] == [
        ("line 2", "Unterminated string starting at: line 1 "),
        ("Qwen/C", "model_info answer is not JSON (Expecting"),
        ("Qwen/D", "childrenModelCount has an unexpected sha"),
        ("Qwen/E", "HTTP 403 for this model"),
    ]
    assert errors[0].location.endswith("children.jsonl.gz line 2")
