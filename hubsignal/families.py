"""Model-family definitions: load and validate the versioned YAML file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import yaml

from hubsignal.warehouse import atomically

_TOP_KEYS = {"version", "families"}
_FAMILY_KEYS = {"name", "orgs", "include", "exclude"}


class FamiliesError(ValueError):
    """The families file is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Family:
    name: str
    orgs: tuple[str, ...]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Families:
    version: str
    families: tuple[Family, ...]
    source: Path

    @property
    def orgs(self) -> list[str]:
        return [org for f in self.families for org in f.orgs]

    def family_of(self, model_id: str) -> str | None:
        """The family a repo id belongs to (same rule as staging.hub_models, for Python callers)."""
        org, _, name = model_id.partition("/")
        for fam in self.families:
            if org.lower() in (o.lower() for o in fam.orgs):
                ok = not fam.include or any(re.search(p, name, re.I) for p in fam.include)
                if ok and not any(re.search(p, name, re.I) for p in fam.exclude):
                    return fam.name
                return None
        return None

    def to_frame(self) -> pl.DataFrame:
        """One row per (family, org) with the combined patterns, as loaded into staging.families."""
        rows = []
        for fam in self.families:
            for org in fam.orgs:
                rows.append(
                    {
                        "family": fam.name,
                        "org": org,
                        "include_pattern": _combine(fam.include),
                        "exclude_pattern": _combine(fam.exclude),
                        "families_version": self.version,
                    }
                )
        return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})


def _combine(patterns: tuple[str, ...]) -> str | None:
    return "(?i)" + "|".join(f"(?:{p})" for p in patterns) if patterns else None


def load_families(path: Path) -> Families:
    def fail(where: str, why: str) -> FamiliesError:
        return FamiliesError(f"{path}: {where}: {why}")

    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise FamiliesError(f"{path}: cannot read families file ({exc})") from exc
    if not isinstance(doc, dict):
        raise fail("top level", "expected a mapping with 'version' and 'families'")
    if unknown := set(doc) - _TOP_KEYS:
        raise fail("top level", f"unknown key(s) {sorted(unknown)}")
    version = doc.get("version")
    if not isinstance(version, str) or not version.strip():
        raise fail("version", "a non-empty string is required")
    entries = doc.get("families")
    if not isinstance(entries, list) or not entries:
        raise fail("families", "a non-empty list is required")

    families: list[Family] = []
    seen_names: set[str] = set()
    seen_orgs: dict[str, str] = {}
    for i, entry in enumerate(entries):
        where = f"families[{i}]"
        if not isinstance(entry, dict):
            raise fail(where, "expected a mapping")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise fail(where, "'name' is required")
        where = f"family {name!r}"
        if unknown := set(entry) - _FAMILY_KEYS:
            raise fail(where, f"unknown key(s) {sorted(unknown)}")
        if name.lower() in seen_names:
            raise fail(where, "duplicate family name")
        seen_names.add(name.lower())
        orgs = entry.get("orgs")
        if not isinstance(orgs, list) or not orgs or not all(isinstance(o, str) and o.strip() for o in orgs):
            raise fail(where, "'orgs' must be a non-empty list of Hub org names (the family is empty)")
        for org in orgs:
            if org.lower() in seen_orgs:
                raise fail(where, f"org {org!r} is already listed under family {seen_orgs[org.lower()]!r}")
            seen_orgs[org.lower()] = name
        patterns = {}
        for key in ("include", "exclude"):
            value = entry.get(key) or []
            if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
                raise fail(where, f"'{key}' must be a list of regular expressions")
            for p in value:
                _check_regex(p, lambda why: fail(f"{where} {key} pattern {p!r}", why))
            patterns[key] = tuple(value)
        families.append(Family(name, tuple(orgs), patterns["include"], patterns["exclude"]))
    return Families(version.strip(), tuple(families), Path(path))


def _check_regex(pattern: str, fail) -> None:
    """The pattern must compile in Python and in DuckDB (RE2), which evaluates it in SQL."""
    try:
        re.compile(pattern)
        duckdb.sql("SELECT regexp_matches('', ?)", params=[pattern]).fetchall()
    except (re.error, duckdb.Error) as exc:
        raise fail(f"invalid regular expression ({str(exc).splitlines()[0]})") from None


def write_families(con: duckdb.DuckDBPyConnection, families: Families) -> None:
    """Replace staging.families with these definitions (one transaction)."""

    def write(con: duckdb.DuckDBPyConnection) -> None:
        con.register("families_batch", families.to_frame().to_arrow())
        try:
            con.execute("CREATE OR REPLACE TABLE staging.families AS SELECT * FROM families_batch")
        finally:
            con.unregister("families_batch")

    atomically(con, write, "staging.families")
