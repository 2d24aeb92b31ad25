"""One-line quality summary of a Dagster run: checks passed / warned / failed, and quarantined windows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hubsignal.settings import Lake


@dataclass
class QualitySummary:
    passed: int = 0
    warned: int = 0
    failed: int = 0
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)  # (source, window key, why)

    def line(self) -> str:
        text = f"Quality checks: {self.passed} passed, {self.warned} warned"
        if self.warned_checks:
            text += f" ({', '.join(self.warned_checks)})"
        text += f", {self.failed} failed"
        if self.failed_checks:
            text += f" ({', '.join(self.failed_checks)})"
        if self.quarantined:
            shown = "; ".join(f"{src} {key}: {why[:140]}" for src, key, why in self.quarantined[:3])
            more = f" (+{len(self.quarantined) - 3} more)" if len(self.quarantined) > 3 else ""
            text += f" | quarantined windows: {len(self.quarantined)} — {shown}{more}"
        else:
            text += " | quarantined windows: none"
        return text


def summarize(result, warehouse: Path | Lake | None) -> QualitySummary:
    """From an ExecuteInProcessResult (its check evaluations and failed steps) and meta.snapshot_log."""
    import dagster as dg

    out = QualitySummary()
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            out.passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            out.warned += 1
            out.warned_checks.append(evaluation.check_name)
        else:
            out.failed += 1
            out.failed_checks.append(evaluation.check_name)
    from hubsignal.warehouse import connect, warehouse_exists

    if warehouse is not None and warehouse_exists(warehouse):
        con = connect(warehouse, read_only=True)
        try:
            out.quarantined = con.execute(
                "SELECT source, window_key, coalesce(message, '') FROM meta.snapshot_log "
                "WHERE status = 'quarantined' ORDER BY source, window_start"
            ).fetchall()
        finally:
            con.close()
    return out
