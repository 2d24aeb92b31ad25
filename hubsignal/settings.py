"""Settings read from the environment at call time (never at import), with offline-friendly defaults.

HF_TOKEN is deliberately absent from `Settings`: it is read only where a Hub client is built, so it can
never end up in a repr, a log line, run metadata, the landing zone or the warehouse.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
DEFAULT_FAMILIES_FILE = PROJECT_ROOT / "pipelines" / "families.yaml"
DEFAULT_START = "2024-01-01-03:00"
# LiveBench releases shown on livebench.ai (question-set dates). Adding a release is one line here, or set
# LIVEBENCH_RELEASES (comma-separated YYYY-MM-DD) to replace the list.
DEFAULT_LIVEBENCH_RELEASES = (
    "2024-06-24",
    "2024-07-26",
    "2024-08-31",
    "2024-11-25",
    "2025-04-02",
    "2025-04-25",
    "2025-05-30",
    "2025-11-25",
    "2025-12-23",
    "2026-01-08",
)


def _number(name: str, default, kind: type, what: str):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"setting {name}={raw!r} is not {what}") from None


def _int(name: str, default: int) -> int:
    return _number(name, default, int, "an integer")


def _float(name: str, default: float) -> float:
    return _number(name, default, float, "a number")


LAKE_PREFIX = "ducklake:"
_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def redact(text: str) -> str:
    """A catalog connection string without its password (for messages, logs and metadata)."""
    return _PASSWORD.sub(r"\1***", text)


@dataclass(frozen=True)
class Lake:
    """A DuckLake warehouse (HUBSIGNAL_WAREHOUSE=ducklake:...): the catalog as DuckDB spells it after `ducklake:`
    (`postgres:dbname=... host=... port=...` or a `<file>.ducklake`) and the data path (HUBSIGNAL_LAKE_DATA_PATH:
    a folder or s3://bucket/prefix; needed when the lake is created, then stored in its catalog).
    A password belongs in PGPASSWORD (libpq reads it), not in the URI; one given there is redacted in str/repr."""

    catalog: str
    data_path: str | None = None

    @property
    def uri(self) -> str:
        return LAKE_PREFIX + self.catalog

    @property
    def on_postgres(self) -> bool:
        return self.catalog.startswith("postgres:")

    def __str__(self) -> str:
        return redact(self.uri) + (f" (data path {self.data_path})" if self.data_path else "")

    __repr__ = __str__

    @classmethod
    def parse(cls, uri: str, data_path: str | None) -> Lake:
        catalog = uri.removeprefix(LAKE_PREFIX).strip()
        if not catalog:
            raise ValueError(f"setting HUBSIGNAL_WAREHOUSE={redact(uri)!r} names no DuckLake catalog")
        if not catalog.startswith(("postgres:", "sqlite:", "md:")):  # a DuckDB-file catalog: absolute, stable path
            catalog = str(Path(catalog).expanduser().resolve())
        if data_path and "://" not in data_path:
            data_path = str(Path(data_path).expanduser().resolve())
        return cls(catalog, data_path or None)


def parse_warehouse(raw: str | None, home: Path) -> Path | Lake:
    """HUBSIGNAL_WAREHOUSE: a DuckDB file path (default $HUBSIGNAL_HOME/warehouse.duckdb) or a DuckLake URI."""
    if raw and raw.strip().startswith(LAKE_PREFIX):
        return Lake.parse(raw.strip(), os.environ.get("HUBSIGNAL_LAKE_DATA_PATH", "").strip() or None)
    return Path(raw or home / "warehouse.duckdb").resolve()


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse: Path | Lake  # the DuckDB file, or a DuckLake (hubsignal/warehouse.py connects to either)
    families_file: Path
    hf_endpoint: str
    livebench_base_url: str
    offline: bool
    hub_timeout_s: float
    hub_max_attempts: int
    hub_quota_per_5min: int
    children_top_n: int
    cards_top_n: int = 5  # model cards fetched for the top N models per family (0 = every model)
    livebench_releases: tuple[str, ...] = DEFAULT_LIVEBENCH_RELEASES  # YYYY-MM-DD, sorted, distinct
    gx: bool = True  # run the great_expectations suites (tier 3); off: the gx_ checks report "skipped"
    gx_max_rows: int = 200_000  # a bigger batch is validated on a reproducible sample of this many rows
    graph_quota_share: float = 0.8  # share of hub_quota_per_5min the whole-Hub crawl paces itself to
    graph_every: int = 1  # crawl the whole Hub every N windows (window index since the epoch grid, mod N)
    # Retention (docs/hub-graph.md "Retention"; 0 = never): crawled graph windows older than this are compacted
    # into one Parquet file in the landing zone; raw.hub_graph_models rows older than that are pruned.
    graph_compact_after_days: float = 7.0
    graph_retain_days: float = 90.0

    @property
    def graph_quota_per_5min(self) -> int:
        return max(1, int(self.hub_quota_per_5min * self.graph_quota_share))

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def on_lake(self) -> bool:
        return isinstance(self.warehouse, Lake)

    @property
    def published_warehouse(self) -> Path:
        return self.home / "published" / "warehouse.duckdb"

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("HUBSIGNAL_HOME") or PROJECT_ROOT / "data").resolve()
        return cls(
            home=home,
            warehouse=parse_warehouse(os.environ.get("HUBSIGNAL_WAREHOUSE"), home),
            families_file=Path(os.environ.get("HUBSIGNAL_FAMILIES") or DEFAULT_FAMILIES_FILE).resolve(),
            hf_endpoint=(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/"),
            livebench_base_url=(os.environ.get("LIVEBENCH_BASE_URL") or "https://livebench.ai").rstrip("/"),
            # Offline: never fetch live; windows absent from the landing zone are recorded as missing.
            offline=os.environ.get("HUBSIGNAL_OFFLINE", "") not in ("", "0", "false"),
            hub_timeout_s=_float("HUBSIGNAL_HUB_TIMEOUT_S", 30.0),
            hub_max_attempts=_int("HUBSIGNAL_HUB_MAX_ATTEMPTS", 6),
            # Anonymous quota is 500 requests / 5 min per IP; stay under it unless told otherwise.
            hub_quota_per_5min=_int("HUBSIGNAL_HUB_QUOTA", 450),
            # Children counts cost one request per model: cap to the top N per family (0 = every model).
            children_top_n=_int("HUBSIGNAL_CHILDREN_TOP_N", 40),
            # Cards cost one model_info per model, plus a download when the repo's sha changed.
            cards_top_n=_int("HUBSIGNAL_CARDS_TOP_N", 5),
            livebench_releases=_livebench_releases(),
            gx=os.environ.get("HUBSIGNAL_GX", "").strip().lower() not in ("0", "off", "false", "no"),
            gx_max_rows=_int("HUBSIGNAL_GX_MAX_ROWS", 200_000),
            graph_quota_share=_share("HUBSIGNAL_GRAPH_QUOTA_SHARE", 0.8),
            graph_every=max(1, _int("HUBSIGNAL_GRAPH_EVERY", 1)),
            graph_compact_after_days=_days("HUBSIGNAL_GRAPH_COMPACT_AFTER_DAYS", 7.0),
            graph_retain_days=_days("HUBSIGNAL_GRAPH_RETAIN_DAYS", 90.0),
        )


def _days(name: str, default: float) -> float:
    days = _float(name, default)
    if days < 0:
        raise ValueError(f"setting {name}={days} must be 0 (never) or a number of days")
    return days


def _share(name: str, default: float) -> float:
    value = _float(name, default)
    if not 0 < value <= 1:
        raise ValueError(f"setting {name}={value!r} must be a share in (0, 1]")
    return value


def _livebench_releases() -> tuple[str, ...]:
    raw = os.environ.get("LIVEBENCH_RELEASES", "").strip()
    if not raw:
        return DEFAULT_LIVEBENCH_RELEASES
    out = set()
    for item in raw.replace(";", ",").split(","):
        item = item.strip().replace("_", "-")
        if not item:
            continue
        try:
            out.add(date.fromisoformat(item).isoformat())
        except ValueError:
            raise ValueError(f"setting LIVEBENCH_RELEASES: {item!r} is not a date YYYY-MM-DD") from None
    return tuple(sorted(out))


def partitions_start() -> str:
    """Window key of the first partition. Read at definition load (the partitions definition needs it)."""
    return os.environ.get("HUBSIGNAL_START") or DEFAULT_START
