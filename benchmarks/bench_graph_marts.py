"""Benchmark: the whole-Hub graph's walk, marts and anomaly check on one big window. Prints one line per figure,
each measured in this run.

An N-model whole-Hub dump (SYNTHETIC, tests/fakes/fake_whole_hub.py: trees, merges, self-loops, 2-cycles, dead
parents; the same data as benchmarks/bench_graph.py) is imported and its window built by the real job
(`import_paths` + `run_windows`, offline). Then, on that warehouse, each graph SQL model is rebuilt for the
window through the factory's own materialize(), and the warn check hub_graph_anomalies is evaluated, each
timed (best of --repeats).

    .venv/bin/python benchmarks/bench_graph_marts.py                    # 1M models (the check's target)
    .venv/bin/python benchmarks/bench_graph_marts.py --models 200000
"""

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

GRAPH_MODELS = (
    "staging.family_derivative_reach",
    "marts.family_derivative_tree",
    "marts.family_derivative_relations",
    "marts.family_derivative_publishers",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import os

    from bench_graph import _import_and_load, _write_dump

    from hubsignal.quality.sql_checks import CHECKS_DIR, load_check
    from hubsignal.sql_models import MODELS_DIR, bind_window, load_model, materialize
    from hubsignal.warehouse import open_warehouse
    from hubsignal.windows import WINDOW, latest_closed_window, window_key

    os.environ.update({"HUBSIGNAL_OFFLINE": "1", "HUBSIGNAL_GX": "off", "HF_HUB_DISABLE_TELEMETRY": "1"})
    os.environ.pop("DAGSTER_HOME", None)
    start = latest_closed_window() - timedelta(hours=6)
    with tempfile.TemporaryDirectory(prefix="bench-graph-marts-") as tmp:
        t0 = time.perf_counter()
        dump = _write_dump(Path(tmp) / f"dump-{args.models}.parquet", args.models, start + timedelta(hours=1))
        print(f"synthesized a {args.models:,}-model dump in {time.perf_counter() - t0:.1f} s")
        built = _import_and_load(Path(tmp), dump, window_key(start))
        print(f"import {built['import_s']:.1f} s + the whole job over its window {built['run_s']:.1f} s")
        end = start + WINDOW
        with open_warehouse(built["settings"].warehouse) as con:
            window = start.replace(tzinfo=None)
            n_edges = con.execute(
                "SELECT count(*) FROM staging.hub_graph_edges WHERE window_start = ?", [window]
            ).fetchone()[0]
            n_tree = con.execute("SELECT count(*) FROM staging.family_derivative_reach").fetchone()[0]
            print(
                f"window {window_key(start)}: {args.models:,} models, {n_edges:,} declared edges, {n_tree:,} tree rows"
            )
            for table in GRAPH_MODELS:
                model = load_model(MODELS_DIR / table.split(".")[0] / f"{table.split('.')[1]}.sql")
                best = min(_timed(lambda m=model: materialize(con, m, start, end)) for _ in range(args.repeats))
                print(f"{table} (one window, best of {args.repeats}): {best:.2f} s")
            check = load_check(CHECKS_DIR / "hub_graph_anomalies.sql")
            sql = bind_window(check.sql, start, end)
            rows: list = []
            best = min(_timed(lambda: rows.append(con.execute(sql).fetchall())) for _ in range(args.repeats))
            counts = dict(zip(("self-loops", "models on cycles", "dead-parent edges"), rows[-1][0][1:4], strict=True))
            print(f"check hub_graph_anomalies (one window, best of {args.repeats}): {best:.2f} s; found {counts}")
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
