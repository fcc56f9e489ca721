"""Excel templates for the interchange formats, with English and Korean headers."""

from __future__ import annotations

import logging
from pathlib import Path

from ..model import KINDS, State

logger = logging.getLogger(__name__)


def write_template(kinds: list[str], path: str | Path) -> Path:
    """Write a workbook with one sheet per kind: row 1 the field names, row 2 the Korean
    labels (the importer recognises and skips it), and a help sheet describing every field.
    Fill rows from row 3 and import the file as it is."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for name in kinds:
        k = KINDS[name]
        ws = wb.create_sheet(k.name)
        for col, f in enumerate(k.fields, start=1):
            for row, text in ((1, f.name), (2, f.ko)):
                cell = ws.cell(row=row, column=col, value=text)
                cell.font = bold
                if f.required:
                    cell.fill = required_fill
            letter = cell.column_letter
            ws.column_dimensions[letter].width = max(14, len(f.name) + 4)
            if f.type == "timestamp":
                for c in ws[f"{letter}3:{letter}1000"]:
                    c[0].number_format = "yyyy-mm-dd hh:mm:ss"
            if (k.name, f.name) == ("states", "state"):
                dv = DataValidation(
                    type="list",
                    formula1='"' + ",".join(s.value for s in State) + '"',
                    allow_blank=False,
                )
                ws.add_data_validation(dv)
                dv.add(f"{letter}3:{letter}100000")
        ws.freeze_panes = "A3"
    help_ws = wb.create_sheet("help")
    help_ws.append(["kind / 종류", "field", "필드", "required / 필수", "type", "description"])
    for c in help_ws[1]:
        c.font = bold
    for name in kinds:
        k = KINDS[name]
        help_ws.append([f"{k.name} ({k.ko})", "", "", "", "", k.help])
        for f in k.fields:
            help_ws.append([k.name, f.name, f.ko, "yes" if f.required else "", f.type, f.help])
    help_ws.append([])
    help_ws.append(
        [
            "",
            "Timestamps: ISO 8601; without an offset they are read in the site's time zone "
            "(default Asia/Seoul). / 시각은 ISO 8601, 시간대가 없으면 "
            "사업장 시간대(기본 서울)로 읽습니다.",
        ]
    )
    for letter, width in zip("ABCDEF", (22, 16, 14, 14, 10, 80), strict=True):
        help_ws.column_dimensions[letter].width = width
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
