"""Every snapshot source the pipeline loads: its landing folder, raw table, parser and tier-1 load rules.

`hubsignal.snapshots.snapshot(source, windows, ...)` brings any of them up to date, from a notebook as from
the Dagster assets (assets/), which only add the live fetch and the run's windows.
"""

from __future__ import annotations

import polars as pl

from hubsignal import landing as lz
from hubsignal.cards import fetch as cards_fetch
from hubsignal.cards.parse import PARSER_VERSION as CARDS_PARSER_VERSION
from hubsignal.cards.parse import parse_model_cards
from hubsignal.hub import graph as hub_graph
from hubsignal.hub import parse as hub_parse
from hubsignal.livebench import PARSER_VERSION as LIVEBENCH_PARSER_VERSION
from hubsignal.livebench import SOURCE as LIVEBENCH_SOURCE
from hubsignal.livebench import parse_livebench, table_file
from hubsignal.quality.load_rules import Expect, LoadRules, json_list_fields, jsonl_body_fields, manifest_list
from hubsignal.scores import cards as card_scores
from hubsignal.scores import files as score_files
from hubsignal.snapshots import Source


def _listed_orgs(frame: pl.DataFrame, window: lz.LandedWindow) -> set[str]:
    """Orgs whose listing landed in the window (as parse names them), whether or not they had models."""
    return {hub_parse.page_org(entry) for entry, _ in window.files}


def _hub_models(window: lz.LandedWindow, start) -> tuple[pl.DataFrame, list[str]]:
    # An imported window's manifest note (e.g. which fields the dump lacked) goes to meta.snapshot_log.message.
    note = window.manifest.get("note") if window.origin == "imported" else None
    return hub_parse.parse_hub_models(window, start)[0], [note] if note else []


HUB_MODELS = Source(
    name="hub_models",
    table="raw.hub_models",
    parser_version=hub_parse.PARSER_VERSION,
    parse=_hub_models,
    # Tier 1: rows, one per model, and a listing for every org the crawl was configured with (manifest `orgs`).
    validate=LoadRules(unique=("model_id",), expect=(Expect("org", manifest_list("orgs"), _listed_orgs),)),
    fields=json_list_fields,
)

HUB_CHILDREN = Source(
    name="hub_children_counts",
    table="raw.hub_children_counts",
    parser_version=hub_parse.PARSER_VERSION,
    parse=hub_parse.parse_children,
    validate=LoadRules(unique=("model_id", "relation")),
    fields=jsonl_body_fields,
)


def _bulk_only(window: lz.LandedWindow, start) -> pl.DataFrame:
    raise TypeError("hub_graph windows load with DuckDB's readers (Source.load), never parsed in Python")


# The whole Hub, one row per model a window (docs/hub-graph.md): millions of records, loaded by DuckDB itself.
HUB_GRAPH = Source(
    name=hub_graph.SOURCE,
    table=hub_graph.TABLE,
    parser_version=hub_graph.PARSER_VERSION,
    parse=_bulk_only,
    load=hub_graph.load_window,
    unload=hub_graph.drop_window_edges,
)


def _configured_tables(window: lz.LandedWindow) -> list[str] | None:
    return [table_file(r) for r in window.manifest["releases"]] if window.manifest.get("releases") else None


def _accounted_tables(frame: pl.DataFrame, window: lz.LandedWindow) -> set[str]:
    """Release tables the crawl landed or recorded absent (HTTP 404): a table it never asked for is neither."""
    landed = {entry["file"].removesuffix(".gz") for entry, _ in window.files}
    return landed | {a["file"] for a in window.manifest.get("absent", [])}


LIVEBENCH = Source(
    name=LIVEBENCH_SOURCE,
    table="raw.livebench_scores",
    parser_version=LIVEBENCH_PARSER_VERSION,
    parse=parse_livebench,
    window_column="fetched_window",
    # Tier 1: one cell per (release, model, task); every configured release's table landed or recorded absent.
    validate=LoadRules(
        unique=("release_date", "model", "task"),
        expect=(Expect("release table", _configured_tables, _accounted_tables),),
    ),
)

MODEL_CARDS = Source(
    name=cards_fetch.SOURCE,
    table="raw.model_cards",
    parser_version=CARDS_PARSER_VERSION,
    parse=parse_model_cards,
)

# Two kinds of landing source share raw.legacy_scores; each window load replaces only its own rows.
CARD_SCORES = Source(
    name=card_scores.SOURCE,
    table=score_files.TABLE,
    parser_version=card_scores.PARSER_VERSION,
    parse=card_scores.parse_card_window,
    scope_column="landing_source",
)


def score_file_source(name: str) -> Source:
    """The source of one landed score file, `score_files/<adapter>-<sha12>`."""
    return Source(
        name=name,
        table=score_files.TABLE,
        parser_version=score_files.PARSER_VERSION,
        parse=score_files.parse_score_window,
        scope_column="landing_source",
    )


def source_named(name: str) -> Source:
    """The Source of a landing folder name (meta.snapshot_log.source)."""
    for source in (HUB_MODELS, HUB_CHILDREN, HUB_GRAPH, LIVEBENCH, MODEL_CARDS, CARD_SCORES):
        if source.name == name:
            return source
    if name.startswith(f"{score_files.SCORE_FILES}/"):
        return score_file_source(name)
    raise KeyError(f"no snapshot source named {name!r}")
