"""The program officer's JSON API and pages: an officer sees only the regions assigned (another
officer's company is 404), programme and factory roles see nothing of each other, a broken
life-cycle rule answers with the rule's code, and the questionnaire gives the levels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from program_helpers import COMPANY, COMPANY2, applied, consented_days, registry
from smartfactory.program.assessment import QUESTIONS
from smartfactory.program.registry import assign_officer
from smartfactory.program.schema import ProgramDB
from smartfactory.web import permissions
from smartfactory.web.permissions import Principal
from smartfactory.web.routes import program
from smartfactory.web.security import current_principal


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setitem(
        permissions.ROLES, "program_officer", frozenset({"view_program", "manage_program"})
    )
    path = tmp_path / "p.duckdb"
    with ProgramDB(path) as db:
        registry(db)
        applied(db)
        applied(db, project_id="P2", company=COMPANY2, site="main")
        assign_officer(db, "kim", region="gyeonggi")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.program_db = ProgramDB(path)
        yield
        app.state.program_db.close()

    app = FastAPI(lifespan=lifespan)
    app.include_router(program.router)
    who = {"p": Principal("kim", "program_officer", None, "token")}
    app.dependency_overrides[current_principal] = lambda: who["p"]
    with TestClient(app) as c:
        c.who = who  # type: ignore[attr-defined]
        yield c


def test_officer_sees_only_assigned_regions(client):
    got = client.get("/api/program/rollup?by=region").json()
    assert [r["group"] for r in got] == ["gyeonggi"]
    assert client.get(f"/api/program/companies/{COMPANY}").status_code == 200
    assert client.get(f"/api/program/companies/{COMPANY2}").status_code == 404
    r = client.post("/api/program/projects/P2/select", json={"on": "2022-04-01"})
    assert r.status_code == 404
    client.who["p"] = Principal("someone", "viewer", "hanbit", "token")
    assert client.get("/api/program/rollup").status_code == 403


def test_workflow_steps_and_rule_errors(client):
    assert (
        client.post("/api/program/projects/P1/select", json={"on": "2022-04-01"}).json()["status"]
        == "selected"
    )
    r = client.post("/api/program/projects/P1/build", json={"on": "2022-05-01"})
    assert r.status_code == 422 and r.json()["detail"]["rule"] == "status"
    assert client.post("/api/program/projects/P1/agree", json={"on": "2022-05-02"}).is_success
    assert client.post("/api/program/projects/P1/build", json={"on": "2022-05-03"}).is_success
    r = client.post("/api/program/projects/P1/audit", json={"on": "2022-10-01",
                                                            "level_achieved": 0})  # fmt: skip
    assert r.json()["detail"]["rule"] == "target_level"


def test_questionnaire_and_assessment(client):
    qs = client.get("/api/program/questionnaire").json()
    assert len(qs) == 16 and sum(q["points"] for q in qs) == 1000
    body = {"company_id": COMPANY, "site": "plant1", "on": str(date(2025, 1, 1)),
            "answers": {q["id"]: 3 if q["id"] != "S6" else 1 for q in qs}}  # fmt: skip
    got = client.post("/api/program/assessments", json=body).json()
    assert got["system_level"] == 3 and got["roadmap"][0]["level"] == 4
    body["answers"] = {"S3": 9}
    assert client.post("/api/program/assessments", json=body).status_code == 422


# ------------------------------------------------------------------ the pages in the web app


@pytest.fixture(scope="module")
def app_site(tmp_path_factory):
    """The real app over a factory store with users of the programme roles and a programme
    file: kim sees Gyeonggi, lee sees Gyeongnam, the admin everything."""
    from smartfactory.program.performance import record_kpi
    from smartfactory.settings import Settings
    from smartfactory.store.db import Store
    from smartfactory.web.auth import add_token, add_user
    from smartfactory.web.server import create_app

    d = tmp_path_factory.mktemp("pweb")
    with ProgramDB(d / "p.duckdb") as db:
        registry(db)
        applied(db)
        applied(db, project_id="P2", company=COMPANY2, site="main")
        applied(db, project_id="P3", company=COMPANY, site="plant1", programme_id="U22",
                level_now=1, level_target=2)  # fmt: skip
        assign_officer(db, "kim", region="gyeonggi")
        assign_officer(db, "lee", region="gyeongnam")
        record_kpi(db, "P1", "sales_krw", "baseline", 1_000_000_000)
        consented_days(db, COMPANY, "plant1", date(2022, 1, 1), 45, scrap_per_day=30)
    tokens = {}
    with Store(d / "f.duckdb") as s:
        users = [("kim", "program_officer", None), ("lee", "program_officer", None),
                 ("boss", "program_admin", None), ("adm", "admin", "hanbit")]  # fmt: skip
        for name, role, ent in users:
            add_user(s, name, "password-123", enterprise=ent, role=role)
            tokens[name] = {"Authorization": f"Bearer {add_token(s, name, 't')}"}
    with TestClient(create_app(Settings(db=d / "f.duckdb", program_db=d / "p.duckdb"))) as c:
        c.tokens = tokens  # type: ignore[attr-defined]
        yield c


def test_dashboard_shows_only_the_officers_region(app_site):
    c, kim = app_site, app_site.tokens["kim"]
    d = c.get("/api/program/dashboard", headers=kim).json()
    assert [r["company_id"] for r in d["companies"]] == [COMPANY]
    assert [r["group"] for r in d["funding"]["region"]] == ["gyeonggi"]
    assert d["funding"]["region"][0]["government_krw"] == 50_000_000 * 2
    assert d["regions"] == ["gyeonggi"]
    page = c.get("/program", headers=kim)
    assert page.status_code == 200 and "한빛정밀" in page.text and "대성금속" not in page.text
    assert "₩100,000,000" in page.text  # government money of its two projects, KRW formatted
    boss = c.get("/api/program/dashboard", headers=c.tokens["boss"]).json()
    assert {r["company_id"] for r in boss["companies"]} == {COMPANY, COMPANY2}


def test_company_and_project_pages_are_scoped(app_site):
    c, kim, lee = app_site, app_site.tokens["kim"], app_site.tokens["lee"]
    assert c.get(f"/program/companies/{COMPANY}", headers=kim).status_code == 200
    assert c.get(f"/program/companies/{COMPANY2}", headers=kim).status_code == 404
    assert c.get(f"/program/companies/{COMPANY}", headers=lee).status_code == 404
    assert c.get(f"/api/program/companies/{COMPANY}", headers=lee).status_code == 404
    assert c.get("/program/projects/P2", headers=kim).status_code == 404
    assert c.get("/program/projects/P2", headers=lee).status_code == 200
    r = c.post("/api/program/projects/P1/select", json={"on": "2022-04-01"}, headers=lee)
    assert r.status_code == 404


def test_company_page_shows_consented_summaries_and_marks_self_reported(app_site):
    c, kim = app_site, app_site.tokens["kim"]
    d = c.get(f"/api/program/companies/{COMPANY}", headers=kim).json()
    months = [(s["month"], s["days"]) for s in d["summaries"]]
    assert months == [("2022-01-01", 31), ("2022-02-01", 14)]
    assert d["summaries"][0]["defect_rate"] == pytest.approx(3.0)
    assert d["summaries"][0]["productivity"] is None  # not shared: not shown, not guessed
    page = c.get(f"/program/companies/{COMPANY}?lang=en", headers=kim).text
    assert "2022-01" in page and "3.00" in page


def test_programme_and_factory_roles_are_apart(app_site):
    c = app_site
    for path in ("/floor", "/api/kpi", "/api/floor", "/orders"):
        assert c.get(path, headers=c.tokens["kim"]).status_code == 403, path
    for path in ("/program", "/api/program/dashboard", f"/api/program/companies/{COMPANY}"):
        assert c.get(path, headers=c.tokens["adm"]).status_code == 403, path
    # the home page leads each to its own side
    for user, target in (("kim", "/program"), ("boss", "/program"), ("adm", "/floor")):
        r = c.get("/", headers=c.tokens[user], follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == target, (user, r.status_code)


def test_workflow_page_steps_and_shows_the_broken_rule(app_site):
    c, kim = app_site, app_site.tokens["kim"]
    page = c.get("/program/projects/P3", headers=kim)
    assert 'id="step-select"' in page.text and 'id="step-agree"' not in page.text
    r = c.post("/program/projects/P3/step", data={"step": "select", "on": "2022-04-01"},
               headers=kim, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].endswith("?done=select")
    after = c.get(r.headers["location"], headers=kim).text
    assert 'id="step-agree"' in after and 'data-status="selected"' in after
    bad = c.post("/program/projects/P3/step", data={"step": "agree", "on": "2022-03-01"},
                 headers=kim)  # fmt: skip
    assert bad.status_code == 422
    assert "date_order" in bad.text and "2022-03-01" in bad.text
    assert "a step is dated on or after the step before it" in bad.text  # what the rule says
    ko = c.post("/program/projects/P3/step?lang=ko", data={"step": "agree", "on": "2022-03-01"},
                headers=kim)  # fmt: skip
    assert "앞 단계의 일자와 같거나 그 이후" in ko.text
    c.get("/program?lang=en", headers=kim)  # back to English for the tests that follow
    status = c.get("/api/program/projects/P3", headers=kim).json()["project"]["status"]
    assert status == "selected"  # the refused step changed nothing


def test_assessment_page_scores_and_refuses_others(app_site):
    c, kim = app_site, app_site.tokens["kim"]
    assert "S6" in c.get("/program/assess?lang=en", headers=kim).text
    form = {f"q_{q.id}": "3" for q in QUESTIONS}
    form.update({"q_S6": "1", "site_key": f"{COMPANY}|plant1", "on": "2025-01-02"})
    r = c.post("/program/assess", data=form, headers={**kim, "HX-Request": "true"})
    assert r.status_code == 200 and 'data-level="3"' in r.text and 'id="roadmap"' in r.text
    saved = c.get(f"/api/program/companies/{COMPANY}", headers=kim).json()["assessments"]
    assert saved[-1]["system_level"] == 3
    other = {**form, "site_key": f"{COMPANY2}|main"}
    assert c.post("/program/assess", data=other, headers=kim).status_code == 404
    body = {"company_id": COMPANY2, "site": "main", "on": "2025-01-01", "answers": {}}
    assert c.post("/api/program/assessments", json=body, headers=kim).status_code == 404
    wrong = c.post("/program/assess", data={**form, "q_S3": "9"}, headers=kim)
    assert wrong.status_code == 422 and "0–4" in wrong.text


def test_cli_adds_a_program_officer_without_a_company(tmp_path):
    from click.testing import CliRunner

    from smartfactory.cli import main

    db = str(tmp_path / "f.duckdb")
    args = ["user", "add", "park", "--role", "program_officer", "--password", "pw-12345678"]
    r = CliRunner().invoke(main, [*args, "--db", db])
    assert r.exit_code == 0, r.output
    assert "program_officer" in r.output
    pdb = str(tmp_path / "p.duckdb")
    r = CliRunner().invoke(main, ["program", "assign-officer", "park", "--region", "gyeonggi",
                                  "--program-db", pdb])  # fmt: skip
    assert r.exit_code == 0, r.output
    with ProgramDB(pdb) as p:
        assert p.rows("SELECT officer, region FROM officer_scopes") == [
            {"officer": "park", "region": "gyeonggi"}
        ]
    r = CliRunner().invoke(main, [*args, "--enterprise", "acme", "--db", db])
    assert r.exit_code != 0 and "belongs to no company" in r.output
    r = CliRunner().invoke(main, ["user", "add", "x", "--role", "viewer", "--password",
                                  "pw-12345678", "--db", db])  # fmt: skip
    assert r.exit_code != 0 and "enterprise" in r.output


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_dashboard_every_rollup_in_both_languages(app_site, lang):
    c, boss = app_site, app_site.tokens["boss"]
    for by in ("region", "industry", "level", "track", "year"):
        page = c.get(f"/program?by={by}&lang={lang}", headers=boss)
        assert page.status_code == 200, (by, page.text[:300])
        assert ("지원사업 현황" if lang == "ko" else "Support programme dashboard") in page.text
        assert 'id="rollup-table"' in page.text
    page = c.get(f"/program?by=track&lang={lang}", headers=boss).text
    assert ("고도화1" if lang == "ko" else "Upgrade 1") in page  # track names translated
