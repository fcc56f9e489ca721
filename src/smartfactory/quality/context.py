"""The context of every production lot, assembled from the store for root-cause analysis.

One row per production lot and machine (the counts that carry a ``lot``), with its units
(produced = good + scrap + rework) and scrap as the outcome, and as candidate causes:

=========================  ==================================================================
``machine``, ``line``      where it was made (``machine`` is also the stratum, below)
``product``                what was made
``shift``                  the site's shift (see ``smartfactory shifts``) of most of its units
``operator``, ``tool``     who ran it and the tool or mould it was made with (the counts'
                           ``operator`` and ``tool``; of most of its units), where recorded
``tool_units``             units that tool had made, on any machine, before the lot's first
                           count (tool life used: a worn die or mould)
``material_lot[M]``        the purchased lot of material ``M`` it consumed (genealogy parents
                           whose lot has a supplier), one column per material
``supplier[M]``            that lot's supplier
``<tag>_mean/_min/_max``   each process tag of its machine over its production window (an
                           hour before its first count to its last)
``hours_since_setup``      since the end of the machine's last setup before the lot
``hours_since_repair``     since the end of the machine's last failure (a stop ≥ 2 min)
``day_index``              days since the first lot analysed (wear, drift)
=========================  ==================================================================

Rows are judged within machines (``strata``): a machine that always scraps more than another
is its normal level, shown by its p chart and the Pareto; a finding is a condition that makes
scrap higher than usual *on the same machine* (a tag above a threshold, a bad material lot, a
machine's late days).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ..errors import InputError
from ..kpi.engine import shift_calendar
from ..store.db import Store
from .conditions import Clause

logger = logging.getLogger(__name__)

WINDOW_BEFORE_S = 3600
FAILURE_MIN_S = 120


@dataclass
class LotContext:
    """Features, outcome and strata of the lots analysed."""

    frame: Any  # pandas DataFrame of candidate features, one row per lot and machine
    lots: list[str]
    produced: np.ndarray
    scrap: np.ndarray
    first_ts: Any  # pandas Series of UTC timestamps
    machine: np.ndarray

    @property
    def y(self) -> np.ndarray:
        return self.scrap / self.produced


def _where(product: str | None, start: datetime | None, end: datetime | None) -> tuple[str, list]:
    sql: list[str] = ["c.lot IS NOT NULL"]
    params: list[Any] = []
    if product:
        sql.append("c.product = ?")
        params.append(product)
    if start:
        sql.append("c.ts >= ?")
        params.append(start)
    if end:
        sql.append("c.ts < ?")
        params.append(end)
    return " AND ".join(sql), params


def lot_context(
    store: Store,
    *,
    product: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> LotContext:
    """Assemble the lot table (see the module docstring). Raises InputError without lots."""
    import pandas as pd

    where, params = _where(product, start, end)
    con = store.con
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _rc_lots AS
        SELECT c.lot, c.machine, any_value(e.line) AS line, arg_max(c.product, c.good + c.scrap
               + c.rework) AS product, min(c.ts) AS first_ts, max(c.ts) AS last_ts,
               sum(c.good + c.scrap + c.rework)::DOUBLE AS produced, sum(c.scrap)::DOUBLE AS scrap,
               any_value(e.enterprise) AS enterprise, any_value(e.site) AS site
        FROM counts c LEFT JOIN equipment e USING (machine)
        WHERE {where}
        GROUP BY c.lot, c.machine
        HAVING sum(c.good + c.scrap + c.rework) > 0
        """,
        params,
    )
    base = con.sql("SELECT * FROM _rc_lots ORDER BY first_ts, machine, lot").df()
    if base.empty:
        raise InputError(
            "no production counts with a lot in the range asked for; import counts with a "
            "`lot` column (or widen --from/--to, check --product)"
        )
    key = base["lot"] + "\x1f" + base["machine"]
    frame = pd.DataFrame(
        {
            "machine": base["machine"].astype(str),
            "line": base["line"].fillna("?").astype(str),
            "product": base["product"].astype(str),
        }
    )
    frame["shift"] = _shifts(store, where, params).reindex(key).to_numpy()
    for col, values in _crew(store, where, params).items():
        frame[col] = values.reindex(key).to_numpy()
    materials = _materials(store)
    for col in materials.columns:
        frame[col] = materials[col].reindex(base["lot"]).to_numpy()
    tags = _tags(store)
    for col in tags.columns:
        frame[col] = tags[col].reindex(key).to_numpy()
    for name, state, min_s in (("setup", "setup", 0), ("repair", "down", FAILURE_MIN_S)):
        frame[f"hours_since_{name}"] = _since(store, state, min_s).reindex(key).to_numpy()
    t = pd.to_datetime(base["first_ts"], utc=True)
    frame["day_index"] = ((t - t.min()).dt.total_seconds() / 86_400).round(3).to_numpy()
    con.execute("DROP TABLE IF EXISTS _rc_lots")
    return LotContext(
        frame,
        base["lot"].astype(str).tolist(),
        base["produced"].to_numpy(float),
        base["scrap"].to_numpy(float),
        t,
        base["machine"].astype(str).to_numpy(),
    )


def _key(df: Any) -> Any:
    return df["lot"] + "\x1f" + df["machine"]


def _shifts(store: Store, where: str, params: list) -> Any:
    """The shift in which most of each lot's units were finished (the site's calendar)."""
    import pandas as pd

    rows = store.con.execute(
        f"""
        SELECT c.lot, c.machine, e.enterprise, e.site,
               strftime(timezone(coalesce(s.timezone, ?), c.ts), '%H:%M') AS hm,
               (c.good + c.scrap + c.rework)::DOUBLE AS produced
        FROM counts c LEFT JOIN equipment e USING (machine)
        LEFT JOIN sites s ON s.enterprise = e.enterprise AND s.site = e.site
        WHERE {where}
        """,
        [store.default_timezone, *params],
    ).df()
    rows["shift"] = "off"
    for key, idx in rows.groupby(["enterprise", "site"], dropna=False).groups.items():
        parts: tuple[Any, ...] = tuple(key)  # type: ignore[arg-type]
        ent, site = parts
        cal = shift_calendar(store, str(ent), str(site))
        hm = rows.loc[idx, "hm"]
        for name, a, b in cal:
            inside = (hm >= a) & (hm < b) if a < b else (hm >= a) | (hm < b)
            rows.loc[inside[inside].index, "shift"] = name
    agg: Any = rows.groupby(["lot", "machine", "shift"], as_index=False)["produced"].sum()
    agg = agg.sort_values("produced").drop_duplicates(["lot", "machine"], keep="last")
    return pd.Series(agg["shift"].to_numpy(), index=_key(agg).to_numpy())


def _crew(store: Store, where: str, params: list) -> dict[str, Any]:
    """Per lot and machine: the operator and the tool of most of its units, and the units the
    tool had made before the lot's first count since its latest maintenance (regrind, repair);
    only what the counts record."""
    import pandas as pd

    rows = store.con.execute(
        f"""
        WITH life AS (
            -- every count (any product, any time): a tool's earlier use outside the range
            -- analysed still counts, back to its latest maintenance (a count finished when
            -- the maintenance did was made before it)
            SELECT c.lot, c.machine, c.product, c.operator, c.tool, c.ts,
                   (c.good + c.scrap + c.rework)::DOUBLE AS produced,
                   sum((c.good + c.scrap + c.rework)::DOUBLE) OVER (
                       PARTITION BY c.tool, m.ts ORDER BY c.ts, c.machine, c.product
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
            FROM counts c ASOF LEFT JOIN tool_maintenance m ON m.tool = c.tool AND c.ts > m.ts
        ), c AS (
            SELECT * FROM life c WHERE {where}
        ), by_tool AS (
            SELECT lot, machine, tool, sum(produced) AS produced,
                   min(coalesce(before, 0)) AS before
            FROM c WHERE tool IS NOT NULL GROUP BY ALL
        ), by_operator AS (
            SELECT lot, machine, operator, sum(produced) AS produced
            FROM c WHERE operator IS NOT NULL GROUP BY ALL
        )
        SELECT 'tool' AS what, lot, machine, tool AS value, produced, before FROM by_tool
        UNION ALL
        SELECT 'operator', lot, machine, operator, produced, NULL FROM by_operator
        """,
        params,
    ).df()
    out: dict[str, Any] = {}
    for what in ("operator", "tool"):
        df = rows[rows["what"] == what].sort_values(["produced", "value"])
        if df.empty:
            continue
        df = df.drop_duplicates(["lot", "machine"], keep="last")
        index = _key(df).to_numpy()
        out[what] = pd.Series(df["value"].astype(str).to_numpy(), index=index)
        if what == "tool":
            out["tool_units"] = pd.Series(df["before"].to_numpy(float), index=index)
    return out


def _materials(store: Store) -> Any:
    """Per production lot: the purchased lot and supplier of each material it consumed."""
    df = store.con.sql(
        """
        SELECT g.child_lot AS lot, p.product AS material,
               arg_max(g.parent_lot, coalesce(g.quantity, 0)) AS parent,
               arg_max(p.supplier, coalesce(g.quantity, 0)) AS supplier
        FROM genealogy g JOIN lots p ON p.lot = g.parent_lot
        WHERE p.supplier IS NOT NULL AND g.child_lot IN (SELECT lot FROM _rc_lots)
        GROUP BY ALL
        """
    ).df()
    if df.empty:
        return df.set_index("lot")[[]]
    lots = df.pivot(index="lot", columns="material", values="parent")
    sup = df.pivot(index="lot", columns="material", values="supplier")
    lots.columns = [f"material_lot[{m}]" for m in lots.columns]
    sup.columns = [f"supplier[{m}]" for m in sup.columns]
    return lots.join(sup)


def _tags(store: Store) -> Any:
    """Mean, min and max of each tag of the lot's machine over its production window."""
    df = store.con.sql(
        f"""
        SELECT l.lot, l.machine, m.tag, avg(m.value) AS mean, min(m.value) AS min,
               max(m.value) AS max
        FROM _rc_lots l JOIN measurements m ON m.machine = l.machine
             AND m.ts >= l.first_ts - INTERVAL {WINDOW_BEFORE_S} SECOND AND m.ts <= l.last_ts
        GROUP BY ALL
        """
    ).df()
    if df.empty:
        return df.set_index(["lot"])[[]]
    df["key"] = _key(df)
    wide = df.pivot(index="key", columns="tag", values=["mean", "min", "max"])
    wide.columns = [f"{tag}_{stat}" for stat, tag in wide.columns]
    return wide[sorted(wide.columns)]


def _since(store: Store, state: str, min_s: float) -> Any:
    """Hours from the end of the machine's last ``state`` interval (≥ min_s long) before each
    lot's first count."""
    import pandas as pd

    df = store.con.execute(
        """
        WITH ev AS (
            SELECT machine, "end" FROM states
            WHERE state = ? AND epoch("end") - epoch("start") >= ?
        )
        SELECT l.lot, l.machine, (epoch(l.first_ts) - epoch(ev."end")) / 3600 AS hours
        FROM _rc_lots l ASOF LEFT JOIN ev ON ev.machine = l.machine AND ev."end" <= l.first_ts
        """,
        [state, min_s],
    ).df()
    return pd.Series(df["hours"].to_numpy(float), index=_key(df).to_numpy())


#: fewest lots a condition on the store's lots may cover on the training part
LOT_MIN_ROWS = 3


def analyse_store(
    store: Store,
    *,
    product: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    chronological: bool = False,
    **params: Any,
) -> tuple[Any, LotContext]:
    """Root cause of scrap over the store's lots: a fitted analyser and the lot table.

    The split is stratified (random) unless ``chronological``: a one-off cause such as a bad
    material lot cannot be checked on a later period in which it no longer occurs.

    Rows are production lots of hundreds of units, so a condition may cover as few as
    :data:`LOT_MIN_ROWS` lots (a bad material lot may feed only a handful): the evidence lies in
    their units, and the held-out tests allow for lots that vary more than their units would.
    """
    import pandas as pd

    from .rootcause import RootCauseAnalyzer

    ctx = lot_context(store, product=product, start=start, end=end)
    defaults = {
        # the boosted model alone: the forest's inner cross-validation triples the time of a
        # lot analysis (5.5 → 17.6 s on a simulated plant) and its score is a side figure here
        "forest": False,
        "derived_features": False,
        "min_support": 0.002,
        "min_rows": LOT_MIN_ROWS,
        "trend_feature": "day_index",
    }
    analyzer = RootCauseAnalyzer(**{**defaults, **params})
    analyzer.fit(
        ctx.frame,
        ctx.y,
        time=ctx.first_ts if chronological else None,
        sample_weight=ctx.produced,
        strata=pd.Series(ctx.machine, name="machine"),
    )
    return analyzer, ctx


def evidence(ctx: LotContext, cause: dict[str, Any], bins: int = 12) -> dict[str, Any]:
    """The data behind a finding, for a chart: the scrap rate over the range of its numeric
    feature (within its categorical clause, if any), or over the levels of its column."""
    frame, y, w = ctx.frame, ctx.y, ctx.produced
    clauses = cause["clauses"]
    rows = np.ones(len(frame), bool)
    numeric = [c for c in clauses if c["op"] not in ("=", "in")]
    for c in clauses:
        if c["op"] in ("=", "in") and numeric and c["feature"] in frame:
            values = [str(v) for v in c["value"]] if c["op"] == "in" else [str(c["value"])]
            rows &= frame[c["feature"]].astype(str).isin(values).to_numpy()
    if numeric and numeric[0]["feature"] in frame:
        cl = numeric[0]
        x = frame[cl["feature"]].to_numpy(float)
        ok = rows & np.isfinite(x)
        if not ok.any():
            return {"kind": "none"}
        edges = np.unique(np.quantile(x[ok], np.linspace(0, 1, bins + 1)))
        k = np.clip(np.searchsorted(edges, x[ok], side="right") - 1, 0, len(edges) - 2)
        units = np.bincount(k, w[ok], len(edges) - 1)
        bad = np.bincount(k, w[ok] * y[ok], len(edges) - 1)
        return {
            "kind": "numeric",
            "feature": cl["feature"],
            "within": [
                str(
                    Clause(
                        c["feature"], c["op"], tuple(c["value"]) if c["op"] == "in" else c["value"]
                    )
                )
                for c in clauses
                if c["op"] in ("=", "in")
            ],
            "threshold": cl["value"],
            "op": cl["op"],
            "bins": [
                {"lo": float(a), "hi": float(b), "units": float(u), "rate": float(d / u)}
                for a, b, u, d in zip(edges[:-1], edges[1:], units, bad, strict=True)
                if u > 0
            ],
        }
    cl = clauses[0]
    if cl["feature"] not in frame:
        return {"kind": "none"}
    col = frame[cl["feature"]].astype(object).where(frame[cl["feature"]].notna(), "–")
    col = col.astype(str).to_numpy()
    levels, codes = np.unique(col, return_inverse=True)
    units = np.bincount(codes, w, len(levels))
    bad = np.bincount(codes, w * y, len(levels))
    order = np.argsort(-units)[:15]
    if str(cl["value"]) in levels and np.flatnonzero(levels == str(cl["value"]))[0] not in order:
        order = np.append(order, np.flatnonzero(levels == str(cl["value"]))[0])
    return {
        "kind": "categorical",
        "feature": cl["feature"],
        "value": cl["value"],
        "levels": [
            {"level": str(levels[i]), "units": float(units[i]), "rate": float(bad[i] / units[i])}
            for i in sorted(order, key=lambda i: str(levels[i]))
            if units[i] > 0
        ],
    }
