"""Performance from data or self-report, roll-ups within an officer's scope, reports (a PDF
with Korean text, checked as text and as an image), and the demo programme."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from program_helpers import COMPANY, COMPANY2, applied, registry
from smartfactory.program import lifecycle as lc
from smartfactory.program.performance import project_performance, record_kpi
from smartfactory.program.registry import assign_officer
from smartfactory.program.report import gather, write_report
from smartfactory.program.rollup import funding_rollup, progress, results_rollup, set_target
from smartfactory.program.schema import SUMMARY_FIELDS, ProgramDB


def _complete(db, pid, start=date(2022, 5, 2)):
    lc.select(db, pid, date(2022, 4, 1))
    lc.agree(db, pid, start)
    lc.start_build(db, pid, start)
    lc.complete_audit(db, pid, start + timedelta(days=150), 1)


def _summary(db, company, site, day, **values):
    row = {f: values.get(f) for f in SUMMARY_FIELDS}
    cols = ", ".join(row)
    db.con.execute(
        f"INSERT INTO summaries (company_id, site, day, {cols}, seq) "
        f"VALUES (?, ?, ?, {', '.join('?' for _ in row)}, 1)",
        [company, site, day, *row.values()],
    )


@pytest.fixture
def db(tmp_path):
    d = ProgramDB(tmp_path / "p.duckdb")
    registry(d)
    a = applied(d)
    b = applied(d, project_id="P2", company=COMPANY2, site="main")
    _complete(d, a)
    _complete(d, b)
    # P1's site is connected: buckets before the build (from 2022-05-02) and after the audit
    busy = {"apt_s": 3000.0, "asut_s": 400.0, "adet_s": 200.0}
    _summary(d, COMPANY, "plant1", date(2022, 4, 1), gq=900.0, pq=1000.0, sq=80.0, rq=20.0, **busy)
    _summary(d, COMPANY, "plant1", date(2022, 4, 2), gq=900.0, pq=1000.0, sq=60.0, rq=0.0, **busy)
    _summary(d, COMPANY, "plant1", date(2022, 10, 1), gq=1170.0, pq=1200.0, sq=24.0, rq=6.0,
             **busy)  # fmt: skip
    for pid in ("P1", "P2"):
        record_kpi(d, pid, "sales_krw", "baseline", 1e9)
        record_kpi(d, pid, "sales_krw", "after1", 1.1e9)
        record_kpi(d, pid, "productivity", "baseline", 100.0)
        record_kpi(d, pid, "productivity", "after1", 140.0)
    yield d
    d.close()


def test_performance_is_measured_where_connected_and_self_reported_elsewhere(db):
    p1 = project_performance(db, "P1")["indicators"]
    hours = 3600 / 3600
    assert p1["productivity"]["values"]["baseline"] == pytest.approx(1800 / (2 * hours))
    assert p1["productivity"]["values"]["after1"] == pytest.approx(1170 / hours)
    assert p1["productivity"]["sources"] == {"baseline": "measured", "after1": "measured"}
    assert p1["productivity"]["change"] == pytest.approx(30.0)  # the hand entry is not used
    assert p1["defect_rate"]["values"]["baseline"] == pytest.approx(100 * 160 / 2000)
    assert p1["defect_rate"]["change"] == pytest.approx((2.5 - 8) / 8 * 100)
    assert p1["defect_rate"]["improved"] is True
    assert p1["sales_krw"]["sources"]["after1"] == "self_reported"
    p2 = project_performance(db, "P2")["indicators"]
    assert p2["productivity"]["sources"] == {"baseline": "self_reported", "after1": "self_reported"}
    assert p2["productivity"]["change"] == pytest.approx(40.0)
    assert "defect_rate" not in p2


def test_rollups_respect_an_officers_scope(db):
    everything = funding_rollup(db, "region")
    assert {r["group"] for r in everything} == {"gyeonggi", "gyeongnam"}
    assign_officer(db, "kim", region="gyeonggi")
    mine = funding_rollup(db, "region", officer="kim")
    assert [(r["group"], r["projects"], r["government_krw"]) for r in mine] == [
        ("gyeonggi", 1, 50_000_000)
    ]
    assert funding_rollup(db, "track", officer="nobody") == []
    res = results_rollup(db)[0]
    assert res["projects"] == 2 and res["productivity"] == pytest.approx(35.0)
    assert res["productivity_measured"] == 1
    assert results_rollup(db, "region", officer="kim")[0]["productivity"] == pytest.approx(30.0)
    set_target(db, "L1", year=2025, min_level=1, factories=10, region=None)
    assert progress(db)[0]["reached"] == 2


def test_pdf_report_renders_korean_text(db, tmp_path):
    import pypdfium2 as pdfium
    from pypdf import PdfReader

    pdf = write_report(gather(db, on=date(2025, 1, 1)), tmp_path / "r.pdf")
    text = " ".join(PdfReader(pdf).pages[0].extract_text().split())  # table cells wrap
    for phrase in ("스마트공장 보급사업 성과 보고서", "기초 Basic", "경기도", "생산성"):
        assert phrase in text, phrase
    page = np.asarray(pdfium.PdfDocument(pdf)[0].render(scale=1).to_pil().convert("L"))
    dark = float((page < 128).mean())
    assert 0.005 < dark < 0.5  # ink on the page, not blank, not a black box
    # the Korean text was set in a CJK font, not a fallback without Hangul glyphs
    fonts = PdfReader(pdf).pages[0]["/Resources"]["/Font"].get_object().values()
    names = [str(f.get_object()["/BaseFont"]) for f in fonts]
    assert any("CJK" in n for n in names), names


def test_excel_report(db, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(write_report(gather(db), tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["개요 Overview", "Track", "Region", "Results", "Progress", "Impact"]
    rows = list(wb["Track"].values)
    assert rows[0][0] == "구분 Group" and rows[1][0] == "기초 Basic" and rows[1][2] == "2"


def test_demo_programme_is_plausible(tmp_path):
    from smartfactory.program.demo import build_program_demo

    made = build_program_demo(tmp_path, seed=3, companies=80, connected=1)
    with ProgramDB(made["db"]) as db:
        assert db.scalar("SELECT count(*) FROM companies") == 80
        assert db.scalar("SELECT count(DISTINCT region) FROM companies") >= 8
        res = results_rollup(db)[0]
        assert 20 < res["productivity"] < 40 and -55 < res["defect_rate"] < -30
        (cid,) = made["connected"]
        pid = db.scalar("SELECT project_id FROM projects WHERE company_id = ?", [cid])
        perf = project_performance(db, pid, baseline_days=60, after=((0, 60),))
        assert perf["indicators"]["defect_rate"]["sources"]["after1"] == "measured"
        # no raw record reached the programme: only bucket columns exist there
        cols = {
            r["column_name"]
            for r in db.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'summaries'"
            )
        }
        assert cols == {"company_id", "site", "day", "seq", "received_at", *SUMMARY_FIELDS}
