"""The insights page: built by the last asset of a run over a small synthetic sample, rendered in headless
Chromium (DevTools protocol over a websocket) to check its KPI values against the warehouse, its charts,
its console and that it requests nothing from the network; the empty-warehouse page; the asset metadata."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from hubsignal.contract import parse_columns
from hubsignal.settings import DEFAULT_FAMILIES_FILE, Settings
from tests.conftest import query

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)"
)
STATUS = re.compile(r"Last: \d\d:\d\d UTC \| Next: \d\d:\d\d UTC")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """A run of the whole graph over 12 sample windows (hub, LiveBench, cards, legacy scores), in process."""
    from demo.cards import build_sample_cards
    from demo.hub import build_sample_archive
    from demo.livebench import build_livebench_sample
    from demo.scores import build_card_scores_sample, build_legacy_sample
    from hubsignal.families import load_families
    from pipelines.cli import run_windows

    home = tmp_path_factory.mktemp("insights") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUBSIGNAL_HOME", str(home))
        mp.setenv("HUBSIGNAL_OFFLINE", "1")
        mp.setenv("HUBSIGNAL_GX", "off")
        mp.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
        mp.setenv("LIVEBENCH_BASE_URL", "http://127.0.0.1:9")
        for name in ("HUBSIGNAL_WAREHOUSE", "HF_TOKEN", "HUBSIGNAL_FAMILIES", "DAGSTER_HOME"):
            mp.delenv(name, raising=False)
        settings = Settings.from_env()
        families = load_families(DEFAULT_FAMILIES_FILE)
        keys = build_sample_archive(settings.landing, families, n_windows=12).window_keys
        build_livebench_sample(settings.landing, first_window=keys[0], n_windows=len(keys))
        build_sample_cards(settings.landing, families, keys, top_n=settings.cards_top_n)
        build_legacy_sample(settings.landing)
        build_card_scores_sample(settings.landing, families, keys, top_n=settings.cards_top_n)
        result = run_windows(keys[0], keys[-1], quiet=True)
    assert result.success
    return home, result


class Chromium:
    """Headless Chromium driven over the DevTools protocol: load a page, collect every request, console
    message and exception, evaluate JavaScript in it."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="hubsignal-chromium-")
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "--window-size=1300,2000",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url, deadline = None, time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            url = match.group(1) if match else None
        assert url, "chromium did not start its DevTools endpoint"
        from websockets.sync.client import connect

        self.ws = connect(url, max_size=None, open_timeout=10).__enter__()  # closed in close()
        self.next_id, self.events = 0, []

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=30))
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv(timeout=deadline - time.monotonic()))
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise AssertionError(f"no {method} within {timeout} s")

    def load(self, url: str) -> str:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session)
        self.events.clear()
        self.send("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired")
        time.sleep(0.5)  # let late requests or errors arrive
        self.send("Runtime.evaluate", session, expression="1")  # drains pending events into self.events
        return session

    def evaluate(self, session: str, expression: str):
        result = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(e["params"]["exceptionDetails"])[:300])
            elif e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"):
                out.append(json.dumps(e["params"]["args"])[:300])
            elif e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error":
                out.append(e["params"]["entry"]["text"])
        return out

    def close(self):
        self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def chromium():
    browser = Chromium()
    yield browser
    browser.close()


PAGE_FACTS = """JSON.stringify({
  status: document.getElementById('status-line')?.textContent,
  leader: document.querySelector('[data-kpi-value=leader_family]')?.textContent,
  gap: document.querySelector('[data-kpi-value=mean_gap_pp]')?.textContent,
  rate: document.querySelector('[data-kpi-value=contamination_disclosure_rate]')?.textContent,
  derivative_card: document.querySelector('[data-kpi=top_family_derivative_downloads_30d]')?.textContent,
  charts: [...document.querySelectorAll('[data-chart] svg')]
      .filter(s => s.getBoundingClientRect().width > 100 && s.querySelectorAll('path, rect, line').length > 5)
      .map(s => s.parentElement.dataset.chart),
  empties: [...document.querySelectorAll('.empty')].map(e => e.textContent),
  synthetic: document.querySelectorAll('.synthetic').length,
  text: document.body.innerText,
})"""


@needs_chromium
def test_page_in_chromium_matches_the_warehouse(demo_run, chromium):
    home, _ = demo_run
    page = home / "report" / "index.html"
    assert page.is_file() and page.stat().st_size < 600_000
    session = chromium.load(page.as_uri())
    facts = json.loads(chromium.evaluate(session, PAGE_FACTS))

    leader, gap, rate = query(
        home,
        "SELECT leader_family, mean_gap_pp, contamination_disclosure_rate "
        "FROM marts.headline_kpis ORDER BY window_start DESC LIMIT 1",
    )[0]
    assert leader and gap is not None and rate is not None
    assert facts["leader"] == leader
    assert facts["gap"] == f"{gap:.1f}pp"
    assert facts["rate"] == f"{100 * rate:.1f}%"
    assert "no whole-Hub graph in this window" in facts["derivative_card"]  # the sample has no hub_graph windows
    assert STATUS.search(facts["status"])
    last = query(home, "SELECT max(window_start) FROM meta.snapshot_log WHERE status IN ('observed', 'imported')")[0][0]
    assert facts["status"].startswith(f"Last: {last:%H:%M} UTC")
    assert len(facts["charts"]) >= 3, facts["charts"]
    assert {"chart-model-gap", "chart-downloads", "chart-disclosure"} <= set(facts["charts"])
    assert facts["synthetic"] > 0 and "SYNTHETIC SAMPLE DATA" in facts["text"]
    assert "Last run's checks:" in facts["text"] and "not recorded" not in facts["text"]

    assert chromium.errors() == []
    requests = chromium.requests()
    assert requests and all(url.startswith(("file:", "data:", "about:")) for url in requests), requests


@needs_chromium
def test_empty_warehouse_page_renders(tmp_path, home, chromium):
    from hubsignal.insights import build_page

    page, data = build_page(Settings.from_env())
    assert data.kpis is None
    session = chromium.load(page.as_uri())
    facts = json.loads(chromium.evaluate(session, PAGE_FACTS))
    assert facts["charts"] == []
    assert any("No LiveBench release loaded yet" in e for e in facts["empties"])
    assert "No headline KPIs yet" in facts["text"] and "Last: none yet" in facts["status"]
    assert chromium.errors() == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in chromium.requests())


def test_page_is_self_contained(demo_run):
    html = (demo_run[0] / "report" / "index.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.replace('href="https://huggingface.co', ""))
    assert "<script" not in html and "@import" not in html and "url(" not in html


def test_materializations_carry_schema_row_counts_and_previews(demo_run):
    import dagster as dg

    _, result = demo_run
    meta = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    kpis = meta["marts/headline_kpis"]
    schema = kpis["dagster/column_schema"].schema
    assert isinstance(schema, dg.TableSchema)
    columns = {c.name: c for c in schema.columns}
    assert "leader_family" in columns and columns["leader_family"].description
    assert kpis["dagster/row_count"].value > 0
    assert "| window_start |" in kpis["preview"].md_str
    for key in ("raw/hub_models", "raw/livebench_scores", "marts/family_downloads", "staging/families"):
        assert "dagster/column_schema" in meta[key] and "dagster/row_count" in meta[key], key
    report = meta["reports/insights"]
    assert report["path"].path.endswith("report/index.html")
    assert "contamination-disclosure rate" in report["kpis"].md_str


def test_contract_columns_are_parsed_from_the_readme_syntax():
    cols = parse_columns(
        "`window_start`, `relation` (`finetune`/`adapter`; `any` when bare), "
        "`gap_pp` = legacy − LiveBench (points), `mean_gap_pp` and `mean_gap_release_date` (mean gap)"
    )
    assert cols == {
        "window_start": "",
        "relation": "finetune/adapter; any when bare",
        "gap_pp": "= legacy − LiveBench (points)",
        "mean_gap_pp": "mean gap",
        "mean_gap_release_date": "mean gap",
    }


def test_report_command_prints_the_path(home, capsys):
    from pipelines.cli import main

    assert main(["report"]) == 0
    assert capsys.readouterr().out.strip() == str(Path(home) / "report" / "index.html")


def test_time_series_charts_draw_a_bounded_number_of_points():
    """A year of windows costs the page what a month does: the downloads line thins older windows evenly
    (the newest always drawn), the quality chart shows the last QUALITY_DAYS days."""
    from datetime import date, datetime, timedelta

    from hubsignal.insights import charts

    first = datetime(2025, 1, 1)
    windows = [first + timedelta(hours=6 * i) for i in range(1460)]
    rows = [{"window_start": w, "family": f, "downloads_all_time": i} for i, w in enumerate(windows) for f in "AB"]
    kept = charts.thin_windows(rows)
    kept_windows = sorted({r["window_start"] for r in kept})
    assert len(kept_windows) <= charts.MAX_LINE_WINDOWS and len(kept_windows) > charts.MAX_LINE_WINDOWS // 2
    assert kept_windows[-1] == windows[-1] and all(
        len([r for r in kept if r["window_start"] == w]) == 2 for w in kept_windows
    )
    assert charts.thin_windows(rows[:100]) == rows[:100]  # few windows: all drawn
    line = charts.cumulative_downloads(rows, []).to_dict()
    assert len(line["data"]["values"]) == len(kept)

    days = [date(2025, 1, 1) + timedelta(days=d) for d in range(365)]
    quality = charts.quality([{"day": d, "status": "imported", "snapshots": 4} for d in days]).to_dict()
    drawn = sorted(v["day"] for v in quality["data"]["values"])
    assert len(drawn) == charts.QUALITY_DAYS and drawn[-1] == days[-1].isoformat()


def test_profile_counts_a_windowed_view_only_over_the_run_windows():
    """A windowed view is not evaluated over all history for its row count (staging.hub_graph_edges at 2M models
    a window); a table is counted whole (DuckDB keeps its count)."""
    from datetime import datetime

    import duckdb

    from hubsignal.contract import profile

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA staging")
    con.execute(
        "CREATE TABLE raw.t AS SELECT TIMESTAMP '2025-01-01' + to_hours(6 * (i % 40)) AS window_start, i "
        "FROM range(400) r(i)"
    )
    con.execute("CREATE VIEW staging.v AS SELECT window_start, i FROM raw.t")
    start, end = datetime(2025, 1, 3), datetime(2025, 1, 4)
    view, table = profile(con, "staging.v", start, end), profile(con, "raw.t", start, end)
    assert view.row_count is None and view.rows_in_range == 40
    assert table.row_count == 400 and table.rows_in_range == 40
    assert profile(con, "staging.v").row_count == 400  # no run range: counted whole
