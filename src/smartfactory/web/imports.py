"""Files uploaded through the web: the normal importer, after a company check.

A user imports for their own company only. Before the importer sees a table, rows that would
touch another company's data are taken out and recorded as dead letters with a reason:

- ``other_company``: equipment of another enterprise, a row for another company's machine, or
  a reference record (order, lot, product, lot link) whose key another company already holds;
- ``unknown_machine``: a machine not in the equipment list (the importer would register it
  under the default site, outside the user's company): add it to the equipment file first.

Everything else goes through :func:`smartfactory.ingest.importer.import_table` unchanged, and
every batch the upload made is recorded as the company's (``batch_owners``), so its rejects
appear in that company's dead letters and nowhere else.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..ingest.files import RawTable, read_tables
from ..ingest.formats import ColumnMap, detect_kind
from ..ingest.importer import TableReport, import_table
from ..ingest.validate import Limits
from ..model import DEFAULT_ENTERPRISE
from ..store.append import dead_letter, finish_batch, new_batch
from ..store.db import AppendResult, Store
from ..store.tenant import scoped

logger = logging.getLogger(__name__)
#: rejected rows listed in the report (all of them are in the dead letters)
REPORT_ROWS = 200


def _col(raw: RawTable, cmap: ColumnMap, field: str) -> list[str | None] | None:
    header = cmap.fields.get(field)
    if header is None:
        return None
    return [None if v is None else str(v).strip() for v in raw.table.column(header).to_pylist()]


def _foreign_keys(store: Store, mine: Store, table: str, col: str, values: set[str]) -> set[str]:
    """Of ``values``, those the store holds in ``table.col`` but the company cannot see."""
    if not values:
        return set()
    vals = sorted(values)
    marks = ", ".join("?" for _ in vals)
    allk = {
        r[0]
        for r in store.con.execute(
            f'SELECT DISTINCT "{col}" FROM {table} WHERE "{col}" IN ({marks})', vals
        ).fetchall()
    }
    seen = {
        r[0]
        for r in mine.con.execute(
            f'SELECT DISTINCT "{col}" FROM {table} WHERE "{col}" IN ({marks})', vals
        ).fetchall()
    }
    return allk - seen


def _screen(
    store: Store, mine: Store, raw: RawTable, cmap: ColumnMap, enterprise: str
) -> list[tuple[int, str, str]]:
    """(row index, reason, detail) of the rows that must not be imported for ``enterprise``."""
    owner = dict(store.con.execute("SELECT machine, enterprise FROM equipment").fetchall())
    bad: dict[int, tuple[str, str]] = {}
    kind = cmap.kind.name
    ents = _col(raw, cmap, "enterprise") if "enterprise" in cmap.kind.columns else None
    for i, e in enumerate(ents or []):
        if e and e != enterprise:
            bad[i] = ("other_company", f"enterprise {e!r} is not your company ({enterprise})")
    machines = _col(raw, cmap, "machine")
    for i, m in enumerate(machines or []):
        if not m or i in bad:
            continue
        if m in owner and owner[m] != enterprise:
            bad[i] = ("other_company", f"machine {m!r} belongs to another company")
        elif m not in owner and kind != "equipment" and enterprise != DEFAULT_ENTERPRISE:
            if kind in ("products", "lots", "inspections", "tool_maintenance"):
                continue  # an optional machine column: checked by key below
            bad[i] = (
                "unknown_machine",
                f"machine {m!r} is not in your equipment list; import equipment first",
            )
    keyed = {
        "orders": ("orders", "order"),
        "lots": ("lots", "lot"),
        "products": ("products", "product"),
        "genealogy": ("lots", "child_lot"),
        "tool_maintenance": ("counts", "tool"),
    }
    if kind in keyed:
        table, field = keyed[kind]
        column = "lot" if field == "child_lot" else field
        values = _col(raw, cmap, field) or []
        foreign = _foreign_keys(store, mine, table, column, {v for v in values if v})
        for i, v in enumerate(values):
            if v in foreign and i not in bad:
                bad[i] = ("other_company", f"{column} {v!r} belongs to another company")
    return [(i, r, d) for i, (r, d) in sorted(bad.items())]


def _reject_rows(
    store: Store, raw: RawTable, kind: str, rows: list[tuple[int, str, str]], batch_id: int
) -> AppendResult:
    result = AppendResult(kind, rows=len(rows), rejected=len(rows))
    lines = raw.table.column("_line").to_pylist() if "_line" in raw.table.column_names else []
    for i, reason, detail in rows:
        cells = [raw.table.column(h)[i].as_py() for h in raw.columns]
        dead_letter(
            store,
            batch_id=batch_id,
            source=raw.source,
            kind=kind,
            line=int(lines[i]) if lines else None,
            reason=reason,
            detail=detail,
            raw=",".join("" if c is None else str(c) for c in cells),
        )
        result.by_reason[reason] = result.by_reason.get(reason, 0) + 1
    return result


def _import_one(
    store: Store, mine: Store, raw: RawTable, enterprise: str, limits: Limits
) -> TableReport:
    cmap = detect_kind(raw.columns, raw.source)
    bad = _screen(store, mine, raw, cmap, enterprise)
    screened = AppendResult(cmap.kind.name)
    if bad:
        batch_id = new_batch(store, raw.source, cmap.kind.name)
        screened = _reject_rows(store, raw, cmap.kind.name, bad, batch_id)
        finish_batch(store, batch_id, screened)
        drop = pa.array([i not in {b[0] for b in bad} for i in range(raw.table.num_rows)])
        raw = dataclasses.replace(raw, table=pc.filter(raw.table, drop))
    report = import_table(store, raw, limits=limits)
    assert report.result is not None
    report.result.add(screened)
    return report


def import_upload(
    store: Store, paths: list[Path], *, enterprise: str, username: str, limits_from: Any
) -> dict[str, Any]:
    """Import uploaded files for ``enterprise``; return the validation report."""
    limits = Limits.from_settings(limits_from)
    start = int(store.scalar("SELECT coalesce(max(batch_id), 0) FROM batches"))
    reports: list[dict[str, Any]] = []
    sources: list[str] = []
    mine = scoped(store, enterprise)
    try:
        for path in paths:
            try:
                tables = list(read_tables(path))
            except InputError as exc:
                reports.append(TableReport(path.name, error=str(exc)).as_dict())
                continue
            for raw in tables:
                source = f"upload/{username}/{raw.source.rsplit('/', 1)[-1]}"
                raw = dataclasses.replace(raw, source=source)
                sources.append(source)
                try:
                    reports.append(_import_one(store, mine, raw, enterprise, limits).as_dict())
                except InputError as exc:
                    reports.append(TableReport(source, error=str(exc)).as_dict())
    finally:
        mine.close()
    batches = _own_batches(store, start, sources, enterprise, username)
    rejected = _rejected_rows(store, batches)
    return {"files": reports, "rejected_rows": rejected, "batches": batches}


def _own_batches(
    store: Store, start: int, sources: list[str], enterprise: str, username: str
) -> list[int]:
    if not sources:
        return []
    marks = ", ".join("?" for _ in sources)
    ids = [
        int(r[0])
        for r in store.con.execute(
            f"SELECT batch_id FROM batches WHERE batch_id > ? AND source IN ({marks})",
            [start, *sources],
        ).fetchall()
    ]
    for b in ids:
        store.con.execute(
            "INSERT INTO batch_owners (batch_id, enterprise, username) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [b, enterprise, username],
        )
    return ids


def _rejected_rows(store: Store, batches: list[int]) -> list[dict[str, Any]]:
    if not batches:
        return []
    marks = ", ".join("?" for _ in batches)
    return store.rows(
        "SELECT source, kind, line, reason, detail, raw FROM dead_letters "
        f"WHERE batch_id IN ({marks}) ORDER BY source, line NULLS FIRST LIMIT {REPORT_ROWS}",
        batches,
    )
