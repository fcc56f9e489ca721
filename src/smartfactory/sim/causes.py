"""Scrap causes injected per seed, and the scrap probability model that applies them.

For a count row (the units one machine finished for one order within one clock hour, from
``a`` to ``b``) the scrap probability is

    p = baseline[machine]
        × (1 + (parameter.multiplier − 1) · share of [a, b] with tag > threshold)   # (a)
        × material.multiplier   if the product draws on the bad lot at time a        # (b)
        × (1 + (degradation.scrap_multiplier_end − 1) · elapsed fraction of period)  # (c)

capped at :data:`P_MAX`. Cause (a) applies only on the named machines, (c) only on the degrading
machine, whose MTBF also shrinks linearly to ``mtbf_factor_end`` × its initial value. With
``causes=False`` none of them exists: scrap is i.i.d. at each machine's baseline rate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .calendar import day_of, local_seconds
from .materials import RawLot
from .plant import MachineSpec, Plant
from .process import GRID_S, ProcessGrid

logger = logging.getLogger(__name__)

P_MAX = 0.5

#: The tag a degrading machine shows its wear in, and the direction it moves.
DEGRADATION_TAG = {
    "moulding": ("pressure", -1.0),
    "machining": ("vibration", 1.0),
    "assembly": ("air_pressure", -1.0),
}


@dataclass(frozen=True)
class ParameterCause:
    tag: str
    machines: tuple[str, ...]
    threshold: float
    multiplier: float


@dataclass(frozen=True)
class MaterialCause:
    lot: str
    material: str
    supplier: str
    multiplier: float
    use_from: int
    use_to: int
    products: tuple[str, ...]


@dataclass(frozen=True)
class DegradationCause:
    machine: str
    mtbf_factor_end: float
    scrap_multiplier_end: float
    tag: str
    tag_drift: float


@dataclass(frozen=True)
class Causes:
    parameter: ParameterCause | None = None
    material: MaterialCause | None = None
    degradation: DegradationCause | None = None


def draw_causes(
    plant: Plant,
    raw: dict[str, list[RawLot]],
    t0: int,
    t1: int,
    rng: np.random.Generator,
    workday: Callable[[date], bool] | None = None,
) -> Causes:
    """Pick one cause of each kind. Affected machines differ where the plant allows.

    ``workday``: whether the plant works on a date. A bad lot's time in use counts working
    days only: a lot delivered before a long holiday (Seollal 2025 closed the plant from 27 to
    30 January) may be in use for four days without a unit made from it, and a cause that
    touched no unit cannot be found in the data."""
    # (a) a parameter threshold on some machines of one line
    line = sorted(plant.lines)[int(rng.integers(0, len(plant.lines)))]
    members = plant.lines[line]
    first = next(m for m in plant.machines if m.name == members[0])
    tag_i = int(rng.integers(0, len(first.tags)))
    tag = first.tags[tag_i]
    k = max(1, min(len(members) - 1, int(rng.integers(2, 4)))) if len(members) > 1 else 1
    chosen = sorted(str(x) for x in rng.choice(members, size=k, replace=False))
    # above the threshold roughly a sixth to a third of the time
    threshold = round(tag.nominal + float(rng.uniform(0.45, 0.95)) * tag.wander, tag.decimals)
    parameter = ParameterCause(
        tag.name, tuple(chosen), threshold, round(float(rng.uniform(3.0, 6.0)), 2)
    )

    # (b) one bad purchased lot, opened in the middle of the period
    def overlap(r: RawLot, a: float, b: float) -> float:
        lo, hi = max(r.use_from, a), min(r.use_to, b)
        if workday is None or hi <= lo:
            return hi - lo
        total, d = 0.0, day_of(int(lo))
        while local_seconds(d) < hi:
            if workday(d):
                s = local_seconds(d)
                total += max(0.0, min(hi, s + 86_400) - max(lo, s))
            d += timedelta(days=1)
        return total

    # prefer a material with several lots in use for a day or more, so that the bad lot has
    # good ones to be compared with (a short period may not have any)
    mats = [m for m in sorted(raw) if sum(overlap(r, t0, t1) >= 86_400 for r in raw[m]) >= 2]
    mats = mats or sorted(raw)
    mat = mats[int(rng.integers(0, len(mats)))]
    lo, hi = t0 + (t1 - t0) * 0.15, t0 + (t1 - t0) * 0.85

    # a lot in use for at least half a working day of the middle of the period, so it leaves
    # a mark (holidays do not count: nothing is made from a lot then)
    mid = [r for r in raw[mat] if overlap(r, lo, hi) >= 43_200]
    if not mid:
        mid = [max(raw[mat], key=lambda r: overlap(r, t0, t1))]
    bad = mid[int(rng.integers(0, len(mid)))]
    products = tuple(p.code for p in plant.products if any(m == mat for m, _ in p.bom))
    material = MaterialCause(
        bad.lot,
        mat,
        bad.supplier,
        round(float(rng.uniform(2.5, 5.0)), 2),
        bad.use_from,
        min(bad.use_to, t1),
        products,
    )

    # (c) one machine wears out: preferably one the parameter cause does not touch
    others = [m for m in plant.machines if m.name not in chosen] or plant.machines
    dm = others[int(rng.integers(0, len(others)))]
    dtag, sign = DEGRADATION_TAG[dm.area]
    spec = next(t for t in dm.tags if t.name == dtag)
    degradation = DegradationCause(
        dm.name,
        mtbf_factor_end=round(float(rng.uniform(0.3, 0.5)), 3),
        scrap_multiplier_end=round(float(rng.uniform(2.0, 3.5)), 2),
        tag=dtag,
        tag_drift=round(sign * float(rng.uniform(2.0, 3.0)) * spec.wander, 3),
    )
    return Causes(parameter, material, degradation)


class ScrapModel:
    """The scrap probability and MTBF of one machine over time (see the module docstring)."""

    def __init__(self, m: MachineSpec, causes: Causes, grid: ProcessGrid, t0: int, t1: int) -> None:
        self.base = m.baseline_scrap
        self.t0 = t0
        self.span = max(1, t1 - t0)
        self.grid_t0 = grid.t0
        self.cum: np.ndarray | None = None
        self.param_mult = 1.0
        pc = causes.parameter
        if pc is not None and m.name in pc.machines:
            tag_i = [t.name for t in m.tags].index(pc.tag)
            self.cum = grid.above_cumsum(tag_i, pc.threshold)
            self.param_mult = pc.multiplier
        mc = causes.material
        self.bad_from = mc.use_from if mc else 0
        self.bad_to = mc.use_to if mc else 0
        self.bad_products = set(mc.products) if mc else set()
        self.bad_mult = mc.multiplier if mc else 1.0
        dc = causes.degradation
        self.degrading = dc is not None and dc.machine == m.name
        self.scrap_end = dc.scrap_multiplier_end if dc and self.degrading else 1.0
        self.mtbf_end = dc.mtbf_factor_end if dc and self.degrading else 1.0

    def share_above(self, a: int, b: int) -> float:
        if self.cum is None:
            return 0.0
        j0 = (a - self.grid_t0) // GRID_S
        j1 = (b - self.grid_t0) // GRID_S + 1
        return float(self.cum[j1] - self.cum[j0]) / (j1 - j0)

    def p(self, product: str, a: int, b: int) -> float:
        p = self.base
        if self.cum is not None:
            p *= 1.0 + (self.param_mult - 1.0) * self.share_above(a, b)
        if product in self.bad_products and self.bad_from <= a < self.bad_to:
            p *= self.bad_mult
        if self.degrading:
            p *= 1.0 + (self.scrap_end - 1.0) * (a - self.t0) / self.span
        return min(p, P_MAX)

    def mtbf_factor(self, t: int) -> float:
        if not self.degrading:
            return 1.0
        return 1.0 - (1.0 - self.mtbf_end) * min(1.0, max(0.0, (t - self.t0) / self.span))
