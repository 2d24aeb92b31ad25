"""Benchmark: the whole-Hub graph's retention (docs/hub-graph.md "Retention"). Prints one line per figure, each
measured in this run.

1. Landing bytes of one crawled window (`page-NNNNN.json.gz` pages of 1,000 models, as the crawl lands them,
   plus the manifest) before and after compaction into one `models.parquet` (zstd), per model, the time the
   compaction takes (write, check against the pages, swap), and whether reloading the compacted window gives
   the same raw rows (tests/checksum.py).
2. Warehouse bytes of one window (raw.hub_graph_models), and whether pruning a window lets the next window
   reuse its space (a DuckDB file never shrinks; freed blocks are reused).
3. Per year (1,460 windows) at 2M models: landing all pages, landing with compaction after 7 days, warehouse
   all windows, warehouse with a 90-day horizon.

SYNTHETIC data: tests/fakes/fake_whole_hub.py (the records the fake Hub lists), deterministic.

    .venv/bin/python benchmarks/bench_retention.py                    # 200k models
    .venv/bin/python benchmarks/bench_retention.py --models 1000000   # the 1M figure of docs/hub-graph.md
"""

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WINDOWS_PER_YEAR = 4 * 365
TARGET_MODELS = 2_000_000


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def _land_pages(landing: Path, key: str, models: list[dict], page_size: int) -> None:
    from hubsignal import landing as lz
    from hubsignal.hub import graph

    fetched = datetime.now(UTC)
    pages = [models[i : i + page_size] for i in range(0, len(models), page_size)]
    with lz.PartialWindow(landing, graph.SOURCE, key) as partial:
        for i, page in enumerate(pages, 1):
            body = json.dumps(page, separators=(",", ":")).encode()  # as the fake Hub serves it
            url = f"http://127.0.0.1/api/models?sort=createdAt&cursor={i}"
            partial.add_page(lz.RawFile("page", body, len(page), url, 200, fetched), None if i == len(pages) else url)
        partial.complete(origin="live", fetched_at=fetched)


def _load(warehouse: Path, landing: Path, key: str) -> None:
    from hubsignal import landing as lz
    from hubsignal.hub import graph
    from hubsignal.warehouse import open_warehouse, transaction
    from hubsignal.windows import parse_window_key

    with open_warehouse(warehouse) as con, transaction(con):
        _, paths = lz.verify_window(landing, graph.SOURCE, key)
        graph.load_window(con, paths, parse_window_key(key))


_COMPACT = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from hubsignal.retention import compact_graph_window
started = time.perf_counter()
compact_graph_window(Path(sys.argv[1]), sys.argv[2], now=datetime.now(UTC))
took = time.perf_counter() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so it would count the forking benchmark's memory.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(took, peak_kb / 1024)
"""


def _compact_in_a_process(landing: Path, key: str) -> tuple[float, float]:
    """The compaction alone, in its own process: (seconds, peak RSS in MB of that process)."""
    import os
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run(
        [sys.executable, "-c", _COMPACT, str(landing), key], env=env, check=True, capture_output=True, text=True
    )
    took, rss = out.stdout.splitlines()[-1].split()
    return float(took), float(rss)


def _raw_checksum(warehouse: Path):
    import duckdb

    from tests.checksum import checksum_of

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return checksum_of(con, "raw", "hub_graph_models", volatile=())
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=200_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()

    from hubsignal import landing as lz
    from hubsignal.hub import graph
    from hubsignal.retention import prune_graph_windows
    from hubsignal.warehouse import open_warehouse
    from hubsignal.windows import WINDOW, parse_window_key, window_key
    from tests.fakes.fake_whole_hub import whole_hub_models

    n = args.models
    models = whole_hub_models(n, seed=n)
    first = parse_window_key("2026-01-01-03:00")
    keys = [window_key(first + i * WINDOW) for i in range(3)]
    with tempfile.TemporaryDirectory(prefix="bench-retention-") as tmp:
        root = Path(tmp)
        landing = root / "landing"
        _land_pages(landing, keys[0], models, args.page_size)
        folder = lz.window_dir(landing, graph.SOURCE, keys[0])
        pages_bytes = _bytes(folder)
        n_pages = len(list(folder.glob("page-*.json.gz")))

        warehouse = root / "w.duckdb"
        _load(warehouse, landing, keys[0])
        rows_from_pages = _raw_checksum(warehouse)
        one_window = warehouse.stat().st_size

        took, rss_mb = _compact_in_a_process(landing, keys[0])
        parquet_bytes = _bytes(folder)
        reloaded = root / "reloaded.duckdb"
        _load(reloaded, landing, keys[0])
        same = _raw_checksum(reloaded) == rows_from_pages

        # Pruning: window 1 loaded beside window 0, window 0 pruned, window 2 loaded: does the file grow?
        for key in keys[1:]:
            (landing / graph.SOURCE / key).mkdir(parents=True)
            for p in folder.iterdir():
                (landing / graph.SOURCE / key / p.name).symlink_to(p)
        _load(warehouse, landing, keys[1])
        two_windows = warehouse.stat().st_size
        with open_warehouse(warehouse) as con:
            prune_graph_windows(con, [first], note="bench")
            con.execute("CHECKPOINT")
        _load(warehouse, landing, keys[2])
        after_prune = warehouse.stat().st_size

    per_model_pages = pages_bytes / n
    per_model_parquet = parquet_bytes / n
    per_model_wh = one_window / n
    year = WINDOWS_PER_YEAR * TARGET_MODELS
    compact_after = int(timedelta(days=7) / WINDOW)
    horizon = int(timedelta(days=90) / WINDOW)
    gb = 1e9
    print(f"graph retention, {n:,} synthetic models, pages of {args.page_size} ({n_pages} pages)")
    print(
        f"landing per window, pages (gzip json) + manifest: {pages_bytes / 1e6:.1f} MB ({per_model_pages:.1f} B/model)"
    )
    print(
        f"landing per window, compacted (models.parquet zstd) + manifest: {parquet_bytes / 1e6:.1f} MB "
        f"({per_model_parquet:.1f} B/model), {pages_bytes / parquet_bytes:.2f}x smaller"
    )
    print(f"compaction (write, check against the pages, swap): {took:.1f} s, peak RSS {rss_mb:.0f} MB (own process)")
    print(f"reloading the compacted window gives the same raw rows: {'yes' if same else 'NO'}")
    print(
        f"warehouse per window (raw.hub_graph_models, file growth): {one_window / 1e6:.1f} MB ({per_model_wh:.1f} B/model)"
    )
    print(
        f"warehouse file: 2 windows {two_windows / 1e6:.1f} MB; 1 pruned + 1 more loaded {after_prune / 1e6:.1f} MB "
        f"(freed space reused: {'yes' if after_prune <= two_windows * 1.1 else 'no'})"
    )
    print(
        f"per year at 2M models (1,460 windows): landing all pages {per_model_pages * year / gb:.0f} GB, "
        f"compacted after 7 days {(per_model_pages * compact_after + per_model_parquet * (WINDOWS_PER_YEAR - compact_after)) * TARGET_MODELS / gb:.0f} GB; "
        f"warehouse all windows {per_model_wh * year / gb:.0f} GB, 90-day horizon {per_model_wh * horizon * TARGET_MODELS / gb:.0f} GB"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
