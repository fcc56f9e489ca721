"""One's own account (everyone signed in: who am I, change my password) and the company's
users and API tokens (admins) as pages.

The rules live in one place: :mod:`smartfactory.web.auth` for users, passwords and tokens, and
the checks the JSON API applies (``routes/auth.py``: :func:`add_company_user` …), which the
forms here call; a refusal is shown on the page in its language (:class:`Refused` names the
message's key) with the status the API would answer.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ...errors import ConfigError
from ...store.db import Store
from .. import auth, i18n
from ..deps import NAV_EXTRA, StoreDep, WriterDep, lang_of, render
from ..permissions import USER_ROLES, Principal
from ..security import PrincipalDep, require
from ..throttle import SignInThrottle, client_address
from .auth import (
    MAX_PASSWORD,
    MAX_TOKEN_DAYS,
    Refused,
    add_company_user,
    company_tokens,
    issue_company_token,
    remove_company_user,
    revoke_company_token,
)

logger = logging.getLogger(__name__)
router = APIRouter(tags=["account"])

STRINGS: dict[str, dict[str, str]] = {
    "nav_users": {"en": "Users", "ko": "사용자 관리"},
    "nav_account": {"en": "My account", "ko": "내 계정"},
    "acc_title": {"en": "My account", "ko": "내 계정"},
    "acc_company": {"en": "Company", "ko": "회사"},
    "acc_no_company": {"en": "none (programme side)", "ko": "없음(지원사업 측)"},
    "acc_change_pw": {"en": "Change password", "ko": "비밀번호 변경"},
    "acc_current_pw": {"en": "Current password", "ko": "현재 비밀번호"},
    "acc_new_pw": {"en": "New password", "ko": "새 비밀번호"},
    "acc_new_pw2": {"en": "New password again", "ko": "새 비밀번호 확인"},
    "acc_pw_help": {
        "en": "At least {n} characters. Your other signed-in sessions end; API tokens stay valid.",
        "ko": "{n}자 이상. 다른 곳에서 로그인된 세션은 종료되며, API 토큰은 그대로 유효합니다.",
    },
    "acc_changed": {
        "en": "Your password was changed. Other sessions were signed out.",
        "ko": "비밀번호가 변경되었습니다. 다른 세션은 로그아웃되었습니다.",
    },
    "acc_wrong_current": {
        "en": "The current password is wrong.",
        "ko": "현재 비밀번호가 틀렸습니다.",
    },
    "acc_too_long": {
        "en": "The new password is too long.",
        "ko": "새 비밀번호가 너무 깁니다.",
    },
    "u_bad_days": {
        "en": "Give the days as a whole number from 1 to 3650, or leave them empty.",
        "ko": "만료 일수는 1~3650 사이의 정수로 입력하거나 비워 두세요.",
    },
    "acc_mismatch": {
        "en": "The two new passwords differ.",
        "ko": "새 비밀번호 두 개가 서로 다릅니다.",
    },
    "acc_too_short": {
        "en": "The new password must have at least {n} characters.",
        "ko": "새 비밀번호는 {n}자 이상이어야 합니다.",
    },
    "u_title": {"en": "Users and API tokens", "ko": "사용자 및 API 토큰"},
    "u_initial_pw": {"en": "Initial password", "ko": "초기 비밀번호"},
    "u_remove": {"en": "Remove", "ko": "삭제"},
    "u_remove_confirm": {"en": "Remove this user?", "ko": "이 사용자를 삭제할까요?"},
    "u_you": {"en": "you", "ko": "본인"},
    "u_added": {"en": "The user was added.", "ko": "사용자를 추가했습니다."},
    "u_removed": {"en": "The user was removed.", "ko": "사용자를 삭제했습니다."},
    "u_taken": {
        "en": "That user name is taken.",
        "ko": "이미 사용 중인 사용자 이름입니다.",
    },
    "u_bad_role": {"en": "Choose one of the roles.", "ko": "역할을 목록에서 고르세요."},
    "u_invalid": {"en": "The user was not added:", "ko": "사용자를 추가하지 못했습니다:"},
    "u_not_found": {
        "en": "No such user in your company.",
        "ko": "회사에 그런 사용자가 없습니다.",
    },
    "u_self": {"en": "You cannot remove yourself.", "ko": "본인은 삭제할 수 없습니다."},
    "u_tokens": {"en": "API tokens", "ko": "API 토큰"},
    "u_token_name": {"en": "What it is for", "ko": "용도"},
    "u_token_user": {"en": "Acts as", "ko": "사용자"},
    "u_token_days": {"en": "Expires after (days)", "ko": "만료(일)"},
    "u_token_expires": {"en": "Expires", "ko": "만료"},
    "u_never": {"en": "never", "ko": "없음"},
    "u_issue": {"en": "Issue token", "ko": "토큰 발급"},
    "u_no_tokens": {"en": "No API tokens yet.", "ko": "발급된 API 토큰이 없습니다."},
    "u_revoke": {"en": "Revoke", "ko": "폐기"},
    "u_revoke_confirm": {
        "en": "Revoke this token? Whatever uses it stops working.",
        "ko": "이 토큰을 폐기할까요? 이 토큰을 쓰는 곳은 더 이상 동작하지 않습니다.",
    },
    "u_revoked": {"en": "The token was revoked.", "ko": "토큰을 폐기했습니다."},
    "u_no_token": {
        "en": "No such API token in your company.",
        "ko": "회사에 그런 API 토큰이 없습니다.",
    },
    "u_token_once": {
        "en": "Copy the token now: it is shown only this once. Send it as "
        "'Authorization: Bearer <token>'.",
        "ko": "지금 복사하세요. 토큰은 이번 한 번만 표시됩니다. "
        "'Authorization: Bearer <토큰>' 헤더로 보내세요.",
    },
}
for _key, _val in STRINGS.items():
    i18n.STRINGS.setdefault(_key, _val)
_LINK = {"href": "/users", "label": "nav_users", "action": "manage_users"}
if _LINK not in NAV_EXTRA:
    NAV_EXTRA.append(_LINK)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD)
    new_password: str = Field(min_length=auth.MIN_PASSWORD, max_length=MAX_PASSWORD)


def _locked(wait: int) -> Refused:
    return Refused(
        429,
        f"too many wrong passwords; try again in {wait} s",
        "login_locked",
        headers={"Retry-After": str(wait)},
    )


def change_own_password(
    request: Request, principal: Principal, writer: Store, current: str, new: str
) -> None:
    """Change the principal's password; end their other sessions and keep this one."""
    if len(new) > MAX_PASSWORD:
        raise Refused(
            422, f"the password must have at most {MAX_PASSWORD} characters", "acc_too_long"
        )
    throttle: SignInThrottle = request.app.state.throttle
    address = client_address(request)
    wait = throttle.retry_after(principal.name, address)
    if wait:
        raise _locked(wait)
    try:
        user = auth.change_password(writer, principal.name, current, new)
    except ConfigError as exc:
        raise Refused(422, str(exc), "acc_too_short") from exc
    if user is None:
        logger.info("wrong current password from %r at %s", principal.name, address)
        wait = throttle.failed(principal.name, address)
        if wait:
            raise _locked(wait)
        raise Refused(422, "the current password is wrong", "acc_wrong_current")
    throttle.succeeded(principal.name, address)
    if principal.via == "session":
        request.session["epoch"] = user.session_epoch


def _message(request: Request, key: str, detail: str = "", n: int | None = None) -> str:
    """A refusal's message in the page's language (with the library's detail where the key
    alone does not say what was wrong)."""
    text = i18n.translator(lang_of(request, request.query_params.get("lang")))(key)
    text = text.replace("{n}", str(auth.MIN_PASSWORD if n is None else n))
    return f"{text} {detail}" if key == "u_invalid" else text


def _days(days: str | None) -> int | None:
    """The token form's expiry: empty for never, else 1–3650 days (the API's bounds)."""
    if not days or not days.strip():
        return None
    try:
        value = int(days)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_TOKEN_DAYS:
        raise Refused(422, f"days must be a whole number from 1 to {MAX_TOKEN_DAYS}", "u_bad_days")
    return value


# -- my account ----------------------------------------------------------------------------


def _account_page(
    request: Request, *, error: str = "", done: bool = False, status: int = 200
) -> HTMLResponse:
    ctx = {"min_password": auth.MIN_PASSWORD, "error": error, "done": done}
    return render(request, "account.html", ctx, status_code=status)


@router.get("/account", response_class=HTMLResponse, dependencies=[require("home")])
def page_account(request: Request, principal: PrincipalDep) -> HTMLResponse:
    """Who you are and a form to change your password."""
    return _account_page(request)


@router.post("/account/password", response_class=HTMLResponse, dependencies=[require("home")])
def form_password(
    request: Request,
    principal: PrincipalDep,
    writer: WriterDep,
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
    new_password2: Annotated[str, Form()],
) -> HTMLResponse:
    """The account page's password form: the page again, with what went wrong or a note."""
    if new_password != new_password2:
        return _account_page(request, error=_message(request, "acc_mismatch"), status=422)
    try:
        change_own_password(request, principal, writer, current_password, new_password)
    except Refused as exc:
        wait = int((exc.headers or {}).get("Retry-After", 0))
        minutes = -(-wait // 60) if wait else None
        msg = _message(request, exc.key, str(exc.detail), minutes)
        return _account_page(request, error=msg, status=exc.status_code)
    return _account_page(request, done=True)


@router.post("/api/account/password", status_code=204, dependencies=[require("home")])
def api_password(
    request: Request, body: PasswordChange, principal: PrincipalDep, writer: WriterDep
) -> Response:
    """Change your own password (the current one is required). Your other sessions end; a
    session that sends this stays signed in; API tokens stay valid."""
    change_own_password(request, principal, writer, body.current_password, body.new_password)
    return Response(status_code=204)


# -- the company's users and tokens (admins) -----------------------------------------------


def _users_page(
    request: Request,
    store: Store,
    *,
    error: str = "",
    note: str = "",
    new_token: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    ctx = {
        "users": auth.list_users(store),
        "tokens": company_tokens(store),
        "roles": USER_ROLES,
        "min_password": auth.MIN_PASSWORD,
        "error": error,
        "note": note,
        "new_token": new_token,
        "form": form or {},
        "tz": ZoneInfo(request.app.state.settings.timezone),
    }
    response = render(request, "users.html", ctx, status_code=status)
    if new_token:  # the secret must not stay in a cache
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/users", response_class=HTMLResponse, dependencies=[require("manage_users")])
def page_users(request: Request, store: StoreDep, done: str | None = None) -> HTMLResponse:
    """The company's users and API tokens, with forms to add, remove and issue."""
    notes = {"added": "u_added", "removed": "u_removed", "revoked": "u_revoked"}
    note = _message(request, notes[done]) if done in notes else ""
    return _users_page(request, store, note=note)


@router.post("/users", response_class=HTMLResponse, dependencies=[require("manage_users")])
def form_add_user(
    request: Request,
    principal: PrincipalDep,
    store: StoreDep,
    writer: WriterDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
) -> Response:
    """Add a user to your company (the checks of ``POST /api/users``)."""
    try:
        add_company_user(principal, writer, username, password, role)
    except Refused as exc:
        msg = _message(request, exc.key, str(exc.detail))
        form = {"username": username, "role": role}
        return _users_page(request, store, error=msg, form=form, status=exc.status_code)
    return RedirectResponse("/users?done=added", status_code=303)


@router.post(
    "/users/{username}/remove",
    response_class=HTMLResponse,
    dependencies=[require("manage_users")],
)
def form_remove_user(
    request: Request, username: str, principal: PrincipalDep, store: StoreDep, writer: WriterDep
) -> Response:
    """Remove a user of your company (the checks of ``DELETE /api/users/{username}``)."""
    try:
        remove_company_user(principal, store, writer, username)
    except Refused as exc:
        msg = _message(request, exc.key, str(exc.detail))
        return _users_page(request, store, error=msg, status=exc.status_code)
    return RedirectResponse("/users?done=removed", status_code=303)


@router.post("/users/tokens", response_class=HTMLResponse, dependencies=[require("manage_users")])
def form_issue_token(
    request: Request,
    principal: PrincipalDep,
    store: StoreDep,
    writer: WriterDep,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    username: Annotated[str | None, Form()] = None,
    days: Annotated[str | None, Form(description="1–3650, empty: never expires")] = None,
) -> HTMLResponse:
    """Issue an API token (the checks of ``POST /api/tokens``); the page shows it once."""
    try:
        valid_days = _days(days)
        token = issue_company_token(principal, store, writer, name, username or None, valid_days)
    except Refused as exc:
        msg = _message(request, exc.key, str(exc.detail))
        return _users_page(request, store, error=msg, status=exc.status_code)
    return _users_page(request, store, new_token=token)


@router.post(
    "/users/tokens/{token_id}/revoke",
    response_class=HTMLResponse,
    dependencies=[require("manage_users")],
)
def form_revoke_token(
    request: Request, token_id: str, store: StoreDep, writer: WriterDep
) -> Response:
    """Revoke an API token (the checks of ``DELETE /api/tokens/{token_id}``)."""
    try:
        revoke_company_token(store, writer, token_id)
    except Refused as exc:
        msg = _message(request, exc.key, str(exc.detail))
        return _users_page(request, store, error=msg, status=exc.status_code)
    return RedirectResponse("/users?done=revoked", status_code=303)
