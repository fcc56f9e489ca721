"""Roll-ups for the ministry's questions: by region, industry, size, level, track and year.

Three kinds: the registry and its money (companies, projects, funding by source), the
measured summaries (buckets summed over companies first, ratios last, so a region's defect
rate is that of its summed buckets, never a mean of rates), and results (the mean change of
each indicator over the projects that have one). Progress compares the count of factories at
or above a level with the targets set for it.
"""

from __future__ import annotations

import logging
from statistics import fmean
from typing import Any

from ..errors import ConfigError
from .performance import INDICATORS, indicators_from_sums, project_performance, sum_rows
from .registry import visible_projects_sql
from .schema import SUMMARY_FIELDS, ProgramDB

logger = logging.getLogger(__name__)

#: dimension → SQL over ``projects p JOIN companies c JOIN programmes g JOIN sites s``
DIMENSIONS: dict[str, str] = {
    "region": "c.region",
    "industry": "substr(c.ksic, 1, 2)",
    "size": "c.size",
    "level": "coalesce(p.level_achieved, p.level_target)",
    "track": "g.track",
    "year": "g.year",
}

_FROM = (
    "projects p JOIN companies c USING (company_id) JOIN programmes g USING (programme_id) "
    "JOIN sites s ON s.company_id = p.company_id AND s.site = p.site"
)


def _dim(by: str) -> str:
    if by not in DIMENSIONS:
        raise ConfigError(f"cannot roll up by {by!r}; choose from {', '.join(DIMENSIONS)}")
    return DIMENSIONS[by]


def summary_totals(
    db: ProgramDB, company_ids: list[str] | None = None, **where: Any
) -> dict[str, Any]:
    """Σ of the stored summaries (optionally some companies), with the measured indicators."""
    cond, params = "TRUE", []
    if company_ids is not None:
        cond = f"company_id IN ({', '.join('?' for _ in company_ids)})"
        params = list(company_ids)
    sums = sum_rows(db.rows(f"SELECT * FROM summaries WHERE {cond}", params))
    return {**sums, **indicators_from_sums(sums)}


def funding_rollup(db: ProgramDB, by: str, officer: str | None = None) -> list[dict[str, Any]]:
    """Per group: companies, projects, completed projects, funding by source (KRW)."""
    dim = _dim(by)
    scope, params = visible_projects_sql(officer)
    return db.rows(
        f"""SELECT {dim} AS "group", count(DISTINCT p.company_id) AS companies,
               count(*) AS projects,
               count(*) FILTER (WHERE p.status IN ('completed', 'follow_up')) AS completed,
               coalesce(sum(f.government), 0) AS government_krw,
               coalesce(sum(f.local), 0) AS local_krw, coalesce(sum(f.lead), 0) AS lead_krw,
               coalesce(sum(f.sme), 0) AS sme_krw, coalesce(sum(f.total), 0) AS total_krw
        FROM {_FROM} LEFT JOIN (
            SELECT project_id,
                   sum(amount_krw) FILTER (WHERE source = 'government') AS government,
                   sum(amount_krw) FILTER (WHERE source = 'local') AS local,
                   sum(amount_krw) FILTER (WHERE source = 'lead') AS lead,
                   sum(amount_krw) FILTER (WHERE source = 'sme') AS sme,
                   sum(amount_krw) AS total
            FROM funding_lines GROUP BY project_id) f USING (project_id)
        WHERE {scope} GROUP BY 1 ORDER BY 1""",
        params,
    )


def summary_rollup(db: ProgramDB, by: str) -> list[dict[str, Any]]:
    """Measured indicators per group from the summaries: buckets summed first, ratios last."""
    if by not in ("region", "industry", "size", "level"):
        raise ConfigError("summaries roll up by region, industry, size or level")
    dim = {"level": "s.level"}.get(by, _dim(by))
    sums = ", ".join(f"sum(m.{f}) AS {f}" for f in SUMMARY_FIELDS)
    rows = db.rows(
        f"""SELECT {dim} AS "group", count(DISTINCT m.company_id) AS companies, {sums}
        FROM summaries m JOIN companies c USING (company_id)
        JOIN sites s ON s.company_id = m.company_id AND s.site = m.site
        GROUP BY 1 ORDER BY 1"""
    )
    return [{**r, **indicators_from_sums(r)} for r in rows]


def results(db: ProgramDB, officer: str | None = None) -> list[dict[str, Any]]:
    """Each project's change per indicator with its dimensions (projects with a baseline)."""
    scope, params = visible_projects_sql(officer)
    projects = db.rows(
        f"SELECT p.project_id, {', '.join(f'{v} AS {k}' for k, v in DIMENSIONS.items())} "
        f"FROM {_FROM} WHERE {scope} AND p.status IN ('completed', 'follow_up') ORDER BY 1",
        params,
    )
    out = []
    for p in projects:
        perf = project_performance(db, p["project_id"])
        row = dict(p)
        for k, v in perf["indicators"].items():
            row[k] = v["change"]
            row[f"{k}_source"] = (
                "measured" if "measured" in v["sources"].values() else ("self_reported")
            )
        out.append(row)
    return out


def results_rollup(
    db: ProgramDB, by: str | None = None, officer: str | None = None
) -> list[dict[str, Any]]:
    """Mean change per indicator per group (``by=None``: over everything)."""
    if by is not None:
        _dim(by)
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in results(db, officer):
        groups.setdefault(r[by] if by else "all", []).append(r)
    out = []
    for g, rows in sorted(groups.items(), key=lambda kv: str(kv[0])):
        row: dict[str, Any] = {"group": g, "projects": len(rows)}
        for k in INDICATORS:
            vals = [r[k] for r in rows if r.get(k) is not None]
            row[k] = fmean(vals) if vals else None
            row[f"{k}_n"] = len(vals)
            row[f"{k}_measured"] = sum(1 for r in rows if r.get(f"{k}_source") == "measured")
        out.append(row)
    return out


def set_target(
    db: ProgramDB, name: str, *, year: int, min_level: int, factories: int, region: str | None
) -> None:
    """A target: ``factories`` sites at level ``min_level`` or above by ``year``."""
    db.con.execute(
        "INSERT OR REPLACE INTO targets VALUES (?, ?, ?, ?, ?)",
        [name, year, min_level, factories, region],
    )


def progress(db: ProgramDB) -> list[dict[str, Any]]:
    """Each target with the count of sites at or above its level (confirmed by an audit)."""
    return db.rows(
        """SELECT t.name, t.year, t.min_level, t.region, t.factories AS target,
                  (SELECT count(*) FROM sites s WHERE s.level >= t.min_level
                     AND (t.region IS NULL OR s.region = t.region)) AS reached
           FROM targets t ORDER BY t.year, t.name"""
    )
