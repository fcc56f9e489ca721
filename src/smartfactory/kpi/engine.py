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
from datetime import datetime
from typing import Literal

import pyarrow as pa

from ..errors import ConfigError
from ..store.db import Store
from ..store.schema import q

logger = logging.getLogger(__name__)

Grain = Literal["hour", "day", "week", "month", "range"]
GRAINS: tuple[str, ...] = ("hour", "day", "week", "month", "range")
LEVELS: tuple[str, ...] = ("enterprise", "site", "area", "line", "machine")

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
        levels = tuple(b for b in items if b in LEVELS)
        grains = [b for b in items if b in GRAINS]
        unknown = [b for b in items if b not in LEVELS and b not in GRAINS]
        if unknown:
            raise ConfigError(
                f"cannot group by {', '.join(unknown)}; choose from {', '.join(LEVELS + GRAINS)}"
            )
        if len(grains) > 1:
            raise ConfigError(f"choose one time grain, not {', '.join(grains)}")
        return cls(by=levels, grain=grains[0] if grains else "range", **kw)  # type: ignore[arg-type]


def _range(store: Store, qy: KpiQuery, machines_sql: str) -> tuple[datetime, datetime] | None:
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


def buckets_sql(qy: KpiQuery, machines_sql: str) -> str:
    """The machine × bucket query. Parameters: $lo, $hi (TIMESTAMPTZ), $minor_us (BIGINT)."""
    g = qy.grain
    if g == "range":
        bucket = "NULL::TIMESTAMP"
        b_start, b_end = "$lo", "$hi"
        buckets = "SELECT m.*, NULL::TIMESTAMP AS b FROM m"
        single = "true"
        multi_b = "NULL::TIMESTAMP"
        piece_start, piece_end = "s", "e"
    else:
        step = _STEP[g]
        trunc = "week" if g == "week" else g

        def bucket_of(ts: str) -> str:
            return f"date_trunc('{trunc}', timezone(tz, {ts}))"

        bucket = bucket_of("s")
        b_start = "greatest($lo, timezone(tz, b))"
        b_end = f"least($hi, timezone(tz, b + {step}))"
        buckets = (
            "SELECT m.*, unnest(generate_series("
            f"{bucket_of('$lo')}, {bucket_of('$hi - INTERVAL 1 MICROSECOND')}, {step})) AS b "
            "FROM m"
        )
        single = f"{bucket_of('s')} = {bucket_of('e - INTERVAL 1 MICROSECOND')}"
        multi_b = (
            f"unnest(generate_series({bucket_of('s')}, "
            f"{bucket_of('e - INTERVAL 1 MICROSECOND')}, {step}))"
        )
        piece_start, piece_end = "timezone(tz, b)", f"timezone(tz, b + {step})"
    count_bucket = (
        "NULL::TIMESTAMP"
        if g == "range"
        else bucket.replace("timezone(tz, s)", "timezone(tz, c.ts - INTERVAL 1 MICROSECOND)")
    )
    return f"""
    WITH m AS (
        SELECT e.enterprise, e.site, e.area, e.line, e.machine, s.timezone AS tz
        FROM equipment e JOIN sites s USING (enterprise, site)
        WHERE e.machine IN ({machines_sql})
    ), iv AS (
        SELECT st.machine, st.state, m.tz,
               greatest(st."start", $lo) AS s, least(st."end", $hi) AS e,
               epoch_us(st."end") - epoch_us(st."start") AS full_us,
               st."start" >= $lo AS starts_here
        FROM states st JOIN m USING (machine)
        WHERE st."end" > $lo AND st."start" < $hi
    ), pieces AS (
        SELECT machine, state, full_us, starts_here, {bucket} AS b,
               epoch_us(e) - epoch_us(s) AS us
        FROM iv WHERE {single}
        UNION ALL
        SELECT machine, state, full_us, starts_here AND b = {bucket} AS starts_here, b,
               epoch_us(least(e, {piece_end})) - epoch_us(greatest(s, {piece_start})) AS us
        FROM (SELECT *, {multi_b} AS b FROM iv WHERE NOT ({single}))
    ), tb AS (
        SELECT machine, b,
          sum(us) FILTER (WHERE state = 'planned_down') AS planned_down_us,
          sum(us) FILTER (WHERE state = 'running') AS apt_us,
          sum(us) FILTER (WHERE state = 'setup') AS asut_us,
          sum(us) FILTER (WHERE state = 'down') AS adet_us,
          sum(us) FILTER (WHERE state = 'idle') AS adot_us,
          sum(us) AS covered_us,
          count(*) FILTER (WHERE state = 'down' AND starts_here AND full_us >= $minor_us)
            AS failures,
          sum(us) FILTER (WHERE state = 'down' AND full_us >= $minor_us) AS failure_us,
          count(*) FILTER (WHERE state = 'down' AND starts_here AND full_us < $minor_us)
            AS minor_stops
        FROM pieces GROUP BY machine, b
    ), cb AS (
        SELECT c.machine, {count_bucket} AS b,
          sum(c.good + c.scrap + c.rework) AS pq, sum(c.good) AS gq, sum(c.scrap) AS sq,
          sum(c.rework) AS rq,
          sum((c.good + c.scrap + c.rework) * coalesce(pm.ideal_cycle_s, pg.ideal_cycle_s))
            AS ideal_s,
          sum(c.good + c.scrap + c.rework) FILTER (
            WHERE coalesce(pm.ideal_cycle_s, pg.ideal_cycle_s) IS NULL) AS no_ideal_q
        FROM counts c JOIN m USING (machine)
        LEFT JOIN products pm ON pm.product = c.product AND pm.machine = c.machine
        LEFT JOIN products pg ON pg.product = c.product AND pg.machine IS NULL
        WHERE c.ts > $lo AND c.ts <= $hi
        GROUP BY ALL
    ), bk AS (
        SELECT *, epoch_us({b_end}) - epoch_us({b_start}) AS period_us FROM ({buckets})
    )
    SELECT bk.enterprise, bk.site, bk.area, bk.line, bk.machine, bk.b AS bucket,
      bk.period_us,
      coalesce(tb.planned_down_us, 0) AS planned_down_us,
      coalesce(tb.apt_us, 0) AS apt_us, coalesce(tb.asut_us, 0) AS asut_us,
      coalesce(tb.adet_us, 0) AS adet_us, coalesce(tb.adot_us, 0) AS adot_us,
      bk.period_us - coalesce(tb.covered_us, 0) AS no_data_us,
      coalesce(cb.pq, 0) AS pq, coalesce(cb.gq, 0) AS gq, coalesce(cb.sq, 0) AS sq,
      coalesce(cb.rq, 0) AS rq, coalesce(cb.ideal_s, 0) AS ideal_s,
      coalesce(cb.no_ideal_q, 0) AS no_ideal_q,
      coalesce(tb.failures, 0) AS failures, coalesce(tb.failure_us, 0) AS failure_us,
      coalesce(tb.minor_stops, 0) AS minor_stops
    FROM bk
    LEFT JOIN tb ON tb.machine = bk.machine AND tb.b IS NOT DISTINCT FROM bk.b
    LEFT JOIN cb ON cb.machine = bk.machine AND cb.b IS NOT DISTINCT FROM bk.b
    WHERE bk.period_us > 0
    """


def compute(store: Store, qy: KpiQuery) -> pa.Table:
    """Buckets and KPIs grouped by ``qy.by`` × ``qy.grain``, as an Arrow table.

    Columns: the grouping levels, the time bucket (``hour``/``day``/``week``/``month`` in local
    time, absent for the whole range), then :data:`BUCKETS` (seconds and counts), then
    :data:`RATIOS` (0–1, seconds for MTBF/MTTR; NULL where the denominator is 0), then
    ``effectiveness_above_1`` which flags a wrong ideal cycle time instead of hiding it.
    """
    if qy.machines:
        placeholders = ", ".join("'" + m.replace("'", "''") + "'" for m in qy.machines)
        machines_sql = placeholders
    else:
        machines_sql = "SELECT machine FROM equipment"
    rng = _range(store, qy, machines_sql)
    dims = list(qy.by) + ([] if qy.grain == "range" else [qy.grain])
    if rng is None:
        return pa.table({c: pa.array([], pa.float64()) for c in [*dims, *BUCKETS, *RATIOS]})
    lo, hi = rng
    if hi <= lo:
        raise ConfigError(f"the range ends ({hi}) before it starts ({lo})")
    inner = buckets_sql(qy, machines_sql)
    time_col = (
        []
        if qy.grain == "range"
        else [
            f"CAST(bucket AS DATE) AS {q(qy.grain)}"
            if qy.grain in ("day", "week", "month")
            else f"bucket AS {q(qy.grain)}"
        ]
    )
    select_dims = ", ".join([*(q(b) for b in qy.by), *time_col])
    group = ", ".join([*(q(b) for b in qy.by), *([] if qy.grain == "range" else ["bucket"])])
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
    ordered = ", ".join([*dims, *BUCKETS])
    sql = f"""
    WITH x AS ({inner}),
    g AS (
        SELECT {select_dims + ", " if select_dims else ""}{sums}
        FROM x {"GROUP BY " + group if group else ""}
    )
    SELECT {ordered}, {ratios}, (ideal_s / nullif(apt_s, 0)) > 1 AS effectiveness_above_1
    FROM g {"ORDER BY " + ", ".join(dims) if dims else ""}
    """
    params = {"lo": lo, "hi": hi, "minor_us": int(qy.minor_stop_s * _US)}
    return store.con.sql(sql, params=params).to_arrow_table()
