"""SQL checks: every `sql/checks/<name>.sql` is one SELECT returning the offending rows (zero rows = pass),
under a header of `-- key: value` comment lines:

    -- asset: raw.hub_models          the table it checks
    -- severity: error                error = blocking: a failure stops what is downstream of `asset` in the
                                      same run; warn = reported, nothing stops
    -- quarantine: hub_models         optional, error checks only: every window (`window_start` column of the
                                      offending rows) of this meta.snapshot_log source is quarantined;
                                      `column <name>`: the source is that column of each offending row
    -- description: one line shown in the UI
    -- reads: staging.families         optional: tables the SELECT reads through a macro (sqlglot cannot see
                                      them), so the check runs after them

`$window_start` / `$window_end` are bound to the run's window range, exactly as in SQL models. Other
`raw.`/`staging.`/`marts.` tables the SELECT reads are the check's additional dependencies. A quarantining check
must read the raw tables (not the staging views, which hide quarantined windows) and evaluate every window of
the range: a window it passes is released (hubsignal/quality/quarantine.py).

The Dagster asset checks built from these files are in hubsignal/quality/sql_checks.py.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from hubsignal.quality.quarantine import Outcome, apply_check_outcome
from hubsignal.reports import Markdown, markdown_table, short_cell
from hubsignal.settings import SQL_DIR
from hubsignal.sql_models import WAREHOUSE_LAYERS, bind_window, read_select
from hubsignal.values import naive_utc
from hubsignal.windows import WINDOW, window_key

CHECKS_DIR = SQL_DIR / "checks"
SEVERITIES = ("error", "warn")
HEADER_KEYS = {"asset", "severity", "quarantine", "description", "reads"}
EXAMPLES = 5  # example rows shown in the metadata
_HEADER_LINE = re.compile(r"^--\s*([A-Za-z_]+)\s*:\s*(.*?)\s*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


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
    def sql_file(self) -> str:
        return (
            str(self.path.relative_to(SQL_DIR.parent)) if self.path.is_relative_to(SQL_DIR.parent) else str(self.path)
        )


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
    reads = set(read_select(path, sql, "a check (the offending rows)", CheckFileError))
    for name in filter(None, (n.strip() for n in header.get("reads", "").split(","))):  # read through a macro
        declared_layer, _, declared_table = name.partition(".")
        if declared_layer not in WAREHOUSE_LAYERS or not declared_table:
            raise CheckFileError(f"{path}: reads {name!r} is not <raw|staging|marts>.<table>")
        reads.add((declared_layer, declared_table))
    return SqlCheck(
        path,
        path.stem,
        (layer, table),
        severity,
        header["description"],
        quarantine,
        sql,
        tuple(sorted(reads - {(layer, table)})),
    )


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
    def severity(self) -> str:
        """error only for a blocking failure that is not already contained by quarantine or an override."""
        if self.passed or not self.check.blocking:
            return self.check.severity
        if self.outcome is not None and not self.outcome.unlogged and (not self.outcome.new or self.clean_windows):
            # Contained: every offending window is quarantined (now or before) or released, and staging keeps
            # only observed/imported windows. A range run goes on for its good windows (one bad window must
            # not stop a backfill); a run left with no good window at all stops what is downstream.
            return "warn"
        return "error"

    def description(self) -> str:
        if self.passed:
            return f"passed: no offending rows ({self.check.description})"
        text = f"{self.offending} offending row(s): {self.check.description}"
        o = self.outcome
        if o is not None:
            parts = [
                f"quarantined {', '.join(o.new)}" if o.new else "",
                f"still quarantined {', '.join(o.still)}" if o.still else "",
                f"released by override {', '.join(o.overridden)}" if o.overridden else "",
            ]
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
            meta["examples"] = Markdown(markdown_table(self.columns, self.examples))
        if self.outcome is not None:
            o = self.outcome
            for label, items in (
                ("quarantined_now", o.new),
                ("still_quarantined", o.still),
                ("overridden", o.overridden),
                ("not_in_snapshot_log", o.unlogged),
            ):
                if items:
                    meta[label] = Markdown("\n".join(f"- {k}: {v}" for k, v in items.items()))
            meta["released"] = ", ".join(o.released) or "none"
        return meta


def _reason(columns: list[str], row: tuple, n: int) -> str:
    shown = ", ".join(f"{c}={short_cell(v, 40)}" for c, v in zip(columns, row) if c != "window_start")
    return f"{n} offending row(s), e.g. {shown}"


def evaluate(
    con: duckdb.DuckDBPyConnection, check: SqlCheck, start: datetime, end: datetime, run_id: str | None = None
) -> CheckRun:
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
    sources = (
        [check.quarantine]
        if not check.quarantine_column
        else [
            s
            for (s,) in con.execute(
                "SELECT DISTINCT source FROM meta.quarantine WHERE check_name = ?", [check.name]
            ).fetchall()
        ]
    )
    if not sources:
        return 0
    return con.execute(
        "SELECT count(*) FROM meta.accepted_windows WHERE source IN (SELECT unnest(?)) "
        "AND window_start >= ? AND window_start < ?",
        [sources, naive_utc(start), naive_utc(end)],
    ).fetchone()[0]


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
        "GROUP BY ALL",
        [] if column else [check.quarantine],
    ).fetchall()
    failing: dict[str, dict] = {}
    for source, ws, n, first in per_window:
        values = (first,) if len(others) == 1 else tuple(first.values() if isinstance(first, dict) else first)
        failing.setdefault(source, {})[ws] = (_reason(others, values, n), n)
    sources = (
        {check.quarantine}
        if not column
        else set(failing)
        | {
            s
            for (s,) in con.execute(  # sources of windows this check holds: they may pass now
                "SELECT DISTINCT source FROM meta.quarantine WHERE check_name = ? AND released_at IS NULL "
                "AND window_start >= ? AND window_start < ?",
                [check.name, start, end],
            ).fetchall()
        }
    )
    merged = Outcome()
    for source in sorted(sources):
        out = apply_check_outcome(
            con,
            source=source,
            check_name=check.name,
            start=start,
            end=end,
            failing=failing.get(source, {}),
            run_id=run_id,
        )
        label = (lambda key: f"{source} {key}") if column else (lambda key: key)
        for name in ("new", "still", "overridden", "unlogged"):
            getattr(merged, name).update({label(k): v for k, v in getattr(out, name).items()})
        merged.released += [label(k) for k in out.released]
    return merged
