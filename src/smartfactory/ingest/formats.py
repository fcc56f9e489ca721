"""Column headers → canonical fields, and which record kind a file holds.

Headers are matched case-insensitively, ignoring spaces, underscores and hyphens, against each
field's canonical name, its Korean label and its aliases. A header written as ``machine (설비)``
or ``설비/machine`` matches through either part.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import KindDetectionError
from ..model import KINDS, Kind

logger = logging.getLogger(__name__)

_SQUEEZE = re.compile(r"[\s_\-.]+")
_SPLIT = re.compile(r"[()\[\]/|]+")


def norm(header: str) -> str:
    return _SQUEEZE.sub("", header.strip().lower())


def _candidates(header: str) -> list[str]:
    whole = norm(header)
    parts = [norm(p) for p in _SPLIT.split(header) if p.strip()]
    return [whole, *[p for p in parts if p != whole]]


def _alias_table(k: Kind) -> dict[str, str]:
    table: dict[str, str] = {}
    for f in k.fields:
        for name in (f.name, f.ko, *f.aliases):
            table.setdefault(norm(name), f.name)
    return table


_ALIASES = {name: _alias_table(k) for name, k in KINDS.items()}


@dataclass(frozen=True)
class ColumnMap:
    """How a file's headers map onto one kind's fields."""

    kind: Kind
    #: canonical field → header in the file
    fields: dict[str, str]
    #: headers that match no field of the kind (kept in dead letters' raw text, otherwise unused)
    unmatched: list[str]

    @property
    def missing_required(self) -> list[str]:
        return [f for f in self.kind.required if f not in self.fields]


def map_columns(headers: list[str], k: Kind) -> ColumnMap:
    aliases = _ALIASES[k.name]
    fields: dict[str, str] = {}
    unmatched: list[str] = []
    for h in headers:
        target = next((aliases[c] for c in _candidates(h) if c in aliases), None)
        if target is None or target in fields:
            unmatched.append(h)
        else:
            fields[target] = h
    return ColumnMap(k, fields, unmatched)


def is_header_row(cells: list[str | None], cmap: ColumnMap) -> bool:
    """True for a second header row (e.g. the Korean labels under English names in a template)."""
    aliases = _ALIASES[cmap.kind.name]
    texts = [c for c in cells if c]
    return bool(texts) and all(any(x in aliases for x in _candidates(c)) for c in texts)


def detect_kind(headers: list[str], source: str, hint: str | None = None) -> ColumnMap:
    """Choose the record kind whose required fields all appear and that explains most columns.

    ``hint`` (an explicit ``--kind``) wins; a file or sheet named after a kind (``states.csv``,
    ``설비상태.xlsx``) is preferred when its columns fit.
    """
    if hint:
        from ..model import kind

        cmap = map_columns(headers, kind(hint))
        if cmap.missing_required:
            raise KindDetectionError(
                f"{source}: as {hint!r} it lacks the required column(s) "
                f"{', '.join(cmap.missing_required)}; found {', '.join(headers)}"
            )
        return cmap
    fits = [m for m in (map_columns(headers, k) for k in KINDS.values()) if not m.missing_required]
    if not fits:
        raise KindDetectionError(
            f"{source}: the columns ({', '.join(headers)}) match no record kind; see "
            "docs/data-formats.md or run `smartfactory template KIND`, or name it with --kind"
        )
    stem = norm(Path(source.split("#")[-1]).stem)
    named = [m for m in fits if norm(m.kind.name) in stem or norm(m.kind.ko) in stem]
    pool = named or fits
    return max(pool, key=lambda m: (len(m.fields), -len(m.unmatched)))
