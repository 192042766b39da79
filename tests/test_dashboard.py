"""`salesops dashboard` in a real browser: Debian's chromium (/usr/bin/chromium) driven by
Playwright (`playwright install` is never run; `make test` installs chromium with apt when it
is missing). Each page must load without an error and show the figures a query of the
published file gives; screenshots go to var/test-logs/screenshots/."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from orchestration import PROJECT_ROOT
from orchestration.publish.publisher import Mart, publish
from tests.conftest import published

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "var" / "test-logs" / "screenshots"
LOAD_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`sudo apt-get install chromium`; "
                    "`make test` does it when run as root). Never `playwright install`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dashboard(home: Path, log: Path, restricted: bool = False):
    """`salesops dashboard` on a free port, as a user starts it; yields its URL."""
    port = _free_port()
    command = [str(Path(sys.executable).with_name("salesops")), "dashboard", "--home", str(home),
               "--port", str(port)] + (["--restricted"] if restricted else [])
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"salesops dashboard exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"salesops dashboard did not answer within 90 s:\n{log.read_text()}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def open_page(page, url: str, title: str, screenshot: str) -> str:
    """Load a page, wait until its script has finished, fail on any error shown; returns
    the page's text. Writes the screenshot."""
    page.goto(url)
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=LOAD_TIMEOUT_MS)
    # The status widget ("Running...") is there while the page's script runs.
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                           timeout=LOAD_TIMEOUT_MS)
    page.wait_for_timeout(500)
    shoot(page, screenshot)
    text = page.locator("body").inner_text()
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()
    assert "Traceback" not in text
    assert "no publication" not in text
    return text


def shoot(page, name: str) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its main block, so the
    viewport is made as tall as that block for the picture."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 15000)})
    # Charts draw once they are on screen: wait until every one has drawn.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]"
        ".every(chart => chart.querySelector('.main-svg'))", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def metric(page, label: str) -> str:
    """The value shown by the st.metric whose label starts with `label`."""
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    assert box.count() == 1, f"no single metric labelled {label!r}"
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def copy_publication(home: Path, dest: Path, restricted: bool) -> Path:
    """A home holding only the current publication of `home` (without restricted.duckdb
    unless asked): what the dashboard reads."""
    current = (home / "published").resolve()
    shutil.copytree(current, dest / "publications" / current.name,
                    ignore=None if restricted else shutil.ignore_patterns("restricted.duckdb"))
    os.symlink(Path("publications") / current.name, dest / "published")
    return dest


def rep_names(home: Path) -> list[str]:
    con = duckdb.connect(str(home / "published" / "restricted.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "select distinct full_name from marts.dim_commission_plan_periods where full_name is not null"
        ).fetchall()]
    finally:
        con.close()


def latest_quarter_attainment(home: Path) -> float:
    ((attainment,),) = published(home, """
        select attainment from marts.fct_quota_attainment
        where level = 'company' and period_type = 'quarter' and is_period_complete
        order by period_start desc limit 1""")
    return attainment


def test_every_page_shows_the_published_figures_and_nothing_restricted(generated_home, browser, tmp_path):
    # The dashboard gets a home without restricted.duckdb: every page must work without it.
    home = copy_publication(generated_home, tmp_path / "home", restricted=False)
    info = json.loads((home / "published" / "publication.json").read_text())
    names = rep_names(generated_home)
    assert len(names) > 50  # the generated company's reps: a real check, not an empty list
    pages = {}
    with dashboard(home, tmp_path / "dashboard.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})

        pages["sales"] = open_page(page, url, "Sales", "sales")
        assert metric(page, "Company attainment, latest complete quarter") == f"{latest_quarter_attainment(home):.1%}"

        pages["people"] = open_page(page, f"{url}/people", "People", "people")
        ((month, rate),) = published(home, """
            select month_start, turnover_rate from marts.fct_rep_turnover
            where segment_type = 'company' and is_month_complete order by month_start desc limit 1""")
        assert metric(page, f"Turnover rate, {month:%Y-%m}") == f"{rate:.1%}"

        pages["forecast"] = open_page(page, f"{url}/forecast", "Forecast", "forecast")
        ((wape,),) = published(home, """
            select wape from marts.fct_forecast_accuracy_rollup r
            where level = 'company' and period_type = 'quarter' and forecast_type = 'commit'
                and period_end <= ? and week_of_period = (
                    select max(week_of_period) from marts.fct_forecast_accuracy_rollup
                    where period_start = r.period_start and period_type = 'quarter')
            order by period_start desc limit 1""", [info["as_of"]])
        assert metric(page, "Company WAPE, final week") == f"{wape:.1%}"

        pages["health"] = open_page(page, f"{url}/health", "Data health", "health")
        assert metric(page, "As of") == info["as_of"]
        for source, facts in info["sources"].items():
            row = page.locator("table tr").filter(has_text=source).first.inner_text()
            assert facts["latest_landing_day"] in row and str(facts["rows_rejected"]) in row, row
        for mart, facts in info["marts"].items():
            if facts["file"] == "bi.duckdb":
                row = page.locator("table tr").filter(has_text=mart).first.inner_text()
                assert str(facts["checks"].get("passed", 0)) in row, row

        # Without --restricted there is no Finance page, and its address shows none.
        assert page.get_by_role("link", name="Finance").count() == 0
        page.goto(f"{url}/finance")
        page.get_by_role("heading", name="Sales", level=1).wait_for(timeout=LOAD_TIMEOUT_MS)
        assert page.get_by_role("heading", name="Finance: commission reconciliation").count() == 0
        page.close()
    for name, text in pages.items():
        shown = [n for n in names if n in text]
        assert not shown, f"rep names on the {name} page without --restricted: {shown[:3]}"


def test_finance_page_reconciles_and_opens_the_reps_statement(generated_home, browser, tmp_path):
    restricted = generated_home / "published" / "restricted.duckdb"
    con = duckdb.connect(str(restricted), read_only=True)
    try:
        ((matched, total),) = con.execute(
            "select count(*) filter (where status = 'matched'), count(*) from marts.fct_commission_reconciliation"
        ).fetchall()
        # A rep and plan period whose statement the build wrote (the as-of month's).
        month = sorted((generated_home / "statements").iterdir())[-1].name
        written = {p.stem for p in (generated_home / "statements" / month).glob("*.html")} - {"index"}
        candidates = con.execute("""
            select r.employee_id, p.full_name, r.period_type, r.period_start
            from marts.fct_commission_reconciliation r
            join marts.dim_commission_plan_periods p using (employee_id, period_start, period_type)
            where strftime(r.period_end, '%Y-%m') = ? order by r.employee_id""", [month]).fetchall()
    finally:
        con.close()
    employee_id, full_name, period_type, period_start = next(c for c in candidates if c[0] in written)
    with dashboard(generated_home, tmp_path / "dashboard.log", restricted=True) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_page(page, f"{url}/finance", "Finance: commission reconciliation", "finance")
        assert metric(page, "Rep-periods matched") == f"{matched} of {total}"
        label = f"{full_name} ({employee_id}) · {period_type} {period_start:%Y-%m-%d}"
        page.get_by_label("Rep and plan period").click()
        page.keyboard.type(label)
        page.keyboard.press("Enter")
        statement = page.frame_locator("iframe").locator("body")
        statement.get_by_text(full_name).first.wait_for(timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                               timeout=LOAD_TIMEOUT_MS)
        shoot(page, "finance-statement")
        assert str(generated_home / "statements" / month / f"{employee_id}.html") in page.locator("body").inner_text()
        page.close()


def test_a_new_publication_shows_without_a_restart(generated_home, browser, tmp_path):
    home = copy_publication(generated_home, tmp_path / "home", restricted=False)
    before = latest_quarter_attainment(home)
    with dashboard(home, tmp_path / "dashboard.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_page(page, url, "Sales", "sales-before-new-publication")
        assert metric(page, "Company attainment, latest complete quarter") == f"{before:.1%}"

        # A second publication, through the publisher's own swap, whose company bookings
        # (and so attainment) are doubled.
        source = tmp_path / "second.duckdb"
        shutil.copyfile(home / "published" / "bi.duckdb", source)
        con = duckdb.connect(str(source))
        try:
            con.execute("update marts.fct_quota_attainment set credited_bookings = credited_bookings * 2, "
                        "attainment = attainment * 2 where level = 'company'")
            marts = [Mart(name, "marts", False) for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        finally:
            con.close()
        info = json.loads((home / "published" / "publication.json").read_text())
        info.pop("marts")
        publish(source, home, "second-publication", marts, {**info, "run_id": "second-publication"})
        after = latest_quarter_attainment(home)
        assert f"{after:.1%}" != f"{before:.1%}"

        text = open_page(page, url, "Sales", "sales-after-new-publication")
        assert metric(page, "Company attainment, latest complete quarter") == f"{after:.1%}"
        assert "run second-publication" in text
        page.close()
