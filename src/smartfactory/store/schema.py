"""The store's schema, derived from the record kinds, and its migrations.

Each migration is a list of SQL statements; ``schema_version`` records which have run. A new
release appends migrations and never edits old ones, so any older file can be brought forward.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb

from ..errors import SchemaVersionError
from ..model import KINDS, FieldType, Kind

logger = logging.getLogger(__name__)

SQL_TYPES: dict[FieldType, str] = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "int": "BIGINT",
    "float": "DOUBLE",
}


def q(name: str) -> str:
    """Quote an identifier (several canonical columns, like ``order`` and ``end``, are keywords)."""
    return '"' + name.replace('"', '""') + '"'


def table_ddl(k: Kind, later: tuple[str, ...] = ()) -> str:
    """The table of a kind, without the fields in ``later`` (a later migration adds them)."""
    cols = [f"{q(f.name)} {SQL_TYPES[f.type]}" for f in k.fields if f.name not in later]
    # Which import batch (file or connector delivery) a record came from: provenance for audits.
    cols.append("batch_id BIGINT")
    return f"CREATE TABLE IF NOT EXISTS {q(k.name)} ({', '.join(cols)})"


#: the kinds that schema version 1 created (later kinds come with their own migration)
_V1_KINDS = (
    "equipment",
    "states",
    "counts",
    "products",
    "measurements",
    "inspections",
    "orders",
    "lots",
    "genealogy",
)


#: fields added to a kind after the migration that created its table, by that later migration
_LATER_FIELDS: dict[str, tuple[str, ...]] = {"counts": ("operator", "tool")}


def _v1() -> list[str]:
    stmts = [table_ddl(KINDS[name], _LATER_FIELDS.get(name, ())) for name in _V1_KINDS]
    stmts += [
        """CREATE TABLE IF NOT EXISTS sites (
            enterprise VARCHAR NOT NULL, site VARCHAR NOT NULL, timezone VARCHAR NOT NULL,
            PRIMARY KEY (enterprise, site))""",
        "CREATE SEQUENCE IF NOT EXISTS batch_seq START 1",
        """CREATE TABLE IF NOT EXISTS batches (
            batch_id BIGINT PRIMARY KEY, source VARCHAR NOT NULL, kind VARCHAR,
            sha256 VARCHAR, started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ,
            rows_read BIGINT DEFAULT 0, accepted BIGINT DEFAULT 0, duplicates BIGINT DEFAULT 0,
            rejected BIGINT DEFAULT 0)""",
        "CREATE SEQUENCE IF NOT EXISTS dead_letter_seq START 1",
        """CREATE TABLE IF NOT EXISTS dead_letters (
            id BIGINT DEFAULT nextval('dead_letter_seq'), batch_id BIGINT,
            received_at TIMESTAMPTZ NOT NULL, source VARCHAR, kind VARCHAR, line BIGINT,
            reason VARCHAR NOT NULL, detail VARCHAR, raw VARCHAR)""",
    ]
    return stmts


def _v2() -> list[str]:
    """Shift calendars per site (local start and end times, HH:MM; may cross midnight)."""
    return [
        """CREATE TABLE IF NOT EXISTS shifts (
            enterprise VARCHAR NOT NULL, site VARCHAR NOT NULL, shift VARCHAR NOT NULL,
            start_time VARCHAR NOT NULL, end_time VARCHAR NOT NULL,
            PRIMARY KEY (enterprise, site, shift))"""
    ]


def _v3() -> list[str]:
    """Live connectors: state change events (a state message opens an interval that the next
    one of the machine closes), and gateways allowed to post over HTTP (hashed tokens)."""
    return [
        table_ddl(KINDS["state_events"]),
        """CREATE TABLE IF NOT EXISTS gateways (
            name VARCHAR PRIMARY KEY, token_sha256 VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(), enterprise VARCHAR)""",
    ]


def _v4() -> list[str]:
    """The web app: users (password hashes, a role, one enterprise each), API tokens (hashed),
    which enterprise a batch was loaded for (so rejects are shown to that company only), and
    the app's secrets (the key that signs session cookies)."""
    return [
        """CREATE TABLE IF NOT EXISTS users (
            username VARCHAR PRIMARY KEY, enterprise VARCHAR NOT NULL, role VARCHAR NOT NULL,
            password_hash VARCHAR NOT NULL, display_name VARCHAR,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            session_epoch INTEGER NOT NULL DEFAULT 0, disabled BOOLEAN NOT NULL DEFAULT false)""",
        """CREATE TABLE IF NOT EXISTS api_tokens (
            token_id VARCHAR PRIMARY KEY, username VARCHAR NOT NULL, name VARCHAR NOT NULL,
            token_sha256 VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            expires_at TIMESTAMPTZ)""",
        """CREATE TABLE IF NOT EXISTS batch_owners (
            batch_id BIGINT PRIMARY KEY, enterprise VARCHAR NOT NULL, username VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS app_secrets (
            name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    ]


def _v5() -> list[str]:
    """Finished-goods stock counts per company and product (the plan's starting stock)."""
    return [table_ddl(KINDS["stock"])]


def _v6() -> list[str]:
    """Planning settings per company and product (lot size, lead time, service level, line)."""
    return [table_ddl(KINDS["items"])]


def _v7() -> list[str]:
    """Who ran the machine and with which tool or mould, per production count (root-cause
    context)."""
    k = KINDS["counts"]
    return [
        f"ALTER TABLE counts ADD COLUMN IF NOT EXISTS {q(f.name)} {SQL_TYPES[f.type]}"
        for f in k.fields
        if f.name in _LATER_FIELDS["counts"]
    ]


#: Migrations in order; index + 1 is the schema version a migration brings the file to.
def _v8() -> list[str]:
    """Tool and mould maintenance (a regrind or repair starts the tool's life count again)."""
    return [table_ddl(KINDS["tool_maintenance"])]


MIGRATIONS: list[Callable[[], list[str]]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(con: duckdb.DuckDBPyConnection, table: str = "schema_version") -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchall()[0]
    if not exists[0]:
        return 0
    # fetchall, not fetchone: DuckDB 2.0 keeps a half-read result open, which blocks register()
    (version,) = con.execute(f"SELECT max(version) FROM {table}").fetchall()[0]
    return int(version) if version is not None else 0


def run_migrations(
    con: duckdb.DuckDBPyConnection,
    path: str,
    migrations: list[Callable[[], list[str]]],
    *,
    table: str = "schema_version",
    what: str = "schema",
) -> int:
    """Bring a file up to ``len(migrations)``, recording each in ``table``, one transaction a
    migration; return the version it had. A file newer than this SmartFactory is refused."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {table} "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    found = current_version(con, table)
    latest = len(migrations)
    if found > latest:
        raise SchemaVersionError(
            f"{path} has {what} version {found}, newer than this SmartFactory "
            f"({latest}); upgrade SmartFactory to open it"
        )
    for version in range(found + 1, latest + 1):
        logger.info("migrating %s to %s version %d", path, what, version)
        con.execute("BEGIN")
        try:
            for stmt in migrations[version - 1]():
                con.execute(stmt)
            con.execute(f"INSERT INTO {table} (version) VALUES (?)", [version])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return found


def migrate(con: duckdb.DuckDBPyConnection, path: str) -> int:
    """Bring the file's schema up to :data:`SCHEMA_VERSION`; return the version it had."""
    return run_migrations(con, path, MIGRATIONS)
