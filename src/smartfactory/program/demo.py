"""``smartfactory demo --program``: a plausible support programme to look at and test on.

Hundreds of companies across the 17 regions and the manufacturing industries; programmes per
year and track with budgets; projects taken through the real life cycle (every rule checked);
self-reported before/after values with effects drawn around the ministry's published averages
(DOMAIN §3); comparison firms that were not supported, in a yearly panel for the impact
estimate; and a few companies connected through simulated factories, whose KPI summaries
are built, signed and verified exactly as over HTTP. In those plants the "after" period runs
without the simulator's injected scrap causes (what finding and removing them would do), so
their measured defect rates fall; nothing else is made to improve.
"""

from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .registry import (
    REGIONS,
    Company,
    add_company,
    add_lead_company,
    add_operator,
    add_programme,
    add_site,
    add_supplier,
    assign_officer,
    brn_check_digit,
)
from .rules import FundingLine, rules_for
from .schema import ProgramDB

logger = logging.getLogger(__name__)

#: rough shares of supported firms per region and industry (plausible, not official)
REGION_WEIGHTS = {
    "gyeonggi": 26, "gyeongnam": 12, "gyeongbuk": 9, "chungnam": 7, "chungbuk": 6,
    "incheon": 6, "busan": 6, "daegu": 6, "jeonbuk": 4, "jeonnam": 3, "gwangju": 3,
    "ulsan": 3, "daejeon": 3, "seoul": 2, "gangwon": 2, "sejong": 1, "jeju": 1,
}  # fmt: skip
KSIC_WEIGHTS = {
    "29": 14, "25": 14, "22": 11, "26": 8, "30": 9, "20": 7, "10": 8, "28": 6,
    "24": 5, "27": 4, "13": 3, "23": 3, "17": 2, "21": 2, "32": 2, "33": 2,
}  # fmt: skip
SIZE_WEIGHTS = {"micro": 20, "small": 50, "medium": 27, "midsize": 3}
_SYL = "한대성신진우영동광명세화보흥금창일삼국원태미래정도"
_SUFFIX = ("정밀", "산업", "테크", "금속", "화학", "전자", "기계", "식품", "플라스틱", "오토")

#: published averages (ministry 2019) as factors on the baseline; jobs are added persons
EFFECTS = {
    "productivity": 1.30,
    "defect_rate": 1 - 0.435,
    "cost_per_unit": 1 - 0.159,
    "on_time_rate": 1.155,
    "sales_krw": 1.077,
    "accidents": 1 - 0.183,
}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _brn(rng: random.Random, middle: str = "81") -> str:
    first9 = f"{rng.randrange(101, 899):03d}{middle}{rng.randrange(10000):04d}"
    return first9 + str(brn_check_digit(first9))


@dataclass
class DemoFirm:
    company_id: str
    size: str
    employees: int
    supported_year: int | None = None
    project_id: str | None = None


def _funding(track: str, year: int, rng: random.Random, level_target: int) -> list[FundingLine]:
    """Funding lines that follow the track's rules (shares and caps as data)."""
    rules = rules_for(track, year)
    m = 1_000_000
    if track == "basic":
        total = rng.randrange(60, 140) * m
        gov = min(total // 2, rules.cap("government", level_target) or total)
        return _sme(total - gov, [FundingLine("government", gov)])
    if track in ("upgrade1", "upgrade2"):
        total = rng.randrange(250, 800 if track == "upgrade2" else 400) * m
        gov = min(total // 2, rules.cap("government", level_target) or total)
        return _sme(total - gov, [FundingLine("government", gov)])
    if track == "winwin1":
        cap = rules.cap("government", level_target) or 0
        total = int(cap / 0.3 * rng.uniform(0.6, 1.0))
        gov, lead = int(total * 0.3), int(total * 0.35)
        return _sme(total - gov - lead, [FundingLine("government", gov), FundingLine("lead", lead)])
    if track == "winwin2":
        half = rng.randrange(6, 10) * m
        return [FundingLine("government", half), FundingLine("lead", half)]
    if track == "region_basic":
        total = rng.randrange(50, 100) * m
        local = int(total * rng.uniform(0.5, 0.6))
        return _sme(total - local, [FundingLine("local", local)])
    total = rng.randrange(300, 400) * m  # region_upgrade
    gov = total // 2
    local = int(total * 0.3)
    return _sme(total - gov - local, [FundingLine("government", gov), FundingLine("local", local)])


def _sme(amount: int, lines: list[FundingLine]) -> list[FundingLine]:
    cash = int(amount * 0.7)
    return [*lines, FundingLine("sme", cash, "cash"), FundingLine("sme", amount - cash, "in_kind")]


TRACK_PLAN: list[tuple[int, str, int]] = [
    # (year, track, level the site is at before)
    (2022, "basic", 0),
    (2022, "winwin1", 0),
    (2022, "winwin2", 0),
    (2023, "upgrade1", 1),
    (2023, "basic", 0),
    (2023, "winwin1", 1),
    (2024, "upgrade1", 1),
    (2024, "upgrade2", 2),
    (2024, "winwin2", 0),
    (2025, "region_basic", 0),
    (2025, "region_upgrade", 1),
]


def build_program_demo(
    work_dir: Path, *, seed: int = 7, companies: int = 300, connected: int = 3
) -> dict[str, Any]:
    """Write ``work_dir/program.duckdb`` (replacing it), ``panel.csv`` and the connected
    factories' stores; return what was made."""
    from . import lifecycle as lc
    from .performance import record_kpi

    rng = random.Random(seed)
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "program.duckdb"
    path.unlink(missing_ok=True)
    db = ProgramDB(path)
    add_operator(db, "mss", "중소벤처기업부", "ministry")
    add_operator(db, "kosmo", "스마트제조혁신추진단", "agency")
    for r in REGIONS:
        add_operator(db, f"tp-{r}", f"{REGIONS[r][0]} 테크노파크", "technopark", r)
    suppliers = [add_supplier(db, _brn(rng, "86"), f"스마트솔루션{i + 1:02d}") for i in range(25)]
    leads = [add_lead_company(db, _brn(rng, "85"), f"상생대기업{i + 1}") for i in range(5)]
    firms: list[DemoFirm] = []
    seen: set[str] = set()
    while len(firms) < companies:
        cid = _brn(rng)
        if cid in seen:
            continue
        seen.add(cid)
        size = _pick(rng, SIZE_WEIGHTS)
        emp = {"micro": 6, "small": 25, "medium": 90, "midsize": 350}[size]
        emp = max(3, int(emp * rng.lognormvariate(0, 0.4)))
        name = "".join(rng.choice(_SYL) for _ in range(2)) + rng.choice(_SUFFIX)
        add_company(
            db,
            Company(cid, name, size, _pick(rng, KSIC_WEIGHTS), _pick(rng, REGION_WEIGHTS), emp),
        )
        firms.append(DemoFirm(cid, size, emp))
    # supported firms: larger ones apply more often (that is what matching must correct for)
    supported = [f for f in firms if rng.random() < {"micro": 0.4, "small": 0.6}.get(f.size, 0.75)]
    plan = [TRACK_PLAN[i % len(TRACK_PLAN)] for i in range(len(supported))]
    counters: dict[tuple[int, str], int] = {}
    programmes: dict[tuple[int, str], str] = {}
    for year, track, _ in plan:
        programmes.setdefault((year, track), f"{track}-{year}")
    for (year, track), pid in programmes.items():
        add_programme(
            db, pid, year=year, track=track, name=f"{year} {track}", budget_krw=10**12,
            operator_id="kosmo" if not track.startswith("region") else "tp-gyeonggi",
        )  # fmt: skip
    for (year, track, level_now), firm in zip(plan, supported, strict=True):
        n = counters[(year, track)] = counters.get((year, track), 0) + 1
        pid = f"{year}-{track}-{n:04d}"
        target = min(level_now + 1 + (rng.random() < 0.2), 4)
        lines = _funding(track, year, rng, target)
        lead = rng.choice(leads) if track.startswith("winwin") else None
        site = "main"
        db.con.execute(
            "UPDATE sites SET level = ? WHERE company_id = ? AND site = ?",
            [level_now, firm.company_id, site],
        )
        lc.apply(
            db,
            lc.Application(pid, programmes[(year, track)], firm.company_id, site,
                           rng.choice(suppliers), level_now, target, tuple(lines), lead),
            date(year, 3, rng.randrange(2, 28)),
        )  # fmt: skip
        lc.select(db, pid, date(year, 4, 15))
        start = date(year, 5, rng.randrange(1, 20))
        lc.agree(db, pid, start)
        lc.start_build(db, pid, start + timedelta(days=7))
        firm.project_id = pid
        if year == 2025 and rng.random() < 0.6:
            continue  # still building
        if rng.random() < 0.15:
            lc.extend_build(
                db, pid, 2, cause_on=start + timedelta(days=60), filed_on=start + timedelta(days=70)
            )
        done = start + timedelta(days=rng.randrange(150, 180))
        lc.complete_audit(db, pid, done, target)
        lc.start_follow_up(db, pid, done + timedelta(days=20))
        firm.supported_year = year
        _self_reported(db, pid, firm, rng, record_kpi)
    for r in ("gyeonggi", "gyeongnam"):
        assign_officer(db, f"officer-{r}", region=r)
    assign_officer(db, "officer-upgrade", programme_id="upgrade1-2024")
    from .rollup import set_target

    set_target(db, "기초 이상 2025", year=2025, min_level=1, factories=200, region=None)
    set_target(db, "중간1 이상 2025", year=2025, min_level=2, factories=120, region=None)
    set_target(db, "경기 중간1 이상", year=2025, min_level=2, factories=40, region="gyeonggi")
    panel = work_dir / "panel.csv"
    _panel(firms, rng).to_csv(panel, index=False)
    # connected factories among the 2024 projects (the simulator's holiday table starts then)
    recent = [f for f in supported if f.project_id and f.project_id.startswith("2024-")]
    links = _connect(db, work_dir, recent[:connected], seed)
    db.close()
    return {"db": path, "panel": panel, "companies": len(firms), "connected": links}


def _self_reported(
    db: ProgramDB, pid: str, firm: DemoFirm, rng: random.Random, record: Callable[..., None]
) -> None:
    base = {
        "productivity": rng.uniform(40, 400),
        "defect_rate": rng.uniform(1.0, 6.0),
        "cost_per_unit": rng.uniform(2_000, 60_000),
        "on_time_rate": rng.uniform(0.6, 0.85),
        "sales_krw": firm.employees * rng.uniform(1.5e8, 3e8),
        "accidents": float(rng.randrange(1, 6)),
    }
    for k, v in base.items():
        after = v * EFFECTS[k] * rng.lognormvariate(0, 0.08)
        if k == "on_time_rate":
            after = min(after, 1.0)
        record(db, pid, k, "baseline", v)
        record(db, pid, k, "after1", after)
    record(db, pid, "jobs", "baseline", float(firm.employees))
    record(db, pid, "jobs", "after1", float(firm.employees + round(rng.gauss(3, 2))))


def _panel(firms: list[DemoFirm], rng: random.Random) -> Any:
    """Yearly productivity of every firm, 2019–2025; supported firms gain about 30 % from the
    year after their build. Larger firms grow a little faster anyway."""
    import pandas as pd

    rows = []
    for f in firms:
        level = rng.lognormvariate(4.5, 0.4)
        growth = 0.01 + 0.01 * (f.size in ("medium", "midsize"))
        for year in range(2019, 2026):
            on = f.supported_year is not None and year > f.supported_year
            y = level * (1 + growth) ** (year - 2019) * (1.3 if on else 1.0)
            y *= rng.lognormvariate(0, 0.05)
            rows.append(
                {
                    "company_id": f.company_id,
                    "year": year,
                    "supported": int(on),
                    "productivity": round(y, 3),
                    "employees": f.employees,
                    "medium_or_larger": int(f.size in ("medium", "midsize")),
                }
            )
    return pd.DataFrame(rows)


def _connect(db: ProgramDB, work_dir: Path, firms: list[DemoFirm], seed: int) -> list[str]:
    """Simulated factories for a few companies: a baseline month before the build and a month
    after the audit, published as signed summaries and verified like any other."""
    from ..ingest.importer import import_files
    from ..sim import simulate
    from ..store.db import Store
    from .federation import Consent, SiteLink, build_summary, enrol, generate_key, receive, sign

    out = []
    for i, f in enumerate(firms):
        p = db.rows("SELECT * FROM projects WHERE project_id = ?", [f.project_id])[0]
        build_start: date = p["build_start"]
        base0 = build_start - timedelta(days=35)
        base0 -= timedelta(days=base0.weekday())
        fdir = work_dir / "factories" / f.company_id
        store_path = fdir / "smartfactory.duckdb"
        store_path.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory() as tmp, Store(store_path) as store:
            simulate(Path(tmp) / "before", machines=3, days=28, seed=seed + i, start=base0)
            files = sorted((Path(tmp) / "before").glob("*.csv"))
            import_files(store, files)
            done: date | None = p["completed_on"]
            if done is not None:
                a0 = done + timedelta(days=7 - done.weekday())
                simulate(
                    Path(tmp) / "after", machines=3, days=28, seed=seed + i, start=a0, causes=False
                )
                import_files(store, sorted((Path(tmp) / "after").glob("*.csv")))
            key = fdir / "federation.key"
            key.unlink(missing_ok=True)
            token = enrol(db, f.company_id, generate_key(key))
            level = int(p["level_achieved"] or p["level_now"])
            region = _region(db, f.company_id)
            add_site(
                db, f.company_id, "main", region, enterprise="hanbit", factory_site="plant1",
                level=level,
            )  # fmt: skip
            consent = Consent(
                f.company_id,
                "http://127.0.0.1:8100",
                token,
                key,
                ("productivity", "quality", "oee", "delivery"),
                (SiteLink("hanbit", "plant1", "main"),),
            )
            lo = datetime.combine(base0, datetime.min.time(), UTC) - timedelta(days=1)
            hi = datetime.combine((done or build_start) + timedelta(days=60),
                                  datetime.min.time(), UTC)  # fmt: skip
            body = build_summary(store, consent, consent.sites[0], lo, hi)
            receive(db, token, sign(body, key))
            (fdir / "federation.toml").write_text(
                f'company_id = "{f.company_id}"\nserver = "http://127.0.0.1:8100"\n'
                f'token = "{token}"\nkey = "federation.key"\n'
                'indicators = ["productivity", "quality", "oee", "delivery"]\n\n'
                '[[sites]]\nenterprise = "hanbit"\nsite = "plant1"\nprogram_site = "main"\n',
                "utf-8",
            )
        out.append(f.company_id)
    return out


def _region(db: ProgramDB, company_id: str) -> str:
    return str(db.scalar("SELECT region FROM companies WHERE company_id = ?", [company_id]))


def run_program_demo(work_dir: Path, *, seed: int, console: Console) -> dict[str, Any]:
    """Build the demo programme, then print what a ministry would ask and write reports."""
    from .impact import estimate_impact, read_panel
    from .performance import project_performance
    from .report import gather, write_report
    from .rollup import funding_rollup, results_rollup

    made = build_program_demo(work_dir, seed=seed)
    console.print(
        f"programme demo: {made['companies']} companies in {made['db']}; "
        f"{len(made['connected'])} connected through simulated factories"
    )
    with ProgramDB(made["db"]) as db:
        t = Table("track", "companies", "projects", "completed", "government ₩m", "local ₩m",
                  "lead ₩m", "SME ₩m", title="Funding by track")  # fmt: skip
        for r in funding_rollup(db, "track"):
            t.add_row(str(r["group"]), str(r["companies"]), str(r["projects"]),
                      str(r["completed"]), *(f"{r[k] / 1e6:,.0f}" for k in
                      ("government_krw", "local_krw", "lead_krw", "sme_krw")))  # fmt: skip
        console.print(t)
        res = results_rollup(db)[0]
        console.print(
            "mean change over completed projects: "
            + ", ".join(
                f"{k} {res[k]:+.1f}{'' if k == 'jobs' else ' %'}"
                for k in (
                    "productivity",
                    "defect_rate",
                    "cost_per_unit",
                    "on_time_rate",
                    "sales_krw",
                    "jobs",
                    "accidents",
                )
                if res.get(k) is not None
            )
        )
        impact = estimate_impact(
            read_panel(made["panel"]),
            unit="company_id",
            time="year",
            treated="supported",
            outcome="productivity",
            covariates=("employees", "medium_or_larger"),
        )
        console.print(
            f"impact on productivity (PSM-DiD): {impact.effect:+.2f} units/h "
            f"[{impact.ci_low:.2f}, {impact.ci_high:.2f}], "
            f"{100 * (impact.relative_effect or 0):+.1f} % of the supported firms' level "
            f"before; {impact.n_treated} pairs"
        )
        for cid in made["connected"]:
            pid = db.scalar("SELECT project_id FROM projects WHERE company_id = ?", [cid])
            perf = project_performance(db, pid, baseline_days=60, after=((0, 60),))
            measured = {
                k: v for k, v in perf["indicators"].items() if "measured" in v["sources"].values()
            }
            console.print(
                f"  {cid} ({pid}), measured from its factory: "
                + ", ".join(
                    f"{k} {v['change']:+.1f} %"
                    for k, v in measured.items()
                    if v["change"] is not None
                )
            )
        data = gather(db, impact=[("productivity 생산성", impact)])
    for name in ("program-report.pdf", "program-report.xlsx"):
        write_report(data, work_dir / name)
    console.print(f"reports: {work_dir / 'program-report.pdf'}, {work_dir / 'program-report.xlsx'}")
    return made
