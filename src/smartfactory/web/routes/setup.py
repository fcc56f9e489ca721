"""Settings: the equipment tree, products and ideal cycle times, shift calendars, connectors,
and (admins) how many users the company has, with a link to the users page. Changes are
checked against the caller's company first."""

from __future__ import annotations

import logging
import tomllib
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from ...errors import ConfigError
from ...kpi.engine import set_shift_calendar
from .. import auth, queries
from ..deps import StoreDep, WriterDep, render
from ..security import PrincipalDep, require

logger = logging.getLogger(__name__)
router = APIRouter(tags=["settings"])


class Shift(BaseModel):
    shift: str = Field(min_length=1, max_length=40)
    start: str = Field(pattern=r"^\d{2}:\d{2}$", description="local HH:MM")
    end: str = Field(pattern=r"^\d{2}:\d{2}$", description="local HH:MM (may be after midnight)")


class ShiftCalendar(BaseModel):
    site: str = Field(min_length=1, max_length=200)
    shifts: list[Shift] = Field(min_length=1, max_length=12)


class ProductTime(BaseModel):
    product: str = Field(min_length=1, max_length=200)
    ideal_cycle_s: float = Field(gt=0, le=86_400, description="seconds per unit (ISO 22400 PRI)")
    machine: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)


def connectors(request: Request) -> list[dict[str, Any]]:
    """The connectors the service runs (from the connectors file), without secrets."""
    path = request.app.state.settings.connectors
    if not path:
        return []
    try:
        cfg = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return [{"type": "error", "detail": str(exc)}]
    out = []
    for kind in ("mqtt", "opcua"):
        for c in cfg.get(kind, []):
            out.append(
                {
                    "type": kind,
                    "address": c.get("broker") or c.get("endpoint") or c.get("url"),
                    "topics": c.get("topics") or c.get("topic"),
                }
            )
    return out


def settings_data(request: Request, store: Any) -> dict[str, Any]:
    return {
        "equipment": queries.equipment_tree(store),
        "products": queries.products(store),
        "connectors": connectors(request),
        "gateways": store.rows("SELECT name, created_at FROM gateways ORDER BY name"),
    }


@router.get("/api/settings", dependencies=[require("view_settings")])
def api_settings(request: Request, store: StoreDep) -> dict[str, Any]:
    """Equipment tree (with each site's zone and shifts), products and ideal cycle times,
    the connectors the service runs and the company's gateways."""
    return settings_data(request, store)


@router.get("/settings", response_class=HTMLResponse, dependencies=[require("view_settings")])
def page_settings(request: Request, store: StoreDep, principal: PrincipalDep) -> HTMLResponse:
    """Settings page."""
    users = auth.list_users(store) if principal.may("manage_users") else []
    return render(request, "settings.html", {"s": settings_data(request, store), "users": users})


def _own_site(store: Any, site: str) -> tuple[str, str]:
    row = store.rows("SELECT enterprise, site FROM sites WHERE site = ?", [site])
    if not row:
        raise HTTPException(404, f"no site {site!r} in your company")
    return row[0]["enterprise"], row[0]["site"]


@router.put("/api/settings/shifts", dependencies=[require("edit_settings")])
def api_set_shifts(
    request: Request, body: ShiftCalendar, store: StoreDep, writer: WriterDep
) -> dict[str, Any]:
    """Replace a site's shift calendar (shifts may not overlap)."""
    enterprise, site = _own_site(store, body.site)
    try:
        set_shift_calendar(
            writer, enterprise, site, [(s.shift, s.start, s.end) for s in body.shifts]
        )
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    request.app.state.settings_version += 1
    return {"site": site, "shifts": [s.model_dump() for s in body.shifts]}


@router.put("/api/settings/products", dependencies=[require("edit_settings")])
def api_set_product(
    request: Request, body: ProductTime, store: StoreDep, writer: WriterDep
) -> dict[str, Any]:
    """Set a product's ideal cycle time (on one machine of yours, or on all)."""
    if body.machine and not store.rows("SELECT 1 FROM equipment WHERE machine = ?", [body.machine]):
        raise HTTPException(404, f"no machine {body.machine!r} in your company")
    known = writer.scalar("SELECT count(*) FROM products WHERE product = ?", [body.product])
    visible = store.scalar("SELECT count(*) FROM products WHERE product = ?", [body.product])
    if known and not visible:
        raise HTTPException(409, f"product {body.product!r} belongs to another company")
    with writer.transaction():
        writer.con.execute(
            "DELETE FROM products WHERE product = ? AND machine IS NOT DISTINCT FROM ?",
            [body.product, body.machine],
        )
        writer.con.execute(
            "INSERT INTO products (product, ideal_cycle_s, machine, name) VALUES (?, ?, ?, ?)",
            [body.product, body.ideal_cycle_s, body.machine, body.name],
        )
    request.app.state.settings_version += 1
    return body.model_dump()


@router.post("/settings/shifts", dependencies=[require("edit_settings")])
def form_shifts(
    request: Request,
    store: StoreDep,
    writer: WriterDep,
    site: Annotated[str, Form()],
    shifts: Annotated[str, Form(description="one per line: name HH:MM HH:MM")],
) -> Response:
    """The settings page's shift form."""
    parsed = []
    for line in shifts.splitlines():
        parts = line.split()
        if len(parts) != 3:
            if parts:
                raise HTTPException(422, f"{line!r}: write 'name HH:MM HH:MM'")
            continue
        try:
            parsed.append(Shift(shift=parts[0], start=parts[1], end=parts[2]))
        except ValidationError as exc:
            why = "; ".join(e["msg"] for e in exc.errors())
            raise HTTPException(422, f"{line!r}: {why} (write 'name HH:MM HH:MM')") from exc
    if not parsed:
        raise HTTPException(422, "give at least one shift")
    try:
        calendar = ShiftCalendar(site=site, shifts=parsed)
    except ValidationError as exc:
        raise HTTPException(422, "; ".join(e["msg"] for e in exc.errors())) from exc
    api_set_shifts(request, calendar, store, writer)
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/products", dependencies=[require("edit_settings")])
def form_product(
    request: Request,
    store: StoreDep,
    writer: WriterDep,
    product: Annotated[str, Form()],
    ideal_cycle_s: Annotated[float, Form(gt=0, le=86_400)],
    machine: Annotated[str | None, Form()] = None,
) -> Response:
    """The settings page's product form."""
    try:
        body = ProductTime(product=product, ideal_cycle_s=ideal_cycle_s, machine=machine or None)
    except ValidationError as exc:
        raise HTTPException(422, "; ".join(e["msg"] for e in exc.errors())) from exc
    api_set_product(request, body, store, writer)
    return RedirectResponse("/settings", status_code=303)
