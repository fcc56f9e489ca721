"""What the program officer's pages show, computed once for the page and its JSON twin.

Every function takes the officer's scope (``officer``: the user name of a program officer, or
None for the ministry's view of everything) and reads only projects in it, through
:func:`smartfactory.program.registry.visible_projects_sql`. A company is visible when one of
its projects is; anything else answers :class:`~smartfactory.errors.NotFoundError`, so the
web edge shows another officer's company as absent (404), not as forbidden.

The programme server holds only what companies consented to share (summaries of KPI buckets
per site and day, never raw data), so nothing more can leak from these pages.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from ..errors import NotFoundError
from ..program.lifecycle import STATUSES
from ..program.performance import INDICATORS, MEASURED, indicators_from_sums, project_performance
from ..program.registry import visible_projects_sql
from ..program.rollup import funding_rollup, results_rollup
from ..program.rules import RULES, rules_for
from ..program.schema import SUMMARY_FIELDS, ProgramDB

logger = logging.getLogger(__name__)

#: the dimensions the dashboard rolls up by
DASHBOARD_BY = ("region", "industry", "level", "track", "year")

#: status → the steps that may come next (the life cycle of :mod:`smartfactory.program.lifecycle`)
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "applied": ("select",),
    "selected": ("agree",),
    "agreed": ("build", "extend"),
    "building": ("audit", "extend"),
    "completed": ("follow-up",),
    "follow_up": (),
}

_SCOPED = "projects p JOIN companies c USING (company_id)"


def officer_regions(db: ProgramDB, officer: str | None) -> list[str] | None:
    """The regions assigned to an officer (None: every region, the ministry's view)."""
    if officer is None:
        return None
    rows = db.rows(
        "SELECT DISTINCT region FROM officer_scopes WHERE officer = ? AND region IS NOT NULL "
        "ORDER BY 1",
        [officer],
    )
    return [r["region"] for r in rows]


def scoped_progress(db: ProgramDB, officer: str | None) -> list[dict[str, Any]]:
    """Targets and how many sites reached them: an officer sees the targets of the regions
    assigned (a national target counts every region's sites, which is not theirs to see)."""
    regions = officer_regions(db, officer)
    cond, params = "TRUE", []
    if regions is not None:
        if not regions:
            return []
        cond = f"t.region IN ({', '.join('?' for _ in regions)})"
        params = list(regions)
    rows = db.rows(
        f"""SELECT t.name, t.year, t.min_level, t.region, t.factories AS target,
                  (SELECT count(*) FROM sites s WHERE s.level >= t.min_level
                     AND (t.region IS NULL OR s.region = t.region)) AS reached
           FROM targets t WHERE {cond} ORDER BY t.year, t.name""",
        params,
    )
    for r in rows:
        r["share"] = r["reached"] / r["target"] if r["target"] else None
    return rows


def visible_companies(db: ProgramDB, officer: str | None) -> list[dict[str, Any]]:
    """Companies with a project in scope, with their projects' count and latest status."""
    scope, params = visible_projects_sql(officer)
    return db.rows(
        f"""SELECT c.company_id, c.name, c.region, c.ksic, c.size,
                   count(*) AS projects, max(p.level_achieved) AS level_achieved,
                   arg_max(p.status, p.applied_on) AS status
            FROM {_SCOPED} WHERE {scope} GROUP BY ALL ORDER BY c.region, c.name""",
        params,
    )


def dashboard(db: ProgramDB, officer: str | None) -> dict[str, Any]:
    """Funding and projects rolled up by each dimension, the mean results of completed
    projects, progress against targets, and the companies in scope."""
    overall = results_rollup(db, None, officer)
    return {
        "officer": officer,
        "regions": officer_regions(db, officer),
        "funding": {by: funding_rollup(db, by, officer) for by in DASHBOARD_BY},
        "results": overall[0] if overall else None,
        "indicators": {k: {"ko": v.ko, "en": v.en, "unit": v.unit} for k, v in INDICATORS.items()},
        "progress": scoped_progress(db, officer),
        "companies": visible_companies(db, officer),
    }


def _visible_projects(db: ProgramDB, officer: str | None, where: str, arg: str) -> list[Any]:
    scope, params = visible_projects_sql(officer)
    return db.rows(
        f"SELECT p.*, g.name AS programme, g.track, g.year FROM {_SCOPED} "
        f"JOIN programmes g USING (programme_id) WHERE {where} AND {scope} ORDER BY p.applied_on",
        [arg, *params],
    )


def monthly_summaries(db: ProgramDB, company_id: str) -> list[dict[str, Any]]:
    """The company's consented summaries per site and month: buckets summed, ratios last."""
    sums = ", ".join(f"sum({f}) AS {f}" for f in SUMMARY_FIELDS)
    rows = db.rows(
        f"SELECT site, date_trunc('month', day)::DATE AS month, count(*) AS days, {sums} "
        "FROM summaries WHERE company_id = ? GROUP BY ALL ORDER BY site, month",
        [company_id],
    )
    return [
        {"site": r["site"], "month": r["month"], "days": r["days"], **indicators_from_sums(r)}
        for r in rows
    ]


def company(db: ProgramDB, officer: str | None, company_id: str) -> dict[str, Any]:
    """A company in scope: registry entry, sites, projects (with before/after performance
    where the build has started), assessments and its consented summaries over time."""
    projects = _visible_projects(db, officer, "p.company_id = ?", company_id)
    if not projects:
        raise NotFoundError(f"no company {company_id} in your programmes")
    entry = db.rows("SELECT * FROM companies WHERE company_id = ?", [company_id])[0]
    for p in projects:
        p["performance"] = project_performance(db, p["project_id"]) if p["build_start"] else None
    return {
        "company": entry,
        "sites": db.rows("SELECT * FROM sites WHERE company_id = ? ORDER BY site", [company_id]),
        "projects": projects,
        "assessments": db.rows(
            "SELECT company_id, site, on_date, system_level, capability_level, score "
            "FROM assessments WHERE company_id = ? ORDER BY on_date",
            [company_id],
        ),
        "summaries": monthly_summaries(db, company_id),
        "measured": list(MEASURED),
    }


def project(db: ProgramDB, officer: str | None, project_id: str) -> dict[str, Any]:
    """A project in scope: its state, dates, funding, history and the steps that may follow."""
    rows = _visible_projects(db, officer, "p.project_id = ?", project_id)
    if not rows:
        raise NotFoundError(f"no project {project_id} in your programmes")
    p = rows[0]
    rules = rules_for(p["track"], p["year"])
    lines = db.rows(
        "SELECT source, kind, amount_krw FROM funding_lines WHERE project_id = ? "
        "ORDER BY source, kind",
        [project_id],
    )
    return {
        "project": p,
        "company": db.rows(
            "SELECT company_id, name, region FROM companies WHERE company_id = ?",
            [p["company_id"]],
        )[0],
        "funding": lines,
        "total_krw": sum(int(ln["amount_krw"]) for ln in lines),
        "events": db.rows(
            "SELECT on_date, from_status, to_status, note FROM project_events "
            "WHERE project_id = ? ORDER BY on_date, recorded_at",
            [project_id],
        ),
        "statuses": list(STATUSES),
        "next_steps": list(NEXT_STEPS.get(p["status"], ())),
        "rules": {
            "build_months": rules.build_months,
            "max_extension_months": rules.max_extension_months,
            "follow_up_years": rules.follow_up_years,
        },
    }


def company_sites(db: ProgramDB, officer: str | None) -> list[dict[str, Any]]:
    """Sites of the companies in scope (the questionnaire's choice of whom it assesses)."""
    scope, params = visible_projects_sql(officer)
    return db.rows(
        f"""SELECT DISTINCT c.company_id, c.name, s.site
            FROM {_SCOPED} JOIN sites s ON s.company_id = c.company_id AND s.site = p.site
            WHERE {scope} ORDER BY c.name, s.site""",
        params,
    )


def check_site(db: ProgramDB, officer: str | None, company_id: str, site: str) -> None:
    """A site may be assessed by the officer only if one of its projects is in scope."""
    if not any(
        s["company_id"] == company_id and s["site"] == site for s in company_sites(db, officer)
    ):
        raise NotFoundError(f"no site {company_id}/{site} in your programmes")


def rule_text(code: str) -> str:
    """What a rule says (its code when it is not one of the life cycle's)."""
    return RULES.get(code, code)


def default_step_date(p: dict[str, Any]) -> date:
    """The date a step form proposes: the latest date the project already has, else today."""
    known = [
        p[k]
        for k in ("applied_on", "selected_on", "agreement_start", "build_start", "completed_on")
        if p.get(k) is not None
    ]
    return max(known) if known else date.today()
