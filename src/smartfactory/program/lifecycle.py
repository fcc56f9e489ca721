"""A project's life cycle: application → selection → agreement → build → completion audit →
follow-up. Every step checks the rules of its programme's track and year (:mod:`.rules`) and
refuses with a :class:`~smartfactory.errors.RuleError` naming the rule that failed; a step
that passes is recorded in ``project_events`` with its date.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..errors import NotFoundError, RuleError
from .registry import normalise_brn
from .rules import FundingLine, RuleSet, check_funding, public_money, rules_for
from .schema import ProgramDB

logger = logging.getLogger(__name__)

#: statuses in order; each step moves a project one status forward
STATUSES: dict[str, tuple[str, str]] = {
    "applied": ("신청", "Applied"),
    "selected": ("선정", "Selected"),
    "agreed": ("협약", "Agreement signed"),
    "building": ("구축", "Building"),
    "completed": ("완료평가", "Completion audit passed"),
    "follow_up": ("사후관리", "Follow-up"),
}


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


@dataclass(frozen=True)
class Application:
    """What a company files: which site, with which supplier, from which level to which,
    and who pays what."""

    project_id: str
    programme_id: str
    company_id: str
    site: str
    supplier_id: str | None
    level_now: int
    level_target: int
    funding: tuple[FundingLine, ...]
    lead_id: str | None = None


def _project(db: ProgramDB, project_id: str) -> dict[str, Any]:
    rows = db.rows(
        "SELECT p.*, g.year, g.track, g.budget_krw FROM projects p "
        "JOIN programmes g USING (programme_id) WHERE p.project_id = ?",
        [project_id],
    )
    if not rows:
        raise NotFoundError(f"no project {project_id!r}")
    return rows[0]


def project_rules(db: ProgramDB, project_id: str, rules_path: Path | None = None) -> RuleSet:
    """The rules a project follows (its programme's track and year)."""
    p = _project(db, project_id)
    return rules_for(p["track"], p["year"], rules_path)


def funding(db: ProgramDB, project_id: str) -> list[FundingLine]:
    return [
        FundingLine(r["source"], int(r["amount_krw"]), r["kind"])
        for r in db.rows(
            "SELECT source, amount_krw, kind FROM funding_lines WHERE project_id = ?", [project_id]
        )
    ]


def _expect(p: dict[str, Any], status: str | None, step: str) -> None:
    if p["status"] != status:
        raise RuleError(
            "status",
            f"project {p['project_id']} is {p['status'] or 'new'}; {step} needs it to be "
            f"{status or 'new'}",
        )


def _after(p: dict[str, Any], on: date, previous: str, step: str) -> None:
    before = p[previous]
    if before is not None and on < before:
        raise RuleError(
            "date_order", f"{step} on {on} is before {previous.replace('_', ' ')} on {before}"
        )


def _move(db: ProgramDB, project_id: str, old: str | None, new: str, on: date, note: str) -> None:
    db.con.execute("UPDATE projects SET status = ? WHERE project_id = ?", [new, project_id])
    db.con.execute(
        "INSERT INTO project_events (project_id, on_date, from_status, to_status, note) "
        "VALUES (?, ?, ?, ?, ?)",
        [project_id, on, old, new, note],
    )


def apply(db: ProgramDB, app: Application, on: date, rules_path: Path | None = None) -> None:
    """File an application: one per site in a programme, with a supplier, levels that make
    sense for the track, and funding within the track's shares and caps."""
    if db.scalar("SELECT count(*) FROM projects WHERE project_id = ?", [app.project_id]):
        raise RuleError("status", f"project {app.project_id} exists already")
    g = db.rows("SELECT * FROM programmes WHERE programme_id = ?", [app.programme_id])
    if not g:
        raise NotFoundError(f"no programme {app.programme_id!r}")
    rules = rules_for(g[0]["track"], g[0]["year"], rules_path)
    company = normalise_brn(app.company_id)
    if not db.scalar(
        "SELECT count(*) FROM sites WHERE company_id = ? AND site = ?", [company, app.site]
    ):
        raise NotFoundError(f"company {company} has no registered site {app.site!r}")
    if not app.supplier_id or not db.scalar(
        "SELECT count(*) FROM suppliers WHERE supplier_id = ?", [normalise_brn(app.supplier_id)]
    ):
        raise RuleError("supplier", f"application {app.project_id} names no registered supplier")
    if db.scalar(
        "SELECT count(*) FROM projects WHERE programme_id = ? AND company_id = ? AND site = ?",
        [app.programme_id, company, app.site],
    ):
        raise RuleError(
            "one_per_site",
            f"site {app.site} of {company} has applied to {app.programme_id} already",
        )
    if not (0 <= app.level_now < app.level_target <= 4):
        raise RuleError(
            "levels",
            f"target level {app.level_target} must be above current level {app.level_now}, "
            "within 1–4",
        )
    if app.level_now < rules.min_level_now:
        raise RuleError(
            "min_level",
            f"track {rules.track} builds on level {rules.min_level_now} or more; the site is at "
            f"level {app.level_now}",
        )
    lead = normalise_brn(app.lead_id) if app.lead_id else None
    if rules.needs_lead and (
        lead is None
        or not db.scalar("SELECT count(*) FROM lead_companies WHERE lead_id = ?", [lead])
    ):
        raise RuleError("lead_company", f"track {rules.track} needs a registered lead company")
    check_funding(rules, app.funding, app.level_target)
    with db.transaction():
        db.con.execute(
            "INSERT INTO projects (project_id, programme_id, company_id, site, supplier_id, "
            "lead_id, level_now, level_target, status, applied_on) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'applied', ?)",
            [
                app.project_id,
                app.programme_id,
                company,
                app.site,
                normalise_brn(app.supplier_id),
                lead,
                app.level_now,
                app.level_target,
                on,
            ],
        )
        for ln in app.funding:
            db.con.execute(
                "INSERT INTO funding_lines VALUES (?, ?, ?, ?)",
                [app.project_id, ln.source, ln.kind, ln.amount_krw],
            )
        db.con.execute(
            "INSERT INTO project_events (project_id, on_date, to_status, note) "
            "VALUES (?, ?, 'applied', 'application filed')",
            [app.project_id, on],
        )


def select(db: ProgramDB, project_id: str, on: date) -> None:
    """Select an application, if the programme's budget still covers its public money."""
    p = _project(db, project_id)
    _expect(p, "applied", "selection")
    _after(p, on, "applied_on", "selection")
    committed = db.scalar(
        "SELECT coalesce(sum(f.amount_krw), 0) FROM funding_lines f JOIN projects p "
        "USING (project_id) WHERE p.programme_id = ? AND p.status <> 'applied' "
        "AND f.source IN ('government', 'local')",
        [p["programme_id"]],
    )
    need = public_money(funding(db, project_id))
    if committed + need > p["budget_krw"]:
        raise RuleError(
            "budget",
            f"programme {p['programme_id']} has ₩{p['budget_krw'] - committed:,.0f} left of "
            f"₩{p['budget_krw']:,.0f}; project {project_id} needs ₩{need:,.0f}",
        )
    with db.transaction():
        db.con.execute("UPDATE projects SET selected_on = ? WHERE project_id = ?", [on, project_id])
        _move(db, project_id, "applied", "selected", on, "selected")


def agree(
    db: ProgramDB,
    project_id: str,
    start: date,
    *,
    funding_lines: Iterable[FundingLine] | None = None,
    rules_path: Path | None = None,
) -> None:
    """Sign the agreement: the build period starts; funding may be restated (and is checked)."""
    p = _project(db, project_id)
    _expect(p, "selected", "the agreement")
    _after(p, start, "selected_on", "the agreement")
    rules = rules_for(p["track"], p["year"], rules_path)
    lines = list(funding_lines) if funding_lines is not None else funding(db, project_id)
    check_funding(rules, lines, p["level_target"])
    due = add_months(start, rules.build_months)
    with db.transaction():
        if funding_lines is not None:
            db.con.execute("DELETE FROM funding_lines WHERE project_id = ?", [project_id])
            for ln in lines:
                db.con.execute(
                    "INSERT INTO funding_lines VALUES (?, ?, ?, ?)",
                    [project_id, ln.source, ln.kind, ln.amount_krw],
                )
        db.con.execute(
            "UPDATE projects SET agreement_start = ?, agreement_end = ?, build_due = ? "
            "WHERE project_id = ?",
            [start, due, due, project_id],
        )
        _move(db, project_id, "selected", "agreed", start, f"build due {due}")


def start_build(db: ProgramDB, project_id: str, on: date) -> None:
    """The supplier starts building."""
    p = _project(db, project_id)
    _expect(p, "agreed", "the build")
    _after(p, on, "agreement_start", "the build")
    with db.transaction():
        db.con.execute("UPDATE projects SET build_start = ? WHERE project_id = ?", [on, project_id])
        _move(db, project_id, "agreed", "building", on, "build started")


def _check_change(p: dict[str, Any], rules: RuleSet, cause_on: date, filed_on: date) -> None:
    if (filed_on - cause_on).days > rules.change_within_days:
        raise RuleError(
            "change_deadline",
            f"a change caused on {cause_on} was filed on {filed_on}, "
            f"{(filed_on - cause_on).days} days later; the limit is {rules.change_within_days}",
        )
    end: date = p["agreement_end"]
    if filed_on > end - timedelta(days=rules.change_before_end_days):
        raise RuleError(
            "change_before_end",
            f"a change filed on {filed_on} is less than {rules.change_before_end_days} days "
            f"before the agreement ends on {end}",
        )


def file_change(
    db: ProgramDB,
    project_id: str,
    what: str,
    *,
    cause_on: date,
    filed_on: date,
    rules_path: Path | None = None,
) -> None:
    """File an agreement change (supplier, scope, schedule …) within the deadlines."""
    p = _project(db, project_id)
    if p["status"] not in ("agreed", "building"):
        raise RuleError("status", f"project {project_id} has no running agreement to change")
    _check_change(p, rules_for(p["track"], p["year"], rules_path), cause_on, filed_on)
    db.con.execute(
        "INSERT INTO agreement_changes VALUES (?, ?, ?, ?)", [project_id, cause_on, filed_on, what]
    )


def extend_build(
    db: ProgramDB,
    project_id: str,
    months: int,
    *,
    cause_on: date,
    filed_on: date,
    rules_path: Path | None = None,
) -> None:
    """Extend the build (an agreement change): at most the track's extension in total."""
    p = _project(db, project_id)
    if p["status"] not in ("agreed", "building"):
        raise RuleError("status", f"project {project_id} has no running build to extend")
    rules = rules_for(p["track"], p["year"], rules_path)
    total = int(p["extension_months"] or 0) + months
    if months < 1 or total > rules.max_extension_months:
        raise RuleError(
            "extension",
            f"extending by {months} month(s) makes {total}; at most "
            f"{rules.max_extension_months} in total",
        )
    _check_change(p, rules, cause_on, filed_on)
    with db.transaction():
        db.con.execute(
            "INSERT INTO agreement_changes VALUES (?, ?, ?, ?)",
            [project_id, cause_on, filed_on, f"extend build by {months} month(s)"],
        )
        db.con.execute(
            "UPDATE projects SET extension_months = ?, build_due = ?, agreement_end = ? "
            "WHERE project_id = ?",
            [
                total,
                add_months(p["build_due"], months),
                add_months(p["agreement_end"], months),
                project_id,
            ],
        )


def complete_audit(db: ProgramDB, project_id: str, on: date, level_achieved: int) -> None:
    """The completion audit: within the build period, and confirming the target level."""
    p = _project(db, project_id)
    _expect(p, "building", "the completion audit")
    _after(p, on, "build_start", "the completion audit")
    if on > p["build_due"]:
        raise RuleError(
            "build_period",
            f"the completion audit on {on} is after the build period ended on {p['build_due']}"
            " (extend the build before it ends)",
        )
    if level_achieved < p["level_target"]:
        raise RuleError(
            "target_level",
            f"the audit found level {level_achieved}; the agreement's target is "
            f"{p['level_target']}",
        )
    with db.transaction():
        db.con.execute(
            "UPDATE projects SET completed_on = ?, level_achieved = ? WHERE project_id = ?",
            [on, level_achieved, project_id],
        )
        db.con.execute(
            "UPDATE sites SET level = greatest(level, ?) WHERE company_id = ? AND site = ?",
            [level_achieved, p["company_id"], p["site"]],
        )
        _move(db, project_id, "building", "completed", on, f"level {level_achieved} confirmed")


def start_follow_up(
    db: ProgramDB, project_id: str, on: date, rules_path: Path | None = None
) -> None:
    """Follow the results for the track's follow-up years after a passed audit."""
    p = _project(db, project_id)
    _expect(p, "completed", "follow-up")
    _after(p, on, "completed_on", "follow-up")
    rules = rules_for(p["track"], p["year"], rules_path)
    until = add_months(on, 12 * rules.follow_up_years)
    with db.transaction():
        db.con.execute(
            "UPDATE projects SET follow_up_until = ? WHERE project_id = ?", [until, project_id]
        )
        _move(db, project_id, "completed", "follow_up", on, f"follow-up until {until}")
