"""Who is asking, and may they: sessions, API tokens, CSRF, and the one permission check.

- A browser signs in with a password and gets a signed session cookie (Starlette's
  ``SessionMiddleware``, itsdangerous; HttpOnly, SameSite=Lax). The session holds the user name,
  the user's session epoch (raised when the password or role changes, which ends old sessions)
  and a CSRF token.
- Scripts and gateways send ``Authorization: Bearer <token>``: a user's API token
  (``sft_…``, acting as that user) or a gateway token (``sfg_…``, allowed only to ingest).
- CSRF: every state-changing request that is authenticated by the cookie must carry the
  session's token (synchronizer pattern) in the ``X-CSRF-Token`` header (htmx sends it) or a
  ``csrf_token`` form field. Bearer-token requests carry no cookie and need none.
- :func:`require` is the only permission check: it resolves the principal and tests the role's
  actions (:data:`smartfactory.web.permissions.ROLES`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from ..store.db import Store
from .auth import get_user, user_for_token
from .gateways import gateway_for
from .permissions import Principal

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "sf_session"


class SignInRequired(Exception):
    """No valid session or token: pages redirect to the sign-in page, the API answers 401."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing cookie request without the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached by Starlette: the endpoint reads it again
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    expected = request.session.get("csrf")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")


def _auth_store(request: Request) -> Store:
    # used only on the event loop's thread, one call at a time (no await while it is used)
    return request.app.state.auth_store


async def current_principal(request: Request) -> Principal:
    """The signed-in user, the API token's user or the gateway; else :class:`SignInRequired`."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    store = _auth_store(request)
    principal: Principal | None = None
    authz = request.headers.get("authorization", "")
    if authz.lower().startswith("bearer "):
        token = authz[7:].strip()
        if token.startswith("sfg_"):
            name = gateway_for(store, token)
            if name is not None:
                ent = store.scalar("SELECT enterprise FROM gateways WHERE name = ?", [name])
                principal = Principal(name, "gateway", ent, "gateway")
        else:
            user = user_for_token(store, token)
            if user is not None:
                principal = Principal(
                    user.username, user.role, user.enterprise, "token", user.display_name
                )
        if principal is None:
            raise SignInRequired("the bearer token is unknown, revoked or expired")
    else:
        name = request.session.get("user")
        user = get_user(store, name) if isinstance(name, str) else None
        if user is None or request.session.get("epoch") != user.session_epoch:
            raise SignInRequired("sign in first")
        principal = Principal(
            user.username, user.role, user.enterprise, "session", user.display_name
        )
        await check_csrf(request)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(action: str) -> Any:
    """A dependency that lets the request through only if the principal's role allows
    ``action``. Routes declare it: ``@router.get(..., dependencies=[require("view")])``."""

    def dependency(principal: PrincipalDep) -> Principal:
        if not principal.may(action):
            raise HTTPException(403, f"your role ({principal.role}) does not allow this ({action})")
        return principal

    dependency.sf_action = action  # type: ignore[attr-defined]
    return Depends(dependency)


def public() -> Any:
    """Marks a route open to everyone (sign-in page, health check); state-changing ones
    still need the session's CSRF token."""

    async def dependency(request: Request) -> None:
        await check_csrf(request)

    dependency.sf_action = "public"  # type: ignore[attr-defined]
    return Depends(dependency)


def sign_in(request: Request, username: str, epoch: int) -> None:
    """Start a session (a fresh CSRF token, so one from before sign-in cannot be reused)."""
    request.session.clear()
    request.session.update({"user": username, "epoch": epoch, "csrf": secrets.token_urlsafe(32)})


_ACTIONS: dict[int, str | None] = {}


def route_action(route: Any) -> str | None:
    """The action a route requires (``"public"`` for open routes), or None if it declares none."""
    key = id(route)
    if key not in _ACTIONS:
        _ACTIONS[key] = _find_action(route)
    return _ACTIONS[key]


def _find_action(route: Any) -> str | None:
    dependant = getattr(route, "dependant", None)
    stack = list(dependant.dependencies) if dependant else []
    while stack:
        dep = stack.pop()
        action = getattr(dep.call, "sf_action", None)
        if action:
            return str(action)
        stack.extend(dep.dependencies)
    return None
