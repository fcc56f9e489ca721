"""The programme server's own DuckDB file and its migration chain.

The programme server is another deployment than a factory (an agency's server), so it keeps
its own file and its own ``program_schema_version`` table; nothing here touches the factory
store. Amounts are integer KRW; dates are local dates (the programme's business is in days).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import duckdb

from ..store.db import Database, connect
from ..store.schema import run_migrations

logger = logging.getLogger(__name__)

#: bucket fields a KPI summary may carry (additive sums per site × day); nothing else is stored
SUMMARY_FIELDS: tuple[str, ...] = (
    "period_s",
    "pbt_s",
    "apt_s",
    "asut_s",
    "adet_s",
    "adot_s",
    "pq",
    "gq",
    "sq",
    "rq",
    "ideal_s",
    "failures",
    "orders_done",
    "orders_on_time",
    "orders_with_due",
    "orders_with_lead",
    "lead_time_s",
)


def _v1() -> list[str]:
    cols = ", ".join(f"{f} DOUBLE" for f in SUMMARY_FIELDS)
    return [
        """CREATE TABLE operators (
            operator_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, kind VARCHAR NOT NULL,
            region VARCHAR)""",
        """CREATE TABLE companies (
            company_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, size VARCHAR NOT NULL,
            ksic VARCHAR NOT NULL, region VARCHAR NOT NULL, employees INTEGER)""",
        """CREATE TABLE sites (
            company_id VARCHAR NOT NULL, site VARCHAR NOT NULL, region VARCHAR NOT NULL,
            enterprise VARCHAR, factory_site VARCHAR, level INTEGER DEFAULT 0,
            PRIMARY KEY (company_id, site))""",
        """CREATE TABLE suppliers (
            supplier_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL)""",
        """CREATE TABLE lead_companies (
            lead_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL)""",
        """CREATE TABLE programmes (
            programme_id VARCHAR PRIMARY KEY, year INTEGER NOT NULL, track VARCHAR NOT NULL,
            name VARCHAR NOT NULL, budget_krw BIGINT NOT NULL, operator_id VARCHAR,
            region VARCHAR)""",
        """CREATE TABLE projects (
            project_id VARCHAR PRIMARY KEY, programme_id VARCHAR NOT NULL,
            company_id VARCHAR NOT NULL, site VARCHAR NOT NULL, supplier_id VARCHAR,
            lead_id VARCHAR, level_now INTEGER NOT NULL, level_target INTEGER NOT NULL,
            status VARCHAR NOT NULL, applied_on DATE, selected_on DATE,
            agreement_start DATE, agreement_end DATE, build_start DATE, build_due DATE,
            extension_months INTEGER DEFAULT 0, completed_on DATE, level_achieved INTEGER,
            follow_up_until DATE)""",
        """CREATE TABLE funding_lines (
            project_id VARCHAR NOT NULL, source VARCHAR NOT NULL, kind VARCHAR NOT NULL,
            amount_krw BIGINT NOT NULL)""",
        """CREATE TABLE project_events (
            project_id VARCHAR NOT NULL, on_date DATE NOT NULL, from_status VARCHAR,
            to_status VARCHAR NOT NULL, note VARCHAR,
            recorded_at TIMESTAMPTZ DEFAULT now())""",
        """CREATE TABLE agreement_changes (
            project_id VARCHAR NOT NULL, cause_on DATE NOT NULL, filed_on DATE NOT NULL,
            what VARCHAR NOT NULL)""",
        """CREATE TABLE assessments (
            company_id VARCHAR NOT NULL, site VARCHAR NOT NULL, on_date DATE NOT NULL,
            system_level INTEGER NOT NULL, capability_level INTEGER NOT NULL,
            score DOUBLE NOT NULL, answers JSON, evidence JSON)""",
        """CREATE TABLE kpi_records (
            project_id VARCHAR NOT NULL, indicator VARCHAR NOT NULL, win VARCHAR NOT NULL,
            period_start DATE, period_end DATE, value DOUBLE NOT NULL,
            source VARCHAR NOT NULL, PRIMARY KEY (project_id, indicator, win))""",
        """CREATE TABLE targets (
            name VARCHAR PRIMARY KEY, year INTEGER NOT NULL, min_level INTEGER NOT NULL,
            factories INTEGER NOT NULL, region VARCHAR)""",
        """CREATE TABLE officer_scopes (
            officer VARCHAR NOT NULL, programme_id VARCHAR, region VARCHAR)""",
        # federation: per-company tokens (hashed), public keys, what has been received
        """CREATE TABLE federation_members (
            company_id VARCHAR PRIMARY KEY, token_sha256 VARCHAR NOT NULL,
            public_key VARCHAR, last_seq BIGINT DEFAULT 0)""",
        """CREATE TABLE federation_nonces (
            company_id VARCHAR NOT NULL, nonce VARCHAR NOT NULL, received_at TIMESTAMPTZ,
            PRIMARY KEY (company_id, nonce))""",
        f"""CREATE TABLE summaries (
            company_id VARCHAR NOT NULL, site VARCHAR NOT NULL, day DATE NOT NULL, {cols},
            seq BIGINT NOT NULL, received_at TIMESTAMPTZ DEFAULT now(),
            PRIMARY KEY (company_id, site, day))""",
    ]


#: migrations in order; index + 1 is the version a migration brings the file to
MIGRATIONS: list[Callable[[], list[str]]] = [_v1]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(con: duckdb.DuckDBPyConnection, path: str) -> int:
    """Bring a programme file up to :data:`SCHEMA_VERSION`; return the version it had."""
    return run_migrations(
        con, path, MIGRATIONS, table="program_schema_version", what="programme schema"
    )


class ProgramDB(Database):
    """The programme server's database (``program.duckdb``), migrated on open."""

    def __init__(self, path: str | Path = "program.duckdb", *, read_only: bool = False) -> None:
        self.path = str(path)
        self.con = connect(self.path, read_only=read_only)
        if not read_only:
            migrate(self.con, self.path)

    def cursor(self) -> ProgramDB:
        """The same database on a new cursor (one per thread)."""
        twin = object.__new__(ProgramDB)
        twin.path = self.path
        twin.con = self.con.cursor()
        twin.con.execute("SET TimeZone = 'UTC'")
        return twin
