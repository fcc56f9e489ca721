"""Forecast and plan pages and JSON, in-process through an ASGI client on a simulated plant."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

pytest.importorskip("statsforecast")

from smartfactory.ingest.importer import import_files
from smartfactory.settings import Settings
from smartfactory.sim import simulate
from smartfactory.store.db import Store
from smartfactory.web.auth import add_token, add_user
from smartfactory.web.server import create_app
from smartfactory.web.strings.forecast import STRINGS


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("fweb")
    summary = simulate(d / "sim", machines=4, days=70, seed=4)
    db = d / "w.duckdb"
    with Store(db) as s:
        import_files(s, [Path(p) for p in summary["files"].values()])
        company = s.scalar("SELECT min(enterprise) FROM equipment")
        add_user(s, "viewer", "viewer-password", enterprise=company, role="viewer")
        add_user(s, "other", "other-password", enterprise="nobody-co", role="viewer")
        tokens = {u: add_token(s, u, "tests") for u in ("viewer", "other")}
        products = {r["product"] for r in s.rows("SELECT DISTINCT product FROM orders")}
    app = create_app(Settings(db=db))
    with TestClient(app, headers={"Authorization": f"Bearer {tokens['viewer']}"}) as c:
        c.products = products  # type: ignore[attr-defined]
        c.other = {"Authorization": f"Bearer {tokens['other']}"}  # type: ignore[attr-defined]
        yield c


def test_every_string_has_both_languages():
    for key, v in STRINGS.items():
        assert set(v) == {"ko", "en"} and all(v.values()), key


def test_forecast_json(client):
    r = client.get("/api/forecast", params={"freq": "W", "horizon": 4})
    assert r.status_code == 200, r.text
    d = r.json()
    assert {s["unique_id"] for s in d["selection"]} == client.products
    assert len(d["forecast"]) == 4 * len(client.products)
    row = d["forecast"][0]
    assert row["yhat_lo_95"] <= row["yhat_lo_80"] <= row["yhat"] <= row["yhat_hi_80"]
    assert d["history"] and d["input"]["rejected"] == 0
    # only complete weeks: the history ends at the window's last week, every product alike
    first, last = d["input"]["window"]
    assert {h["ds"] for h in d["history"]} <= {
        f"{t:%Y-%m-%d}" for t in pd.date_range(first, last, freq="W-MON")
    }
    assert max(h["ds"] for h in d["history"]) == last
    assert client.get("/api/forecast", params={"freq": "Q"}).status_code == 422


def test_forecast_page_in_both_languages(client):
    ko = client.get("/forecast", params={"lang": "ko", "horizon": 4})
    assert ko.status_code == 200 and "수요 예측" in ko.text and 'id="chart"' in ko.text
    assert all(p in ko.text for p in client.products)
    en = client.get("/forecast", params={"lang": "en", "horizon": 4})
    assert "Demand forecast" in en.text and "/forecast" in en.text
    assert "Complete periods used:" in en.text and "사용한 완결 기간" in ko.text


def test_plan_json_page_and_excel(client):
    d = client.get("/api/plan", params={"weeks": 3}).json()
    assert {r["product"] for r in d["plan"]} == client.products
    assert d["capacity"] and all(r["capacity_h"] > 0 for r in d["load"])
    page = client.get("/plan", params={"weeks": 3, "lang": "en"})
    assert page.status_code == 200 and "Production plan" in page.text
    assert 'class="chart load"' in page.text
    x = client.get("/plan.xlsx", params={"weeks": 3})
    assert x.status_code == 200
    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(x.content))
    assert "부하 load" in wb.sheetnames
    # levelled: the same production, never more overload than before, and the moves listed
    flat = client.get("/api/plan", params={"weeks": 6, "service_level": 0.99}).json()
    lv = client.get("/api/plan", params={"weeks": 6, "service_level": 0.99, "level": True}).json()

    def over(d: dict) -> float:
        return sum(max(0.0, r["load_h"] - r["capacity_h"]) for r in d["load"])

    assert over(lv) <= over(flat) + 1e-6 and isinstance(lv["moves"], list)
    made = sum(r["production"] for r in lv["plan"])
    assert made == pytest.approx(sum(r["production"] for r in flat["plan"]))
    moved = sum(m["hours"] for m in lv["moves"])
    assert over(flat) - over(lv) <= moved + 1e-6
    page = client.get("/plan", params={"weeks": 6, "level": "true", "lang": "ko"})
    assert 'id="level" checked' in page.text and "능력에 맞춰 앞당겨 생산" in page.text


def test_a_company_without_orders_gets_a_message_not_an_error(client):
    r = client.get("/forecast", headers=client.other)
    assert r.status_code == 200 and 'id="error"' in r.text
    assert client.get("/api/plan", headers=client.other).status_code == 422


def test_the_plan_link_is_not_marked_on_the_plant_page(client):
    # "/plant" starts with "/plan": the header marked both links as the current page
    page = client.get("/plant", params={"lang": "en"}).text
    assert 'href="/plan" class=""' in page and 'href="/plant" class="here"' in page
    assert 'href="/plan" class="here"' in client.get("/plan", params={"weeks": 2}).text
