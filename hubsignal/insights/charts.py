"""The page's charts: declared with Altair (Vega-Lite), rendered to static SVG by vl-convert.

Why static SVG: vl-convert runs Vega-Lite and Vega inside the Python process (it bundles them, no network and
no browser needed), so the page carries a few KB of SVG per chart instead of ~1 MB of inlined vega JavaScript,
renders with JavaScript off, cannot fail at view time, and a test can inspect it as text. The price is no
interactivity (hover tooltips become SVG <title>s where Vega writes them).

Each function takes the rows of one query (hubsignal.insights.data) and returns a chart, or None when there
is nothing to draw (the page shows an empty state instead).
"""

from __future__ import annotations

from datetime import date, datetime

import altair as alt

WIDTH = 560
VL_CONVERT_BASE = "https://vega.github.io/vega-datasets/"  # vl-convert's default base URL for data and links
LEGACY_SELF = "Legacy MMLU (self-reported)"
LEGACY_THIRD = "Legacy MMLU (third-party)"
LIVEBENCH = "LiveBench global average"
COLORS = {LEGACY_SELF: "#d62728", LEGACY_THIRD: "#ff9896", LIVEBENCH: "#1f77b4"}
STATUS_COLORS = {"observed": "#2ca02c", "imported": "#1f77b4", "missing": "#bbbbbb", "quarantined": "#d62728"}
# The time-series charts draw a bounded number of points, so the page costs the same after a month or a year of
# history (Altair validates and vl-convert renders every point: seconds for a year of windows).
MAX_LINE_WINDOWS = 240  # cumulative downloads: older windows thinned evenly, the newest always kept
QUALITY_DAYS = 90  # data quality: the newest days only


def thin_windows(rows: list[dict], max_windows: int = MAX_LINE_WINDOWS, key: str = "window_start") -> list[dict]:
    """The rows of at most `max_windows` distinct `key` values, evenly spaced over all of them, counted back
    from the newest (always kept); rows in their order."""
    keys = sorted({r[key] for r in rows})
    if len(keys) <= max_windows:
        return rows
    step = -(-len(keys) // max_windows)  # ceil: at most max_windows kept
    kept = set(keys[::-1][::step])
    return [r for r in rows if r[key] in kept]


def _labelled_bars(base: alt.Chart, field: str, *, label_format: str, color: str, width: int) -> alt.Chart:
    """Horizontal bars with each bar's value written at its end."""
    return (
        base.mark_bar(color=color)
        + base.mark_text(align="left", dx=3).encode(text=alt.Text(field, format=label_format))
    ).properties(width=width)


def _values(rows: list[dict]) -> list[dict]:
    """JSON-ready copies of the rows (dates as ISO strings, decimals as floats)."""
    out = []
    for r in rows:
        item = {}
        for k, v in r.items():
            if isinstance(v, (datetime, date)):
                v = v.isoformat()
            elif v is not None and not isinstance(v, (bool, int, float, str)):
                v = float(v)
            item[k] = v
        out.append(item)
    return out


def model_gap(rows: list[dict]) -> alt.Chart | None:
    """Legacy MMLU beside the LiveBench global average per model, sorted by the gap."""
    if not rows:
        return None
    long = []
    order = [r["model"].rsplit("/", 1)[-1] for r in rows]  # the query sorts by gap, widest first
    for r in _values(rows):
        r = {**r, "repo": r["model"], "model": r["model"].rsplit("/", 1)[-1]}
        legacy = LEGACY_SELF if r["self_reported"] or r["self_reported"] is None else LEGACY_THIRD
        long.append(
            {
                "model": r["model"],
                "benchmark": legacy,
                "score": r["legacy_score"],
                "gap_pp": r["gap_pp"],
                "source": r["legacy_source"],
                "repo": r["repo"],
            }
        )
        long.append(
            {
                "model": r["model"],
                "benchmark": LIVEBENCH,
                "score": r["livebench_score"],
                "gap_pp": r["gap_pp"],
                "source": "livebench",
                "repo": r["repo"],
            }
        )
    present = [k for k in COLORS if any(x["benchmark"] == k for x in long)]
    return (
        alt.Chart(alt.Data(values=long))
        .mark_bar()
        .encode(
            y=alt.Y("model:N", sort=order, title=None, axis=alt.Axis(labelLimit=200)),
            yOffset=alt.YOffset("benchmark:N", sort=list(COLORS)),
            x=alt.X("score:Q", title="score (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "benchmark:N",
                scale=alt.Scale(domain=present, range=[COLORS[k] for k in present]),
                legend=alt.Legend(orient="bottom", title=None, columns=1),
            ),
            tooltip=[
                "repo:N",
                "benchmark:N",
                alt.Tooltip("score:Q", format=".1f"),
                alt.Tooltip("gap_pp:Q", format=".1f"),
                "source:N",
            ],
        )
        .properties(width=WIDTH - 160, height=alt.Step(9))
    )


def family_gap(rows: list[dict]) -> alt.Chart | None:
    if not rows:
        return None
    data = _values(rows)
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y("family:N", sort="-x", title=None),
        x=alt.X("mean_gap_pp:Q", title="mean legacy − LiveBench gap (points)"),
    )
    return _labelled_bars(base, "mean_gap_pp:Q", label_format=".1f", color="#d62728", width=WIDTH - 160)


def cumulative_downloads(rows: list[dict], overtakes: list[dict]) -> alt.Chart | None:
    """Cumulative downloads per family over time; overtake events as labelled points."""
    if not rows:
        return None
    lines = (
        alt.Chart(alt.Data(values=_values(thin_windows(rows))))
        .mark_line(strokeWidth=1.5)
        .encode(
            x=alt.X("window_start:T", title=None),
            y=alt.Y("downloads_all_time:Q", title="cumulative downloads", axis=alt.Axis(format="~s")),
            color=alt.Color("family:N", legend=alt.Legend(orient="right", title=None)),
            tooltip=["family:N", "window_start:T", alt.Tooltip("downloads_all_time:Q", format=",")],
        )
    )
    if not overtakes:
        return lines.properties(width=WIDTH - 100, height=260)
    events = [{**e, "label": f"{e['family']} passes {e['overtaken_family']}"} for e in _values(overtakes)]
    marks = alt.Chart(alt.Data(values=events)).encode(
        x="window_start:T",
        y="downloads_all_time:Q",
    )
    return (
        lines
        + marks.mark_point(shape="diamond", size=80, filled=True, color="black")
        + marks.mark_text(align="left", dx=6, dy=-6, fontSize=10).encode(text="label:N")
    ).properties(width=WIDTH - 100, height=260)


def share_30d(rows: list[dict]) -> alt.Chart | None:
    if not rows:
        return None
    base = alt.Chart(alt.Data(values=_values(rows))).encode(
        y=alt.Y("family:N", sort="-x", title=None),
        x=alt.X("share_30d:Q", title="share of the tracked families' 30-day downloads", axis=alt.Axis(format="%")),
    )
    return _labelled_bars(base, "share_30d:Q", label_format=".1%", color="#1f77b4", width=WIDTH - 160)


def leader_vs_next_eight(rows: list[dict]) -> alt.Chart | None:
    if not rows or rows[0]["leader_downloads_30d"] is None:
        return None
    r = rows[0]
    data = [
        {"who": f"{r['leader_family']} (leader)", "downloads_30d": r["leader_downloads_30d"]},
        {"who": f"next {r['n_next_families']} families combined", "downloads_30d": r["next_eight_downloads_30d"]},
    ]
    base = alt.Chart(alt.Data(values=_values(data))).encode(
        y=alt.Y("who:N", title=None, sort=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("downloads_30d:Q", title="30-day downloads", axis=alt.Axis(format="~s")),
    )
    return _labelled_bars(base, "downloads_30d:Q", label_format=".3~s", color="#9467bd", width=WIDTH - 200)


def derivatives(rows: list[dict]) -> alt.Chart | None:
    if not rows:
        return None
    return (
        alt.Chart(alt.Data(values=_values(rows)))
        .mark_bar()
        .encode(
            y=alt.Y("family:N", sort="-x", title=None),
            x=alt.X("sum(n_derivatives):Q", title="derivative models", axis=alt.Axis(format="~s")),
            color=alt.Color("relation:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["family:N", "relation:N", alt.Tooltip("n_derivatives:Q", format=",")],
        )
        .properties(width=WIDTH - 160)
    )


def disclosure(rows: list[dict]) -> alt.Chart | None:
    """Disclosure rate per family; each bar links to that family's evidence on the page."""
    data = [{**r, "href": f"#evidence-{_slug(r['family'])}"} for r in _values(rows) if r["disclosure_rate"] is not None]
    if not data:
        return None
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y("family:N", sort="-x", title=None),
        x=alt.X(
            "disclosure_rate:Q",
            title="model cards disclosing a contamination check",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
    )
    return (
        (
            base.mark_bar(color="#2ca02c", cursor="pointer").encode(href="href:N")
            + base.mark_text(align="left", dx=3).encode(text=alt.Text("label:N"))
        )
        .transform_calculate(
            label="format(datum.disclosure_rate, '.0%') + ' (' + datum.models_disclosing + '/' + datum.models_with_card + ')'"
        )
        .properties(width=WIDTH - 200)
    )


def quality(rows: list[dict]) -> alt.Chart | None:
    """Source windows per day by status, the newest QUALITY_DAYS days."""
    if not rows:
        return None
    newest = max(r["day"] for r in rows)
    rows = [r for r in rows if (newest - r["day"]).days < QUALITY_DAYS]
    present = [s for s in STATUS_COLORS if any(r["status"] == s for r in rows)]
    others = sorted({r["status"] for r in rows} - set(present))
    domain = present + others
    return (
        alt.Chart(alt.Data(values=_values(rows)))
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%b %d", labelOverlap=True)),
            y=alt.Y("snapshots:Q", title="source windows per day"),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=domain, range=[STATUS_COLORS.get(s, "#8c564b") for s in domain]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=["day:T", "status:N", "snapshots:Q"],
        )
        .properties(width=WIDTH - 60, height=140)
    )


def _slug(text: str | None) -> str:
    return "".join(c if c.isalnum() else "-" for c in (text or "untracked")).lower()


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Static SVG of a chart, rendered offline by vl-convert (Vega-Lite -> Vega -> SVG, in process)."""
    import vl_convert as vlc

    spec = chart.configure(font="system-ui, sans-serif", background="transparent").configure_view(stroke=None).to_dict()
    svg = vlc.vegalite_to_svg(spec)
    # vl-convert resolves relative links (our #evidence-<family> anchors) against its own base URL; keep them
    # relative, so a bar links to the evidence on this page and the page names no remote address.
    svg = svg.replace(f'href="{VL_CONVERT_BASE}#', 'href="#')
    return svg[svg.index("<svg") :] if "<svg" in svg else svg  # drop any XML prolog: the SVG is inlined in HTML
