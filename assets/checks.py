"""The check factory: every SQL check (`sql/checks/<name>.sql`, hubsignal.quality.sql_checks) becomes the Dagster
asset check `<name>`; every great_expectations suite (hubsignal.quality.gx_suites) becomes the check `gx_<suite>`.

All checks of one asset run in one Dagster step (`checks__<layer>__<table>`, one warehouse connection), each
still its own check in the UI with its own result, severity and blocking flag. Each check evaluates the run's
windows in one query (assets/partitions.py `run_windows_or_all`). Checks are partitioned like their assets:
the raw snapshot tables' checks by window (an unpartitioned check on a partitioned asset makes Dagster enumerate
every partition since HUBSIGNAL_START on each evaluation: seconds per check), the unpartitioned models' checks
not. Every check opens the warehouse, so every check is in pool `duckdb`.
"""

import warnings
from pathlib import Path

import dagster as dg

from assets.partitions import run_windows_or_all, windows
from hubsignal.quality import gx_suites
from hubsignal.quality.sql_checks import CHECKS_DIR, CheckFileError, SqlCheck, discover_checks, evaluate
from hubsignal.reports import Markdown
from hubsignal.values import naive_utc
from hubsignal.warehouse import open_warehouse

# Partitioned asset checks are a "preview" feature in Dagster 1.13; they are the documented way to check
# partitioned assets per partition.
warnings.filterwarnings("ignore", category=dg.PreviewWarning, message=".*partitions_def on an AssetCheckSpec")

SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def dagster_metadata(meta: dict) -> dict:
    """Library metadata as Dagster shows it: Markdown text rendered, paths as paths."""
    return {
        k: dg.MetadataValue.md(v)
        if isinstance(v, Markdown)
        else dg.MetadataValue.path(str(v))
        if isinstance(v, Path)
        else v
        for k, v in meta.items()
    }


def _key(table: tuple[str, str]) -> dg.AssetKey:
    return dg.AssetKey(list(table))


def _sql_spec(check: SqlCheck, partitions_def) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        check.name,
        asset=_key(check.asset),
        description=check.description,
        blocking=check.blocking,
        additional_deps=[_key(d) for d in check.deps],
        partitions_def=partitions_def,
        metadata={
            "sql_file": check.sql_file,
            "severity": check.severity,
            **({"quarantines": check.quarantine} if check.quarantine else {}),
        },
    )


def _gx_spec(suite: gx_suites.Suite, partitions_def) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        f"gx_{suite.name}",
        asset=_key(suite.asset),
        blocking=False,
        partitions_def=partitions_def,
        description=f"great_expectations suite {suite.name}: {suite.description}",
        additional_deps=[_key(d) for d in suite.deps],
        metadata={"suite": f"hubsignal/quality/gx_suites.py:{suite.name}"},
    )


def _crashed(name: str, asset_key: dg.AssetKey, blocking: bool, exc: Exception) -> dg.AssetCheckResult:
    """A check that could not run fails (and blocks if it is blocking) instead of hiding its neighbours' results."""
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=name,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        description=f"could not run: {type(exc).__name__}: {exc}"[:2000],
    )


def build_asset_checks(
    asset_key: dg.AssetKey, checks: list[SqlCheck], suites: list, partitions_def=None
) -> dg.AssetChecksDefinition:
    """All checks of one asset in one step (one warehouse connection, one Dagster step per asset and run).

    `partitions_def`: the checked asset's (None for an unpartitioned asset). Each check is still its own AssetCheckSpec: its own result, severity and blocking flag in the UI, and it can
    be run alone (the step evaluates only the selected checks).
    """

    @dg.multi_asset_check(
        name=f"checks__{'__'.join(asset_key.path)}",
        specs=[*(_sql_spec(c, partitions_def) for c in checks), *(_gx_spec(s, partitions_def) for s in suites)],
        can_subset=True,
        pool="duckdb",
        required_resource_keys={"hubsignal"},
    )
    def _checks(context: dg.AssetCheckExecutionContext):
        start, end = (naive_utc(t) for t in run_windows_or_all(context))
        selected = {key.name for key in context.selected_asset_check_keys}
        settings = context.resources.hubsignal.settings()
        batches = {}
        with open_warehouse(settings.warehouse) as con:
            for check in checks:
                if check.name not in selected:
                    continue
                try:
                    result = evaluate(con, check, start, end, run_id=context.run.run_id)
                except Exception as exc:  # a broken check file or query: fail it, keep the others
                    yield _crashed(check.name, asset_key, check.blocking, exc)
                    continue
                yield dg.AssetCheckResult(
                    asset_key=asset_key,
                    check_name=check.name,
                    passed=result.passed,
                    severity=SEVERITY[result.severity],
                    description=result.description(),
                    metadata=dagster_metadata(result.metadata()),
                )
            for suite in suites:
                if f"gx_{suite.name}" in selected and settings.gx:
                    batches[suite.name] = gx_suites.load_batch(con, suite, start, end, settings.gx_max_rows)
        for suite in suites:  # validated after the warehouse is closed: GX takes seconds
            name = f"gx_{suite.name}"
            if name not in selected:
                continue
            if not settings.gx:
                yield dg.AssetCheckResult(
                    asset_key=asset_key,
                    check_name=name,
                    passed=True,
                    severity=dg.AssetCheckSeverity.WARN,
                    description="skipped: HUBSIGNAL_GX is off",
                    metadata={"skipped": True},
                )
                continue
            try:
                report = gx_suites.validate(suite, *batches[suite.name], docs_root=settings.home / "quality")
            except Exception as exc:
                yield _crashed(name, asset_key, False, exc)
                continue
            yield dg.AssetCheckResult(
                asset_key=asset_key,
                check_name=name,
                passed=report.success,
                severity=dg.AssetCheckSeverity.WARN,
                description=report.description(),
                metadata=dagster_metadata(report.metadata()),
            )

    return _checks


def build_checks(
    asset_keys, checks_dir: Path = CHECKS_DIR, partitioned: frozenset = frozenset()
) -> list[dg.AssetChecksDefinition]:
    """Every SQL check and every GX suite whose table is a registered asset, one step per checked asset;
    `partitioned`: the keys of the assets partitioned by window (their checks are partitioned too).

    A SQL check naming an unregistered asset (or reading one) is an error naming the file; a GX suite for a
    table that does not exist (yet) is skipped (`gx_suites.active_suites`).
    """
    tables = {tuple(key.path) for key in asset_keys}
    checks = discover_checks(checks_dir)
    for check in checks:
        for table in (check.asset, *check.deps):
            if table not in tables:
                raise CheckFileError(f"{check.path}: {'.'.join(table)} is not a registered asset")
    suites = gx_suites.active_suites(tables)
    checked = sorted({c.asset for c in checks} | {s.asset for s in suites})
    return [
        build_asset_checks(
            _key(t),
            [c for c in checks if c.asset == t],
            [s for s in suites if s.asset == t],
            windows if _key(t) in partitioned else None,
        )
        for t in checked
    ]
