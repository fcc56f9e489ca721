"""The account page (everyone: who am I, change my password) and the users page (admins:
the company's users and API tokens), through real sessions with CSRF on a real DuckDB file."""

from __future__ import annotations

from fastapi.testclient import TestClient

from smartfactory.settings import Settings
from smartfactory.web.auth import add_user, authenticate, get_user
from smartfactory.web.server import create_app
from smartfactory.web.throttle import LOCK_S, MAX_FAILURES, SignInThrottle
from webapp import csrf_of, password


def login(c: TestClient, username: str, pw: str) -> int:
    """Sign in through the form; the status of the answer (303 signed in, 401 refused)."""
    csrf = csrf_of(c.get("/login").text)
    r = c.post(
        "/login",
        data={"username": username, "password": pw, "csrf_token": csrf, "next": "/account"},
        follow_redirects=False,
    )
    return r.status_code


def signed_in(c: TestClient, username: str, pw: str) -> str:
    """Sign in and return the session's CSRF token (from the account page)."""
    assert login(c, username, pw) == 303
    page = c.get("/account")
    assert page.status_code == 200, page.text[:200]
    return csrf_of(page.text)


def new_user(c: TestClient, name: str, role: str = "viewer", tenant: str = "acme") -> str:
    pw = f"first-{name}-pw"
    add_user(c.app.state.store.cursor(), name, pw, enterprise=tenant, role=role)
    return pw


def _change(c: TestClient, csrf: str, current: str, new: str, again: str | None = None, **kw):
    data = {
        "current_password": current,
        "new_password": new,
        "new_password2": new if again is None else again,
        "csrf_token": csrf,
    }
    return c.post("/account/password", data=data, **kw)


# -- the account page ----------------------------------------------------------------------


def test_account_page_shows_who_you_are_for_every_role(client, plant):
    add_user(client.app.state.store.cursor(), "po@agency", "officer-pw-1", enterprise=None,
             role="program_officer")  # fmt: skip
    for name, pw, role_ko, company in (
        ("viewer@acme", password("viewer", "acme"), "조회자", "acme"),
        ("admin@beta", password("admin", "beta"), "관리자", "beta"),
        ("po@agency", "officer-pw-1", "사업 담당자", "없음(지원사업 측)"),
    ):
        client.cookies.clear()
        signed_in(client, name, pw)
        page = client.get("/account", headers={"accept-language": "ko"})
        assert page.status_code == 200
        who = page.text.split('id="whoami"', 1)[1].split("</table>", 1)[0]
        assert name in who and role_ko in who and company in who, who
        assert 'id="account-link" href="/account"' in page.text
        assert 'action="/account/password"' in page.text and csrf_of(page.text)
    en = client.get("/account?lang=en")
    assert "Change password" in en.text and "none (programme side)" in en.text
    assert en.cookies.get("sf_lang") == "en"
    assert "비밀번호 변경" in client.get("/account?lang=ko").text


def test_change_password_wrong_current_mismatch_too_short(client):
    pw = new_user(client, "kim@acme")
    csrf = signed_in(client, "kim@acme", pw)
    for args, ko, en in (
        (
            ("wrong-password", "new-password-1"),
            "현재 비밀번호가 틀렸습니다",
            "current password is wrong",
        ),
        ((pw, "new-password-1", "new-password-2"), "서로 다릅니다", "two new passwords differ"),
        ((pw, "short"), "8자 이상이어야", "at least 8 characters"),
    ):
        r = _change(client, csrf, *args, params={"lang": "ko"})
        assert r.status_code == 422 and ko in r.text and 'id="account-error"' in r.text, r.text
        assert 'id="account-done"' not in r.text
        assert en in _change(client, csrf, *args, params={"lang": "en"}).text
    assert login(TestClient(client.app), "kim@acme", pw) == 303  # unchanged
    assert _change(client, "not-the-token", pw, "new-password-1").status_code == 403
    assert login(TestClient(client.app), "kim@acme", pw) == 303


def test_change_password_ends_the_other_sessions_only(client):
    pw = new_user(client, "lee@acme", role="operator")
    other = TestClient(client.app)  # a second browser; the app already runs (no lifespan)
    signed_in(other, "lee@acme", pw)
    csrf = signed_in(client, "lee@acme", pw)
    done = _change(client, csrf, pw, "second-password")
    assert done.status_code == 200 and "비밀번호가 변경되었습니다" in done.text
    assert client.get("/account").status_code == 200  # this session goes on
    assert client.get("/api/me").json()["name"] == "lee@acme"
    assert other.get("/api/me").status_code == 401  # the other one has ended
    page = other.get("/account", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    fresh = TestClient(client.app)
    assert login(fresh, "lee@acme", pw) == 401
    assert login(fresh, "lee@acme", "second-password") == 303


def test_change_password_through_the_api(client, plant):
    pw = new_user(client, "park@beta", role="manager", tenant="beta")
    browser = TestClient(client.app)
    signed_in(browser, "park@beta", pw)
    from smartfactory.web.auth import add_token

    h = {"Authorization": f"Bearer {add_token(client.app.state.store.cursor(), 'park@beta', 't')}"}
    wrong = client.post(
        "/api/account/password",
        headers=h,
        json={"current_password": "wrong-password", "new_password": "api-password-1"},
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.json()["detail"]
    short = client.post(
        "/api/account/password", headers=h, json={"current_password": pw, "new_password": "x"}
    )
    assert short.status_code == 422
    ok = client.post(
        "/api/account/password",
        headers=h,
        json={"current_password": pw, "new_password": "api-password-1"},
    )
    assert ok.status_code == 204
    assert browser.get("/api/me").status_code == 401  # the browser's session has ended
    assert client.get("/api/me", headers=h).json()["name"] == "park@beta"  # tokens stay
    assert login(TestClient(client.app), "park@beta", "api-password-1") == 303
    # a session changing its own password through the API stays signed in
    csrf = signed_in(browser, "park@beta", "api-password-1")
    again = browser.post(
        "/api/account/password",
        headers={"X-CSRF-Token": csrf},
        json={"current_password": "api-password-1", "new_password": "api-password-2"},
    )
    assert again.status_code == 204 and browser.get("/api/me").status_code == 200


# -- the users page ------------------------------------------------------------------------


def test_admin_adds_lists_and_removes_users_through_the_pages(client):
    csrf = signed_in(client, "admin@acme", password("admin", "acme"))
    page = client.get("/users", headers={"accept-language": "ko"})
    assert page.status_code == 200 and "사용자 및 API 토큰" in page.text
    assert 'href="/users"' in page.text  # the nav link for admins
    form = {"username": "choi@acme", "role": "operator", "password": "choi-initial-1"}
    assert client.post("/users", data=form).status_code == 403  # no CSRF token
    added = client.post("/users", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/users?done=added"
    listed = client.get("/users?done=added")
    assert "사용자를 추가했습니다" in listed.text
    table = listed.text.split('id="users"', 1)[1].split("</table>", 1)[0]
    assert "choi@acme" in table and "작업자" in table
    assert 'action="/users/choi%40acme/remove"' in table
    assert 'action="/users/admin%40acme/remove"' not in table  # not for yourself
    assert login(TestClient(client.app), "choi@acme", "choi-initial-1") == 303

    gone = client.post("/users/choi@acme/remove", data={"csrf_token": csrf}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/users?done=removed"
    after = client.get(gone.headers["location"])
    assert "choi@acme" not in after.text and "사용자를 삭제했습니다" in after.text
    assert login(TestClient(client.app), "choi@acme", "choi-initial-1") == 401


def test_users_page_refusals_are_shown_and_change_nothing(client):
    csrf = signed_in(client, "admin@acme", password("admin", "acme"))
    me = client.post("/users/admin@acme/remove", data={"csrf_token": csrf})
    assert me.status_code == 422 and "본인은 삭제할 수 없습니다" in me.text
    other = client.post("/users/viewer@beta/remove", data={"csrf_token": csrf})
    assert other.status_code == 404 and "회사에 그런 사용자가 없습니다" in other.text
    store = client.app.state.store.cursor()
    assert get_user(store, "admin@acme") is not None and get_user(store, "viewer@beta")
    taken = {"username": "viewer@beta", "role": "viewer", "password": "12345678"}
    r = client.post("/users", data={**taken, "csrf_token": csrf})
    assert r.status_code == 409 and "이미 사용 중인 사용자 이름" in r.text
    assert get_user(store, "viewer@beta").enterprise == "beta"  # type: ignore[union-attr]
    bad = [
        ({"username": "new@acme", "role": "program_admin", "password": "12345678"}, "역할"),
        ({"username": "new@acme", "role": "viewer", "password": "short"}, "at least 8"),
        ({"username": "bad name", "role": "viewer", "password": "12345678"}, "user name"),
    ]
    for form, text in bad:
        r = client.post("/users", data={**form, "csrf_token": csrf})
        assert r.status_code == 422 and text in r.text and 'id="users-error"' in r.text, r.text
        assert f'value="{form["username"]}"' in r.text  # the form keeps what was typed
    assert get_user(store, "new@acme") is None and get_user(store, "bad name") is None


def test_tokens_issued_on_the_page_are_shown_once_and_work(client):
    csrf = signed_in(client, "admin@beta", password("admin", "beta"))
    r = client.post(
        "/users/tokens",
        data={"name": "ERP export", "username": "viewer@beta", "days": "30", "csrf_token": csrf},
    )
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    token = r.text.split('id="new-token"', 1)[1].split("<code>", 1)[1].split("</code>", 1)[0]
    assert token.startswith("sft_")
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["name"], me["enterprise"]) == ("viewer@beta", "beta")
    page = client.get("/users?lang=en")
    assert token not in page.text and "ERP export" in page.text
    rows = page.text.split('id="tokens"', 1)[1].split("</table>", 1)[0]
    assert "never" in rows and "acme" not in rows  # 30 days for this one; the rest never
    for form in ({"name": "x", "username": "viewer@acme"}, {"name": "x", "days": "0"}):
        refused = client.post("/users/tokens", data={**form, "csrf_token": csrf})
        assert refused.status_code in (404, 422) and 'id="new-token"' not in refused.text


def test_tokens_are_revoked_on_the_page_and_by_the_api_only_in_ones_company(client, plant):
    from smartfactory.web.auth import add_token

    cur = client.app.state.store.cursor()
    tokens = [add_token(cur, "viewer@beta", f"script {i}") for i in range(2)]
    other = add_token(cur, "viewer@acme", "acme's script")
    ids = [t.split("_")[1] for t in (*tokens, other)]

    def works(token: str) -> bool:
        return (
            client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )

    assert all(works(t) for t in (*tokens, other))
    csrf = signed_in(client, "admin@beta", password("admin", "beta"))
    r = client.post(
        f"/users/tokens/{ids[0]}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/users?done=revoked"
    page = client.get("/users?done=revoked&lang=ko")
    assert "토큰을 폐기했습니다" in page.text and "script 0" not in page.text
    assert not works(tokens[0]) and works(tokens[1])
    admin = plant.auth("admin", "beta")
    assert client.delete(f"/api/tokens/{ids[1]}", headers=admin).status_code == 204
    assert not works(tokens[1])
    # another company's token is not found, and keeps working
    assert client.delete(f"/api/tokens/{ids[2]}", headers=admin).status_code == 404
    refused = client.post(f"/users/tokens/{ids[2]}/revoke", data={"csrf_token": csrf})
    assert refused.status_code == 404 and works(other)


def test_users_page_only_for_admins_and_only_their_company(client, plant):
    for role in ("manager", "operator", "viewer"):
        assert client.get("/users", headers=plant.auth(role, "acme")).status_code == 403
        client.cookies.clear()
        csrf = signed_in(client, f"{role}@acme", password(role, "acme"))
        nav = client.get("/account").text.split('<nav id="nav">', 1)[1].split("</nav>", 1)[0]
        assert 'href="/users"' not in nav
        form = {"username": "sneaky@acme", "role": "admin", "password": "12345678"}
        assert client.post("/users", data={**form, "csrf_token": csrf}).status_code == 403
    assert get_user(client.app.state.store.cursor(), "sneaky@acme") is None
    for tenant, other in (("acme", "beta"), ("beta", "acme")):
        page = client.get("/users", headers=plant.auth("admin", tenant))
        assert page.status_code == 200 and f"viewer@{tenant}" in page.text
        assert f"@{other}" not in page.text


# -- password guessing ---------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_counts_per_name_and_address_and_forgets_old_failures():
    clock = Clock()
    t = SignInThrottle(max_failures=3, max_address_failures=5, window_s=60, lock_s=300, clock=clock)
    assert t.failed("Kim", "10.0.0.1") == 0
    clock.now += 61  # outside the window: forgotten
    assert [t.failed("kim ", "10.0.0.1") for _ in range(2)] == [0, 0]
    assert t.retry_after("KIM", "10.0.0.1") == 0
    assert t.failed("kim", "10.0.0.1") == 300  # the third within the window locks
    assert t.retry_after("kim", "10.0.0.1") == 300
    assert t.retry_after("kim", "10.0.0.2") == 0  # the same person elsewhere is not locked
    assert t.retry_after("lee", "10.0.0.1") == 0
    t.succeeded("lee", "10.0.0.1")
    assert t.failed("lee", "10.0.0.1") == 0
    assert t.failed("park", "10.0.0.1") == 300  # the address's fifth failure, any names
    assert t.retry_after("choi", "10.0.0.1") == 300
    clock.now += 299.5
    assert t.retry_after("kim", "10.0.0.1") == 1
    clock.now += 0.5
    assert t.retry_after("kim", "10.0.0.1") == 0
    assert t.retry_after("choi", "10.0.0.1") == 0


def test_a_right_password_clears_the_count():
    t = SignInThrottle(max_failures=3, clock=Clock())
    for _ in range(5):
        assert t.failed("kim", "a") == 0
        assert t.failed("kim", "a") == 0
        t.succeeded("kim", "a")


def test_repeated_wrong_passwords_lock_sign_in_for_a_while(plant, tmp_path):
    clock = Clock()
    app = create_app(Settings(db=plant.db))
    with TestClient(app) as c:
        app.state.throttle = SignInThrottle(clock=clock)
        name, right = "manager@acme", password("manager", "acme")
        for _ in range(MAX_FAILURES - 1):
            assert login(c, name, "guess") == 401
        csrf = csrf_of(c.get("/login").text)
        data = {"username": name, "password": "guess", "csrf_token": csrf, "next": "/floor"}
        r = c.post("/login", data=data, headers={"accept-language": "ko"})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) == LOCK_S
        assert "15분 뒤에 다시 시도하세요" in r.text
        # locked: even the right password is not checked, and no session starts
        assert login(c, name, right) == 429
        assert c.get("/api/me").status_code == 401
        assert login(c, "admin@acme", password("admin", "acme")) == 303  # another name is not
        c.cookies.clear()
        clock.now += LOCK_S
        assert login(c, name, right) == 303
        assert c.get("/api/me").json()["name"] == name


def test_guessing_the_current_password_on_the_account_page_locks_too(plant):
    clock = Clock()
    app = create_app(Settings(db=plant.db))
    with TestClient(app) as c:
        app.state.throttle = SignInThrottle(clock=clock)
        name, right = "operator@beta", password("operator", "beta")
        csrf = signed_in(c, name, right)
        for _ in range(MAX_FAILURES - 1):
            assert _change(c, csrf, "guess", "new-password-1").status_code == 422
        r = _change(c, csrf, "guess", "new-password-1")
        assert r.status_code == 429 and "15분 뒤에 다시 시도하세요" in r.text
        api = c.post(
            "/api/account/password",
            json={"current_password": right, "new_password": "new-password-1"},
            headers={"x-csrf-token": csrf},
        )
        assert api.status_code == 429 and int(api.headers["retry-after"]) > 0
        assert authenticate(c.app.state.store.cursor(), name, right)  # nothing changed
