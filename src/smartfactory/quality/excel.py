"""Quality results as Excel workbooks. A root-cause result, for the quality meeting: the causes
with their rates and tests, the model's scores, the categorical contrasts, the feature
importance and the columns left out. Tool and mould life with the scrap curve over a tool's
life, for the tool room. Headers are Korean and English; rates are Excel percentages."""

from __future__ import annotations

import io
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

#: (key in a cause, header, number format)
CAUSE_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("rank", "순위 rank", None),
    ("condition", "조건 condition", None),
    ("aliases", "같은 대상 same rows as", None),
    ("rate_inside", "조건 내 불량률 rate inside", "0.00%"),
    ("rate_outside", "조건 밖 불량률 rate outside", "0.00%"),
    ("lift", "배수 lift", "0.00"),
    ("support", "해당 비율 support", "0.0%"),
    ("n_inside", "조건 내 수량 n inside", "#,##0"),
    ("defective_inside", "조건 내 불량 defective inside", "#,##0"),
    ("n_outside", "조건 밖 수량 n outside", "#,##0"),
    ("defective_outside", "조건 밖 불량 defective outside", "#,##0"),
    ("test", "검정 test", None),
    ("p_value", "p", "0.0E+00"),
    ("p_adjusted", "보정 p adjusted", "0.0E+00"),
    ("significant", "유의 significant", None),
    ("train_rate_inside", "학습 구간 조건 내 불량률 train rate inside", "0.00%"),
    ("train_rate_outside", "학습 구간 조건 밖 불량률 train rate outside", "0.00%"),
    ("concentrated_in", "집중 machine (share)", None),
)


def _cause_row(c: dict[str, Any]) -> list[Any]:
    train = c.get("train") or {}
    where = c.get("concentrated_in")
    flat = {
        **c,
        "aliases": "; ".join(a["condition"] for a in c.get("aliases") or []) or None,
        "significant": "예 yes" if c.get("significant") else "아니오 no",
        "train_rate_inside": train.get("rate_inside"),
        "train_rate_outside": train.get("rate_outside"),
        "concentrated_in": f"{where['stratum']} ({where['share']:.0%})" if where else None,
    }
    return [flat.get(k) for k, _, _ in CAUSE_COLUMNS]


def _model_rows(r: dict[str, Any]) -> list[tuple[str, Any]]:
    m = r["model"]
    rows: list[tuple[str, Any]] = [
        ("자료 source", r.get("source")),
        ("결과 outcome", f"{r.get('target', '')} = {r.get('positive')}"),
        ("행 rows", r.get("rows")),
        ("수량 units", r.get("units")),
        ("불량 defective units", r.get("defective_units")),
        ("지표 metric", m.get("metric")),
        ("검증 validation", m.get("validation")),
        ("모델 model", m.get("model")),
        ("포레스트 비중 forest share", m.get("forest_share")),
        ("전체 행 학습 비중 unbagged share", m.get("unbagged_share")),
        ("모델 점수 model score", m.get("score")),
        ("기준 모델 점수 reference score", m.get("baseline_score")),
        ("기준 모델 reference", m.get("baseline")),
    ]
    also = m.get("also")
    if also:
        rows += [
            ("추가 검증 also validation", also.get("validation")),
            ("추가 모델 점수 also score", also.get("score")),
            ("추가 기준 점수 also reference score", also.get("baseline_score")),
        ]
    for k, v in (r.get("findings_validation") or {}).items():
        rows.append((f"원인 검증 findings {k}", v))
    return rows


Columns = tuple[tuple[str, str, str | None], ...]


def _table(ws: Any, cols: Columns, rows: list[list[Any]]) -> None:
    """A header row in bold and ``rows`` with each column's number format."""
    from openpyxl.styles import Font

    ws.append([h for _, h, _ in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
        for cell, (_, _, fmt) in zip(ws[ws.max_row], cols, strict=True):
            if fmt:
                cell.number_format = fmt


def _save(wb: Any, path: str | Path | None) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def write_rootcause_excel(result: dict[str, Any], path: str | Path | None = None) -> bytes:
    """The workbook's bytes; also written to ``path`` when one is given."""
    from openpyxl import Workbook

    wb = Workbook()
    for i, (title, key) in enumerate((("원인 causes", "causes"), ("대비 contrasts", "contrasts"))):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = title
        _table(ws, CAUSE_COLUMNS, [_cause_row(c) for c in result.get(key) or []])
        ws.freeze_panes = "C2"
        ws.column_dimensions["B"].width = 60
    ws = wb.create_sheet("모델 model")
    for row in _model_rows(result):
        ws.append(list(row))
    ws.column_dimensions["A"].width = 34
    ws = wb.create_sheet("중요도 importance")
    ws.append(["특성 feature", "비중 share"])
    for f in result.get("importance") or []:
        ws.append([f["feature"], f["share"]])
        ws.cell(ws.max_row, 2).number_format = "0.0%"
    ws = wb.create_sheet("제외 dropped")
    ws.append(["열 column", "사유 reason"])
    for d in result.get("dropped") or []:
        ws.append([d["column"], d["reason"]])
    return _save(wb, path)


#: (key in a tool-life row, header, number format)
TOOL_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("tool", "금형 tool", None),
    ("machine", "최근 설비 last machine", None),
    ("units_since", "보전 후 생산수 units since maintenance", "#,##0"),
    ("scrap_rate_since", "보전 후 불량률 scrap since", "0.00%"),
    ("units_total", "누적 생산수 units in all", "#,##0"),
    ("scrap_rate_total", "누적 불량률 scrap in all", "0.00%"),
    ("last_maintenance", "최근 보전 last maintenance", "yyyy-mm-dd hh:mm"),
    ("last_work", "작업내용 work", None),
    ("maintenances", "보전 횟수 maintenances", "#,##0"),
    ("due_units", "보전주기 due every", "#,##0"),
    ("units_left", "남은 수량 units left", "#,##0"),
    ("due", "보전 시기 due", None),
    ("last_used", "최근 사용 last used", "yyyy-mm-dd hh:mm"),
)
WEAR_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("units_from", "보전 후 생산수 부터 units since maintenance from", "#,##0"),
    ("units_to", "까지 to", "#,##0"),
    ("produced", "생산수 units made", "#,##0"),
    ("scrap", "불량 scrap", "#,##0"),
    ("rate", "불량률 scrap rate", "0.00%"),
    ("tools", "금형 수 tools", "#,##0"),
)


def write_tools_excel(
    life: list[dict[str, Any]],
    wear: list[dict[str, Any]],
    tz: tzinfo,
    path: str | Path | None = None,
) -> bytes:
    """Tool and mould life (:func:`~smartfactory.quality.monitor.tool_life`) and the scrap
    curve over a tool's life (:func:`~smartfactory.quality.monitor.tool_wear`) as a workbook;
    times in the site's zone ``tz``. The bytes; also written to ``path`` when one is given."""
    from openpyxl import Workbook

    def local(v: Any) -> Any:
        # Excel has no time zones: the site's wall-clock time
        if isinstance(v, datetime) and v.tzinfo is not None:
            return v.astimezone(tz).replace(tzinfo=None)
        return v

    wb = Workbook()
    for i, (title, rows, cols) in enumerate(
        (("금형 수명 tool life", life, TOOL_COLUMNS), ("마모 곡선 wear", wear, WEAR_COLUMNS))
    ):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = title
        _table(ws, cols, [[local(r.get(k)) for k, _, _ in cols] for r in rows])
        ws.freeze_panes = "B2"
        for letter in "ABCDEFGHIJ"[: len(cols)]:
            ws.column_dimensions[letter].width = 20
    return _save(wb, path)
