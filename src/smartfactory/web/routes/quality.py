"""Quality pages and their JSON: defect Pareto, SPC charts, root-cause findings.

JSON under ``/api/quality/…``; pages ``/quality``, ``/quality/spc/{characteristic}`` and
``/quality/rootcause`` render a frame in Korean or English and draw their charts with the
vendored ECharts from the same JSON. ``/static`` serves the vendored files from the package
(no CDN: factory networks are often offline).
"""

from __future__ import annotations

import logging
from datetime import datetime
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from ...errors import InputError, NotFoundError, SmartFactoryError
from ...quality import monitor
from ...store.db import Store
from .. import queries
from ..deps import StoreDep, render
from ..security import require
from .dashboard import cached

logger = logging.getLogger(__name__)
router = APIRouter(tags=["quality"])
VIEW = [require("view")]
router.mount(
    "/static", StaticFiles(directory=str(files("smartfactory.web") / "static")), name="static"
)

VARIABLE_CHARTS = ("auto", "xbar-r", "xbar-s", "i-mr")
ATTRIBUTE_CHARTS = ("p", "np", "c", "u")
#: root-cause results kept per app, keyed by the question and the store's record counts
CACHE_SIZE = 8


def _errors(exc: SmartFactoryError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, NotFoundError) else 422, str(exc))


# -- JSON ----------------------------------------------------------------------------------


@router.get("/api/quality/pareto", dependencies=VIEW)
def api_pareto(
    store: StoreDep,
    by: Annotated[
        str, Query(description="machine, line, product, operator, tool or characteristic")
    ] = "machine",
    machine: Annotated[str | None, Query(description="only this machine's defects")] = None,
    product: Annotated[str | None, Query(description="only this product's defects")] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> list[dict[str, Any]]:
    """Defects ranked: scrap by machine, line, product, operator or tool; out-of-spec by
    characteristic."""
    try:
        return monitor.defect_pareto(
            store, by, machine=machine, product=product, start=start, end=end
        )
    except SmartFactoryError as exc:
        raise _errors(exc) from exc


@router.get("/api/quality/characteristics", dependencies=VIEW)
def api_characteristics(
    store: StoreDep,
    status: Annotated[
        bool, Query(description="also each one's Cp, Cpk, Pp, Ppk and recent rule alarms")
    ] = False,
) -> list[dict[str, Any]]:
    """Inspected characteristics (per product where their limits differ by product) with
    counts, specification limits and out-of-spec values; with ``status``, their capability and
    recent alarms, the alarms first."""
    return monitor.characteristic_status(store) if status else monitor.characteristics(store)


@router.get("/api/quality/tools", dependencies=VIEW)
def api_tools(store: StoreDep) -> list[dict[str, Any]]:
    """Tool and mould life: units and scrap rate since the latest maintenance and in all, the
    machine that used each last, and its latest maintenance; the most used first."""
    return monitor.tool_life(store)


@router.get("/api/quality/tools/wear", dependencies=VIEW)
def api_tool_wear(
    store: StoreDep,
    tool: Annotated[str | None, Query(description="one tool (default: all together)")] = None,
    bins: Annotated[int, Query(ge=2, le=50)] = 12,
) -> list[dict[str, Any]]:
    """Scrap rate by the units a tool had made since its latest maintenance: does scrap rise
    as a mould wears, and from how many units?"""
    return monitor.tool_wear(store, tool, bins)


@router.get("/api/quality/spc/{characteristic}", dependencies=VIEW)
def api_spc(
    characteristic: str,
    store: StoreDep,
    chart: str = "auto",
    machine: str | None = None,
    product: str | None = None,
    rules: str = "nelson",
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Control chart (with limits and the points where rules fire), capability and alarms.
    ``scrap`` (or a p/np/c/u chart) charts daily scrap from the counts."""
    if chart not in VARIABLE_CHARTS + ATTRIBUTE_CHARTS or rules not in (
        "nelson",
        "western_electric",
    ):
        raise HTTPException(422, f"unknown chart {chart!r} or rules {rules!r}")
    kw: dict[str, Any] = {"machine": machine, "product": product, "start": start, "end": end}
    try:
        if characteristic == "scrap" or chart in ATTRIBUTE_CHARTS:
            res = monitor.scrap_chart(
                store,
                chart="p" if chart == "auto" else chart,  # type: ignore[arg-type]
                rules=rules,  # type: ignore[arg-type]
                **kw,
            )
        else:
            res = monitor.characteristic_chart(
                store,
                characteristic,
                chart=chart,  # type: ignore[arg-type]
                rules=rules,  # type: ignore[arg-type]
                **kw,
            )
    except SmartFactoryError as exc:
        raise _errors(exc) from exc
    return res.as_dict()


def _rootcause(
    request: Request,
    store: Store,
    product: str | None,
    start: datetime | None,
    end: datetime | None,
) -> dict[str, Any]:
    from ...quality.context import analyse_store, evidence

    # per company (the store is scoped to one), question and data
    key = (
        getattr(store, "enterprise", None),
        product,
        start,
        end,
        tuple(sorted(store.record_counts().items())),
    )
    cache: dict[Any, dict[str, Any]] = request.app.state.__dict__.setdefault("quality_cache", {})
    if key in cache:
        return cache[key]
    analyzer, ctx = analyse_store(store, product=product, start=start, end=end)
    result = analyzer.to_dict()
    for c in result["causes"]:
        c["evidence"] = evidence(ctx, c)
    while len(cache) >= CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = result
    return result


@router.get("/api/quality/rootcause", dependencies=VIEW)
def api_rootcause(
    request: Request,
    store: StoreDep,
    product: str | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Candidate causes of scrap over the stored lots, tested out of sample, each with the
    data behind it (``evidence``: the scrap rate over the feature's range or levels)."""
    try:
        return _rootcause(request, store, product, start, end)
    except SmartFactoryError as exc:
        raise _errors(exc) from exc


@router.get("/quality/rootcause.xlsx", dependencies=VIEW)
def rootcause_excel(
    request: Request,
    store: StoreDep,
    product: str | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> Response:
    """The root-cause result as an Excel workbook (causes, model, contrasts, importance,
    columns left out), headers in Korean and English."""
    from ...quality.excel import write_rootcause_excel

    result = api_rootcause(request, store, product, start, end)
    name = f"rootcause{'-' + product if product else ''}.xlsx"
    return Response(
        write_rootcause_excel({"source": "store", "target": "scrap per lot", **result}),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/quality/tools.xlsx", dependencies=VIEW)
def tools_excel(request: Request, store: StoreDep) -> Response:
    """Tool and mould life and the scrap curve over a tool's life as an Excel workbook."""
    from ...quality.excel import write_tools_excel

    tz = queries.site_zone(store, request.app.state.settings.timezone)
    data = write_tools_excel(monitor.tool_life(store), monitor.tool_wear(store), tz)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="tools.xlsx"'},
    )


# -- pages ---------------------------------------------------------------------------------


def _page(request: Request, name: str, lang: str | None, **ctx: Any) -> HTMLResponse:
    """A quality page in the shared layout (``lang`` is read by :func:`render` itself)."""
    return render(request, name, ctx)


@router.get("/quality", response_class=HTMLResponse, dependencies=VIEW)
def page_quality(request: Request, store: StoreDep, lang: str | None = None) -> HTMLResponse:
    """Defect Pareto, daily scrap p chart, and the characteristics with their SPC links."""
    return _page(
        request,
        "quality.html",
        lang,
        characteristics=cached(
            request, store, ("q_status",), lambda: monitor.characteristic_status(store)
        ),
        pareto_by=monitor.pareto_dimensions(store),
        pareto_machines=[
            r["m"] for r in store.rows("SELECT DISTINCT machine AS m FROM counts ORDER BY 1")
        ],
        pareto_products=[
            r["p"] for r in store.rows("SELECT DISTINCT product AS p FROM counts ORDER BY 1")
        ],
        tools=cached(request, store, ("q_tools",), lambda: monitor.tool_life(store)),
        tz=queries.site_zone(store, request.app.state.settings.timezone),
    )


@router.get("/quality/spc/{characteristic}", response_class=HTMLResponse, dependencies=VIEW)
def page_spc(
    request: Request,
    characteristic: str,
    store: StoreDep,
    chart: str = "auto",
    machine: str | None = None,
    product: str | None = None,
    lang: str | None = None,
) -> HTMLResponse:
    """One control chart with its limits, capability and alarms."""
    problem = None
    try:
        data = api_spc(
            characteristic, store, chart=chart, machine=machine or None, product=product or None
        )
    except HTTPException as exc:
        if exc.status_code not in (404, 422):
            raise
        data, problem = None, exc.detail if exc.status_code == 422 else None
    return _page(
        request,
        "quality_spc.html",
        lang,
        characteristic=characteristic,
        data=data,
        chart=chart,
        machine=machine or "",
        product=product or "",
        problem=problem,
    )


@router.get("/quality/rootcause", response_class=HTMLResponse, dependencies=VIEW)
def page_rootcause(
    request: Request,
    store: StoreDep,
    product: str | None = None,
    lang: str | None = None,
) -> HTMLResponse:
    """Root-cause findings with their evidence charts."""
    try:
        result = _rootcause(request, store, product, None, None)
        error = None
    except (InputError, NotFoundError) as exc:
        result, error = None, str(exc)
    products = [r["product"] for r in store.rows("SELECT DISTINCT product FROM counts ORDER BY 1")]
    return _page(
        request,
        "quality_rootcause.html",
        lang,
        r=result,
        error=error,
        product=product or "",
        products=products,
    )
