"""Helpers shared by the programme tests: a small registry built from a few lines."""

from __future__ import annotations

from datetime import date

from smartfactory.program.lifecycle import Application, apply
from smartfactory.program.registry import (
    Company,
    add_company,
    add_lead_company,
    add_programme,
    add_supplier,
    brn_check_digit,
)
from smartfactory.program.rules import FundingLine
from smartfactory.program.schema import ProgramDB


def brn(first9: str) -> str:
    """A valid business number from nine digits (the check digit computed)."""
    return first9 + str(brn_check_digit(first9))


COMPANY = brn("101810001")
COMPANY2 = brn("101810002")
SUPPLIER = brn("201810001")
LEAD = brn("301810001")


def registry(db: ProgramDB) -> None:
    add_company(db, Company(COMPANY, "한빛정밀", "small", "29", "gyeonggi", 40), ["plant1"])
    add_company(db, Company(COMPANY2, "대성금속", "medium", "25", "gyeongnam", 80), ["main"])
    add_supplier(db, SUPPLIER, "스마트솔루션")
    add_lead_company(db, LEAD, "대한전자")
    add_programme(db, "B22", year=2022, track="basic", name="기초 2022", budget_krw=120_000_000)
    add_programme(db, "W22", year=2022, track="winwin1", name="상생 2022", budget_krw=10**9)
    add_programme(db, "U22", year=2022, track="upgrade1", name="고도화 2022", budget_krw=10**9)


def basic_app(project_id: str = "P1", company: str = COMPANY, site: str = "plant1", **kw):
    args = {
        "project_id": project_id,
        "programme_id": "B22",
        "company_id": company,
        "site": site,
        "supplier_id": SUPPLIER,
        "level_now": 0,
        "level_target": 1,
        "funding": (
            FundingLine("government", 50_000_000),
            FundingLine("sme", 30_000_000, "cash"),
            FundingLine("sme", 20_000_000, "in_kind"),
        ),
    }
    args.update(kw)
    return Application(**args)


def applied(db: ProgramDB, **kw) -> str:
    app = basic_app(**kw)
    apply(db, app, date(2022, 3, 2))
    return app.project_id


def consented_days(
    db: ProgramDB, company: str, site: str, start: date, days: int, scrap_per_day: float
) -> None:
    """Day summaries as the federation stores them when a company shares only its quality and
    OEE buckets (the other fields stay NULL): 8 h busy, 1,000 units a day."""
    from datetime import timedelta

    from smartfactory.program.schema import SUMMARY_FIELDS

    shared = {"pbt_s": 28_800.0, "pq": 1_000.0, "gq": 1_000.0 - scrap_per_day,
              "sq": scrap_per_day, "rq": 0.0, "ideal_s": 20_000.0}  # fmt: skip
    cols = ", ".join(SUMMARY_FIELDS)
    marks = ", ".join("?" for _ in SUMMARY_FIELDS)
    for i in range(days):
        db.con.execute(
            f"INSERT INTO summaries (company_id, site, day, {cols}, seq) "
            f"VALUES (?, ?, ?, {marks}, ?)",
            [company, site, start + timedelta(days=i), *(shared.get(f) for f in SUMMARY_FIELDS), i],
        )
