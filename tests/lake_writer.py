"""A writer process for the DuckLake tests (python -m tests.lake_writer): loads synthetic windows of
raw.hub_children_counts into HUBSIGNAL_WAREHOUSE with the production loader, one transaction per window, and
replaces a view each time (as every run's view models do), so two such processes conflict for real.
--hang: print INSIDE from within the first window's transaction, then wait to be killed."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import datetime, timedelta

import pyarrow as pa

from hubsignal.settings import Settings
from hubsignal.warehouse import LogRow, atomically, open_warehouse, replace_windows
from hubsignal.windows import window_key

FIRST = datetime(2026, 10, 1, 3)
ROWS_PER_WINDOW = 300


def window_rows(i: int) -> tuple[datetime, pa.Table]:
    ws = FIRST + timedelta(hours=6 * i)
    n = ROWS_PER_WINDOW
    return ws, pa.table(
        {
            "window_start": [ws] * n,
            "snapshot_ts": [ws] * n,
            "model_id": [f"org/model-{j}" for j in range(n)],
            "relation": ["finetune"] * n,
            "n_children": [i * 1000 + j for j in range(n)],
            "origin": ["synthetic_sample"] * n,
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("windows", type=int, nargs="+")
    parser.add_argument("--hang", action="store_true")
    args = parser.parse_args()
    retries = []
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("hubsignal.warehouse").addFilter(lambda record: retries.append(record) or True)

    def hang(_con) -> None:
        print("INSIDE", flush=True)
        time.sleep(600)

    with open_warehouse(Settings.from_env().warehouse) as con:
        for i in args.windows:
            ws, rows = window_rows(i)
            log = LogRow("hub_children_counts", ws, window_key(ws), "observed", "synthetic_sample", rows.num_rows, 1)
            replace_windows(con, "raw.hub_children_counts", [ws], rows, [log], also=hang if args.hang else None)
            atomically(
                con,
                lambda c: c.execute(
                    "CREATE OR REPLACE VIEW meta.writer_probe AS SELECT count(*) AS n FROM raw.hub_children_counts"
                ),
                "meta.writer_probe",
            )
    print(f"RETRIES {len(retries)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
