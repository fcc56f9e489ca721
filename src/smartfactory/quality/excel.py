"""A root-cause result as an Excel workbook, for the quality meeting: the causes with their
rates and tests, the model's scores, the categorical contrasts, the feature importance and the
columns left out. Headers are Korean and English; rates are Excel percentages."""

from __future__ import annotations

import io
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


def write_rootcause_excel(result: dict[str, Any], path: str | Path | None = None) -> bytes:
    """The workbook's bytes; also written to ``path`` when one is given."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    for i, (title, key) in enumerate((("원인 causes", "causes"), ("대비 contrasts", "contrasts"))):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = title
        ws.append([h for _, h, _ in CAUSE_COLUMNS])
        for c in result.get(key) or []:
            ws.append(_cause_row(c))
            for cell, (_, _, fmt) in zip(ws[ws.max_row], CAUSE_COLUMNS, strict=True):
                if fmt:
                    cell.number_format = fmt
        for cell in ws[1]:
            cell.font = bold
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
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
