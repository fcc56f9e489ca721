"""The ``smartfactory`` command: thin shells over the library. Only this module sets up logging."""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pyarrow as pa
import pyarrow.csv as pacsv
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from . import __version__
from .cli_common import DB_OPTION, FORMAT_JSON, console, open_store, out, print_json, progress_bar
from .errors import ConfigError, SmartFactoryError
from .kpi.engine import BUCKETS, RATIOS
from .model import KINDS
from .quality.monitor import PARETO_BY
from .settings import get_settings

logger = logging.getLogger(__name__)


def _parse_time(value: str | None, tz: str) -> datetime | None:
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or date-time") from exc
    return t if t.tzinfo else t.replace(tzinfo=ZoneInfo(tz))


class _Group(click.Group):
    """Turns SmartFactory errors into one clear line and exit code 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SmartFactoryError as exc:
            console.print(Text.assemble(("error:", "red"), f" {exc}"))
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="smartfactory")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """SmartFactory: production records, machine monitoring, ISO 22400 KPIs, quality and AI
    for small factories, on one DuckDB file."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


# -- data in -----------------------------------------------------------------------------------


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(list(KINDS)), help="Record kind (default: detected).")
@DB_OPTION
@FORMAT_JSON
def import_cmd(files: tuple[Path, ...], kind: str | None, db: Path | None, fmt: str) -> None:
    """Import CSV, Excel or Parquet FILES. Good rows are stored, bad rows go to the dead letters
    with file, line and reason. Exits non-zero only if nothing could be read."""
    from .ingest.importer import import_files

    settings = get_settings(db=db)
    limits = _limits(settings)
    with open_store(db) as store, progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def progress(source: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(Path(source).name, total=total)
            bar.update(tasks[source], completed=done)

        reports = import_files(
            store,
            files,
            kind=kind,
            limits=limits,
            batch_rows=settings.import_batch_rows,
            progress=progress,
        )
    if fmt == "json":
        print_json([r.as_dict() for r in reports])
    else:
        t = Table("file", "kind", "rows", "accepted", "duplicates", "rejected", "reasons")
        for r in reports:
            if r.error:
                t.add_row(r.source, "-", "-", "-", "-", "-", Text("not read (below)", "red"))
                continue
            d = r.as_dict()
            reasons = (
                ", ".join(f"{k} {v}" for k, v in r.result.by_reason.items()) if r.result else ""
            )
            t.add_row(
                r.source,
                str(d["kind"]),
                f"{d['rows']:,}",
                f"{d['accepted']:,}",
                f"{d['duplicates']:,}",
                Text(f"{d['rejected']:,}", "red") if d["rejected"] else "0",
                reasons,
            )
        out.print(t)
        for r in reports:
            if r.error:
                out.print(Text.assemble(("not read:", "red"), f" {r.error}"), soft_wrap=True)
        if any(r.result and r.result.rejected for r in reports):
            out.print("See rejected rows with: smartfactory dead-letters")
    if all(not r.ok for r in reports):
        sys.exit(2)


@main.command()
@click.argument("kind", type=click.Choice([*KINDS, "all"]))
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Output .xlsx file.")
def template(kind: str, out_path: Path | None) -> None:
    """Write an Excel template for KIND (or all kinds) with English and Korean headers."""
    from .ingest.templates import write_template

    kinds = list(KINDS) if kind == "all" else [kind]
    path = write_template(kinds, out_path or Path(f"{kind}_template.xlsx"))
    out.print(f"wrote {path}")


@main.command()
@click.option("--machines", default=10, show_default=True, help="Number of machines.")
@click.option("--days", default=28, show_default=True, help="Days to simulate.")
@click.option("--seed", default=0, show_default=True, help="Random seed (output is deterministic).")
@click.option("--start", "start_day", help="First day (YYYY-MM-DD, default a fixed Monday).")
@click.option("--no-causes", is_flag=True, help="Scrap is pure noise (for null tests).")
@click.option(
    "--crew",
    is_flag=True,
    help="Also who ran each count and with which mould, and the moulds' regrind log.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("sim"),
    show_default=True,
    help="Directory for the interchange files.",
)
@click.option(
    "--publish",
    "publish",
    metavar="mqtt://HOST:PORT",
    help="Then act as the plant: replay it to this MQTT broker (unified namespace).",
)
@click.option(
    "--serve-opcua",
    "serve_opcua",
    metavar="opc.tcp://HOST:PORT",
    help="Then act as the plant: serve it as an OPC UA server at this endpoint.",
)
@click.option(
    "--speed",
    default=60.0,
    show_default=True,
    help="Replay speed: simulated seconds per second (0: as fast as possible).",
)
def simulate(
    machines: int,
    days: int,
    seed: int,
    start_day: str | None,
    no_causes: bool,
    crew: bool,
    out_dir: Path,
    publish: str | None,
    serve_opcua: str | None,
    speed: float,
) -> None:
    """Simulate a plant and write its interchange files plus ground_truth.json; with
    --publish or --serve-opcua, then replay it live."""
    from datetime import date

    from .sim import simulate as run_sim

    with progress_bar() as bar:
        task = bar.add_task("simulating", total=days)
        summary = run_sim(
            out_dir,
            machines=machines,
            days=days,
            seed=seed,
            start=date.fromisoformat(start_day) if start_day else None,
            causes=not no_causes,
            crew=crew,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )
    print_json(summary)
    from .sim import replay

    if publish:
        console.print(f"replaying to {publish} at {speed:g}× (Ctrl+C to stop)")
        n = replay.publish_mqtt(out_dir, publish, speed=speed)
        console.print(f"published {n:,} events")
    if serve_opcua:
        cfg = out_dir / "opcua.toml"
        cfg.write_text(replay.opcua_config(out_dir, serve_opcua), "utf-8")
        console.print(
            f"serving {serve_opcua} at {speed:g}×; node map for "
            f"`smartfactory ingest opcua --config {cfg}`"
        )
        n = replay.serve_opcua(out_dir, serve_opcua, speed=speed)
        console.print(f"served {n:,} events")


# -- what is stored ----------------------------------------------------------------------------


@main.command()
@DB_OPTION
@FORMAT_JSON
def status(db: Path | None, fmt: str) -> None:
    """Record counts per kind and dead letters per reason."""
    with open_store(db) as store:
        st = store.status()
    if fmt == "json":
        print_json(st)
        return
    t = Table("kind", "records")
    for k, n in st["records"].items():
        t.add_row(k, f"{n:,}")
    out.print(t)
    dl = st["dead_letters"]
    out.print(f"dead letters: {dl['total']:,}")
    for reason, n in dl["by_reason"].items():
        out.print(f"  {reason}: {n:,}")


@main.command("dead-letters")
@DB_OPTION
@click.option("--reason", help="Only this reason code.")
@click.option("--limit", default=50, show_default=True)
@FORMAT_JSON
def dead_letters(db: Path | None, reason: str | None, limit: int, fmt: str) -> None:
    """Show rejected records: where they came from, the line, the reason and the raw input."""
    with open_store(db) as store:
        rows = store.rows(
            "SELECT id, received_at, source, kind, line, reason, detail, raw FROM dead_letters "
            "WHERE ($reason IS NULL OR reason = $reason) ORDER BY id DESC LIMIT $limit",
            {"reason": reason, "limit": limit},
        )
    if fmt == "json":
        print_json(rows)
        return
    t = Table("source", "line", "reason", "detail")
    for r in rows:
        t.add_row(str(r["source"]), str(r["line"] or ""), r["reason"], r["detail"] or "")
    out.print(t)


@main.command()
@click.argument("lot")
@DB_OPTION
@FORMAT_JSON
def trace(lot: str, db: Path | None, fmt: str) -> None:
    """Where LOT came from and where it went, with orders, machines, times and inspections."""
    from .quality.genealogy import trace as run_trace

    with open_store(db) as store:
        tr = run_trace(store, lot)
    if fmt == "json":
        print_json(tr.as_dict())
        return
    info = tr.info
    root = Tree(
        Text.assemble((lot, "bold"), f" {info.get('product', '')} qty {info.get('quantity', '')}")
    )
    up = root.add(Text("made from (upstream)", "cyan"))
    for n in tr.upstream:
        up.add(
            f"{'  ' * (-n.depth - 1)}{n.lot} ← {n.via}  {n.info.get('product') or ''} "
            f"{n.info.get('supplier') or n.info.get('machine') or ''}"
        )
    down = root.add(Text("went into (downstream)", "magenta"))
    for n in tr.downstream:
        down.add(f"{'  ' * (n.depth - 1)}{n.lot} ← {n.via}  {n.info.get('product') or ''}")
    prod = root.add("production")
    for p in tr.production:
        prod.add(
            f"{p['machine']} ({p['line']}) {p['product']} order {p['order']}: "
            f"{p['first_ts']:%Y-%m-%d %H:%M} – {p['last_ts']:%Y-%m-%d %H:%M} UTC, "
            f"good {p['good']}, scrap {p['scrap']}, rework {p['rework']}"
        )
    insp = root.add("inspections")
    for i in tr.inspections:
        insp.add(
            f"{i['characteristic']}: n={i['n']} mean={i['mean']:.4g} "
            f"[{i['min']:.4g}, {i['max']:.4g}] spec [{i['lsl']}, {i['usl']}] "
            f"out of spec {i['out_of_spec']}"
        )
    orders = root.add("orders")
    for o in tr.orders:
        orders.add(f"{o['order']} {o['product']} qty {o['quantity']} due {o['due']}")
    out.print(root)


@main.command()
@DB_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Directory to write kind/enterprise=…/site=…/date=…/ Parquet files into.",
)
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(KINDS)))
def export(db: Path | None, out_dir: Path, kinds: tuple[str, ...]) -> None:
    """Export the store to Parquet partitioned by enterprise / site / local date."""
    from .store.export import export_parquet

    with open_store(db) as store:
        written = export_parquet(store, out_dir, list(kinds) or None)
    print_json(written)


@main.command()
@DB_OPTION
@click.option(
    "--by",
    default="machine",
    show_default=True,
    help="Levels and one time grain, e.g. machine,day or line,week "
    "(enterprise, site, area, line, machine; hour, day, week, month).",
)
@click.option("--from", "start", help="Range start, ISO 8601 (naive = default time zone).")
@click.option("--to", "end", help="Range end (exclusive), ISO 8601.")
@click.option("--machine", "machines", multiple=True, help="Only these machines.")
@click.option(
    "--minor-stop-s",
    default=120.0,
    show_default=True,
    help="Unplanned stops shorter than this are minor stops, not failures.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json", "text"]), default="text", show_default=True
)
def kpi(
    db: Path | None,
    by: str,
    start: str | None,
    end: str | None,
    machines: tuple[str, ...],
    minor_stop_s: float,
    fmt: str,
) -> None:
    """ISO 22400 KPIs: buckets (seconds, counts) and ratios (0–1) by the chosen dimensions."""
    from .kpi.engine import KpiQuery, compute

    settings = get_settings(db=db)
    qy = KpiQuery.parse_by(
        by,
        start=_parse_time(start, settings.timezone),
        end=_parse_time(end, settings.timezone),
        machines=machines or None,
        minor_stop_s=minor_stop_s,
    )
    with open_store(db, read_only=True) as store:
        table = compute(store, qy)
    _emit_table(table, fmt)


@main.command()
@DB_OPTION
@click.option("--from", "start", help="Range start, ISO 8601 (naive = default time zone).")
@click.option("--to", "end", help="Range end (exclusive), ISO 8601.")
@click.option("--machine", "machines", multiple=True, help="Only these machines.")
@click.option("--minor-stop-s", default=120.0, show_default=True)
@click.option(
    "--states",
    "pareto_states",
    default="down",
    show_default=True,
    help="States whose reasons the Pareto ranks (comma-separated).",
)
@click.option("--top", default=10, show_default=True, help="Reasons shown in the Pareto.")
@FORMAT_JSON
def losses(
    db: Path | None,
    start: str | None,
    end: str | None,
    machines: tuple[str, ...],
    minor_stop_s: float,
    pareto_states: str,
    top: int,
    fmt: str,
) -> None:
    """Where the time went: the ISO 22400 loss waterfall, the six big losses, and the
    downtime Pareto by reason."""
    from .kpi.engine import KpiQuery, compute
    from .kpi.losses import downtime_pareto, six_big_losses, waterfall

    settings = get_settings(db=db)
    qy = KpiQuery(
        by=(),
        start=_parse_time(start, settings.timezone),
        end=_parse_time(end, settings.timezone),
        machines=machines or None,
        minor_stop_s=minor_stop_s,
    )
    with open_store(db, read_only=True) as store:
        rows = compute(store, qy).to_pylist()
        pareto = downtime_pareto(store, qy, tuple(pareto_states.split(","))).to_pylist()
    if not rows:
        out.print("no data")
        return
    steps, six = waterfall(rows[0]), six_big_losses(rows[0])
    if fmt == "json":
        print_json(
            {
                "waterfall": [vars(st) for st in steps],
                "six_big_losses": six,
                "oee": rows[0]["oee"],
                "downtime_pareto": pareto[:top],
            }
        )
        return
    period = steps[0].seconds or 1
    t = Table("step", "hours", "% of period", title="Loss waterfall (ISO 22400)")
    for st in steps:
        name = st.name if st.kind == "total" else f"  − {st.name}"
        t.add_row(name, f"{st.seconds / 3600:,.1f}", f"{100 * st.seconds / period:.1f}")
    out.print(t)
    t = Table("six big losses", "hours")
    for name, sec in six.items():
        t.add_row(name, f"{sec / 3600:,.1f}")
    out.print(t)
    t = Table("state", "reason", "hours", "events", "share", "cumulative", title="Downtime Pareto")
    for r in pareto[:top]:
        t.add_row(
            r["state"],
            r["reason"],
            f"{r['seconds'] / 3600:,.1f}",
            str(r["events"]),
            f"{100 * r['share']:.1f} %",
            f"{100 * r['cumulative']:.1f} %",
        )
    out.print(t)


_KPI_COLUMNS = {*BUCKETS, *RATIOS, "effectiveness_above_1"}
#: what the text view of `kpi` shows (csv and json carry every column)
_TEXT_COLS = (
    "oee",
    "availability",
    "effectiveness",
    "quality",
    "apt_s",
    "no_data_s",
    "pq",
    "sq",
    "failures",
)
_RATIO_COLS = {"oee", "availability", "effectiveness", "quality"}


def _emit_table(table: pa.Table, fmt: str) -> None:
    if fmt == "csv":
        buf = pa.BufferOutputStream()
        pacsv.write_csv(table, buf)
        sys.stdout.write(buf.getvalue().to_pybytes().decode())
    elif fmt == "json":
        print_json(table.to_pylist())
    else:
        dims = [c for c in table.column_names if c not in _KPI_COLUMNS]
        show = [*dims, *_TEXT_COLS]
        heads = [c.replace("_s", " h") if c in ("apt_s", "no_data_s") else c for c in show]
        t = Table(*heads, caption="--format csv or json for every bucket and KPI")
        for row in table.select(show).to_pylist():
            t.add_row(*(_fmt(k, v) for k, v in row.items()))
        out.print(t)


def _fmt(col: str, v: Any) -> str:
    if v is None:
        return "–"
    if col in _RATIO_COLS:
        return f"{100 * v:.1f} %"
    if col.endswith("_s"):
        return f"{v / 3600:,.1f}"
    if isinstance(v, float):
        return f"{v:,.0f}"
    return str(v)


@main.group()
def ingest() -> None:
    """Live connectors: run until interrupted, storing what machines send."""


@ingest.command("mqtt")
@click.option("--broker", required=True, help="mqtt://HOST:PORT")
@click.option(
    "--topic", "topics", multiple=True, help="Topic filter(s) [default: sf/v1/# and umh/v1/#]."
)
@DB_OPTION
@click.option("--client-id", default=None, help="MQTT client id (the broker keeps its session).")
@click.option(
    "--umh-map",
    "umh_map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file mapping UMH historian tags: state_tags = [...], [state_codes].",
)
def ingest_mqtt(
    broker: str,
    topics: tuple[str, ...],
    db: Path | None,
    client_id: str | None,
    umh_map: Path | None,
) -> None:
    """Subscribe to the unified namespace (QoS 1, persistent session) and store every message;
    a message is acknowledged only after it is stored."""
    import tomllib

    from .ingest.connectors import live_ingestor
    from .ingest.messages import UmhMapping
    from .ingest.mqtt import DEFAULT_TOPICS, MqttIngestor

    settings = get_settings(db=db, mqtt_client_id=client_id)
    umh = None
    if umh_map:
        try:
            umh = UmhMapping.from_config(tomllib.loads(umh_map.read_text("utf-8")), str(umh_map))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{umh_map}: not TOML ({exc})") from exc
    with open_store(db) as store:
        live = live_ingestor(store, settings, "mqtt", umh)
        ing = MqttIngestor(
            live, broker, topics=topics or DEFAULT_TOPICS, client_id=settings.mqtt_client_id
        )
        console.print(f"ingesting {', '.join(ing.topics)} from {broker} into {settings.db}")
        _run_until_interrupted(ing, "mqtt")


def _run_until_interrupted(connector: Any, name: str) -> None:
    """Run a connector in a thread until Ctrl+C or SIGTERM; print the running count of stored
    messages (on stderr, when it changes, at most once a second).

    The signals only ask the connector to stop (no ``KeyboardInterrupt`` thrown into the
    middle of a wait), so it finishes the batch in hand and leaves; a connector still busy
    :data:`STOP_GRACE_S` later is left behind (its batches are committed or unacknowledged,
    so the broker sends those again: nothing is lost)."""
    import signal
    import threading

    runner = threading.Thread(target=connector.run, name=name, daemon=True)
    asked: list[float] = []

    def on_signal(signum: int, frame: Any) -> None:
        if not asked:
            asked.append(time.monotonic())
            click.echo(f"stopping ({signal.Signals(signum).name})", err=True)
        connector.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    runner.start()
    last = -1
    try:
        while runner.is_alive():
            runner.join(1.0)
            if connector.stored_messages != last:
                last = connector.stored_messages
                click.echo(f"stored {last} messages", err=True)
            if asked and time.monotonic() - asked[0] > STOP_GRACE_S:
                click.echo("the connector did not stop in time; leaving it", err=True)
                break
    finally:
        connector.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


#: seconds a connector may take to stop after Ctrl+C / SIGTERM
STOP_GRACE_S = 15.0


@ingest.command("opcua")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Connectors file (TOML) with [[opcua]] endpoints and node maps.",
)
@DB_OPTION
def ingest_opcua(config_path: Path, db: Path | None) -> None:
    """Subscribe to the OPC UA nodes in the config and store their changes; reconnects with
    back-off when a server goes away."""
    from .ingest.connectors import live_ingestor
    from .ingest.opcua import OpcUaIngestor, load_config

    settings = get_settings(db=db)
    endpoints = load_config(config_path)
    with open_store(db) as store:
        ing = OpcUaIngestor(live_ingestor(store, settings, "opcua"), endpoints)
        console.print(f"ingesting {len(endpoints)} OPC UA endpoint(s) into {settings.db}")
        _run_until_interrupted(ing, "opcua")


@main.group()
def gateway() -> None:
    """Gateways that post data over HTTP (POST /api/ingest), one token each."""


@gateway.command("add")
@click.argument("name")
@click.option(
    "--enterprise", default=None, help="The company it posts for (others' topics are refused)."
)
@DB_OPTION
def gateway_add(name: str, enterprise: str | None, db: Path | None) -> None:
    """Create (or replace) gateway NAME and print its API token (shown once)."""
    from .web.gateways import add_gateway

    with open_store(db) as store:
        token = add_gateway(store, name, enterprise)
    click.echo(token)
    console.print(
        f"gateway {name!r}: send it as 'Authorization: Bearer <token>' to "
        "POST /api/ingest (the token is not stored, only its hash)"
    )


@main.group()
def user() -> None:
    """Users of the web app and the API (roles: admin, manager, operator, viewer; and the
    programme side's program_officer, program_admin)."""


@user.command("add")
@click.argument("username")
@click.option(
    "--enterprise",
    default=None,
    help="The company whose data the user sees (required, except for the programme roles, "
    "which belong to no company).",
)
@click.option(
    "--role",
    type=click.Choice(
        ["admin", "manager", "operator", "viewer", "program_officer", "program_admin"]
    ),
    default="viewer",
    show_default=True,
)
@click.option(
    "--password",
    default=None,
    help="The password (at least 8 characters); without it, it is asked for, or generated "
    "with --generate.",
)
@click.option("--generate", is_flag=True, help="Generate a password and print it once.")
@DB_OPTION
def user_add(
    username: str,
    enterprise: str | None,
    role: str,
    password: str | None,
    generate: bool,
    db: Path | None,
) -> None:
    """Add user USERNAME (or set a new password and role; their old sessions end)."""
    import secrets

    from .web.auth import add_user

    if generate:
        password = secrets.token_urlsafe(12)
    elif password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    with open_store(db) as store:
        u = add_user(store, username, str(password), enterprise=enterprise, role=role)
    of = f" of {u.enterprise}" if u.enterprise else " (programme side, no company)"
    console.print(f"user {u.username!r}: {u.role}{of}")
    if generate:
        click.echo(f"password: {password}")


@user.command("list")
@DB_OPTION
def user_list(db: Path | None) -> None:
    """List the users."""
    from .web.auth import list_users

    with open_store(db) as store:
        for u in list_users(store):
            click.echo(f"{u['username']}\t{u['enterprise']}\t{u['role']}")


@user.command("remove")
@click.argument("username")
@DB_OPTION
def user_remove(username: str, db: Path | None) -> None:
    """Remove user USERNAME and their API tokens."""
    from .web.auth import remove_user

    with open_store(db) as store:
        remove_user(store, username)
    console.print(f"removed {username!r}")


@user.command("token")
@click.argument("username")
@click.option("--name", default="script", show_default=True, help="What the token is for.")
@click.option("--days", type=int, default=None, help="Expires after this many days.")
@DB_OPTION
def user_token(username: str, name: str, days: int | None, db: Path | None) -> None:
    """Issue an API token acting as USERNAME and print it (shown once)."""
    from .web.auth import add_token

    with open_store(db) as store:
        token = add_token(store, username, name, days)
    click.echo(token)
    console.print("send it as 'Authorization: Bearer <token>' (only its hash is stored)")


def _limits(settings: Any) -> Any:
    from .ingest.validate import Limits

    return Limits.from_settings(settings)


# -- running the platform ----------------------------------------------------------------------


@main.command()
@DB_OPTION
@click.option("--host", default=None, help="Bind address [default 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [default 8000].")
@click.option(
    "--connectors",
    type=click.Path(path_type=Path),
    default=None,
    help="Connectors file (TOML): [[mqtt]] and [[opcua]] to run inside the service.",
)
def serve(db: Path | None, host: str | None, port: int | None, connectors: Path | None) -> None:
    """Run the web app (and the connectors in --connectors) on the store."""
    from .web.server import run

    settings = get_settings(db=db, host=host, port=port, connectors=connectors)
    run(settings)


@main.command()
@DB_OPTION
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Where the simulated files go.",
)
@click.option("--machines", default=12, show_default=True)
@click.option(
    "--days",
    default=88,
    show_default=True,
    help="Days to simulate (about a quarter, for the forecast and the plan; ending on a "
    "Thursday, so that the floor shows a working day).",
)
@click.option("--seed", default=7, show_default=True)
@click.option("--no-serve", is_flag=True, help="Stop after the summary (for scripts).")
@click.option("--port", default=None, type=int, help="Port of the web app [default 8000].")
@click.option(
    "--program",
    "program_demo",
    is_flag=True,
    help="Instead: a support programme (hundreds of companies, a few connected factories) "
    "in DIR/program.duckdb.",
)
def demo(
    db: Path | None,
    work_dir: Path,
    machines: int,
    days: int,
    seed: int,
    no_serve: bool,
    port: int | None,
    program_demo: bool,
) -> None:
    """Simulate a plant, import it, print a summary, and serve the web app on 127.0.0.1."""
    if program_demo:
        from .program.demo import run_program_demo

        run_program_demo(work_dir, seed=seed, console=out)
        return
    from .demo import run_demo

    settings = get_settings(db=db or work_dir / "smartfactory.duckdb", port=port)
    run_demo(
        settings, work_dir, machines=machines, days=days, seed=seed, serve=not no_serve, console=out
    )


# -- quality -----------------------------------------------------------------------------------


@main.command()
@click.option(
    "--data",
    "data_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CSV, Excel or Parquet table: one row per unit or lot (instead of the store).",
)
@click.option("--target", help="With --data: the outcome column (defect, scrap, failure…).")
@click.option("--positive", help="The outcome value studied against the rest.")
@click.option("--time-col", help="With --data: a time column for a chronological split.")
@click.option("--ignore", multiple=True, help="With --data: a column that is not a candidate.")
@DB_OPTION
@click.option("--product", help="Without --data: only lots of this product.")
@click.option("--from", "start", help="Without --data: range start, ISO 8601.")
@click.option("--to", "end", help="Without --data: range end (exclusive), ISO 8601.")
@click.option(
    "--chronological", is_flag=True, help="Without --data: validate on the latest 30 % of lots."
)
@click.option(
    "--metric",
    type=click.Choice(["roc_auc", "average_precision", "f1"]),
    default="roc_auc",
    show_default=True,
)
@click.option("--max-findings", default=10, show_default=True)
@click.option("--alpha", default=0.05, show_default=True, help="Significance after correction.")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the result to an Excel workbook (.xlsx).",
)
@FORMAT_JSON
def rootcause(
    data_file: Path | None,
    target: str | None,
    positive: str | None,
    time_col: str | None,
    ignore: tuple[str, ...],
    db: Path | None,
    product: str | None,
    start: str | None,
    end: str | None,
    chronological: bool,
    metric: str,
    max_findings: int,
    alpha: float,
    out_path: Path | None,
    fmt: str,
) -> None:
    """Rank candidate causes of defects: conditions with the outcome rate inside and outside,
    tested out of sample. From a table (--data FILE --target COL) or from the store's lots
    (scrap per lot with its machine, shift, material lots, process tags…)."""
    from .quality.context import analyse_store
    from .quality.rootcause import analyse_file

    if out_path is not None and out_path.suffix.lower() != ".xlsx":
        raise ConfigError(f"--out must be an .xlsx file, not {out_path.name}")
    params: dict[str, Any] = {"metric": metric, "max_findings": max_findings, "alpha": alpha}
    if data_file is not None:
        if not target:
            raise ConfigError("--data needs --target: the column holding the outcome")
        result = analyse_file(
            data_file, target, positive=positive, time_col=time_col, ignore=ignore, **params
        ).to_dict()
        result = {"source": str(data_file), "target": target, **result}
    else:
        settings = get_settings(db=db)
        with open_store(db, read_only=True) as store:
            analyzer, _ = analyse_store(
                store,
                product=product,
                start=_parse_time(start, settings.timezone),
                end=_parse_time(end, settings.timezone),
                chronological=chronological,
                **params,
            )
        result = {"source": str(settings.db), "target": "scrap per lot", **analyzer.to_dict()}
    if out_path is not None:
        from .quality.excel import write_rootcause_excel

        write_rootcause_excel(result, out_path)
    if fmt == "json":
        print_json(result)
        return
    _print_rootcause(result)
    if out_path is not None:
        out.print(f"wrote {out_path}")


def _print_rootcause(r: dict[str, Any]) -> None:
    m = r["model"]
    score = f"{m['score']:.3f}" if m["score"] is not None else "–"
    base = f"{m['baseline_score']:.3f}" if m["baseline_score"] is not None else "–"
    share = f"; forest share {m['forest_share']:.2f}" if m.get("forest_share") else ""
    out.print(
        f"{r['source']}: {r['rows']:,} rows, outcome {r['target']} = {r['positive']}; "
        f"model {m['metric']} {score} ({m['validation']}{share}), reference {base}"
    )
    if m.get("also"):
        a = m["also"]
        share = f"; forest share {a['forest_share']:.2f}" if a.get("forest_share") else ""
        out.print(
            f"  also {a['validation']}: {a['score']:.3f}{share}, "
            f"reference {a['baseline_score']:.3f}"
        )
    t = Table("#", "condition", "inside", "outside", "lift", "support", "p (adj.)", title="Causes")
    for c in r["causes"]:
        t.add_row(
            str(c["rank"]),
            Text(
                "\n".join([c["condition"], *(f"≡ {a['condition']}" for a in c["aliases"])]),
                "" if c["significant"] else "dim",
            ),
            _pct(c["rate_inside"]),
            _pct(c["rate_outside"]),
            f"{c['lift']:.2f}" if c["lift"] else "–",
            _pct(c["support"]),
            f"{c['p_adjusted']:.2g}" + (" ✓" if c["significant"] else ""),
        )
    out.print(t)
    v = r["findings_validation"]
    out.print(
        f"rates and p-values on the held-out {v['test_rows']:,} rows ({v['split']} split), "
        f"{v['correction']} at {v['alpha']}; ✓ = significant; ≡ the same rows (lots used "
        "together: the data cannot tell which)"
        + (
            "; a machine's late days (a rise over time) are tested as a trend over all its "
            "lots, every machine asked, against its own earlier lots"
            if any(c["test"] == "trend" for c in r["causes"])
            else ""
        )
        + ". --format json for every detail."
    )


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.2f} %"


@main.command()
@click.argument("characteristic", required=False)
@DB_OPTION
@click.option(
    "--chart",
    type=click.Choice(["auto", "xbar-r", "xbar-s", "i-mr", "p", "np", "c", "u"]),
    default="auto",
    show_default=True,
    help="Variables chart for a characteristic; p, np, c or u for daily scrap.",
)
@click.option("--machine", help="Only this machine.")
@click.option("--product", help="Only this product.")
@click.option("--from", "start", help="Range start, ISO 8601.")
@click.option("--to", "end", help="Range end (exclusive), ISO 8601.")
@click.option(
    "--rules",
    type=click.Choice(["nelson", "western_electric"]),
    default="nelson",
    show_default=True,
)
@click.option(
    "--pareto",
    "pareto_by",
    type=click.Choice(list(PARETO_BY)),
    help="Instead: the defect Pareto, scrap ranked by this (out-of-spec values by characteristic).",
)
@FORMAT_JSON
def spc(
    characteristic: str | None,
    db: Path | None,
    chart: str,
    machine: str | None,
    product: str | None,
    start: str | None,
    end: str | None,
    rules: str,
    pareto_by: str | None,
    fmt: str,
) -> None:
    """Control chart, capability and rule alarms of an inspected CHARACTERISTIC, or of daily
    scrap (CHARACTERISTIC `scrap`, or --chart p/np/c/u). Without one, list the
    characteristics. With --pareto, rank the defects instead."""
    from .quality.monitor import (
        characteristic_chart,
        characteristic_status,
        defect_pareto,
        scrap_chart,
    )

    settings = get_settings(db=db)
    kw: dict[str, Any] = {
        "machine": machine,
        "product": product,
        "start": _parse_time(start, settings.timezone),
        "end": _parse_time(end, settings.timezone),
        "rules": rules,
    }
    if pareto_by is not None:
        with open_store(db, read_only=True) as store:
            rows = defect_pareto(
                store, pareto_by, **{k: kw[k] for k in ("machine", "product", "start", "end")}
            )
        if fmt == "json":
            print_json(rows)
            return
        what = "out of spec" if pareto_by == "characteristic" else "scrap"
        t = Table(pareto_by, what, "checked", "rate", "share", "cumulative", title="Defect Pareto")
        for r in rows:
            t.add_row(
                str(r["key"]),
                f"{r['defects']:,.0f}",
                f"{r['checked']:,.0f}",
                _pct(r["rate"]),
                _pct(r["share"]),
                _pct(r["cumulative"]),
            )
        out.print(t)
        return
    with open_store(db, read_only=True) as store:
        if characteristic is None and chart in ("auto", "xbar-r", "xbar-s", "i-mr"):
            rows = characteristic_status(store, rules=rules)  # type: ignore[arg-type]
            if fmt == "json":
                print_json(rows)
                return
            t = Table(
                "characteristic",
                "product",
                "status",
                "alarms (latest 25)",
                "Cpk",
                "Ppk",
                "values",
                "LSL",
                "USL",
                "out of spec",
                title="Characteristics (the alarms first)",
            )
            two = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
            for c in rows:
                t.add_row(
                    c["characteristic"],
                    c["product"] or "",
                    c["status"] or "no chart",
                    str(c["recent_alarms"]),
                    two(c["cpk"]),
                    two(c["ppk"]),
                    f"{c['n']:,}",
                    str(c["lsl"]),
                    str(c["usl"]),
                    f"{c['out_of_spec']:,}",
                )
            out.print(t)
            return
        if characteristic in (None, "scrap") or chart in ("p", "np", "c", "u"):
            res = scrap_chart(store, chart="p" if chart == "auto" else chart, **kw)  # type: ignore[arg-type]
        else:
            res = characteristic_chart(store, characteristic, chart=chart, **kw)  # type: ignore[arg-type]
    d = res.as_dict()
    if fmt == "json":
        print_json(d)
        return
    main_chart = d["chart"]["main"]
    out.print(
        f"{res.title}: {res.chart.kind} chart, {len(main_chart['values'])} points, centre "
        f"{main_chart['center'][-1]:.6g}, limits {main_chart['lcl'][-1]:.6g} – "
        f"{main_chart['ucl'][-1]:.6g} (latest point)"
    )
    if res.capability is not None:
        cap = res.capability
        fmt_i = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
        out.print(
            f"capability: Cp {fmt_i(cap.cp)}  Cpk {fmt_i(cap.cpk)}  Pp {fmt_i(cap.pp)}  "
            f"Ppk {fmt_i(cap.ppk)}  (n {cap.n:,}, out of spec {100 * cap.observed_out:.2f} %)"
        )
    alarms = d["alarms"]
    t = Table("point", "chart", "rule", "value", "what", title=f"Alarms ({len(alarms)})")
    for a in alarms[-20:]:
        t.add_row(a["label"], a["chart"], a["rule"], f"{a['value']:.6g}", a["message"])
    out.print(t)


@main.command()
@DB_OPTION
@click.option(
    "--out",
    "excel",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the table and the scrap curve over a tool's life to this Excel file.",
)
@FORMAT_JSON
def tools(db: Path | None, excel: Path | None, fmt: str) -> None:
    """Tool and mould life: units made since the latest maintenance (regrind, repair) and
    left before the next is due, scrap rates, the machine that used it last; the tools due
    first."""
    from .quality.monitor import tool_life, tool_wear

    settings = get_settings(db=db)
    with open_store(db, read_only=True) as store:
        rows = tool_life(store)
        wear = tool_wear(store) if excel is not None else []
    tz = ZoneInfo(settings.timezone)
    if excel is not None:
        from .quality.excel import write_tools_excel

        write_tools_excel(rows, wear, tz, excel)
    if fmt == "json":
        print_json(rows)
        return
    if not rows:
        out.print(
            "no tools recorded: give the counts a 'tool' (금형) column, and the regrinds and "
            "repairs as tool_maintenance records (docs/data-formats.md)"
        )
        return
    when = lambda t: "–" if t is None else t.astimezone(tz).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    t = Table(
        "tool",
        "machine",
        "units since",
        "left",
        "scrap since",
        "units all",
        "scrap all",
        "maintained",
        "work",
        "last used",
        title="Tool and mould life (since: since the latest maintenance)",
    )
    for r in rows:
        t.add_row(
            r["tool"],
            r["machine"] or "–",
            f"{r['units_since']:,.0f}",
            "–" if r["units_left"] is None else f"{r['units_left']:,.0f} ({r['due']})",
            _pct(r["scrap_rate_since"]),
            f"{r['units_total']:,.0f}",
            _pct(r["scrap_rate_total"]),
            when(r["last_maintenance"]),
            r["last_work"] or "–",
            when(r["last_used"]),
        )
    out.print(t)
    if excel is not None:
        out.print(f"wrote {excel}")


# -- programme side (commands in program/commands.py) ------------------------------------------

from .program.commands import program as _program  # noqa: E402

main.add_command(_program)

# -- forecasting and planning (commands in cli_forecast.py) ------------------------------------

from .cli_forecast import forecast as _forecast  # noqa: E402
from .cli_forecast import plan as _plan  # noqa: E402

main.add_command(_forecast)
main.add_command(_plan)


if __name__ == "__main__":  # pragma: no cover
    main()
