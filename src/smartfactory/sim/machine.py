"""One machine's shop-floor life: the event loop that turns its order queue into states and counts.

The loop walks the machine's working windows (shift time minus breaks and planned maintenance;
every other second is planned downtime, filled in from the calendar afterwards). Activities
that do not fit in a window pause over the gap and resume in the next one: a repair started at
21:50 goes on at 06:00. Inside the windows the machine is always in one of:

- ``running`` an order, at its actual cycle time (ideal × speed factor);
- ``setup`` for a changeover between products (``changeover P-100>P-110``);
- ``down`` for a failure (exponential running time between failures around the MTBF,
  lognormal repair around the MTTR) or a minor stop (10–110 s, reason ``minor_stop``);
- ``idle`` with no order released yet (``no_order``), no material (``no_material``) or no
  operator at a shift's start (``no_operator``).

Counts are kept per clock hour and order: each row holds the whole units that the hour's running
time allows (the part-finished unit is lost to speed loss), so Σ ideal × produced never exceeds
the running seconds of the hour. A row is stamped at the last running second of its hour.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from ..model import State
from .calendar import DAY_S, HOUR_S, MachineCalendar, WorkClock, day_of
from .causes import ScrapModel
from .demand import PLAN_SCRAP, Order
from .materials import ProdLot
from .plant import AREA_FAILURES, AREA_SETUP_MIN, MachineSpec

logger = logging.getLogger(__name__)

STATES: tuple[State, ...] = tuple(State)
RUNNING, IDLE, SETUP, DOWN, PLANNED_DOWN = (STATES.index(s) for s in State)

NO_ORDER, NO_MATERIAL, NO_OPERATOR, MINOR_STOP = (
    "no_order",
    "no_material",
    "no_operator",
    "minor_stop",
)
NO_OPERATOR_P = 0.04
NO_MATERIAL_EVERY_H = 80.0
SETUP_SIGMA_LOG = 0.35


class Reasons:
    """Interns reason strings as small integers (0 is no reason), in first-seen order."""

    def __init__(self) -> None:
        self.names: list[str] = [""]
        self._ids: dict[str, int] = {"": 0}

    def id(self, name: str) -> int:
        i = self._ids.get(name)
        if i is None:
            i = self._ids[name] = len(self.names)
            self.names.append(name)
        return i


class _Draws:
    """Buffered random draws: one vectorised call per few thousand events keeps the loop fast."""

    def __init__(self, rng: np.random.Generator, size: int = 4096) -> None:
        self.rng = rng
        self.size = size
        self._exp = rng.standard_exponential(size)
        self._norm = rng.standard_normal(size)
        self._uni = rng.random(size)
        self.ie = self.in_ = self.iu = 0

    def exp(self) -> float:
        if self.ie == self.size:
            self._exp, self.ie = self.rng.standard_exponential(self.size), 0
        self.ie += 1
        return float(self._exp[self.ie - 1])

    def norm(self) -> float:
        if self.in_ == self.size:
            self._norm, self.in_ = self.rng.standard_normal(self.size), 0
        self.in_ += 1
        return float(self._norm[self.in_ - 1])

    def uni(self) -> float:
        if self.iu == self.size:
            self._uni, self.iu = self.rng.random(self.size), 0
        self.iu += 1
        return float(self._uni[self.iu - 1])


@dataclass
class MachineRun:
    """What one machine did: activity intervals inside its windows, count rows, lots."""

    st_start: list[int] = field(default_factory=list)
    st_end: list[int] = field(default_factory=list)
    st_state: list[int] = field(default_factory=list)
    st_reason: list[int] = field(default_factory=list)
    c_ts: list[int] = field(default_factory=list)
    c_product: list[str] = field(default_factory=list)
    c_good: list[int] = field(default_factory=list)
    c_scrap: list[int] = field(default_factory=list)
    c_rework: list[int] = field(default_factory=list)
    c_order: list[str] = field(default_factory=list)
    c_lot: list[str] = field(default_factory=list)
    lots: list[ProdLot] = field(default_factory=list)
    #: failures that happened (a repair paused over a break or night is still one failure)
    failures: int = 0


def interruptions(
    m: MachineSpec, mcal: MachineCalendar, clock: WorkClock, rng: np.random.Generator
) -> list[tuple[int, int, str]]:
    """Unplanned idle periods that pre-empt running: a missing operator, missing material."""
    out: list[tuple[int, int, str]] = []
    for s in mcal.shift_starts():
        if rng.random() < NO_OPERATOR_P:
            out.append((s, int(rng.integers(10, 61)) * 60, NO_OPERATOR))
    total = int(clock.cum[-1])
    tau = 0.0
    while True:
        tau += float(rng.exponential(NO_MATERIAL_EVERY_H * HOUR_S))
        if tau >= total:
            break
        out.append((clock.from_work(int(tau)), int(rng.integers(10, 61)) * 60, NO_MATERIAL))
    out.sort()
    return out


class MachineSim:
    """Runs one machine through its queue of orders (see the module docstring)."""

    def __init__(
        self,
        m: MachineSpec,
        mcal: MachineCalendar,
        queue: list[Order],
        scrap: ScrapModel,
        rng: np.random.Generator,
        reasons: Reasons,
        interrupts: list[tuple[int, int, str]],
    ) -> None:
        self.m = m
        self.ws, self.we = mcal.ws, mcal.we
        self.nw = len(self.ws)
        self.queue = queue
        self.scrap = scrap
        self.rng = rng
        self.d = _Draws(rng)
        self.reasons = reasons
        self.intr = interrupts
        self.ii = 0
        self.out = MachineRun()
        self.t = self.ws[0] if self.ws else 0
        self.wi = 0
        self.ttf = self._draw_ttf()
        self.ttm = self._draw_ttm()
        self.last_product: str | None = None
        self.failure_ids = [reasons.id(f) for f in AREA_FAILURES[m.area]]
        # the first failure modes are the common ones
        w = np.array([0.35, 0.25, 0.18, 0.12, 0.10])
        self.failure_cdf = np.cumsum(w / w.sum())
        self.failure_cdf[-1] = 1.0  # no rounding gap above the last mode
        self.lot_seq: dict[int, int] = {}
        # the open count row (bucket): one order within one clock hour
        self.b_open = False
        self.b_hour = 0
        self.b_start = 0
        self.b_last = 0
        self.b_run = 0
        self.b_lot: ProdLot | None = None
        self.lots: dict[tuple[str, int], ProdLot] = {}

    # -- time and windows ----------------------------------------------------------------

    def _sync(self) -> bool:
        """Move ``t`` into a working window; False once the period is over."""
        while self.wi < self.nw and self.t >= self.we[self.wi]:
            self.wi += 1
        if self.wi >= self.nw:
            return False
        if self.t < self.ws[self.wi]:
            self.t = self.ws[self.wi]
        return True

    def _emit(self, a: int, b: int, state: int, reason: int) -> None:
        o = self.out
        if (
            o.st_end
            and o.st_end[-1] == a
            and o.st_state[-1] == state
            and (o.st_reason[-1] == reason)
        ):
            o.st_end[-1] = b
        else:
            o.st_start.append(a)
            o.st_end.append(b)
            o.st_state.append(state)
            o.st_reason.append(reason)

    def _spend(self, dur: int, state: int, reason: int) -> None:
        """Spend ``dur`` working seconds in ``state``, pausing over non-working gaps."""
        while dur > 0 and self._sync():
            take = min(dur, self.we[self.wi] - self.t)
            self._emit(self.t, self.t + take, state, reason)
            self.t += take
            dur -= take

    def _idle_until(self, until: int, reason: int) -> None:
        while self.t < until and self._sync():
            end = min(self.we[self.wi], until)
            if end <= self.t:
                break
            self._emit(self.t, end, IDLE, reason)
            self.t = end

    # -- random durations ------------------------------------------------------------------

    def _draw_ttf(self) -> int:
        mtbf_s = self.m.mtbf_h * HOUR_S * self.scrap.mtbf_factor(self.t)
        return int(self.d.exp() * mtbf_s) + 1

    def _draw_ttm(self) -> int:
        return int(self.d.exp() * self.m.minor_stop_every_min * 60) + 1

    def _failure(self) -> None:
        med = self.m.mttr_median_min * 60
        # at least 5 min, so that no repair passes for a minor stop (< 2 min)
        dur = max(300, int(med * math.exp(self.m.mttr_sigma_log * self.d.norm())))
        code = self.failure_ids[int(np.searchsorted(self.failure_cdf, self.d.uni()))]
        self._spend(dur, DOWN, code)
        self.out.failures += 1
        self.ttf = self._draw_ttf()

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> MachineRun:
        no_order = self.reasons.id(NO_ORDER)
        for o in self.queue:
            if not self._sync():
                break
            if o.received > self.t:
                self._idle_until(o.received, no_order)
                if not self._sync():
                    break
            self._order(o)
        if self.b_open:
            self._close()
        self._idle_until(self.we[-1] if self.we else 0, no_order)
        self.out.lots = list(self.lots.values())
        return self.out

    def _order(self, o: Order) -> None:
        m = self.m
        product = o.product
        if self.last_product is not None and self.last_product != product:
            med = AREA_SETUP_MIN[m.area] * 60
            dur = max(120, int(med * math.exp(SETUP_SIGMA_LOG * self.d.norm())))
            reason = self.reasons.id(f"changeover {self.last_product}>{product}")
            if not self._sync():
                return
            o.actual_start = self.t
            self._spend(dur, SETUP, reason)
        self.last_product = product
        c = m.ideal[product] * m.speed_factor
        good = 0
        we = self.we
        intr = self.intr
        while good < o.quantity:
            if not self._sync():
                return
            t = self.t
            if self.ttf <= 0:
                self._failure()
                continue
            if self.ttm <= 0:
                dur = 10 + int(self.d.uni() * 101)
                if dur <= we[self.wi] - t:  # one that would run into a break is cleared in it
                    self._spend(dur, DOWN, self.reasons.id(MINOR_STOP))
                self.ttm = self._draw_ttm()
                continue
            while self.ii < len(intr) and intr[self.ii][0] < t:
                self.ii += 1  # happened while the machine was not running: no effect
            if self.ii < len(intr) and intr[self.ii][0] == t:
                _, dur, why = intr[self.ii]
                self.ii += 1
                self._spend(dur, IDLE, self.reasons.id(why))
                continue
            hour = t // HOUR_S
            if self.b_open and hour != self.b_hour:
                good += self._close()
                if good >= o.quantity:
                    o.actual_end = self.b_last
                    break
            if not self.b_open:
                self._open(o, t, hour)
            if o.actual_start is None:
                o.actual_start = t
            need = math.ceil((o.quantity - good) / (1.0 - PLAN_SCRAP))
            x = max(1, math.ceil(need * c - self.b_run))
            chunk = min(x, self.ttf, self.ttm, we[self.wi] - t, (hour + 1) * HOUR_S - t)
            if self.ii < len(intr):
                chunk = min(chunk, intr[self.ii][0] - t)
            self._emit(t, t + chunk, RUNNING, 0)
            self.t = t + chunk
            self.b_run += chunk
            self.b_last = self.t
            self.ttf -= chunk
            self.ttm -= chunk
            if chunk == x:
                good += self._close()
                if good >= o.quantity:
                    o.actual_end = self.b_last

    def _open(self, o: Order, t: int, hour: int) -> None:
        day = t // DAY_S
        key = (o.order, day)
        lot = self.lots.get(key)
        if lot is None:
            seq = self.lot_seq.get(day, 0) + 1
            self.lot_seq[day] = seq
            name = f"L-{day_of(t):%y%m%d}-{self.m.name}-{seq:02d}"
            lot = ProdLot(name, o.order, o.product, self.m.name, day, t)
            self.lots[key] = lot
        self.b_open = True
        self.b_hour = hour
        self.b_start = t
        self.b_run = 0
        self.b_lot = lot

    def _close(self) -> int:
        """Finish the open count row; return the units that count toward the order."""
        self.b_open = False
        lot = self.b_lot
        assert lot is not None
        m = self.m
        c = m.ideal[lot.product] * m.speed_factor
        n = int(self.b_run / c + 1e-9)
        if n <= 0:
            return 0
        p = self.scrap.p(lot.product, self.b_start, self.b_last)
        scrap = int(self.rng.binomial(n, p))
        rework = int(self.rng.binomial(n - scrap, m.rework_rate)) if n > scrap else 0
        good = n - scrap - rework
        out = self.out
        out.c_ts.append(self.b_last)
        out.c_product.append(lot.product)
        out.c_good.append(good)
        out.c_scrap.append(scrap)
        out.c_rework.append(rework)
        out.c_order.append(lot.order)
        out.c_lot.append(lot.lot)
        lot.last = self.b_last
        lot.produced += n
        lot.good += good
        lot.scrap += scrap
        lot.rework += rework
        lot.psum += p * n
        return good + rework
