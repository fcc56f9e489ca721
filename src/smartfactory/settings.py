"""Typed settings, read from the environment (``SMARTFACTORY_*``) with command-line overrides."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .model import DEFAULT_TIMEZONE

logger = logging.getLogger(__name__)


class Settings(BaseSettings):
    """Every setting, with its help text. ``docs/settings.md`` lists them (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="SMARTFACTORY_", extra="ignore")

    db: Path = Field(
        default=Path("smartfactory.duckdb"),
        description="The DuckDB database file (the embedded store).",
    )
    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        description="Time zone of sites registered without one (IANA name).",
    )
    import_batch_rows: int = Field(
        default=250_000,
        ge=1_000,
        description="Rows per batch when importing large files.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web service binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the web service.")
    max_future_s: int = Field(
        default=86_400,
        ge=0,
        description="Records stamped further than this in the future are rejected (seconds).",
    )
    min_year: int = Field(
        default=2000,
        description="Records stamped before 1 January of this year are rejected.",
    )
    unknown_machines: Literal["register", "reject"] = Field(
        default="register",
        description="What live connectors do with a machine not in the equipment list: "
        "register it under the path its topic names, or reject its messages.",
    )
    max_payload_bytes: int = Field(
        default=1 << 20,
        ge=1024,
        description="Live messages larger than this go to the dead letters (bytes).",
    )
    connectors: Path | None = Field(
        default=None,
        description="Connectors file (TOML) whose [[mqtt]] and [[opcua]] connectors "
        "`smartfactory serve` runs inside the service.",
    )
    session_secret: str | None = Field(
        default=None,
        description="Key that signs the web app's session cookies; by default a random key "
        "created once and kept in the database.",
    )
    session_max_age_s: int = Field(
        default=12 * 3600,
        ge=60,
        description="A web sign-in lasts this long (seconds).",
    )
    cookie_secure: bool = Field(
        default=False,
        description="Send the session cookie over HTTPS only (set it when serving behind TLS).",
    )
    floor_refresh_s: int = Field(
        default=5,
        ge=1,
        description="How often the floor page refreshes its tiles (seconds).",
    )
    live_max_stale_s: float = Field(
        default=5.0,
        ge=0,
        description="How old a dashboard answer may be while live data keeps arriving "
        "(seconds): within it, pages are served from the cache instead of computed again for "
        "every new batch; 0 computes again after every batch.",
    )
    mqtt_client_id: str = Field(
        default="smartfactory-ingest",
        description="MQTT client id; the broker keeps this client's session and queued messages.",
    )
    program_db: Path = Field(
        default=Path("program.duckdb"),
        description="The programme server's DuckDB file (registry, projects, KPI summaries); "
        "an agency's deployment, separate from any factory's store.",
    )


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. from CLI options)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
