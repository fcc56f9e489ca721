"""The web app: a FastAPI application over one store. The HTML pages and the JSON API share
the same library queries; every route names the action it needs (``security.require``) and
reads through a store scoped to the caller's company (``store.tenant``)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from ..errors import ConfigError, NotFoundError
from ..ingest.connectors import live_ingestor, start_connectors
from ..kpi.engine import KpiQuery, compute
from ..program.schema import ProgramDB
from ..settings import Settings
from ..store.db import Store
from ..store.tenant import ScopePool
from .auth import app_secret
from .deps import StoreDep, render
from .queries import ResultCache
from .routes import account as account_routes
from .routes import auth as auth_routes
from .routes import dashboard as dashboard_routes
from .routes import forecast as forecast_routes
from .routes import ingest as ingest_routes
from .routes import program as program_routes
from .routes import quality as quality_routes
from .routes import records as records_routes
from .routes import setup as setup_routes
from .security import (
    SESSION_COOKIE,
    SignInRequired,
    current_principal,
    public,
    require,
    route_action,
)
from .throttle import SignInThrottle

logger = logging.getLogger(__name__)


def _session_secret(settings: Settings) -> str:
    if settings.session_secret:
        return settings.session_secret
    with Store(settings.db, default_timezone=settings.timezone) as store:
        return app_secret(store)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The service owns the database file (DuckDB allows one writing process).
        store = Store(settings.db, default_timezone=settings.timezone)
        app.state.store = store
        app.state.auth_store = store.cursor()
        app.state.scopes = ScopePool(store)
        app.state.cache = ResultCache()
        app.state.settings_version = 0
        app.state.http_ingestor = live_ingestor(store.cursor(), settings, "http")
        # the programme side's own file, opened on the first programme request (decision 0011)
        app.state.program_db = None
        connectors = (
            start_connectors(store, settings, settings.connectors) if settings.connectors else None
        )
        try:
            yield
        finally:
            if connectors:
                connectors.stop()
            app.state.cache.close()  # background refreshes use scoped cursors: stop them first
            app.state.scopes.close()
            if isinstance(app.state.program_db, ProgramDB):
                app.state.program_db.close()
            app.state.auth_store.close()
            store.close()

    app = FastAPI(
        docs_url=None,  # served below from the vendored Swagger UI (no CDN)
        redoc_url=None,
        title="SmartFactory",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(deny_undeclared)],
        description="Factory dashboards and their JSON API. Sign in on /login (a session "
        "cookie) or send `Authorization: Bearer <API token>` (`smartfactory user token`).",
    )
    app.state.settings = settings
    app.state.throttle = SignInThrottle()
    app.add_middleware(
        SessionMiddleware,
        secret_key=_session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    for module in (
        auth_routes,
        account_routes,
        dashboard_routes,
        records_routes,
        setup_routes,
        ingest_routes,
        quality_routes,
        forecast_routes,
        program_routes,
    ):
        app.include_router(module.router)
    _core_routes(app)

    @app.exception_handler(StarletteHTTPException)
    async def page_error(request: Request, exc: StarletteHTTPException) -> Response:
        """A browser asking for a page that is not there (or not theirs) gets a page in its
        language with the way back; the API and scripts keep the JSON answer."""
        wants_html = "text/html" in request.headers.get("accept", "")
        headings = {404: "err_not_found", 403: "err_forbidden"}
        if (
            request.method == "GET"
            and wants_html
            and exc.status_code in headings
            and not request.url.path.startswith(("/api", "/static"))
        ):
            # the header shows the signed-in person's pages (an unknown path ran no check)
            with contextlib.suppress(SignInRequired):
                await current_principal(request)
            detail = exc.detail if exc.detail not in ("Not Found", "Forbidden") else ""
            ctx = {"heading": headings[exc.status_code], "detail": detail}
            return render(request, "error.html", ctx, status_code=exc.status_code)
        return await http_exception_handler(request, exc)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        if request.headers.get("hx-request"):  # a live part of a page: the page goes to sign-in
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.method == "GET" and wants_html and not request.url.path.startswith("/api"):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse(
            {"detail": str(exc) or "sign in first"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    return app


def _core_routes(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False, dependencies=[public()])
    def docs() -> HTMLResponse:
        """The OpenAPI spec in Swagger UI, from the vendored files (works offline)."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="SmartFactory API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon.png",
        )

    @app.get("/healthz", dependencies=[public()])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/status", dependencies=[require("view")])
    def api_status(store: StoreDep) -> dict[str, Any]:
        """Records per kind and dead letters per reason (of the caller's company)."""
        return store.status()

    @app.get("/api/kpi", dependencies=[require("view")])
    def api_kpi(
        store: StoreDep,
        by: Annotated[str, Query(description="e.g. line,day")] = "machine",
    ) -> list[dict[str, Any]]:
        """ISO 22400 buckets and KPIs grouped by the given levels and time grain."""
        try:
            qy = KpiQuery.parse_by(by)
        except ConfigError as exc:
            raise HTTPException(422, str(exc)) from exc
        return compute(store, qy).to_pylist()

    @app.get("/api/lots/{lot}/trace", dependencies=[require("view")])
    def api_trace(lot: str, store: StoreDep) -> dict[str, Any]:
        """Genealogy of a lot both ways, with production, inspections and orders."""
        from ..quality.genealogy import trace

        try:
            return trace(store, lot).as_dict()
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc


async def deny_undeclared(request: Request) -> None:
    """Runs before every route: one that names no action is refused to everyone (and the
    authorisation test fails), so forgetting the rule cannot open a route."""
    route = request.scope.get("route")
    if route is not None and route_action(route) is None:
        logger.warning("route %s declares no action: refused", getattr(route, "path", route))
        raise HTTPException(403, "this route declares no permission rule")


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of the app, including those of included routers."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.route
        if isinstance(route, APIRoute):
            out.append(route)
    return out


def run(settings: Settings) -> None:
    import uvicorn

    logger.info("serving %s on http://%s:%d", settings.db, settings.host, settings.port)
    print(f"SmartFactory on http://{settings.host}:{settings.port}  (Ctrl+C to stop)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
