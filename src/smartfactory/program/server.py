"""The programme server's HTTP API: factories post signed KPI summaries here.

``POST /api/program/summaries`` with ``Authorization: Bearer <company token>`` and the
envelope ``{"body": {...}, "signature": "..."}`` of :mod:`.federation`. Answers 200 with what
was stored, or the reason it was refused: 401 unauthorised, 403 forged or wrong company,
409 replayed or stale, 422 a field not consented, not a bucket, or a malformed summary.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header, HTTPException, Request

from ..errors import FederationError
from .federation import receive
from .schema import ProgramDB

logger = logging.getLogger(__name__)

STATUS = {
    "unauthorised": 401,
    "forged": 403,
    "wrong_company": 403,
    "replayed": 409,
    "stale": 409,
}


def create_app(db_path: Path | str) -> FastAPI:
    """The programme server on its own DuckDB file."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = ProgramDB(db_path)
        try:
            yield
        finally:
            app.state.db.close()

    app = FastAPI(title="SmartFactory programme server", lifespan=lifespan)

    @app.get("/api/program/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/program/summaries")
    def summaries(
        request: Request,
        envelope: Annotated[dict[str, Any], Body()],
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Verify a signed summary and store its buckets."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        db = request.app.state.db.cursor()
        try:
            return receive(db, token, envelope)
        except FederationError as exc:
            logger.warning("summary refused: %s", exc)
            raise HTTPException(STATUS.get(exc.reason, 422), str(exc)) from exc
        finally:
            db.close()

    return app


def run(db_path: Path, host: str = "127.0.0.1", port: int = 8100) -> None:
    """Serve the programme API until interrupted."""
    import uvicorn

    uvicorn.run(create_app(db_path), host=host, port=port, log_level="info")
