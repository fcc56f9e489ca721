"""Dependencies shared by the routers: the request's store, the templates."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from ..store.db import Store

templates = Jinja2Templates(directory=str(files("smartfactory.web") / "templates"))


def get_store(request: Request) -> Iterator[Store]:
    """The app's store on a cursor of its own for this request (thread-safe)."""
    store = request.app.state.store.cursor()
    try:
        yield store
    finally:
        store.close()


StoreDep = Annotated[Store, Depends(get_store)]
