"""The web app in real Chromium (Debian's, driven by Playwright) against ``smartfactory serve``
on a free loopback port: sign in, the floor updating as data arrives, drilling into a machine,
an upload with a bad row, switching to Korean; and screenshots of the main pages for the docs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smartfactory.testing import free_port, wait_port
from webapp import OWN, build, password

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
#: screenshots go to the docs when asked (UPDATE_SCREENSHOTS=1 make test), else to a
#: temporary folder: a test run does not change tracked files
SHOTS = (
    Path(__file__).resolve().parents[1] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS")
    else Path(tempfile.mkdtemp(prefix="sf-shots-"))
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (make system-deps)"
)


def serve(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    # the floor refreshes every second and answers may be 1 s old under live data (default 5)
    env = {**os.environ, "SMARTFACTORY_FLOOR_REFRESH_S": "1", "SMARTFACTORY_LIVE_MAX_STALE_S": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smartfactory", "serve", "--db", str(db), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, 60)
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    plant = build(tmp_path_factory.mktemp("browser"))
    proc, base = serve(plant.db)
    try:
        yield base, plant
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        b.close()


def signed_in(browser, base: str, role: str = "operator", tenant: str = "acme", locale="en-US"):
    ctx = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(f"{base}/floor")
    assert "/login" in page.url  # not signed in yet: sent to the sign-in page
    page.fill("#username", f"{role}@{tenant}")
    page.fill("#password", password(role, tenant))
    page.click("#sign-in")
    page.wait_for_url(f"{base}/floor")
    return ctx, page


def test_sign_in_floor_updates_live_and_drill_into_a_machine(site, browser):
    base, plant = site
    ctx, page = signed_in(browser, base)
    m = OWN["acme"]["machine"]
    tile = page.locator(f'[id="tile-{m}"]')
    assert tile.get_attribute("data-state") == "running"
    assert page.locator('[id="tile-beta.B1"]').count() == 0  # another company's machine
    page.evaluate("window.notReloaded = true")
    # a gateway reports the machine down (after the end of the data: 3 March 12:30 KST)
    topic = f"sf/v1/acme/p1/moulding/{OWN['acme']['line']}/{m}/state"
    r = httpx.post(
        f"{base}/api/ingest",
        json=[
            {
                "topic": topic,
                "payload": {"timestamp_ms": 1740972600000, "state": "down", "reason": "tool"},
            }
        ],
        headers={"Authorization": f"Bearer {plant.gateways['acme']}"},
    )
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    page.wait_for_selector(f'[id="tile-{m}"][data-state="down"]', timeout=15000)
    assert page.evaluate("window.notReloaded") is True  # updated in place, no reload
    tile.click()
    page.wait_for_url(f"{base}/machines/{m}")
    page.wait_for_selector("#timeline canvas")
    assert "jam" in page.inner_text("#pareto-table")
    ctx.close()


def test_upload_with_a_bad_row_shows_the_rejection(site, browser, tmp_path):
    base, _ = site
    ctx, page = signed_in(browser, base)
    f = tmp_path / "생산실적.csv"
    f.write_text(
        "설비,시각,제품,양품,불량\n"
        "acme.M1,2025-03-03T11:30,PA,5,0\n"
        "acme.M1,2025-03-03T11:31,PA,다섯,0\n",
        "utf-8",
    )
    page.goto(f"{base}/import")
    page.set_input_files("#files", str(f))
    page.click("#upload")
    page.wait_for_selector("#rejected-rows")
    rows = page.inner_text("#rejected-rows")
    assert "다섯" in rows and "3" in rows  # the bad cell and its line
    report = page.inner_text("#import-report")
    assert "생산실적.csv" in report
    ctx.close()


def test_switch_to_korean(site, browser):
    base, _ = site
    ctx, page = signed_in(browser, base, role="viewer")
    assert "Shop floor now" in page.inner_text("h1")
    page.click("#switch-lang")
    page.wait_for_function("document.documentElement.lang === 'ko'")
    assert page.inner_text("h1") == "현장 실시간 현황"
    page.goto(f"{base}/orders")  # the choice is remembered
    assert "작업지시 진척" in page.inner_text("h1")
    ctx.close()


@pytest.mark.slow
def test_screenshots_of_the_main_pages(browser, tmp_path_factory):
    """A simulated plant (8 machines × 10 days, with its crew as in the demo) served and
    photographed for docs/screenshots."""
    from smartfactory.demo import _apply_simulated_calendar
    from smartfactory.ingest.importer import import_files
    from smartfactory.sim import simulate
    from smartfactory.store.db import Store
    from smartfactory.web.auth import add_user

    d = tmp_path_factory.mktemp("shots")
    simulate(d / "files", machines=8, days=10, seed=3, crew=True)
    db = d / "demo.duckdb"
    with Store(db) as s:
        import_files(s, sorted((d / "files").glob("*.csv")))
        _apply_simulated_calendar(s, d / "files")
        ent = s.scalar("SELECT min(enterprise) FROM equipment")
        add_user(s, "admin", "admin-password", enterprise=ent, role="admin")
        machine = s.scalar("SELECT min(machine) FROM equipment")
        lot = s.scalar("SELECT max(child_lot) FROM genealogy")
    truth = json.loads((d / "files" / "ground_truth.json").read_text("utf-8"))
    assert truth["plant"]["enterprise"] == ent
    proc, base = serve(db)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        ctx = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 860})
        page = ctx.new_page()
        page.goto(f"{base}/login")
        page.fill("#username", "admin")
        page.fill("#password", "admin-password")
        page.click("#sign-in")
        page.wait_for_url(f"{base}/floor")
        pages = {
            "floor": "/floor",
            "machine": f"/machines/{machine}",
            "plant": "/plant",
            "orders": "/orders?status=all",
            "trace": f"/trace?lot={lot}",
            "quality": "/quality",
            "settings": "/settings",
        }
        for name, url in pages.items():
            page.goto(base + url)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(600)  # chart animations
            page.screenshot(path=str(SHOTS / f"{name}.png"))
            assert (SHOTS / f"{name}.png").stat().st_size > 10_000
        # the quality page's Pareto narrows to a machine, and its mould-wear chart is drawn,
        # for all moulds and for one
        page.goto(f"{base}/quality")
        page.wait_for_selector("#pareto canvas")
        with page.expect_response(lambda r: "/api/quality/pareto" in r.url) as narrowed:
            page.select_option("#pareto-machine", machine)
        assert f"machine={machine}" in narrowed.value.url and narrowed.value.ok
        page.wait_for_selector("#wear canvas")
        tools = page.eval_on_selector_all("#wear-tool option", "os => os.map(o => o.value)")
        assert tools[0] == "" and len(tools) > 8
        page.select_option("#wear-tool", tools[1])
        page.wait_for_load_state("networkidle")
        assert page.is_visible("#wear canvas") and page.is_visible("#tools-excel")
        page.goto(f"{base}/floor?lang=en")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "floor-en.png"))
        ctx.close()
    finally:
        proc.terminate()
        proc.wait(20)
