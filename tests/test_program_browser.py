"""The program officer's main path in real Chromium (Debian's, driven by Playwright) against
``smartfactory serve`` on a free loopback port with a small programme file: sign in, the
dashboard with the officer's region only, a company with measured and self-reported results,
a project moved one step and then refused by a rule, the questionnaire's levels, Korean.
Two screenshots go to docs/screenshots/program-*.png."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from program_helpers import COMPANY, COMPANY2, applied, consented_days, registry
from smartfactory.program import lifecycle as lc
from smartfactory.program.assessment import QUESTIONS
from smartfactory.program.performance import record_kpi
from smartfactory.program.registry import assign_officer
from smartfactory.program.rollup import set_target
from smartfactory.program.schema import ProgramDB
from smartfactory.testing import free_port, wait_port

CHROMIUM = "/usr/bin/chromium"
#: screenshots go to the docs when asked (UPDATE_SCREENSHOTS=1 make test), else to a
#: temporary folder: a test run does not change tracked files
SHOTS = (
    Path(__file__).resolve().parents[1] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS")
    else Path(tempfile.mkdtemp(prefix="sf-shots-"))
)
PASSWORD = "officer-pw-123"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (make system-deps)"
)


def programme(path: Path) -> None:
    """Gyeonggi: 한빛정밀 with a finished project (P1, measured and self-reported results) and
    a new application (P3); Gyeongnam: 대성금속 (P2), which the officer must not see."""
    with ProgramDB(path) as db:
        registry(db)
        applied(db)
        applied(db, project_id="P2", company=COMPANY2, site="main")
        applied(db, project_id="P3", company=COMPANY, programme_id="U22", level_now=1,
                level_target=2)  # fmt: skip
        lc.select(db, "P1", date(2022, 4, 1))
        lc.agree(db, "P1", date(2022, 4, 15))
        lc.start_build(db, "P1", date(2022, 5, 1))
        lc.complete_audit(db, "P1", date(2022, 9, 30), 1)
        lc.start_follow_up(db, "P1", date(2022, 10, 10))
        consented_days(db, COMPANY, "plant1", date(2022, 2, 1), 89, scrap_per_day=30)
        consented_days(db, COMPANY, "plant1", date(2022, 9, 30), 90, scrap_per_day=12)
        consented_days(db, COMPANY2, "main", date(2022, 2, 1), 30, scrap_per_day=50)
        for win, sales in (("baseline", 2_100_000_000), ("after1", 2_350_000_000)):
            record_kpi(db, "P1", "sales_krw", win, sales)
        assign_officer(db, "kim", region="gyeonggi")
        set_target(db, "경기 기초 이상", year=2025, min_level=1, factories=4, region="gyeonggi")
        set_target(db, "전국 기초 이상", year=2025, min_level=1, factories=900, region=None)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from smartfactory.store.db import Store
    from smartfactory.web.auth import add_user

    d = tmp_path_factory.mktemp("program-browser")
    programme(d / "program.duckdb")
    with Store(d / "web.duckdb") as s:
        add_user(s, "kim", PASSWORD, enterprise=None, role="program_officer",
                 display_name="김담당")  # fmt: skip
    port = free_port()
    env = {**os.environ, "SMARTFACTORY_PROGRAM_DB": str(d / "program.duckdb")}
    cmd = [sys.executable, "-m", "smartfactory", "serve", "--db", str(d / "web.duckdb"),
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(20)


def test_program_officer_main_path(site):
    from playwright.sync_api import sync_playwright

    base = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        # sign in: an officer lands on the programme dashboard, not on a factory page
        page.goto(f"{base}/login")
        page.fill("#username", "kim")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(f"{base}/program")
        nav = page.inner_text("#nav")
        assert "Programme" in nav and "Floor" not in nav
        # the dashboard: the officer's region's figures only
        assert "Gyeonggi" in page.inner_text("#scope")
        assert page.inner_text("#total-projects") == "2"
        assert page.inner_text("#total-public") == "₩100,000,000"
        companies = page.inner_text("#company-list")
        assert "한빛정밀" in companies and "대성금속" not in companies
        assert "Gyeongnam" not in page.inner_text("#rollup-table")
        progress = page.inner_text("#progress-table")  # P1's audit confirmed level 1: 1 of 4
        assert "경기 기초 이상" in progress and "25 %" in progress and "전국" not in progress
        page.wait_for_selector("#chart-funding canvas")
        page.wait_for_timeout(500)  # chart animation
        page.screenshot(path=str(SHOTS / "program-dashboard.png"), full_page=True)
        # a company: measured before/after beside the self-reported, consented summaries
        page.click("#company-list >> text=한빛정밀")
        page.wait_for_url(f"{base}/program/companies/{COMPANY}")
        perf = page.locator("#performance-P1")
        assert perf.locator("[data-source=measured]").count() >= 2
        assert perf.locator("[data-source=self_reported]").count() == 2  # sales, both windows
        assert "-60.0 %" in perf.inner_text()  # defect rate 3 % → 1.2 %, measured
        assert "2022-02" in page.inner_text("#summaries-table")
        page.wait_for_selector("#chart-summaries canvas")
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "program-company.png"), full_page=True)
        # the workflow: one step forward, then a step that breaks a rule
        page.click("#open-P3")
        page.wait_for_url(f"{base}/program/projects/P3")
        assert page.get_attribute("#status", "data-status") == "applied"
        page.click("#step-select")
        page.wait_for_selector("#step-done")
        assert page.get_attribute("#status", "data-status") == "selected"
        page.fill("#form-agree input[name=on]", "2022-01-10")  # before the selection
        page.click("#step-agree")
        page.wait_for_selector("#step-error")
        assert page.inner_text("#rule-code") == "date_order"
        assert "before selected on" in page.inner_text("#rule-detail")
        assert page.get_attribute("#status", "data-status") == "selected"
        # the questionnaire gives the levels and the roadmap
        page.click("#nav >> text=Maturity assessment")
        page.wait_for_url(f"{base}/program/assess")
        for q in QUESTIONS:
            page.check(f"#q_{q.id}_{1 if q.id == 'S6' else 3}")
        page.click("#assess-submit")
        page.wait_for_selector("#system-level")
        assert page.get_attribute("#system-level", "data-level") == "3"
        assert "Intermediate 2" in page.inner_text("#system-level")
        roadmap = page.inner_text("#roadmap")  # level 4 lacks data-driven analysis (S6)
        assert "Data-driven diagnosis" in roadmap and "smartfactory rootcause" in roadmap
        # once in Korean
        page.click("#switch-lang")
        page.wait_for_function("document.documentElement.lang === 'ko'")
        assert page.inner_text("h1") == "스마트공장 수준 자가진단"
        page.goto(f"{base}/program")
        assert page.inner_text("h1") == "스마트공장 지원사업 현황"
        assert "경기도" in page.inner_text("#scope")
        ctx.close()
        browser.close()
    assert (SHOTS / "program-dashboard.png").stat().st_size > 10_000
