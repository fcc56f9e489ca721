"""SPC on the stored records: characteristic charts from inspections, scrap charts from counts,
the defect Pareto, and the alarms where a run rule fires.

- A characteristic (``inspections.characteristic``) is charted in subgroups: the units of one
  lot (or one timestamp when there is no lot), in time order. Subgroups of one value give an
  I-MR chart, of 2–10 an X̄-R chart, larger ones an X̄-S chart (or the chart asked for).
  Capability uses the specification limits stored with the inspections.
- Scrap (``counts``) is charted per local day of the machine's site: p (scrap share of
  produced units), np (scrap count, days of equal output only), c (scrap count) or u (scrap
  per produced unit).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..errors import InputError, NotFoundError, SmartFactoryError
from ..store.db import Store
from .spc import (
    Capability,
    ControlChart,
    RuleSet,
    c_chart,
    capability,
    imr,
    np_chart,
    p_chart,
    u_chart,
    xbar_r,
    xbar_s,
)

logger = logging.getLogger(__name__)

VariableChart = Literal["auto", "xbar-r", "xbar-s", "i-mr"]
AttributeChart = Literal["p", "np", "c", "u"]
PARETO_BY = ("machine", "line", "product", "operator", "tool", "characteristic")


@dataclass
class SpcResult:
    """A chart of stored data with what it was made from."""

    title: str
    chart: ControlChart
    capability: Capability | None
    unit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "chart": self.chart.as_dict(),
            "capability": self.capability.as_dict() if self.capability else None,
            "alarms": self.chart.alarms(),
        }


def _filters(
    machine: str | None,
    product: str | None,
    start: datetime | None,
    end: datetime | None,
    alias: str = "",
) -> tuple[str, list[Any]]:
    p = f"{alias}." if alias else ""
    sql: list[str] = ["TRUE"]
    params: list[Any] = []
    for col, val in (("machine", machine), ("product", product)):
        if val:
            sql.append(f"{p}{col} = ?")
            params.append(val)
    if start:
        sql.append(f"{p}ts >= ?")
        params.append(start)
    if end:
        sql.append(f"{p}ts < ?")
        params.append(end)
    return " AND ".join(sql), params


#: inspections with the product of the lot they inspected (from the counts; NULL without one)
_INSPECTED = """
    WITH lot_product AS (
        SELECT lot, any_value(product) AS product FROM counts WHERE lot IS NOT NULL GROUP BY lot
    )
    SELECT i.*, p.product FROM inspections i LEFT JOIN lot_product p USING (lot)
"""


def characteristics(store: Store) -> list[dict[str, Any]]:
    """Inspected characteristics with their counts, limits and share out of specification.

    A characteristic whose specification limits differ between products (a part's weight)
    has one row per product (``product``); one with the same limits for every product has a
    single row (``product`` None): a chart mixing parts of different sizes says nothing."""
    return store.rows(
        f"""
        WITH i AS ({_INSPECTED}), per AS (
            SELECT characteristic, product, mode(lsl) AS lsl, mode(usl) AS usl FROM i GROUP BY ALL
        ), mixed AS (
            SELECT characteristic,
                   count(DISTINCT coalesce(lsl::VARCHAR, '') || '|' || coalesce(usl::VARCHAR, ''))
                       > 1 AS mixed
            FROM per GROUP BY 1
        )
        SELECT i.characteristic, CASE WHEN m.mixed THEN i.product END AS product,
               count(*) AS n, count(DISTINCT coalesce(lot, unit_id)) AS subgroups,
               min(ts) AS first_ts, max(ts) AS last_ts, mode(lsl) AS lsl, mode(usl) AS usl,
               count(*) FILTER (WHERE value < lsl OR value > usl) AS out_of_spec
        FROM i JOIN mixed m USING (characteristic)
        GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST
        """
    )


def _limits_by_product(store: Store, characteristic: str) -> list[dict[str, Any]]:
    """Per product, the usual limits of ``characteristic``."""
    return store.rows(
        f"""
        SELECT product, mode(lsl) AS lsl, mode(usl) AS usl
        FROM ({_INSPECTED}) WHERE characteristic = ? GROUP BY product ORDER BY product NULLS LAST
        """,
        [characteristic],
    )


def characteristic_status(
    store: Store, recent: int = 25, rules: RuleSet = "nelson"
) -> list[dict[str, Any]]:
    """:func:`characteristics` with each one's state on its own chart (``auto``, latest 500
    subgroups): Cp, Cpk, Pp, Ppk, the rule alarms among the latest ``recent`` subgroups and the
    latest alarm, and ``status``: ``alarm`` (a rule fired among those), ``incapable`` (in
    control but Cpk under 1.33), ``ok``, or None where no chart can be drawn (its reason in
    ``note``). ``recent_alarms`` counts subgroups with an alarm. The alarms first, then the
    least capable: what a quality engineer looks at first."""
    out = []
    for c in characteristics(store):
        row = {**c, "cp": None, "cpk": None, "pp": None, "ppk": None, "recent_alarms": 0}
        row |= {"last_alarm": None, "status": None, "note": None}
        try:
            res = characteristic_chart(
                store, c["characteristic"], product=c["product"], rules=rules
            )
        except SmartFactoryError as exc:
            row["note"] = str(exc)
            out.append(row)
            continue
        alarms = res.chart.alarms()
        first_recent = len(res.chart.labels) - recent
        row["recent_alarms"] = len({a["index"] for a in alarms if a["index"] >= first_recent})
        if alarms:
            last = alarms[-1]
            row["last_alarm"] = {k: last[k] for k in ("label", "rule", "message", "chart")}
        cap = res.capability
        if cap is not None:
            row |= {"cp": cap.cp, "cpk": cap.cpk, "pp": cap.pp, "ppk": cap.ppk}
        if row["recent_alarms"]:
            row["status"] = "alarm"
        elif row["cpk"] is not None and row["cpk"] < CAPABLE_CPK:
            row["status"] = "incapable"
        else:
            row["status"] = "ok"
        out.append(row)
    order = {"alarm": 0, "incapable": 1, "ok": 2, None: 3}
    out.sort(
        key=lambda r: (
            order[r["status"]],
            -r["recent_alarms"],
            _or_inf(r["cpk"]),
            r["characteristic"],
        )
    )
    return out


def _or_inf(v: float | None) -> float:
    return math.inf if v is None or not math.isfinite(v) else v


def characteristic_chart(
    store: Store,
    characteristic: str,
    *,
    chart: VariableChart = "auto",
    machine: str | None = None,
    product: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    rules: RuleSet = "nelson",
    max_points: int = 500,
) -> SpcResult:
    """The control chart and capability of one inspected characteristic (the latest
    ``max_points`` subgroups)."""
    if not product:
        limits = _limits_by_product(store, characteristic)
        if len({(r["lsl"], r["usl"]) for r in limits}) > 1:
            each = "; ".join(
                f"{r['product'] or '?'} {_fmt(r['lsl'])}–{_fmt(r['usl'])}" for r in limits
            )
            raise InputError(
                f"{characteristic}: the specification limits differ by product ({each}); "
                "chart one product at a time"
            )
    where, params = _filters(machine, None, start, end, "i")
    if product:
        where += " AND i.lot IN (SELECT lot FROM counts WHERE product = ?)"
        params.append(product)
    rows = store.rows(
        f"""
        WITH g AS (
            SELECT coalesce(i.lot, strftime(i.ts, '%Y-%m-%d %H:%M:%S')) AS subgroup,
                   min(i.ts) AS ts, list(i.value ORDER BY i.ts, i.unit_id) AS vals,
                   mode(i.lsl) AS lsl, mode(i.usl) AS usl
            FROM inspections i WHERE i.characteristic = ? AND {where}
            GROUP BY 1
        )
        SELECT * FROM (SELECT * FROM g ORDER BY ts DESC LIMIT ?) ORDER BY ts, subgroup
        """,
        [characteristic, *params, max_points],
    )
    if not rows:
        known = [r["characteristic"] for r in characteristics(store)]
        raise NotFoundError(
            f"no inspections of {characteristic!r} for this selection; characteristics in the "
            f"store: {', '.join(known) or 'none'}"
        )
    groups = [[float(v) for v in r["vals"] if v is not None] for r in rows]
    labels = [str(r["subgroup"]) for r in rows]
    sizes = [len(g) for g in groups]
    kind = chart
    if kind == "auto":
        kind = "i-mr" if max(sizes) == 1 else "xbar-r" if max(sizes) <= 10 else "xbar-s"
    if kind == "i-mr":
        values = [v for g in groups for v in g]
        lab = [
            f"{lb}#{k + 1}" if len(g) > 1 else lb
            for lb, g in zip(labels, groups, strict=True)
            for k in range(len(g))
        ]
        ch = imr(values, labels=lab, rules=rules)
        cap_groups: list[list[float]] = [[v] for v in values]
    else:
        keep = [i for i, s in enumerate(sizes) if s >= 2]
        if not keep:
            raise InputError(f"{characteristic}: every subgroup has one value; use --chart i-mr")
        groups, labels = [groups[i] for i in keep], [labels[i] for i in keep]
        ch = (xbar_r if kind == "xbar-r" else xbar_s)(groups, labels=labels, rules=rules)
        cap_groups = groups
    lsl = _mode([r["lsl"] for r in rows])
    usl = _mode([r["usl"] for r in rows])
    cap = None
    if lsl is not None or usl is not None:
        cap = capability(cap_groups, lsl, usl, method="s" if kind == "xbar-s" else "r")
    scope = " · ".join(x for x in (machine, product) if x)
    return SpcResult(f"{characteristic}{' · ' + scope if scope else ''}", ch, cap)


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:g}"


def _mode(values: list[Any]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(max(set(vals), key=vals.count)) if vals else None


def scrap_chart(
    store: Store,
    *,
    chart: AttributeChart = "p",
    machine: str | None = None,
    product: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    rules: RuleSet = "nelson",
) -> SpcResult:
    """Daily scrap as a p, np, c or u chart (days local to each machine's site)."""
    where, params = _filters(machine, product, start, end, "c")
    rows = store.rows(
        f"""
        SELECT CAST(timezone(coalesce(s.timezone, ?), c.ts) AS DATE) AS day,
               sum(c.scrap)::DOUBLE AS scrap,
               sum(c.good + c.scrap + c.rework)::DOUBLE AS produced
        FROM counts c LEFT JOIN equipment e USING (machine)
        LEFT JOIN sites s ON s.enterprise = e.enterprise AND s.site = e.site
        WHERE {where} GROUP BY 1 HAVING sum(c.good + c.scrap + c.rework) > 0 ORDER BY 1
        """,
        [store.default_timezone, *params],
    )
    if not rows:
        raise NotFoundError("no production counts for this selection")
    labels = [r["day"].isoformat() for r in rows]
    d = [r["scrap"] for r in rows]
    n = [r["produced"] for r in rows]
    if chart == "p":
        ch = p_chart(d, n, labels=labels, rules=rules)
    elif chart == "np":
        if len(set(n)) > 1:
            raise InputError("an np chart needs the same number of units every day; use a p chart")
        ch = np_chart(d, n[0], labels=labels, rules=rules)
    elif chart == "c":
        ch = c_chart(d, labels=labels, rules=rules)
    elif chart == "u":
        ch = u_chart(d, n, labels=labels, rules=rules)
    else:
        raise InputError(f"unknown attribute chart {chart!r}; choose p, np, c or u")
    scope = " · ".join(x for x in (machine, product) if x)
    return SpcResult(f"scrap ({chart}){' · ' + scope if scope else ''}", ch, None)


def pareto_dimensions(store: Store) -> list[str]:
    """The Pareto dimensions this store can fill: operator and tool only where some count
    records them (otherwise every defect would sit under one `?`)."""
    recorded = store.rows("SELECT count(operator) AS operator, count(tool) AS tool FROM counts")[0]
    return [b for b in PARETO_BY if b not in ("operator", "tool") or recorded[b]]


#: the usual minimum Cpk of a capable process (AIAG SPC manual; many customers ask for it)
CAPABLE_CPK = 1.33
#: share of its maintenance interval a tool has used when it is flagged as due soon
DUE_SOON = 0.9

_LIFE_SQL = """
    SELECT c.tool, c.machine, c.ts, m.ts AS since, c.scrap::DOUBLE AS scrap,
           (c.good + c.scrap + c.rework)::DOUBLE AS produced,
           coalesce(sum((c.good + c.scrap + c.rework)::DOUBLE) OVER (
               PARTITION BY c.tool, m.ts ORDER BY c.ts, c.machine, c.product
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
    FROM counts c ASOF LEFT JOIN tool_maintenance m ON m.tool = c.tool AND c.ts > m.ts
    WHERE c.tool IS NOT NULL
"""


def tool_life(store: Store) -> list[dict[str, Any]]:
    """Per tool or mould: the units it made since its latest maintenance (regrind, repair) and in
    all, its scrap rate in this life and over all its counts, the machine that used it last, and
    its latest maintenance; where that maintenance set ``due_units``, the units left and
    ``due``: ``due`` (used up), ``soon`` (90 % used) or ``ok``. Those due first, then the most
    used of their due count, then the most used. Tools the counts record or maintenance names;
    none where neither does."""
    return store.rows(
        f"""
        WITH life AS ({_LIFE_SQL}), kept AS (
            SELECT tool, max(ts) AS last_maintenance, arg_max(work, ts) AS last_work,
                   arg_max(due_units, ts) AS due_units, count(*) AS maintenances
            FROM tool_maintenance GROUP BY tool
        ), used AS (
            SELECT l.tool,
                   coalesce(sum(l.produced) FILTER (
                       WHERE l.since IS NOT DISTINCT FROM k.last_maintenance), 0) AS units_since,
                   sum(l.scrap) FILTER (WHERE l.since IS NOT DISTINCT FROM k.last_maintenance)
                       / nullif(sum(l.produced) FILTER (
                           WHERE l.since IS NOT DISTINCT FROM k.last_maintenance), 0)
                       AS scrap_rate_since,
                   sum(l.produced) AS units_total,
                   sum(l.scrap) / nullif(sum(l.produced), 0) AS scrap_rate_total,
                   arg_max(l.machine, l.ts) AS machine, max(l.ts) AS last_used
            FROM life l LEFT JOIN kept k USING (tool) GROUP BY l.tool
        )
        SELECT tool, machine, coalesce(units_since, 0) AS units_since, scrap_rate_since,
               coalesce(units_total, 0) AS units_total, scrap_rate_total, last_used,
               last_maintenance, last_work, coalesce(maintenances, 0) AS maintenances,
               due_units, due_units - coalesce(units_since, 0) AS units_left,
               CASE WHEN due_units IS NULL THEN NULL
                    WHEN coalesce(units_since, 0) >= due_units THEN 'due'
                    WHEN coalesce(units_since, 0) >= {DUE_SOON} * due_units THEN 'soon'
                    ELSE 'ok' END AS due
        FROM used FULL JOIN kept USING (tool)
        ORDER BY CASE due WHEN 'due' THEN 0 WHEN 'soon' THEN 1 ELSE 2 END,
                 coalesce(units_since, 0) / coalesce(due_units, 1e18) DESC,
                 coalesce(units_since, 0) DESC, tool
        """
    )


def _nice_step(span: float, bins: int) -> float:
    """A round bin width (1, 2 or 5 × 10^k) giving at most about ``bins`` bins over ``span``."""
    raw = max(span / max(bins, 1), 1.0)
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def tool_wear(store: Store, tool: str | None = None, bins: int = 12) -> list[dict[str, Any]]:
    """Scrap rate by the units a tool had made since its latest maintenance when it made them
    (all tools together, or one): does scrap rise as a mould wears, and from how many units?
    Round bins of units; each row has the bin's range, scrap, units made and rate."""
    where, params = ("WHERE tool = ?", [tool]) if tool else ("", [])
    top = store.scalar(f"SELECT max(before) FROM ({_LIFE_SQL}) {where}", params)
    if top is None:
        return []
    step = _nice_step(float(top), bins)
    rows = store.rows(
        f"""
        SELECT floor(before / ?) AS k, sum(scrap) AS scrap, sum(produced) AS produced,
               count(DISTINCT tool) AS tools
        FROM ({_LIFE_SQL}) {where} GROUP BY 1 ORDER BY 1
        """,
        [step, *params],
    )
    for r in rows:
        k = r.pop("k")
        r["units_from"], r["units_to"] = k * step, (k + 1) * step
        r["rate"] = r["scrap"] / r["produced"] if r["produced"] else None
    return rows


def defect_pareto(
    store: Store,
    by: str = "machine",
    *,
    machine: str | None = None,
    product: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """Scrap by machine, line, product, operator or tool (from counts; `?` where a count does
    not say), or out-of-specification inspections by characteristic, largest first, with each
    one's share and the cumulative share. ``machine`` and ``product`` narrow the defects
    counted (an inspection's product is that of the lot it inspected)."""
    if by not in PARETO_BY:
        raise InputError(f"cannot rank defects by {by!r}; choose one of {', '.join(PARETO_BY)}")
    if by == "characteristic":
        where, params = _filters(machine, None, start, end, "i")
        if product:
            where += " AND i.lot IN (SELECT lot FROM counts WHERE product = ?)"
            params.append(product)
        rows = store.rows(
            f"""
            SELECT i.characteristic AS key,
                   count(*) FILTER (WHERE i.value < i.lsl OR i.value > i.usl)::DOUBLE AS defects,
                   count(*)::DOUBLE AS checked
            FROM inspections i WHERE {where} GROUP BY 1
            """,
            params,
        )
    else:
        where, params = _filters(machine, product, start, end, "c")
        key = "e.line" if by == "line" else f"c.{by}"
        rows = store.rows(
            f"""
            SELECT coalesce({key}, '?') AS key, sum(c.scrap)::DOUBLE AS defects,
                   sum(c.good + c.scrap + c.rework)::DOUBLE AS checked
            FROM counts c LEFT JOIN equipment e USING (machine) WHERE {where} GROUP BY 1
            """,
            params,
        )
    rows.sort(key=lambda r: (-r["defects"], str(r["key"])))
    total = sum(r["defects"] for r in rows) or 1.0
    cum = 0.0
    for r in rows:
        cum += r["defects"]
        r["rate"] = r["defects"] / r["checked"] if r["checked"] else None
        r["share"] = r["defects"] / total
        r["cumulative"] = cum / total
    return rows
