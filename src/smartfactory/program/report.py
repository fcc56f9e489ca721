"""Programme performance reports: PDF (WeasyPrint, Noto Sans CJK KR) and Excel (openpyxl).

Both hold the same tables: the programmes at a glance, funding by track and by region,
results (the mean change of each indicator over completed projects, how many of them were
measured from data, beside the ministry's published averages), progress against targets, and
an impact estimate when one is given. Text is Korean with English beside it.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .impact import ImpactResult
from .performance import INDICATORS
from .registry import REGIONS
from .rollup import funding_rollup, progress, results_rollup
from .rules import TRACKS
from .schema import ProgramDB

logger = logging.getLogger(__name__)

#: Ministry 2019 (propensity-score matched, 5,003 firms): change per indicator (DOMAIN §3);
#: quality is the fall of the defect rate, delivery the gain in on-time delivery
PUBLISHED: dict[str, float] = {
    "productivity": 30.0,
    "defect_rate": -43.5,
    "cost_per_unit": -15.9,
    "on_time_rate": 15.5,
    "sales_krw": 7.7,
    "jobs": 3.0,
    "accidents": -18.3,
}


@dataclass
class ReportData:
    """Everything a report shows, gathered once for both formats."""

    title: str
    on: date
    overview: list[tuple[str, str]]
    tracks: list[dict[str, Any]]
    regions: list[dict[str, Any]]
    results: list[dict[str, Any]]
    progress: list[dict[str, Any]]
    impact: list[tuple[str, ImpactResult]] = field(default_factory=list)


def gather(
    db: ProgramDB,
    *,
    officer: str | None = None,
    impact: list[tuple[str, ImpactResult]] | None = None,
    on: date | None = None,
) -> ReportData:
    """Collect the tables (an officer's report covers only what the officer may see)."""
    tracks = funding_rollup(db, "track", officer)
    regions = funding_rollup(db, "region", officer)
    res = results_rollup(db, None, officer)
    total = sum(r["total_krw"] for r in tracks)
    gov = sum(r["government_krw"] + r["local_krw"] for r in tracks)
    overview = [
        ("지원 기업 Supported companies", f"{sum(r['companies'] for r in regions):,}"),
        ("과제 수 Projects", f"{sum(r['projects'] for r in tracks):,}"),
        ("완료 과제 Completed", f"{sum(r['completed'] for r in tracks):,}"),
        ("총사업비 Total cost", f"₩{total:,.0f}"),
        ("공공 지원금 Public money", f"₩{gov:,.0f}"),
    ]
    return ReportData(
        title="스마트공장 보급사업 성과 보고서 · Smart-factory programme performance",
        on=on or date.today(),
        overview=overview,
        tracks=tracks,
        regions=regions,
        results=res[0:1] if res else [],
        progress=progress(db),
        impact=list(impact or []),
    )


def _pct(v: float | None, unit: str = "%") -> str:
    return "–" if v is None else f"{v:+.1f} {unit}"


def _result_rows(data: ReportData) -> list[list[str]]:
    rows = []
    r = data.results[0] if data.results else {}
    for key, ind in INDICATORS.items():
        unit = "명" if key == "jobs" else "%"
        rows.append(
            [
                f"{ind.ko} {ind.en}",
                _pct(r.get(key), unit),
                f"{r.get(f'{key}_n', 0)} ({r.get(f'{key}_measured', 0)})",
                _pct(PUBLISHED.get(key), unit) if key in PUBLISHED else "–",
            ]
        )
    return rows


def _funding_rows(rows: list[dict[str, Any]], names: dict[str, tuple[str, str]]) -> list[list[str]]:
    return [
        [
            " ".join(names.get(str(r["group"]), (str(r["group"]), ""))).strip(),
            f"{r['companies']:,}",
            f"{r['projects']:,}",
            f"{r['completed']:,}",
            f"{r['government_krw'] / 1e6:,.0f}",
            f"{r['local_krw'] / 1e6:,.0f}",
            f"{r['lead_krw'] / 1e6:,.0f}",
            f"{r['sme_krw'] / 1e6:,.0f}",
        ]
        for r in rows
    ]


FUNDING_HEAD = [
    "구분 Group",
    "기업 Companies",
    "과제 Projects",
    "완료 Completed",
    "국비 Gov. (₩m)",
    "지방비 Local (₩m)",
    "대기업 Lead (₩m)",
    "기업 SME (₩m)",
]
RESULT_HEAD = ["지표 Indicator", "평균 변화 Mean change", "과제 n (측정 measured)", "중기부 2019"]
PROGRESS_HEAD = [
    "목표 Target",
    "연도 Year",
    "수준 Level ≥",
    "지역 Region",
    "목표 Goal",
    "달성 Reached",
]
IMPACT_HEAD = ["성과지표 Outcome", "효과 Effect", "95% 신뢰구간 CI", "지원 Treated", "비교 Control"]


def _tables(data: ReportData) -> list[tuple[str, list[str], list[list[str]]]]:
    prog = [
        [
            r["name"],
            str(r["year"]),
            str(r["min_level"]),
            REGIONS[r["region"]][0] if r["region"] else "전국 All",
            f"{r['target']:,}",
            f"{r['reached']:,}",
        ]
        for r in data.progress
    ]
    imp = [
        [
            name,
            f"{r.effect:+.3g}",
            f"[{r.ci_low:.3g}, {r.ci_high:.3g}]",
            str(r.n_treated),
            str(r.n_control),
        ]
        for name, r in data.impact
    ]
    return [
        ("사업 유형별 Funding by track", FUNDING_HEAD, _funding_rows(data.tracks, TRACKS)),
        ("지역별 Funding by region", FUNDING_HEAD, _funding_rows(data.regions, REGIONS)),
        ("성과 Results (완료 과제, 기준 대비)", RESULT_HEAD, _result_rows(data)),
        ("목표 대비 진도 Progress against targets", PROGRESS_HEAD, prog),
        ("지원 효과 Impact (성향점수매칭 + 이중차분 PSM-DiD)", IMPACT_HEAD, imp),
    ]


CSS = """
@page { size: A4; margin: 16mm 14mm; @bottom-right { content: counter(page); font-size: 8pt; } }
body { font-family: "Noto Sans CJK KR", "Noto Sans CJK", sans-serif; font-size: 9pt; }
h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 11pt; margin: 6mm 0 2mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.4pt solid #999; padding: 1.2mm 1.5mm; text-align: right; }
th { background: #e8eef6; } td:first-child, th:first-child { text-align: left; }
.meta { color: #555; }
"""


def to_html(data: ReportData) -> str:
    """The report as one HTML page (what the PDF is rendered from)."""
    e = html.escape
    parts = [
        f"<html lang='ko'><head><meta charset='utf-8'><style>{CSS}</style></head><body>",
        f"<h1>{e(data.title)}</h1><p class='meta'>작성일 Date: {data.on.isoformat()}</p>",
        "<table>"
        + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in data.overview)
        + "</table>",
    ]
    for title, head, rows in _tables(data):
        parts.append(f"<h2>{e(title)}</h2><table><tr>")
        parts += [f"<th>{e(h)}</th>" for h in head]
        parts.append("</tr>")
        for row in rows or [["–"] + [""] * (len(head) - 1)]:
            parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append(
        "<p class='meta'>변화는 구축 전 기준기간 대비 완료 후 기간의 평균 변화율입니다 "
        "(고용은 명). "
        "Changes compare the window after the completion audit with the baseline before the "
        "build; measured = from the factory's own data, otherwise self-reported.</p>"
    )
    parts.append("</body></html>")
    return "".join(parts)


def write_pdf(data: ReportData, path: Path) -> Path:
    """Render the report to PDF with WeasyPrint (Korean text in Noto Sans CJK KR)."""
    from weasyprint import HTML

    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=to_html(data)).write_pdf(path)
    return path


def write_xlsx(data: ReportData, path: Path) -> Path:
    """The same tables as an Excel workbook, one sheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "개요 Overview"
    ws.append([data.title])
    ws.append(["작성일 Date", data.on.isoformat()])
    for k, v in data.overview:
        ws.append([k, v])
    names = ["Track", "Region", "Results", "Progress", "Impact"]
    for (_title, head, rows), name in zip(_tables(data), names, strict=True):
        sheet = wb.create_sheet(name)
        sheet.append(head)
        for c in sheet[1]:
            c.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for col in sheet.columns:
            sheet.column_dimensions[col[0].column_letter].width = 18
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_report(data: ReportData, path: Path) -> Path:
    """PDF or Excel by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return write_pdf(data, path)
    if suffix == ".xlsx":
        return write_xlsx(data, path)
    raise ConfigError(f"report {path}: choose a .pdf or .xlsx file")
