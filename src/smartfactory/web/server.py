"""The web app: a FastAPI application over one store. The HTML pages and the JSON API share
the same library queries. (The full dashboards arrive with the web issue; this is the shell.)"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from ..errors import ConfigError, NotFoundError
from ..ingest.connectors import live_ingestor, start_connectors
from ..kpi.engine import KpiQuery, compute
from ..settings import Settings
from ..store.db import Store
from .deps import StoreDep, templates
from .i18n import pick_lang, translator
from .routes import ingest as ingest_routes
from .routes import quality as quality_routes

logger = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The service owns the database file (DuckDB allows one writing process).
        store = Store(settings.db, default_timezone=settings.timezone)
        app.state.store = store
        app.state.http_ingestor = live_ingestor(store.cursor(), settings, "http")
        connectors = (
            start_connectors(store, settings, settings.connectors) if settings.connectors else None
        )
        try:
            yield
        finally:
            if connectors:
                connectors.stop()
            store.close()

    app = FastAPI(title="SmartFactory", version="0.1.0", lifespan=lifespan)
    app.include_router(ingest_routes.router)
    app.include_router(quality_routes.router)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/status")
    def api_status(store: StoreDep) -> dict[str, Any]:
        """Records per kind and dead letters per reason."""
        return store.status()

    @app.get("/api/kpi")
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

    @app.get("/api/lots/{lot}/trace")
    def api_trace(lot: str, store: StoreDep) -> dict[str, Any]:
        """Genealogy of a lot both ways, with production, inspections and orders."""
        from ..quality.genealogy import trace

        try:
            return trace(store, lot).as_dict()
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, store: StoreDep, lang: str | None = None) -> HTMLResponse:
        from ..demo import summarise

        code = pick_lang(lang, request.headers.get("accept-language"))
        summary = summarise(store)
        return templates.TemplateResponse(
            request,
            "home.html",
            {
                "t": translator(code),
                "lang": code,
                "other": "en" if code == "ko" else "ko",
                "s": summary,
                "dead": store.dead_letter_summary(),
            },
        )

    return app


def run(settings: Settings) -> None:
    import uvicorn

    logger.info("serving %s on http://%s:%d", settings.db, settings.host, settings.port)
    print(f"SmartFactory on http://{settings.host}:{settings.port}  (Ctrl+C to stop)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
