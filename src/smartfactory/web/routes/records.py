"""Orders against plan, lot trace, file import with its validation report, dead letters."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from ...errors import InputError, NotFoundError
from .. import queries
from ..deps import StoreDep, WriterDep, render
from ..imports import import_upload
from ..security import PrincipalDep, require

logger = logging.getLogger(__name__)
router = APIRouter(tags=["records"])
VIEW = [require("view")]
#: file types the import page takes
UPLOAD_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
MAX_UPLOAD_BYTES = 200 << 20
_import_lock = threading.Lock()

Status = Annotated[str, Query(pattern="^(all|open|late|done)$")]


def _zone(request: Request, store: Any) -> Any:
    return queries.site_zone(store, request.app.state.settings.timezone)


# -- orders --------------------------------------------------------------------------------


@router.get("/api/orders", dependencies=VIEW)
def api_orders(request: Request, store: StoreDep, status: Status = "all") -> dict[str, Any]:
    """Orders with good units made against the ordered quantity, and whether they are
    done, late, running or planned (as of now, or the end of the data)."""
    return queries.orders(store, queries.as_of(store), status)


@router.get("/orders", response_class=HTMLResponse, dependencies=VIEW)
def page_orders(request: Request, store: StoreDep, status: Status = "all") -> HTMLResponse:
    """Orders: progress against plan."""
    data = queries.orders(store, queries.as_of(store), status)
    return render(request, "orders.html", {"d": data, "tz": _zone(request, store)})


# -- lot trace -----------------------------------------------------------------------------


@router.get("/trace", response_class=HTMLResponse, dependencies=VIEW)
def page_trace(request: Request, store: StoreDep, lot: str | None = None) -> HTMLResponse:
    """Lot genealogy both ways: what a lot was made of and what it went into."""
    from ...quality.genealogy import trace

    result, error = None, None
    if lot:
        try:
            result = trace(store, lot.strip()).as_dict()
        except NotFoundError:
            error = "not_found"
    recent = store.rows(
        "SELECT lot, product, created FROM lots WHERE machine IS NOT NULL "
        "ORDER BY created DESC NULLS LAST LIMIT 10"
    )
    return render(
        request,
        "trace.html",
        {
            "lot": lot or "",
            "r": result,
            "error": error,
            "recent": recent,
            "tz": _zone(request, store),
        },
        status_code=404 if error else 200,
    )


# -- import --------------------------------------------------------------------------------


async def _save(upload: UploadFile, folder: Path) -> Path:
    name = Path(upload.filename or "upload.csv").name
    if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise HTTPException(422, f"{name}: upload a CSV, Excel (.xlsx) or Parquet file")
    target = folder / name
    size = 0
    with target.open("wb") as fh:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise HTTPException(413, f"{name} is larger than {MAX_UPLOAD_BYTES >> 20} MiB")
            fh.write(chunk)
    return target


async def _import(
    request: Request, files: list[UploadFile], principal: Any, writer: Any
) -> dict[str, Any]:
    if not files:
        raise HTTPException(422, "choose at least one file")
    folder = Path(tempfile.mkdtemp(prefix="sf-upload-"))
    try:
        paths = [await _save(f, folder) for f in files]
        with _import_lock:  # one import at a time: DuckDB has one writer
            try:
                return import_upload(
                    writer,
                    paths,
                    enterprise=str(principal.enterprise),
                    username=principal.name,
                    limits_from=request.app.state.settings,
                )
            except InputError as exc:
                raise HTTPException(422, str(exc)) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/api/import", dependencies=[require("import")])
async def api_import(
    request: Request, files: list[UploadFile], principal: PrincipalDep, writer: WriterDep
) -> dict[str, Any]:
    """Import CSV / Excel / Parquet files into your company's data. The answer is the
    validation report: per file what was stored, already there, or rejected, and every
    rejected row with its line and reason (also kept in the dead letters)."""
    return await _import(request, files, principal, writer)


def _kinds() -> list[dict[str, Any]]:
    """What can be imported: each record kind with its columns (required first)."""
    from ...model import KINDS, LOAD_ORDER

    return [
        {
            "name": k.name,
            "ko": k.ko,
            "required": [(f.name, f.ko) for f in k.fields if f.required],
            "optional": [(f.name, f.ko) for f in k.fields if not f.required],
        }
        for k in (KINDS[n] for n in LOAD_ORDER)
    ]


@router.get("/import", response_class=HTMLResponse, dependencies=[require("import")])
def page_import(request: Request) -> HTMLResponse:
    """The upload form, what each kind of file holds, and the Excel template."""
    return render(request, "import.html", {"report": None, "kinds": _kinds()})


@router.get("/import/template.xlsx", dependencies=[require("import")])
def import_template() -> Response:
    """An Excel workbook with a sheet per record kind (English and Korean headers, required
    columns shaded) and a help sheet: fill it in and upload it as it is."""
    from ...ingest.templates import write_template
    from ...model import LOAD_ORDER

    with tempfile.TemporaryDirectory() as tmp:
        data = write_template(list(LOAD_ORDER), Path(tmp) / "template.xlsx").read_bytes()
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="smartfactory-template.xlsx"'},
    )


@router.post("/import", response_class=HTMLResponse, dependencies=[require("import")])
async def page_import_post(
    request: Request, files: list[UploadFile], principal: PrincipalDep, writer: WriterDep
) -> HTMLResponse:
    """Upload, then show the validation report."""
    try:
        report = await _import(request, files, principal, writer)
        error = None
    except HTTPException as exc:
        report, error = None, exc.detail
    return render(request, "import.html", {"report": report, "error": error, "kinds": _kinds()})


# -- dead letters --------------------------------------------------------------------------


@router.get("/api/dead-letters", dependencies=[require("view_rejects")])
def api_dead_letters(
    store: StoreDep,
    reason: str | None = None,
    batch: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> dict[str, Any]:
    """Rejected records of your company, newest first: source, line, reason, raw input."""
    return queries.dead_letters(store, reason, batch, limit)


@router.get("/dead-letters", response_class=HTMLResponse, dependencies=[require("view_rejects")])
def page_dead_letters(
    request: Request,
    store: StoreDep,
    reason: str | None = None,
    batch: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> HTMLResponse:
    """Rejected records, by reason."""
    data = queries.dead_letters(store, reason, batch)
    return render(
        request,
        "dead_letters.html",
        {"d": data, "reason": reason, "tz": _zone(request, store)},
    )
