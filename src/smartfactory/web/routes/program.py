"""The program officer's pages and their JSON API: programme dashboard, company page,
project workflow and maturity questionnaire (decision 0011).

Roles: ``program_officer`` sees only the programmes and regions assigned to its user name in
the programme file (``assign_officer``); ``program_admin`` (the ministry's / agency's view)
sees everything. Both hold ``view_program`` and ``manage_program`` and no factory action, and
no factory role holds a programme action (:mod:`smartfactory.web.permissions`). Only
consented summaries exist on the programme server, so nothing else can be shown. Another
officer's company or project answers 404, as if it did not exist.

The programme file (``settings.program_db``) is opened on the first programme request, so a
factory's own deployment never creates one. Every page has its ``/api/program`` twin built by
the same function of :mod:`smartfactory.web.program_queries`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ...errors import ConfigError, NotFoundError, RuleError, StoreError
from ...program import lifecycle as lc
from ...program import rollup
from ...program.assessment import AREAS, QUESTIONS, assess, roadmap, save_assessment
from ...program.schema import ProgramDB
from .. import program_queries as pq
from ..deps import NAV_EXTRA, lang_of, render
from ..permissions import Principal
from ..program_strings import namer
from ..security import require

logger = logging.getLogger(__name__)
router = APIRouter(tags=["program"])
_OPENING = threading.Lock()

for _link in (
    {"href": "/program", "label": "nav_program", "action": "view_program"},
    {"href": "/program/assess", "label": "nav_assess", "action": "manage_program"},
):
    if _link not in NAV_EXTRA:
        NAV_EXTRA.append(_link)


def _program_file(request: Request) -> ProgramDB:
    """The app's programme file, opened once on first use."""
    state = request.app.state
    db = getattr(state, "program_db", None)
    if db is None:
        with _OPENING:
            db = getattr(state, "program_db", None)
            if db is None:
                try:
                    db = ProgramDB(state.settings.program_db)
                except StoreError as exc:
                    raise HTTPException(503, str(exc)) from exc
                state.program_db = db
    return db


def get_program_db(request: Request) -> Iterator[ProgramDB]:
    """The programme file on a cursor of its own for this request."""
    db = _program_file(request).cursor()
    try:
        yield db
    finally:
        db.close()


ProgramDep = Annotated[ProgramDB, Depends(get_program_db)]
# routes take the principal before the file: a refused caller never opens it
Viewer = Annotated[Principal, require("view_program")]
Manager = Annotated[Principal, require("manage_program")]


def _officer(p: Principal) -> str | None:
    """The scope a principal sees: a program officer only what is assigned to them."""
    return p.name if p.role == "program_officer" else None


def _page(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Any:
    lang = lang_of(request, request.query_params.get("lang"))
    return render(request, name, {"name": namer(lang), **ctx}, status_code=status_code)


def _found(make: Any) -> Any:
    try:
        return make()
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc


# ---------------------------------------------------------------- dashboard


@router.get("/api/program/dashboard")
def api_dashboard(who: Viewer, db: ProgramDep) -> dict[str, Any]:
    """Funding and projects by region, industry, level, track and year; mean results of the
    completed projects; progress against targets; the companies in your scope."""
    return pq.dashboard(db, _officer(who))


@router.get("/program", response_class=HTMLResponse)
def page_dashboard(request: Request, who: Viewer, db: ProgramDep, by: str = "region") -> Any:
    """The programme dashboard."""
    if by not in pq.DASHBOARD_BY:
        by = "region"
    d = pq.dashboard(db, _officer(who))
    name = namer(lang_of(request, request.query_params.get("lang")))
    labels = {
        key: {str(r["group"]): name(key, r["group"]) for r in d["funding"][key]}
        for key in ("track", by)
    }
    ctx = {"d": d, "by": by, "track_names": labels["track"], "by_names": labels[by]}
    return _page(request, "program_dashboard.html", ctx)


@router.get("/api/program/rollup")
def get_rollup(who: Viewer, db: ProgramDep, by: str = "region", what: str = "funding") -> Any:
    """Funding, results or progress by region, industry, size, level, track or year."""
    officer = _officer(who)
    try:
        if what == "funding":
            return rollup.funding_rollup(db, by, officer)
        if what == "results":
            return rollup.results_rollup(db, by, officer)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    if what == "progress":
        return pq.scoped_progress(db, officer)
    raise HTTPException(422, "what is funding, results or progress")


# ---------------------------------------------------------------- company


@router.get("/api/program/companies/{company_id}")
def get_company(company_id: str, who: Viewer, db: ProgramDep) -> dict[str, Any]:
    """A company in your scope: sites, projects with before/after performance (each value
    marked measured or self-reported), assessments and consented summaries by month."""
    return _found(lambda: pq.company(db, _officer(who), company_id))


@router.get("/program/companies/{company_id}", response_class=HTMLResponse)
def page_company(request: Request, company_id: str, who: Viewer, db: ProgramDep) -> Any:
    """The company page."""
    d = _found(lambda: pq.company(db, _officer(who), company_id))
    chart = [{**r, "month": r["month"].isoformat()} for r in d["summaries"]]
    return _page(request, "program_company.html", {"d": d, "chart": chart})


# ---------------------------------------------------------------- project workflow


class Step(BaseModel):
    """A life-cycle step: its date, and what some steps need."""

    on: date
    level_achieved: int | None = Field(default=None, ge=0, le=4)
    months: int | None = Field(default=None, ge=1)
    cause_on: date | None = None


def do_step(db: ProgramDB, project_id: str, step: str, body: Step) -> None:
    """Move a project one step (the library checks the step's rules)."""
    if step == "select":
        lc.select(db, project_id, body.on)
    elif step == "agree":
        lc.agree(db, project_id, body.on)
    elif step == "build":
        lc.start_build(db, project_id, body.on)
    elif step == "extend":
        lc.extend_build(
            db, project_id, body.months or 0, cause_on=body.cause_on or body.on, filed_on=body.on
        )
    elif step == "audit":
        lc.complete_audit(db, project_id, body.on, body.level_achieved or 0)
    elif step == "follow-up":
        lc.start_follow_up(db, project_id, body.on)
    else:
        raise NotFoundError("steps: select, agree, build, extend, audit, follow-up")


@router.get("/api/program/projects/{project_id}")
def get_project(project_id: str, who: Viewer, db: ProgramDep) -> dict[str, Any]:
    """A project: its state, dates, funding, history and the steps allowed next."""
    return _found(lambda: pq.project(db, _officer(who), project_id))


@router.post("/api/program/projects/{project_id}/{step}")
def project_step(
    project_id: str, step: str, body: Step, who: Manager, db: ProgramDep
) -> dict[str, Any]:
    """Move a project one step; a broken rule answers 422 with the rule's code."""
    _found(lambda: pq.project(db, _officer(who), project_id))
    try:
        do_step(db, project_id, step, body)
    except RuleError as exc:
        raise HTTPException(422, {"rule": exc.rule, "detail": str(exc)}) from exc
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    return db.rows("SELECT * FROM projects WHERE project_id = ?", [project_id])[0]


@router.get("/program/projects/{project_id}", response_class=HTMLResponse)
def page_project(
    request: Request, project_id: str, who: Viewer, db: ProgramDep, done: str | None = None
) -> Any:
    """The project workflow: where the project is and the steps that may follow."""
    d = _found(lambda: pq.project(db, _officer(who), project_id))
    return _project_page(request, d, done=done)


def _project_page(
    request: Request, d: dict[str, Any], *, done: str | None = None, error: Any = None
) -> Any:
    ctx = {
        "d": d,
        "done": done,
        "error": error,
        "default_on": pq.default_step_date(d["project"]).isoformat(),
    }
    return _page(request, "program_project.html", ctx, 422 if error else 200)


@router.post("/program/projects/{project_id}/step")
def page_project_step(
    request: Request,
    project_id: str,
    who: Manager,
    db: ProgramDep,
    step: Annotated[str, Form()],
    on: Annotated[date, Form()],
    level_achieved: Annotated[int | None, Form(ge=0, le=4)] = None,
    months: Annotated[int | None, Form(ge=1, le=24)] = None,
    cause_on: Annotated[date | None, Form()] = None,
) -> Response:
    """The step form: on success back to the project; a broken rule shows the rule."""
    officer = _officer(who)
    _found(lambda: pq.project(db, officer, project_id))
    body = Step(on=on, level_achieved=level_achieved, months=months, cause_on=cause_on)
    try:
        do_step(db, project_id, step, body)
    except RuleError as exc:
        error = {"rule": exc.rule, "text": pq.rule_text(exc.rule), "detail": str(exc)}
        return _project_page(request, pq.project(db, officer, project_id), error=error)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    return RedirectResponse(f"/program/projects/{project_id}?done={step}", status_code=303)


# ---------------------------------------------------------------- questionnaire


@router.get("/api/program/questionnaire")
def questionnaire(who: Viewer) -> list[dict[str, Any]]:
    """The maturity questions (Korean and English), their points and levels."""
    return [q.__dict__ for q in QUESTIONS]


class Answers(BaseModel):
    company_id: str
    site: str
    on: date
    answers: dict[str, int]


def score_and_save(db: ProgramDB, officer: str | None, body: Answers) -> dict[str, Any]:
    """Score a self-assessment of a site in scope and save it (evidence from the factory's
    data arrives with its summaries, not here)."""
    pq.check_site(db, officer, body.company_id, body.site)
    a = assess(body.answers)
    save_assessment(db, body.company_id, body.site, body.on, a)
    return {**a.as_dict(), "roadmap": roadmap(a)}


@router.post("/api/program/assessments")
def post_assessment(body: Answers, who: Manager, db: ProgramDep) -> dict[str, Any]:
    """Score a self-assessment (system level 0–4, capability level 1–5, roadmap) and save it."""
    try:
        return score_and_save(db, _officer(who), body)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc


def _assess_ctx(db: ProgramDB, who: Principal) -> dict[str, Any]:
    return {
        "sites": pq.company_sites(db, _officer(who)),
        "questions": QUESTIONS,
        "areas": AREAS,
        "today": date.today().isoformat(),
    }


@router.get("/program/assess", response_class=HTMLResponse)
def page_assess(request: Request, who: Manager, db: ProgramDep) -> Any:
    """The questionnaire."""
    return _page(request, "program_assess.html", {**_assess_ctx(db, who), "result": None})


@router.post("/program/assess", response_class=HTMLResponse)
async def page_assess_post(request: Request, who: Manager, db: ProgramDep) -> Any:
    """Score the form (htmx swaps in the result; without htmx the whole page comes back)."""
    form = await request.form()
    company_id, _, site = str(form.get("site_key", "")).partition("|")
    answers: dict[str, int] = {}
    result: dict[str, Any] | None = None
    error: str | None = None
    try:
        for q in QUESTIONS:
            raw = form.get(f"q_{q.id}")
            if raw not in (None, ""):
                answers[q.id] = int(str(raw))
        on = date.fromisoformat(str(form.get("on") or date.today().isoformat()))
        result = score_and_save(db, _officer(who), Answers(
            company_id=company_id, site=site, on=on, answers=answers
        ))  # fmt: skip
    except (ValueError, ConfigError) as exc:
        error = str(exc)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    ctx = {"result": result, "error": error}
    if request.headers.get("hx-request"):  # htmx swaps only 2xx answers: the error is shown
        return _page(request, "program_assess_result.html", ctx)
    status = 422 if error else 200
    return _page(request, "program_assess.html", {**_assess_ctx(db, who), **ctx}, status)
