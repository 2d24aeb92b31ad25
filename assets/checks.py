"""The check factory: every `sql/checks/<name>.sql` becomes the Dagster asset check `<name>`; every
great_expectations suite of `assets/quality/gx_suites.py` becomes the check `gx_<suite>`.

A SQL check is one SELECT returning the offending rows (zero rows = pass), under a header of
`-- key: value` comment lines:

    -- asset: raw.hub_models          the asset it checks (a registered asset: anything else fails the build)
    -- severity: error                error = blocking: a failure stops the assets downstream of `asset` in the
                                      same run; warn = reported (WARN severity), nothing stops
    -- quarantine: hub_models         optional, error checks only: every window (`window_start` column of the
                                      offending rows) of this meta.snapshot_log source is quarantined;
                                      `column <name>`: the source is that column of each offending row
    -- description: one line shown in the UI

`$window_start` / `$window_end` are bound to the run's window range (one window, or a whole backfill range),
exactly as in SQL models. Other `raw.`/`staging.`/`marts.` tables the SELECT reads become the check's
additional dependencies, so it runs after them. A quarantining check must read the raw tables (not the
staging views, which hide quarantined windows) and evaluate every window of the range: a window it passes
is released (assets/quality/quarantine.py).

Metadata of every result: offending row count, a few example rows, the windows checked, what was
quarantined or released. Every check opens the warehouse, so every check is in pool `duckdb`.

All checks of one asset run in one Dagster step (`checks__<layer>__<table>`, one warehouse connection), each
still its own check in the UI with its own result, severity and blocking flag. Checks are partitioned like
their assets (`windows`): a single-window run records a result per window, and Dagster scopes its upstream
bookkeeping to the run's windows (an unpartitioned check on a partitioned asset makes Dagster enumerate every
partition since HUBSIGNAL_START on each evaluation: seconds per check).
"""



import re
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb
import sqlglot
from sqlglot import exp

from assets.quality import gx_suites
from assets.quality.quarantine import Outcome, apply_check_outcome
from assets.sql_models import WAREHOUSE_LAYERS, bind_window
from assets.warehouse import open_warehouse
from assets.windows import WINDOW, parse_window_key, window_floor, window_key
from pipelines.partitions import windows
from pipelines.resources import HubsignalResource
from pipelines.settings import SQL_DIR, partitions_start

CHECKS_DIR = SQL_DIR / "checks"
SEVERITIES = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}
HEADER_KEYS = {"asset", "severity", "quarantine", "description"}
EXAMPLES = 5  # example rows shown in the metadata
_HEADER_LINE = re.compile(r"^--\s*([A-Za-z_]+)\s*:\s*(.*?)\s*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Partitioned asset checks are a "preview" feature in Dagster 1.13; they are the documented way to check
# partitioned assets per partition.
warnings.filterwarnings("ignore", category=dg.PreviewWarning, message=".*partitions_def on an AssetCheckSpec")


class CheckFileError(ValueError):
    """A check file breaks the contract (the message names the file)."""


@dataclass(frozen=True)
class SqlCheck:
    path: Path
    name: str
    asset: tuple[str, str]  # (layer, table)
    severity: str  # error | warn
    description: str
    quarantine: str | None  # meta.snapshot_log source whose failing windows are quarantined
    sql: str
    deps: tuple[tuple[str, str], ...]  # other warehouse tables it reads

    @property
    def quarantine_column(self) -> str | None:
        """`-- quarantine: column <name>`: each offending row names its meta.snapshot_log source."""
        if self.quarantine and self.quarantine.startswith("column "):
            return self.quarantine.removeprefix("column ").strip()
        return None

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey(list(self.asset))

    @property
    def sql_file(self) -> str:
        return str(self.path.relative_to(SQL_DIR.parent)) if self.path.is_relative_to(SQL_DIR.parent) else str(self.path)


def load_check(path: Path) -> SqlCheck:
    text = path.read_text()
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.lstrip().startswith("--"):
            break
        m = _HEADER_LINE.match(line.strip())
        if m is None:
            continue  # free comment
        key = m.group(1).lower()
        if key not in HEADER_KEYS:
            raise CheckFileError(f"{path}: unknown header key {key!r} (known: {', '.join(sorted(HEADER_KEYS))})")
        if key in header:
            raise CheckFileError(f"{path}: header key {key!r} given twice")
        header[key] = m.group(2)
    for key in ("asset", "severity", "description"):
        if not header.get(key):
            raise CheckFileError(f"{path}: missing header line '-- {key}: ...'")
    if not _NAME.match(path.stem):
        raise CheckFileError(f"{path}: the file name is the check name: lower case letters, digits and _")
    layer, _, table = header["asset"].partition(".")
    if layer not in WAREHOUSE_LAYERS or not table:
        raise CheckFileError(f"{path}: asset {header['asset']!r} is not <raw|staging|marts>.<table>")
    severity = header["severity"].lower()
    if severity not in SEVERITIES:
        raise CheckFileError(f"{path}: severity {header['severity']!r} is not error or warn")
    quarantine = header.get("quarantine") or None
    if quarantine and severity != "error":
        raise CheckFileError(f"{path}: only a blocking (severity: error) check can quarantine windows")
    sql = text.strip().rstrip(";").strip()
    dummy = datetime(2000, 1, 1)
    try:
        statements = [s for s in sqlglot.parse(bind_window(sql, dummy, dummy), read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise CheckFileError(f"{path}: not valid DuckDB SQL ({exc})") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise CheckFileError(f"{path}: a check must be exactly one SELECT statement (the offending rows)")
    tree = statements[0]
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    reads = {(t.db, t.name) for t in tree.find_all(exp.Table) if t.db in WAREHOUSE_LAYERS and t.name not in ctes}
    return SqlCheck(path, path.stem, (layer, table), severity, header["description"], quarantine, sql,
                    tuple(sorted(reads - {(layer, table)})))


def discover_checks(checks_dir: Path = CHECKS_DIR) -> list[SqlCheck]:
    return [load_check(p) for p in sorted(checks_dir.glob("*.sql"))]


# ------------------------------------------------------------------------------------------ evaluation

@dataclass
class CheckRun:
    check: SqlCheck
    start: datetime
    end: datetime
    offending: int
    columns: list[str]
    examples: list[tuple]
    outcome: Outcome | None
    elapsed_s: float
    clean_windows: int = 0  # windows of the range still observed/imported after this check's quarantine

    @property
    def passed(self) -> bool:
        return self.offending == 0

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        """ERROR only for a blocking failure that is not already contained by quarantine or an override."""
        if self.passed or not self.check.blocking:
            return SEVERITIES[self.check.severity]
        if self.outcome is not None and not self.outcome.unlogged and (not self.outcome.new or self.clean_windows):
            # Contained: every offending window is quarantined (now or before) or released, and staging keeps
            # only observed/imported windows. A range run goes on for its good windows (one bad window must
            # not stop a backfill); a run left with no good window at all stops what is downstream.
            return dg.AssetCheckSeverity.WARN
        return dg.AssetCheckSeverity.ERROR

    def description(self) -> str:
        if self.passed:
            return f"passed: no offending rows ({self.check.description})"
        text = f"{self.offending} offending row(s): {self.check.description}"
        o = self.outcome
        if o is not None:
            parts = [f"quarantined {', '.join(o.new)}" if o.new else "",
                     f"still quarantined {', '.join(o.still)}" if o.still else "",
                     f"released by override {', '.join(o.overridden)}" if o.overridden else ""]
            text += "; " + "; ".join(p for p in parts if p) if any(parts) else ""
        return text

    def metadata(self) -> dict:
        keys = window_key(self.start), window_key(self.end - WINDOW)
        n_windows = round((self.end - self.start) / WINDOW)
        meta = {
            "offending_rows": self.offending,
            "windows_checked": f"{keys[0]} .. {keys[1]} ({n_windows} windows)" if n_windows > 1 else keys[0],
            "severity": self.check.severity,
            "sql_file": self.check.sql_file,
            "elapsed_ms": round(self.elapsed_s * 1000, 1),
        }
        if self.examples:
            meta["examples"] = dg.MetadataValue.md(markdown_table(self.columns, self.examples))
        if self.outcome is not None:
            o = self.outcome
            for label, items in (("quarantined_now", o.new), ("still_quarantined", o.still),
                                 ("overridden", o.overridden), ("not_in_snapshot_log", o.unlogged)):
                if items:
                    meta[label] = dg.MetadataValue.md("\n".join(f"- {k}: {v}" for k, v in items.items()))
            meta["released"] = ", ".join(o.released) or "none"
        return meta


def _cell(value, width: int = 60) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _reason(columns: list[str], row: tuple, n: int) -> str:
    shown = ", ".join(f"{c}={_cell(v, 40)}" for c, v in zip(columns, row) if c != "window_start")
    return f"{n} offending row(s), e.g. {shown}"


def evaluate(con: duckdb.DuckDBPyConnection, check: SqlCheck, start: datetime, end: datetime,
             run_id: str | None = None) -> CheckRun:
    """Run one SQL check over windows [start, end); quarantine/release windows if the check says so."""
    started = time.perf_counter()
    sql = bind_window(check.sql, start, end)
    con.execute(f"CREATE OR REPLACE TEMP TABLE hubsignal_offending AS {sql}")
    try:
        columns = [r[0] for r in con.execute("DESCRIBE hubsignal_offending").fetchall()]
        offending = con.execute("SELECT count(*) FROM hubsignal_offending").fetchone()[0]
        examples = con.execute(f"SELECT * FROM hubsignal_offending LIMIT {EXAMPLES}").fetchall()
        outcome, clean = None, 0
        if check.quarantine:
            outcome = _quarantine(con, check, columns, start, end, run_id)
            clean = _clean_windows(con, check, start, end)
    finally:
        con.execute("DROP TABLE IF EXISTS hubsignal_offending")
    return CheckRun(check, start, end, offending, columns, examples, outcome, time.perf_counter() - started, clean)


def _clean_windows(con, check: SqlCheck, start: datetime, end: datetime) -> int:
    """Windows of [start, end) that the quarantining check's source(s) still hold as observed/imported."""
    sources = [check.quarantine] if not check.quarantine_column else [
        s for (s,) in con.execute("SELECT DISTINCT source FROM meta.quarantine WHERE check_name = ?", [check.name]).fetchall()]
    if not sources:
        return 0
    return con.execute(
        "SELECT count(*) FROM meta.snapshot_log WHERE source IN (SELECT unnest(?)) AND status IN ('observed', 'imported') "
        "AND window_start >= ? AND window_start < ?", [sources, _naive(start), _naive(end)]).fetchone()[0]


def _quarantine(con, check: SqlCheck, columns: list[str], start: datetime, end: datetime, run_id) -> Outcome:
    """Quarantine the offending rows' windows (per source), release the windows the check passes again."""
    column = check.quarantine_column
    for needed in ("window_start", column):
        if needed and needed not in columns:
            raise CheckFileError(f"{check.path}: a quarantining check must return a {needed} column")
    others = [c for c in columns if c not in ("window_start", column)] or ["window_start"]
    row_expr = ", ".join(f'"{c}"' for c in others)
    source_expr = f'"{column}"' if column else "?"
    per_window = con.execute(
        f"SELECT {source_expr} AS source, window_start, count(*), min(({row_expr})) FROM hubsignal_offending "
        "GROUP BY ALL", [] if column else [check.quarantine]).fetchall()
    failing: dict[str, dict] = {}
    for source, ws, n, first in per_window:
        values = (first,) if len(others) == 1 else tuple(first.values() if isinstance(first, dict) else first)
        failing.setdefault(source, {})[ws] = (_reason(others, values, n), n)
    sources = {check.quarantine} if not column else set(failing) | {
        s for (s,) in con.execute(  # sources of windows this check holds: they may pass now
            "SELECT DISTINCT source FROM meta.quarantine WHERE check_name = ? AND released_at IS NULL "
            "AND window_start >= ? AND window_start < ?", [check.name, start, end]).fetchall()}
    merged = Outcome()
    for source in sorted(sources):
        out = apply_check_outcome(con, source=source, check_name=check.name, start=start, end=end,
                                  failing=failing.get(source, {}), run_id=run_id)
        label = (lambda key: f"{source} {key}") if column else (lambda key: key)
        for name in ("new", "still", "overridden", "unlogged"):
            getattr(merged, name).update({label(k): v for k, v in getattr(out, name).items()})
        merged.released += [label(k) for k in out.released]
    return merged


def run_window(context) -> tuple[datetime, datetime]:
    """The run's window range; a run without partitions (a check launched alone) checks every window so far."""
    if context.has_partition_key or context.has_partition_key_range:
        tw = context.partition_time_window
        return tw.start, tw.end
    return parse_window_key(partitions_start()), window_floor(datetime.now(timezone.utc))


def _naive(ts: datetime) -> datetime:
    return ts.astimezone(timezone.utc).replace(tzinfo=None) if ts.tzinfo else ts


# ---------------------------------------------------------------------------------------- Dagster checks

def _sql_spec(check: SqlCheck) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        check.name, asset=check.asset_key, description=check.description, blocking=check.blocking,
        additional_deps=[dg.AssetKey(list(d)) for d in check.deps], partitions_def=windows,
        metadata={"sql_file": check.sql_file, "severity": check.severity,
                  **({"quarantines": check.quarantine} if check.quarantine else {})})


def _gx_spec(suite: gx_suites.Suite) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        f"gx_{suite.name}", asset=dg.AssetKey(list(suite.asset)), blocking=False, partitions_def=windows,
        description=f"great_expectations suite {suite.name}: {suite.description}",
        additional_deps=[dg.AssetKey(list(d)) for d in suite.deps],
        metadata={"suite": f"assets/quality/gx_suites.py:{suite.name}"})


def _crashed(name: str, asset_key: dg.AssetKey, blocking: bool, exc: Exception) -> dg.AssetCheckResult:
    """A check that could not run fails (and blocks if it is blocking) instead of hiding its neighbours' results."""
    return dg.AssetCheckResult(
        asset_key=asset_key, check_name=name, passed=False,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        description=f"could not run: {type(exc).__name__}: {exc}"[:2000])


def build_asset_checks(asset_key: dg.AssetKey, checks: list[SqlCheck], suites: list) -> dg.AssetChecksDefinition:
    """All checks of one asset in one step (one warehouse connection, one Dagster step per asset and run).

    Each check is still its own AssetCheckSpec: its own result, severity and blocking flag in the UI, and it can
    be run alone (the step evaluates only the selected checks).
    """
    @dg.multi_asset_check(
        name=f"checks__{'__'.join(asset_key.path)}",
        specs=[*(_sql_spec(c) for c in checks), *(_gx_spec(s) for s in suites)],
        can_subset=True,
        pool="duckdb",
    )
    def _checks(context: dg.AssetCheckExecutionContext, hubsignal: HubsignalResource):
        start, end = run_window(context)
        start, end = _naive(start), _naive(end)
        selected = {key.name for key in context.selected_asset_check_keys}
        settings = hubsignal.settings()
        batches = {}
        with open_warehouse(settings.warehouse) as con:
            for check in checks:
                if check.name not in selected:
                    continue
                try:
                    result = evaluate(con, check, start, end, run_id=context.run.run_id)
                except Exception as exc:  # a broken check file or query: fail it, keep the others
                    yield _crashed(check.name, asset_key, check.blocking, exc)
                    continue
                yield dg.AssetCheckResult(asset_key=asset_key, check_name=check.name, passed=result.passed,
                                          severity=result.severity, description=result.description(),
                                          metadata=result.metadata())
            for suite in suites:
                if f"gx_{suite.name}" in selected and settings.gx:
                    batches[suite.name] = gx_suites.load_batch(con, suite, start, end, settings.gx_max_rows)
        for suite in suites:  # validated after the warehouse is closed: GX takes seconds
            name = f"gx_{suite.name}"
            if name not in selected:
                continue
            if not settings.gx:
                yield dg.AssetCheckResult(asset_key=asset_key, check_name=name, passed=True,
                                          severity=dg.AssetCheckSeverity.WARN,
                                          description="skipped: HUBSIGNAL_GX is off", metadata={"skipped": True})
                continue
            try:
                report = gx_suites.validate(suite, *batches[suite.name], docs_root=settings.home / "quality")
            except Exception as exc:
                yield _crashed(name, asset_key, False, exc)
                continue
            yield dg.AssetCheckResult(asset_key=asset_key, check_name=name, passed=report.success,
                                      severity=dg.AssetCheckSeverity.WARN, description=report.description(),
                                      metadata=report.metadata())

    return _checks


def build_checks(asset_keys, checks_dir: Path = CHECKS_DIR) -> list[dg.AssetChecksDefinition]:
    """Every SQL check and every GX suite whose table is a registered asset, one step per checked asset.

    A SQL check naming an unregistered asset (or reading one) is an error naming the file; a GX suite for a
    table that does not exist (yet) is skipped (`gx_suites.active_suites`).
    """
    keys = set(asset_keys)
    checks = discover_checks(checks_dir)
    for check in checks:
        for table in (check.asset, *check.deps):
            if dg.AssetKey(list(table)) not in keys:
                raise CheckFileError(f"{check.path}: {'.'.join(table)} is not a registered asset")
    suites = gx_suites.active_suites(keys)
    assets = sorted({c.asset_key for c in checks} | {dg.AssetKey(list(s.asset)) for s in suites},
                    key=lambda k: k.path)
    return [build_asset_checks(key, [c for c in checks if c.asset_key == key],
                               [s for s in suites if dg.AssetKey(list(s.asset)) == key]) for key in assets]
