"""Reading CSV, Excel and Parquet files into raw tables of text cells with their line numbers.

Nothing here judges the content: every cell stays text (or its native type for Parquet), and
rows that cannot even be split into the header's columns are returned as broken rows, with the
line they are on, for the dead letters.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import FileFormatError

logger = logging.getLogger(__name__)

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
#: Encodings tried in order. CP949 is what Korean Excel writes ("ANSI"); it is a superset of
#: EUC-KR, so EUC-KR files read correctly too.
ENCODINGS = ("utf-8-sig", "cp949")
HELP_SHEETS = {"help", "도움말", "readme"}


@dataclass
class BrokenRow:
    line: int
    text: str
    reason: str


@dataclass
class RawTable:
    """One table read from a file (a CSV, a Parquet file, or one sheet of a workbook)."""

    source: str
    #: header names exactly as written in the file
    columns: list[str]
    #: cells (text for CSV and Excel) plus ``_line``: the line or row number in the file
    table: pa.Table
    broken: list[BrokenRow] = field(default_factory=list)
    sheet: str | None = None
    encoding: str | None = None


def read_tables(path: str | Path) -> Iterator[RawTable]:
    """Yield the raw tables in a file: one for CSV and Parquet, one per data sheet for Excel."""
    p = Path(path)
    if not p.exists():
        raise FileFormatError(f"{p}: no such file")
    suffix = p.suffix.lower()
    if suffix in CSV_SUFFIXES:
        yield read_csv(p)
    elif suffix in EXCEL_SUFFIXES:
        yield from read_excel(p)
    elif suffix in PARQUET_SUFFIXES:
        yield read_parquet(p)
    elif suffix == ".xls":
        raise FileFormatError(
            f"{p}: the old .xls format is not supported; save it as .xlsx or CSV in Excel"
        )
    else:
        raise FileFormatError(
            f"{p}: unknown file type {suffix!r}; use CSV (.csv), Excel (.xlsx) or Parquet"
        )


# -- CSV ---------------------------------------------------------------------------------------


def _decode(data: bytes, source: str) -> tuple[str, str]:
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise FileFormatError(
        f"{source}: the text is neither UTF-8 nor CP949/EUC-KR; save it as 'CSV UTF-8' in Excel"
    )


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: Path) -> RawTable:
    source = str(path)
    text, encoding = _decode(path.read_bytes(), source)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise FileFormatError(f"{source}: the first line is empty; it must hold the headers")
    delimiter = _sniff_delimiter(first_line)
    header = next(csv.reader([first_line.rstrip("\r")], delimiter=delimiter))
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise FileFormatError(f"{source}: duplicate column headers {dup}")
    data = text.encode("utf-8")
    broken: list[BrokenRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        broken.append(
            BrokenRow(
                0,
                row.text,
                f"broken_row: {row.actual_columns} fields where the header has "
                f"{row.expected_columns}",
            )
        )
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise FileFormatError(f"{source}: not a readable CSV file ({exc})") from exc

    n = table.num_rows
    if broken or "\n\n" in text or "\n\r\n" in text:
        lines = _good_record_lines(text, delimiter, len(header), broken)
        if len(lines) != n:  # a CSV dialect the two readers disagree on: keep row order only
            logger.warning("%s: line numbers are approximate", source)
            lines = np.arange(2, n + 2)
    else:
        lines = np.arange(2, n + 2)
    table = table.append_column("_line", pa.array(lines, type=pa.int64()))
    # pyarrow reads the UTF-8 text we hand it; the file's own encoding is reported
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    return RawTable(source, header, table, broken, encoding=encoding)


def _good_record_lines(
    text: str, delimiter: str, width: int, broken: list[BrokenRow]
) -> np.ndarray:
    """Slow path, taken only for files with broken rows or blank lines: find each record's line.

    Fills in the line numbers of ``broken`` and returns the lines of the well-formed records.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader, None)
    good: list[int] = []
    bad_lines: list[int] = []
    prev = reader.line_num
    for row in reader:
        start = prev + 1
        prev = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip() and width > 1):
            continue
        (good if len(row) == width else bad_lines).append(start)
    for b, line in zip(broken, bad_lines, strict=False):
        b.line = line
    return np.asarray(good, dtype=np.int64)


# -- Excel -------------------------------------------------------------------------------------


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_excel(path: Path) -> Iterator[RawTable]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileFormatError(f"{path}: not a readable Excel workbook ({exc})") from exc
    try:
        for ws in wb.worksheets:
            if ws.title.strip().lower() in HELP_SHEETS:
                continue
            rows = ws.iter_rows(values_only=True)
            header_row = next(rows, None)
            if header_row is None:
                continue
            header = [str(h).strip() if h is not None else "" for h in header_row]
            while header and not header[-1]:
                header.pop()
            if not header:
                continue
            width = len(header)
            cols: list[list[str | None]] = [[] for _ in range(width)]
            lines: list[int] = []
            for i, row in enumerate(rows, start=2):
                cells = [_cell_text(v) for v in row[:width]]
                if not any(c is not None and c.strip() for c in cells):
                    continue
                cells += [None] * (width - len(cells))
                for j, c in enumerate(cells):
                    cols[j].append(c)
                lines.append(i)
            names = [h or f"column_{j + 1}" for j, h in enumerate(header)]
            arrays = [pa.array(c, type=pa.string()) for c in cols]
            table = pa.table([*arrays, pa.array(lines, type=pa.int64())], names=[*names, "_line"])
            yield RawTable(f"{path}#{ws.title}", names, table, sheet=ws.title)
    finally:
        wb.close()


# -- Parquet -----------------------------------------------------------------------------------


def read_parquet(path: Path) -> RawTable:
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise FileFormatError(f"{path}: not a readable Parquet file ({exc})") from exc
    table = table.append_column(
        "_line", pa.array(np.arange(1, table.num_rows + 1), type=pa.int64())
    )
    return RawTable(str(path), [c for c in table.column_names if c != "_line"], table)
