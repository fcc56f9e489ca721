"""A weekly production plan per product and line that the factory's measured capacity can carry.

Inputs: the weekly demand forecast (with its intervals), stock on hand and lot sizes (a small
table, see :data:`ITEM_COLUMNS`), open orders from the store, ideal cycle times from the store's
products, and each line's capacity measured by the KPI engine.

Per product and week ``w``:

* gross requirement = max(forecast, open orders due in ``w``): firm orders consume the forecast
  (orders already late count in the first week);
* safety stock = z(service level) · σ · √(lead time in weeks), σ the weekly forecast error
  read from the forecast's interval (half-width ÷ its z), else the demand's weekly std;
* production = the net requirement (gross + safety stock − stock carried in) rounded up to whole
  lots; stock carried out = stock in + production − gross. The first week's stock in is the
  items table's stock on hand; where none is given, the safety stock (a steady state, said in
  the notes), so that an unknown stock does not read as a week of catching up.

Per line and week: capacity hours = planned busy hours × availability × effectiveness (the line's
ISO 22400 buckets summed over the last ``history_weeks`` full weeks, ratios taken last), and load
hours = Σ production × ideal cycle time ÷ quality ratio. Weeks whose load exceeds capacity are
flagged; the plan is not levelled automatically (a planner decides what moves).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..ingest.files import read_tables
from ..ingest.formats import norm
from ..kpi.engine import KpiQuery, compute
from ..store.db import Store

logger = logging.getLogger(__name__)

#: columns of the items table (stock on hand and lot sizes); only ``product`` is required
ITEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "product": ("product", "item", "sku", "제품", "품번"),
    "stock": ("stock", "on_hand", "inventory", "재고", "현재고"),
    "lot_size": ("lot_size", "lot", "batch", "로트크기", "생산단위"),
    "lead_time_weeks": ("lead_time_weeks", "lead_time", "리드타임"),
    "line": ("line", "라인"),
    "service_level": ("service_level", "서비스수준"),
}
ITEM_DEFAULTS = {"lot_size": 1.0, "lead_time_weeks": 1.0}


@dataclass
class LineCapacity:
    """One line's measured capacity per week."""

    line: str
    pbt_h_per_week: float
    availability: float | None
    effectiveness: float | None
    quality: float | None
    weeks: int

    @property
    def capacity_h(self) -> float:
        """Ideal-time hours a week the line can produce."""
        return self.pbt_h_per_week * (self.availability or 0.0) * (self.effectiveness or 0.0)


#: one row per production moved ahead by :func:`level_to_capacity`
MOVE_COLUMNS = ["line", "product", "from_week", "to_week", "quantity", "hours"]


@dataclass
class Plan:
    """The plan (per product × week), the load (per line × week) and what went into them."""

    rows: pd.DataFrame
    load: pd.DataFrame
    capacity: list[LineCapacity]
    service_level: float
    notes: list[str] = field(default_factory=list)
    #: production made ahead of overloaded weeks (``level=True``); empty otherwise
    moves: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MOVE_COLUMNS))

    @property
    def overloaded(self) -> pd.DataFrame:
        return self.load[self.load["overloaded"]]

    def as_dict(self) -> dict[str, Any]:
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            d = df.copy()
            for c in d.columns:
                if pd.api.types.is_datetime64_any_dtype(d[c]):
                    d[c] = d[c].dt.strftime("%Y-%m-%d")
            return [
                {str(k): v for k, v in r.items()}
                for r in d.replace({np.nan: None, np.inf: None, -np.inf: None}).to_dict(
                    orient="records"
                )
            ]

        return {
            "service_level": self.service_level,
            "plan": records(self.rows),
            "load": records(self.load),
            "capacity": [dict(c.__dict__, capacity_h=c.capacity_h) for c in self.capacity],
            "notes": self.notes,
            "moves": records(self.moves),
        }


def read_items(path: str | Path) -> pd.DataFrame:
    """The items table (CSV, Excel or Parquet) with the columns of :data:`ITEM_COLUMNS`."""
    t = next(iter(read_tables(path)))
    frame = t.table.to_pandas().drop(columns=["_line"], errors="ignore")
    return items_frame(frame, source=str(path))


def items_frame(frame: pd.DataFrame, source: str = "items") -> pd.DataFrame:
    """Normalise an items table: canonical columns, numbers checked, defaults filled."""
    normed = {norm(str(c)): c for c in frame.columns}
    out = pd.DataFrame(index=frame.index)
    for col, names in ITEM_COLUMNS.items():
        hit = next((normed[norm(n)] for n in names if norm(n) in normed), None)
        if hit is not None:
            out[col] = frame[hit]
    if "product" not in out:
        raise InputError(f"{source}: the items table needs a product (제품) column")
    out["product"] = out["product"].astype(str).str.strip()
    for col in ("stock", "lot_size", "lead_time_weeks", "service_level"):
        if col not in out:
            continue
        vals = pd.to_numeric(out[col], errors="coerce")
        bad = out[col].notna() & vals.isna()
        if bad.any() or (vals < 0).any():
            rows = out.index[bad | (vals < 0)].tolist()
            raise InputError(
                f"{source}: {col} must be a number ≥ 0 (rows {', '.join(map(str, rows[:5]))})"
            )
        out[col] = vals
    for col, default in ITEM_DEFAULTS.items():
        out[col] = out[col].fillna(default) if col in out else default
    out.loc[out["lot_size"] <= 0, "lot_size"] = 1.0
    return out.drop_duplicates("product", keep="last").set_index("product")


def measured_capacity(store: Store, history_weeks: int = 8) -> list[LineCapacity]:
    """Each line's planned busy hours per week, availability, effectiveness and quality over
    its last ``history_weeks`` full local weeks (partial weeks at either end are left out)."""
    table = compute(store, KpiQuery(by=("line",), grain="week")).to_pandas()
    if table.empty:
        return []
    full = table[table["period_s"] >= 7 * 86400 * 0.99]
    out = []
    for line, g in full.groupby("line", sort=True):
        g = g.sort_values("week").tail(history_weeks)
        s = g[["pbt_s", "apt_s", "ideal_s", "gq", "pq"]].sum()
        out.append(
            LineCapacity(
                line=str(line),
                pbt_h_per_week=float(s["pbt_s"]) / 3600 / len(g),
                availability=_ratio(s["apt_s"], s["pbt_s"]),
                effectiveness=_ratio(s["ideal_s"], s["apt_s"]),
                quality=_ratio(s["gq"], s["pq"]),
                weeks=len(g),
            )
        )
    return out


def _ratio(a: float, b: float) -> float | None:
    return float(a) / float(b) if b else None


def open_orders(store: Store, timezone: str | None = None) -> pd.DataFrame:
    """Orders not completed (no actual end): product, due week (local Monday), quantity."""
    tz = timezone or store.default_timezone
    t = store.sql(
        f"""SELECT product, date_trunc('week', timezone('{tz}', due))::DATE AS week,
                   sum(quantity) AS quantity
            FROM orders WHERE actual_end IS NULL AND due IS NOT NULL
            GROUP BY ALL ORDER BY 1, 2"""
    ).to_pandas()
    t["week"] = pd.to_datetime(t["week"])
    return t


def stock_on_hand(store: Store, at: datetime | None = None) -> pd.DataFrame:
    """Each product's finished goods on hand from the store's stock counts: per company the
    latest count (at or before ``at``), summed over the companies the store shows
    (``product, stock, counted``; ``counted`` is the latest count's time)."""
    where, params = ("WHERE ts <= ?", [at]) if at is not None else ("", [])
    return store.sql(
        f"""WITH last AS (
              SELECT enterprise, product, arg_max(on_hand, ts) AS on_hand, max(ts) AS ts
              FROM stock {where} GROUP BY ALL)
            SELECT product, sum(on_hand) AS stock, max(ts) AS counted
            FROM last GROUP BY product ORDER BY product""",
        params,
    ).to_pandas()


def items_from_store(store: Store) -> pd.DataFrame | None:
    """The planning settings kept in the store (the ``items`` kind) as an items table, or None
    when there are none."""
    frame = store.sql(
        "SELECT product, lot_size, lead_time_weeks, service_level, line FROM items ORDER BY product"
    ).to_pandas()
    if frame.empty:
        return None
    return items_frame(frame.dropna(axis=1, how="all"), source="the store's items")


def product_lines(store: Store) -> dict[str, str]:
    """The line each product is mostly made on: from its orders, else from its counts."""
    rows = store.rows(
        """WITH x AS (
             SELECT product, line, sum(quantity) AS q FROM orders
             WHERE line IS NOT NULL GROUP BY ALL
             UNION ALL
             SELECT c.product, e.line, sum(c.good) AS q FROM counts c
             JOIN equipment e USING (machine)
             WHERE c.product IS NOT NULL AND e.line IS NOT NULL GROUP BY ALL)
           SELECT product, arg_max(line, q) AS line FROM x GROUP BY product"""
    )
    return {r["product"]: r["line"] for r in rows}


def ideal_cycle_times(store: Store) -> dict[str, float]:
    """Seconds per unit per product (the mean of machine-specific values where only those
    are set)."""
    rows = store.rows(
        """SELECT product, coalesce(any_value(ideal_cycle_s) FILTER (WHERE machine IS NULL),
                                    avg(ideal_cycle_s)) AS s
           FROM products WHERE ideal_cycle_s > 0 GROUP BY product"""
    )
    return {r["product"]: float(r["s"]) for r in rows}


def weekly_sigma(fc: pd.DataFrame, history: pd.DataFrame | None) -> dict[str, float]:
    """Weekly forecast error per product: from the widest interval of the first forecast week
    (half-width ÷ its z), else the std of weekly demand in the history."""
    out: dict[str, float] = {}
    levels = sorted(
        (int(c.rsplit("_", 1)[1]) for c in fc.columns if c.startswith("yhat_hi_")), reverse=True
    )
    first = fc.sort_values("ds").groupby("unique_id", sort=False).head(1).set_index("unique_id")
    for uid, r in first.iterrows():
        for lv in levels:
            lo, hi = r.get(f"yhat_lo_{lv}"), r.get(f"yhat_hi_{lv}")
            if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
                z = NormalDist().inv_cdf(0.5 + lv / 200)
                # bounds are clipped at zero: use the upper half-width
                out[str(uid)] = max(float(hi) - float(r["yhat"]), 0.0) / z
                break
    if history is not None:
        std = history.groupby("unique_id")["y"].std()
        for uid, s in std.items():
            out.setdefault(str(uid), float(s) if np.isfinite(s) else 0.0)
    return out


def plan_production(
    fc: pd.DataFrame,
    *,
    items: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    capacity: list[LineCapacity] | None = None,
    lines: dict[str, str] | None = None,
    cycle_s: dict[str, float] | None = None,
    history: pd.DataFrame | None = None,
    service_level: float = 0.95,
    level: bool = False,
) -> Plan:
    """The weekly plan from a weekly forecast (``unique_id, ds, yhat[, yhat_lo_L, yhat_hi_L]``)
    and plain inputs; :func:`plan_from_store` gathers them from a store. With ``level``, the
    production that overloads a line's week is made ahead in earlier weeks with spare
    capacity (:func:`level_to_capacity`)."""
    if not 0.5 <= service_level < 1:
        raise ConfigError(f"service level must be between 0.5 and 1, not {service_level}")
    items = items if items is not None else items_frame(pd.DataFrame({"product": []}))
    orders = orders if orders is not None else pd.DataFrame(columns=["product", "week", "quantity"])
    lines = dict(lines or {})
    cycle_s = cycle_s or {}
    notes: list[str] = []
    unknown_stock: list[str] = []
    lots: dict[str, float] = {}
    sigma = weekly_sigma(fc, history)
    weeks = sorted(fc["ds"].unique())
    z = NormalDist().inv_cdf(service_level)
    rows = []
    for uid, g in fc.groupby("unique_id", sort=True):
        p = str(uid)
        item: dict[str, Any] = dict(ITEM_DEFAULTS)
        if p in items.index:
            item.update({str(k): v for k, v in items.loc[p].to_dict().items()})
        line = str(item["line"]) if pd.notna(item.get("line")) else lines.get(p)
        if line is None:
            notes.append(f"{p}: no line known (give one in the items table); load not counted")
        firm = _firm_by_week(orders, p, weeks)
        lead = float(item.get("lead_time_weeks", 1.0))
        wanted = float(item.get("service_level", service_level) or service_level)
        z_p = NormalDist().inv_cdf(wanted) if 0.5 <= wanted < 1 else z
        ss = z_p * sigma.get(p, 0.0) * math.sqrt(max(lead, 0.0))
        stock = float(item.get("stock", np.nan))
        if not np.isfinite(stock):  # not given: the plan starts in steady state
            stock = ss
            unknown_stock.append(p)
        lot = float(item.get("lot_size", 1.0)) or 1.0
        lots[p] = lot
        demand = g.set_index("ds")["yhat"].reindex(weeks).fillna(0.0)
        for w in weeks:
            gross = max(float(demand[w]), firm.get(w, 0.0))
            net = max(0.0, gross + ss - stock)
            make = math.ceil(net / lot - 1e-9) * lot if net > 0 else 0.0
            end = stock + make - gross
            rows.append(
                {
                    "product": p,
                    "line": line,
                    "week": pd.Timestamp(w),
                    "forecast": float(demand[w]),
                    "open_orders": firm.get(w, 0.0),
                    "gross": gross,
                    "safety_stock": ss,
                    "stock_in": stock,
                    "production": make,
                    "stock_out": end,
                    "load_h": make * cycle_s[p] / 3600 if p in cycle_s else np.nan,
                }
            )
            stock = end
        if p not in cycle_s:
            notes.append(f"{p}: no ideal cycle time in the store's products; load not counted")
    if unknown_stock:
        notes.append(
            f"stock on hand not given for {len(unknown_stock)} product(s) "
            f"({', '.join(unknown_stock[:10])}{' …' if len(unknown_stock) > 10 else ''}): "
            "taken as their safety stock, so the plan starts in steady state; give the stock "
            "(재고) in the items table for a real starting point"
        )
    plan = pd.DataFrame(rows)
    moves = pd.DataFrame(columns=MOVE_COLUMNS)
    if level and not plan.empty:
        moves = level_to_capacity(plan, capacity or [], weeks, lots, cycle_s)
        for name, g in moves.groupby("line", sort=True):
            notes.append(
                f"{name}: {g['hours'].sum():,.1f} h made ahead of overloaded weeks "
                f"({len(g)} move(s); see the moves)"
            )
    return Plan(
        rows=plan,
        load=_load(plan, capacity or [], weeks),
        capacity=capacity or [],
        service_level=service_level,
        notes=notes,
        moves=moves,
    )


def level_to_capacity(
    plan: pd.DataFrame,
    capacity: list[LineCapacity],
    weeks: list[Any],
    lots: dict[str, float],
    cycle_s: dict[str, float],
) -> pd.DataFrame:
    """Move production out of overloaded weeks into earlier weeks with spare capacity (build
    ahead), in whole lots, changing ``plan`` in place; return the moves.

    Weeks are taken from the last to the first; an overloaded week's excess goes to the latest
    earlier week with room, then the one before. Making something earlier only raises the stock
    carried in between, so no week falls short and safety stock still holds; stock at the end
    of the overloaded week is unchanged. Within a week, the product with the most production
    moves first. What finds no room (the first week, or more work than all earlier weeks can
    take) stays where it is, and its week stays flagged. Moving work later, which would make
    orders late, is left to the planner.
    """
    cap = {c.line: c for c in capacity if c.capacity_h > 0}
    order = [pd.Timestamp(w) for w in weeks]
    moves: list[dict[str, Any]] = []
    for line, c in cap.items():
        q = c.quality or 1.0
        mine = plan.index[(plan["line"] == line) & plan["product"].isin(list(cycle_s))]
        if mine.empty:
            continue
        hours = {p: cycle_s[p] / 3600 / q for p in plan.loc[mine, "product"].unique()}

        for i in range(len(order) - 1, 0, -1):
            w = order[i]
            excess = _week_hours(plan, mine, hours, w) - c.capacity_h
            for j in range(i - 1, -1, -1):
                if excess <= 1e-9:
                    break
                room = c.capacity_h - _week_hours(plan, mine, hours, order[j])
                if room <= 1e-9:
                    continue
                here = plan.loc[mine]
                here = here[(here["week"] == w) & (here["production"] > 0)]
                for idx in here.sort_values("production", ascending=False).index:
                    if excess <= 1e-9 or room <= 1e-9:
                        break
                    p = str(plan.at[idx, "product"])
                    lot = lots.get(p, 1.0) or 1.0
                    per_lot = hours[p] * lot
                    n_lots = min(
                        math.ceil(excess / per_lot - 1e-9),
                        math.floor(room / per_lot + 1e-9),
                        math.floor(float(plan.loc[idx, "production"]) / lot + 1e-9),
                    )
                    if n_lots <= 0:
                        continue
                    units = n_lots * lot
                    _move(plan, p, order[j], w, units, cycle_s[p])
                    moves.append(
                        {
                            "line": line,
                            "product": p,
                            "from_week": w,
                            "to_week": order[j],
                            "quantity": units,
                            "hours": units * hours[p],
                        }
                    )
                    excess -= units * hours[p]
                    room -= units * hours[p]
    return pd.DataFrame(moves, columns=MOVE_COLUMNS)


def _week_hours(
    plan: pd.DataFrame, rows: pd.Index, hours: dict[str, float], week: pd.Timestamp
) -> float:
    """Load hours of the plan's ``rows`` (one line) in ``week``."""
    sel = plan.loc[rows]
    sel = sel[sel["week"] == week]
    pairs = zip(sel["product"], sel["production"], strict=True)
    return float(sum(hours[str(p)] * float(n) for p, n in pairs))


def _move(
    plan: pd.DataFrame,
    product: str,
    to: pd.Timestamp,
    frm: pd.Timestamp,
    units: float,
    cycle: float,
) -> None:
    """Make ``units`` of ``product`` in week ``to`` instead of ``frm`` (``to`` earlier): the
    stock carried through the weeks between rises by ``units``."""
    rows = plan["product"] == product
    at_to = rows & (plan["week"] == to)
    at_from = rows & (plan["week"] == frm)
    between = rows & (plan["week"] >= to) & (plan["week"] < frm)
    plan.loc[at_to, "production"] += units
    plan.loc[at_from, "production"] -= units
    plan.loc[between, "stock_out"] += units
    plan.loc[rows & (plan["week"] > to) & (plan["week"] <= frm), "stock_in"] += units
    for sel in (at_to, at_from):
        plan.loc[sel, "load_h"] = plan.loc[sel, "production"] * cycle / 3600


def _firm_by_week(orders: pd.DataFrame, product: str, weeks: list[Any]) -> dict[Any, float]:
    mine = orders[orders["product"] == product]
    out: dict[Any, float] = {}
    if mine.empty:
        return out
    first = weeks[0]
    for w, q in zip(mine["week"], mine["quantity"], strict=True):
        key = first if pd.Timestamp(w) < pd.Timestamp(first) else pd.Timestamp(w)
        out[key] = out.get(key, 0.0) + float(q)
    return out


def _load(plan: pd.DataFrame, capacity: list[LineCapacity], weeks: list[Any]) -> pd.DataFrame:
    """Load hours against capacity hours per line and week (quality losses included)."""
    cap = {c.line: c for c in capacity}
    known = plan.dropna(subset=["line"])
    rows = []
    for line in sorted(set(known["line"]) | set(cap)):
        c = cap.get(line)
        q = c.quality if c and c.quality else 1.0
        for w in weeks:
            sel = known[(known["line"] == line) & (known["week"] == pd.Timestamp(w))]
            load = float(sel["load_h"].sum(min_count=1)) / q if not sel.empty else 0.0
            capacity_h = c.capacity_h if c else float("nan")
            util = load / capacity_h if capacity_h and np.isfinite(capacity_h) else float("nan")
            rows.append(
                {
                    "line": line,
                    "week": pd.Timestamp(w),
                    "load_h": 0.0 if np.isnan(load) else load,
                    "capacity_h": capacity_h,
                    "utilisation": util,
                    "overloaded": bool(np.isfinite(util) and util > 1.0),
                }
            )
    return pd.DataFrame(
        rows, columns=["line", "week", "load_h", "capacity_h", "utilisation", "overloaded"]
    )


def plan_from_store(
    store: Store,
    *,
    weeks: int = 8,
    items: pd.DataFrame | None = None,
    service_level: float = 0.95,
    history_weeks: int = 8,
    start: datetime | None = None,
    n_jobs: int | None = None,
    level: bool = False,
) -> Plan:
    """Forecast weekly demand from the store's orders and plan the next ``weeks`` weeks
    (``level``: make ahead what overloads a week, :func:`level_to_capacity`).

    Lot sizes, lead times, service levels and lines come from ``items``, else from the store's
    ``items`` records. Stock on hand comes from ``items`` where it gives one, else from the
    store's latest stock count of the product (at or before ``start``), else the safety stock
    (see :func:`plan_production`)."""
    from .forecast import forecast
    from .series import demand_from_store

    if weeks < 1:
        raise ConfigError(f"plan at least one week, not {weeks}")
    series = demand_from_store(store, freq="W")
    df = series.df
    if start is not None:
        # plan from a given week: demand after it is not known yet
        monday = pd.Timestamp(start.date() - timedelta(days=start.weekday()))
        df = df[df["ds"] < monday]
        series = type(series)(df=df, freq=series.freq, report=series.report)
    result = forecast(series, h=weeks, freq="W", levels=(80, 95), n_jobs=n_jobs)
    kept = items_from_store(store)
    if kept is not None:  # the store's settings, for products the items table does not name
        items = kept if items is None else items.combine_first(kept)
    counted = stock_on_hand(store, start)
    if not counted.empty:  # the store's counts, where the items table gives no stock
        from_store = items_frame(counted[["product", "stock"]], source="stock counts")
        items = from_store if items is None else items.combine_first(from_store)
    plan = plan_production(
        result.forecast,
        items=items,
        orders=open_orders(store),
        capacity=measured_capacity(store, history_weeks),
        lines=product_lines(store),
        cycle_s=ideal_cycle_times(store),
        history=series.df,
        service_level=service_level,
        level=level,
    )
    plan.notes[:0] = [
        f"{r['unique_id']}: {r['method']}" + (f" ({r['note']})" if r["note"] else "")
        for r in result.selection.to_dict(orient="records")
    ]
    if not counted.empty:
        latest = pd.Timestamp(counted["counted"].max())
        if latest.tzinfo is not None:
            latest = latest.tz_convert(store.default_timezone)
        plan.notes.append(
            f"stock on hand from the store's stock counts for {len(counted)} product(s) "
            f"(latest count {latest:%Y-%m-%d %H:%M})"
        )
    return plan


# -- Excel ------------------------------------------------------------------------------------

PLAN_HEADERS = {
    "product": "제품 product",
    "line": "라인 line",
    "week": "주 week",
    "forecast": "수요예측 forecast",
    "open_orders": "미결주문 open orders",
    "gross": "총소요 gross",
    "safety_stock": "안전재고 safety stock",
    "stock_in": "기초재고 stock in",
    "production": "생산계획 production",
    "stock_out": "기말재고 stock out",
    "load_h": "부하(h) load",
}
LOAD_HEADERS = {
    "line": "라인 line",
    "week": "주 week",
    "load_h": "부하(h) load",
    "capacity_h": "능력(h) capacity",
    "utilisation": "부하율 utilisation",
    "overloaded": "초과 overloaded",
}
MOVE_HEADERS = {
    "line": "라인 line",
    "product": "제품 product",
    "from_week": "원래 주 from week",
    "to_week": "앞당긴 주 made in week",
    "quantity": "수량 quantity",
    "hours": "시간(h) hours",
}


def write_excel(plan: Plan, path: str | Path) -> Path:
    """The plan, the line load (overloaded weeks in red), the moves of a levelled plan, the
    capacity used and the notes, one sheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    red = PatternFill("solid", fgColor="F8CBAD")
    bold = Font(bold=True)
    sheets: list[tuple[str, pd.DataFrame, dict[str, str]]] = [
        ("생산계획 plan", plan.rows, PLAN_HEADERS),
        ("부하 load", plan.load, LOAD_HEADERS),
    ]
    if not plan.moves.empty:  # levelled: what was made ahead of which week
        sheets.append(("앞당김 moves", plan.moves, MOVE_HEADERS))
    for i, (title, df, headers) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = title
        ws.append([headers[c] for c in headers])
        for cell in ws[1]:
            cell.font = bold
        for rec in df[list(headers)].itertuples(index=False):
            ws.append([_cell(v) for v in rec])
            if title.startswith("부하") and rec[-1]:
                for cell in ws[ws.max_row]:
                    cell.fill = red
        ws.freeze_panes = "A2"
    ws = wb.create_sheet("능력 capacity")
    ws.append(
        [
            "라인 line",
            "계획가동(h/주) planned busy h/week",
            "가동률 availability",
            "성능 effectiveness",
            "품질 quality",
            "능력(h/주) capacity h/week",
            "주 weeks",
        ]
    )
    for c in plan.capacity:
        ws.append(
            [
                c.line,
                c.pbt_h_per_week,
                c.availability,
                c.effectiveness,
                c.quality,
                c.capacity_h,
                c.weeks,
            ]
        )
    ws = wb.create_sheet("참고 notes")
    ws.append([f"service level {plan.service_level:.0%}"])
    for n in plan.notes:
        ws.append([n])
    out = Path(path)
    wb.save(out)
    return out


def _cell(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v
