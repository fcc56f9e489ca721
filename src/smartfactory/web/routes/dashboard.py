"""The floor (a live tile per machine), one machine, and lines / sites over a period.

Each page has its JSON twin under ``/api`` built by the same function of :mod:`..queries`;
results are cached per (company, question, data version), so fifty screens on the same floor
cost one computation per new batch of data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import Field

from ...errors import ConfigError, NotFoundError
from ...store.db import Store
from .. import queries
from ..deps import StoreDep, lang_of, render
from ..permissions import PROGRAM_ROLES
from ..security import PrincipalDep, require

logger = logging.getLogger(__name__)
router = APIRouter(tags=["dashboards"])
VIEW = [require("view")]

Days = Annotated[int, Query(ge=1, le=366, description="days of history (trend, losses)")]
#: a local day the data can hold (the store rejects records before 2000; far futures overflow)
Day = Annotated[date, Field(ge=date(1971, 1, 1), le=date(2200, 12, 31))]
Level = Annotated[str, Query(pattern="^(enterprise|site|area|line)$")]


def cached(
    request: Request,
    store: Store,
    key: tuple[Any, ...],
    make: Callable[[], Any],
    anywhere: Callable[[Store], Any] | None = None,
) -> Any:
    """``make()`` once per (key, company, settings version) and data version, or at most
    ``live_max_stale_s`` old while live data keeps moving the data version."""
    enterprise = getattr(store, "enterprise", None)
    full = (*key, enterprise, request.app.state.settings_version)
    app = request.app.state
    refresh = None
    if anywhere is not None and enterprise is not None:
        # ``anywhere`` computes the same answer on a cursor of the same company's scope,
        # outside the request (see ResultCache)
        scopes = app.scopes

        def refresh() -> Any:
            with scopes.cursor(enterprise) as cur:
                return anywhere(cur)

    try:
        return app.cache.get(
            full,
            make,
            version=queries.data_version(store),
            max_stale_s=app.settings.live_max_stale_s,
            refresh=refresh,
        )
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc


def _zone(request: Request, store: Store) -> Any:
    return queries.site_zone(store, request.app.state.settings.timezone)


def _floor(request: Request, store: Store) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        return queries.floor(store, queries.as_of(store), _zone(request, store))

    return cached(request, store, ("floor",), make)


@router.get("/", dependencies=[require("home")])
def home(principal: PrincipalDep) -> RedirectResponse:
    """The home page: the floor, or the programme dashboard for an agency's roles."""
    target = "/program" if principal.role in PROGRAM_ROLES else "/floor"
    return RedirectResponse(target, status_code=303)


@router.get("/api/floor", dependencies=VIEW)
def api_floor(request: Request, store: StoreDep) -> dict[str, Any]:
    """Every machine of your company: state now and since when, product and order being
    made, and today's OEE (the site's local day, up to now or the end of the data)."""
    return _floor(request, store)


@router.get("/floor", response_class=HTMLResponse, dependencies=VIEW)
def page_floor(request: Request, store: StoreDep) -> HTMLResponse:
    """The floor: one tile per machine, refreshed live."""
    return render(
        request,
        "floor.html",
        {
            "tiles": Markup(_tiles(request, store).decode()),
            "colours": queries.STATE_COLOURS,
            "refresh_s": request.app.state.settings.floor_refresh_s,
        },
    )


def _tiles(request: Request, store: Store) -> bytes:
    lang = lang_of(request, request.query_params.get("lang"))

    def make() -> bytes:
        # the floor's data computed here, not taken from its own cache entry: under live data
        # that entry may be an older version, which this one would then carry as current
        data = queries.floor(store, queries.as_of(store), _zone(request, store))
        return bytes(
            render(request, "floor_tiles.html", {"d": data, "tz": _zone(request, store)}).body
        )

    return cached(request, store, ("floor_tiles", lang), make)


@router.get("/floor/tiles", response_class=HTMLResponse, dependencies=VIEW)
def page_floor_tiles(request: Request, store: StoreDep) -> HTMLResponse:
    """The tiles alone (what the floor page swaps in every few seconds). The HTML holds no
    session data, so it is cached per language and data version like the data itself."""
    return HTMLResponse(_tiles(request, store))


def _machine(
    request: Request, store: Store, machine: str, day: date | None, days: int
) -> dict[str, Any]:
    tz = _zone(request, store)

    def make_on(cur: Store) -> dict[str, Any]:
        chosen = day or queries.current_day(queries.as_of(cur), tz)
        return queries.machine_page(cur, machine, chosen, tz, days)

    return cached(request, store, ("machine", machine, day, days), lambda: make_on(store), make_on)


@router.get("/api/machines/{machine}", dependencies=VIEW)
def api_machine(
    request: Request,
    store: StoreDep,
    machine: str,
    day: Annotated[Day | None, Query(description="local day (default: today)")] = None,
    days: Days = 30,
) -> dict[str, Any]:
    """One machine: state timeline and counts by hour on a day; OEE trend, loss waterfall and
    downtime Pareto over the ``days`` up to it."""
    return _machine(request, store, machine, day, days)


@router.get("/machines/{machine}", response_class=HTMLResponse, dependencies=VIEW)
def page_machine(
    request: Request,
    store: StoreDep,
    machine: str,
    day: Day | None = None,
    days: Days = 30,
) -> HTMLResponse:
    """One machine's day and recent history."""
    data = _machine(request, store, machine, day, days)
    return render(
        request,
        "machine.html",
        {"d": data, "tz": _zone(request, store), "colours": queries.STATE_COLOURS},
    )


def _plant(
    request: Request,
    store: Store,
    level: str,
    start: date | None,
    end: date | None,
) -> dict[str, Any]:
    tz = _zone(request, store)

    def make() -> dict[str, Any]:
        last = end or queries.current_day(queries.as_of(store), tz)
        first = start or last - timedelta(days=6)
        lo, _ = queries.local_day_bounds(first, tz)
        _, hi = queries.local_day_bounds(last, tz)
        out = queries.plant(store, level, lo, hi)
        out["first_day"], out["last_day"] = first, last
        return out

    return cached(request, store, ("plant", level, start, end), make)


@router.get("/api/plant", dependencies=VIEW)
def api_plant(
    request: Request,
    store: StoreDep,
    level: Level = "line",
    start: Annotated[Day | None, Query(alias="from", description="first local day")] = None,
    end: Annotated[Day | None, Query(alias="to", description="last local day")] = None,
) -> dict[str, Any]:
    """OEE, availability, performance and quality per line (or area, site, company) over a
    period, with each group's loss waterfall and six big losses: summed buckets, ratios last."""
    return _plant(request, store, level, start, end)


@router.get("/plant", response_class=HTMLResponse, dependencies=VIEW)
def page_plant(
    request: Request,
    store: StoreDep,
    principal: PrincipalDep,
    level: Level = "line",
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
) -> HTMLResponse:
    """Lines, areas or sites compared over a chosen period."""
    data = _plant(request, store, level, start, end)
    return render(request, "plant.html", {"d": data, "now": datetime.now()})
