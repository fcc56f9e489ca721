"""What every command-line module shares: the consoles, the common options, JSON output, the
store opened from the settings, and the progress bar.

:mod:`.cli` defines the commands; :mod:`.cli_forecast` and :mod:`.program.commands` add
theirs to it, and all three take these from here (not from :mod:`.cli`, which imports them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .settings import get_settings
from .store.db import Store

#: messages, progress and errors (stderr); results (stdout). Markup is off: what they print
#: is mostly the user's own text (column names with units such as ``Speed [rpm]``, file
#: names, reasons), which Rich would read as style tags and drop; styles are given as
#: :class:`rich.text.Text` where wanted.
console = Console(stderr=True, markup=False)
out = Console(markup=False)

DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB database file [env SMARTFACTORY_DB; default ./smartfactory.duckdb].",
)
FORMAT_JSON = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
JOBS_OPTION = click.option(
    "--jobs", type=int, default=None, help="Processes to use [default: every core]."
)


def _json_default(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def print_json(obj: Any) -> None:
    """``obj`` as indented JSON on stdout (Korean as is, times in ISO 8601)."""
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default))


@contextmanager
def open_store(db: Path | None, *, read_only: bool = False) -> Iterator[Store]:
    """The factory store of ``--db`` (or the settings' default), closed afterwards."""
    settings = get_settings(db=db)
    store = Store(settings.db, read_only=read_only, default_timezone=settings.timezone)
    try:
        yield store
    finally:
        store.close()


def progress_bar(label: str = "{task.description}") -> Progress:
    """A transient progress bar on stderr: label, bar, done / total, time left."""
    return Progress(
        TextColumn(label, markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
