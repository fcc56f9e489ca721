"""Lot inspections: a few units of every production lot measured against specification limits.

A characteristic's mean moves with the injected causes: for a lot whose mean scrap probability
is ``p_lot`` on a machine with baseline ``p0``, the mean shifts by

    SHIFT_PER_SIGMA · min(MAX_SHIFT_SIGMA / SHIFT_PER_SIGMA, p_lot / p0 − 1) standard deviations

(so a lot made under a cause that triples scrap sits 1.2 σ off nominal). Without causes every
lot is centred on nominal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .materials import ProdLot
from .plant import Plant

logger = logging.getLogger(__name__)

INSPECTED_UNITS = 3
SHIFT_PER_SIGMA = 0.6
MAX_SHIFT_SIGMA = 3.0


@dataclass
class InspectionRows:
    ts: list[int] = field(default_factory=list)
    characteristic: list[str] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    lot: list[str] = field(default_factory=list)
    unit_id: list[str] = field(default_factory=list)
    machine: list[str] = field(default_factory=list)
    lsl: list[float] = field(default_factory=list)
    usl: list[float] = field(default_factory=list)


def mean_shift_sigma(lot: ProdLot, baseline: float) -> float:
    if lot.produced <= 0 or baseline <= 0:
        return 0.0
    excess = lot.psum / lot.produced / baseline - 1.0
    return min(MAX_SHIFT_SIGMA, SHIFT_PER_SIGMA * max(0.0, excess))


def inspect_lots(plant: Plant, lots: list[ProdLot], rng: np.random.Generator) -> InspectionRows:
    """Rows for ``inspections.csv``: units 1…3 of each lot, 10–30 min after its last count."""
    chars = {p.code: p.chars for p in plant.products}
    base = {m.name: m.baseline_scrap for m in plant.machines}
    out = InspectionRows()
    for lot in lots:
        if lot.produced <= 0:
            continue
        shift = mean_shift_sigma(lot, base[lot.machine])
        t = lot.last + 600 + int(rng.integers(0, 1200))
        for u in range(1, INSPECTED_UNITS + 1):
            unit = f"{lot.lot}-U{u}"
            for ch in chars[lot.product]:
                v = ch.nominal + ch.sigma * (shift + float(rng.standard_normal()))
                out.ts.append(t)
                out.characteristic.append(ch.name)
                out.value.append(round(v, ch.decimals))
                out.lot.append(lot.lot)
                out.unit_id.append(unit)
                out.machine.append(lot.machine)
                out.lsl.append(round(ch.nominal - ch.tol, ch.decimals))
                out.usl.append(round(ch.nominal + ch.tol, ch.decimals))
            t += 60
    return out
