"""``simulate``: build the plant, run every machine, write the record files and the ground truth."""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from .calendar import (
    DAY_S,
    HOUR_S,
    Calendar,
    MachineCalendar,
    WorkClock,
    day_of,
    machine_calendar,
)
from .calendar import maintenance_plan as draw_maintenance
from .causes import Causes, ScrapModel, draw_causes
from .crew import Crew, crew_for, operator_pool
from .demand import BACKLOG_DAYS, Order, demand_model, generate_orders, plan_orders
from .machine import PLANNED_DOWN, RUNNING, STATES, MachineRun, MachineSim, Reasons, interruptions
from .materials import (
    ProdLot,
    finished_lots,
    link_raw,
    raw_lot_schedule,
    raw_quantity,
)
from .plant import AREA_TAGS, ENTERPRISE, MATERIALS, SITE, TIMEZONE, Plant, build_plant
from .process import measurements, process_grid, sample_times
from .quality import inspect_lots
from .truth import ground_truth
from .writer import categorical, fixed_offset, timestamps, write_kind

logger = logging.getLogger(__name__)

#: A Monday, so that weeks in the output line up with calendar weeks.
DEFAULT_START = date(2025, 1, 6)
FILES = (
    "equipment",
    "products",
    "states",
    "counts",
    "measurements",
    "inspections",
    "orders",
    "lots",
    "genealogy",
    "stock",
)
#: written as well with ``crew``
CREW_FILES = ("tool_maintenance",)
TAG_NAMES = [t.name for tags in AREA_TAGS.values() for t in tags]
TAG_UNITS = [t.unit for tags in AREA_TAGS.values() for t in tags]

Progress = Callable[[int, int], None]


def _rng(seed: int, stream: str, *more: int) -> np.random.Generator:
    """An independent, named random stream: changing one part of the model leaves the others."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode()), *more])


@dataclass
class _Collected:
    """Per-machine outputs gathered for writing."""

    st: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    counts: list[tuple[int, MachineRun]] = field(default_factory=list)
    meas: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    lots: list[ProdLot] = field(default_factory=list)
    #: per machine, in the order of ``counts``: operators and moulds (``crew=True`` only)
    crew: list[Crew] = field(default_factory=list)
    #: machine → what actually happened (failures, running hours), for the ground truth
    realised: dict[str, dict[str, float]] = field(default_factory=dict)


def simulate(
    out_dir: Path,
    *,
    machines: int = 10,
    days: int = 28,
    seed: int = 0,
    start: date | None = None,
    causes: bool = True,
    crew: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Simulate a plant and write its records as CSV files plus ``ground_truth.json``.

    ``crew`` adds who ran each count and with which mould, and the moulds' regrind log
    (``tool_maintenance.csv``); they act on no scrap (:mod:`smartfactory.sim.crew`).

    ``progress`` is called with (steps done, total steps): one step per machine, one for
    writing. Returns a summary: files written, rows per kind, first and last day.
    """
    if machines < 1 or days < 1 or seed < 0:
        raise ValueError("machines and days must be at least 1, seed at least 0")
    start = start or DEFAULT_START
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    total_steps = machines + 1

    cal = Calendar.build(start, days, lookback_days=BACKLOG_DAYS + 10)
    t0, t1 = cal.t0, cal.t1
    offset = fixed_offset(TIMEZONE, t0, t1)
    plant = build_plant(machines, _rng(seed, "plant"))
    mcals = [
        machine_calendar(cal, draw_maintenance(cal, _rng(seed, "maintenance", i)))
        for i in range(machines)
    ]
    clocks = [WorkClock(mc.ws, mc.we) for mc in mcals]
    raw = raw_lot_schedule(plant, cal, _rng(seed, "materials"))
    cz = (
        draw_causes(plant, raw, t0, t1, _rng(seed, "causes"), workday=cal.is_workday)
        if causes
        else Causes()
    )
    demand = demand_model(plant, cal, mcals, _rng(seed, "demand"))
    orders = generate_orders(plant, cal, demand, _rng(seed, "orders"))
    queues = plan_orders(orders, plant, clocks, t0)
    logger.info("simulating %d machines × %d days from %s (seed %d)", machines, days, start, seed)

    reasons = Reasons()
    got = _Collected()
    pool = operator_pool(machines, _rng(seed, "crew")) if crew else []
    for m in plant.machines:
        extra: dict[str, float] = {}
        if cz.degradation is not None and cz.degradation.machine == m.name:
            extra[cz.degradation.tag] = cz.degradation.tag_drift
        grid = process_grid(m, t0, t1, _rng(seed, "process", m.index), extra)
        scrap = ScrapModel(m, cz, grid, t0, t1)
        sim_rng = _rng(seed, "machine", m.index)
        intr = interruptions(m, mcals[m.index], clocks[m.index], sim_rng)
        run = MachineSim(m, mcals[m.index], queues[m.name], scrap, sim_rng, reasons, intr).run()
        st = merge_states(run, mcals[m.index], reasons, t0, t1, m.name)
        got.st.append(st)
        got.counts.append((m.index, run))
        if crew:
            got.crew.append(
                crew_for(
                    m.index,
                    run.c_ts,
                    run.c_product,
                    np.add(np.add(run.c_good, run.c_scrap), run.c_rework),
                    pool,
                    _rng(seed, "operators", m.index),
                    _rng(seed, "moulds", m.index),
                )
            )
        got.lots.extend(run.lots)
        running = st[2] == RUNNING
        got.realised[m.name] = {
            "failures": run.failures,
            "running_h": round(float(np.sum(st[1][running] - st[0][running])) / 3600, 3),
        }
        mrng = _rng(seed, "measure", m.index)
        phase = int(mrng.integers(0, 60))
        times = sample_times(t0, t1, phase, st[0][running], st[1][running])
        ts, tag_i, values = measurements(m, grid, times, mrng)
        gidx = np.array([TAG_NAMES.index(t.name) for t in m.tags], dtype=np.int32)
        got.meas.append((m.index, ts, gidx[tag_i], values))
        if progress:
            progress(m.index + 1, total_steps)

    rows = _write_all(out_dir, plant, cal, offset, reasons, got, orders, raw, seed)
    truth = ground_truth(
        plant=plant,
        cal=cal,
        offset=offset,
        mcals=mcals,
        causes=cz,
        demand=demand,
        realised=got.realised,
        args={
            "machines": machines,
            "days": days,
            "seed": seed,
            "start": start.isoformat(),
            "causes": causes,
            "crew": crew,
        },
    )
    truth_path = out_dir / "ground_truth.json"
    truth_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", "utf-8")
    if progress:
        progress(total_steps, total_steps)
    return {
        "out_dir": str(out_dir),
        "files": {k: str(out_dir / f"{k}.csv") for k in FILES + (CREW_FILES if crew else ())},
        "ground_truth": str(truth_path),
        "rows": rows,
        "first_day": start.isoformat(),
        "last_day": (start + timedelta(days=days - 1)).isoformat(),
        "machines": machines,
        "seed": seed,
        "causes": causes,
    }


def merge_states(
    run: MachineRun, mcal: MachineCalendar, reasons: Reasons, t0: int, t1: int, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Activities + planned downtime → contiguous intervals, equal neighbours merged.

    Raises if the ledger is not complete (a gap or an overlap is a simulator bug).
    """
    p = mcal.planned
    start = np.concatenate([np.asarray(run.st_start, np.int64), [a for a, _, _ in p]])
    end = np.concatenate([np.asarray(run.st_end, np.int64), [b for _, b, _ in p]])
    state = np.concatenate(
        [np.asarray(run.st_state, np.int8), np.full(len(p), PLANNED_DOWN, np.int8)]
    )
    reason = np.concatenate(
        [np.asarray(run.st_reason, np.int32), [reasons.id(r) for _, _, r in p]]
    ).astype(np.int32)
    o = np.argsort(start, kind="stable")
    start, end, state, reason = start[o], end[o], state[o], reason[o]
    if start[0] != t0 or end[-1] != t1 or np.any(start[1:] != end[:-1]) or np.any(end <= start):
        raise RuntimeError(f"simulator bug: the state ledger of {name} has gaps or overlaps")
    same = (state[1:] == state[:-1]) & (reason[1:] == reason[:-1])
    first = np.flatnonzero(np.concatenate([[True], ~same]))
    last = np.concatenate([first[1:] - 1, [len(start) - 1]])
    return start[first], end[last], state[first], reason[first]


def _write_all(
    out: Path,
    plant: Plant,
    cal: Calendar,
    offset: str,
    reasons: Reasons,
    got: _Collected,
    orders: list[Order],
    raw: dict[str, list],
    seed: int,
) -> dict[str, int]:
    names = [m.name for m in plant.machines]
    rows: dict[str, int] = {}

    def ts(x: object, mask: np.ndarray | None = None) -> pa.Array:
        return timestamps(np.asarray(x, dtype=np.int64), offset, mask)

    def put(kind: str, cols: dict[str, object]) -> None:
        _, n = write_kind(out, kind, cols)
        rows[kind] = n

    put(
        "equipment",
        {
            "enterprise": [ENTERPRISE] * len(names),
            "site": [SITE] * len(names),
            "area": [m.area for m in plant.machines],
            "line": [m.line for m in plant.machines],
            "machine": names,
            "timezone": [TIMEZONE] * len(names),
        },
    )
    prod_rows: list[tuple[str, float, str | None, str]] = [
        (p.code, p.ideal_cycle_s, None, p.name) for p in plant.products
    ]
    pname = {p.code: p.name for p in plant.products}
    prod_rows += [(p, c, m, pname[p]) for p, m, c in plant.machine_cycles]
    put(
        "products",
        {
            "product": [r[0] for r in prod_rows],
            "ideal_cycle_s": pa.array([r[1] for r in prod_rows], pa.float64()),
            "machine": pa.array([r[2] for r in prod_rows], pa.string()),
            "name": [r[3] for r in prod_rows],
        },
    )

    # states
    mi = np.concatenate([np.full(len(s[0]), i, np.int32) for i, s in enumerate(got.st)])
    put(
        "states",
        {
            "machine": categorical(names, mi),
            "start": ts(np.concatenate([s[0] for s in got.st])),
            "end": ts(np.concatenate([s[1] for s in got.st])),
            "state": categorical([s.value for s in STATES], np.concatenate([s[2] for s in got.st])),
            "reason": _reason_column(reasons, np.concatenate([s[3] for s in got.st])),
        },
    )
    got.st.clear()  # free memory before the next table

    # counts
    runs = [r for _, r in got.counts]
    cm = np.concatenate([np.full(len(r.c_ts), i, np.int32) for i, r in got.counts])
    who: dict[str, object] = {}
    if got.crew:
        who = {
            "operator": pa.array([x for c in got.crew for x in c.operator], pa.string()),
            "tool": pa.array([x for c in got.crew for x in c.tool], pa.string()),
        }
        log = sorted(x for c in got.crew for x in c.maintenance)
        put(
            "tool_maintenance",
            {
                "tool": [x[1] for x in log],
                "ts": ts([x[0] for x in log]),
                "work": [x[2] for x in log],
                "due_units": pa.array([x[3] for x in log], pa.float64()),
            },
        )
    put(
        "counts",
        {
            **who,
            "machine": categorical(names, cm),
            "ts": ts(np.concatenate([np.asarray(r.c_ts, np.int64) for r in runs])),
            "product": pa.array([x for r in runs for x in r.c_product], pa.string()),
            "good": np.concatenate([np.asarray(r.c_good, np.int64) for r in runs]),
            "scrap": np.concatenate([np.asarray(r.c_scrap, np.int64) for r in runs]),
            "rework": np.concatenate([np.asarray(r.c_rework, np.int64) for r in runs]),
            "order": pa.array([x for r in runs for x in r.c_order], pa.string()),
            "lot": pa.array([x for r in runs for x in r.c_lot], pa.string()),
        },
    )
    got.counts.clear()  # free memory before the next table
    got.crew.clear()

    # measurements
    mm = np.concatenate([np.full(len(x[1]), x[0], np.int32) for x in got.meas])
    tags = np.concatenate([x[2] for x in got.meas])
    put(
        "measurements",
        {
            "machine": categorical(names, mm),
            "ts": ts(np.concatenate([x[1] for x in got.meas])),
            "tag": categorical(TAG_NAMES, tags),
            "value": np.concatenate([x[3] for x in got.meas]),
            "unit": categorical(TAG_UNITS, tags),
        },
    )
    got.meas.clear()  # free memory before the next table

    # inspections
    insp = inspect_lots(plant, got.lots, _rng(seed, "inspections"))
    put(
        "inspections",
        {
            "ts": ts(insp.ts),
            "characteristic": insp.characteristic,
            "value": pa.array(insp.value, pa.float64()),
            "lot": insp.lot,
            "unit_id": insp.unit_id,
            "machine": insp.machine,
            "lsl": pa.array(insp.lsl, pa.float64()),
            "usl": pa.array(insp.usl, pa.float64()),
        },
    )

    # orders
    started = np.array([o.actual_start is not None for o in orders], dtype=bool)
    ended = np.array([o.actual_end is not None for o in orders], dtype=bool)
    put(
        "orders",
        {
            "order": [o.order for o in orders],
            "product": [o.product for o in orders],
            "quantity": pa.array([float(o.quantity) for o in orders], pa.float64()),
            "due": ts([o.due for o in orders]),
            "planned_start": ts([o.planned_start for o in orders]),
            "planned_end": ts([o.planned_end for o in orders]),
            "actual_start": ts([o.actual_start or 0 for o in orders], ~started),
            "actual_end": ts([o.actual_end or 0 for o in orders], ~ended),
            "line": [o.line for o in orders],
            "customer": [o.customer for o in orders],
            "received": ts([o.received for o in orders]),
        },
    )

    # finished-goods stock, counted at 06:00 on the first day and every seventh day after:
    # between a third of a week's and a week's demand of the product (a random stream of its
    # own, so the other files do not change)
    srng = _rng(seed, "stock")
    weekly: dict[str, float] = {p.code: 0.0 for p in plant.products}
    for o in orders:
        weekly[o.product] = weekly.get(o.product, 0.0) + o.quantity * 7 / max(cal.days, 1)
    weekly_counts = (cal.t0 + w * 7 * DAY_S + 6 * HOUR_S for w in range(cal.days // 7 + 1))
    counted = [t for t in weekly_counts if t < cal.t1]
    stock = [(t, p, round(q * srng.uniform(0.3, 1.0))) for t in counted for p, q in weekly.items()]
    put(
        "stock",
        {
            "enterprise": [ENTERPRISE] * len(stock),
            "product": [x[1] for x in stock],
            "ts": ts([x[0] for x in stock]),
            "on_hand": pa.array([float(x[2]) for x in stock], pa.float64()),
        },
    )

    # lots and genealogy: raw → production → finished
    prod_lots = sorted(got.lots, key=lambda x: (x.created, x.machine))
    links = link_raw(plant, prod_lots, raw)
    fin = finished_lots([(o.order, o.product, o.actual_end) for o in orders], prod_lots)
    lrng = _rng(seed, "lots")
    raw_rows = [
        (r.lot, r.material, raw_quantity(r, MATERIALS[r.material], lrng), r.created, r.supplier)
        for mat in sorted(raw)
        for r in raw[mat]
        if r.use_from < cal.t1
    ]
    n_raw, n_prod, n_fin = len(raw_rows), len(prod_lots), len(fin)
    put(
        "lots",
        {
            "lot": [r[0] for r in raw_rows] + [p.lot for p in prod_lots] + [f.lot for f in fin],
            "product": [r[1] for r in raw_rows]
            + [p.product for p in prod_lots]
            + [f.product for f in fin],
            "quantity": pa.array(
                [r[2] for r in raw_rows]
                + [float(p.quantity) for p in prod_lots]
                + [float(f.quantity) for f in fin],
                pa.float64(),
            ),
            "created": ts(
                [r[3] for r in raw_rows] + [p.created for p in prod_lots] + [f.created for f in fin]
            ),
            "machine": pa.array(
                [None] * n_raw + [p.machine for p in prod_lots] + [None] * n_fin, pa.string()
            ),
            "order": pa.array(
                [None] * n_raw + [p.order for p in prod_lots] + [f.order for f in fin], pa.string()
            ),
            "supplier": pa.array([r[4] for r in raw_rows] + [None] * (n_prod + n_fin), pa.string()),
        },
    )
    fin_links = [(p.lot, f.lot, float(p.quantity), f.created) for f in fin for p in f.parts]
    all_links = links + fin_links
    put(
        "genealogy",
        {
            "parent_lot": [x[0] for x in all_links],
            "child_lot": [x[1] for x in all_links],
            "quantity": pa.array([x[2] for x in all_links], pa.float64()),
            "ts": ts([x[3] for x in all_links]),
        },
    )
    logger.info("wrote %s: %s (days %s … %s)", out, rows, day_of(cal.t0), day_of(cal.t1 - 1))
    return rows


def _reason_column(reasons: Reasons, codes: np.ndarray) -> pa.Array:
    names: list[str | None] = [None, *reasons.names[1:]]
    return pa.array(names, type=pa.string()).take(pa.array(codes, type=pa.int32()))
