"""Opening the embedded store: one DuckDB file, migrated on open, UTC inside."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import duckdb
import pyarrow as pa

from ..errors import StoreError, StoreLockedError
from ..model import DEFAULT_TIMEZONE, KINDS
from .schema import SCHEMA_VERSION, current_version, migrate, q

logger = logging.getLogger(__name__)


@dataclass
class AppendResult:
    """What happened to one batch of records."""

    kind: str
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def add(self, other: AppendResult) -> None:
        self.rows += other.rows
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        for k, v in other.by_reason.items():
            self.by_reason[k] = self.by_reason.get(k, 0) + v


def connect(path: str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file (creating its folder) in UTC, with DuckDB's own progress bar off;
    a file another process holds raises :class:`StoreLockedError`, saying which."""
    if path != ":memory:" and not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLockedError(path, str(exc).splitlines()[0]) from exc
        raise StoreError(f"cannot open {path}: {exc}") from exc
    con.execute("SET TimeZone = 'UTC'")
    # progress goes through our own bars; DuckDB's would write into the CLI's output
    con.execute("SET enable_progress_bar = false")
    return con


class Database:
    """A DuckDB file on one connection (or cursor), with the small query helpers every
    database of the platform uses: the factory :class:`Store` and the programme's database."""

    con: duckdb.DuckDBPyConnection

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(
        self, query: str, params: list[Any] | dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        cur = self.con.execute(query, params or [])
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def scalar(self, query: str, params: list[Any] | None = None) -> Any:
        rows = self.con.execute(query, params or []).fetchall()
        return rows[0][0] if rows else None

    #: open transaction() blocks on this connection (an inner block joins the outer one)
    _tx_depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; blocks nested inside it join it and commit with it."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._tx_depth = 1
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self._tx_depth = 0
        self.con.execute("COMMIT")


class Store(Database):
    """The embedded store. Use :func:`open_store` (or ``Store(path)`` and :meth:`close`).

    All timestamps are stored as ``TIMESTAMPTZ`` (UTC); the connection runs in UTC so that no
    conversion depends on the machine it runs on. Days and shifts are bucketed in each site's
    own zone by the KPI engine.
    """

    def __init__(
        self,
        path: str | Path = "smartfactory.duckdb",
        *,
        read_only: bool = False,
        default_timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.default_timezone = default_timezone
        self.con = connect(self.path, read_only=read_only)
        if not read_only:
            migrate(self.con, self.path)
        elif self.path != ":memory:" and current_version(self.con) < SCHEMA_VERSION:
            # a file of an older release, opened to be read: bring it up to date first (the
            # queries expect the current tables), then read it as asked
            self.con.close()
            with connect(self.path) as con:
                migrate(con, self.path)
            self.con = connect(self.path, read_only=True)

    def cursor(self) -> Store:
        """A store on a new cursor of the same database, for use from another thread.

        (A DuckDB connection must not be shared between threads; its cursors may.)
        """
        twin = object.__new__(Store)
        twin.path, twin.read_only = self.path, self.read_only
        twin.default_timezone = self.default_timezone
        twin.con = self.con.cursor()
        twin.con.execute("SET TimeZone = 'UTC'")
        return twin

    # -- small helpers ---------------------------------------------------------------------

    def sql(self, query: str, params: list[Any] | dict[str, Any] | None = None) -> pa.Table:
        """Run a query and return an Arrow table."""
        return self.con.sql(query, params=params).to_arrow_table()

    # -- what is in the store --------------------------------------------------------------

    def record_counts(self) -> dict[str, int]:
        return {name: int(self.scalar(f"SELECT count(*) FROM {q(name)}") or 0) for name in KINDS}

    def dead_letter_summary(self) -> dict[str, Any]:
        by_reason = {
            r["reason"]: int(r["n"])
            for r in self.rows(
                "SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason ORDER BY n DESC"
            )
        }
        return {"total": sum(by_reason.values()), "by_reason": by_reason}

    def status(self) -> dict[str, Any]:
        return {"records": self.record_counts(), "dead_letters": self.dead_letter_summary()}

    def timezone_of_site(self, enterprise: str, site: str) -> str:
        tz = self.scalar(
            "SELECT timezone FROM sites WHERE enterprise = ? AND site = ?", [enterprise, site]
        )
        return str(tz) if tz else self.default_timezone


@contextmanager
def open_store(path: str | Path, **kwargs: Any) -> Iterator[Store]:
    store = Store(path, **kwargs)
    try:
        yield store
    finally:
        store.close()
