"""Performance of supported factories: PQCD, delivery, jobs, sales and accidents, before and
after the build.

Where a site is connected, indicators are computed from additive buckets (the KPI engine's
sums and completed orders, per site × day), summed over a window first and divided last:

================  ======================================================================
productivity      good units per operating hour: GQ / (APT + ASUT + ADET) in hours
defect_rate       (scrap + rework) / produced × 100
oee               Σ ideal time of good units / planned busy time (ISO 22400)
lead_time_h       mean hours from order receipt (or planned start) to completion
on_time_rate      share of completed orders with a due date finished by it
================  ======================================================================

Cost per unit, sales, jobs, accidents and energy per unit are not in a factory's machine data:
they are entered by hand and marked ``self_reported``; so is any indicator of a site that is
not connected. The official rule for when "before" and "after" are measured is not public:
the windows are parameters (default: 90 days before the build starts, and two windows of 90
days after the completion audit, right after it and one year after the build started).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..errors import ConfigError, NotFoundError
from ..store.db import Store
from .federation import site_day_buckets
from .schema import SUMMARY_FIELDS, ProgramDB

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Indicator:
    """A performance indicator: its labels, unit, which way is better, where it comes from."""

    ko: str
    en: str
    unit: str
    higher_is_better: bool
    measured: bool


INDICATORS: dict[str, Indicator] = {
    "productivity": Indicator("생산성", "Productivity", "units/h", True, True),
    "defect_rate": Indicator("불량률", "Defect rate", "%", False, True),
    "oee": Indicator("설비종합효율", "OEE", "ratio", True, True),
    "lead_time_h": Indicator("제조리드타임", "Lead time", "h", False, True),
    "on_time_rate": Indicator("납기준수율", "On-time delivery", "ratio", True, True),
    "cost_per_unit": Indicator("원가", "Cost per unit", "KRW", False, False),
    "sales_krw": Indicator("매출", "Sales", "KRW", True, False),
    "jobs": Indicator("고용", "Jobs", "persons", True, False),
    "accidents": Indicator("산업재해", "Accidents", "cases", False, False),
    "energy_per_unit": Indicator("에너지원단위", "Energy per unit", "kWh", False, False),
}
MEASURED = tuple(k for k, v in INDICATORS.items() if v.measured)


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def indicators_from_sums(s: dict[str, Any]) -> dict[str, float | None]:
    """Measured indicators from summed buckets (a missing or NULL field gives None)."""
    g = {f: (float(s[f]) if s.get(f) is not None else None) for f in SUMMARY_FIELDS}
    busy = None
    if None not in (g["apt_s"], g["asut_s"], g["adet_s"]):
        busy = (g["apt_s"] or 0) + (g["asut_s"] or 0) + (g["adet_s"] or 0)
    defects = None if g["sq"] is None or g["rq"] is None else g["sq"] + g["rq"]
    oee = None
    if None not in (g["ideal_s"], g["gq"], g["pq"], g["pbt_s"]) and g["pq"]:
        # OEE = Σ PRI × GQ / PBT, with PRI averaged over what was produced
        oee = _div((g["ideal_s"] or 0) * (g["gq"] or 0) / (g["pq"] or 1), g["pbt_s"])
    lead = _div(g["lead_time_s"], g["orders_with_lead"])
    return {
        "productivity": _div(g["gq"], busy / 3600 if busy else None),
        "defect_rate": None if defects is None else _div(100 * defects, g["pq"]),
        "oee": oee,
        "lead_time_h": None if lead is None else lead / 3600,
        "on_time_rate": _div(g["orders_on_time"], g["orders_with_due"]),
    }


def sum_rows(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Σ of each bucket field over rows (None where no row has the field)."""
    out: dict[str, float | None] = {}
    for f in SUMMARY_FIELDS:
        vals = [float(r[f]) for r in rows if r.get(f) is not None]
        out[f] = sum(vals) if vals else None
    return out


def measure_site(
    store: Store, enterprise: str, site: str, start: datetime, end: datetime
) -> dict[str, float | None]:
    """Factory side: the measured indicators of a site over [start, end) from its own data."""
    return indicators_from_sums(sum_rows(site_day_buckets(store, enterprise, site, start, end)))


@dataclass(frozen=True)
class Window:
    """A measurement window of a project: a name and its local dates [start, end)."""

    name: str
    start: date
    end: date


def project_windows(
    p: dict[str, Any], baseline_days: int = 90, after: tuple[tuple[int, int], ...] = ((0, 90),)
) -> list[Window]:
    """The baseline before the build and the windows after the audit (offset, length days)."""
    if p.get("build_start") is None:
        raise ConfigError(f"project {p['project_id']} has not started its build: no baseline")
    b0: date = p["build_start"]
    out = [Window("baseline", b0 - timedelta(days=baseline_days), b0)]
    done: date | None = p.get("completed_on")
    if done is not None:
        for i, (offset, length) in enumerate(after):
            s = done + timedelta(days=offset)
            out.append(Window(f"after{i + 1}", s, s + timedelta(days=length)))
    return out


def _measured(db: ProgramDB, p: dict[str, Any], w: Window) -> dict[str, float | None] | None:
    rows = db.rows(
        "SELECT * FROM summaries WHERE company_id = ? AND site = ? AND day >= ? AND day < ?",
        [p["company_id"], p["site"], w.start, w.end],
    )
    if not rows:
        return None
    return indicators_from_sums(sum_rows(rows))


def record_kpi(
    db: ProgramDB,
    project_id: str,
    indicator: str,
    window: str,
    value: float,
    *,
    period: tuple[date, date] | None = None,
    source: str = "self_reported",
) -> None:
    """Enter an indicator's value for a project window by hand (self-reported by default)."""
    if indicator not in INDICATORS:
        raise ConfigError(f"unknown indicator {indicator!r}; choose from {list(INDICATORS)}")
    if source not in ("self_reported", "measured"):
        raise ConfigError("source is self_reported or measured")
    db.con.execute(
        "INSERT OR REPLACE INTO kpi_records VALUES (?, ?, ?, ?, ?, ?, ?)",
        [project_id, indicator, window, *(period or (None, None)), float(value), source],
    )


def project_performance(
    db: ProgramDB,
    project_id: str,
    *,
    baseline_days: int = 90,
    after: tuple[tuple[int, int], ...] = ((0, 90),),
) -> dict[str, Any]:
    """Per indicator: the value in each window, where it came from, and the change from the
    baseline to the last window after (percent; ``improved`` says whether for the better)."""
    rows = db.rows("SELECT * FROM projects WHERE project_id = ?", [project_id])
    if not rows:
        raise NotFoundError(f"no project {project_id!r}")
    p = rows[0]
    windows = project_windows(p, baseline_days, after) if p["build_start"] else []
    measured = {w.name: _measured(db, p, w) for w in windows}
    hand = {
        (r["indicator"], r["win"]): r
        for r in db.rows("SELECT * FROM kpi_records WHERE project_id = ?", [project_id])
    }
    names = [w.name for w in windows] or sorted({w for _, w in hand})
    out: dict[str, Any] = {"project_id": project_id, "windows": names, "indicators": {}}
    for key, ind in INDICATORS.items():
        values: dict[str, float | None] = {}
        sources: dict[str, str] = {}
        for w in names:
            m = measured.get(w)
            if m is not None and m.get(key) is not None:
                values[w], sources[w] = m[key], "measured"
            elif (key, w) in hand:
                values[w], sources[w] = hand[(key, w)]["value"], hand[(key, w)]["source"]
        if not values:
            continue
        base = values.get("baseline")
        last = next((values[w] for w in reversed(names) if w != "baseline" and w in values), None)
        change = None
        if base is not None and last is not None:
            change = (last - base) if key == "jobs" else _div(100 * (last - base), base)
        out["indicators"][key] = {
            "values": values,
            "sources": sources,
            "change": change,
            "change_unit": "persons" if key == "jobs" else "%",
            "improved": None
            if change is None
            else (change > 0) == ind.higher_is_better and change != 0,
        }
    return out
