"""Small, hand-checkable warehouse states for the quality tests (checks, quarantine, anomalies).

Six models in three families; window k (0-based, 6-hour windows from W0) has, for every model,
downloads_all_time = base + k * gain and downloads_30d = 10 * gain (steady growth), all windows observed.
Tests then break one window on purpose.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from hubsignal.families import load_families
from hubsignal.settings import DEFAULT_FAMILIES_FILE
from hubsignal.warehouse import LogRow, open_warehouse, transaction, write_log
from hubsignal.windows import window_key

W0 = datetime(2026, 10, 1, 3, 0)  # naive UTC, a window start
STEP = timedelta(hours=6)

# model -> (all-time downloads at window 0, gain per window)
MODELS = {
    "Qwen/Qwen3-8B": (10_000, 400),
    "Qwen/Qwen3-0.6B": (8_000, 300),
    "Qwen/Qwen2.5-7B-Instruct": (20_000, 500),
    "Qwen/Qwen3-8B-GGUF": (1_000, 100),
    "meta-llama/Llama-3.1-8B": (30_000, 200),
    "google/gemma-3-4b-it": (5_000, 150),
    "google/flan-t5-base": (90_000, 900),  # not Gemma (include pattern): never in a family
}


def w(k: int) -> datetime:
    return W0 + k * STEP


def hub_row(k: int, model_id: str, **overrides) -> dict:
    base, gain = MODELS[model_id]
    row = {
        "window_start": w(k),
        "snapshot_ts": w(k + 1) + timedelta(minutes=3),
        "org": model_id.split("/")[0],
        "model_id": model_id,
        "author": model_id.split("/")[0],
        "downloads_30d": 10 * gain,
        "downloads_all_time": base + k * gain,
        "likes": 10,
        "created_at": datetime(2025, 1, 1),
        "gated": "false",
        "origin": "synthetic_sample",
    }
    row.update(overrides)
    return row


def hub_rows(windows, models=MODELS) -> list[dict]:
    return [hub_row(k, m) for k in windows for m in models]


def insert(con, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    con.register("fixture_rows", pa.Table.from_pylist(rows))
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM fixture_rows")
    finally:
        con.unregister("fixture_rows")


def log_windows(con, source: str, windows, status: str = "observed", origin: str = "synthetic_sample") -> None:
    write_log(
        con,
        [
            LogRow(
                source, w(k), window_key(w(k)), status, origin=origin, n_records=1, load_fingerprint=f"fp-{source}-{k}"
            )
            for k in windows
        ],
    )


def build(home: Path, n_windows: int = 10, rows: list[dict] | None = None) -> Path:
    """A warehouse with staging.families, raw.hub_models for windows 0..n-1 (all observed)."""
    path = home / "warehouse.duckdb"
    with open_warehouse(path) as con, transaction(con):
        con.register("families_batch", load_families(DEFAULT_FAMILIES_FILE).to_frame().to_arrow())
        con.execute("CREATE OR REPLACE TABLE staging.families AS SELECT * FROM families_batch")
        con.unregister("families_batch")
        insert(con, "raw.hub_models", hub_rows(range(n_windows)) if rows is None else rows)
        log_windows(con, "hub_models", range(n_windows))
    return path
