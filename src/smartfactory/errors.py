"""One exception tree. Every error says what was wrong and what to do about it.

::

    SmartFactoryError
    ├── ConfigError            a setting or a command-line option is wrong
    ├── StoreError             the database file cannot be used
    │   ├── StoreLockedError       another process holds the file open for writing
    │   └── SchemaVersionError     the file was written by a newer SmartFactory
    ├── InputError             input cannot be read at all (rows that fail go to dead letters)
    │   ├── UnknownKindError       a record kind that does not exist
    │   ├── KindDetectionError     a file whose columns match no record kind
    │   └── FileFormatError        a file that is not CSV, Excel or Parquet, or is unreadable
    ├── NotFoundError          a lot, machine, order … that the store does not hold
    └── ProgramError           the programme side (registry, life cycle, federation)
        ├── RuleError              a programme rule failed (names the rule)
        └── FederationError        a KPI summary was refused (forged, replayed, not consented)
"""

from __future__ import annotations

from collections.abc import Iterable


class SmartFactoryError(Exception):
    """Base class of every error SmartFactory raises on purpose."""


class ConfigError(SmartFactoryError):
    """A setting or command-line option is wrong."""


class StoreError(SmartFactoryError):
    """The database file cannot be used."""


class StoreLockedError(StoreError):
    """Another process holds the database file open for writing."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(
            f"{path} is in use by another process ({detail}). DuckDB allows one writer: stop "
            "the running service (`smartfactory serve`) or talk to it over its HTTP API."
        )


class SchemaVersionError(StoreError):
    """The database file was written by a newer SmartFactory."""


class InputError(SmartFactoryError):
    """Input cannot be read at all. (Single bad rows never raise: they go to dead letters.)"""


class UnknownKindError(InputError):
    """A record kind that does not exist."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        super().__init__(f"unknown record kind {name!r}; choose one of: {', '.join(known)}")


class KindDetectionError(InputError):
    """A file whose columns match no record kind."""


class FileFormatError(InputError):
    """A file that is not CSV, Excel or Parquet, or cannot be decoded."""


class NotFoundError(SmartFactoryError):
    """Something the store does not hold."""


class ProgramError(SmartFactoryError):
    """Something on the programme side (registry, life cycle, federation) is wrong."""


class RuleError(ProgramError):
    """A programme rule failed; ``rule`` names it (see ``smartfactory.program.rules.RULES``)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"[{rule}] {message}")
        self.rule = rule


class FederationError(ProgramError):
    """A KPI summary was refused; ``reason`` says why (forged, replayed, not_consented …)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
