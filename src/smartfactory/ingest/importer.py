"""Importing files: read → map columns → validate → append, batch by batch, nothing lost.

Every row of every file ends up in exactly one place: the store (accepted), nowhere because the
store already holds it (duplicate), or the dead letters with its file, line and reason
(rejected). :func:`import_files` loads reference data (equipment, products, orders, lots) before
events, so that timestamps are read in the right site's zone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ..errors import InputError
from ..model import LOAD_ORDER
from ..store.append import append_stage, dead_letter, finish_batch, new_batch
from ..store.db import AppendResult, Store
from .files import RawTable, read_tables
from .formats import ColumnMap, detect_kind, is_header_row
from .validate import Limits, stage

logger = logging.getLogger(__name__)

#: called with (rows done, rows in this table) as batches finish
Progress = Callable[[int, int], None]


@dataclass
class TableReport:
    """The outcome for one file (or one sheet of a workbook)."""

    source: str
    kind: str | None = None
    encoding: str | None = None
    result: AppendResult | None = None
    error: str | None = None
    unmatched_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, object]:
        r = self.result or AppendResult(kind=self.kind or "")
        return {
            "source": self.source,
            "kind": self.kind,
            "encoding": self.encoding,
            "rows": r.rows,
            "accepted": r.accepted,
            "duplicates": r.duplicates,
            "rejected": r.rejected,
            "by_reason": r.by_reason,
            "unmatched_columns": self.unmatched_columns,
            "error": self.error,
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_table(
    store: Store,
    raw: RawTable,
    *,
    kind: str | None = None,
    limits: Limits | None = None,
    batch_rows: int = 250_000,
    sha256: str | None = None,
    progress: Progress | None = None,
) -> TableReport:
    """Validate and store one raw table; bad rows go to the dead letters."""
    limits = limits or Limits(default_timezone=store.default_timezone)
    cmap: ColumnMap = detect_kind(raw.columns, raw.source, kind)
    report = TableReport(raw.source, cmap.kind.name, raw.encoding, AppendResult(cmap.kind.name))
    report.unmatched_columns = cmap.unmatched
    table = raw.table
    if table.num_rows and is_header_row([table.column(h)[0].as_py() for h in raw.columns], cmap):
        table = table.slice(1)  # the Korean label row of a template
    batch_id = new_batch(store, raw.source, cmap.kind.name, sha256)
    assert report.result is not None
    total = table.num_rows
    done = 0
    for b in raw.broken:
        dead_letter(
            store,
            batch_id=batch_id,
            source=raw.source,
            kind=cmap.kind.name,
            line=b.line or None,
            reason="broken_row",
            detail=b.reason.removeprefix("broken_row: "),
            raw=b.text,
        )
    broken = AppendResult(cmap.kind.name, rows=len(raw.broken), rejected=len(raw.broken))
    if raw.broken:
        broken.by_reason["broken_row"] = len(raw.broken)
    report.result.add(broken)
    for offset in range(0, max(total, 1), batch_rows):
        chunk: pa.Table = table.slice(offset, batch_rows)
        if chunk.num_rows == 0:
            break
        stage(store.con, chunk, cmap, limits)
        report.result.add(append_stage(store, cmap.kind, batch_id=batch_id, source=raw.source))
        done += chunk.num_rows
        if progress:
            progress(done, total)
    store.con.execute("DROP TABLE IF EXISTS _stage; DROP TABLE IF EXISTS _s2")
    finish_batch(store, batch_id, report.result)
    logger.info("%s: %s", raw.source, report.as_dict())
    return report


def import_files(
    store: Store,
    paths: Iterable[str | Path],
    *,
    kind: str | None = None,
    limits: Limits | None = None,
    batch_rows: int = 250_000,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[TableReport]:
    """Import files (CSV, Excel, Parquet). A file that cannot be read is reported, not raised."""
    tables: list[tuple[RawTable, str]] = []
    reports: list[TableReport] = []
    for p in paths:
        path = Path(p)
        try:
            digest = _sha256(path) if path.exists() else ""
            for raw in read_tables(path):
                tables.append((raw, digest))
        except InputError as exc:
            reports.append(TableReport(str(path), error=str(exc)))

    def order(item: tuple[RawTable, str]) -> int:
        try:
            name = detect_kind(item[0].columns, item[0].source, kind).kind.name
        except InputError:
            return len(LOAD_ORDER)
        return LOAD_ORDER.index(name)

    for raw, digest in sorted(tables, key=order):
        try:
            cb = (lambda d, t, s=raw.source: progress(s, d, t)) if progress else None
            reports.append(
                import_table(
                    store,
                    raw,
                    kind=kind,
                    limits=limits,
                    batch_rows=batch_rows,
                    sha256=digest,
                    progress=cb,
                )
            )
        except InputError as exc:
            reports.append(TableReport(raw.source, encoding=raw.encoding, error=str(exc)))
    return reports
