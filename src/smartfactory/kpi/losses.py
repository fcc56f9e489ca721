"""Where the time went: the loss waterfall, the six big losses, and the downtime Pareto.

All three are derived from the same additive buckets as the KPIs (:mod:`.engine`), so they
add up exactly: the waterfall's steps sum to the period, and the six big losses plus the fully
productive time equal the planned busy time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ..store.db import Store
from .engine import KpiQuery, machines_filter, resolve_range

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One bar of the waterfall: a level (``kind="total"``) or a loss taken from it."""

    name: str
    seconds: float
    kind: str  # "total" | "loss"
    group: str  # planned | availability | performance | quality | result


def waterfall(b: Mapping[str, Any]) -> list[Step]:
    """The ISO 22400 loss waterfall of one bucket row (any level, any period).

    period → planned downtime and no-data → PBT → availability losses (breakdowns, minor stops,
    setup, idle) → APT → performance loss (speed) → net production time (Σ ideal × produced) →
    quality loss (ideal time of scrap and rework) → fully productive time (Σ ideal × good).
    Fully productive time / PBT is the OEE.
    """
    pq, gq = float(b["pq"]), float(b["gq"])
    ideal = float(b["ideal_s"])
    good_ideal = ideal * gq / pq if pq else 0.0
    minor = float(b["adet_s"]) - float(b["failure_s"])
    return [
        Step("period", float(b["period_s"]), "total", "result"),
        Step("planned_down", float(b["planned_down_s"]), "loss", "planned"),
        Step("no_data", float(b["no_data_s"]), "loss", "planned"),
        Step("planned_busy_time", float(b["pbt_s"]), "total", "result"),
        Step("breakdowns", float(b["failure_s"]), "loss", "availability"),
        Step("minor_stops", minor, "loss", "availability"),
        Step("setup", float(b["asut_s"]), "loss", "availability"),
        Step("idle", float(b["adot_s"]), "loss", "availability"),
        Step("actual_production_time", float(b["apt_s"]), "total", "result"),
        Step("reduced_speed", float(b["apt_s"]) - ideal, "loss", "performance"),
        Step("net_production_time", ideal, "total", "result"),
        Step("defects", ideal - good_ideal, "loss", "quality"),
        Step("fully_productive_time", good_ideal, "total", "result"),
    ]


def six_big_losses(b: Mapping[str, Any]) -> dict[str, float]:
    """The six big losses in seconds, plus idle time (which ISO 22400 counts against
    availability but the classic six do not name).

    ``defects`` holds scrap and rework together: the ledger cannot tell start-up rejects from
    steady-state ones, so ``reduced_yield`` (start-up losses) is reported inside ``defects``.
    """
    steps = {s.name: s.seconds for s in waterfall(b)}
    return {
        "breakdowns": steps["breakdowns"],
        "setup_and_adjustments": steps["setup"],
        "minor_stops": steps["minor_stops"],
        "reduced_speed": steps["reduced_speed"],
        "defects": steps["defects"],
        "idle": steps["idle"],
    }


def downtime_pareto(store: Store, qy: KpiQuery, states: tuple[str, ...] = ("down",)) -> pa.Table:
    """Seconds and events per reason for the given states, clipped to the range, largest
    first, with each reason's share and the cumulative share. Minor stops (shorter than
    ``qy.minor_stop_s``) are a category of their own whatever their reason."""
    machines_sql = machines_filter(qy)
    rng = resolve_range(store, qy, machines_sql)
    if rng is None:
        return pa.table({"reason": pa.array([], pa.string())})
    lo, hi = rng
    placeholders = ", ".join("'" + s.replace("'", "''") + "'" for s in states)
    return store.sql(
        f"""
        WITH iv AS (
            SELECT state,
                   CASE WHEN state = 'down' AND epoch_us("end") - epoch_us("start") < $minor_us
                        THEN 'minor_stop' ELSE coalesce(reason, '(no reason)') END AS reason,
                   epoch_us(least("end", $hi)) - epoch_us(greatest("start", $lo)) AS us,
                   "start" >= $lo AS starts_here
            FROM states
            WHERE machine IN ({machines_sql}) AND state IN ({placeholders})
              AND "end" > $lo AND "start" < $hi
        ), g AS (
            SELECT state, reason, sum(us) / 1e6 AS seconds,
                   count(*) FILTER (WHERE starts_here) AS events
            FROM iv GROUP BY state, reason
        )
        SELECT state, reason, seconds, events,
               seconds / sum(seconds) OVER () AS share,
               sum(seconds) OVER (ORDER BY seconds DESC, reason
                                  ROWS UNBOUNDED PRECEDING) / sum(seconds) OVER () AS cumulative
        FROM g ORDER BY seconds DESC, reason
        """,
        {"lo": lo, "hi": hi, "minor_us": int(qy.minor_stop_s * 1_000_000)},
    )
