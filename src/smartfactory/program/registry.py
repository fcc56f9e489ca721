"""The registry: companies, sites, suppliers, lead companies, operators, programmes.

Every identifier is checked on the way in and a bad one is refused with a sentence saying what
is wrong: a business registration number (사업자등록번호) must carry its check digit, an
industry code must be a KSIC manufacturing code, a region one of the 17 provinces and
metropolitan cities. Projects are created by :mod:`.lifecycle` (an application), not here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ..errors import ConfigError
from .schema import ProgramDB

logger = logging.getLogger(__name__)

#: the 17 first-level divisions (시·도): id → (Korean, English)
REGIONS: dict[str, tuple[str, str]] = {
    "seoul": ("서울특별시", "Seoul"),
    "busan": ("부산광역시", "Busan"),
    "daegu": ("대구광역시", "Daegu"),
    "incheon": ("인천광역시", "Incheon"),
    "gwangju": ("광주광역시", "Gwangju"),
    "daejeon": ("대전광역시", "Daejeon"),
    "ulsan": ("울산광역시", "Ulsan"),
    "sejong": ("세종특별자치시", "Sejong"),
    "gyeonggi": ("경기도", "Gyeonggi"),
    "gangwon": ("강원특별자치도", "Gangwon"),
    "chungbuk": ("충청북도", "North Chungcheong"),
    "chungnam": ("충청남도", "South Chungcheong"),
    "jeonbuk": ("전북특별자치도", "North Jeolla"),
    "jeonnam": ("전라남도", "South Jeolla"),
    "gyeongbuk": ("경상북도", "North Gyeongsang"),
    "gyeongnam": ("경상남도", "South Gyeongsang"),
    "jeju": ("제주특별자치도", "Jeju"),
}

#: KSIC (10th revision) manufacturing divisions, section C: code → (Korean, English)
KSIC_DIVISIONS: dict[str, tuple[str, str]] = {
    "10": ("식료품", "Food products"),
    "11": ("음료", "Beverages"),
    "12": ("담배", "Tobacco"),
    "13": ("섬유제품", "Textiles"),
    "14": ("의복·모피", "Wearing apparel"),
    "15": ("가죽·신발", "Leather and footwear"),
    "16": ("목재·나무제품", "Wood products"),
    "17": ("펄프·종이", "Pulp and paper"),
    "18": ("인쇄·기록매체", "Printing"),
    "19": ("코크스·석유정제", "Coke and refined petroleum"),
    "20": ("화학물질·화학제품", "Chemicals"),
    "21": ("의료용 물질·의약품", "Pharmaceuticals"),
    "22": ("고무·플라스틱", "Rubber and plastics"),
    "23": ("비금속 광물", "Non-metallic minerals"),
    "24": ("1차 금속", "Basic metals"),
    "25": ("금속가공제품", "Fabricated metal products"),
    "26": ("전자부품·컴퓨터·통신장비", "Electronics"),
    "27": ("의료·정밀·광학기기", "Medical and precision instruments"),
    "28": ("전기장비", "Electrical equipment"),
    "29": ("기타 기계·장비", "Machinery"),
    "30": ("자동차·트레일러", "Motor vehicles"),
    "31": ("기타 운송장비", "Other transport equipment"),
    "32": ("가구", "Furniture"),
    "33": ("기타 제품", "Other manufacturing"),
    "34": ("산업용 기계 수리", "Repair of industrial machinery"),
}

#: company sizes (기업 규모): id → (Korean, English)
SIZES: dict[str, tuple[str, str]] = {
    "micro": ("소공인", "Micro"),
    "small": ("소기업", "Small"),
    "medium": ("중기업", "Medium"),
    "midsize": ("중견기업", "Mid-sized"),
}

#: operator kinds: id → (Korean, English)
OPERATOR_KINDS: dict[str, tuple[str, str]] = {
    "ministry": ("중소벤처기업부", "Ministry"),
    "agency": ("스마트제조혁신추진단", "Agency"),
    "technopark": ("테크노파크", "Technopark"),
    "province": ("광역지자체", "Province"),
}

_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def brn_check_digit(first9: str) -> int:
    """The check digit of a business registration number from its first nine digits.

    The National Tax Service algorithm: weights 1,3,7,1,3,7,1,3,5; add ⌊9th digit × 5 / 10⌋;
    the check digit is (10 − sum mod 10) mod 10.
    """
    d = [int(c) for c in first9]
    total = sum(a * w for a, w in zip(d, _BRN_WEIGHTS, strict=True)) + (d[8] * 5) // 10
    return (10 - total % 10) % 10


def normalise_brn(value: str) -> str:
    """``"124-81-00998"`` → ``"1248100998"``; a clear error unless the check digit is right."""
    digits = re.sub(r"[\s-]", "", str(value))
    if not re.fullmatch(r"\d{10}", digits):
        raise ConfigError(
            f"business registration number {value!r} must have 10 digits (e.g. 124-81-00998)"
        )
    if brn_check_digit(digits[:9]) != int(digits[9]):
        raise ConfigError(
            f"business registration number {value!r} has a wrong check digit "
            f"(expected {brn_check_digit(digits[:9])}): check it for a typing error"
        )
    return digits


def format_brn(digits: str) -> str:
    """``"1248100998"`` → ``"124-81-00998"``."""
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def check_ksic(code: str) -> str:
    """A KSIC code of a manufacturing industry (2 to 5 digits, division 10–34)."""
    code = str(code).strip().upper().removeprefix("C")
    if not re.fullmatch(r"\d{2,5}", code) or code[:2] not in KSIC_DIVISIONS:
        raise ConfigError(
            f"industry code {code!r} is not a KSIC manufacturing code (2–5 digits starting "
            "with a division from 10 to 34, e.g. 29 or 25911)"
        )
    return code


def check_choice(value: str, choices: dict[str, tuple[str, str]], what: str) -> str:
    """``value`` if it is a key of ``choices`` (or its Korean or English name)."""
    v = str(value).strip()
    for key, (ko, en) in choices.items():
        if v in (key, ko, en) or v.lower() == en.lower():
            return key
    raise ConfigError(f"{what} {value!r} is not one of: {', '.join(choices)}")


@dataclass(frozen=True)
class Company:
    """A manufacturer that applies for support (validated on construction)."""

    company_id: str
    name: str
    size: str
    ksic: str
    region: str
    employees: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "company_id", normalise_brn(self.company_id))
        object.__setattr__(self, "ksic", check_ksic(self.ksic))
        object.__setattr__(self, "size", check_choice(self.size, SIZES, "size"))
        object.__setattr__(self, "region", check_choice(self.region, REGIONS, "region"))


def add_company(db: ProgramDB, c: Company, sites: list[str] | None = None) -> None:
    """Register (or update) a company and its sites (default: one site called ``main``)."""
    db.con.execute(
        "INSERT OR REPLACE INTO companies VALUES (?, ?, ?, ?, ?, ?)",
        [c.company_id, c.name, c.size, c.ksic, c.region, c.employees],
    )
    for s in sites or ["main"]:
        add_site(db, c.company_id, s, c.region)


def add_site(
    db: ProgramDB,
    company_id: str,
    site: str,
    region: str,
    *,
    enterprise: str | None = None,
    factory_site: str | None = None,
    level: int = 0,
) -> None:
    """Register a site; ``enterprise``/``factory_site`` name it in the factory's own platform
    (the ISA-95 path its KPI summaries carry)."""
    region = check_choice(region, REGIONS, "region")
    db.con.execute(
        "INSERT OR REPLACE INTO sites VALUES (?, ?, ?, ?, ?, ?)",
        [normalise_brn(company_id), site, region, enterprise, factory_site, level],
    )


def add_supplier(db: ProgramDB, supplier_id: str, name: str) -> str:
    """Register a supplier company (공급기업), identified by its business number."""
    sid = normalise_brn(supplier_id)
    db.con.execute("INSERT OR REPLACE INTO suppliers VALUES (?, ?)", [sid, name])
    return sid


def add_lead_company(db: ProgramDB, lead_id: str, name: str) -> str:
    """Register a lead company (대기업, win-win tracks), identified by its business number."""
    lid = normalise_brn(lead_id)
    db.con.execute("INSERT OR REPLACE INTO lead_companies VALUES (?, ?)", [lid, name])
    return lid


def add_operator(
    db: ProgramDB, operator_id: str, name: str, kind: str, region: str | None = None
) -> None:
    """Register an operator: the ministry, the agency, a technopark or a province."""
    kind = check_choice(kind, OPERATOR_KINDS, "operator kind")
    if region is not None:
        region = check_choice(region, REGIONS, "region")
    db.con.execute(
        "INSERT OR REPLACE INTO operators VALUES (?, ?, ?, ?)", [operator_id, name, kind, region]
    )


def add_programme(
    db: ProgramDB,
    programme_id: str,
    *,
    year: int,
    track: str,
    name: str,
    budget_krw: int,
    operator_id: str | None = None,
    region: str | None = None,
) -> None:
    """Register a programme (a year's call of one track, with its budget)."""
    from .rules import TRACKS

    if track not in TRACKS:
        raise ConfigError(f"track {track!r} is not one of: {', '.join(TRACKS)}")
    if budget_krw <= 0:
        raise ConfigError(f"programme {programme_id}: budget must be positive KRW")
    if region is not None:
        region = check_choice(region, REGIONS, "region")
    db.con.execute(
        "INSERT OR REPLACE INTO programmes VALUES (?, ?, ?, ?, ?, ?, ?)",
        [programme_id, year, track, name, int(budget_krw), operator_id, region],
    )


def assign_officer(
    db: ProgramDB, officer: str, *, programme_id: str | None = None, region: str | None = None
) -> None:
    """Let a program officer see a programme, or every programme and company of a region."""
    if programme_id is None and region is None:
        raise ConfigError("assign an officer a programme, a region, or both")
    if region is not None:
        region = check_choice(region, REGIONS, "region")
    db.con.execute("INSERT INTO officer_scopes VALUES (?, ?, ?)", [officer, programme_id, region])


def visible_projects_sql(officer: str | None) -> tuple[str, list[str]]:
    """SQL condition on ``projects p JOIN companies c`` limiting rows to an officer's scope
    (a programme assigned, or a company in a region assigned); None sees everything."""
    if officer is None:
        return "TRUE", []
    return (
        "EXISTS (SELECT 1 FROM officer_scopes o WHERE o.officer = ? AND "
        "(o.programme_id IS NULL OR o.programme_id = p.programme_id) AND "
        "(o.region IS NULL OR o.region = c.region))",
        [officer],
    )


def list_companies(db: ProgramDB, region: str | None = None) -> list[dict[str, object]]:
    """Companies with their number of projects (optionally one region)."""
    where, params = ("WHERE c.region = ?", [region]) if region else ("", [])
    return db.rows(
        "SELECT c.*, count(p.project_id) AS projects FROM companies c "
        f"LEFT JOIN projects p USING (company_id) {where} GROUP BY ALL ORDER BY c.company_id",
        params,
    )


def import_companies(db: ProgramDB, path: str) -> tuple[int, list[dict[str, object]]]:
    """Register companies from a CSV or Excel file (columns ``company_id, name, size, ksic,
    region`` and optional ``employees, sites`` with sites separated by ``;``; Korean headers
    사업자등록번호, 기업명, 규모, 업종, 지역, 종업원수, 사업장 too).

    Good rows are stored; each bad row is returned with its line and reason, nothing is lost.
    """
    import pandas as pd

    aliases = {
        "사업자등록번호": "company_id",
        "기업명": "name",
        "규모": "size",
        "업종": "ksic",
        "지역": "region",
        "종업원수": "employees",
        "사업장": "sites",
    }
    try:
        if str(path).lower().endswith((".xlsx", ".xlsm")):
            df = pd.read_excel(path, dtype=str)
        else:
            df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    df = df.rename(columns=aliases)
    missing = {"company_id", "name", "size", "ksic", "region"} - set(df.columns)
    if missing:
        raise ConfigError(f"{path} lacks column(s) {', '.join(sorted(missing))}")
    accepted, rejected = 0, []
    for i, row in enumerate(df.fillna("").to_dict("records"), start=2):
        try:
            emp = row.get("employees") or None
            c = Company(
                row["company_id"],
                row["name"],
                row["size"],
                row["ksic"],
                row["region"],
                int(emp) if emp else None,
            )
            if not str(row["name"]).strip():
                raise ConfigError("the company has no name")
        except (ConfigError, ValueError) as exc:
            rejected.append({"line": i, "company_id": row.get("company_id"), "reason": str(exc)})
            continue
        sites = [s.strip() for s in str(row.get("sites") or "").split(";") if s.strip()]
        add_company(db, c, sites or None)
        accepted += 1
    return accepted, rejected
