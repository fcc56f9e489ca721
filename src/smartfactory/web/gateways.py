"""API tokens of gateways that post data over HTTP. Only a hash of each token is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ..store.db import Store


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_gateway(store: Store, name: str, enterprise: str | None = None) -> str:
    """Create or replace a gateway; return its new token (shown once, never stored)."""
    token = "sfg_" + secrets.token_urlsafe(32)
    store.con.execute("DELETE FROM gateways WHERE name = ?", [name])
    store.con.execute(
        "INSERT INTO gateways (name, token_sha256, enterprise) VALUES (?, ?, ?)",
        [name, _digest(token), enterprise],
    )
    return token


def gateway_for(store: Store, token: str) -> str | None:
    """The gateway a token belongs to, or None."""
    digest = _digest(token)
    for name, stored in store.con.execute("SELECT name, token_sha256 FROM gateways").fetchall():
        if hmac.compare_digest(stored, digest):
            return str(name)
    return None
