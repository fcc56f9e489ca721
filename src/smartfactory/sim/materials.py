"""Material lots and their genealogy: purchased lots → production lots → finished lots.

Each raw material has one lot in use at a time, plant-wide: a new lot is opened at 05:30 local
time every few days (before the first shift), so a production lot (one order on one machine on
one day) draws from exactly one lot of each of its materials. A purchased lot's quantity is what
was drawn from it plus a remainder, rounded up to a delivery size.

When an order is complete, its production lots are packed into one finished lot ``FG-…``: the
second level of the genealogy (raw → production → finished).
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from .calendar import DAY_S, HOUR_S, Calendar, local_seconds
from .plant import MaterialSpec, Plant

logger = logging.getLogger(__name__)

OPEN_AT_S = 5 * HOUR_S + 1800


@dataclass
class RawLot:
    lot: str
    material: str
    supplier: str
    created: int
    use_from: int
    use_to: int
    consumed: float = 0.0


@dataclass
class ProdLot:
    """A production lot: one order on one machine on one local day."""

    lot: str
    order: str
    product: str
    machine: str
    day: int
    created: int
    last: int = 0
    produced: int = 0
    good: int = 0
    scrap: int = 0
    rework: int = 0
    #: Σ scrap probability × units: the lot's mean scrap probability is psum / produced
    psum: float = 0.0
    #: material → raw lot consumed
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def quantity(self) -> int:
        return self.good + self.rework


def raw_lot_schedule(
    plant: Plant, cal: Calendar, rng: np.random.Generator
) -> dict[str, list[RawLot]]:
    """Lots of every material the plant's products use, covering the period."""
    out: dict[str, list[RawLot]] = {}
    for mat in plant.materials():
        lots: list[RawLot] = []
        day = -int(rng.integers(0, mat.lot_days[0] + 1))
        while day < cal.days:
            d = cal.start + timedelta(days=day)
            use_from = local_seconds(d) + OPEN_AT_S
            supplier = mat.suppliers[int(rng.integers(0, len(mat.suppliers)))]
            name = f"R-{mat.code.removeprefix('RM-')}-{d:%y%m%d}"
            # delivered the morning before it is opened
            created = local_seconds(d) - 14 * HOUR_S + int(rng.integers(0, 4 * 3600))
            lots.append(RawLot(name, mat.code, supplier, created, use_from, 0))
            day += int(rng.integers(mat.lot_days[0], mat.lot_days[1] + 1))
        for a, b in itertools.pairwise(lots):
            a.use_to = b.use_from
        lots[-1].use_to = cal.t1 + 30 * DAY_S
        out[mat.code] = lots
    return out


def lot_in_use(lots: list[RawLot], t: int) -> RawLot:
    starts = [x.use_from for x in lots]
    i = int(np.searchsorted(starts, t, side="right")) - 1
    return lots[max(i, 0)]


def link_raw(
    plant: Plant, prod_lots: list[ProdLot], raw: dict[str, list[RawLot]]
) -> list[tuple[str, str, float, int]]:
    """Genealogy rows (parent raw lot, production lot, quantity, ts) and raw consumption."""
    starts = {m: np.array([x.use_from for x in lots]) for m, lots in raw.items()}
    boms = {p.code: p.bom for p in plant.products}
    rows: list[tuple[str, str, float, int]] = []
    for pl in prod_lots:
        for mat, per_unit in boms[pl.product]:
            lots = raw[mat]
            i = max(0, int(np.searchsorted(starts[mat], pl.created, side="right")) - 1)
            r = lots[i]
            qty = round(pl.produced * per_unit, 3)
            r.consumed += qty
            pl.raw[mat] = r.lot
            rows.append((r.lot, pl.lot, qty, pl.created))
    return rows


def raw_quantity(r: RawLot, mat: MaterialSpec, rng: np.random.Generator) -> float:
    """Delivered quantity: what was drawn plus a remainder, rounded up to a delivery size."""
    step = 25.0 if mat.unit == "kg" else 500.0
    want = r.consumed * float(rng.uniform(1.02, 1.15)) + step
    return float(math.ceil(want / step) * step)


@dataclass
class FinishedLot:
    lot: str
    order: str
    product: str
    created: int
    quantity: int
    parts: list[ProdLot]


def finished_lots(
    orders: list[tuple[str, str, int | None]], prod_lots: list[ProdLot]
) -> list[FinishedLot]:
    """One finished lot per completed order, packed 30 min after its last count.

    ``orders`` holds (order, product, actual end or None) in the order they should be listed.
    """
    by_order: dict[str, list[ProdLot]] = {}
    for pl in prod_lots:
        if pl.quantity > 0:
            by_order.setdefault(pl.order, []).append(pl)
    out: list[FinishedLot] = []
    for order, product, end in orders:
        parts = by_order.get(order)
        if end is None or not parts:
            continue
        name = "FG-" + order.removeprefix("WO-")
        out.append(
            FinishedLot(name, order, product, end + 1800, sum(p.quantity for p in parts), parts)
        )
    return out
