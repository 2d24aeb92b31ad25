"""Benchmark: import one year of family-scale daily Hub dumps, then backfill every 6-hour window of that year
in ONE run. Prints one line per figure (time, peak memory, and ratios measured in this same run).

SYNTHETIC dumps (deterministic, invented numbers): 365 daily `{"date", "fetched_at", "models": [...]}`
files of ~1,000 records of tracked orgs, every /api/models field the live listing expands.

    .venv/bin/python benchmarks/bench_import.py [--days 365] [--records 1000] [--rerun]

The backfill on the persistent instance `make backfill` uses, with events per window, the re-run and the cost of
one new window against history: benchmarks/bench_backfill.py.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
ORGS = [
    ("Qwen", "Qwen3-{i}B"),
    ("meta-llama", "Llama-3.{i}-8B"),
    ("google", "gemma-3-{i}b-it"),
    ("mistralai", "Mistral-{i}B"),
    ("deepseek-ai", "DeepSeek-R{i}"),
    ("microsoft", "Phi-4-{i}"),
    ("nvidia", "Nemotron-{i}"),
    ("zai-org", "GLM-4.{i}"),
    ("ibm-granite", "granite-{i}b"),
    ("HuggingFaceTB", "SmolLM3-{i}"),
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def synthesize(folder: Path, days: int, records: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    per_org = records // len(ORGS)
    paths = []
    for d in range(days):
        day = YEAR_START + timedelta(days=d)
        # 10:42 UTC (written with a +09:00 offset, like the real dumps): window <day>-09:00
        fetched = (day + timedelta(hours=10, minutes=42)).astimezone(timezone(timedelta(hours=9)))
        models = []
        for o, (org, pattern) in enumerate(ORGS):
            for i in range(per_org):
                base = 1000 + 37 * i + 101 * o
                models.append(
                    {
                        "_id": f"{o:04x}{i:020x}",
                        "id": f"{org}/{pattern.format(i=i)}",
                        "likes": base // 10 + d,
                        "downloads": base * 50 + 13 * d,
                        "downloadsAllTime": base * 900 + 400 * d,
                        "gated": False,
                        "lastModified": "2024-12-01T10:00:00.000Z",
                        "tags": [
                            "transformers",
                            "safetensors",
                            "text-generation",
                            "conversational",
                            "license:apache-2.0",
                            f"base_model:finetune:{org}/base-{i % 7}",
                            "region:us",
                        ],
                        "pipeline_tag": "text-generation",
                        "library_name": "transformers",
                        "createdAt": "2024-06-01T08:00:00.000Z",
                    }
                )
        path = folder / f"{day:%Y-%m-%d}.json"
        path.write_text(
            json.dumps(
                {
                    "date": f"{day:%Y-%m-%d}",
                    "fetched_at": fetched.isoformat(),
                    "source": "SYNTHETIC benchmark dump",
                    "models": models,
                }
            )
        )
        paths.append(path)
    return paths


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--rerun", action="store_true", help="also time a second run over the same range (nothing to load)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubsignal-bench-import-") as tmp:
        home = Path(tmp) / "home"
        os.environ.update(HUBSIGNAL_HOME=str(home), HUBSIGNAL_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
        for name in ("HUBSIGNAL_WAREHOUSE", "DAGSTER_HOME", "HUBSIGNAL_FAMILIES"):
            os.environ.pop(name, None)

        from hubsignal.families import load_families
        from hubsignal.imports import import_paths
        from hubsignal.settings import Settings
        from hubsignal.windows import WINDOW, window_key
        from pipelines.cli import run_windows

        settings = Settings.from_env()
        t = time.perf_counter()
        paths = synthesize(Path(tmp) / "dumps", args.days, args.records)
        n_records = sum(1 for _ in paths) * (args.records // len(ORGS)) * len(ORGS)
        print(
            f"synthesize {len(paths)} dumps ({n_records:,} records, {sum(p.stat().st_size for p in paths) / 1e6:.0f} MB): "
            f"{time.perf_counter() - t:.1f} s"
        )

        t = time.perf_counter()
        report = import_paths(paths, landing=settings.landing, families=load_families(settings.families_file))
        t_import = time.perf_counter() - t
        assert report.ok, [line for line in report.lines() if line.startswith("REJECTED")][:3]
        print(
            f"import {len(paths)} dumps: {t_import:.1f} s ({1000 * t_import / len(paths):.1f} ms/dump, "
            f"{n_records / t_import:,.0f} records/s); peak RSS {_rss_mb():.0f} MB"
        )

        first = YEAR_START + timedelta(hours=3)
        n_windows = args.days * 4
        last = first + (n_windows - 1) * WINDOW

        # The snapshot loader alone (what raw/hub_models does in the run), into a scratch warehouse.
        from hubsignal.sources import HUB_MODELS
        from hubsignal.windows import window_starts
        from tests.snapshot_runs import run_loader

        t = time.perf_counter()
        loaded = run_loader(
            HUB_MODELS,
            window_starts(first, last + WINDOW),
            landing=settings.landing,
            warehouse=Path(tmp) / "loader_only.duckdb",
        )
        t_loader = time.perf_counter() - t
        print(
            f"snapshot loader alone, raw.hub_models over {n_windows} windows: {t_loader:.1f} s "
            f"({len(loaded.loaded)} loaded, {len(loaded.missing)} missing, {loaded.rows:,} rows; "
            f"{1000 * t_loader / max(len(loaded.loaded), 1):.0f} ms per loaded window)"
        )

        t = time.perf_counter()
        result = run_windows(window_key(first), window_key(last), quiet=True)
        t_run = time.perf_counter() - t
        assert result.success, "backfill run failed"
        events = sum(1 for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION")
        print(
            f"backfill {n_windows} windows ({len(report.changed)} imported) in one run of the whole job: {t_run:.1f} s "
            f"({1000 * t_run / n_windows:.0f} ms/window); peak RSS {_rss_mb():.0f} MB"
        )
        print(
            f"  Dagster recorded {events:,} asset materializations (one per loaded window, one per unpartitioned asset): "
            f"{1000 * t_run / max(events, 1):.1f} ms each, all in; the loader was {100 * t_loader / t_run:.0f}% of the run"
        )

        if args.rerun:
            t = time.perf_counter()
            assert run_windows(window_key(first), window_key(last), quiet=True).success
            t_rerun = time.perf_counter() - t
            print(
                f"re-run of the same range (windows unchanged, skipped): {t_rerun:.1f} s "
                f"({t_rerun / t_run:.2f}x the first run)"
            )
        print(f"total import + backfill: {t_import + t_run:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
