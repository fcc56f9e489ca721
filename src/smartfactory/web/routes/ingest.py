"""``POST /api/ingest``: gateways send unified-namespace messages over HTTP.

Body: a list of ``{"topic": "sf/v1/…/{kind}", "payload": {…} or [{…}, …]}``, the same topics
and payloads as MQTT. The answer comes after the messages are stored: what was stored and what
was rejected, by reason. Rejected items are in the dead letters as well.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel, Field

from ..deps import StoreDep
from ..gateways import gateway_for

logger = logging.getLogger(__name__)
router = APIRouter(tags=["ingest"])


class Message(BaseModel):
    topic: str = Field(description="sf/v1/{enterprise}/{site}/{area}/{line}/{machine}/{kind}")
    payload: Any = Field(description="one object with timestamp_ms and the fields, or a list")


class IngestResult(BaseModel):
    gateway: str
    messages: int
    stored: int
    duplicates: int
    rejected: int
    by_reason: dict[str, int]


@router.post("/api/ingest", response_model=IngestResult)
def ingest(
    messages: list[Message],
    request: Request,
    store: StoreDep,
    authorization: Annotated[str | None, Header()] = None,
) -> IngestResult:
    """Store messages from a gateway (``Authorization: Bearer <gateway token>``)."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    name = gateway_for(store, token) if token else None
    if name is None:
        raise HTTPException(
            401,
            "a valid gateway token is required (smartfactory gateway add)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    live = request.app.state.http_ingestor
    batch = [(m.topic, json.dumps(m.payload, default=str).encode()) for m in messages]
    report = live.ingest(batch)
    return IngestResult(
        gateway=name,
        messages=len(messages),
        stored=report.stored,
        duplicates=report.duplicates,
        rejected=report.rejected,
        by_reason=report.by_reason,
    )
