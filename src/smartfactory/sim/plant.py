"""The simulated plant: equipment hierarchy, products, materials, process tags, machine traits.

Everything a seed decides about the plant itself (not about what happens in it) is drawn here,
from the ``plant`` random stream, so the same seed gives the same plant whatever else changes.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

logger = logging.getLogger(__name__)

ENTERPRISE = "hanbit"
SITE = "plant1"
TIMEZONE = "Asia/Seoul"
AREAS = ("moulding", "machining", "assembly")
LINE_SIZE = 5


@dataclass(frozen=True)
class TagSpec:
    """A process variable and how it behaves: a slow wander around a nominal value plus noise."""

    name: str
    unit: str
    nominal: float
    #: standard deviation of the slow, autocorrelated wander
    wander: float
    #: standard deviation of the sample-to-sample measurement noise
    noise: float
    decimals: int


@dataclass(frozen=True)
class CharSpec:
    """An inspected quality characteristic with its specification limits."""

    name: str
    unit: str
    nominal: float
    tol: float
    sigma: float
    decimals: int


@dataclass(frozen=True)
class MaterialSpec:
    code: str
    name: str
    unit: str
    suppliers: tuple[str, ...]
    #: how many days a purchased lot lasts before the next one is opened
    lot_days: tuple[int, int]


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    area: str
    ideal_cycle_s: float
    #: material code → quantity consumed per unit produced
    bom: tuple[tuple[str, float], ...]
    chars: tuple[CharSpec, ...]


AREA_TAGS: dict[str, tuple[TagSpec, ...]] = {
    "moulding": (
        TagSpec("mould_temp", "°C", 228.0, 2.0, 0.4, 1),
        TagSpec("pressure", "bar", 950.0, 14.0, 4.0, 1),
        TagSpec("melt_temp", "°C", 245.0, 2.5, 0.6, 1),
    ),
    "machining": (
        TagSpec("spindle_speed", "rpm", 8000.0, 60.0, 15.0, 0),
        TagSpec("vibration", "mm/s", 2.2, 0.25, 0.08, 2),
        TagSpec("coolant_temp", "°C", 24.0, 1.2, 0.2, 1),
    ),
    "assembly": (
        TagSpec("torque", "N·m", 4.5, 0.12, 0.04, 2),
        TagSpec("air_pressure", "bar", 6.0, 0.15, 0.05, 2),
    ),
}

AREA_SETUP_MIN = {"moulding": 35.0, "machining": 20.0, "assembly": 12.0}

AREA_FAILURES: dict[str, tuple[str, ...]] = {
    "moulding": ("F-HEATER", "F-HYDRAULIC", "F-MOULD", "F-EJECTOR", "F-SENSOR"),
    "machining": ("F-SPINDLE", "F-TOOL", "F-COOLANT", "F-SERVO", "F-SENSOR"),
    "assembly": ("F-JAM", "F-PNEUMATIC", "F-VISION", "F-FEEDER", "F-SENSOR"),
}

MATERIALS: dict[str, MaterialSpec] = {
    m.code: m
    for m in (
        MaterialSpec(
            "RM-PP", "Polypropylene resin", "kg", ("hanil-polymer", "seorim-chem"), (3, 6)
        ),
        MaterialSpec("RM-MB", "Colour masterbatch", "kg", ("daon-color",), (6, 10)),
        MaterialSpec(
            "RM-AL", "Aluminium bar 6061", "kg", ("dongbang-metal", "keumsan-alloy"), (4, 7)
        ),
        MaterialSpec("RM-SCR", "Screw M3x8", "pcs", ("jinwoo-fastener",), (5, 9)),
        MaterialSpec("RM-PCB", "Controller board", "pcs", ("saehan-elec", "mirae-circuit"), (4, 8)),
    )
}

_WALL = CharSpec("wall_thickness", "mm", 2.00, 0.15, 0.03, 3)
_OD = CharSpec("outer_diameter", "mm", 25.000, 0.020, 0.004, 4)
_RA = CharSpec("roughness_ra", "µm", 0.80, 0.40, 0.08, 2)
_STROKE = CharSpec("stroke", "mm", 12.0, 0.30, 0.06, 3)
_FORCE = CharSpec("actuation_force", "N", 35.0, 5.0, 1.0, 2)


def _weight(nominal: float) -> CharSpec:
    return CharSpec("weight", "g", nominal, round(nominal * 0.04, 2), round(nominal * 0.008, 3), 2)


CATALOG: tuple[ProductSpec, ...] = (
    ProductSpec(
        "P-100",
        "Housing cover",
        "moulding",
        24.0,
        (("RM-PP", 0.085), ("RM-MB", 0.0017)),
        (_WALL, _weight(85.0)),
    ),
    ProductSpec(
        "P-110",
        "Bezel",
        "moulding",
        18.0,
        (("RM-PP", 0.042), ("RM-MB", 0.0008)),
        (_WALL, _weight(42.0)),
    ),
    ProductSpec(
        "P-120",
        "Connector body",
        "moulding",
        12.0,
        (("RM-PP", 0.016), ("RM-MB", 0.0003)),
        (_WALL, _weight(16.0)),
    ),
    ProductSpec("P-130", "Clip", "moulding", 8.0, (("RM-PP", 0.006),), (_weight(6.0),)),
    ProductSpec("P-200", "Drive shaft", "machining", 95.0, (("RM-AL", 0.42),), (_OD, _RA)),
    ProductSpec("P-210", "Flange", "machining", 140.0, (("RM-AL", 0.95),), (_OD, _RA)),
    ProductSpec("P-220", "Bushing", "machining", 60.0, (("RM-AL", 0.18),), (_OD,)),
    ProductSpec(
        "P-300",
        "Actuator assembly",
        "assembly",
        45.0,
        (("RM-SCR", 4.0), ("RM-PCB", 1.0)),
        (_STROKE, _FORCE),
    ),
    ProductSpec(
        "P-310", "Sensor module", "assembly", 30.0, (("RM-SCR", 2.0), ("RM-PCB", 1.0)), (_FORCE,)
    ),
)


@dataclass
class MachineSpec:
    """A machine and the traits that drive its simulated behaviour (all in ground truth)."""

    index: int
    name: str
    line: str
    area: str
    mtbf_h: float
    mttr_median_min: float
    mttr_sigma_log: float
    speed_factor: float
    minor_stop_every_min: float
    baseline_scrap: float
    rework_rate: float
    tags: tuple[TagSpec, ...]
    #: per-tag offset of this machine's operating point from the nominal value
    tag_offsets: tuple[float, ...]
    #: per-tag drift over one year (in the tag's unit)
    tag_drift_per_year: tuple[float, ...]
    #: product → ideal cycle time on this machine (products of its area only)
    ideal: dict[str, float] = field(default_factory=dict)

    def mttr_mean_min(self) -> float:
        return self.mttr_median_min * math.exp(self.mttr_sigma_log**2 / 2)


@dataclass
class Plant:
    machines: list[MachineSpec]
    lines: dict[str, list[str]]
    line_area: dict[str, str]
    products: list[ProductSpec]
    #: (product, machine, ideal_cycle_s) rows that differ from the product's own cycle time
    machine_cycles: list[tuple[str, str, float]]

    @property
    def areas(self) -> list[str]:
        return [a for a in AREAS if a in self.line_area.values()]

    def product(self, code: str) -> ProductSpec:
        return next(p for p in self.products if p.code == code)

    def materials(self) -> list[MaterialSpec]:
        used = {m for p in self.products for m, _ in p.bom}
        return [m for code, m in MATERIALS.items() if code in used]

    def area_machines(self, area: str) -> list[MachineSpec]:
        return [m for m in self.machines if m.area == area]


def machine_name(i: int, n: int) -> str:
    """``M01`` … zero-padded to the machine count's width (at least two digits)."""
    return f"M{i + 1:0{max(2, len(str(n)))}d}"


def build_plant(n_machines: int, rng: np.random.Generator) -> Plant:
    """Lines of about five machines; line k belongs to area k mod 3 (moulding first)."""
    if n_machines < 1:
        raise ValueError("machines must be at least 1")
    n_lines = math.ceil(n_machines / LINE_SIZE)
    sizes = [len(a) for a in np.array_split(np.arange(n_machines), n_lines)]
    lines: dict[str, list[str]] = {}
    line_area: dict[str, str] = {}
    machines: list[MachineSpec] = []
    i = 0
    for k, size in enumerate(sizes):
        line = f"L{k + 1}"
        area = AREAS[k % len(AREAS)]
        line_area[line] = area
        lines[line] = []
        for _ in range(size):
            name = machine_name(i, n_machines)
            lines[line].append(name)
            machines.append(_machine(i, name, line, area, rng))
            i += 1
    areas = set(line_area.values())
    products: list[ProductSpec] = []
    for p in CATALOG:
        if p.area in areas:
            # each seed gets its own cycle times, within ±10 %, on a half-second grid
            ideal = round(p.ideal_cycle_s * float(rng.uniform(0.9, 1.1)) * 2) / 2
            products.append(ProductSpec(p.code, p.name, p.area, ideal, p.bom, p.chars))
    machine_cycles: list[tuple[str, str, float]] = []
    for m in machines:
        for p in products:
            if p.area == m.area:
                m.ideal[p.code] = p.ideal_cycle_s
    for area in sorted(areas, key=AREAS.index):
        # one older machine per area is slower on one product: a per-machine ideal cycle time
        ms = [m for m in machines if m.area == area]
        ps = [p for p in products if p.area == area]
        m = ms[int(rng.integers(0, len(ms)))]
        p = ps[int(rng.integers(0, len(ps)))]
        slow = round(p.ideal_cycle_s * float(rng.uniform(1.08, 1.2)) * 2) / 2
        m.ideal[p.code] = slow
        machine_cycles.append((p.code, m.name, slow))
    return Plant(machines, lines, line_area, products, machine_cycles)


def _machine(i: int, name: str, line: str, area: str, rng: np.random.Generator) -> MachineSpec:
    tags = AREA_TAGS[area]
    return MachineSpec(
        index=i,
        name=name,
        line=line,
        area=area,
        mtbf_h=round(float(rng.uniform(30.0, 120.0)), 1),
        mttr_median_min=round(float(rng.uniform(25.0, 90.0)), 1),
        mttr_sigma_log=round(float(rng.uniform(0.4, 0.8)), 2),
        speed_factor=round(float(rng.uniform(1.03, 1.25)), 3),
        minor_stop_every_min=round(float(rng.uniform(25.0, 60.0)), 1),
        baseline_scrap=round(float(rng.uniform(0.01, 0.03)), 4),
        rework_rate=round(float(rng.uniform(0.002, 0.01)), 4),
        tags=tags,
        tag_offsets=tuple(round(float(rng.normal(0, 0.25 * t.wander)), 3) for t in tags),
        tag_drift_per_year=tuple(round(float(rng.normal(0, 0.5 * t.wander)), 3) for t in tags),
    )
