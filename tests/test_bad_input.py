"""Issue 15: bad input through `hubsignal import` (and the families file every command loads) gets one clear
error naming the file, window or record, a non-zero exit, and changes nothing already landed or loaded.
The table of these cases is in docs/imports.md ("Bad input")."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.cli import main as cli
from tests.test_imports import QWEN, _run, _write

FETCHED = "2026-10-02T10:30:00Z"  # not the good dump's window: nothing clashes with it


def _json(path: Path, content) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _parquet(path: Path, columns: dict, metadata: dict | None = None) -> Path:
    table = pa.table(columns)
    pq.write_table(table.replace_schema_metadata(metadata or {"fetched_at": FETCHED}), path)
    return path


def _livebench(path: Path, table: str) -> Path:
    path.mkdir()
    (path / "table_2025_04_25.csv").write_text(table)
    (path / "categories_2025_04_25.json").write_text(json.dumps({"Reasoning": ["a"], "Coding": ["b"]}))
    return path


CASES = {
    "truncated JSON dump": (
        lambda d: _json(d / "truncated.json", '{"fetched_at": "2026-10-02T10:30:00Z", "models": [{"id": "Qwen/a"'),
        "not valid JSON",
    ),
    "a string where a number belongs": (
        lambda d: _json(d / "string.json", {"fetched_at": FETCHED, "models": [{**QWEN[0], "downloads": "many"}]}),
        "models[0] (Qwen/Qwen3-8B): 'downloads' must be an integer",
    ),
    "negative counts": (
        lambda d: _json(d / "negative.json", {"fetched_at": FETCHED, "models": [{**QWEN[0], "downloads": -5}]}),
        "models[0] (Qwen/Qwen3-8B): 'downloads' must not be negative, got -5",
    ),
    "a file that is not JSON": (lambda d: _json(d / "page.json", "<html>502 Bad Gateway</html>"), "not valid JSON"),
    "a missing path": (lambda d: d / "nowhere" / "dump.json", "no such file or folder"),
    "Parquet with a naive timestamp": (
        lambda d: _parquet(
            d / "naive.parquet", {"id": ["Qwen/Qwen3-8B"], "downloads": [5]}, {"fetched_at": "2026-10-01T10:30:00"}
        ),
        "has no time zone",
    ),
    "Parquet without the id column": (
        lambda d: _parquet(d / "no_id.parquet", {"modelId": ["Qwen/Qwen3-8B"], "downloads": [5]}),
        "'id'",
    ),
    "LiveBench table with duplicate columns": (
        lambda d: _livebench(d / "livebench", "model,a,a,b\nm1,1,2,3\n"),
        "table_2025_04_25.csv",
    ),
}


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def loaded(home, tmp_path, monkeypatch):
    """A good dump imported and loaded (one run): the data a bad input must leave alone."""
    monkeypatch.setenv("HUBSIGNAL_OFFLINE", "1")
    monkeypatch.setattr("pipelines.cli.run_windows", _run)
    assert cli(["import", str(_write(tmp_path / "good.json"))]) == 0
    return home


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_names_the_problem_exits_non_zero_and_changes_nothing(loaded, tmp_path, capsys, case):
    make, why = CASES[case]
    bad = tmp_path / "bad"
    bad.mkdir()
    path = make(bad)
    before = (_tree(loaded / "landing"), (loaded / "warehouse.duckdb").read_bytes())
    capsys.readouterr()
    assert cli(["import", str(path), "--observed-at", FETCHED] if "LiveBench" in case else ["import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert str(path) in err and why in err, err
    assert "Traceback" not in out + err and "loading" not in out
    assert (_tree(loaded / "landing"), (loaded / "warehouse.duckdb").read_bytes()) == before


def test_a_naive_timestamp_column_is_read_as_utc_and_the_message_says_so(loaded, tmp_path, capsys):
    """Not bad input (the whole-Hub graph issue): the dump imports, its note names the column and says UTC."""
    path = _parquet(
        tmp_path / "naive_column.parquet",
        {
            "id": ["Qwen/Qwen3-8B"],
            "downloads": [5],
            "createdAt": pa.array([__import__("datetime").datetime(2025, 4, 27, 3, 42)], pa.timestamp("us")),
        },
        {"fetched_at": FETCHED},
    )
    capsys.readouterr()
    assert cli(["import", "--no-run", str(path)]) == 0
    notes = [json.loads(m.read_text()).get("note") or "" for m in (loaded / "landing").glob("*/*/manifest.json")]
    assert any("column 'createdAt' is a timestamp without a time zone: read as UTC" in n for n in notes), notes


def test_a_families_file_with_an_org_in_two_families(loaded, tmp_path, monkeypatch, capsys):
    families = tmp_path / "families.yaml"
    families.write_text(
        "version: '1'\nfamilies:\n  - name: Qwen\n    orgs: [Qwen]\n  - name: Other\n    orgs: [Acme, qwen]\n"
    )
    monkeypatch.setenv("HUBSIGNAL_FAMILIES", str(families))
    before = (_tree(loaded / "landing"), (loaded / "warehouse.duckdb").read_bytes())
    capsys.readouterr()
    dump = _write(tmp_path / "other.json", fetched_at=FETCHED)
    for command in (["import", str(dump)], ["backfill", "2026-10-01-09:00", "2026-10-01-09:00"], ["run"]):
        assert cli(command) == 1
        out, err = capsys.readouterr()
        assert f"{families}: family 'Other': org 'qwen' is already listed under family 'Qwen'" in err, err
        assert "Traceback" not in out + err
    assert (_tree(loaded / "landing"), (loaded / "warehouse.duckdb").read_bytes()) == before
