"""Reading the CSV files the benchmark sources receive (LiveBench tables, score files) with line numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator


def decode(name: str, body: bytes, error: type[Exception]) -> str:
    """UTF-8 text (a BOM is dropped); `error` names the file and byte offset otherwise."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{name}: not UTF-8 text (byte offset {exc.start})") from None


def csv_records(name: str, text: str, error: type[Exception]) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) of every non-blank record (quoted cells may span lines; CRLF ok).
    A malformed record raises `error` naming the file and line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise error(f"{name} line {previous_end + 1}: malformed CSV ({exc})") from None
        line, previous_end = previous_end + 1, reader.line_num
        if any(f.strip() for f in fields):  # skip blank lines (or lines of separators only)
            yield line, fields
