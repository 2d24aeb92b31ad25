"""LiveBench: load every configured release (~900 model rows x up to 23 tasks, synthesized) and compute the
averages. Prints one line per figure; ratios are measured in the same run.

    .venv/bin/python benchmarks/bench_livebench.py
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hubsignal import landing as lz  # noqa: E402
from hubsignal.livebench import categories_file, parse_livebench, table_file  # noqa: E402
from hubsignal.settings import DEFAULT_LIVEBENCH_RELEASES  # noqa: E402
from hubsignal.sources import LIVEBENCH  # noqa: E402
from hubsignal.sql_models import MODELS_DIR, load_model, materialize  # noqa: E402
from hubsignal.warehouse import open_warehouse  # noqa: E402
from hubsignal.windows import WINDOW, window_key  # noqa: E402
from tests.snapshot_runs import run_loader  # noqa: E402

MODELS_PER_RELEASE = 90
N_WINDOWS = 28  # a month of daily snapshots, loaded in one range
START = datetime(2026, 1, 10, 3, tzinfo=UTC)


def _u(*parts) -> float:
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big") / 2**64


def synth_files() -> dict[str, bytes]:
    """Every configured release: 18 tasks in 6 categories for the oldest, growing to 23 in 7 for the newest."""
    files = {}
    for i, release in enumerate(DEFAULT_LIVEBENCH_RELEASES):
        n_tasks = 18 + (5 * i) // (len(DEFAULT_LIVEBENCH_RELEASES) - 1)
        tasks = [f"task_{j:02d}_{i // 3}" for j in range(n_tasks)]
        n_categories = 6 if n_tasks < 23 else 7
        categories = {f"Category {c}": tasks[c::n_categories] for c in range(n_categories)}
        lines = ["model," + ",".join(tasks)]
        for m in range(MODELS_PER_RELEASE):
            cells = ["" if _u(i, m, t) < 0.01 else f"{100 * _u('s', i, m, t):.3f}" for t in tasks]
            lines.append(f"model-{m:03d}-{release}," + ",".join(cells))
        files[table_file(release)] = ("\r\n".join(lines) + "\r\n").encode()
        files[categories_file(release)] = json.dumps(categories, indent=4).encode()
    return files


def main() -> None:
    files = synth_files()
    with tempfile.TemporaryDirectory(prefix="bench_livebench_") as tmp:
        landing, warehouse = Path(tmp) / "landing", Path(tmp) / "warehouse.duckdb"
        starts = [START + k * WINDOW for k in range(N_WINDOWS)]
        for s in starts:
            lz.land_window(
                landing,
                "livebench",
                window_key(s),
                [lz.RawFile(n, b, 1) for n, b in files.items()],
                origin="imported",
                fetched_at=s + WINDOW,
            )
        n_rows = MODELS_PER_RELEASE * len(DEFAULT_LIVEBENCH_RELEASES)

        t0 = time.perf_counter()
        frame, _ = parse_livebench(lz.read_window(landing, "livebench", window_key(starts[0])), starts[0])
        t_parse = time.perf_counter() - t0

        def load(windows):
            t = time.perf_counter()
            run_loader(LIVEBENCH, windows, landing=landing, warehouse=warehouse)
            return time.perf_counter() - t

        t_one = load(starts[:1])
        t_all = load(starts)  # the first window is unchanged: N_WINDOWS - 1 new ones
        t_replay = load(starts)  # everything unchanged: fingerprints only

        t0 = time.perf_counter()
        with open_warehouse(warehouse) as con:
            for name in ("livebench_category_averages", "livebench_averages", "livebench_history"):
                materialize(con, load_model(MODELS_DIR / "staging" / f"{name}.sql"), starts[0], starts[-1] + WINDOW)
            n_avg = con.execute("SELECT count(*), count(global_average) FROM staging.livebench_averages").fetchone()
        t_views = time.perf_counter() - t0
        t0 = time.perf_counter()
        with open_warehouse(warehouse) as con:
            con.execute("CREATE TEMP TABLE a AS SELECT * FROM staging.livebench_averages")
            averages = con.execute("SELECT count(*) FROM a").fetchone()[0]
            t_avg = time.perf_counter() - t0
            t0 = time.perf_counter()
            n_hist = con.execute("SELECT count(*) FROM staging.livebench_history").fetchone()[0]
            t_hist = time.perf_counter() - t0
            total = con.execute("SELECT count(*) FROM raw.livebench_scores").fetchone()[0]

    per_window_all = t_all / (N_WINDOWS - 1)
    print(
        f"livebench parse 1 snapshot ({len(DEFAULT_LIVEBENCH_RELEASES)} releases, {n_rows} model rows, "
        f"{frame.height:,} cells): {t_parse:.3f} s"
    )
    print(f"livebench load 1 window (parse + one transaction): {t_one:.3f} s")
    print(
        f"livebench load {N_WINDOWS - 1} more windows in one range: {t_all:.3f} s "
        f"({per_window_all:.3f} s/window, {per_window_all / t_one:.2f}x the single window)"
    )
    print(
        f"livebench replay of {N_WINDOWS} unchanged windows (fingerprints only): {t_replay:.3f} s "
        f"({t_all / max(t_replay, 1e-9):.0f}x faster than loading them)"
    )
    print(
        f"livebench build staging views: {t_views:.3f} s; averages over {total:,} raw rows -> {averages} "
        f"(release, model) rows ({n_avg[1]} with a global average): {t_avg:.3f} s"
    )
    print(f"livebench history view ({n_hist:,} change rows): {t_hist:.3f} s")


if __name__ == "__main__":
    main()
