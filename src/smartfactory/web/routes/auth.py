"""Sign-in and sign-out, who am I, and the company's users and API tokens (admins): the JSON
API and the checks that the pages of routes/account.py share with it."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ...errors import ConfigError, NotFoundError
from ...store.db import Store
from .. import auth
from ..deps import StoreDep, WriterDep, render
from ..permissions import ROLES, USER_ROLES, Principal
from ..security import PrincipalDep, public, require, sign_in
from ..throttle import SignInThrottle, client_address

logger = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])


def _safe_next(target: str | None) -> str:
    """Only a local path (no open redirect to another site)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/floor"


@router.get("/login", response_class=HTMLResponse, dependencies=[public()])
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "login.html", {"next": _safe_next(next), "error": False})


@router.post("/login", response_class=HTMLResponse, dependencies=[public()])
def login(
    request: Request,
    store: WriterDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the password; start a session and go on, or show the form again. After
    repeated wrong passwords the form answers 429 for a while without checking any."""
    throttle: SignInThrottle = request.app.state.throttle
    address = client_address(request)
    wait = throttle.retry_after(username, address)
    user = None if wait else auth.authenticate(store, username, password)
    if user is None:
        if not wait:
            logger.info("failed sign-in for %r from %s", username, address)
            wait = throttle.failed(username, address)
        if wait:
            logger.warning("sign-in for %r from %s locked for %d s", username, address, wait)
        ctx = {"next": _safe_next(next), "error": True, "wait_minutes": -(-wait // 60)}
        headers = {"Retry-After": str(wait)} if wait else None
        return render(request, "login.html", ctx, status_code=429 if wait else 401, headers=headers)
    throttle.succeeded(username, address)
    sign_in(request, user.username, user.session_epoch)
    target = _safe_next(next)
    if "view" not in ROLES.get(user.role, ()) and not target.startswith("/program"):
        target = "/program"  # the programme side sees no factory page (decision 0011)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[public()])
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/api/me", dependencies=[require("view")])
def api_me(principal: PrincipalDep) -> dict[str, Any]:
    """Who is signed in, their company and what their role allows."""
    from ..permissions import ROLES

    return {
        "name": principal.name,
        "role": principal.role,
        "enterprise": principal.enterprise,
        "via": principal.via,
        "actions": sorted(ROLES[principal.role]),
    }


# -- users and tokens of one's company -----------------------------------------------------


#: a longer password is refused: hashing it would only cost time
MAX_PASSWORD = 256
#: an API token expires after at most this many days (or never)
MAX_TOKEN_DAYS = 3650


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=auth.MIN_PASSWORD, max_length=MAX_PASSWORD)
    role: str = Field(description="admin, manager, operator or viewer")
    display_name: str | None = Field(default=None, max_length=100)


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="what the token is for")
    username: str | None = Field(default=None, description="whose token (default: yours)")
    days: int | None = Field(default=None, ge=1, le=MAX_TOKEN_DAYS, description="expires after")


class Refused(HTTPException):
    """An HTTP error that also names the i18n key of its message, so that a page can show it
    in the page's language while the API answers with ``detail``."""

    def __init__(
        self, status_code: int, detail: str, key: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code, detail, headers)
        self.key = key


# The checks below are the one copy of the rules on a company's users and tokens: the JSON API
# here and the pages of routes/account.py call them.


def add_company_user(
    principal: Principal,
    writer: Store,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
) -> auth.User:
    """Add a user to the principal's company (or replace the password and role of one of its
    users); a name taken by another company is refused."""
    existing = auth.get_user(writer, username)
    if existing is not None and existing.enterprise != principal.enterprise:
        raise Refused(409, f"the user name {username!r} is taken", "u_taken")
    if role not in USER_ROLES:
        raise Refused(422, f"role must be one of {', '.join(USER_ROLES)}", "u_bad_role")
    try:
        return auth.add_user(
            writer,
            username,
            password,
            enterprise=str(principal.enterprise),
            role=role,
            display_name=display_name,
        )
    except ConfigError as exc:
        raise Refused(422, str(exc), "u_invalid") from exc


def remove_company_user(principal: Principal, store: Store, writer: Store, username: str) -> None:
    """Remove a user of the principal's company (``store`` is scoped to it) and their tokens."""
    if auth.get_user(store, username) is None:  # the scoped store sees only one's company
        raise Refused(404, f"no user {username!r} in your company", "u_not_found")
    if username == principal.name:
        raise Refused(422, "you cannot remove yourself", "u_self")
    auth.remove_user(writer, username)


def issue_company_token(
    principal: Principal,
    store: Store,
    writer: Store,
    name: str,
    username: str | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    """A new API token for a user of the principal's company (default: the principal)."""
    username = username or principal.name
    if auth.get_user(store, username) is None:
        raise Refused(404, f"no user {username!r} in your company", "u_not_found")
    try:
        token = auth.add_token(writer, username, name, days)
    except NotFoundError as exc:
        raise Refused(404, str(exc), "u_not_found") from exc
    return {"username": username, "name": name, "token": token}


def revoke_company_token(store: Store, writer: Store, token_id: str) -> None:
    """Revoke an API token of a user of the company (``store`` is scoped to it): from then on
    it signs nothing in. Another company's token is not found."""
    if not any(t["token_id"] == token_id for t in company_tokens(store)):
        raise Refused(404, f"no API token {token_id!r} in your company", "u_no_token")
    auth.revoke_token(writer, token_id)


def company_tokens(store: Store) -> list[dict[str, Any]]:
    """API tokens of the company's users (``store`` is scoped to it), never the tokens."""
    names = {u["username"] for u in auth.list_users(store)}
    return [t for t in auth.list_tokens(store) if t["username"] in names]


@router.get("/api/users", dependencies=[require("manage_users")])
def api_users(store: StoreDep) -> list[dict[str, Any]]:
    """The users of your company."""
    return auth.list_users(store)


@router.post("/api/users", status_code=201, dependencies=[require("manage_users")])
def api_add_user(body: NewUser, principal: PrincipalDep, writer: WriterDep) -> dict[str, Any]:
    """Add a user to your company (or replace the password and role of one of its users)."""
    user = add_company_user(
        principal, writer, body.username, body.password, body.role, body.display_name
    )
    return user.as_dict()


@router.delete("/api/users/{username}", status_code=204, dependencies=[require("manage_users")])
def api_remove_user(
    username: str, principal: PrincipalDep, store: StoreDep, writer: WriterDep
) -> Response:
    """Remove a user of your company (and their tokens)."""
    remove_company_user(principal, store, writer, username)
    return Response(status_code=204)


@router.post("/api/tokens", status_code=201, dependencies=[require("manage_users")])
def api_add_token(
    body: NewToken, principal: PrincipalDep, store: StoreDep, writer: WriterDep
) -> dict[str, Any]:
    """Issue an API token for a user of your company (shown once; send it as
    ``Authorization: Bearer <token>``)."""
    return issue_company_token(principal, store, writer, body.name, body.username, body.days)


@router.delete("/api/tokens/{token_id}", status_code=204, dependencies=[require("manage_users")])
def api_revoke_token(token_id: str, store: StoreDep, writer: WriterDep) -> Response:
    """Revoke an API token of your company's users (its ``token_id`` from ``GET /api/tokens``)."""
    revoke_company_token(store, writer, token_id)
    return Response(status_code=204)


@router.get("/api/tokens", dependencies=[require("manage_users")])
def api_tokens(store: StoreDep) -> list[dict[str, Any]]:
    """API tokens of your company's users (never the tokens themselves)."""
    return company_tokens(store)
