"""LiveBench release folders -> one `livebench` window, in the landing format `hubsignal.livebench`
reads (the files as received: `table_<YYYY_MM_DD>.csv`, `categories_<YYYY_MM_DD>.json`).

Input: a folder holding `table_*.csv` (+ `categories_*.json`) files, or one such file. The files carry no
observation time (their date is the question-set release, and a table keeps changing after it), so the time
comes from `--observed-at` (or, in the inbox, a sidecar `<name>.observed_at`). Every release in the input must
parse with the LiveBench parser (a rejected release rejects the import; notes such as non-numeric cells don't).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from hubsignal.imports.common import (
    ImportedInput,
    ImportRejected,
    WindowPlan,
    imported_file_plan,
)
from hubsignal.landing import sha256_file

IMPORTER = "livebench_release"
_FILE = re.compile(r"^(table_\d{4}_\d{2}_\d{2}\.csv|categories_\d{4}_\d{2}_\d{2}\.json)$")


def is_livebench(path: Path) -> bool:
    if path.is_file():
        return bool(_FILE.match(path.name))
    return path.is_dir() and any(path.glob("table_*.csv"))


def plan_livebench(path: Path, *, observed_at: datetime | None, now: datetime) -> WindowPlan:
    from hubsignal.landing import RawFile
    from hubsignal.livebench import SOURCE, parse_snapshot

    members = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file() and _FILE.match(p.name))
    if not any(p.name.startswith("table_") for p in members):
        raise ImportRejected(f"{path}: no table_<YYYY_MM_DD>.csv file")
    if observed_at is None:
        raise ImportRejected(
            f"{path}: LiveBench files carry no observation time (their date is the release): "
            "pass --observed-at TIMESTAMP (with a zone), or drop a sidecar "
            f"{path.name}.observed_at next to it in the inbox"
        )
    bodies = {}
    for p in members:
        try:
            bodies[p.name] = p.read_bytes()
        except OSError as exc:
            raise ImportRejected(f"{p}: cannot read the file ({exc.strerror or exc})") from exc
    parsed = parse_snapshot(bodies)
    if parsed.rejected:
        raise ImportRejected(f"{path}: " + "; ".join(parsed.rejected.values()))
    shas = {name: sha256_file(path / name if path.is_dir() else path) for name in bodies}
    origin_sha = sha256_file(path) if path.is_file() else "+".join(f"{n}:{s}" for n, s in sorted(shas.items()))
    files = [RawFile(name, body, _rows(name, body), fetched_at=observed_at) for name, body in sorted(bodies.items())]
    return imported_file_plan(
        ImportedInput(path, origin_sha, observed_at, "--observed-at", now),
        source=SOURCE,
        importer=IMPORTER,
        files=files,
        note=f"imported LiveBench release files from {path.name}",
        manifest={"releases": sorted(str(d) for d in parsed.loaded)},
        details={"files_sha256": shas, "parser_notes": parsed.notes[:20]},
    )


def _rows(name: str, body: bytes) -> int:
    if name.endswith(".json"):
        return 0
    return max(sum(1 for line in body.splitlines() if line.strip()) - 1, 0)
