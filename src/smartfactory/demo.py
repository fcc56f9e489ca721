"""``smartfactory demo``: simulate a plant, import it, summarise it, serve it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from .ingest.importer import import_files
from .kpi.engine import KpiQuery, compute
from .settings import Settings
from .store.db import Store

logger = logging.getLogger(__name__)


@dataclass
class Summary:
    machines: int
    first: datetime | None
    last: datetime | None
    records: dict[str, int]
    dead_letters: int
    #: KPI rows per line (see :func:`smartfactory.kpi.engine.compute`)
    lines: list[dict[str, Any]]


def summarise(store: Store) -> Summary:
    """Machines, days, records and OEE per line: what `demo` prints and the home page shows."""
    span = store.rows(
        'SELECT count(DISTINCT machine) AS machines, min("start") AS first, '
        'max("end") AS last FROM states'
    )[0]
    return Summary(
        machines=int(span["machines"]),
        first=span["first"],
        last=span["last"],
        records=store.record_counts(),
        dead_letters=int(store.dead_letter_summary()["total"]),
        lines=compute(store, KpiQuery(by=("line",))).to_pylist(),
    )


def print_summary(summary: Summary, console: Console) -> None:
    span = (
        f"{summary.first:%Y-%m-%d %H:%M} – {summary.last:%Y-%m-%d %H:%M} UTC"
        if summary.first and summary.last
        else "no state data"
    )
    records = ", ".join(f"{k} {v:,}" for k, v in summary.records.items() if v)
    console.print(
        Text.assemble((f"{summary.machines} machines", "bold"), f", {span}; records: {records}")
    )
    t = Table(
        "line",
        "OEE",
        "availability",
        "effectiveness",
        "quality",
        "good",
        "scrap",
        title="OEE per line (ISO 22400, summed buckets)",
    )
    for r in summary.lines:
        t.add_row(
            r["line"],
            _pct(r["oee"]),
            _pct(r["availability"]),
            _pct(r["effectiveness"]),
            _pct(r["quality"]),
            f"{r['gq']:,.0f}",
            f"{r['sq']:,.0f}",
        )
    console.print(t)


def _apply_simulated_calendar(store: Store, files_dir: Path) -> None:
    """Give the simulated site the shift calendar the simulator used."""
    import json

    from .kpi.engine import set_shift_calendar

    truth = json.loads((files_dir / "ground_truth.json").read_text("utf-8"))
    plant, cal = truth["plant"], truth["calendar"]
    set_shift_calendar(
        store,
        plant["enterprise"],
        plant["site"],
        [(s["name"], s["start"], s["end"]) for s in cal["shifts"]],
    )


def _demo_admin(settings: Settings, files_dir: Path, console: Console) -> None:
    """An administrator of the simulated company with a fresh password, printed once
    (``smartfactory user add`` makes more)."""
    import json
    import secrets

    from .web.auth import add_user

    plant = json.loads((files_dir / "ground_truth.json").read_text("utf-8"))["plant"]
    password = secrets.token_urlsafe(9)
    with Store(settings.db, default_timezone=settings.timezone) as store:
        add_user(store, "admin", password, enterprise=plant["enterprise"], role="admin")
    console.print(
        Text.assemble("sign in as ", ("admin", "bold"), " with password ", (password, "bold"))
    )


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


def run_demo(
    settings: Settings,
    work_dir: Path,
    *,
    machines: int,
    days: int,
    seed: int,
    serve: bool,
    console: Console,
) -> None:
    from .sim import simulate

    work_dir.mkdir(parents=True, exist_ok=True)
    files_dir = work_dir / "files"
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("simulating the plant", total=days)
        simulate(
            files_dir,
            machines=machines,
            days=days,
            seed=seed,
            crew=True,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )
    console.print(f"simulated {machines} machines × {days} days into {files_dir}")
    with Store(settings.db, default_timezone=settings.timezone) as store:
        with Progress(console=console, transient=True) as bar:
            tasks: dict[str, object] = {}

            def progress(source: str, done: int, total: int) -> None:
                if source not in tasks:
                    tasks[source] = bar.add_task(f"importing {Path(source).name}", total=total)
                bar.update(tasks[source], completed=done)  # type: ignore[arg-type]

            reports = import_files(store, sorted(files_dir.glob("*.csv")), progress=progress)
        _apply_simulated_calendar(store, files_dir)
        for r in reports:
            d = r.as_dict()
            console.print(
                f"  {Path(r.source).name}: {d['accepted']:,} stored, {d['duplicates']:,} "
                f"already there, {d['rejected']:,} rejected"
            )
        summary = summarise(store)
    print_summary(summary, console)
    console.print(f"database: {settings.db}")
    _demo_admin(settings, files_dir, console)
    if serve:
        from .web.server import run

        run(settings)
