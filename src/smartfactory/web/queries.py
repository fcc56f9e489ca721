"""The queries behind the dashboards: one function per page, used by the page and its JSON.

Every function takes a store already scoped to one company (:mod:`smartfactory.store.tenant`)
and computes only the window shown (today, a chosen day or period) with the KPI engine, so a
page costs the same on a week of data as on years of it. Results are plain dicts and lists
(JSON-ready); times are UTC-aware datetimes, shown in the site's zone by the templates.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from ..errors import ConfigError, NotFoundError
from ..kpi.engine import BUCKETS, LEVELS, RATIOS, KpiQuery, compute
from ..kpi.losses import downtime_pareto, six_big_losses, waterfall
from ..store.db import Store

logger = logging.getLogger(__name__)

#: state → colour of a floor tile and a timeline bar
STATE_COLOURS = {
    "running": "#27ae60",
    "idle": "#f2c94c",
    "setup": "#2f80ed",
    "down": "#eb5757",
    "planned_down": "#9aa5b1",
    "unknown": "#d9e2ec",
}
KPI_KEYS = ("oee", "availability", "effectiveness", "quality")


class ResultCache:
    """Results per (question, data version): a page asked again before new data arrives is not
    computed again. Bounded (least recently used out); thread-safe.

    Under live data the version moves every few hundred milliseconds, so a page shown on fifty
    screens would be computed again for nearly every request. ``max_stale_s`` bounds how old
    an answer may be instead: an answer computed for an earlier data version is served while it
    is younger than that, and computed again after (the floor refreshes every few seconds
    anyway). Each answer's allowance is drawn between half and all of the bound, so that pages
    computed together do not all expire together. ``max_stale_s = 0`` serves only answers of
    the current version.

    A question that can be answered away from its request (``refresh``: a function that opens
    its own cursor) is not made to wait either once its answer is past the bound: the old
    answer is served and one background worker computes the new ones, one key at a time, so
    fifty screens each on its own machine cost the workers' time, not the screens'. Past
    :data:`STALE_LIMIT` times the bound an answer is computed in the request again.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        #: key → (data version, value, monotonic time it was computed, share of the bound)
        self._d: OrderedDict[Hashable, tuple[Hashable, Any, float, float]] = OrderedDict()
        self._busy: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sf-refresh")
        self._lock = threading.Lock()

    def _fresh(self, key: Hashable, version: Hashable, max_stale_s: float) -> tuple[bool, Any]:
        hit = self._d.get(key)
        if hit is None:
            return False, None
        if hit[0] == version or monotonic() - hit[2] < max_stale_s * hit[3]:
            self._d.move_to_end(key)
            return True, hit[1]
        return False, None

    def get(
        self,
        key: Hashable,
        make: Callable[[], Any],
        *,
        version: Hashable = None,
        max_stale_s: float = 0.0,
        refresh: Callable[[], Any] | None = None,
    ) -> Any:
        """The cached value, or ``make()``'s; while one request computes a key, others asking
        for the same key wait for it instead of computing it again (no stampede when new data
        arrives under fifty screens)."""
        with self._lock:
            ok, value = self._fresh(key, version, max_stale_s)
            if ok:
                return value
            hit = self._d.get(key)
            if (
                refresh is not None
                and hit is not None
                and monotonic() - hit[2] < max_stale_s * STALE_LIMIT
            ):
                if key not in self._refreshing:
                    self._refreshing.add(key)
                    self._workers.submit(self._refresh, key, version, refresh)
                return hit[1]
            busy = self._busy.setdefault(key, threading.Lock())
        with busy:
            with self._lock:
                ok, value = self._fresh(key, version, max_stale_s)
                if ok:
                    return value
            try:
                value = make()
            finally:
                with self._lock:
                    self._busy.pop(key, None)
            with self._lock:
                self._d[key] = (version, value, monotonic(), random.uniform(0.5, 1.0))
                self._d.move_to_end(key)
                while len(self._d) > self.size:
                    self._d.popitem(last=False)
        return value

    def _refresh(self, key: Hashable, version: Hashable, refresh: Callable[[], Any]) -> None:
        started = monotonic()
        try:
            value = refresh()
        except Exception:  # the request path computes it (and reports the error) next time
            logger.exception("refreshing %r in the background failed", key)
            with self._lock:
                hit = self._d.get(key)
                if hit is not None and hit[2] < started:
                    del self._d[key]
        else:
            with self._lock:
                self._d[key] = (version, value, monotonic(), random.uniform(0.5, 1.0))
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def close(self) -> None:
        self._workers.shutdown(wait=True, cancel_futures=True)


#: how many times the staleness bound an answer may reach while a background refresh runs
STALE_LIMIT = 12


def data_version(store: Store) -> tuple[int, int]:
    """Changes whenever a batch (file, upload, live delivery) is stored: the latest batch and
    how many have finished, read from the real table (not a company's view of it)."""
    db = getattr(store, "_sf_db", None)
    if db is None:
        db = store._sf_db = store.scalar("SELECT current_database()")  # type: ignore[attr-defined]
    row = store.con.execute(
        f'SELECT coalesce(max(batch_id), 0), count(finished_at) FROM "{db}".main.batches'
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def site_zone(store: Store, default: str) -> ZoneInfo:
    """The zone to show times in: the company's sites' zone (the first, when they differ)."""
    tz = store.scalar("SELECT min(timezone) FROM sites")
    return ZoneInfo(str(tz) if tz else default)


def as_of(store: Store) -> datetime:
    """Now, or the end of the data when the data ends earlier (an imported or simulated past):
    'today' is then the last day with data, and the pages say so."""
    now = datetime.now(UTC)
    row = store.con.execute(
        'SELECT (SELECT max("end") FROM states), (SELECT max(ts) FROM state_events), '
        "(SELECT max(ts) FROM counts)"
    ).fetchall()[0]
    latest = max((v for v in row if v is not None), default=None)
    return min(now, latest) if latest is not None else now


def current_day(at: datetime, tz: ZoneInfo) -> date:
    """The local day that ``at`` ends: data that stops at midnight shows the day it covered,
    not the empty day that begins at that instant."""
    return (at - timedelta(microseconds=1)).astimezone(tz).date()


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _kpis(row: dict[str, Any] | None) -> dict[str, Any]:
    return {k: (row or {}).get(k) for k in (*KPI_KEYS, "pq", "gq", "sq", "apt_s", "pbt_s")}


# -- floor ---------------------------------------------------------------------------------


def floor(store: Store, at: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """A tile per machine: its state now, since when, what it is making, today's OEE."""
    machines = store.rows(
        "SELECT site, area, line, machine FROM equipment ORDER BY site, area, line, machine"
    )
    since = at - timedelta(days=2)
    states = {
        r["machine"]: r
        for r in store.rows(
            """
            WITH s AS (
                SELECT machine, arg_max(state, "start") AS state, max("start") AS since,
                       max("end") AS until FROM states
                WHERE "end" > $lo AND "start" <= $at GROUP BY machine
            ), ev AS (
                SELECT machine, arg_max(state, ts) AS state, max(ts) AS since
                FROM state_events WHERE ts > $lo AND ts <= $at GROUP BY machine
            )
            SELECT coalesce(ev.machine, s.machine) AS machine,
                   CASE WHEN ev.since IS NOT NULL AND (s.since IS NULL OR ev.since >= s.since)
                        THEN ev.state ELSE s.state END AS state,
                   CASE WHEN ev.since IS NOT NULL AND (s.since IS NULL OR ev.since >= s.since)
                        THEN ev.since ELSE s.since END AS since
            FROM s FULL JOIN ev USING (machine)
            """,
            {"lo": since, "at": at},
        )
    }
    last = {
        r["machine"]: r
        for r in store.rows(
            'SELECT machine, arg_max(product, ts) AS product, arg_max("order", ts) AS "order", '
            "max(ts) AS last_count FROM counts WHERE ts > $lo AND ts <= $at GROUP BY machine",
            {"lo": since, "at": at},
        )
    }
    today = current_day(at, tz)
    day_start, day_end = local_day_bounds(today, tz)
    kpi = {}
    if at > day_start:
        end = min(at, day_end)
        rows = compute(store, KpiQuery(by=("machine",), start=day_start, end=end)).to_pylist()
        kpi = {r["machine"]: r for r in rows}
    tiles = []
    for m in machines:
        st = states.get(m["machine"], {})
        lc = last.get(m["machine"], {})
        state = st.get("state") or "unknown"
        tiles.append(
            {
                **m,
                "state": state,
                "colour": STATE_COLOURS.get(state, STATE_COLOURS["unknown"]),
                "since": st.get("since"),
                "product": lc.get("product"),
                "order": lc.get("order"),
                "today": _kpis(kpi.get(m["machine"])),
            }
        )
    return {"as_of": at, "day": today, "machines": tiles}


# -- machine -------------------------------------------------------------------------------


def machine_info(store: Store, machine: str) -> dict[str, Any]:
    rows = store.rows(
        "SELECT enterprise, site, area, line, machine FROM equipment WHERE machine = ?", [machine]
    )
    if not rows:
        raise NotFoundError(f"machine {machine!r} is not in the equipment list")
    return rows[0]


def machine_page(
    store: Store, machine: str, day: date, tz: ZoneInfo, days: int = 30
) -> dict[str, Any]:
    """One machine on one local day (timeline, counts and OEE by hour) and over the ``days``
    before it (OEE trend, loss waterfall, downtime Pareto)."""
    if not 1 <= days <= 366:
        raise ConfigError("days must be between 1 and 366")
    info = machine_info(store, machine)
    lo, hi = local_day_bounds(day, tz)
    period_lo, _ = local_day_bounds(day - timedelta(days=days - 1), tz)
    timeline = store.rows(
        """
        SELECT greatest("start", $lo) AS "start", least("end", $hi) AS "end", state, reason
        FROM states WHERE machine = $m AND "end" > $lo AND "start" < $hi ORDER BY "start"
        """,
        {"m": machine, "lo": lo, "hi": hi},
    )
    one = (machine,)
    # one engine call (hours of the whole period); days and the period are sums of hours,
    # exact because buckets are additive, with the engine's own ratio formulas
    hours = compute(
        store, KpiQuery(by=("machine",), grain="hour", start=period_lo, end=hi, machines=one)
    )
    trend = rollup(store, hours, "CAST(hour AS DATE)", "day")
    period = rollup(store, hours, None, None)
    prow = period[0] if period and period[0]["period_s"] else None
    pareto = downtime_pareto(store, KpiQuery(machines=one, start=period_lo, end=hi))
    first_hour = datetime.combine(day, time(0))
    return {
        "machine": info,
        "day": day,
        "days": days,
        "period": {"start": period_lo, "end": hi, **_kpis(prow)},
        "timeline": timeline,
        "hourly": [
            {"hour": r["hour"], "pq": r["pq"], "gq": r["gq"], "sq": r["sq"], "oee": r["oee"]}
            for r in hours.to_pylist()
            if r["hour"] >= first_hour
        ],
        "trend": [{"day": r["day"], **_kpis(r)} for r in trend],
        "waterfall": [s.__dict__ for s in waterfall(prow)] if prow else [],
        "six_big_losses": six_big_losses(prow) if prow else {},
        "pareto": pareto.to_pylist(),
    }


def rollup(
    store: Store, table: pa.Table, key: str | None, name: str | None
) -> list[dict[str, Any]]:
    """Sum KPI bucket rows (by ``key``, an SQL expression, or all together) and compute the
    ratios from the sums with the engine's formulas (:data:`~smartfactory.kpi.engine.RATIOS`)."""
    sums = ", ".join(
        f"sum({b})::{'BIGINT' if b in ('failures', 'minor_stops') else 'DOUBLE'} AS {b}"
        for b in BUCKETS
    )
    ratios = ", ".join(f"{expr} AS {r}" for r, expr in RATIOS.items())
    head = f"{key} AS {name}, " if key else ""
    tail = f"GROUP BY {key} ORDER BY 1" if key else ""
    store.con.register("_sf_rollup", table)
    try:
        return store.rows(f"SELECT *, {ratios} FROM (SELECT {head}{sums} FROM _sf_rollup {tail})")
    finally:
        store.con.unregister("_sf_rollup")


# -- line / site ---------------------------------------------------------------------------


def plant(store: Store, level: str, start: datetime, end: datetime) -> dict[str, Any]:
    """OEE and losses per line (or area, site, enterprise) over a period: summed buckets."""
    if level not in LEVELS or level == "machine":
        raise ConfigError(f"level must be one of {', '.join(LEVELS[:-1])}")
    if end <= start:
        raise ConfigError("the period must end after it starts")
    if end - start > timedelta(days=731):
        raise ConfigError("choose a period of at most two years")
    rows = compute(store, KpiQuery(by=(level,), start=start, end=end)).to_pylist()
    total = compute(store, KpiQuery(by=(), start=start, end=end)).to_pylist()
    return {
        "level": level,
        "start": start,
        "end": end,
        "groups": [
            {
                "name": r[level],
                **_kpis(r),
                "waterfall": [s.__dict__ for s in waterfall(r)],
                "losses": six_big_losses(r),
            }
            for r in rows
        ],
        "total": _kpis(total[0]) if total and total[0].get("period_s") is not None else None,
    }


# -- orders --------------------------------------------------------------------------------

ORDER_STATUSES = ("all", "open", "late", "done")


def orders(store: Store, at: datetime, status: str = "all", limit: int = 500) -> dict[str, Any]:
    """Orders with produced quantities against plan; status done / late / running / planned."""
    if status not in ORDER_STATUSES:
        raise ConfigError(f"status must be one of {', '.join(ORDER_STATUSES)}")
    rows = store.rows(
        """
        WITH c AS (
            SELECT "order", sum(good) AS good, sum(scrap) AS scrap, min(ts) AS first_ts,
                   max(ts) AS last_ts
            FROM counts WHERE "order" IS NOT NULL GROUP BY "order"
        ), o AS (
            SELECT o."order", o.product, o.quantity, o.due, o.planned_start, o.planned_end,
                   coalesce(o.actual_start, c.first_ts) AS actual_start, o.actual_end,
                   o.line, o.customer, coalesce(c.good, 0) AS good,
                   coalesce(c.scrap, 0) AS scrap, c.last_ts,
                   coalesce(c.good, 0) / nullif(o.quantity, 0) AS progress
            FROM orders o LEFT JOIN c USING ("order")
        ), s AS (
            SELECT *, CASE
                WHEN actual_end IS NOT NULL OR progress >= 1 THEN 'done'
                WHEN due IS NOT NULL AND due < $at THEN 'late'
                WHEN actual_start IS NOT NULL THEN 'running'
                ELSE 'planned' END AS status,
              CASE WHEN planned_start IS NOT NULL AND planned_end > planned_start
                   THEN least(greatest(epoch($at) - epoch(planned_start), 0)
                              / (epoch(planned_end) - epoch(planned_start)), 1) END
                AS planned_progress
            FROM o
        )
        SELECT * FROM s WHERE $status = 'all' OR status = $status
           OR ($status = 'open' AND status IN ('running', 'planned', 'late'))
        ORDER BY coalesce(due, planned_end) DESC NULLS LAST, "order" LIMIT $limit
        """,
        {"at": at, "status": status, "limit": limit},
    )
    counts = store.rows(
        "SELECT status, count(*) AS n FROM (SELECT CASE WHEN o.actual_end IS NOT NULL OR "
        "coalesce(c.good, 0) >= o.quantity THEN 'done' WHEN o.due < $at THEN 'late' "
        "ELSE 'open' END AS status FROM orders o LEFT JOIN (SELECT \"order\", sum(good) AS good "
        'FROM counts GROUP BY "order") c USING ("order")) GROUP BY status',
        {"at": at},
    )
    return {"as_of": at, "status": status, "orders": rows, "by_status": counts}


# -- dead letters --------------------------------------------------------------------------


def dead_letters(
    store: Store, reason: str | None = None, batch: int | None = None, limit: int = 200
) -> dict[str, Any]:
    """Rejected input, newest first, with where it came from and why."""
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if reason:
        where.append("reason = ?")
        params.append(reason)
    if batch is not None:
        where.append("batch_id = ?")
        params.append(batch)
    rows = store.rows(
        "SELECT id, batch_id, received_at, source, kind, line, reason, detail, raw "
        f"FROM dead_letters WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT {int(limit)}",
        params,
    )
    by_reason = store.rows(
        "SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason ORDER BY n DESC, reason"
    )
    return {"rows": rows, "by_reason": by_reason, "total": sum(r["n"] for r in by_reason)}


# -- settings ------------------------------------------------------------------------------


def equipment_tree(store: Store) -> list[dict[str, Any]]:
    """Sites → areas → lines → machines, with each site's zone and shift calendar."""
    from ..kpi.engine import shift_calendar

    rows = store.rows(
        "SELECT e.enterprise, e.site, e.area, e.line, e.machine, s.timezone FROM equipment e "
        "LEFT JOIN sites s USING (enterprise, site) ORDER BY 1, 2, 3, 4, 5"
    )
    sites: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["enterprise"], r["site"])
        if key not in sites:
            sites[key] = {
                "enterprise": r["enterprise"],
                "site": r["site"],
                "timezone": r["timezone"],
                "shifts": [
                    {"shift": n, "start": a, "end": b}
                    for n, a, b in shift_calendar(store, r["enterprise"], r["site"])
                ],
                "areas": {},
            }
        lines = sites[key]["areas"].setdefault(r["area"], {})
        lines.setdefault(r["line"], []).append(r["machine"])
    return list(sites.values())


def products(store: Store) -> list[dict[str, Any]]:
    return store.rows(
        "SELECT product, name, machine, ideal_cycle_s FROM products ORDER BY product, machine"
    )
