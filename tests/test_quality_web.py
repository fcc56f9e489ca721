"""Quality pages and JSON, in-process through an ASGI client on a simulated plant."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartfactory.ingest.importer import import_files
from smartfactory.settings import Settings
from smartfactory.sim import simulate
from smartfactory.store.db import Store
from smartfactory.web.auth import add_token, add_user
from smartfactory.web.i18n import STRINGS
from smartfactory.web.server import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("qweb")
    summary = simulate(d / "sim", machines=6, days=21, seed=2)
    db = d / "w.duckdb"
    with Store(db) as s:
        import_files(s, [Path(p) for p in summary["files"].values()])
        # the pages need a user of the simulated company (here: a viewer's API token)
        company = s.scalar("SELECT min(enterprise) FROM equipment")
        add_user(s, "viewer", "viewer-password", enterprise=company, role="viewer")
        token = add_token(s, "viewer", "tests")
    app = create_app(Settings(db=db))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def test_every_quality_string_has_both_languages():
    for key, v in STRINGS.items():
        assert set(v) == {"ko", "en"} and all(v.values()), key


def test_pareto_and_characteristics(client):
    rows = client.get("/api/quality/pareto").json()
    assert rows and rows[-1]["cumulative"] == pytest.approx(1.0)
    by_char = client.get("/api/quality/pareto", params={"by": "characteristic"}).json()
    assert {r["key"] for r in by_char} == {
        c["characteristic"] for c in client.get("/api/quality/characteristics").json()
    }
    assert client.get("/api/quality/pareto", params={"by": "colour"}).status_code == 422
    m01 = client.get("/api/quality/pareto", params={"by": "product", "machine": "M01"}).json()
    every = client.get("/api/quality/pareto", params={"by": "product"}).json()
    assert 0 < sum(r["defects"] for r in m01) < sum(r["defects"] for r in every)


def test_spc_json(client):
    char = client.get("/api/quality/characteristics").json()[0]["characteristic"]
    d = client.get(f"/api/quality/spc/{char}").json()
    assert d["chart"]["kind"] == "xbar-r" and d["capability"]["cp"] is not None
    assert len(d["chart"]["main"]["values"]) == len(d["chart"]["labels"])
    p = client.get("/api/quality/spc/scrap").json()
    assert p["chart"]["kind"] == "p"
    u = client.get("/api/quality/spc/scrap", params={"chart": "u", "machine": "M01"}).json()
    assert u["chart"]["kind"] == "u"
    assert client.get("/api/quality/spc/colour").status_code == 404
    assert client.get("/api/quality/spc/scrap", params={"chart": "zz"}).status_code == 422


def test_pages_in_both_languages(client):
    ko = client.get("/quality", headers={"accept-language": "ko-KR"})
    assert ko.status_code == 200 and "불량 파레토" in ko.text and "/static/echarts" in ko.text
    en = client.get("/quality?lang=en")
    assert "Defect Pareto" in en.text and "Inspected characteristics" in en.text
    # the simulated counts record no operator or tool: no Pareto of everything under '?'
    assert 'value="machine"' in en.text and 'value="operator"' not in en.text
    assert 'id="tools"' not in en.text  # nor an empty tool-life table
    # the Pareto narrows to one machine or product
    assert 'id="pareto-machine"' in en.text and '<option value="M01">M01</option>' in en.text
    # every characteristic with its status on its own chart, per product where limits differ
    status = client.get("/api/quality/characteristics", params={"status": True}).json()
    assert {"status", "cpk", "recent_alarms"} <= set(status[0]) and "Alarms (latest 25)" in en.text
    per_product = [r for r in status if r["product"]]
    if per_product:
        r = per_product[0]
        link = f"/quality/spc/{r['characteristic']}?lang=en&amp;product={r['product']}"
        assert link in en.text
        mixed = client.get(f"/quality/spc/{r['characteristic']}?lang=en")
        assert mixed.status_code == 200 and "limits differ by product" in mixed.text
        one = client.get(f"/quality/spc/{r['characteristic']}?product={r['product']}")
        assert 'id="capability"' in one.text
    char = client.get("/api/quality/characteristics").json()[0]["characteristic"]
    spc = client.get(f"/quality/spc/{char}?lang=en")
    assert spc.status_code == 200 and "Process capability" in spc.text and "Cpk" in spc.text
    assert "관리도" in client.get(f"/quality/spc/{char}?lang=ko").text
    missing = client.get("/quality/spc/colour?lang=en")
    assert missing.status_code == 200 and "No data for this selection" in missing.text


def test_rootcause_page_and_json(client):
    d = client.get("/api/quality/rootcause").json()
    assert {"model", "causes", "findings_validation"} <= set(d)
    for c in d["causes"]:
        assert c["evidence"]["kind"] in ("numeric", "categorical", "none")
    page = client.get("/quality/rootcause?lang=en")
    assert page.status_code == 200 and "Root cause of scrap" in page.text
    assert "model score" in page.text
    # a machine's late days are tested as a trend, and the card says so
    assert {c["test"] for c in d["causes"]} <= {"rate", "trend"}
    trend = sum(c["test"] == "trend" for c in d["causes"])
    assert page.text.count("tested as a trend over time") == trend
    aliased = sum(bool(c["aliases"]) for c in d["causes"])
    assert page.text.count("the same lots as") == aliased
    # the product is chosen from the company's products, not typed
    options = page.text.split('<select name="product"', 1)[1].split("</select>", 1)[0]
    assert options.count("<option") >= 3 and "all products" in options
    ko = client.get("/quality/rootcause?lang=ko")
    assert "불량 원인 분석" in ko.text
    none = client.get("/quality/rootcause?lang=en&product=P-999")
    assert none.status_code == 200 and "no production counts" in none.text


def test_rootcause_excel_holds_the_page_s_causes(client):
    from openpyxl import load_workbook

    d = client.get("/api/quality/rootcause").json()
    page = client.get("/quality/rootcause?lang=ko")
    assert 'href="/quality/rootcause.xlsx"' in page.text and "엑셀 내려받기" in page.text
    x = client.get("/quality/rootcause.xlsx")
    assert x.status_code == 200 and "rootcause.xlsx" in x.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames[:3] == ["원인 causes", "대비 contrasts", "모델 model"]
    rows = list(wb["원인 causes"].iter_rows(values_only=True))
    head = rows[0]
    assert head[:2] == ("순위 rank", "조건 condition") and len(rows) == len(d["causes"]) + 1
    for row, c in zip(rows[1:], d["causes"], strict=True):
        cell = dict(zip(head, row, strict=True))
        assert cell["조건 condition"] == c["condition"]
        assert cell["조건 내 불량률 rate inside"] == pytest.approx(c["rate_inside"])
        assert cell["보정 p adjusted"] == pytest.approx(c["p_adjusted"])
        assert cell["유의 significant"] == ("예 yes" if c["significant"] else "아니오 no")
    model = dict(wb["모델 model"].iter_rows(values_only=True))
    assert model["모델 점수 model score"] == pytest.approx(d["model"]["score"])
    assert client.get("/quality/rootcause.xlsx?product=P-999").status_code == 422


def test_vendored_echarts_is_served(client):
    js = client.get("/static/echarts/echarts.min.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert "Apache License" in client.get("/static/echarts/LICENSE").text


def test_tool_life_table_and_json(tmp_path):
    files = {
        "e.csv": "기업,사업장,구역,라인,설비\nacme,p1,press,L1,M1\nacme,p1,press,L1,M2\n",
        "c.csv": "설비,시각,제품,양품,불량,금형\n"
        "M1,2025-03-03 09:00,P1,95,5,T-1\n"
        "M1,2025-03-03 10:00,P1,98,2,T-1\n"
        "M2,2025-03-03 09:00,P1,50,0,T-2\n"
        "M1,2025-03-04 09:00,P1,99,1,T-1\n",
        "금형보전.csv": "금형,일시,작업내용,보전주기\nT-1,2025-03-03 18:00,연마,110\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    db = tmp_path / "tools.duckdb"
    with Store(db) as s:
        import_files(s, [tmp_path / n for n in files])
        add_user(s, "viewer", "viewer-password", enterprise="acme", role="viewer")
        token = add_token(s, "viewer", "tests")
    with TestClient(create_app(Settings(db=db)), headers={"Authorization": f"Bearer {token}"}) as c:
        rows = c.get("/api/quality/tools").json()
        page = c.get("/quality", params={"lang": "ko"}).text
        wear = c.get("/api/quality/tools/wear").json()
        one = c.get("/api/quality/tools/wear", params={"tool": "T-2"}).json()
        xlsx = c.get("/quality/tools.xlsx")
    t1 = rows[0]
    # T-1: 300 units, 100 of them since its regrind on the evening of the 3rd
    assert (t1["tool"], t1["units_since"], t1["units_total"]) == ("T-1", 100, 300)
    assert t1["scrap_rate_since"] == pytest.approx(0.01)
    assert t1["scrap_rate_total"] == pytest.approx(8 / 300)
    assert (t1["last_work"], t1["maintenances"], t1["machine"]) == ("연마", 1, "M1")
    assert (t1["units_left"], t1["due"]) == (10, "soon") and "10 (임박)" in page
    assert rows[1]["tool"] == "T-2" and rows[1]["last_maintenance"] is None
    assert "금형·공구 수명" in page and "2025년 3월 3일 18:00" in page and "연마" in page
    assert 'id="wear"' in page and '<option value="T-2">' in page
    # units since maintenance when made: T-1's 09:00 count and the one after its regrind at
    # 0, its 10:00 count at 100; T-2's at 0. Bins of 10 units (100 / 12, rounded up)
    got = [(r["units_from"], r["units_to"], r["produced"], r["scrap"]) for r in wear]
    assert got == [(0, 10, 250, 6), (100, 110, 100, 2)]
    assert [(r["produced"], r["tools"]) for r in one] == [(50, 1)]
    assert xlsx.status_code == 200 and "tools.xlsx" in xlsx.headers["content-disposition"]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.content))
    assert [r[0].value for r in wb["금형 수명 tool life"].iter_rows(min_row=2)] == ["T-1", "T-2"]
    assert wb["마모 곡선 wear"].max_row == 3 and 'href="/quality/tools.xlsx"' in page
