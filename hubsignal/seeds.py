"""Seeds: every curated CSV `sql/seeds/<name>.csv` becomes the table `staging.<name>`, reloaded whole on every
run, so SQL models can join it.

Every column is VARCHAR (models cast what they need). A seed that cannot be read, lacks a required column or
repeats a key is an error naming the file (and the line or the repeated key); the previous table then stays.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from hubsignal.settings import SQL_DIR
from hubsignal.warehouse import atomically

SEEDS_DIR = SQL_DIR / "seeds"
# name -> (required columns, key columns that must be unique)
SEED_SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "model_identity_overrides": (
        ("source", "source_name", "model_key", "variant", "hf_repo_id", "family", "note"),
        ("source", "source_name"),
    ),
    "family_name_patterns": (("pattern", "family", "priority", "note"), ("pattern",)),
}


class SeedError(ValueError):
    """A seed file is unusable; the message names the file."""


def seed_files(seeds_dir: Path = SEEDS_DIR) -> list[Path]:
    return sorted(seeds_dir.glob("*.csv"))


def load_seed(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """(Re)create staging.<stem> from the CSV in one transaction; returns its row count."""
    name = path.stem
    table = f"staging.{name}"
    select = "SELECT * FROM read_csv(?, header = true, all_varchar = true, strict_mode = true)"
    try:
        columns = [r[0] for r in con.execute(f"DESCRIBE {select}", [str(path)]).fetchall()]
    except duckdb.Error as exc:
        raise SeedError(f"{path}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    required, key = SEED_SPECS.get(name, ((), ()))
    if missing := [c for c in required if c not in columns]:
        raise SeedError(f"{path}: missing column(s) {missing} (header: {columns})")

    def create(con: duckdb.DuckDBPyConnection) -> int:
        try:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS {select}", [str(path)])
        except duckdb.Error as exc:
            raise SeedError(f"{path}: {str(exc).splitlines()[0]}") from None
        if key:
            cols = ", ".join(f"lower(trim({c}))" for c in key)
            dupes = con.execute(
                f"SELECT {cols}, count(*) FROM {table} GROUP BY ALL HAVING count(*) > 1 ORDER BY 1 LIMIT 5"
            ).fetchall()
            if dupes:
                raise SeedError(
                    f"{path}: key {list(key)} repeated: " + "; ".join(f"{list(d[:-1])} x{d[-1]}" for d in dupes)
                )
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    return atomically(con, create, table)
