"""The insights page as one self-contained HTML file: inline CSS, charts as inline SVG, no script, nothing
fetched (no CDN, no remote fonts; the links to model cards are plain links, never loaded)."""

from __future__ import annotations

import html
from datetime import UTC
from pathlib import Path
from string import Template

from hubsignal.insights import charts
from hubsignal.insights.data import InsightsData
from hubsignal.windows import WINDOW, latest_closed_window

TEMPLATE = Template((Path(__file__).with_name("page.html")).read_text())
SYNTHETIC = '<span class="synthetic" title="from the bundled synthetic sample, not real data">synthetic</span>'


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def human(n) -> str:
    """700M, 1.2B, 183K: three significant digits at most."""
    if n is None:
        return "–"
    n = float(n)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            return f"{n / size:.3g}{suffix}"
    return f"{n:.0f}"


def pct(rate) -> str:
    """A rate (0..1) as a percent with one decimal: 0.3 -> '30.0%'."""
    return "–" if rate is None else f"{100 * float(rate):.1f}%"


def gap(value) -> str:
    """A gap in points with one decimal: '25.3'."""
    return "–" if value is None else f"{float(value):.1f}"


def _signed(value: float, unit: str, digits: int = 1) -> str:
    arrow = "▲" if value > 0 else "▼" if value < 0 else "■"
    return f"{arrow} {value:+.{digits}f}{unit}"


def _trend(now, before, kind: str, before_row: dict | None) -> str:
    if before_row is None:
        return '<p class="trend">no window a week earlier to compare with</p>'
    if now is None or before is None:
        return f'<p class="trend">a week earlier ({esc(before_row["window_key"])}): {"–" if before is None else esc(before)}</p>'
    now, before = float(now), float(before)
    if kind == "relative":
        change = _signed(100 * (now - before) / before, "%") if before else "new"
    else:  # points: a rate (0..1) in percentage points, or a gap already in points
        scale = 100 if kind == "rate" else 1
        change = _signed(scale * (now - before), " pp")
    return f'<p class="trend">{esc(change)} vs a week earlier ({esc(before_row["window_key"])})</p>'


def _card(kpi: str, value: str, headline: str, subline: str, provenance: list[str], trend: str, synthetic: bool) -> str:
    prov = " · ".join(provenance)
    return (
        f'<article class="card" data-kpi="{esc(kpi)}"><p class="value">'
        f'<span class="kpi-value" data-kpi-value="{esc(kpi)}">{esc(value)}</span> {esc(headline)}</p>'
        f'<p class="sub">{subline}</p>{trend}<p class="prov">{prov}{" " + SYNTHETIC if synthetic else ""}</p>'
        f"</article>"
    )


def kpi_cards(d: InsightsData) -> str:
    k, b = d.kpis, d.kpis_week_before
    if k is None:
        return '<p class="empty">No headline KPIs yet: no window has reached marts.headline_kpis.</p>'
    window = f"window {esc(k['window_key'])}"
    cards = []
    # 1. the leading family on cumulative downloads, and whom it passed
    if k["leader_family"] is None:
        cards.append(
            _card(
                "leader_family",
                "–",
                "cumulative downloads",
                "no family has all-time counters yet",
                [window, "Hugging Face Hub"],
                "",
                d.synthetic("hub_models"),
            )
        )
    else:
        passed = (
            f"— surpassed {esc(k['leader_passed'])} ({esc(k['leader_passed_window'])})"
            if k["leader_passed"]
            else "— #1 on cumulative downloads"
        )
        cards.append(
            _card(
                "leader_downloads_all_time",
                human(k["leader_downloads_all_time"]),
                f"{k['leader_family']} downloads",
                f'<span data-kpi-value="leader_family">{esc(k["leader_family"])}</span> {passed}',
                [
                    window,
                    f"{k['leader_downloads_all_time']:,} all-time downloads",
                    f"{k['leader_n_models'] or 0} models",
                    "Hugging Face Hub (raw.hub_models)",
                ],
                _trend(k["leader_downloads_all_time"], b and b["leader_downloads_all_time"], "relative", b),
                d.synthetic("hub_models"),
            )
        )
    # 2. its derivatives
    cards.append(
        _card(
            "leader_derivatives",
            human(k["leader_derivatives"]) if k["leader_derivatives"] is not None else "–",
            f"{k['leader_family'] or ''} derivatives".strip(),
            "— fine-tunes, adapters, quantizations and merges on Hugging Face"
            if k["leader_derivatives"] is not None
            else "no children counts in this window",
            [window, "Hugging Face Hub (raw.hub_children_counts)"],
            _trend(k["leader_derivatives"], b and b["leader_derivatives"], "relative", b),
            d.synthetic("hub_children_counts"),
        )
    )
    # 3. the family ahead once its derivatives' downloads count (whole-Hub graph)
    top = k["top_family_incl_derivatives"]
    cards.append(
        _card(
            "top_family_derivative_downloads_30d",
            human(k["top_family_derivative_downloads_30d"]) if top is not None else "–",
            f"{top} derivative downloads (30 days)" if top is not None else "derivative downloads (30 days)",
            (
                f'— <span data-kpi-value="top_family_incl_derivatives">{esc(top)}</span> leads once derivatives '
                f"count ({pct(k['top_family_incl_derivatives_share_30d'])} of the families' own + derivative "
                f"downloads); derivatives are {pct(k['top_family_derivative_share_30d'])} of its total"
                if top is not None
                else "no whole-Hub graph in this window"
            ),
            [window, "Hugging Face Hub, every model's base_model tags (marts.family_derivative_tree)"],
            _trend(
                k["top_family_derivative_downloads_30d"], b and b["top_family_derivative_downloads_30d"], "relative", b
            )
            if top is not None
            else "",
            d.synthetic("hub_graph"),
        )
    )
    # 4. the contamination-disclosure rate
    rate = k["contamination_disclosure_rate"]
    cards.append(
        _card(
            "contamination_disclosure_rate",
            pct(rate),
            "contamination disclosure",
            (
                f"— only {k['disclosure_n_disclosing']} of {k['disclosure_n_readable']} readable model cards"
                if rate is not None
                else "no model card snapshot in this window"
            ),
            [window, f"{k['disclosure_n_tracked'] or 0} models tracked", "model cards (raw.model_cards)"],
            _trend(rate, b and b["contamination_disclosure_rate"], "rate", b),
            d.synthetic("model_cards"),
        )
    )
    # 5. the mean legacy-minus-LiveBench gap
    cards.append(
        _card(
            "mean_gap_pp",
            f"{gap(k['mean_gap_pp'])}pp" if k["mean_gap_pp"] is not None else "–",
            "clean vs legacy gap",
            "— legacy MMLU minus LiveBench, mean over models"
            if k["mean_gap_pp"] is not None
            else "no LiveBench release loaded yet",
            [
                window,
                f"LiveBench release {esc(k['mean_gap_release'] or '–')}",
                f"{k['gap_n_models'] or 0} models",
                "LiveBench + legacy score sources (marts.benchmark_gap)",
            ],
            _trend(k["mean_gap_pp"], b and b["mean_gap_pp"], "points", b),
            d.synthetic("livebench", "model_card_scores", "score_files"),
        )
    )
    return '<div class="cards">' + "".join(cards) + "</div>"


def figure(name: str, title: str, chart, empty: str, sources: str, synthetic: bool, note: str = "") -> str:
    badge = " " + SYNTHETIC if synthetic else ""
    if chart is None:
        body = f'<p class="empty">{esc(empty)}</p>'
    else:
        body = f'<div class="chart" data-chart="{esc(name)}">{charts.to_svg(chart)}</div>'
    return (
        f'<figure id="{esc(name)}"><figcaption><h3>{esc(title)}{badge}</h3>{note}</figcaption>{body}'
        f'<p class="prov">Source: {sources}</p></figure>'
    )


def status_section(d: InsightsData) -> str:
    s = d.status
    if s.last_window is None:
        state = "Pipeline Waiting"
    elif s.last_window >= latest_closed_window(d.generated_at) - WINDOW:
        state = "Pipeline Active"
    else:
        state = f"Pipeline Idle (newest data {(d.generated_at - s.last_window).days} days old)"
    dates = (
        f' <span class="dates">(windows {s.last_window:%Y-%m-%d %H:%M} and {s.next_window:%Y-%m-%d %H:%M} UTC)</span>'
        if s.last_window
        else ""
    )
    out = [
        f'<p class="status"><strong id="pipeline-state">{esc(state)}</strong> — '
        f'<span id="status-line">{esc(s.line())}</span>{dates}</p>'
    ]
    if d["sources"]:
        out.append(
            '<table class="sources"><thead><tr><th>source</th><th>latest window</th><th>status</th>'
            "<th>origin</th><th>observed</th><th>imported</th><th>missing</th><th>quarantined</th></tr></thead><tbody>"
        )
        for r in d["sources"]:
            origin = esc(r["latest_origin"] or "–") + (" " + SYNTHETIC if r["synthetic"] else "")
            out.append(
                f"<tr><td>{esc(r['source'])}</td><td>{esc(r['latest_window'])}</td>"
                f'<td class="st-{esc(r["latest_status"])}" title="{esc(r["latest_message"] or "")}">'
                f"{esc(r['latest_status'])}</td><td>{origin}</td><td>{r['n_observed']}</td>"
                f"<td>{r['n_imported']}</td><td>{r['n_missing']}</td><td>{r['n_quarantined']}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append('<p class="empty">No source has been loaded yet (meta.snapshot_log is empty).</p>')
    if d.checks:
        passed = sum(1 for c in d.checks if c["passed"])
        bad = [c for c in d.checks if not c["passed"]]
        warned = [c for c in bad if str(c.get("severity", "")).upper() == "WARN"]
        failed = [c for c in bad if c not in warned]
        listed = "".join(
            f'<li class="{"warn" if c in warned else "fail"}">{esc(c["asset"])} · {esc(c["check"])}'
            f" ({'warned' if c in warned else 'failed'})</li>"
            for c in bad[:20]
        )
        out.append(
            f'<p id="checks">Last run\'s checks: {passed} passed, {len(warned)} warned, {len(failed)} failed</p>'
            + (f'<ul class="checks">{listed}</ul>' if listed else "")
        )
    else:
        out.append('<p id="checks">Last run\'s checks: not recorded (the page was rendered outside a run).</p>')
    return "".join(out)


def evidence_section(d: InsightsData) -> str:
    rows = d["evidence"]
    if not rows:
        return '<p class="empty">No model card verdicts yet.</p>'
    out, families = [], {}
    for r in rows:
        families.setdefault(r["family"], []).append(r)
    for family, items in families.items():
        n = sum(1 for r in items if r["verdict"] == "discloses_method")
        out.append(
            f'<details id="evidence-{charts._slug(family)}"><summary>{esc(family or "(untracked)")}: '
            f"{n} of {len(items)} cards disclose a method</summary><table><thead><tr><th>model</th>"
            "<th>verdict</th><th>rule</th><th>evidence</th></tr></thead><tbody>"
        )
        for r in items:
            model = f'<a href="{esc(r["card_url"])}">{esc(r["model_id"])}</a>' if r["card_url"] else esc(r["model_id"])
            out.append(
                f"<tr><td>{model}</td><td>{esc(r['verdict'] or r['card_status'])}</td><td>{esc(r['rule'])}</td>"
                f"<td>{esc(r['evidence'])}</td></tr>"
            )
        out.append("</tbody></table></details>")
    return "".join(out)


def render(d: InsightsData) -> str:
    hub, cards = d.synthetic("hub_models", "hub_children_counts"), d.synthetic("model_cards")
    bench = d.synthetic("livebench", "model_card_scores", "score_files")
    release = d["model_gap"][0]["release"] if d["model_gap"] else None
    window = d["share"][0]["window_key"] if d["share"] else None
    gap_note = (
        '<p class="note">Legacy MMLU as reported (red: by the vendor, pink: by a third party) beside '
        f"the LiveBench global average, LiveBench release {esc(release)}; widest gap first.</p>"
    )
    figures = [
        figure(
            "chart-model-gap",
            "The Contamination Gap: Legacy vs Clean Benchmark Scores (%)",
            charts.model_gap(d["model_gap"]),
            "No LiveBench release loaded yet (or no model has both scores).",
            "marts.benchmark_gap (legacy MMLU by precedence; LiveBench global average)",
            bench,
            gap_note,
        ),
        figure(
            "chart-family-gap",
            "Contamination gap per family (points)",
            charts.family_gap(d["family_gap"]),
            "No LiveBench release loaded yet.",
            "marts.family_gap",
            bench,
        ),
        figure(
            "chart-downloads",
            "Ecosystem Adoption: cumulative downloads per family",
            charts.cumulative_downloads(d["downloads"], d["overtakes"]),
            "No Hub snapshot loaded yet.",
            "marts.family_downloads; ◆ = overtake (marts.family_overtakes)",
            hub,
        ),
        figure(
            "chart-share",
            f"The Alternative Leaderboard: 30-day share, window {window or '–'}",
            charts.share_30d(d["share"]),
            "No Hub snapshot loaded yet.",
            "marts.family_downloads",
            hub,
        ),
        figure(
            "chart-concentration",
            "Leader vs the next eight families (30-day downloads)",
            charts.leader_vs_next_eight(d["concentration"]),
            "No Hub snapshot loaded yet.",
            "marts.family_concentration",
            hub,
        ),
        figure(
            "chart-derivatives",
            "Derivative models per family",
            charts.derivatives(d["derivatives"]),
            "No children counts loaded yet.",
            "marts.family_derivatives (raw.hub_children_counts)",
            hub,
        ),
        figure(
            "chart-disclosure",
            "Contamination disclosure rate per family",
            charts.disclosure(d["disclosure"]),
            "No model card snapshot loaded yet.",
            'marts.disclosure_rate; each bar links to <a href="#evidence">the evidence</a> of its verdicts',
            cards,
        ),
        figure(
            "chart-quality",
            f"Data quality: source windows by status, the last {charts.QUALITY_DAYS} days",
            charts.quality(d["quality"]),
            "No source has been loaded yet.",
            "meta.snapshot_log",
            False,
        ),
    ]
    banner = (
        '<p class="banner">SYNTHETIC SAMPLE DATA: figures marked <em>synthetic</em> come from the bundled '
        "sample, not from real sources.</p>"
        if d.synthetic_sources
        else ""
    )
    return TEMPLATE.substitute(
        generated=esc(f"{d.generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"),
        banner=banner,
        status=status_section(d),
        cards=kpi_cards(d),
        figures="".join(figures),
        evidence=evidence_section(d),
    )


def write_page(d: InsightsData, path: Path) -> Path:
    """Write the page atomically (a reader never sees half a page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render(d), encoding="utf-8")
    tmp.replace(path)
    return path
