"""Order-independent checksum of every raw, staging and mart table (and meta.snapshot_log) of a warehouse:
two warehouses with the same rows get the same figures whatever the load order. Columns that hold a load or
run time are left out; doubles are rounded (their sums depend on aggregation order)."""

from __future__ import annotations

from pathlib import Path

import duckdb

VOLATILE = {"landing_path", "loaded_at", "quarantined_at", "run_id", "released_at", "fetched_at_run", "built_at"}
# The manifest's sha256: an imported window's manifest records its import time, so two imports of one file
# differ here and only here.
VOLATILE |= {"load_fingerprint"}
SCHEMAS = ("raw", "staging", "marts")


def _expr(column: str, data_type: str) -> str:
    if data_type in ("DOUBLE", "FLOAT"):
        return f'round("{column}", 6) AS "{column}"'
    if data_type.startswith("MAP(") and data_type.endswith("DOUBLE)"):
        return (
            f'list_transform(map_entries("{column}"), e -> e.key || \'=\' || round(e.value, 6)::VARCHAR) AS "{column}"'
        )
    return f'"{column}"'


def checksum_of(con: duckdb.DuckDBPyConnection, schema: str, table: str, volatile) -> tuple[int, int]:
    """(rows, order-independent hash sum) of one table or view of the connection's current database, over its
    columns except `volatile` ones."""
    cols = [
        (c, ty)
        for c, ty in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, table],
        ).fetchall()
        if c not in volatile
    ]
    inner = ", ".join(_expr(c, ty) for c, ty in cols)
    row = ", ".join(f'"{c}"' for c, _ in cols)
    return con.execute(
        f"SELECT count(*), coalesce(sum(hash(row({row}))::HUGEINT), 0) FROM (SELECT {inner} FROM {schema}.{table})"
    ).fetchone()


def table_checksums(warehouse: Path, schemas=SCHEMAS, also=("meta.snapshot_log",)) -> dict[str, tuple[int, int]]:
    """{schema.table: (rows, order-independent hash sum)} of every table and view in `schemas`, plus `also`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            f"{s}.{t}"
            for s, t in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN (SELECT unnest(?)) ORDER BY 1, 2",
                [list(schemas)],
            ).fetchall()
        ] + list(also)
        return {name: checksum_of(con, *name.split("."), volatile=VOLATILE) for name in names}
    finally:
        con.close()


def duplicate_rows(warehouse: Path, schemas=("raw",)) -> dict[str, int]:
    """{table: rows that are exact duplicates of another row} for every table in `schemas` that has any."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN (SELECT unnest(?)) AND table_type = 'BASE TABLE'",
            [list(schemas)],
        ).fetchall()
        out = {}
        for (name,) in tables:
            n = con.execute(f"SELECT count(*) - count(DISTINCT hash(t)) FROM {name} t").fetchone()[0]
            if n:
                out[name] = n
        return out
    finally:
        con.close()
