"""``smartfactory forecast`` and ``smartfactory plan``: thin shells over :mod:`smartfactory.ai`.

Kept out of ``cli.py`` so that the forecasting commands (and their optional dependencies) live
beside each other; ``cli.py`` adds them to the main group.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from .cli_common import DB_OPTION, JOBS_OPTION, console, out, print_json, progress_bar
from .errors import ConfigError


class _LevelsGroup(click.Group):
    """Accepts ``--level 80 95`` (several values after one flag) as the issue spells it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        fixed: list[str] = []
        after_level = False
        for a in args:
            if after_level and a.replace(".", "", 1).isdigit():
                fixed += ["--level", a]
                continue
            after_level = a == "--level"
            if not after_level:
                fixed.append(a)
        return super().parse_args(ctx, fixed)


def _levels(values: tuple[str, ...]) -> tuple[int, ...]:
    out_: list[int] = []
    for v in values:
        for part in str(v).split(","):
            if not part.strip():
                continue
            try:
                out_.append(int(float(part)))
            except ValueError as exc:
                raise click.BadParameter(
                    f"{part!r} is not a percentage", param_hint="--level"
                ) from exc
    return tuple(out_) or (80, 95)


def _bar(label: str) -> tuple[Progress, Any]:
    bar = progress_bar(label)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def _report_input(report: dict[str, Any]) -> None:
    """What was rejected and filled, on stderr (stdout carries the forecast)."""
    msg = f"{report['source']}: {report['accepted']:,} rows used"
    if report["rejected"]:
        reasons = ", ".join(f"{n} {r}" for r, n in report["by_reason"].items())
        msg += f", {report['rejected']:,} rejected ({reasons})"
    gaps = report.get("gaps_filled") or {}
    if gaps:
        msg += f"; {sum(gaps.values())} missing periods in {len(gaps)} series filled with "
        msg += "0" if report.get("gap_fill") == "zero" else "interpolation"
    unsure = report.get("interpolated") or {}
    if unsure:
        msg += f"; {sum(unsure.values())} periods whose rows were rejected interpolated"
    console.print(msg)
    for r in report["rejected_rows"][:10]:
        console.print(
            f"  line {r['line']}: {r['reason']} ({r['detail']}): "
            f"{r['unique_id']}, {r['ds']}, {r['y']}"
        )
    if report["rejected"] > 10:
        console.print(f"  … {report['rejected'] - 10} more (--format json lists every one)")


MEMBERS_OPTION = click.option(
    "--members",
    help="Comma-separated members of the regular-demand combination [default: "
    "ets,ets_damped,ces,theta,theta_classic,mfles]; also arima, arima_fast, airline, mstl.",
)


def _candidates(members: str | None, arima: bool = False) -> tuple[str, ...]:
    """The regular-demand members from --members (and --arima)."""
    from .ai.forecast import REGULAR, check_members

    names = tuple(m.strip() for m in members.split(",") if m.strip()) if members else REGULAR
    if not names:
        raise ConfigError("--members names no model")
    check_members(names, "--members")
    return (*names, "arima") if arima and "arima" not in names else names


@click.group(cls=_LevelsGroup, invoke_without_command=True)
@click.option("--data", type=click.Path(path_type=Path), help="Long-format file: id, date, value.")
@click.option("--horizon", "-h", type=int, help="Periods to forecast.")
@click.option("--freq", help="D, W, M, Q or Y [default: inferred from the dates].")
@click.option("--level", "levels", multiple=True, help="Interval levels in percent [80 95].")
@click.option("--arima", is_flag=True, help="Add AutoARIMA to the candidates (slow).")
@MEMBERS_OPTION
@click.option(
    "--gaps",
    type=click.Choice(["zero", "interpolate"]),
    default="zero",
    show_default=True,
    help="Fill missing periods with 0 (demand) or by interpolation (measured values).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "text"]),
    default="csv",
    show_default=True,
)
@JOBS_OPTION
@click.pass_context
def forecast(
    ctx: click.Context,
    data: Path | None,
    horizon: int | None,
    freq: str | None,
    levels: tuple[str, ...],
    arima: bool,
    members: str | None,
    gaps: str,
    fmt: str,
    jobs: int | None,
) -> None:
    """Forecast every series in --data: unique_id, ds, yhat and yhat_lo_L / yhat_hi_L."""
    if ctx.invoked_subcommand is not None:
        return
    if data is None or horizon is None:
        raise click.UsageError("give --data FILE and --horizon H (or a subcommand: evaluate)")
    from .ai.forecast import Forecaster
    from .ai.series import read_series

    candidates = _candidates(members, arima)
    series = read_series(data, freq=freq, gap_fill=gaps)  # type: ignore[arg-type]
    fc = Forecaster(
        horizon, freq=series.freq, levels=_levels(levels), candidates=candidates, n_jobs=jobs
    )
    bar, update = _bar("forecasting")
    with bar:
        result = fc.fit(series, progress=update).result_
    _report_input(result.report)
    if fmt == "json":
        print_json(result.as_dict())
    elif fmt == "text":
        _print_forecast(result)
    else:
        frame = result.forecast.copy()
        frame["ds"] = frame["ds"].dt.strftime("%Y-%m-%d")
        frame.to_csv(sys.stdout, index=False, float_format="%.6g")


def _print_forecast(result: Any) -> None:
    t = Table("series", "class", "method", "points", "CV MASE", "first forecast", "note")
    first = result.forecast.groupby("unique_id", sort=False).head(1).set_index("unique_id")
    for r in result.selection.to_dict(orient="records"):
        cv = r.get("cv_mase")
        t.add_row(
            r["unique_id"],
            r["kind"],
            r["method"],
            str(r["n"]),
            "–" if cv is None or cv != cv else f"{cv:.3f}",
            f"{first.at[r['unique_id'], 'yhat']:,.1f}",
            r["note"],
        )
    out.print(t)


@forecast.command("evaluate")
@click.option("--m3", "m3", type=click.Path(path_type=Path), help="The M3 file (M3C.xls).")
@click.option(
    "--group",
    type=click.Choice(["monthly", "quarterly", "yearly", "other", "all"]),
    default="monthly",
    show_default=True,
)
@click.option("--data", type=click.Path(path_type=Path), help="Or: a long-format file.")
@click.option("--horizon", "-h", type=int, help="Test periods (M3: the competition's).")
@click.option("--freq", help="With --data: D, W, M, Q or Y [default: inferred].")
@click.option("--limit", type=int, help="Only every k-th series so that about this many remain.")
@MEMBERS_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@JOBS_OPTION
def evaluate_cmd(
    m3: Path | None,
    group: str,
    data: Path | None,
    horizon: int | None,
    freq: str | None,
    limit: int | None,
    members: str | None,
    fmt: str,
    jobs: int | None,
) -> None:
    """Score sMAPE and MASE on the last --horizon periods of each series (M3 or --data),
    beside the seasonal naive forecast (and the published M3 figures)."""
    from .ai.evaluate import M3_GROUPS, evaluate_m3, evaluate_series
    from .ai.series import read_series

    if (m3 is None) == (data is None):
        raise click.UsageError("give either --m3 FILE or --data FILE")
    kw: dict[str, Any] = {"candidates": _candidates(members)}
    results = []
    if m3 is not None:
        for g in M3_GROUPS if group == "all" else [group]:
            bar, update = _bar(f"M3 {g}")
            with bar:
                results.append(evaluate_m3(m3, g, limit=limit, n_jobs=jobs, progress=update, **kw))
    else:
        assert data is not None
        if horizon is None:
            raise click.UsageError("--data needs --horizon")
        series = read_series(data, freq=freq)
        bar, update = _bar("evaluating")
        with bar:
            results.append(
                evaluate_series(series, horizon, limit=limit, n_jobs=jobs, progress=update, **kw)
            )
    if fmt == "json":
        print_json([r.as_dict() for r in results])
        return
    for r in results:
        t = Table(
            "method", "sMAPE", "MASE", title=f"{r.source}: {r.ours['series']} series, h={r.h}"
        )
        t.add_row("SmartFactory", f"{r.ours['smape']:.2f}", f"{r.ours['mase']:.3f}")
        t.add_row("seasonal naive", f"{r.naive['smape']:.2f}", f"{r.naive['mase']:.3f}")
        for name, (s, m) in r.published.items():
            t.add_row(f"published: {name}", f"{s:.2f}", f"{m:.3f}")
        out.print(t)
        out.print(f"{r.seconds:.1f} s; " + ", ".join(f"{k}: {v}" for k, v in r.methods.items()))


@click.command("plan")
@DB_OPTION
@click.option("--weeks", type=int, default=8, show_default=True, help="Weeks to plan.")
@click.option("--items", type=click.Path(path_type=Path), help="Stock on hand and lot sizes.")
@click.option("--service-level", type=float, default=0.95, show_default=True)
@click.option(
    "--history-weeks",
    type=int,
    default=8,
    show_default=True,
    help="Full weeks of KPI buckets that measure each line's capacity.",
)
@click.option(
    "--level",
    is_flag=True,
    help="Make ahead, in earlier weeks with spare capacity, what overloads a week.",
)
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Write the plan (.xlsx).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@JOBS_OPTION
def plan(
    db: Path | None,
    weeks: int,
    items: Path | None,
    service_level: float,
    history_weeks: int,
    level: bool,
    out_path: Path | None,
    fmt: str,
    jobs: int | None,
) -> None:
    """Weekly production plan per product and line from the store's orders, with safety stock
    and each line's measured capacity; overloaded weeks are flagged (--level: made ahead where
    earlier weeks have room)."""
    from .ai.planning import plan_from_store, read_items, write_excel
    from .settings import get_settings
    from .store.db import Store

    if out_path is not None and out_path.suffix.lower() != ".xlsx":
        raise ConfigError(f"--out must be an .xlsx file, not {out_path.name}")
    settings = get_settings(db=db)
    table = read_items(items) if items else None
    with Store(settings.db, read_only=True, default_timezone=settings.timezone) as store:
        p = plan_from_store(
            store,
            weeks=weeks,
            items=table,
            service_level=service_level,
            history_weeks=history_weeks,
            n_jobs=jobs,
            level=level,
        )
    if out_path is not None:
        write_excel(p, out_path)
        console.print(f"wrote {out_path}")
    if fmt == "json":
        print_json(p.as_dict())
        return
    t = Table("line", "week", "load h", "capacity h", "utilisation", title="Line load")
    for r in p.load.to_dict(orient="records"):
        util = r["utilisation"]
        text = "–" if util != util else f"{100 * util:.0f} %"
        cell = Text(f"{text} overloaded", "red") if r["overloaded"] else Text(text)
        t.add_row(
            r["line"],
            f"{r['week']:%Y-%m-%d}",
            f"{r['load_h']:,.1f}",
            f"{r['capacity_h']:,.1f}",
            cell,
        )
    out.print(t)
    summary = p.rows.groupby("product").agg(
        line=("line", "first"),
        demand=("gross", "sum"),
        production=("production", "sum"),
        safety=("safety_stock", "first"),
    )
    t2 = Table(
        "product",
        "line",
        "demand",
        "production",
        "safety stock",
        title=f"Plan, {weeks} weeks (service level {service_level:.0%})",
    )
    for prod, row in summary.iterrows():
        t2.add_row(
            str(prod),
            str(row["line"]),
            f"{row['demand']:,.0f}",
            f"{row['production']:,.0f}",
            f"{row['safety']:,.0f}",
        )
    out.print(t2)
    for n in p.notes:
        console.print(f"  {n}")
