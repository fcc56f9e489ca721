"""Customer demand, the orders it becomes, and the plan that puts them on machines.

Daily demand of product p on local date d (the date orders are *received*):

    D(p, d) = base[p] · (1 + trend_per_year[p] · (d − start) / 365.25) · weekly[weekday(d)]
              · (1 + yearly_amplitude[p] · sin(2π (day_of_year(d) − yearly_phase_day[p]) / 365.25))
              · exp(noise_sigma[p] · ε − noise_sigma[p]² / 2),   ε ~ N(0, 1) i.i.d.

and 0 on Sundays and public holidays. round(D) units are received that day, split into orders of
about one shift's production each, for customers with their own lead times. ``base`` is set so
that the expected load is :data:`TARGET_LOAD` of each area's capacity over the period.

The planner assigns every order, in the order received, to the machine of its area that can
start it first (finite capacity, at standard rates with setups), which also fixes its line.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from .calendar import DAY_S, HOUR_S, Calendar, MachineCalendar, WorkClock, local_seconds
from .plant import AREA_SETUP_MIN, Plant

logger = logging.getLogger(__name__)

#: Mon … Sun, mean 1 over the week
WEEKLY = tuple(x * 7 / 6.0 for x in (1.25, 1.15, 1.10, 1.05, 1.00, 0.45, 0.0))
TARGET_LOAD = 0.85
#: customers and their usual lead time in days
CUSTOMERS: tuple[tuple[str, int], ...] = (
    ("mirae-auto", 4),
    ("hanul-elec", 3),
    ("daesung-ind", 7),
    ("taeyang-motors", 2),
    ("seongwoo-tech", 5),
)
RUSH_SHARE = 0.1
#: orders received this many days before the start form the opening backlog (those still due)
BACKLOG_DAYS = 3
#: planners add this allowance to the standard time, and this scrap allowance
PLAN_ALLOWANCE = 1.08
PLAN_SCRAP = 0.03
SHIFT_WORK_S = 8 * HOUR_S - 50 * 60


@dataclass(frozen=True)
class ProductDemand:
    product: str
    base: float
    trend_per_year: float
    yearly_amplitude: float
    yearly_phase_day: float
    noise_sigma: float

    def expected(self, cal: Calendar, days: np.ndarray) -> np.ndarray:
        """Expected demand (without noise) on days ``days`` after the start."""
        dates = [cal.start + timedelta(days=int(i)) for i in days]
        week = np.array([WEEKLY[d.weekday()] for d in dates])
        doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
        trend = 1.0 + self.trend_per_year * days / 365.25
        year = 1.0 + self.yearly_amplitude * np.sin(
            2 * np.pi * (doy - self.yearly_phase_day) / 365.25
        )
        off = np.array([0.0 if d in cal.holidays else 1.0 for d in dates])
        return self.base * trend * week * year * off


@dataclass
class Order:
    order: str
    product: str
    quantity: int
    received: int
    due: int
    customer: str
    machine: str = ""
    line: str = ""
    planned_start: int = 0
    planned_end: int = 0
    actual_start: int | None = None
    actual_end: int | None = None


def demand_model(
    plant: Plant, cal: Calendar, mcals: list[MachineCalendar], rng: np.random.Generator
) -> list[ProductDemand]:
    """Draw each product's demand parameters, scaled to its area's capacity."""
    out: list[ProductDemand] = []
    period = np.arange(cal.days)
    for area in plant.areas:
        prods = [p for p in plant.products if p.area == area]
        shares = rng.dirichlet(np.full(len(prods), 3.0))
        # capacity in ideal-cycle seconds per day, after availability and speed losses
        cap = 0.0
        for m in plant.area_machines(area):
            mc = mcals[m.index]
            work_per_day = sum(b - a for a, b in zip(mc.ws, mc.we, strict=True)) / cal.days
            avail = _availability(m.mtbf_h, m.mttr_mean_min(), m.minor_stop_every_min)
            cap += work_per_day * avail / m.speed_factor
        for p, share in zip(prods, shares, strict=True):
            shape = ProductDemand(
                product=p.code,
                base=1.0,
                trend_per_year=round(float(rng.uniform(-0.08, 0.12)), 3),
                yearly_amplitude=round(float(rng.uniform(0.05, 0.15)), 3),
                yearly_phase_day=round(float(rng.uniform(0, 365)), 1),
                noise_sigma=round(float(rng.uniform(0.1, 0.25)), 3),
            )
            # scale so that the period's mean load, holidays included, is TARGET_LOAD
            mean_shape = float(np.mean(shape.expected(cal, period)))
            base = TARGET_LOAD * cap * float(share) / p.ideal_cycle_s / max(mean_shape, 1e-9)
            out.append(dataclasses.replace(shape, base=round(base, 2)))
    return out


def _availability(mtbf_h: float, mttr_min: float, minor_every_min: float) -> float:
    """Share of working time a machine runs: failures, minor stops, setups and small idles."""
    lost_per_run_s = mttr_min * 60 / (mtbf_h * 3600) + 60 / (minor_every_min * 60)
    return 1.0 / (1.0 + lost_per_run_s) * 0.93


def generate_orders(
    plant: Plant,
    cal: Calendar,
    demand: list[ProductDemand],
    rng: np.random.Generator,
) -> list[Order]:
    """Orders received from :data:`BACKLOG_DAYS` before the start to the period's last day."""
    days = np.arange(-BACKLOG_DAYS, cal.days)
    draws: dict[str, np.ndarray] = {}
    for d in demand:
        eps = rng.standard_normal(len(days))
        noise = np.exp(d.noise_sigma * eps - d.noise_sigma**2 / 2)
        draws[d.product] = np.rint(d.expected(cal, days) * noise).astype(np.int64)
    orders: list[Order] = []
    ideal = {p.code: p.ideal_cycle_s for p in plant.products}
    for j, day in enumerate(days):
        date_ = cal.start + timedelta(days=int(day))
        if not cal.is_workday(date_):
            continue
        midnight = local_seconds(date_)
        todays: list[Order] = []
        for d in demand:
            total = int(draws[d.product][j])
            if total < 1:
                continue
            size = SHIFT_WORK_S * 0.8 / ideal[d.product]
            k = max(1, round(total / size))
            parts = [total // k + (1 if i < total % k else 0) for i in range(k)]
            for qty in parts:
                if qty < 1:
                    continue
                received = midnight + int(rng.integers(int(8.5 * HOUR_S), int(17.5 * HOUR_S)))
                name, lead = CUSTOMERS[int(rng.integers(0, len(CUSTOMERS)))]
                due_at = 17 * HOUR_S
                if rng.random() < RUSH_SHARE:
                    lead, due_at = 1, 12 * HOUR_S  # rush: by noon on the next working day
                else:
                    lead = max(2, lead + int(rng.integers(-1, 2)))
                due_day = cal.next_workday(date_ + timedelta(days=lead))
                due = local_seconds(due_day) + due_at
                if due <= cal.t0 + DAY_S:
                    continue  # delivered before the period: not part of the opening backlog
                todays.append(Order("", d.product, qty, received, due, name))
        todays.sort(key=lambda o: (o.received, o.product))
        for i, o in enumerate(todays):
            o.order = f"WO-{date_:%y%m%d}-{i + 1:03d}"
        orders.extend(todays)
    return orders


def plan_orders(
    orders: list[Order], plant: Plant, clocks: list[WorkClock], t0: int
) -> dict[str, list[Order]]:
    """Assign each order to a machine and give it planned start and end; return the queues."""
    free = {m.name: t0 for m in plant.machines}
    last: dict[str, str | None] = {m.name: None for m in plant.machines}
    queues: dict[str, list[Order]] = {m.name: [] for m in plant.machines}
    by_area = {a: plant.area_machines(a) for a in plant.areas}
    area_of = {p.code: p.area for p in plant.products}
    for o in orders:
        best: tuple[int, int, int] | None = None
        for m in by_area[area_of[o.product]]:
            start = clocks[m.index].next_work(max(free[m.name], o.received, t0))
            # earliest start; among idle machines the one idle longest
            cand = (start, free[m.name], m.index)
            if best is None or cand < best:
                best = cand
        assert best is not None
        start, _, mi = best
        m = plant.machines[mi]
        clock = clocks[mi]
        work = o.quantity * m.ideal[o.product] * m.speed_factor * PLAN_ALLOWANCE
        work /= 1.0 - PLAN_SCRAP
        if last[m.name] not in (None, o.product):
            work += AREA_SETUP_MIN[m.area] * 60
        end = clock.from_work(clock.to_work(start) + math.ceil(work))
        o.machine, o.line = m.name, m.line
        o.planned_start, o.planned_end = start, end
        free[m.name] = end
        last[m.name] = o.product
        queues[m.name].append(o)
    return queues


def demand_truth(demand: list[ProductDemand]) -> dict[str, object]:
    """The demand model as written to ground_truth.json."""
    return {
        "unit": "units per day",
        "observed_as": "sum of orders.quantity per product and local date of orders.received",
        "formula": (
            "demand(p, d) = base[p] * (1 + trend_per_year[p] * (d - start) / 365.25)"
            " * weekly[weekday(d)]"
            " * (1 + yearly_amplitude[p] * sin(2*pi*(day_of_year(d) - yearly_phase_day[p])"
            " / 365.25)) * exp(noise_sigma[p] * e - noise_sigma[p]**2 / 2), e ~ N(0, 1) iid;"
            " 0 on public holidays; rounded to whole units"
        ),
        "weekly": dict(
            zip(
                ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                (round(w, 4) for w in WEEKLY),
                strict=True,
            )
        ),
        "target_load": TARGET_LOAD,
        "products": {
            d.product: {
                "base": d.base,
                "trend_per_year": d.trend_per_year,
                "yearly_amplitude": d.yearly_amplitude,
                "yearly_phase_day": d.yearly_phase_day,
                "noise_sigma": d.noise_sigma,
            }
            for d in demand
        },
        "customers": {name: {"lead_days": lead} for name, lead in CUSTOMERS},
        "rush_share": RUSH_SHARE,
        "rush_due": "12:00 on the next working day (others: 17:00 after the lead time)",
        "opening_backlog": (
            f"orders received in the {BACKLOG_DAYS} days before the start that are due after"
            " the first day"
        ),
    }
