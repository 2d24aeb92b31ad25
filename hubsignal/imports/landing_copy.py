"""Another hubsignal install's landing zone -> this landing zone (copy-merge).

Accepted: a HUBSIGNAL_HOME (holding `landing/`), a landing folder (`<source>/<key>/manifest.json`; sources may
nest, e.g. `score_files/<adapter>-<sha12>/`), one source folder or one window folder. Dot-folders (`.replaced/`,
`.tmp-*`) are skipped. A window's source and key are its manifest's (the folder path must agree).

Every window is verified first (each file against the sha256 in its manifest; Hub windows are also parsed),
then: absent here -> copied; identical (same data bodies, or imported from the same manifest) -> nothing;
different -> the whole import is refused unless replace. The copy keeps the window key, the bodies and the
manifest's fields; its origin becomes `imported` (a `synthetic_sample` window stays synthetic) and the
manifest gains an `import` block with the original origin and the original manifest's sha256.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from hubsignal import landing as lz
from hubsignal.hub.parse import parse_children, parse_hub_models
from hubsignal.imports.common import (
    ORIGIN,
    ImportedInput,
    ImportRejected,
    WindowPlan,
    parse_observed_at,
    provenance,
    walk_windows,
)

IMPORTER = "landing_zone"
SYNTHETIC = "synthetic_sample"
# Sources whose parser we know: a copied window must load, so it is parsed before anything is written.
_PARSERS = {"hub_models": lambda w, s: parse_hub_models(w, s)[0], "hub_children_counts": parse_children}
# Manifest fields land_window writes itself.
_OWN = {"manifest_version", "source", "window_key", "origin", "status", "fetched_at", "record_count", "files"}


def find_windows(root: Path) -> list[Path]:
    """Window folders under root (see the module doc for what root may be)."""
    if (root / "landing").is_dir() and not (root / lz.MANIFEST).is_file():
        root = root / "landing"
    return walk_windows(root)


def is_landing_zone(path: Path) -> bool:
    if not path.is_dir():
        return False
    if (path / lz.MANIFEST).is_file() or (path / "landing").is_dir():
        return True
    return any(
        next(path.glob(pattern), None) for pattern in ("*/manifest.json", "*/*/manifest.json", "*/*/*/manifest.json")
    )


def plan_window(folder: Path, *, now: datetime) -> WindowPlan:
    where = str(folder)
    try:
        raw_manifest = (folder / lz.MANIFEST).read_bytes()
        manifest = json.loads(raw_manifest)
    except (OSError, ValueError) as exc:
        raise ImportRejected(f"{folder / lz.MANIFEST}: unreadable manifest ({exc})") from exc
    source, key = manifest.get("source"), manifest.get("window_key")
    if not isinstance(source, str) or not isinstance(key, str) or manifest.get("status") != "complete":
        raise ImportRejected(f"{folder / lz.MANIFEST}: not a complete landed window (source, window_key, status)")
    parts = [*source.split("/"), key]
    if list(folder.parts[-len(parts) :]) != parts:
        raise ImportRejected(f"{where}: folder is not <landing>/{source}/{key}/ as its manifest says")
    try:
        window = lz.read_window(folder.parents[len(parts) - 1], source, key)  # verifies every sha256
    except lz.LandingError as exc:
        raise ImportRejected(str(exc)) from exc
    observed = parse_observed_at(manifest.get("fetched_at"), f"{folder / lz.MANIFEST}: fetched_at", now)
    files = [
        lz.RawFile(
            name=entry["file"].removesuffix(".gz"),
            body=body,
            n_records=int(entry.get("n_records") or 0),
            url=entry.get("url"),
            http_status=entry.get("http_status"),
            fetched_at=datetime.fromisoformat(entry["fetched_at"]) if entry.get("fetched_at") else None,
            # A file stored as is (an imported dump's or a compacted window's models.parquet) is copied as is.
            as_is=not entry["file"].endswith(".gz"),
            received_sha256=entry.get("received_sha256"),
        )
        for entry, body in window.files
    ]
    original_origin = manifest.get("origin")
    sha = hashlib.sha256(raw_manifest).hexdigest()
    extra = {k: v for k, v in manifest.items() if k not in _OWN and k != "import"}
    imported = ImportedInput(folder / lz.MANIFEST, sha, observed, "the window's manifest", now)
    extra["import"] = provenance(
        IMPORTER, imported, original_origin=original_origin, previous_import=manifest.get("import")
    )
    plan = WindowPlan(
        source=source,
        observed_at=observed,
        files=files,
        origin=SYNTHETIC if original_origin == SYNTHETIC else ORIGIN,
        extra=extra,
        origin_file=str(folder),
        origin_sha256=sha,
        key=key,
    )
    parser = _PARSERS.get(source)
    if parser is not None:
        try:
            parser(window, plan.window_start)
        except (lz.LandingError, ValueError, KeyError) as exc:
            raise ImportRejected(f"{where}: would not load: {exc}") from exc
    return plan


def plan_landing_zone(root: Path, *, now: datetime) -> list[WindowPlan]:
    windows = find_windows(root)
    if not windows:
        raise ImportRejected(f"{root}: no landed window found (expected <source>/<window-key>/manifest.json)")
    return [plan_window(w, now=now) for w in windows]
