"""Dependencies shared by the routers: the request's store (scoped to the principal's
company), the unscoped store for writes, and page rendering (language, CSRF token, user)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ..store.db import Store
from . import i18n
from .permissions import Principal
from .security import PrincipalDep, csrf_token

templates = Jinja2Templates(directory=str(files("smartfactory.web") / "templates"))
i18n.install_filters(templates.env)
#: more links for the navigation bar: pages added by other features append
#: ``{"href": "/forecast", "label": "<i18n key>"}`` and, for a link shown to roles with another
#: action than ``view``, ``"action": "view_program"``
NAV_EXTRA: list[dict[str, str]] = []
templates.env.globals["nav_extra"] = NAV_EXTRA

#: the scope of a gateway registered without a company: it reads nothing
_NOBODY = "\x00no enterprise"
LANG_COOKIE = "sf_lang"


def get_store(request: Request, principal: PrincipalDep) -> Iterator[Store]:
    """A cursor that sees only the principal's company (see :mod:`smartfactory.store.tenant`)."""
    pool = request.app.state.scopes
    with pool.cursor(principal.enterprise or _NOBODY) as store:
        yield store


def get_writer(request: Request) -> Iterator[Store]:
    """An unscoped cursor for writes; the route checks ownership before it writes."""
    store = request.app.state.store.cursor()
    try:
        yield store
    finally:
        store.close()


StoreDep = Annotated[Store, Depends(get_store)]
WriterDep = Annotated[Store, Depends(get_writer)]


def lang_of(request: Request, lang: str | None = None) -> str:
    return i18n.pick_lang(
        lang, request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE)
    )


def render(
    request: Request,
    name: str,
    ctx: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page in the request's language (``?lang=`` switches and is remembered in a cookie)."""
    query_lang = request.query_params.get("lang")
    code = lang_of(request, query_lang)
    principal: Principal | None = getattr(request.state, "principal", None)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": i18n.translator(code),
            "fmt": i18n.Formatter(code, ctx.get("tz")),
            "lang": code,
            "other": "en" if code == "ko" else "ko",
            "csrf": csrf_token(request),
            "me": principal,
            **ctx,
        },
        status_code=status_code,
        headers=headers,
    )
    if query_lang in i18n.LANGS:
        response.set_cookie(LANG_COOKIE, query_lang, max_age=365 * 86400, samesite="lax")
    return response
