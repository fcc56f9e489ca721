"""The web app in-process through an ASGI client on a real DuckDB file: sign-in, sessions and
CSRF, tenancy, the pages and their JSON, uploads with rejected rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartfactory.settings import Settings
from smartfactory.web.server import create_app
from webapp import csrf_of, password


def sign_in(c: TestClient, role: str, tenant: str) -> str:
    """Sign in through the form; return the session's CSRF token."""
    page = c.get("/login")
    csrf = csrf_of(page.text)
    r = c.post(
        "/login",
        data={
            "username": f"{role}@{tenant}",
            "password": password(role, tenant),
            "csrf_token": csrf,
            "next": "/orders",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/orders", r.text
    return csrf_of(c.get("/import").text)


def test_pages_need_sign_in(client):
    r = client.get("/floor", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/api/floor").status_code == 401
    assert client.get("/api/floor", headers={"Authorization": "Bearer sft_x_y"}).status_code == 401
    live = client.get("/floor/tiles", headers={"hx-request": "true"})
    assert live.status_code == 401 and live.headers["hx-redirect"] == "/login"
    assert client.get("/healthz").json() == {"status": "ok"}
    docs = client.get("/docs")  # the API's docs, from vendored files: no CDN
    assert docs.status_code == 200 and "/static/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert "/api/floor" in client.get("/openapi.json").json()["paths"]


def test_sign_in_wrong_password_and_csrf(client):
    page = client.get("/login")
    csrf = csrf_of(page.text)
    bad = client.post(
        "/login", data={"username": "admin@acme", "password": "nope-nope", "csrf_token": csrf}
    )
    assert bad.status_code == 401 and "login-error" in bad.text
    no_csrf = client.post(
        "/login", data={"username": "admin@acme", "password": password("admin", "acme")}
    )
    assert no_csrf.status_code == 403


def test_session_and_csrf_on_state_changes(client):
    csrf = sign_in(client, "manager", "acme")
    assert client.get("/api/me").json()["enterprise"] == "acme"
    body = {"product": "PA", "ideal_cycle_s": 55}
    assert client.put("/api/settings/products", json=body).status_code == 403  # no token
    wrong = client.put("/api/settings/products", json=body, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    ok = client.put("/api/settings/products", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text
    assert {"product": "PA", "name": None, "machine": None, "ideal_cycle_s": 55.0} in (
        client.get("/api/settings").json()["products"]
    )
    client.put(
        "/api/settings/products",
        json={"product": "PA", "ideal_cycle_s": 60},
        headers={"X-CSRF-Token": csrf},
    )
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/api/me").status_code == 401


def test_floor_and_machine(client, plant):
    h = plant.auth("viewer", "acme")
    floor = client.get("/api/floor", headers=h).json()
    tiles = {m["machine"]: m for m in floor["machines"]}
    assert set(tiles) == {"acme.M1", "acme.M2"}  # not beta's beta.B1
    assert tiles["acme.M1"]["state"] == "running" and tiles["acme.M2"]["state"] == "idle"
    assert (tiles["acme.M1"]["product"], tiles["acme.M1"]["order"]) == ("PA", "O-A1")
    # the files' times are the site's (KST); today = 3 March up to the end of the data (12:00):
    # PBT 08:00–12:00 = 4 h; good 190 × ideal 60 s
    assert tiles["acme.M1"]["today"]["oee"] == pytest.approx(190 * 60 / (4 * 3600))
    page = client.get("/floor", headers=h)
    assert (
        page.status_code == 200 and 'id="tile-acme.M1"' in page.text and "beta.B1" not in page.text
    )
    m = client.get("/api/machines/acme.M1", headers=h, params={"day": "2025-03-03"}).json()
    assert [s["state"] for s in m["timeline"]] == ["planned_down", "running", "down", "running"]
    assert m["pareto"][0]["reason"] == "jam" and m["pareto"][0]["seconds"] == 1800
    steps = {s["name"]: s["seconds"] for s in m["waterfall"]}
    assert steps["breakdowns"] == 1800 and steps["planned_busy_time"] == 4 * 3600
    assert sum(r["gq"] for r in m["hourly"]) == 190
    assert client.get("/api/machines/beta.B1", headers=h).status_code == 404
    assert client.get("/api/machines/acme.M1", headers=h, params={"days": 0}).status_code == 422
    assert "jam" in client.get("/machines/acme.M1?day=2025-03-03", headers=h).text


def test_plant_orders_trace(client, plant):
    h = plant.auth("viewer", "beta")
    p = client.get("/api/plant", headers=h, params={"from": "2025-03-03", "to": "2025-03-03"})
    (line,) = p.json()["groups"]
    assert line["name"] == "beta.L9" and line["gq"] == 400
    orders = client.get("/api/orders", headers=h).json()["orders"]
    assert [(o["order"], o["good"], o["status"]) for o in orders] == [("O-B1", 400, "done")]
    acme = client.get("/api/orders", headers=plant.auth("viewer", "acme")).json()["orders"]
    assert [(o["order"], o["progress"]) for o in acme] == [("O-A1", 190 / 200)]
    tr = client.get("/api/lots/LOT-A1/trace", headers=plant.auth("viewer", "acme")).json()
    assert [n["lot"] for n in tr["upstream"]] == ["RM-A"]
    assert client.get("/api/lots/LOT-A1/trace", headers=h).status_code == 404
    assert client.get("/trace?lot=LOT-B1", headers=h).status_code == 200
    assert client.get("/trace?lot=LOT-A1", headers=h).status_code == 404


def test_upload_with_a_bad_row_and_another_company(client, plant):
    h = plant.auth("operator", "acme")
    csv = (
        "machine,ts,product,good,scrap\n"
        "acme.M1,2025-03-03T11:00,PA,5,0\n"
        "acme.M1,2025-03-03T11:05,PA,-4,0\n"  # negative count
        "beta.B1,2025-03-03T11:10,PB,5,0\n"  # beta's machine
    )
    r = client.post("/api/import", headers=h, files={"files": ("counts-extra.csv", csv)})
    assert r.status_code == 200, r.text
    (f,) = r.json()["files"]
    assert (f["accepted"], f["rejected"]) == (1, 2)
    reasons = {(x["line"], x["reason"]) for x in r.json()["rejected_rows"]}
    assert reasons == {(3, "negative_count"), (4, "other_company")}
    mine = client.get("/api/dead-letters", headers=h).json()
    assert {"negative_count", "other_company"} <= {x["reason"] for x in mine["by_reason"]}
    theirs = client.get("/api/dead-letters", headers=plant.auth("operator", "beta")).json()
    assert theirs["total"] == 0
    not_csv = client.post("/api/import", headers=h, files={"files": ("x.exe", b"MZ")})
    assert not_csv.status_code == 422


def test_stock_counts_and_items_upload_only_for_ones_own_company(client, plant):
    h = plant.auth("manager", "acme")
    csv = (
        "enterprise,product,ts,on_hand\nacme,PA,2025-03-04T08:00,120\nbeta,PB,2025-03-04T08:00,9\n"
    )
    r = client.post("/api/import", headers=h, files={"files": ("stock.csv", csv)})
    assert r.status_code == 200, r.text
    (f,) = r.json()["files"]
    assert (f["kind"], f["accepted"], f["rejected"]) == ("stock", 1, 1)
    assert [x["reason"] for x in r.json()["rejected_rows"]] == ["other_company"]
    with client.app.state.scopes.cursor("beta") as beta:
        assert beta.scalar("SELECT count(*) FROM stock") == 0
    with client.app.state.scopes.cursor("acme") as acme:
        assert acme.scalar("SELECT sum(on_hand) FROM stock") == 120
    # planning settings likewise
    csv = "enterprise,product,lot_size\nacme,PA,50\nbeta,PB,10\n"
    r = client.post("/api/import", headers=h, files={"files": ("items.csv", csv)})
    (f,) = r.json()["files"]
    assert (f["kind"], f["accepted"], f["rejected"]) == ("items", 1, 1)
    with client.app.state.scopes.cursor("beta") as beta:
        assert beta.scalar("SELECT count(*) FROM items") == 0


def test_tool_maintenance_upload_only_for_ones_own_tools(client, plant):
    # (before the plant's other records, so the floor's "now" stays where other tests expect)
    counts = (
        "machine,ts,product,good,tool\n"
        "acme.M1,2025-03-01T09:00,PA,5,T-ACME\nbeta.B1,2025-03-01T09:00,PB,5,T-BETA\n"
    )
    for company, line in (("acme", 1), ("beta", 2)):
        one = "\n".join(counts.splitlines()[i] for i in (0, line)) + "\n"
        r = client.post(
            "/api/import",
            headers=plant.auth("operator", company),
            files={"files": ("counts-tools.csv", one)},
        )
        assert r.json()["files"][0]["accepted"] == 1, r.text
    log = "금형,일시,작업내용\nT-ACME,2025-03-01T18:00,연마\nT-BETA,2025-03-01T18:00,연마\n"
    h = plant.auth("operator", "acme")
    r = client.post("/api/import", headers=h, files={"files": ("금형보전.csv", log)})
    (f,) = r.json()["files"]
    assert (f["kind"], f["accepted"], f["rejected"]) == ("tool_maintenance", 1, 1)
    assert [x["reason"] for x in r.json()["rejected_rows"]] == ["other_company"]
    with client.app.state.scopes.cursor("beta") as beta:
        assert beta.scalar("SELECT count(*) FROM tool_maintenance") == 0
    tools = client.get("/api/quality/tools", headers=h).json()
    assert [(t["tool"], t["maintenances"]) for t in tools] == [("T-ACME", 1)]


def test_a_bad_settings_form_is_a_clear_error_not_a_server_error(client, plant):
    h = plant.auth("admin", "acme")
    for shifts, says in (
        ("day 6am 14:00", "day 6am 14:00"),  # not HH:MM
        ("\n".join(f"s{i} 0{i % 10}:00 0{i % 10}:30" for i in range(13)), "12"),  # too many
        ("day 08:00", "name HH:MM HH:MM"),
    ):
        r = client.post("/settings/shifts", headers=h, data={"site": "p1", "shifts": shifts})
        assert r.status_code == 422 and says in r.text, r.text
    long = {"product": "P" * 201, "ideal_cycle_s": "30"}
    r = client.post("/settings/products", headers=h, data=long)
    assert r.status_code == 422 and "at most 200 characters" in r.text, r.text


def test_ingest_respects_the_company(client, plant):
    t0 = 1_741_000_000_000
    body = [
        {
            "topic": "sf/v1/acme/p1/moulding/acme.L1/acme.M1/count",
            "payload": {"timestamp_ms": t0, "product": "PA", "good": 1},
        },
        {
            "topic": "sf/v1/beta/b1/press/beta.L9/beta.B1/count",
            "payload": {"timestamp_ms": t0, "product": "PB", "good": 1},
        },
    ]
    gw = {"Authorization": f"Bearer {plant.gateways['acme']}"}
    r = client.post("/api/ingest", json=body, headers=gw).json()
    assert (r["stored"], r["rejected"], r["by_reason"]) == (1, 1, {"other_company": 1})
    # a gateway token reads nothing
    assert client.get("/api/floor", headers=gw).status_code == 403


def test_korean_and_english(client, plant):
    h = plant.auth("viewer", "acme")
    ko = client.get("/floor", headers={**h, "accept-language": "ko-KR,ko;q=0.9"})
    assert "현장 실시간 현황" in ko.text and "2025년 3월 3일" in ko.text
    en = client.get("/floor?lang=en", headers={**h, "accept-language": "ko-KR"})
    assert "Shop floor now" in en.text and "3 Mar 2025" in en.text
    assert en.cookies.get("sf_lang") == "en"


def test_users_and_tokens_of_ones_company(client, plant):
    h = plant.auth("admin", "beta")
    users = client.get("/api/users", headers=h).json()
    assert {u["enterprise"] for u in users} == {"beta"}
    taken = client.post(
        "/api/users",
        headers=h,
        json={"username": "viewer@acme", "password": "12345678", "role": "viewer"},
    )
    assert taken.status_code == 409
    made = client.post(
        "/api/users",
        headers=h,
        json={"username": "new@beta", "password": "12345678", "role": "viewer"},
    )
    assert made.status_code == 201
    tok = client.post("/api/tokens", headers=h, json={"name": "x", "username": "new@beta"})
    token = tok.json()["token"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == (
        "viewer"
    )
    assert (
        client.post(
            "/api/tokens", headers=h, json={"name": "x", "username": "admin@acme"}
        ).status_code
        == 404
    )
    assert client.delete("/api/users/new@beta", headers=h).status_code == 204
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_route_without_a_rule_is_refused(plant):
    from fastapi import APIRouter

    app = create_app(Settings(db=plant.db))
    extra = APIRouter()

    @extra.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {"secret": "x"}

    app.include_router(extra)
    with TestClient(app) as c:
        assert c.get("/api/forgotten", headers=plant.auth("admin", "acme")).status_code == 403


def test_page_formats(tmp_path: Path):
    from smartfactory.web.i18n import Formatter

    ko, en = Formatter("ko"), Formatter("en")
    assert (ko.dur(3900), en.dur(3900), en.dur(59)) == ("1시간 5분", "1 h 5 min", "59 s")
    assert (ko.pct(0.756), en.num(1234567)) == ("75.6 %", "1,234,567")
    assert ko.krw(1250000) == "₩1,250,000"


def test_every_string_on_the_pages_exists_in_both_languages():
    import re
    from importlib.resources import files

    from smartfactory.web.i18n import STRINGS

    assert all(set(v) == {"ko", "en"} and all(v.values()) for v in STRINGS.values())
    folder = files("smartfactory.web") / "templates"
    keys: set[str] = set()
    for t in folder.iterdir():
        keys |= set(re.findall(r"""\bt\(["']([\w()\s-]+)["']\)""", t.read_text("utf-8")))
    assert len(keys) > 100
    missing = sorted(k for k in keys if set(STRINGS.get(k, {})) != {"ko", "en"})
    assert not missing, missing
    for prefix, values in (
        ("state_", ("running", "idle", "setup", "down", "planned_down")),
        ("role_", ("admin", "manager", "operator", "viewer")),
    ):
        for v in values:
            assert prefix + v in STRINGS


def test_a_string_defined_in_two_tables_is_refused(monkeypatch):
    from smartfactory.web import strings

    assert len(strings.catalogue()) == sum(len(t) for t in strings.TABLES.values())
    twice = {"sign_in": {"en": "Log in", "ko": "접속"}}
    monkeypatch.setitem(strings.TABLES, "extra", twice)
    with pytest.raises(ValueError, match="'sign_in' is defined in both 'core' and 'extra'"):
        strings.catalogue()


def test_a_browser_gets_a_page_for_a_missing_or_forbidden_page(client, plant):
    html = {"accept": "text/html,application/xhtml+xml", "accept-language": "ko"}
    sign_in(client, "operator", "acme")
    missing = client.get("/no-such-page", headers=html)
    assert missing.status_code == 404 and "페이지를 찾을 수 없습니다" in missing.text
    assert 'id="nav"' in missing.text  # signed in: the header keeps the person's pages
    # an operator may not open the settings page: a page that says so, in its language
    forbidden = client.get("/settings?lang=en", headers=html)
    assert forbidden.status_code == 403 and "Not allowed for your role" in forbidden.text
    # scripts and the API keep their JSON answers
    assert client.get("/no-such-page").json() == {"detail": "Not Found"}
    assert client.get("/api/no-such", headers=html).json() == {"detail": "Not Found"}


def test_the_import_page_says_what_can_be_imported_and_gives_the_template(client, plant):
    from io import BytesIO

    from openpyxl import load_workbook

    h = plant.auth("operator", "acme")
    page = client.get("/import?lang=ko", headers=h)
    assert page.status_code == 200 and "가져올 수 있는 자료" in page.text
    table = page.text.split('id="kinds"', 1)[1].split("</table>", 1)[0]
    assert "설비구성" in table and "<code>on_hand</code> 현재고" in table
    xlsx = client.get("/import/template.xlsx", headers=h)
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    wb = load_workbook(BytesIO(xlsx.content))
    assert {"equipment", "counts", "stock", "help"} <= set(wb.sheetnames)
    assert (
        client.get("/import/template.xlsx", headers=plant.auth("viewer", "acme")).status_code == 403
    )
