"""Users, passwords and API tokens.

Passwords are hashed with Argon2id (pwdlib's recommended hasher: memory-hard, the OWASP
first choice). API tokens are random 256-bit secrets; only their SHA-256 is stored (a token is
not guessable, so a slow hash would add nothing but latency to every API call). A token is
``sft_<id>_<secret>``: the id finds the row, the secret is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pwdlib import PasswordHash

from ..errors import ConfigError, NotFoundError
from ..store.db import Store
from .permissions import PROGRAM_ROLES, USER_ROLES

logger = logging.getLogger(__name__)

_hasher = PasswordHash.recommended()
#: a hash to verify against when the user does not exist, so timing does not reveal names
_DUMMY = _hasher.hash("not a password")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class User:
    username: str
    enterprise: str
    role: str
    display_name: str | None = None
    session_epoch: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "enterprise": self.enterprise,
            "role": self.role,
            "display_name": self.display_name,
        }


def _check(username: str, role: str, password: str | None) -> None:
    if (
        not username
        or len(username) > 64
        or not username.replace("-", "")
        .replace("_", "")
        .replace(".", "")
        .replace("@", "")
        .isalnum()
    ):
        raise ConfigError(f"user name {username!r}: use 1–64 letters, digits, '-', '_', '.' or '@'")
    if role not in USER_ROLES + PROGRAM_ROLES:
        roles = ", ".join(USER_ROLES + PROGRAM_ROLES)
        raise ConfigError(f"unknown role {role!r}; choose one of: {roles}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD} characters")


def add_user(
    store: Store,
    username: str,
    password: str,
    *,
    enterprise: str | None,
    role: str,
    display_name: str | None = None,
) -> User:
    """Create a user, or replace the password and role of an existing one.

    A programme role (``program_officer``, ``program_admin``) belongs to no company: it is
    stored with an empty enterprise, so it reads no factory data (decision 0011)."""
    _check(username, role, password)
    if role in PROGRAM_ROLES:
        if enterprise:
            raise ConfigError(f"a {role} belongs to no company: leave the enterprise out")
        enterprise = ""
    elif not enterprise:
        raise ConfigError("a user belongs to one enterprise (the company whose data it sees)")
    digest = _hasher.hash(password)
    store.con.execute(
        "INSERT INTO users (username, enterprise, role, password_hash, display_name) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
        "enterprise = excluded.enterprise, role = excluded.role, "
        "password_hash = excluded.password_hash, display_name = excluded.display_name, "
        "session_epoch = users.session_epoch + 1",
        [username, enterprise, role, digest, display_name],
    )
    user = get_user(store, username)
    assert user is not None
    return user


def remove_user(store: Store, username: str) -> None:
    """Delete a user and its API tokens."""
    if get_user(store, username) is None:
        raise NotFoundError(f"no user {username!r}")
    store.con.execute("DELETE FROM api_tokens WHERE username = ?", [username])
    store.con.execute("DELETE FROM users WHERE username = ?", [username])


def list_users(store: Store) -> list[dict[str, Any]]:
    return store.rows(
        "SELECT username, enterprise, role, display_name, created_at FROM users "
        "WHERE NOT disabled ORDER BY enterprise, username"
    )


def get_user(store: Store, username: str) -> User | None:
    rows = store.con.execute(
        "SELECT username, enterprise, role, display_name, session_epoch FROM users "
        "WHERE username = ? AND NOT disabled",
        [username],
    ).fetchall()
    return User(*rows[0]) if rows else None


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the password matches, else None (same work either way)."""
    rows = store.con.execute(
        "SELECT password_hash FROM users WHERE username = ? AND NOT disabled", [username]
    ).fetchall()
    if not rows:
        _hasher.verify(password, _DUMMY)
        return None
    valid, new_hash = _hasher.verify_and_update(password, rows[0][0])
    if not valid:
        return None
    if new_hash:  # parameters got stronger since it was hashed
        store.con.execute(
            "UPDATE users SET password_hash = ? WHERE username = ?", [new_hash, username]
        )
    return get_user(store, username)


def change_password(store: Store, username: str, current: str, new: str) -> User | None:
    """Replace a user's own password, or None if ``current`` is not their password.

    The session epoch goes up, as when an admin replaces the password (:func:`add_user`), so
    every session signed in before ends; the caller moves its own session to the returned
    user's epoch to stay signed in. API tokens are separate credentials and stay valid."""
    if len(new) < MIN_PASSWORD:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD} characters")
    if authenticate(store, username, current) is None:
        return None
    store.con.execute(
        "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE username = ?",
        [_hasher.hash(new), username],
    )
    logger.info("user %r changed their password", username)
    return get_user(store, username)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_token(store: Store, username: str, name: str, days: int | None = None) -> str:
    """A new API token acting as ``username``; returned once, only its hash is stored."""
    if get_user(store, username) is None:
        raise NotFoundError(f"no user {username!r}")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    store.con.execute(
        "INSERT INTO api_tokens (token_id, username, name, token_sha256, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [token_id, username, name, _digest(secret), expires],
    )
    return f"sft_{token_id}_{secret}"


def user_for_token(store: Store, token: str) -> User | None:
    """The user an API token acts as, or None for an unknown, wrong or expired token."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "sft":
        return None
    rows = store.con.execute(
        "SELECT username, token_sha256 FROM api_tokens WHERE token_id = ? "
        "AND (expires_at IS NULL OR expires_at > now())",
        [parts[1]],
    ).fetchall()
    if not rows or not hmac.compare_digest(rows[0][1], _digest(parts[2])):
        return None
    return get_user(store, str(rows[0][0]))


def list_tokens(store: Store, username: str | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT token_id, username, name, created_at, expires_at FROM api_tokens "
        + ("WHERE username = ? " if username else "")
        + "ORDER BY created_at"
    )
    return store.rows(sql, [username] if username else [])


def revoke_token(store: Store, token_id: str) -> None:
    store.con.execute("DELETE FROM api_tokens WHERE token_id = ?", [token_id])


def app_secret(store: Store, name: str = "session") -> str:
    """A secret kept in the store (created on first use), so sessions survive restarts."""
    rows = store.con.execute("SELECT value FROM app_secrets WHERE name = ?", [name]).fetchall()
    if rows:
        return str(rows[0][0])
    value = secrets.token_urlsafe(48)
    store.con.execute(
        "INSERT INTO app_secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", [name, value]
    )
    return str(store.scalar("SELECT value FROM app_secrets WHERE name = ?", [name]))
