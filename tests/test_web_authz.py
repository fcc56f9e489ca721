"""Every route × every role × own / other company, and no credentials at all.

The table below names, for every API route of the app, a request against one company's
resources. The test fails on a route missing from the table, so a new route cannot ship
without its rule being checked. For each route and role the answer must be:

- the role lacks the route's action → 403 (and nothing happens);
- the role has it, the resource is its company's → the route's success status;
- the role has it, the resource is another company's → 404 (or, for a list, the other
  company's names appear nowhere in the answer);
- no credentials → 401 (the API) or a redirect to the sign-in page (HTML pages).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from program_helpers import COMPANY, COMPANY2, applied, registry
from smartfactory.program.registry import assign_officer
from smartfactory.program.schema import ProgramDB
from smartfactory.settings import Settings
from smartfactory.web.permissions import PROGRAM_ROLES, ROLES, USER_ROLES
from smartfactory.web.security import route_action
from smartfactory.web.server import api_routes, create_app
from webapp import OWN, TENANTS, build

Req = Callable[[str], dict[str, Any]]  # company → request keyword arguments


def _csv(t: str) -> dict[str, Any]:
    line = f"{OWN[t]['machine']},2025-03-04T10:00,PA,1,0\n"
    return {"files": {"files": ("c.csv", "machine,ts,product,good,scrap\n" + line)}}


def _msg(t: str) -> dict[str, Any]:
    topic = f"sf/v1/{t}/{OWN[t]['site']}/a/{OWN[t]['line']}/{OWN[t]['machine']}/count"
    return {
        "json": [
            {"topic": topic, "payload": {"timestamp_ms": 1741000000000, "good": 1, "product": "PA"}}
        ]
    }


_n = itertools.count()

#: the programme side's resources standing for each company: the officer of the programme
#: tests (role program_officer) is assigned acme's region, Gyeonggi
PROG = {
    "acme": {"company": COMPANY, "project": "PJ-ACME", "site": "plant1", "name": "한빛정밀"},
    "beta": {"company": COMPANY2, "project": "PJ-BETA", "site": "main", "name": "대성금속"},
}

#: per company, the id of the last throwaway API token made for a revocation call (the walk
#: makes one before each such call by a role that may revoke)
THROWAWAY_TOKENS: dict[str, str] = {}

#: (method, path) → (request for a company, success status, does the path name a resource)
ROUTES: dict[tuple[str, str], tuple[Req, int, bool]] = {
    ("GET", "/login"): (lambda t: {}, 200, False),
    # sign-in and sign-out are session-cookie forms: without the session's CSRF token, 403
    ("POST", "/login"): (lambda t: {"data": {"username": "x", "password": "y"}}, 403, False),
    ("POST", "/logout"): (lambda t: {}, 403, False),
    ("GET", "/healthz"): (lambda t: {}, 200, False),
    ("GET", "/docs"): (lambda t: {}, 200, False),
    ("GET", "/api/me"): (lambda t: {}, 200, False),
    ("GET", "/api/users"): (lambda t: {}, 200, False),
    ("POST", "/api/users"): (
        lambda t: {
            "json": {"username": f"u{next(_n)}.{t}", "password": "12345678", "role": "viewer"}
        },
        201,
        False,
    ),
    ("DELETE", "/api/users/{username}"): (lambda t: {"path": f"tmp.{t}"}, 204, True),
    ("POST", "/api/tokens"): (
        lambda t: {"json": {"name": "n", "username": f"viewer@{t}"}},
        201,
        True,
    ),
    ("GET", "/api/tokens"): (lambda t: {}, 200, False),
    ("DELETE", "/api/tokens/{token_id}"): (
        lambda t: {"path": THROWAWAY_TOKENS.get(t, "none")},
        204,
        True,
    ),
    # one's own account (routes/account.py): a wrong current password is refused with 422
    ("GET", "/account"): (lambda t: {}, 200, False),
    ("POST", "/account/password"): (
        lambda t: {
            "data": {
                "current_password": "not-my-password",
                "new_password": "12345678",
                "new_password2": "12345678",
            }
        },
        422,
        False,
    ),
    ("POST", "/api/account/password"): (
        lambda t: {"json": {"current_password": "not-my-password", "new_password": "12345678"}},
        422,
        False,
    ),
    # the company's users as pages (admins): the same rules as /api/users and /api/tokens
    ("GET", "/users"): (lambda t: {}, 200, False),
    ("POST", "/users"): (
        lambda t: {
            "data": {"username": f"p{next(_n)}.{t}", "password": "12345678", "role": "viewer"}
        },
        303,
        False,
    ),
    ("POST", "/users/{username}/remove"): (lambda t: {"path": f"tmp.{t}"}, 303, True),
    ("POST", "/users/tokens/{token_id}/revoke"): (
        lambda t: {"path": THROWAWAY_TOKENS.get(t, "none")},
        303,
        True,
    ),
    ("POST", "/users/tokens"): (
        lambda t: {"data": {"name": "n", "username": f"viewer@{t}"}},
        200,
        True,
    ),
    ("GET", "/"): (lambda t: {}, 303, False),
    ("GET", "/api/floor"): (lambda t: {}, 200, False),
    ("GET", "/floor"): (lambda t: {}, 200, False),
    ("GET", "/floor/tiles"): (lambda t: {}, 200, False),
    ("GET", "/api/machines/{machine}"): (lambda t: {"path": OWN[t]["machine"]}, 200, True),
    ("GET", "/machines/{machine}"): (lambda t: {"path": OWN[t]["machine"]}, 200, True),
    ("GET", "/api/plant"): (lambda t: {"params": {"from": "2025-03-03"}}, 200, False),
    ("GET", "/plant"): (lambda t: {"params": {"from": "2025-03-03"}}, 200, False),
    ("GET", "/api/orders"): (lambda t: {}, 200, False),
    ("GET", "/orders"): (lambda t: {}, 200, False),
    ("GET", "/trace"): (lambda t: {"params": {"lot": OWN[t]["lot"]}}, 200, True),
    ("GET", "/api/lots/{lot}/trace"): (lambda t: {"path": OWN[t]["lot"]}, 200, True),
    ("POST", "/api/import"): (_csv, 200, False),
    ("GET", "/import"): (lambda t: {}, 200, False),
    ("POST", "/import"): (_csv, 200, False),
    ("GET", "/api/dead-letters"): (lambda t: {}, 200, False),
    ("GET", "/dead-letters"): (lambda t: {}, 200, False),
    ("GET", "/api/settings"): (lambda t: {}, 200, False),
    ("GET", "/settings"): (lambda t: {}, 200, False),
    ("PUT", "/api/settings/shifts"): (
        lambda t: {
            "json": {
                "site": OWN[t]["site"],
                "shifts": [
                    {"shift": "day", "start": "08:00", "end": "20:00"},
                    {"shift": "night", "start": "20:00", "end": "08:00"},
                ],
            }
        },
        200,
        True,
    ),
    ("PUT", "/api/settings/products"): (
        lambda t: {"json": {"product": "PA", "ideal_cycle_s": 60, "machine": OWN[t]["machine"]}},
        200,
        True,
    ),
    ("POST", "/settings/shifts"): (
        lambda t: {
            "data": {"site": OWN[t]["site"], "shifts": "day 08:00 20:00\nnight 20:00 08:00"}
        },
        303,
        True,
    ),
    ("POST", "/settings/products"): (
        lambda t: {"data": {"product": "PA", "ideal_cycle_s": "60", "machine": OWN[t]["machine"]}},
        303,
        True,
    ),
    ("POST", "/api/ingest"): (_msg, 200, False),
    ("GET", "/api/quality/pareto"): (lambda t: {}, 200, False),
    ("GET", "/api/quality/characteristics"): (lambda t: {}, 200, False),
    ("GET", "/api/quality/tools"): (lambda t: {}, 200, False),
    ("GET", "/api/quality/tools/wear"): (lambda t: {}, 200, False),
    ("GET", "/api/quality/spc/{characteristic}"): (lambda t: {"path": "scrap"}, 200, False),
    ("GET", "/api/quality/rootcause"): (lambda t: {}, 422, False),  # too few lots to learn
    ("GET", "/quality"): (lambda t: {}, 200, False),
    ("GET", "/quality/spc/{characteristic}"): (lambda t: {"path": "scrap"}, 200, False),
    ("GET", "/quality/rootcause"): (lambda t: {}, 200, False),
    ("GET", "/quality/tools.xlsx"): (lambda t: {}, 200, False),
    ("GET", "/api/status"): (lambda t: {}, 200, False),
    ("GET", "/api/kpi"): (lambda t: {}, 200, False),
    # the programme side (routes/program.py): a step that breaks a rule answers 422 each time
    ("GET", "/api/program/companies/{company_id}"): (
        lambda t: {"path": PROG[t]["company"]},
        200,
        True,
    ),
    ("GET", "/program/companies/{company_id}"): (
        lambda t: {"path": PROG[t]["company"]},
        200,
        True,
    ),
    ("GET", "/api/program/projects/{project_id}"): (
        lambda t: {"path": PROG[t]["project"]},
        200,
        True,
    ),
    ("GET", "/program/projects/{project_id}"): (
        lambda t: {"path": PROG[t]["project"]},
        200,
        True,
    ),
    ("POST", "/api/program/projects/{project_id}/{step}"): (
        lambda t: {"path": [PROG[t]["project"], "build"], "json": {"on": "2022-05-01"}},
        422,
        True,
    ),
    ("POST", "/program/projects/{project_id}/step"): (
        lambda t: {"path": PROG[t]["project"], "data": {"step": "build", "on": "2022-05-01"}},
        422,
        True,
    ),
    ("POST", "/api/program/assessments"): (
        lambda t: {
            "json": {
                "company_id": PROG[t]["company"],
                "site": PROG[t]["site"],
                "on": "2025-01-01",
                "answers": {"S1": 2},
            }
        },
        200,
        True,
    ),
    ("POST", "/program/assess"): (
        lambda t: {"data": {"site_key": f"{PROG[t]['company']}|{PROG[t]['site']}", "q_S1": "2"}},
        200,
        True,
    ),
}

#: what of one company must never appear in an answer to the other
MARKERS = {t: [OWN[t]["machine"], OWN[t]["line"], OWN[t]["order"], OWN[t]["lot"]] for t in TENANTS}
#: what of one side of the programme must never reach an officer of the other
PROG_MARKERS = {t: [PROG[t]["company"], PROG[t]["project"], PROG[t]["name"]] for t in TENANTS}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("authz")
    plant = build(folder)
    with ProgramDB(folder / "program.duckdb") as db:
        registry(db)
        applied(db, project_id="PJ-ACME")
        applied(db, project_id="PJ-BETA", company=COMPANY2, site="main")
        assign_officer(db, "program_officer@acme", region="gyeonggi")
    settings = Settings(db=plant.db, program_db=folder / "program.duckdb")
    with TestClient(create_app(settings)) as c:
        from smartfactory.web.auth import add_token, add_user

        for role in PROGRAM_ROLES:  # users of no company: "acme" only names their token
            name = f"{role}@acme"
            add_user(c.app.state.store.cursor(), name, "12345678", enterprise=None, role=role)
            plant.tokens[(role, "acme")] = add_token(c.app.state.store.cursor(), name, "tests")
        yield plant, c


def _routes(app: Any) -> list[tuple[str, str, Any]]:
    return [(m, r.path, r) for r in api_routes(app) for m in sorted(r.methods - {"HEAD"})]


def _call(c: TestClient, method: str, path: str, kw: dict[str, Any], headers: dict[str, str]):
    kw = dict(kw)
    values = kw.pop("path", None)
    for value in [values] if isinstance(values, str) else values or []:
        name = path.split("{", 1)[1].split("}", 1)[0]
        path = path.replace("{" + name + "}", value)
    return c.request(method, path, headers=headers, follow_redirects=False, **kw)


def _row(method: str, path: str) -> tuple[Req, int | None, bool]:
    """The route's row; a GET without path parameters that has none (a page added by another
    feature) is called plainly and must answer anything but 401/403/5xx when allowed."""
    if (method, path) in ROUTES:
        return ROUTES[(method, path)]
    assert method == "GET" and "{" not in path, f"{method} {path} needs a row in ROUTES"
    return (lambda t: {}), None, False


def test_every_route_has_a_rule_and_a_row(env):
    _, c = env
    routes = _routes(c.app)
    for m, p, _ in routes:
        _row(m, p)
    for m, p, r in routes:
        action = route_action(r)
        assert action == "public" or any(action in acts for acts in ROLES.values()), (m, p, action)


@pytest.mark.parametrize("role", USER_ROLES)
def test_every_route_for_every_role_and_company(env, role):
    plant, c = env
    for (method, path, route), me, target in itertools.product(_routes(c.app), TENANTS, TENANTS):
        req, ok, names_resource = _row(method, path)
        action = route_action(route)
        if target != me and not names_resource:
            continue  # a list has no other company's resource to name
        revokes = ("/api/tokens/{token_id}", "/users/tokens/{token_id}/revoke")
        if path in revokes and ROLES[role] >= {"manage_users"}:
            # something to revoke: a token of a user of the target company
            from smartfactory.web.auth import add_token

            token = add_token(c.app.state.store.cursor(), f"viewer@{target}", "throwaway")
            THROWAWAY_TOKENS[target] = token.split("_")[1]
        removes = ("/api/users/{username}", "/users/{username}/remove")
        if path in removes and ROLES[role] >= {"manage_users"}:
            # something to remove: a user of the target company
            from smartfactory.web.auth import add_user

            add_user(
                c.app.state.store.cursor(),
                f"tmp.{target}",
                "12345678",
                enterprise=target,
                role="viewer",
            )
        r = _call(c, method, path, req(target), plant.auth(role, me))
        where = f"{role}@{me} {method} {path} for {target}"
        if action != "public" and action not in ROLES[role]:
            assert r.status_code == 403, (where, r.status_code, r.text[:200])
        elif target != me:
            assert r.status_code == 404, (where, r.status_code, r.text[:200])
        elif ok is None:
            assert r.status_code not in (401, 403) and r.status_code < 500, (where, r.status_code)
        else:
            assert r.status_code == ok, (where, r.status_code, r.text[:300])
            other = next(t for t in TENANTS if t != me)
            leaked = [m for m in MARKERS[other] if m in r.text]
            assert not leaked, (where, leaked)


def test_every_route_without_credentials(env):
    _, c = env
    for method, path, route in _routes(c.app):
        req, _ok, _ = _row(method, path)
        if route_action(route) == "public":
            continue
        api = _call(c, method, path, req("acme"), {})
        assert api.status_code == 401, (method, path, api.status_code)
        if method == "GET" and not path.startswith("/api"):
            page = _call(c, method, path, req("acme"), {"accept": "text/html"})
            assert page.status_code == 303 and "/login" in page.headers["location"], path


@pytest.mark.parametrize("role", PROGRAM_ROLES)
def test_every_route_for_the_programme_roles(env, role):
    """A program officer (assigned acme's region) gets its region's programme resources and
    404 for the other's; the programme admin gets both; neither gets any factory route."""
    plant, c = env
    for (method, path, route), target in itertools.product(_routes(c.app), TENANTS):
        req, ok, names_resource = _row(method, path)
        action = route_action(route)
        if target != "acme" and not names_resource:
            continue
        r = _call(c, method, path, req(target), plant.auth(role, "acme"))
        where = f"{role} {method} {path} for {target}"
        if action != "public" and action not in ROLES[role]:
            assert r.status_code == 403, (where, r.status_code, r.text[:200])
        elif target != "acme" and role == "program_officer":
            assert r.status_code == 404, (where, r.status_code, r.text[:200])
        elif ok is None:
            assert r.status_code not in (401, 403) and r.status_code < 500, (where, r.status_code)
        else:
            assert r.status_code == ok, (where, r.status_code, r.text[:300])
            if role == "program_officer":
                leaked = [m for m in PROG_MARKERS["beta"] if m in r.text]
                assert not leaked, (where, leaked)
