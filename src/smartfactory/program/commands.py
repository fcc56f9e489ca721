"""``smartfactory program …``: thin shells over the programme library (registered in cli.py).

Heavy libraries (pandas, scikit-learn, statsmodels, WeasyPrint, cryptography) are imported
inside the commands, so the rest of the CLI starts fast without the ``program`` extra.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ..cli_common import FORMAT_JSON, out, print_json
from ..settings import get_settings
from .schema import ProgramDB

logger = logging.getLogger(__name__)

PROGRAM_DB = click.option(
    "--program-db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Programme DuckDB file [env SMARTFACTORY_PROGRAM_DB; default ./program.duckdb].",
)


@contextmanager
def _db(path: Path | None, read_only: bool = False) -> Iterator[ProgramDB]:
    db = ProgramDB(get_settings(program_db=path).program_db, read_only=read_only)
    try:
        yield db
    finally:
        db.close()


def _table(rows: list[dict[str, Any]], title: str) -> None:
    if not rows:
        out.print(f"{title}: nothing")
        return
    t = Table(*rows[0].keys(), title=title)
    for r in rows:
        t.add_row(*("–" if v is None else f"{v:,.4g}" if isinstance(v, float) else str(v)
                    for v in r.values()))  # fmt: skip
    out.print(t)


@click.group()
def program() -> None:
    """The programme side: registry, life cycle, federation, roll-ups, impact, reports."""


@program.command("impact")
@click.option("--panel", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--unit", required=True, help="Column naming the unit (firm).")
@click.option("--time", "time_col", required=True, help="Column of the period (year, month…).")
@click.option("--treated", required=True, help="Column: 1 from when support took effect, else 0.")
@click.option("--outcome", required=True, help="Column of the outcome.")
@click.option("--covariates", default="", help="Comma-separated columns to match on.")
@click.option("--confidence", default=0.95, show_default=True)
@FORMAT_JSON
def impact_cmd(
    panel: Path,
    unit: str,
    time_col: str,
    treated: str,
    outcome: str,
    covariates: str,
    confidence: float,
    fmt: str,
) -> None:
    """Effect of support: propensity-score matching + difference-in-differences."""
    from .impact import estimate_impact, read_panel

    r = estimate_impact(
        read_panel(panel),
        unit=unit,
        time=time_col,
        treated=treated,
        outcome=outcome,
        covariates=tuple(c.strip() for c in covariates.split(",") if c.strip()),
        confidence=confidence,
    )
    if fmt == "json":
        print_json(r.as_dict())
        return
    out.print(
        f"{r.method}: effect on {outcome} {r.effect:+.4g} "
        f"({100 * confidence:.0f} % CI {r.ci_low:.4g} … {r.ci_high:.4g}, p = {r.p_value:.3g}); "
        f"{r.n_treated} treated matched to {r.n_control} comparison units"
        f"{f', {r.unmatched} treated left unmatched' if r.unmatched else ''}"
    )


@program.command("import-companies")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@PROGRAM_DB
@FORMAT_JSON
def import_companies_cmd(file: Path, program_db: Path | None, fmt: str) -> None:
    """Register companies from CSV/Excel; bad rows are listed with line and reason."""
    from .registry import import_companies

    with _db(program_db) as db:
        accepted, rejected = import_companies(db, str(file))
    if fmt == "json":
        print_json({"accepted": accepted, "rejected": rejected})
        return
    out.print(f"{accepted} companies registered, {len(rejected)} rejected")
    _table(rejected, "rejected rows")


@program.command("companies")
@PROGRAM_DB
@click.option("--region", help="Only this region (id such as gyeonggi).")
@FORMAT_JSON
def companies_cmd(program_db: Path | None, region: str | None, fmt: str) -> None:
    """List registered companies and their number of projects."""
    from .registry import list_companies

    with _db(program_db, read_only=True) as db:
        rows = list_companies(db, region)
    print_json(rows) if fmt == "json" else _table(rows, "companies")


@program.command("assign-officer")
@click.argument("officer")
@click.option("--region", help="A region the officer sees (id such as gyeonggi).")
@click.option("--programme", "programme_id", help="A programme the officer sees (its id).")
@PROGRAM_DB
def assign_officer_cmd(
    officer: str, region: str | None, programme_id: str | None, program_db: Path | None
) -> None:
    """Let program officer OFFICER (the web user's name) see a region and/or a programme."""
    from .registry import assign_officer

    with _db(program_db) as db:
        assign_officer(db, officer, programme_id=programme_id, region=region)
    scope = [f"programme {programme_id}" * bool(programme_id), f"region {region}" * bool(region)]
    out.print(f"{officer} sees " + " and ".join(x for x in scope if x))


@program.command("rollup")
@PROGRAM_DB
@click.option(
    "--by",
    type=click.Choice(["region", "industry", "size", "level", "track", "year"]),
    default="region",
    show_default=True,
)
@click.option(
    "--what",
    type=click.Choice(["funding", "results", "summaries", "progress"]),
    default="funding",
    show_default=True,
)
@click.option("--officer", help="Only what this program officer may see.")
@FORMAT_JSON
def rollup_cmd(program_db: Path | None, by: str, what: str, officer: str | None, fmt: str) -> None:
    """Roll-ups: funding, results (mean change per indicator), summaries, progress."""
    from . import rollup

    with _db(program_db, read_only=True) as db:
        if what == "funding":
            rows = rollup.funding_rollup(db, by, officer)
        elif what == "results":
            rows = rollup.results_rollup(db, by, officer)
        elif what == "summaries":
            rows = rollup.summary_rollup(db, by)
        else:
            rows = rollup.progress(db)
    print_json(rows) if fmt == "json" else _table(rows, f"{what} by {by}")


@program.command("report")
@PROGRAM_DB
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path))
@click.option("--officer", help="Only what this program officer may see.")
def report_cmd(program_db: Path | None, out_path: Path, officer: str | None) -> None:
    """Programme performance report as PDF (Korean fonts) or Excel, by the file's suffix."""
    from .report import gather, write_report

    with _db(program_db, read_only=True) as db:
        data = gather(db, officer=officer)
    write_report(data, out_path)
    out.print(f"report written to {out_path}")


@program.command("keygen")
@click.option("--key", required=True, type=click.Path(path_type=Path), help="Private key file.")
def keygen_cmd(key: Path) -> None:
    """Factory side: make the Ed25519 signing key; prints the public key to register."""
    from .federation import generate_key

    click.echo(generate_key(key), nl=False)


@program.command("enrol")
@click.argument("company_id")
@click.option("--public-key", required=True, type=click.Path(exists=True, path_type=Path))
@PROGRAM_DB
def enrol_cmd(company_id: str, public_key: Path, program_db: Path | None) -> None:
    """Programme side: let a registered company publish; prints its token (shown once)."""
    from .federation import enrol

    with _db(program_db) as db:
        click.echo(enrol(db, company_id, public_key.read_text("utf-8")))


@program.command("publish")
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path))
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The factory's DuckDB store [env SMARTFACTORY_DB].",
)
@click.option("--from", "start", required=True, help="Range start, ISO 8601 (naive = UTC).")
@click.option("--to", "end", required=True, help="Range end (exclusive), ISO 8601.")
def publish_cmd(config_path: Path, db: Path | None, start: str, end: str) -> None:
    """Factory side: sign and post KPI summaries of the consented indicators."""
    from ..store.db import Store
    from .federation import Consent, publish

    consent = Consent.load(config_path)
    lo, hi = (_utc(start), _utc(end))
    settings = get_settings(db=db)
    with Store(settings.db, read_only=True) as store:
        answers = publish(store, consent, lo, hi)
    for a in answers:
        out.print(f"published {a['days']} day(s) of site {a['site']} for {a['company_id']}")


def _utc(value: str) -> datetime:
    try:
        t = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or date-time") from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@program.command("serve")
@PROGRAM_DB
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=int)
def serve_cmd(program_db: Path | None, host: str, port: int) -> None:
    """Programme side: serve the summary API (POST /api/program/summaries)."""
    from .server import run

    run(get_settings(program_db=program_db).program_db, host, port)
