"""Dagster metadata of a warehouse table (from hubsignal.contract's plain profile): its column schema with
the contract's descriptions, row counts and, for marts, a Markdown preview of the newest window's rows."""

from datetime import datetime

import dagster as dg

from hubsignal.contract import profile
from hubsignal.settings import Settings
from hubsignal.warehouse import connect


def table_metadata(
    con, table: str, start: datetime | None = None, end: datetime | None = None, preview: bool | None = None
) -> dict:
    """Metadata for the materialization of `table` ('layer.name'); a preview by default for marts."""
    p = profile(con, table, start, end, preview=table.startswith("marts.") if preview is None else preview)
    out = {
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, typ, description=doc or None) for name, typ, doc in p.columns]
        ),
        "table": dg.MetadataValue.text(table),
    }
    if p.row_count is not None:
        out["dagster/row_count"] = dg.MetadataValue.int(p.row_count)
    if p.grain:
        out["grain"] = dg.MetadataValue.text(p.grain)
    if p.rows_in_range is not None:
        out["rows_in_range"] = dg.MetadataValue.int(p.rows_in_range)
    if p.preview is not None:
        title = f"newest window {p.preview_window}" if p.preview_window else "first rows"
        out["preview"] = dg.MetadataValue.md(f"**{table}**, {title}:\n\n{p.preview}")
    return out


def read_table_metadata(settings: Settings, tables: list[str], start=None, end=None) -> dict:
    """`table_metadata` of each table that exists, read on a short connection of its own (the load has closed
    its one; the step holds the duckdb pool). Several tables merge: the first one's keys win."""
    con = connect(settings.warehouse)
    try:
        out: dict = {}
        for table in tables:
            try:
                meta = table_metadata(con, table, start, end)
            except Exception:  # noqa: BLE001 - metadata never fails a materialization that succeeded
                continue
            out = {**meta, **out}
        return out
    finally:
        con.close()
