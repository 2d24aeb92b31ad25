"""The synthetic sample archive (demo/hub.py): deterministic, idempotent, parseable, and telling
the story the demo relies on. Hermetic: everything is written under pytest's tmp_path."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from demo.hub import (
    SAMPLE_FIRST_WINDOW,
    SAMPLE_NOTE,
    SAMPLE_ORIGIN,
    SAMPLE_PAGE_SIZE,
    SAMPLE_WINDOWS,
    build_sample_archive,
)
from hubsignal import landing as landing_module
from hubsignal.families import load_families
from hubsignal.hub.parse import LIST_EXPAND, RELATIONS, parse_children, parse_hub_models
from hubsignal.landing import landed_keys, read_window
from hubsignal.windows import WINDOW, parse_window_key, window_key

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = load_families(ROOT / "pipelines" / "families.yaml")
SOURCES = ("hub_models", "hub_children_counts")
ITEM_FIELDS = {"_id", "id", *LIST_EXPAND}
HUB_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path (temp folders included: there must be none)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime, inode) of every file and window folder: a landed window must not even be rewritten."""
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in root.rglob("*")
        if p.is_file() or (p / "manifest.json").is_file()
    }


def naive(key: str):
    return parse_window_key(key).replace(tzinfo=None)


def key_plus(key: str, n: int) -> str:
    return window_key(parse_window_key(key) + n * WINDOW)


# ------------------------------------------------------------------------------- the full default archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("sample") / "landing"
    with pytest.MonkeyPatch.context() as mp:
        # ~3,100 fsyncs are half the build time on a slow disk; durability is landing.py's, tested there.
        mp.setattr(landing_module.os, "fsync", lambda fd: None)
        summary = build_sample_archive(landing, FAMILIES)
    assert summary.windows_written == SAMPLE_WINDOWS and summary.windows_skipped == 0
    assert summary.window_keys[0] == SAMPLE_FIRST_WINDOW and len(summary.window_keys) == SAMPLE_WINDOWS
    assert summary.window_keys == [key_plus(SAMPLE_FIRST_WINDOW, i) for i in range(SAMPLE_WINDOWS)]
    return landing


@pytest.fixture(scope="module")
def frames(archive) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every landed window through the pipeline's own parsers (any off-shape item raises)."""
    models, children = [], []
    for key in landed_keys(archive, "hub_models"):
        frame, duplicates = parse_hub_models(read_window(archive, "hub_models", key), naive(key))
        assert duplicates == 0 and frame.height > 0
        models.append(frame)
        kids, _, kid_errors = parse_children(read_window(archive, "hub_children_counts", key), naive(key))
        assert kid_errors == []
        assert kids.height > 0
        children.append(kids)
    models, children = pl.concat(models), pl.concat(children)
    ids = models["model_id"].unique().to_list()
    family = (
        pl.col("model_id")
        .replace_strict({i: FAMILIES.family_of(i) for i in ids}, return_dtype=pl.String)
        .alias("family")
    )
    return models.with_columns(family), children.with_columns(family)


def family_series(models: pl.DataFrame, column: str) -> pl.DataFrame:
    """window_start x family -> sum(column), family models only."""
    return (
        models.filter(pl.col("family").is_not_null())
        .group_by("window_start", "family")
        .agg(pl.col(column).sum())
        .pivot(on="family", index="window_start", values=column)
        .sort("window_start")
    )


def test_every_window_and_source_is_landed_and_parses(archive, frames):
    for source in SOURCES:
        assert landed_keys(archive, source) == [key_plus(SAMPLE_FIRST_WINDOW, i) for i in range(SAMPLE_WINDOWS)]
    models, children = frames
    assert models["window_start"].n_unique() == SAMPLE_WINDOWS
    assert children["window_start"].n_unique() == SAMPLE_WINDOWS
    assert set(models["origin"].unique()) == {SAMPLE_ORIGIN} == set(children["origin"].unique())
    assert not list(archive.rglob(".tmp-*")), "no temporary folder may be left behind"


def test_manifests_say_synthetic(archive):
    for source in SOURCES:
        for key in landed_keys(archive, source):
            window = read_window(archive, source, key)
            manifest = window.manifest
            assert manifest["origin"] == SAMPLE_ORIGIN
            assert manifest["synthetic"] is True and manifest["note"] == SAMPLE_NOTE
            assert "SYNTHETIC" in manifest["note"]
            assert manifest["source"] == source and manifest["window_key"] == key
            assert manifest["status"] == "complete"
            # fetched a few minutes after the window closed (no wall clock involved)
            fetched = window.fetched_at
            end = parse_window_key(key) + WINDOW
            assert end < fetched < end + timedelta(minutes=15)
            if source == "hub_models":
                assert manifest["orgs"] == FAMILIES.orgs and manifest["expand"] == LIST_EXPAND


def test_listing_pages_look_like_the_live_listing(archive):
    multi_page_orgs = set()
    for key in landed_keys(archive, "hub_models")[:: SAMPLE_WINDOWS // 4]:
        window = read_window(archive, "hub_models", key)
        by_org: dict[str, list[dict]] = defaultdict(list)
        for entry, body in window.files:
            org, page = re.fullmatch(r"(.+)\.p(\d{4})\.json\.gz", entry["file"]).groups()
            items = json.loads(body)
            assert isinstance(items, list) and len(items) <= min(SAMPLE_PAGE_SIZE, 50)
            assert entry["n_records"] == len(items) and entry["http_status"] == 200
            assert entry["url"].startswith(f"https://huggingface.co/api/models?author={org}&sort=createdAt&expand=")
            assert ("&cursor=" in entry["url"]) == (page != "0001")
            if page != "0001":
                multi_page_orgs.add(org)
            by_org[org] += items
        assert set(by_org) == set(FAMILIES.orgs)
        for org, items in by_org.items():
            created = [(it["createdAt"], it["_id"]) for it in items]
            assert created == sorted(created, reverse=True), f"{org}: sort=createdAt is newest first"
            for it in items:
                assert set(it) == ITEM_FIELDS, it["id"]
                assert it["id"].split("/")[0].lower() == org.lower()
                assert re.fullmatch(r"[0-9a-f]{24}", it["_id"])
                assert HUB_TS.match(it["createdAt"]) and HUB_TS.match(it["lastModified"])
                assert it["lastModified"] >= it["createdAt"]
                assert it["gated"] in (False, "auto", "manual")
                assert all(
                    isinstance(v, int) and not isinstance(v, bool)
                    for v in (it["downloads"], it["downloadsAllTime"], it["likes"])
                )
                assert 0 <= it["downloads"] <= it["downloadsAllTime"]
                assert "region:us" in it["tags"] and any(t.startswith("license:") for t in it["tags"])
                assert it["pipeline_tag"] in it["tags"] and it["library_name"] in it["tags"]
    assert {"Qwen", "meta-llama", "google", "microsoft"} <= multi_page_orgs


def test_every_family_has_a_matching_model_in_every_window(frames):
    models, _ = frames
    per_window = (
        models.filter(pl.col("family").is_not_null())
        .group_by("window_start")
        .agg(pl.col("family").n_unique().alias("families"))
    )
    assert per_window.height == SAMPLE_WINDOWS
    assert per_window["families"].min() == len(FAMILIES.families)
    sizes = models.filter(pl.col("family").is_not_null()).group_by("family").agg(pl.col("model_id").n_unique())
    assert sizes["model_id"].min() >= 3 and sizes["model_id"].max() <= 8


def test_non_family_models_of_shared_orgs_are_listed_and_filtered(frames):
    models, _ = frames
    outsiders = set(models.filter(pl.col("family").is_null())["model_id"].unique())
    assert {"google/flan-t5-base", "microsoft/resnet-50"} <= outsiders
    assert {m.split("/")[0] for m in outsiders} <= set(FAMILIES.orgs)
    assert FAMILIES.family_of("google/gemma-3-4b-it") == "Gemma"
    assert FAMILIES.family_of("THUDM/glm-4-9b-chat") == FAMILIES.family_of("zai-org/GLM-4.6") == "GLM"
    assert FAMILIES.family_of("CohereForAI/c4ai-command-r-v01") == "Command"
    assert FAMILIES.family_of("CohereLabs/c4ai-command-a-03-2025") == "Command"
    assert set(models["model_id"]) >= {
        "google/gemma-3-4b-it",
        "microsoft/Phi-4-mini-instruct",
        "nvidia/Llama-3.1-Nemotron-Nano-8B-v1",
        "openai/gpt-oss-20b",
        "allenai/OLMo-2-1124-7B",
        "THUDM/glm-4-9b-chat",
        "zai-org/GLM-4.6",
        "CohereForAI/c4ai-command-r-v01",
        "CohereLabs/c4ai-command-a-03-2025",
    }


def test_counters_never_decrease_and_the_gauge_is_consistent(frames):
    models, children = frames
    ordered = models.sort("model_id", "window_start").with_columns(
        (pl.col("downloads_all_time").diff().over("model_id")).alias("d_all"),
        (pl.col("likes").diff().over("model_id")).alias("d_likes"),
    )
    assert ordered["d_all"].drop_nulls().min() >= 0
    assert ordered["d_likes"].drop_nulls().min() >= 0
    assert (models["downloads_30d"] <= models["downloads_all_time"]).all()
    # The gauge equals the all-time growth over the last 30 days (120 windows) once both ends are in the sample.
    wide = models.select("model_id", "window_start", "downloads_all_time", "downloads_30d")
    back = wide.with_columns((pl.col("window_start") + pl.duration(days=30)).alias("window_start")).select(
        "model_id", "window_start", pl.col("downloads_all_time").alias("then")
    )
    joined = wide.join(back, on=["model_id", "window_start"])
    if joined.height:  # only with more than 120 windows
        assert (joined["downloads_all_time"] - joined["then"] == joined["downloads_30d"]).all()
    kids = children.sort("model_id", "relation", "window_start").with_columns(
        pl.col("n_children").diff().over("model_id", "relation").alias("d")
    )
    assert kids["d"].drop_nulls().min() >= 0


def test_the_story_qwen_passes_llama_and_deepseek_passes_mistral(frames):
    models, children = frames
    all_time = family_series(models, "downloads_all_time")
    assert all_time["Qwen"][0] < all_time["Llama"][0], "Qwen starts below Llama (cumulative)"
    assert all_time["Qwen"][-1] > all_time["Llama"][-1], "and passes it inside the sample"
    crossing = (all_time["Qwen"] > all_time["Llama"]).arg_max()
    assert SAMPLE_WINDOWS // 4 < crossing < SAMPLE_WINDOWS * 3 // 4
    d30 = family_series(models, "downloads_30d")
    assert (d30["Qwen"] > d30["Llama"]).all(), "Qwen leads the 30-day downloads throughout"
    for family in d30.columns[1:]:
        if family != "Qwen":
            assert (d30["Qwen"] >= d30[family]).all()
    assert d30["DeepSeek"][0] < d30["Mistral"][0] and d30["DeepSeek"][-1] > d30["Mistral"][-1]
    ahead = (d30["DeepSeek"] > d30["Mistral"]).to_list()
    assert ahead == sorted(ahead), "one clean overtake, no flip-flopping"
    assert SAMPLE_WINDOWS // 4 < ahead.index(True) < SAMPLE_WINDOWS * 3 // 4
    kids = family_series(children, "n_children")
    assert kids["Qwen"][0] < kids["Llama"][0] and kids["Qwen"][-1] > kids["Llama"][-1]


def test_new_models_appear_mid_sample(frames):
    models, _ = frames
    first_seen = models.group_by("model_id").agg(pl.col("window_start").min(), pl.col("created_at").min())
    newcomers = first_seen.filter(pl.col("window_start") > naive(SAMPLE_FIRST_WINDOW))
    assert 1 <= newcomers.height <= 5
    assert (newcomers["created_at"] > naive(SAMPLE_FIRST_WINDOW)).all()
    # listed from the window in which they were created
    assert (newcomers["created_at"] >= newcomers["window_start"]).all()
    assert (newcomers["created_at"] < newcomers["window_start"] + timedelta(hours=6)).all()


def test_parents_are_declared_and_counted_within_the_family(frames):
    models, children = frames
    last = models.filter(pl.col("window_start") == pl.col("window_start").max())
    parents = {
        (r["model_id"], b["relation"], b["model_id"]) for r in last.iter_rows(named=True) for b in r["base_models"]
    }
    assert ("Qwen/Qwen3-8B", "finetune", "Qwen/Qwen3-8B-Base") in parents
    assert ("Qwen/Qwen3-8B-GGUF", "quantized", "Qwen/Qwen3-8B") in parents
    assert any(
        rel == "quantized" and FAMILIES.family_of(child) == FAMILIES.family_of(parent)
        for child, rel, parent in parents
        if not child.startswith("Qwen/")
    )
    counted = set(children["model_id"])
    intra = {(c, p) for c, _, p in parents if p in counted and FAMILIES.family_of(c) == FAMILIES.family_of(p)}
    assert len(intra) >= 5
    assert set(children["relation"].unique()) == {*RELATIONS, "any"}  # "any": the bare-integer shape


def test_children_lines_are_raw_model_info_bodies(archive):
    bare = 0
    window = read_window(archive, "hub_children_counts", SAMPLE_FIRST_WINDOW)
    ((entry, body),) = window.files
    lines = body.decode().splitlines()
    assert entry["file"] == "children.jsonl.gz" and entry["n_records"] == len(lines)
    listed = {json.loads(line)["model_id"] for line in lines}
    assert all(FAMILIES.family_of(m) for m in listed)
    for line in lines:
        rec = json.loads(line)
        assert set(rec) == {"model_id", "url", "http_status", "fetched_at", "body"}
        assert rec["url"] == f"https://huggingface.co/api/models/{rec['model_id']}?expand=childrenModelCount"
        assert rec["http_status"] == 200 and isinstance(rec["body"], str)
        info = json.loads(rec["body"])
        assert list(info) == ["_id", "id", "childrenModelCount"] and info["id"] == rec["model_id"]
        value = info["childrenModelCount"]
        if isinstance(value, int):
            bare += 1
        else:
            assert set(value) == set(RELATIONS)
    assert 1 <= bare <= 2


# ------------------------------------------------------------------------------------ determinism, idempotence


def test_two_builds_are_byte_identical(tmp_path, archive):
    a = build_sample_archive(tmp_path / "a", FAMILIES, n_windows=3)
    b = build_sample_archive(tmp_path / "b", FAMILIES, n_windows=3)
    assert a == b
    ta, tb = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert ta == tb and len(ta) > 3 * 20
    whole = tree(archive)  # the same windows inside the 112-window build: identical too
    assert all(whole[path] == digest for path, digest in ta.items())


def test_a_window_does_not_depend_on_the_range_it_was_built_in(tmp_path, archive):
    middle = key_plus(SAMPLE_FIRST_WINDOW, SAMPLE_WINDOWS // 2)
    shifted = build_sample_archive(tmp_path, FAMILIES, first_window=middle, n_windows=2)
    assert shifted.window_keys == [middle, key_plus(middle, 1)]
    part, whole = tree(tmp_path), tree(archive)
    assert part and all(whole[path] == digest for path, digest in part.items())


def test_rerun_writes_nothing_and_extending_keeps_landed_windows(tmp_path):
    landing = tmp_path / "landing"
    build_sample_archive(landing, FAMILIES, n_windows=2)
    before, before_stats = tree(landing), stats(landing)
    again = build_sample_archive(landing, FAMILIES, n_windows=2)
    assert (again.windows_written, again.windows_skipped) == (0, 2)
    assert tree(landing) == before and stats(landing) == before_stats
    more = build_sample_archive(landing, FAMILIES, n_windows=3)
    assert (more.windows_written, more.windows_skipped) == (1, 2)
    after = stats(landing)
    assert all(after[path] == st for path, st in before_stats.items())
    assert tree(landing) == tree(_fresh(tmp_path / "fresh", 3))


def _fresh(landing: Path, n: int) -> Path:
    build_sample_archive(landing, FAMILIES, n_windows=n)
    return landing


def test_a_half_landed_window_gets_only_its_missing_source(tmp_path):
    landing = tmp_path / "landing"
    build_sample_archive(landing, FAMILIES, n_windows=2)
    expected = tree(landing)
    models_window = landing / "hub_models" / SAMPLE_FIRST_WINDOW
    kept = stats(models_window)
    for f in (landing / "hub_children_counts" / SAMPLE_FIRST_WINDOW).iterdir():
        f.unlink()
    (landing / "hub_children_counts" / SAMPLE_FIRST_WINDOW).rmdir()
    summary = build_sample_archive(landing, FAMILIES, n_windows=2)
    assert (summary.windows_written, summary.windows_skipped) == (1, 1)
    assert tree(landing) == expected and stats(models_window) == kept


def test_independent_of_hash_seed_timezone_and_cwd(tmp_path):
    """Another interpreter (other PYTHONHASHSEED, other local time zone, other cwd) writes the same bytes."""
    code = (
        "import sys; from pathlib import Path; from hubsignal.families import load_families; "
        "from demo.hub import build_sample_archive; "
        "build_sample_archive(Path(sys.argv[1]), load_families(Path(sys.argv[2])), n_windows=1)"
    )
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT), "TZ": "Pacific/Auckland"}
    subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "other"), str(FAMILIES.source)], env=env, check=True, cwd=tmp_path
    )
    assert tree(tmp_path / "other") == tree(_fresh(tmp_path / "here", 1))


def test_models_per_family_caps_family_models_only(tmp_path):
    build_sample_archive(tmp_path, FAMILIES, n_windows=1, models_per_family=3)
    frame, _ = parse_hub_models(read_window(tmp_path, "hub_models", SAMPLE_FIRST_WINDOW), naive(SAMPLE_FIRST_WINDOW))
    fams = frame["model_id"].map_elements(FAMILIES.family_of, return_dtype=pl.String)
    counts = fams.drop_nulls().value_counts()
    assert counts.height == len(FAMILIES.families) and counts["count"].max() <= 3
    assert fams.null_count() >= 2  # the non-family repos are still listed


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError):
        build_sample_archive(tmp_path, FAMILIES, n_windows=0)
    with pytest.raises(ValueError):
        build_sample_archive(tmp_path, FAMILIES, first_window="2026-10-01-04:00")
    with pytest.raises(ValueError):
        build_sample_archive(tmp_path, FAMILIES, models_per_family=0)
    assert not any(tmp_path.iterdir())


def test_gzip_members_carry_no_timestamp(archive):
    for path in list((archive / "hub_models" / SAMPLE_FIRST_WINDOW).glob("*.gz"))[:3]:
        raw = path.read_bytes()
        assert raw[4:8] == b"\0\0\0\0" and gzip.decompress(raw)


def test_a_family_missing_from_the_catalog_gets_stand_ins_or_a_clear_error(tmp_path):
    text = (ROOT / "pipelines" / "families.yaml").read_text()
    grown = tmp_path / "grown.yaml"
    grown.write_text(text + '  - name: Apertus\n    orgs: [swiss-ai]\n    include: ["apertus"]\n')
    families = load_families(grown)
    build_sample_archive(tmp_path / "landing", families, n_windows=1)
    frame, _ = parse_hub_models(
        read_window(tmp_path / "landing", "hub_models", SAMPLE_FIRST_WINDOW), naive(SAMPLE_FIRST_WINDOW)
    )
    assert sum(families.family_of(m) == "Apertus" for m in frame["model_id"]) == 3
    odd = tmp_path / "odd.yaml"
    odd.write_text(text + '  - name: Odd\n    orgs: [odd-org]\n    include: ["^zzz"]\n')
    with pytest.raises(ValueError, match="Odd"):
        build_sample_archive(tmp_path / "odd", load_families(odd), n_windows=1)
