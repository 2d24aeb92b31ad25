"""reports/insights: the insights page ($HUBSIGNAL_HOME/report/index.html), rebuilt at the end of every run
(schedule, backfill, demo, import) from the marts (hubsignal.insights)."""

import dagster as dg

from assets.partitions import warehouse_asset
from hubsignal.insights import build_page
from hubsignal.reports import markdown_table

# Lowest priority: among the steps ready at the same time (the marts' checks, publish) it runs last, so the
# page lists every check of the run.
LAST = {"dagster/priority": "-10"}


def run_checks(context: dg.AssetExecutionContext) -> list[dict]:
    """This run's asset check results as plain dicts (what hubsignal.insights takes)."""
    records = context.instance.get_records_for_run(
        run_id=context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    out = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        out.append(
            {
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "passed": evaluation.passed,
                "severity": evaluation.severity.value,
            }
        )
    return out


def build_insights_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @warehouse_asset(
        key=["reports", "insights"],
        deps=upstream,
        group_name="reports",
        kinds={"html"},
        op_tags=LAST,
        description="The insights page: pipeline status, the headline KPI cards with their provenance and trend, "
        "the contamination-gap and adoption charts, disclosure evidence and data quality; one "
        "self-contained HTML file rebuilt from the marts after every run (`make report` prints its path).",
    )
    def insights(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        from hubsignal.insights.page import gap, pct  # altair loads only when a page is rendered

        path, data = build_page(context.resources.hubsignal.settings(), run_checks(context))
        k = data.kpis
        kpis = (
            markdown_table(
                ["kpi", "value", "provenance"],
                [
                    (
                        "leading family (cumulative downloads)",
                        k["leader_family"],
                        f"{k['leader_downloads_all_time']:,} downloads, window {k['window_key']}"
                        if k["leader_downloads_all_time"] is not None
                        else f"window {k['window_key']}",
                    ),
                    ("its derivatives", k["leader_derivatives"], "raw.hub_children_counts"),
                    (
                        "contamination-disclosure rate",
                        pct(k["contamination_disclosure_rate"]),
                        f"{k['disclosure_n_disclosing']} of {k['disclosure_n_readable']} readable cards",
                    ),
                    (
                        "mean legacy − LiveBench gap (pp)",
                        gap(k["mean_gap_pp"]),
                        f"LiveBench release {k['mean_gap_release']}, {k['gap_n_models']} models",
                    ),
                ],
            )
            if k
            else "no headline KPIs yet"
        )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "open": dg.MetadataValue.url(path.as_uri()),
                "bytes": path.stat().st_size,
                "status": data.status.line(),
                "kpis": dg.MetadataValue.md(kpis),
                "synthetic_sources": ", ".join(sorted(data.synthetic_sources)) or "none",
            }
        )

    return insights
