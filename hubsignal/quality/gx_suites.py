"""Tier 3: great_expectations suites, built in code, validating a pandas batch of the checked windows.

Each `Suite` names the table it guards, the SELECT of the batch (`$window_start`/`$window_end` bound to the
run's windows, as in SQL models), the columns that name an offending row, and a function returning its
expectations. `hubsignal/quality/sql_checks.py` turns every suite whose table is a registered asset into the asset check
`gx_<suite>`; adding a table's suite is one function + one `Suite(...)` entry in SUITES.

- great_expectations is imported lazily, inside the check (the import alone costs seconds), with an
  ephemeral context: nothing is written but the Data Docs site.
- DataFrames, never GX's SQL datasource (broken upstream on DuckDB): DuckDB runs the batch SELECT, GX
  validates the pandas frame.
- A batch above HUBSIGNAL_GX_MAX_ROWS rows (default 200,000) is validated on a reproducible reservoir sample of
  that many rows; the metadata says so. Exact whole-window rules (uniqueness, counts) are tier-2 SQL checks.
- HUBSIGNAL_GX=off skips the suites (each gx_ check then reports "skipped"): the test suite does so outside
  tests/test_quality_gx.py.
- The Data Docs site of the latest validation of a suite is written to
  `$HUBSIGNAL_HOME/quality/gx/<suite>/index.html` (replaced as a whole on each validation).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hubsignal.reports import Markdown
from hubsignal.sql_models import bind_window

DEFAULT_MAX_ROWS = 200_000
SAMPLE_SEED = 42
EXAMPLES = 3  # offending rows named per failing expectation


@dataclass(frozen=True)
class Suite:
    name: str
    asset: tuple[str, str]  # (layer, table) the check is attached to
    description: str
    batch_sql: str  # the rows to validate; $window_start/$window_end = the run's windows
    index_columns: tuple[str, ...]  # columns that name an offending row in the metadata
    expectations: Callable[[Any], list]  # gx module -> expectation objects
    deps: tuple[tuple[str, str], ...] = ()  # other tables the batch SQL reads


# -------------------------------------------------------------------------------------------- suites


_ORIGINS = ["live", "synthetic_sample", "imported"]  # every origin a raw row can have


def _known_origin(e):
    return e.ExpectColumnValuesToBeInSet(column="origin", value_set=_ORIGINS)


def _not_null(e, *columns: str) -> list:
    return [e.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def _at_least(e, column_a: str, column_b: str):
    """column_a >= column_b wherever both are set."""
    return e.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column_a, column_B=column_b, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def _one_row_per_window_and(e, key: str) -> list:
    """A non-empty batch, one row per (window_start, key), the key always set."""
    return [
        e.ExpectTableRowCountToBeBetween(min_value=1),
        e.ExpectCompoundColumnsToBeUnique(column_list=["window_start", key]),
        e.ExpectColumnValuesToNotBeNull(column=key),
    ]


def _hub_models(gx) -> list:
    e = gx.expectations
    return [
        *_one_row_per_window_and(e, "model_id"),
        e.ExpectColumnValuesToMatchRegex(column="model_id", regex=r"^[^/\s]+/[^/\s]+$"),
        e.ExpectColumnValuesToNotBeNull(column="snapshot_ts"),
        e.ExpectColumnValuesToBeBetween(column="downloads_30d", min_value=0),
        e.ExpectColumnValuesToBeBetween(column="downloads_all_time", min_value=0),
        e.ExpectColumnValuesToBeBetween(column="likes", min_value=0),
        _at_least(e, "downloads_all_time", "downloads_30d"),
        _at_least(e, "snapshot_ts", "created_at"),
        e.ExpectColumnValuesToBeInSet(column="gated", value_set=["false", "auto", "manual"]),
        _known_origin(e),
    ]


def _livebench_scores(gx) -> list:
    e = gx.expectations
    return [
        e.ExpectCompoundColumnsToBeUnique(column_list=["fetched_window", "release_date", "model", "task"]),
        *_not_null(e, "model", "task", "category"),
        e.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=100),
        _known_origin(e),
    ]


def _legacy_scores(gx) -> list:
    e = gx.expectations
    return [
        *_not_null(e, "source_model", "benchmark", "observed_at"),
        e.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=100),
        _known_origin(e),
    ]


def _family_downloads(gx) -> list:
    e = gx.expectations
    return [
        *_one_row_per_window_and(e, "family"),
        e.ExpectColumnValuesToBeBetween(column="n_models", min_value=1),
        e.ExpectColumnValuesToBeBetween(column="downloads_30d", min_value=0),
        e.ExpectColumnValuesToBeBetween(column="share_30d", min_value=0, max_value=1),
        e.ExpectColumnValuesToBeBetween(column="rank_30d", min_value=1),
        _at_least(e, "downloads_all_time", "downloads_30d"),
    ]


def _family_downloads_adjusted(gx) -> list:
    e = gx.expectations
    return [
        e.ExpectCompoundColumnsToBeUnique(column_list=["window_start", "family"]),
        e.ExpectColumnValuesToBeBetween(column="downloads_30d_adjusted", min_value=0),
        _at_least(e, "downloads_30d", "downloads_30d_adjusted"),
        e.ExpectColumnValuesToBeBetween(column="share_30d_adjusted", min_value=0, max_value=1),
    ]


def _family_derivatives(gx) -> list:
    e = gx.expectations
    return [
        e.ExpectCompoundColumnsToBeUnique(column_list=["window_start", "family", "relation"]),
        e.ExpectColumnValuesToBeInSet(
            column="relation", value_set=["finetune", "adapter", "quantized", "merge", "any"]
        ),
        e.ExpectColumnValuesToBeBetween(column="n_derivatives", min_value=0),
        _at_least(e, "n_children", "n_derivatives"),
    ]


def _headline_kpis(gx) -> list:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeUnique(column="window_start"),
        e.ExpectColumnValuesToNotBeNull(column="leader_family"),
        e.ExpectColumnValuesToBeBetween(column="top_family_share_30d", min_value=0, max_value=1),
        e.ExpectColumnValuesToBeBetween(column="hhi_30d", min_value=0, max_value=10_000),
    ]


def _benchmark_gap(gx) -> list:
    e = gx.expectations
    return [
        e.ExpectCompoundColumnsToBeUnique(column_list=["release_date", "model_key"]),
        e.ExpectColumnValuesToNotBeNull(column="model_key"),
        e.ExpectColumnValuesToBeBetween(column="legacy_score", min_value=0, max_value=100),
        e.ExpectColumnValuesToBeBetween(column="livebench_global_average", min_value=0, max_value=100),
        e.ExpectColumnValuesToBeBetween(column="gap_pp", min_value=-100, max_value=100),
    ]


def _family_gap(gx) -> list:
    e = gx.expectations
    return [
        e.ExpectCompoundColumnsToBeUnique(column_list=["release_date", "family"]),
        e.ExpectColumnValuesToBeBetween(column="n_models", min_value=1),
        e.ExpectColumnValuesToBeBetween(column="mean_gap_pp", min_value=-100, max_value=100),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="max_gap_pp", column_B="min_gap_pp", or_equal=True),
    ]


def _window_rows(table: str, column: str = "window_start") -> str:
    return f"SELECT * FROM {table} WHERE {column} >= $window_start AND {column} < $window_end"


SUITES: list[Suite] = [
    Suite(
        "raw_hub_models",
        ("raw", "hub_models"),
        "Hub snapshot rows of the window: keys, counters, enums",
        "SELECT window_start, snapshot_ts, model_id, downloads_30d, downloads_all_time, likes, created_at, gated, "
        "origin FROM raw.hub_models WHERE window_start >= $window_start AND window_start < $window_end",
        ("window_start", "model_id"),
        _hub_models,
    ),
    Suite(
        "raw_livebench_scores",
        ("raw", "livebench_scores"),
        "LiveBench cells of the window's snapshots",
        "SELECT fetched_window, release_date, model, task, score, category, origin FROM raw.livebench_scores "
        "WHERE fetched_window >= $window_start AND fetched_window < $window_end",
        ("release_date", "model", "task"),
        _livebench_scores,
    ),
    Suite(
        "raw_legacy_scores",
        ("raw", "legacy_scores"),
        "legacy benchmark claims observed in the window",
        "SELECT window_start, source, source_model, benchmark, score, observed_at, origin FROM raw.legacy_scores "
        "WHERE window_start >= $window_start AND window_start < $window_end",
        ("source", "source_model", "benchmark"),
        _legacy_scores,
    ),
    Suite(
        "marts_family_downloads",
        ("marts", "family_downloads"),
        "adoption mart rows of the window",
        _window_rows("marts.family_downloads"),
        ("window_start", "family"),
        _family_downloads,
    ),
    Suite(
        "marts_family_downloads_adjusted",
        ("marts", "family_downloads_adjusted"),
        "anomaly-adjusted adoption mart rows of the window",
        _window_rows("marts.family_downloads_adjusted"),
        ("window_start", "family"),
        _family_downloads_adjusted,
    ),
    Suite(
        "marts_family_derivatives",
        ("marts", "family_derivatives"),
        "derivative counts of the window",
        "SELECT window_start, family, relation, n_derivatives, n_children FROM marts.family_derivatives "
        "WHERE window_start >= $window_start AND window_start < $window_end",
        ("window_start", "family", "relation"),
        _family_derivatives,
    ),
    Suite(
        "marts_headline_kpis",
        ("marts", "headline_kpis"),
        "headline KPIs of the window",
        "SELECT window_start, leader_family, top_family_share_30d, hhi_30d FROM marts.headline_kpis "
        "WHERE window_start >= $window_start AND window_start < $window_end",
        ("window_start",),
        _headline_kpis,
    ),
    # The gap marts are views by LiveBench release (not by window): their whole (small) content is validated.
    Suite(
        "marts_benchmark_gap",
        ("marts", "benchmark_gap"),
        "contamination gap per model and release",
        "SELECT release_date, model_key, family, legacy_score, livebench_global_average, gap_pp "
        "FROM marts.benchmark_gap",
        ("release_date", "model_key"),
        _benchmark_gap,
    ),
    Suite(
        "marts_family_gap",
        ("marts", "family_gap"),
        "contamination gap per family and release",
        "SELECT release_date, family, n_models, mean_gap_pp, min_gap_pp, max_gap_pp FROM marts.family_gap",
        ("release_date", "family"),
        _family_gap,
    ),
]


def active_suites(tables) -> list[Suite]:
    """Suites whose tables (layer, name) all exist (a suite for a table that does not exist yet waits)."""
    tables = set(tables)
    return [s for s in SUITES if all(t in tables for t in (s.asset, *s.deps))]


# ---------------------------------------------------------------------------------------- validation


@dataclass
class Batch:
    rows_total: int
    rows_validated: int
    sampled: bool
    start: datetime
    end: datetime


def load_batch(con, suite: Suite, start: datetime, end: datetime, limit: int = DEFAULT_MAX_ROWS):
    """The rows to validate as a pandas DataFrame (a reproducible reservoir sample above `limit` rows)."""
    sql = bind_window(suite.batch_sql, start, end)
    total = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    if total > limit:
        frame = con.execute(
            f"SELECT * FROM ({sql}) USING SAMPLE reservoir({limit} ROWS) REPEATABLE ({SAMPLE_SEED})"
        ).df()
    else:
        frame = con.execute(sql).df()
    return frame, Batch(total, len(frame), total > limit, start, end)


@dataclass
class ExpectationOutcome:
    expectation: str
    columns: str
    success: bool
    unexpected: int | None
    examples: list[str] = field(default_factory=list)
    observed: Any = None


@dataclass
class GxReport:
    suite: str
    success: bool
    expectations: list[ExpectationOutcome]
    batch: Batch
    docs: Path | None
    elapsed_s: float

    def description(self) -> str:
        failed = [e for e in self.expectations if not e.success]
        sample = (
            f" (sample of {self.batch.rows_validated:,} of {self.batch.rows_total:,} rows)"
            if self.batch.sampled
            else ""
        )
        if not failed:
            return f"all {len(self.expectations)} expectations met{sample}"
        names = ", ".join(f"{e.expectation}({e.columns})" for e in failed[:3])
        return f"{len(failed)} of {len(self.expectations)} expectations failed{sample}: {names}"

    def metadata(self) -> dict:
        lines = ["| expectation | columns | success | unexpected | example rows |", "|---|---|---|---|---|"]
        for e in self.expectations:
            unexpected = "" if e.unexpected is None else str(e.unexpected)
            if e.observed is not None and e.unexpected is None:
                unexpected = f"observed {e.observed}"
            examples = "; ".join(e.examples).replace("|", "\\|")
            lines.append(
                f"| {e.expectation} | {e.columns} | {'yes' if e.success else 'NO'} | {unexpected} | {examples} |"
            )
        meta = {
            "expectations": Markdown("\n".join(lines)),
            "evaluated": len(self.expectations),
            "failed": sum(not e.success for e in self.expectations),
            "rows_in_windows": self.batch.rows_total,
            "rows_validated": self.batch.rows_validated,
            "sampled": self.batch.sampled,
            "elapsed_ms": round(self.elapsed_s * 1000, 1),
        }
        if self.docs is not None:
            meta["data_docs"] = self.docs
        return meta


def _gx():
    """great_expectations, imported on first use (seconds), without analytics or progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def _columns(kwargs: dict) -> str:
    for key in ("column", "column_list"):
        if key in kwargs:
            value = kwargs[key]
            return ", ".join(value) if isinstance(value, list) else str(value)
    if "column_A" in kwargs:
        return f"{kwargs['column_A']} >= {kwargs['column_B']}"
    return "table"


def _example(row: dict, index_columns: tuple[str, ...]) -> str:
    named = [f"{c}={row[c]}" for c in index_columns if c in row]
    named += [f"{c}={v}" for c, v in row.items() if c not in index_columns]
    return ", ".join(str(x) for x in named)


def validate(suite: Suite, frame, batch: Batch, docs_root: Path | None) -> GxReport:
    """Validate one batch with an ephemeral GX context; write the suite's Data Docs site under docs_root."""
    started = time.perf_counter()
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas(name="hubsignal").add_dataframe_asset(name=suite.name)
    batch_definition = asset.add_batch_definition_whole_dataframe("windows")
    expectation_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=suite.expectations(gx)))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=expectation_suite)
    )
    index_columns = [c for c in suite.index_columns if c in frame.columns]
    result = definition.run(
        batch_parameters={"dataframe": frame},
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": EXAMPLES,
            "unexpected_index_column_names": index_columns,
        },
    )
    outcomes = []
    for r in result.results:
        config = r.expectation_config
        res = r.result or {}
        examples = [
            _example(row, suite.index_columns) for row in (res.get("partial_unexpected_index_list") or [])[:EXAMPLES]
        ]
        if r.exception_info and r.exception_info.get("raised_exception"):
            examples = [f"error: {r.exception_info.get('exception_message')}"]
        outcomes.append(
            ExpectationOutcome(
                config.type,
                _columns(config.kwargs),
                bool(r.success),
                res.get("unexpected_count"),
                examples,
                res.get("observed_value"),
            )
        )
    docs = None
    if docs_root is not None:
        docs = _write_docs(context, Path(docs_root) / "gx", suite.name)
    return GxReport(suite.name, bool(result.success), outcomes, batch, docs, time.perf_counter() - started)


def _write_docs(context, root: Path, name: str) -> Path:
    """Build the site in a temporary folder, then swap it into root/name: only the latest validation."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    site = f"hubsignal_{name}"
    context.add_data_docs_site(
        site_name=site,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(tmp)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    try:
        context.build_data_docs(site_names=[site])
        final = root / name
        old = root / f".old-{name}-{uuid.uuid4().hex[:8]}"
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final / "index.html"
