"""ISO 22400-2 KPIs as additive buckets, ratios computed last.

For each machine × time bucket the engine sums, from the state ledger and the counts:

=================  ==========================================================================
``period_s``       seconds of the bucket inside the query range
``planned_down_s`` planned downtime (no shift, breaks, planned maintenance)
``pbt_s``          planned busy time = period − planned down − no data
``apt_s``          running (actual production time)
``asut_s``         setup
``adet_s``         unplanned stops (failures and minor stops)
``adot_s``         idle (no order, material, operator)
``no_data_s``      seconds no interval covers: reported, never guessed
``pq gq sq rq``    produced, good, scrap, rework
``ideal_s``        Σ ideal cycle time × produced (per product, and per machine where set)
``no_ideal_q``     units produced whose product has no ideal cycle time
``failures``       unplanned stops at least ``minor_stop_s`` long, counted where they start
``failure_s``      their duration inside the bucket
``minor_stops``    unplanned stops shorter than ``minor_stop_s``
=================  ==========================================================================

Every second of the range is in exactly one of planned_down, apt, asut, adet, adot, no_data.
Intervals are clipped at bucket boundaries; days, weeks and months are local to each site's
time zone (so a DST day has 23 or 25 hours). Counts belong to the bucket in which they were
finished: a count stamped exactly on a boundary closes the earlier bucket. Everything is summed
in integer microseconds, so splitting a range and adding the parts gives the whole exactly.

Roll-ups (line, area, site, enterprise) sum the machine buckets; a line's OEE is the OEE of its
summed buckets, never an average of machine OEEs. Because every bucket is a plain sum, the same
query can run per partition (site, month, a Parquet file) and the parts can be added.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import pyarrow as pa

from ..errors import ConfigError
from ..store.db import Store
from ..store.schema import q
from .calendar import (
    DAY,
    DEFAULT_SHIFTS,
    HOUR,
    WEEK,
    ShiftLayout,
    bucket_table,
    key_sql,
    offset_if_fixed,
)

logger = logging.getLogger(__name__)

Grain = Literal["hour", "shift", "day", "week", "month", "range"]
GRAINS: tuple[str, ...] = ("hour", "shift", "day", "week", "month", "range")
LEVELS: tuple[str, ...] = ("enterprise", "site", "area", "line", "machine")
#: what was made: time is attributed to them through the counts (see ``_iv_sql``)
ATTRIBUTES: tuple[str, ...] = ("product", "order")

TIME_BUCKETS = (
    "period_s",
    "planned_down_s",
    "pbt_s",
    "apt_s",
    "asut_s",
    "adet_s",
    "adot_s",
    "no_data_s",
)
COUNT_BUCKETS = ("pq", "gq", "sq", "rq", "ideal_s", "no_ideal_q")
EVENT_BUCKETS = ("failures", "failure_s", "minor_stops")
BUCKETS = TIME_BUCKETS + COUNT_BUCKETS + EVENT_BUCKETS

#: KPI name → SQL over summed buckets. A zero denominator gives NULL (empty), never 0.
RATIOS: dict[str, str] = {
    "availability": "apt_s / nullif(pbt_s, 0)",
    "effectiveness": "ideal_s / nullif(apt_s, 0)",
    "quality": "gq / nullif(pq, 0)",
    "oee": "(apt_s / nullif(pbt_s, 0)) * (ideal_s / nullif(apt_s, 0)) * (gq / nullif(pq, 0))",
    "nee": "((apt_s + asut_s) / nullif(pbt_s, 0)) * (ideal_s / nullif(apt_s, 0))"
    " * (gq / nullif(pq, 0))",
    "setup_ratio": "asut_s / nullif(apt_s + asut_s, 0)",
    "technical_efficiency": "apt_s / nullif(apt_s + adet_s, 0)",
    "allocation_efficiency": "(apt_s + asut_s + adet_s) / nullif(pbt_s, 0)",
    "utilisation_efficiency": "apt_s / nullif(apt_s + asut_s + adet_s, 0)",
    "scrap_ratio": "sq / nullif(pq, 0)",
    "rework_ratio": "rq / nullif(pq, 0)",
    "mtbf_s": "apt_s / nullif(failures, 0)",
    "mttr_s": "failure_s / nullif(failures, 0)",
}

_STEP = {
    "hour": "INTERVAL 1 HOUR",
    "day": "INTERVAL 1 DAY",
    "week": "INTERVAL 7 DAY",
    "month": "INTERVAL 1 MONTH",
}
_US = 1_000_000


@dataclass(frozen=True)
class KpiQuery:
    """What to compute: grouping levels, time grain, range and machine filter."""

    by: tuple[str, ...] = ("machine",)
    grain: Grain = "range"
    start: datetime | None = None
    end: datetime | None = None
    machines: tuple[str, ...] | None = None
    minor_stop_s: float = 120.0

    @classmethod
    def parse_by(cls, by: str | list[str] | tuple[str, ...], **kw: object) -> KpiQuery:
        """``"machine,day"`` → levels ``("machine",)`` and grain ``"day"``."""
        items = [b.strip() for b in (by.split(",") if isinstance(by, str) else by) if b.strip()]
        dims = LEVELS + ATTRIBUTES
        levels = tuple(b for b in items if b in dims)
        grains = [b for b in items if b in GRAINS]
        unknown = [b for b in items if b not in dims and b not in GRAINS]
        if unknown:
            raise ConfigError(
                f"cannot group by {', '.join(unknown)}; choose from {', '.join(dims + GRAINS)}"
            )
        if len(grains) > 1:
            raise ConfigError(f"choose one time grain, not {', '.join(grains)}")
        return cls(by=levels, grain=grains[0] if grains else "range", **kw)  # type: ignore[arg-type]


def resolve_range(
    store: Store, qy: KpiQuery, machines_sql: str
) -> tuple[datetime, datetime] | None:
    """The query's range; missing ends come from the data (None when there is none)."""
    if qy.start is not None and qy.end is not None:
        return qy.start, qy.end
    row = store.con.execute(
        f'SELECT min("start"), max("end") FROM states WHERE machine IN ({machines_sql})'
    ).fetchall()[0]
    # a count closes the bucket it is stamped at the end of: start just before the first one
    crow = store.con.execute(
        "SELECT min(ts) - INTERVAL 1 MICROSECOND, max(ts) FROM counts "
        f"WHERE machine IN ({machines_sql})"
    ).fetchall()[0]
    lows = [v for v in (row[0], crow[0]) if v is not None]
    highs = [v for v in (row[1], crow[1]) if v is not None]
    if not lows:
        return None
    return qy.start or min(lows), qy.end or max(highs)


def machines_filter(qy: KpiQuery) -> str:
    """SQL list (or subquery) of the machines a query covers."""
    if qy.machines:
        return ", ".join("'" + m.replace("'", "''") + "'" for m in qy.machines)
    return "SELECT machine FROM equipment"


def _local(x: str) -> str:
    """SQL: UTC microseconds → local microseconds (a constant offset where the zone has one
    over the whole range; the time-zone database only where it does not, e.g. across DST)."""
    return (
        f"CASE WHEN off_us IS NOT NULL THEN {x} + off_us "
        f"ELSE epoch_us(timezone(tz, make_timestamp({x})::TIMESTAMPTZ)) END"
    )


def _prepare(store: Store, qy: KpiQuery, machines_sql: str, lo: datetime, hi: datetime) -> str:
    """Register the sites and buckets of the query; return the SQL for a bucket key of a
    local-microseconds expression (``{x}`` stands for the expression)."""
    sites = store.rows(
        "SELECT s.enterprise, s.site, s.timezone FROM sites s WHERE EXISTS (SELECT 1 FROM "
        "equipment e WHERE e.enterprise = s.enterprise AND e.site = s.site "
        f"AND e.machine IN ({machines_sql})) ORDER BY 1, 2"
    )
    layouts: list[ShiftLayout] = []
    site_rows: dict[str, list[object]] = {
        k: [] for k in ("site_key", "enterprise", "site", "tz", "off_us", "layout_id")
    }
    bucket_sites: list[tuple[str, str, ShiftLayout | None]] = []
    for r in sites:
        layout = None
        if qy.grain == "shift":
            layout = ShiftLayout.from_shifts(shift_calendar(store, r["enterprise"], r["site"]))
            if layout not in layouts:
                layouts.append(layout)
        key = f"{r['enterprise']}\x1f{r['site']}"
        row = (
            key,
            r["enterprise"],
            r["site"],
            r["timezone"],
            offset_if_fixed(r["timezone"], lo, hi),
            layouts.index(layout) if layout else 0,
        )
        for k, v in zip(site_rows, row, strict=True):
            site_rows[k].append(v)
        bucket_sites.append((key, r["timezone"], layout))
    store.con.register(
        "_kpi_sites",
        pa.table(
            {
                **{
                    k: pa.array(site_rows[k], pa.string())
                    for k in ("site_key", "enterprise", "site", "tz")
                },
                "off_us": pa.array(site_rows["off_us"], pa.int64()),
                "layout_id": pa.array(site_rows["layout_id"], pa.int32()),
            }
        ),
    )
    store.con.register("_kpi_buckets", bucket_table(bucket_sites, qy.grain, lo, hi))
    segs = [(i, lay.day_start + off) for i, lay in enumerate(layouts) for off, _ in lay.segments]
    store.con.register(
        "_kpi_segments",
        pa.table(
            {
                "layout_id": pa.array([a for a, _ in segs], pa.int32()),
                "seg_abs": pa.array([b for _, b in segs], pa.int64()),
            }
        ),
    )
    if qy.grain == "shift":
        whens = " ".join(f"WHEN {i} THEN {lay.key_sql('{x}')}" for i, lay in enumerate(layouts))
        return f"(CASE layout_id {whens} END)"
    return key_sql(qy.grain, "{x}")


def _candidates(grain: str) -> str:
    """SQL: the bucket keys an interval spanning buckets kb..ke may touch (filtered later)."""
    if grain in ("hour", "day", "week"):
        step = {"hour": HOUR, "day": DAY, "week": WEEK}[grain]
        return f"unnest(generate_series(kb, ke, {step}))"
    if grain == "month":
        return (
            "unnest(list_transform(generate_series(make_timestamp(kb), make_timestamp(ke), "
            "INTERVAL 1 MONTH), lambda t: epoch_us(t)))"
        )
    return "kb"  # the whole range is one bucket; shifts join the segment table instead


def _iv_sql(attr: bool) -> str:
    """SQL of the state intervals (clipped µs ``s``, ``e``) with what the buckets need.

    With ``attr``, intervals are cut where production segments change and each piece carries
    the segment's product and order: a count closes a segment of its machine that began at the
    machine's previous count, so the time up to each count (running, setup, stops, idle) is
    its product's and order's. Planned downtime belongs to no product. Failure counting still
    sees whole intervals (``full_us``, ``starts_here`` come from the original interval).
    """
    if not attr:
        return """
        SELECT st.machine, st.state, NULL::VARCHAR AS product, NULL::VARCHAR AS "order",
               m.site_key, m.tz, m.off_us, m.layout_id,
               greatest(epoch_us(st."start"), $lo_us) AS s,
               least(epoch_us(st."end"), $hi_us) AS e,
               st.state = 'down' AND epoch_us(st."end") - epoch_us(st."start") < $minor_us
                 AS minor,
               epoch_us(st."start") >= $lo_us AS starts_here
        FROM states st JOIN m USING (machine)
        WHERE st."end" > make_timestamp($lo_us)::TIMESTAMPTZ
          AND st."start" < make_timestamp($hi_us)::TIMESTAMPTZ"""
    return """
        WITH st AS (
            SELECT st.machine, epoch_us(st."start") AS st_s, epoch_us(st."end") AS st_e, st.state
            FROM states st JOIN m USING (machine)
            WHERE st."end" > make_timestamp($lo_us)::TIMESTAMPTZ
              AND st."start" < make_timestamp($hi_us)::TIMESTAMPTZ
        ), seg AS (
            SELECT c.machine, epoch_us(c.ts) AS seg_end,
                   arg_max(c.product, c.good + c.scrap + c.rework) AS product,
                   arg_max(c."order", c.good + c.scrap + c.rework) AS "order"
            FROM counts c JOIN m USING (machine) GROUP BY ALL
        ), cuts AS (
            SELECT machine, greatest(st_s, $lo_us) AS t FROM st
            UNION SELECT machine, least(st_e, $hi_us) FROM st
            UNION SELECT seg.machine, seg_end FROM seg
                  WHERE seg_end > $lo_us AND seg_end < $hi_us
        ), el AS (
            SELECT machine, t AS s, lead(t) OVER (PARTITION BY machine ORDER BY t) AS e FROM cuts
        ), el_state AS (
            SELECT el.machine, el.s, el.e, st.state, st.st_s, st.st_e
            FROM el ASOF JOIN st ON el.machine = st.machine AND el.s >= st.st_s
            WHERE el.e IS NOT NULL AND el.s < st.st_e
        )
        SELECT x.machine, x.state,
               CASE WHEN x.state <> 'planned_down' THEN g.product END AS product,
               CASE WHEN x.state <> 'planned_down' THEN g."order" END AS "order",
               m.site_key, m.tz, m.off_us, m.layout_id, x.s, x.e,
               x.state = 'down' AND x.st_e - x.st_s < $minor_us AS minor,
               x.s = x.st_s AND x.st_s >= $lo_us AS starts_here
        FROM el_state x
        ASOF LEFT JOIN seg g ON x.machine = g.machine AND x.s < g.seg_end
        JOIN m ON m.machine = x.machine"""


def buckets_sql(qy: KpiQuery, machines_sql: str, key: str) -> str:
    """Machine × bucket (× product × order) rows of time (µs) and counts.

    Parameters $lo_us, $hi_us, $minor_us. One pass over the intervals groups them by (machine,
    state, minor, first bucket ``kb``, last bucket ``ke``) keeping n, Σ start and Σ end. The
    time an interval spends in each bucket is linear in its start and end (first bucket: its
    end − start; middle ones: their whole length; last one: end − its start), so the groups are
    split into buckets afterwards, from a few thousand aggregated rows instead of every
    interval. By product or order, a machine's bucket is split among the products it made
    (see :func:`_iv_sql`); the row with no product keeps the rest of the period, so the rows
    of a machine still add up to its period.
    """
    attr = any(d in qy.by for d in ATTRIBUTES)
    k_s = key.replace("{x}", _local("s"))
    k_e = key.replace("{x}", _local("(e - 1)"))
    k_c = key.replace("{x}", _local("(epoch_us(c.ts) - 1)"))
    if qy.grain == "shift":
        exploded = f"""
            SELECT a.*, t.d * {DAY} + g.seg_abs AS b
            FROM agg a
            CROSS JOIN unnest(generate_series(a.kb // {DAY} - 1, a.ke // {DAY} + 1, 1)) AS t(d)
            JOIN _kpi_segments g ON g.layout_id = a.layout_id
            WHERE a.kb <> a.ke AND t.d * {DAY} + g.seg_abs BETWEEN a.kb AND a.ke"""
    else:
        exploded = f"SELECT *, {_candidates(qy.grain)} AS b FROM agg WHERE kb <> ke"
    same = (
        "ON {a}.machine = {b}.machine AND {a}.b = {b}.b "
        "AND {a}.product IS NOT DISTINCT FROM {b}.product "
        'AND {a}."order" IS NOT DISTINCT FROM {b}."order"'
    )
    counts_attr = (
        'c.product, c."order"' if attr else 'NULL::VARCHAR AS product, NULL::VARCHAR AS "order"'
    )
    if attr:
        period = (
            'CASE WHEN k.product IS NULL AND k."order" IS NULL THEN bk.period_us - coalesce('
            'sum(tb.covered_us) FILTER (WHERE k.product IS NOT NULL OR k."order" IS NOT NULL) '
            "OVER (PARTITION BY k.machine, k.b), 0) ELSE coalesce(tb.covered_us, 0) END"
        )
        keys = """
            SELECT machine, b, NULL::VARCHAR AS product, NULL::VARCHAR AS "order" FROM bk
            UNION SELECT machine, b, product, "order" FROM tb
            UNION SELECT machine, b, product, "order" FROM cb"""
    else:
        period = "bk.period_us"
        keys = 'SELECT machine, b, NULL::VARCHAR AS product, NULL::VARCHAR AS "order" FROM bk'
    return f"""
    WITH m AS (
        SELECT e.enterprise, e.site, e.area, e.line, e.machine,
               x.site_key, x.tz, x.off_us, x.layout_id
        FROM equipment e JOIN _kpi_sites x ON x.enterprise = e.enterprise AND x.site = e.site
        WHERE e.machine IN ({machines_sql})
    ), iv AS ({_iv_sql(attr)}
    ), agg AS (
        SELECT machine, product, "order", site_key, layout_id, state, minor,
               {k_s} AS kb, {"kb" if qy.grain == "range" else k_e} AS ke,
               count(*) AS n, sum(s) AS sum_s, sum(e) AS sum_e,
               count(*) FILTER (WHERE starts_here) AS n_start
        FROM iv GROUP BY ALL
    ), pieces AS (
        SELECT machine, product, "order", state, minor, kb AS b, sum_e - sum_s AS us, n_start
        FROM agg WHERE kb = ke
        UNION ALL
        SELECT x.machine, x.product, x."order", x.state, x.minor, x.b,
               CASE WHEN x.b = x.kb THEN x.n * bt.b_hi_us - x.sum_s
                    WHEN x.b = x.ke THEN x.sum_e - x.n * bt.b_lo_us
                    ELSE x.n * (bt.b_hi_us - bt.b_lo_us) END AS us,
               CASE WHEN x.b = x.kb THEN x.n_start ELSE 0 END AS n_start
        FROM ({exploded}) x
        JOIN _kpi_buckets bt ON bt.site_key = x.site_key AND bt.b = x.b
    ), tb AS (
        SELECT machine, product, "order", b,
          sum(us) FILTER (WHERE state = 'planned_down') AS planned_down_us,
          sum(us) FILTER (WHERE state = 'running') AS apt_us,
          sum(us) FILTER (WHERE state = 'setup') AS asut_us,
          sum(us) FILTER (WHERE state = 'down') AS adet_us,
          sum(us) FILTER (WHERE state = 'idle') AS adot_us,
          sum(us) AS covered_us,
          sum(n_start) FILTER (WHERE state = 'down' AND NOT minor) AS failures,
          sum(us) FILTER (WHERE state = 'down' AND NOT minor) AS failure_us,
          sum(n_start) FILTER (WHERE state = 'down' AND minor) AS minor_stops
        FROM pieces GROUP BY ALL
    ), cb AS (
        SELECT c.machine, {counts_attr}, {k_c} AS b,
          sum(c.good + c.scrap + c.rework) AS pq, sum(c.good) AS gq, sum(c.scrap) AS sq,
          sum(c.rework) AS rq,
          sum((c.good + c.scrap + c.rework) * coalesce(pm.ideal_cycle_s, pg.ideal_cycle_s))
            AS ideal_s,
          sum(c.good + c.scrap + c.rework) FILTER (
            WHERE coalesce(pm.ideal_cycle_s, pg.ideal_cycle_s) IS NULL) AS no_ideal_q
        FROM counts c JOIN m USING (machine)
        LEFT JOIN products pm ON pm.product = c.product AND pm.machine = c.machine
        LEFT JOIN products pg ON pg.product = c.product AND pg.machine IS NULL
        WHERE c.ts > make_timestamp($lo_us)::TIMESTAMPTZ
          AND c.ts <= make_timestamp($hi_us)::TIMESTAMPTZ
        GROUP BY ALL
    ), bk AS (
        SELECT m.machine, bt.b, bt.shift, bt.shift_day, bt.b_hi_us - bt.b_lo_us AS period_us
        FROM m JOIN _kpi_buckets bt USING (site_key)
    ), j AS (
        SELECT m.enterprise, m.site, m.area, m.line, k.machine, k.product, k."order", k.b,
          bk.shift, bk.shift_day,
          {period} AS period_us,
          coalesce(tb.covered_us, 0) AS covered_us,
          coalesce(tb.planned_down_us, 0) AS planned_down_us,
          coalesce(tb.apt_us, 0) AS apt_us, coalesce(tb.asut_us, 0) AS asut_us,
          coalesce(tb.adet_us, 0) AS adet_us, coalesce(tb.adot_us, 0) AS adot_us,
          coalesce(cb.pq, 0) AS pq, coalesce(cb.gq, 0) AS gq, coalesce(cb.sq, 0) AS sq,
          coalesce(cb.rq, 0) AS rq, coalesce(cb.ideal_s, 0) AS ideal_s,
          coalesce(cb.no_ideal_q, 0) AS no_ideal_q,
          coalesce(tb.failures, 0) AS failures, coalesce(tb.failure_us, 0) AS failure_us,
          coalesce(tb.minor_stops, 0) AS minor_stops
        FROM ({keys}) k
        JOIN m ON m.machine = k.machine
        JOIN bk ON bk.machine = k.machine AND bk.b = k.b
        LEFT JOIN tb {same.format(a="tb", b="k")}
        LEFT JOIN cb {same.format(a="cb", b="k")}
    )
    SELECT * EXCLUDE (covered_us), period_us - covered_us AS no_data_us FROM j
    """


#: how each grain's bucket is labelled in the output (local time)
_LABELS = {
    "hour": ["make_timestamp(b) AS hour"],
    "day": ["CAST(make_timestamp(b) AS DATE) AS day"],
    "week": ["CAST(make_timestamp(b) AS DATE) AS week"],
    "month": ["CAST(make_timestamp(b) AS DATE) AS month"],
    "shift": ["shift_day AS day", "shift AS shift"],
    "range": [],
}


def compute(store: Store, qy: KpiQuery) -> pa.Table:
    """Buckets and KPIs grouped by ``qy.by`` × ``qy.grain``, as an Arrow table.

    Columns: the grouping levels, the time bucket (``hour``/``day``/``week``/``month`` in local
    time, or ``day`` and ``shift``; absent for the whole range), then :data:`BUCKETS` (seconds
    and counts), then :data:`RATIOS` (0–1, seconds for MTBF/MTTR; NULL where the denominator
    is 0), then ``effectiveness_above_1`` which flags a wrong ideal cycle time instead of hiding
    it.
    """
    machines_sql = machines_filter(qy)
    rng = resolve_range(store, qy, machines_sql)
    labels = [lab.rsplit(" AS ", 1)[1] for lab in _LABELS[qy.grain]]
    dims = [*qy.by, *labels]
    if rng is None:
        return pa.table({c: pa.array([], pa.float64()) for c in [*dims, *BUCKETS, *RATIOS]})
    lo, hi = rng
    if hi <= lo:
        raise ConfigError(f"the range ends ({hi}) before it starts ({lo})")
    key = _prepare(store, qy, machines_sql, lo, hi)
    try:
        inner = buckets_sql(qy, machines_sql, key)
        select_dims = ", ".join([*(q(b) for b in qy.by), *_LABELS[qy.grain]])
        group = ", ".join([*(q(b) for b in qy.by), *labels])
        sums = ",\n".join(
            [f"sum({c[:-2]}_us) / {_US}.0 AS {c}" for c in TIME_BUCKETS if c != "pbt_s"]
            + [f"(sum(period_us) - sum(planned_down_us) - sum(no_data_us)) / {_US}.0 AS pbt_s"]
            + [f"sum({c})::DOUBLE AS {c}" for c in COUNT_BUCKETS]
            + [
                "sum(failures)::BIGINT AS failures",
                f"sum(failure_us) / {_US}.0 AS failure_s",
                "sum(minor_stops)::BIGINT AS minor_stops",
            ]
        )
        ratios = ",\n".join(f"{expr} AS {name}" for name, expr in RATIOS.items())
        ordered = ", ".join(q(c) for c in [*dims, *BUCKETS])
        sql = f"""
        WITH x AS ({inner}),
        g AS (
            SELECT {select_dims + ", " if select_dims else ""}{sums}
            FROM x {"GROUP BY " + group if group else ""}
        )
        SELECT {ordered}, {ratios}, (ideal_s / nullif(apt_s, 0)) > 1 AS effectiveness_above_1
        FROM g {"ORDER BY " + ", ".join(q(d) for d in dims) if dims else ""}
        """
        lo_us = int((lo - _EPOCH) / timedelta(microseconds=1))
        hi_us = int((hi - _EPOCH) / timedelta(microseconds=1))
        params = {"lo_us": lo_us, "hi_us": hi_us, "minor_us": int(qy.minor_stop_s * _US)}
        return store.con.sql(sql, params=params).to_arrow_table()
    finally:
        for name in ("_kpi_sites", "_kpi_buckets", "_kpi_segments"):
            store.con.unregister(name)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def shift_calendar(store: Store, enterprise: str, site: str) -> tuple[tuple[str, str, str], ...]:
    """The site's shifts as (name, start HH:MM, end HH:MM); the default when it has none."""
    rows = store.rows(
        "SELECT shift, start_time, end_time FROM shifts WHERE enterprise = ? AND site = ? "
        "ORDER BY start_time",
        [enterprise, site],
    )
    return tuple((r["shift"], r["start_time"], r["end_time"]) for r in rows) or DEFAULT_SHIFTS


def set_shift_calendar(
    store: Store, enterprise: str, site: str, shifts: list[tuple[str, str, str]]
) -> None:
    """Replace a site's shift calendar (validated: shifts may not overlap)."""
    ShiftLayout.from_shifts(tuple(shifts))
    with store.transaction():
        store.con.execute(
            "DELETE FROM shifts WHERE enterprise = ? AND site = ?", [enterprise, site]
        )
        for name, a, b in shifts:
            store.con.execute(
                "INSERT INTO shifts VALUES (?, ?, ?, ?, ?)", [enterprise, site, name, a, b]
            )
