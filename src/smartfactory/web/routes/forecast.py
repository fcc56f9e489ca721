"""Demand forecast and production plan pages and their JSON.

JSON: ``/api/forecast`` (history, forecast with intervals and the method per product, from the
store's orders) and ``/api/plan`` (the weekly plan and each line's load against its measured
capacity); ``/plan.xlsx`` downloads the plan. Pages ``/forecast`` and ``/plan`` draw the same
JSON with the vendored ECharts. Results are kept per app, keyed by the question and the store's
record counts, so a page reload does not forecast again.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from ...errors import ConfigError, InputError, NotFoundError, SmartFactoryError
from ...store.db import Store
from .. import queries
from ..deps import NAV_EXTRA, StoreDep, render
from ..security import require

logger = logging.getLogger(__name__)
router = APIRouter(tags=["forecast"])
VIEW = [require("view")]

for _link in (
    {"href": "/forecast", "label": "nav_forecast"},
    {"href": "/plan", "label": "nav_plan"},
):
    if _link not in NAV_EXTRA:
        NAV_EXTRA.append(_link)


def _errors(exc: SmartFactoryError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, NotFoundError) else 422, str(exc))


def _cached(request: Request, store: Store, key: tuple[Any, ...], make: Any) -> Any:
    """``make()`` once per (key, company, settings version, data version), in the app's shared
    result cache (LRU, one computation at a time per key); a forecast is never served stale."""
    state = request.app.state
    full = ("forecast", *key, getattr(store, "enterprise", None), state.settings_version)
    return state.cache.get(full, make, version=queries.data_version(store))


def _forecast(store: Store, freq: str, horizon: int) -> dict[str, Any]:
    from ...ai.forecast import forecast
    from ...ai.series import demand_from_store

    series = demand_from_store(store, freq=freq)
    result = forecast(series, h=horizon, freq=freq, levels=(80, 95), n_jobs=1)
    out = result.as_dict()
    hist = result.history.copy()
    hist["ds"] = hist["ds"].dt.strftime("%Y-%m-%d")
    out["history"] = hist.to_dict(orient="records")
    return out


@router.get("/api/forecast", dependencies=VIEW)
def api_forecast(
    request: Request,
    store: StoreDep,
    freq: Annotated[str, Query(description="D, W or M")] = "W",
    horizon: Annotated[int, Query(ge=1, le=366)] = 12,
) -> dict[str, Any]:
    """Demand history and forecast per product (orders by the date received), with 80 % and
    95 % intervals and the method chosen for each product."""
    if freq not in ("D", "W", "M"):
        raise HTTPException(422, f"unknown period {freq!r}; use D, W or M")
    try:
        result: dict[str, Any] = _cached(
            request, store, ("f", freq, horizon), lambda: _forecast(store, freq, horizon)
        )
        return result
    except SmartFactoryError as exc:
        raise _errors(exc) from exc


def _plan(store: Store, weeks: int, service_level: float, level: bool) -> Any:
    from ...ai.planning import plan_from_store

    return plan_from_store(store, weeks=weeks, service_level=service_level, n_jobs=1, level=level)


def _plan_cached(
    request: Request, store: Store, weeks: int, service_level: float, level: bool = False
) -> Any:
    try:
        return _cached(
            request,
            store,
            ("p", weeks, service_level, level),
            lambda: _plan(store, weeks, service_level, level),
        )
    except (ConfigError, InputError, NotFoundError) as exc:
        raise _errors(exc) from exc


@router.get("/api/plan", dependencies=VIEW)
def api_plan(
    request: Request,
    store: StoreDep,
    weeks: Annotated[int, Query(ge=1, le=52)] = 8,
    service_level: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    level: Annotated[bool, Query(description="make ahead what overloads a week")] = False,
) -> dict[str, Any]:
    """The weekly plan per product and line, and each line's load against its capacity
    (``level``: production that overloads a week is made ahead in earlier weeks with room;
    ``moves`` lists what moved)."""
    result: dict[str, Any] = _plan_cached(request, store, weeks, service_level, level).as_dict()
    return result


@router.get("/plan.xlsx", dependencies=VIEW)
def plan_excel(
    request: Request,
    store: StoreDep,
    weeks: Annotated[int, Query(ge=1, le=52)] = 8,
    service_level: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    level: Annotated[bool, Query(description="make ahead what overloads a week")] = False,
) -> Response:
    """The plan as an Excel workbook (plan, load with overloaded weeks in red, the moves of a
    levelled plan, capacity, notes)."""
    from ...ai.planning import write_excel

    plan = _plan_cached(request, store, weeks, service_level, level)
    with tempfile.TemporaryDirectory() as tmp:
        data = write_excel(plan, Path(tmp) / "plan.xlsx").read_bytes()
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="plan.xlsx"'},
    )


# -- pages ---------------------------------------------------------------------------------


@router.get("/forecast", response_class=HTMLResponse, dependencies=VIEW)
def page_forecast(
    request: Request,
    store: StoreDep,
    freq: Annotated[str, Query(description="D, W or M")] = "W",
    horizon: Annotated[int, Query(ge=1, le=366)] = 12,
    product: str | None = None,
) -> HTMLResponse:
    """Forecast per product with intervals and history."""
    try:
        data, error = api_forecast(request, store, freq=freq, horizon=horizon), None
    except HTTPException as exc:
        data, error = None, str(exc.detail)
    products = [r["unique_id"] for r in data["selection"]] if data else []
    chosen = product if product in products else (products[0] if products else None)
    return render(
        request,
        "forecast.html",
        {
            "data": data,
            "error": error,
            "freq": freq,
            "horizon": horizon,
            "products": products,
            "product": chosen,
        },
    )


@router.get("/plan", response_class=HTMLResponse, dependencies=VIEW)
def page_plan(
    request: Request,
    store: StoreDep,
    weeks: Annotated[int, Query(ge=1, le=52)] = 8,
    service_level: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    level: bool = False,
) -> HTMLResponse:
    """The plan with each line's load against its capacity."""
    try:
        data = api_plan(request, store, weeks=weeks, service_level=service_level, level=level)
        error = None
    except HTTPException as exc:
        data, error = None, str(exc.detail)
    overloaded = [r for r in data["load"] if r["overloaded"]] if data else []
    plan = pd.DataFrame(data["plan"]) if data else pd.DataFrame()
    return render(
        request,
        "forecast_plan.html",
        {
            "data": data,
            "error": error,
            "weeks": weeks,
            "service_level": service_level,
            "level": level,
            "overloaded": overloaded,
            "rows": plan.to_dict(orient="records"),
        },
    )
