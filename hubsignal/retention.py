"""Retention of the whole-Hub graph (docs/hub-graph.md "Retention"): the landing zone stays the source of truth,
the warehouse keeps a horizon.

- Landing compaction: a crawled `hub_graph` window (`page-NNNNN.json.gz` pages) older than
  HUBSIGNAL_GRAPH_COMPACT_AFTER_DAYS becomes one `models.parquet` (zstd, the API's field names: the file an
  imported dump lands, which the loader reads). Its manifest keeps every page's provenance (url, fetched_at,
  sha256 of the body as received) and the new file's sha256. The file is written beside the pages and checked
  against them (row count and every value) before one atomic manifest swap (hubsignal/landing.py); a killed
  compaction leaves the old or the new window, and the next one removes the leftovers.
- Warehouse retention: raw.hub_graph_models rows of windows older than HUBSIGNAL_GRAPH_RETAIN_DAYS are pruned
  (`prune_graph_windows`, the one place that deletes them); the marts keep their rows. meta.snapshot_log marks
  a pruned window's fingerprint, so `hubsignal backfill` of its range reloads it from the landing zone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from hubsignal import landing as lz
from hubsignal.hub import graph
from hubsignal.values import naive_utc
from hubsignal.windows import WINDOW, parse_window_key

# Compactions per pipeline run (each ~seconds at 2M models): a first run over a long history catches up over
# a few runs instead of holding the warehouse step for hours; `hubsignal compact` has no limit.
COMPACT_PER_RUN = 8
# Memory DuckDB may use while compacting one window (it spills to a temporary folder beyond it).
COMPACT_MEMORY_LIMIT = "1GB"


class CompactionMismatch(lz.LandingError):
    """The written Parquet file does not hold exactly the pages' records: nothing was swapped."""


@dataclass
class RetentionReport:
    compacted: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (bytes before, bytes after)
    not_compacted: dict[str, str] = field(default_factory=dict)  # key -> why (damaged, mismatch, ...)
    cleaned: dict[str, list[str]] = field(default_factory=dict)  # key -> leftovers of a killed compaction removed
    pruned: list[str] = field(default_factory=list)
    not_pruned: dict[str, str] = field(default_factory=dict)  # key -> why (the landing zone could not rebuild it)
    rows_pruned: int = 0
    locked: bool = False  # another process was compacting: this run left the landing zone alone

    def lines(self) -> list[str]:
        before = sum(b for b, _ in self.compacted.values())
        after = sum(a for _, a in self.compacted.values())
        out = []
        if self.locked:
            out.append("hub_graph: another compaction is running; landing zone left alone")
        for key, names in sorted(self.cleaned.items()):
            out.append(f"hub_graph {key}: removed what a killed compaction left: {', '.join(names)}")
        if self.compacted:
            out.append(
                f"hub_graph: compacted {len(self.compacted)} window(s) ({', '.join(sorted(self.compacted)[:5])}"
                f"{' …' if len(self.compacted) > 5 else ''}): {before:,} -> {after:,} bytes"
            )
        for key, why in sorted(self.not_compacted.items()):
            out.append(f"hub_graph {key}: not compacted: {why}")
        for key, why in sorted(self.not_pruned.items()):
            out.append(f"hub_graph {key}: not pruned: {why}")
        if self.pruned:
            out.append(
                f"hub_graph: pruned {self.rows_pruned:,} raw.hub_graph_models rows of {len(self.pruned)} window(s) "
                f"({self.pruned[0]} .. {self.pruned[-1]}); `hubsignal backfill` of their range reloads them"
            )
        return out or ["hub_graph: nothing to compact or prune"]

    def metadata(self) -> dict:
        return {
            "graph_windows_compacted": len(self.compacted),
            "graph_windows_not_compacted": "; ".join(f"{k}: {v}" for k, v in self.not_compacted.items()) or "none",
            "graph_windows_pruned": len(self.pruned),
            "graph_rows_pruned": self.rows_pruned,
            "graph_windows_not_pruned": "; ".join(f"{k}: {v}" for k, v in self.not_pruned.items()) or "none",
        }


def is_compactable(manifest: dict) -> bool:
    """A crawled window still in pages (an imported dump is one Parquet file already)."""
    files = [entry["file"] for entry in manifest.get("files", [])]
    return not manifest.get(lz.COMPACTED) and bool(files) and all(name.endswith(".json.gz") for name in files)


def compact_graph_window(landing: Path, key: str, *, now: datetime) -> tuple[int, int] | None:
    """Compact one landed hub_graph window (call under the compaction lock: `apply_retention` takes it);
    (bytes before, bytes after), or None when it holds no pages. Raises LandingError (naming the file) when a
    page changed since landing, CompactionMismatch when the file written is not the pages' records."""
    folder = lz.window_dir(landing, graph.SOURCE, key)
    manifest, pages = lz.verify_window(landing, graph.SOURCE, key)  # every page against its sha256
    if not is_compactable(manifest):
        return None
    written = lz.compact_temp_path(folder, ".parquet")
    listed_records = sum(entry["n_records"] for entry in manifest["files"])
    with tempfile.TemporaryDirectory(prefix="hubsignal-compact-") as spill:
        con = duckdb.connect()  # ~1.2 GB peak RSS at 2M models (benchmarks/bench_retention.py)
        try:
            con.execute("SET enable_progress_bar = false")  # a long compaction would draw it on stdout
            con.execute(f"SET memory_limit = '{COMPACT_MEMORY_LIMIT}'")
            con.execute("SET temp_directory = ?", [spill])
            columns = ", ".join(f'"{c}"' for c in graph.API_COLUMNS)
            # The pages parsed once, every record as listed (createdAt too); then the records the loader keeps
            # (graph.FIRST_LISTING: a model listed twice keeps its first listing; a record without an id is never
            # loaded).
            con.execute(f"CREATE TABLE listed AS SELECT {columns}, filename FROM {graph.landed_relation(pages)}")
            (listed,) = con.execute("SELECT count(*) FROM listed").fetchone()
            con.execute(
                f"CREATE TABLE kept AS SELECT {columns} FROM listed QUALIFY id IS NOT NULL AND {graph.FIRST_LISTING}"
            )
            con.execute("DROP TABLE listed")
            (kept,) = con.execute("SELECT count(*) FROM kept").fetchone()
            if listed != listed_records:
                raise CompactionMismatch(
                    f"{folder}: the pages hold {listed} records, the manifest says {listed_records}"
                )
            con.execute(
                f"COPY (SELECT {columns} FROM kept ORDER BY id) TO '{written}' "
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
            )
            lz.fsync_path(written)
            # Every row, every value: the file against the pages' records, joined on the id (unique in both:
            # FIRST_LISTING kept one listing per id; a row written twice shows in the count).
            same = " AND ".join(f'k."{c}" IS NOT DISTINCT FROM p."{c}"' for c in graph.API_COLUMNS)
            differ = con.execute(
                f"SELECT count(*) FILTER (WHERE k.id IS NULL OR p.id IS NULL OR NOT ({same})), count(p.id) "
                "FROM kept AS k FULL JOIN read_parquet(?) AS p ON k.id = p.id",
                [str(written)],
            ).fetchone()
            if differ != (0, kept):
                raise CompactionMismatch(
                    f"{written}: {differ[0]} record(s) differ from the pages ({differ[1]} rows written, {kept} kept)"
                )
        except BaseException:
            written.unlink(missing_ok=True)
            raise
        finally:
            con.close()
    data_sha = lz.sha256_file(written)
    after = written.stat().st_size
    compacted_manifest = {
        **{k: v for k, v in manifest.items() if k not in ("files", "record_count")},
        "record_count": kept,
        "files": [
            {
                "file": graph.PARQUET_FILE,
                "sha256": data_sha,
                "bytes": after,
                "n_records": kept,
                "url": None,
                "http_status": None,
                "fetched_at": manifest["fetched_at"],
            }
        ],
        lz.COMPACTED: {
            "at": now.isoformat(),
            # The load identity (lz.load_identity): same records, so the warehouse does not reload the window.
            "manifest_sha256": lz.load_identity(landing, graph.SOURCE, key),
            "record_count": listed_records,
            # Records listed twice (the first listing kept, as the loader keeps it) or without an id.
            "records_not_kept": listed_records - kept,
            "columns": list(graph.API_COLUMNS),
            # Every page's provenance: file, url, fetched_at, http_status, n_records, sha256 of its gzip file and
            # received_sha256, the sha256 of the body as received.
            "pages": manifest["files"],
        },
    }
    before = sum(entry["bytes"] for entry in manifest["files"])
    lz.swap_window_files(folder, written, graph.PARQUET_FILE, compacted_manifest)
    return before, after


def compact_graph_windows(
    landing: Path,
    *,
    older_than: datetime,
    now: datetime,
    limit: int | None = None,
    report: RetentionReport | None = None,
    log: Callable[[str], None] = print,
) -> RetentionReport:
    """Compact every crawled hub_graph window that ended before `older_than` (at most `limit`), after removing
    what killed compactions left. Windows being crawled (`.partial-*`) are not landed windows: never touched."""
    report = report or RetentionReport()
    with lz.SourceLock(landing, graph.SOURCE, "compact") as lock:
        if not lock.acquired:
            report.locked = True
            return report
        for key in lz.landed_keys(landing, graph.SOURCE):
            removed = lz.remove_unlisted_files(lz.window_dir(landing, graph.SOURCE, key))
            if removed:
                report.cleaned[key] = removed
        for key in lz.landed_keys(landing, graph.SOURCE):
            if limit is not None and len(report.compacted) >= limit:
                break
            if _window_end(key) > older_than:
                continue
            try:
                sizes = compact_graph_window(landing, key, now=now)
            except (lz.LandingError, duckdb.Error) as exc:  # the window stays as landed; verify names a damaged file
                report.not_compacted[key] = str(exc)
                continue
            if sizes is not None:
                report.compacted[key] = sizes
                log(f"hub_graph {key}: compacted {sizes[0]:,} -> {sizes[1]:,} bytes")
    return report


def prune_graph_windows(con: duckdb.DuckDBPyConnection, window_starts: list[datetime], *, note: str) -> int:
    """THE pruning of the graph's raw rows (every table the graph's loader fills): delete the windows' rows from
    raw.hub_graph_models, take them out of the edge intervals (raw.hub_graph_edges), and mark their
    meta.snapshot_log fingerprints (lz.PRUNED_PREFIX) so a run covering them reloads them from the landing zone;
    their status, counts and loaded_at stay (the marts keep the rows built from them). One transaction. Returns
    the rows deleted."""
    starts = [naive_utc(w) for w in window_starts]
    if not starts:
        return 0
    con.execute("BEGIN TRANSACTION")
    try:
        (rows,) = con.execute(
            f"SELECT count(*) FROM {graph.TABLE} WHERE window_start IN (SELECT unnest(?))", [starts]
        ).fetchone()
        con.execute(f"DELETE FROM {graph.TABLE} WHERE window_start IN (SELECT unnest(?))", [starts])
        for start in sorted(starts):  # the edge intervals close over the remaining loaded windows
            graph.drop_window_edges(con, start)
        con.execute(
            # meta.window_loads: the table behind the meta.snapshot_log view (an UPDATE keeps loaded_at, so the
            # window is not "loaded after its last build" in `hubsignal status`).
            "UPDATE meta.window_loads SET load_fingerprint = ? || load_fingerprint, "
            "message = ? || coalesce('; ' || message, '') "
            "WHERE source = ? AND window_start IN (SELECT unnest(?))",
            [lz.PRUNED_PREFIX, note, graph.SOURCE, starts],
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return rows


def prune_old_graph_windows(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    *,
    horizon: datetime,
    keep: tuple[datetime, datetime] | None = None,
    retain_days: float,
    report: RetentionReport | None = None,
) -> RetentionReport:
    """Prune the loaded hub_graph windows that ended before `horizon`, except those in `keep` (first, last window
    start: the run's own range, whose marts are built from these rows) and those the landing zone could not
    rebuild (not landed, or a file changed since landing)."""
    report = report or RetentionReport()
    candidates = con.execute(
        "SELECT window_start, window_key FROM meta.snapshot_log WHERE source = ? AND is_accepted(status) "
        "AND NOT starts_with(coalesce(load_fingerprint, ''), ?) AND window_start + ? <= ? ORDER BY window_start",
        [graph.SOURCE, lz.PRUNED_PREFIX, WINDOW, naive_utc(horizon)],
    ).fetchall()
    starts, keys = [], []
    for start, key in candidates:
        if keep and naive_utc(keep[0]) <= start <= naive_utc(keep[1]):
            continue
        if not lz.is_landed(landing, graph.SOURCE, key) or lz.file_problems(landing, graph.SOURCE, key):
            report.not_pruned[key] = "not landed, or a landed file changed since landing (see `hubsignal verify`)"
            continue
        starts.append(start)
        keys.append(key)
    note = f"raw rows pruned by retention (HUBSIGNAL_GRAPH_RETAIN_DAYS={retain_days:g}); a backfill reloads them"
    report.rows_pruned += prune_graph_windows(con, starts, note=note)
    report.pruned += keys
    return report


def apply_retention(
    settings,
    *,
    now: datetime,
    keep: tuple[datetime, datetime] | None = None,
    compact_limit: int | None = None,
    log: Callable[[str], None] = print,
) -> RetentionReport:
    """Both policies of `settings` (HUBSIGNAL_GRAPH_COMPACT_AFTER_DAYS, HUBSIGNAL_GRAPH_RETAIN_DAYS; 0 = never):
    compaction of the landing zone, then pruning of the warehouse. The warehouse's write connection is held
    throughout (a DuckDB file's lock; in a run, the duckdb pool): no load reads a window while its files are
    swapped. `keep`: the run's own range, never pruned (its marts are built from these rows)."""
    from hubsignal.warehouse import open_warehouse, warehouse_exists

    report = RetentionReport()
    if not (settings.graph_compact_after_days or settings.graph_retain_days):
        return report
    with ExitStack() as stack:
        con = stack.enter_context(open_warehouse(settings.warehouse)) if warehouse_exists(settings.warehouse) else None
        if settings.graph_compact_after_days:
            compact_graph_windows(
                settings.landing,
                older_than=now - timedelta(days=settings.graph_compact_after_days),
                now=now,
                limit=compact_limit,
                report=report,
                log=log,
            )
        if settings.graph_retain_days and con is not None:
            prune_old_graph_windows(
                con,
                settings.landing,
                horizon=now - timedelta(days=settings.graph_retain_days),
                keep=keep,
                retain_days=settings.graph_retain_days,
                report=report,
            )
    return report


def _window_end(key: str) -> datetime:
    return parse_window_key(key) + WINDOW
