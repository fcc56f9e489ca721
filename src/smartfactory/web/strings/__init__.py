"""Every Korean and English string of the web app, one table per area of the app.

:func:`catalogue` merges them into the one table that :mod:`smartfactory.web.i18n` looks keys up
in, and refuses a key defined twice (a later table must not silently hide an earlier one's
string). Every entry has both languages (``tests/test_web.py`` checks).
"""

from __future__ import annotations

from . import account, core, forecast, program

TABLES: dict[str, dict[str, dict[str, str]]] = {
    "core": core.STRINGS,
    "forecast": forecast.STRINGS,
    "account": account.STRINGS,
    "program": program.STRINGS,
}


def catalogue() -> dict[str, dict[str, str]]:
    """All the tables as one; a key in two tables is an error."""
    merged: dict[str, dict[str, str]] = {}
    where: dict[str, str] = {}
    for area, table in TABLES.items():
        for key, value in table.items():
            if key in merged:
                raise ValueError(f"string {key!r} is defined in both {where[key]!r} and {area!r}")
            merged[key] = value
            where[key] = area
    return merged
