"""``POST /api/ingest``: gateways send unified-namespace messages over HTTP.

Body: a list of ``{"topic": "sf/v1/…/{kind}", "payload": {…} or [{…}, …]}``, the same topics
and payloads as MQTT. The answer comes after the messages are stored: what was stored and what
was rejected, by reason. Rejected items are in the dead letters as well.

Who may post: a gateway token (``smartfactory gateway add``) or a user's API token / session
whose role allows ``ingest``. A principal of one company may post only that company's topics
(the enterprise is the topic's third level); other messages are rejected as
``other_company``. A gateway registered without a company may post for any.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ...store.append import dead_letter, finish_batch, new_batch
from ...store.db import AppendResult
from ..deps import WriterDep
from ..security import PrincipalDep, require

logger = logging.getLogger(__name__)
router = APIRouter(tags=["ingest"])
_lock = threading.Lock()


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


def _enterprise_of(topic: str) -> str | None:
    parts = topic.strip("/").split("/")
    return parts[2] if len(parts) > 2 else None


@router.post("/api/ingest", response_model=IngestResult, dependencies=[require("ingest")])
def ingest(
    messages: list[Message], request: Request, principal: PrincipalDep, writer: WriterDep
) -> IngestResult:
    """Store messages from a gateway (``Authorization: Bearer <token>``)."""
    mine = principal.enterprise
    keep = [m for m in messages if mine is None or _enterprise_of(m.topic) == mine]
    foreign = [m for m in messages if m not in keep]
    live = request.app.state.http_ingestor
    batch = [(m.topic, json.dumps(m.payload, default=str).encode()) for m in keep]
    with _lock:
        report = live.ingest(batch) if batch else None
        if report is not None and mine is not None:
            _own_latest(writer, live.source, mine, principal.name)
        if foreign:
            _reject_foreign(writer, foreign, str(mine), principal.name)
    by_reason = dict(report.by_reason) if report else {}
    if foreign:
        by_reason["other_company"] = by_reason.get("other_company", 0) + len(foreign)
    return IngestResult(
        gateway=principal.name,
        messages=len(messages),
        stored=report.stored if report else 0,
        duplicates=report.duplicates if report else 0,
        rejected=(report.rejected if report else 0) + len(foreign),
        by_reason=by_reason,
    )


def _own_latest(store: Any, source: str, enterprise: str, name: str) -> None:
    """Record the batch just written as the company's (its rejects are shown to it)."""
    store.con.execute(
        "INSERT INTO batch_owners (batch_id, enterprise, username) "
        "SELECT max(batch_id), ?, ? FROM batches WHERE source = ? ON CONFLICT DO NOTHING",
        [enterprise, name, source],
    )


def _reject_foreign(store: Any, foreign: list[Message], enterprise: str, name: str) -> None:
    batch_id = new_batch(store, "http", None)
    for m in foreign:
        dead_letter(
            store,
            batch_id=batch_id,
            source=f"http/{name}",
            kind=None,
            line=None,
            reason="other_company",
            detail=f"{name} posts for {enterprise}, not for {_enterprise_of(m.topic)!r}",
            raw=json.dumps({"topic": m.topic, "payload": m.payload}, default=str)[:4000],
        )
    finish_batch(store, batch_id, AppendResult("live", rows=len(foreign), rejected=len(foreign)))
    store.con.execute(
        "INSERT INTO batch_owners (batch_id, enterprise, username) VALUES (?, ?, ?)",
        [batch_id, enterprise, name],
    )
