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
