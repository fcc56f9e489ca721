"""``ground_truth.json``: everything the simulator decided, for tests and for grading analyses.

The schema is documented in :mod:`smartfactory.sim` (the package docstring).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from .calendar import BREAKS, SATURDAY_SHIFTS, SHIFTS, Calendar, MachineCalendar, day_of
from .causes import P_MAX, Causes
from .demand import ProductDemand, demand_truth
from .machine import NO_MATERIAL_EVERY_H, NO_OPERATOR_P
from .materials import OPEN_AT_S
from .plant import ENTERPRISE, SITE, TIMEZONE, Plant
from .process import GRID_S, SAMPLE_EVERY_S, WANDER_TAU_S
from .quality import INSPECTED_UNITS, MAX_SHIFT_SIGMA, SHIFT_PER_SIGMA

logger = logging.getLogger(__name__)

SCHEMA = "smartfactory.sim.ground_truth/1"


def _clock(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def ground_truth(
    *,
    plant: Plant,
    cal: Calendar,
    offset: str,
    mcals: list[MachineCalendar],
    causes: Causes,
    demand: list[ProductDemand],
    realised: dict[str, dict[str, float]],
    args: dict[str, object],
) -> dict[str, object]:
    def iso(t: int) -> str:
        d = day_of(t)
        s = t % 86_400
        return f"{d.isoformat()}T{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}{offset}"

    last = cal.start + timedelta(days=cal.days - 1)
    return {
        "schema": SCHEMA,
        "arguments": args,
        "seed": args["seed"],
        "period": {
            "first_day": cal.start.isoformat(),
            "last_day": last.isoformat(),
            "start": iso(cal.t0),
            "end": iso(cal.t1),
            "timezone": TIMEZONE,
        },
        "plant": {
            "enterprise": ENTERPRISE,
            "site": SITE,
            "timezone": TIMEZONE,
            "areas": {
                a: [ln for ln, la in plant.line_area.items() if la == a] for a in plant.areas
            },
            "lines": {
                ln: {"area": plant.line_area[ln], "machines": ms} for ln, ms in plant.lines.items()
            },
        },
        "calendar": {
            "shifts": [{"name": n, "start": _clock(a), "end": _clock(b)} for n, a, b in SHIFTS],
            "breaks": [{"start": _clock(a), "end": _clock(b)} for a, b in BREAKS],
            "saturday_shifts": list(SATURDAY_SHIFTS),
            "sunday": "no_shift",
            "holidays": [
                {"date": d.isoformat(), "name": n}
                for d, n in sorted(cal.holidays.items())
                if cal.start <= d <= last
            ],
            "planned_maintenance": [
                {"machine": m.name, "start": iso(a), "end": iso(b)}
                for m in plant.machines
                for a, b in mcals[m.index].maintenance
            ],
            "no_operator_probability_per_shift": NO_OPERATOR_P,
            "no_material_every_working_h": NO_MATERIAL_EVERY_H,
        },
        "machines": {
            m.name: {
                "line": m.line,
                "area": m.area,
                "mtbf_h": m.mtbf_h,
                "mttr_median_min": m.mttr_median_min,
                "mttr_sigma_log": m.mttr_sigma_log,
                "mttr_mean_min": round(m.mttr_mean_min(), 2),
                "speed_factor": m.speed_factor,
                "minor_stop_every_min": m.minor_stop_every_min,
                "minor_stop_s": [10, 110],
                "baseline_scrap": m.baseline_scrap,
                "rework_rate": m.rework_rate,
                "tags": {
                    t.name: {
                        "unit": t.unit,
                        "nominal": round(t.nominal + m.tag_offsets[k], 3),
                        "drift_per_year": m.tag_drift_per_year[k],
                        "wander_sd": t.wander,
                        "noise_sd": t.noise,
                    }
                    for k, t in enumerate(m.tags)
                },
                "realised": realised.get(m.name, {}),
            }
            for m in plant.machines
        },
        "products": {
            p.code: {
                "name": p.name,
                "area": p.area,
                "ideal_cycle_s": p.ideal_cycle_s,
                "per_machine_ideal_cycle_s": {
                    m: c for code, m, c in plant.machine_cycles if code == p.code
                },
                "bom": dict(p.bom),
                "characteristics": {
                    c.name: {
                        "unit": c.unit,
                        "nominal": c.nominal,
                        "lsl": round(c.nominal - c.tol, c.decimals),
                        "usl": round(c.nominal + c.tol, c.decimals),
                        "sd": c.sigma,
                    }
                    for c in p.chars
                },
            }
            for p in plant.products
        },
        "materials": {
            m.code: {
                "name": m.name,
                "unit": m.unit,
                "suppliers": list(m.suppliers),
                "lot_opened_at": _clock(OPEN_AT_S),
            }
            for m in plant.materials()
        },
        "baseline_scrap": {m.name: m.baseline_scrap for m in plant.machines},
        "scrap_model": {
            "formula": (
                "p = baseline[machine]"
                " * (1 + (parameter.multiplier - 1) * share of the count's span with"
                " tag > threshold)  [parameter machines only]"
                " * material_lot.multiplier  [products drawing on the lot while it is in use]"
                " * (1 + (degradation.scrap_multiplier_end - 1) * elapsed share of the period)"
                "  [degrading machine only]; capped at p_max; scrap ~ Binomial(produced, p)"
            ),
            "p_max": P_MAX,
        },
        "scrap_causes": _causes(causes, plant, iso),
        "inspections": {
            "units_per_lot": INSPECTED_UNITS,
            "mean_shift_sd": (
                "min(max_shift_sd, shift_per_sd * max(0, mean p of the lot / baseline - 1))"
            ),
            "shift_per_sd": SHIFT_PER_SIGMA,
            "max_shift_sd": MAX_SHIFT_SIGMA,
        },
        "measurements": {
            "every_s": SAMPLE_EVERY_S,
            "only_while_running": True,
            "grid_s": GRID_S,
            "wander_time_constant_s": WANDER_TAU_S,
        },
        "demand": demand_truth(demand),
    }


def _causes(causes: Causes, plant: Plant, iso: Callable[[int], str]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    if causes.parameter:
        c = causes.parameter
        out.append(
            {
                "kind": "parameter",
                "tag": c.tag,
                "machines": list(c.machines),
                "operator": ">",
                "threshold": c.threshold,
                "multiplier": c.multiplier,
            }
        )
    if causes.material:
        mc = causes.material
        out.append(
            {
                "kind": "material_lot",
                "lot": mc.lot,
                "material": mc.material,
                "supplier": mc.supplier,
                "multiplier": mc.multiplier,
                "in_use_from": iso(mc.use_from),
                "in_use_to": iso(mc.use_to),
                "products": list(mc.products),
            }
        )
    if causes.degradation:
        d = causes.degradation
        m = next(x for x in plant.machines if x.name == d.machine)
        out.append(
            {
                "kind": "degradation",
                "machine": d.machine,
                "degrades": ["mtbf", "scrap", "tag"],
                "mtbf_h_start": m.mtbf_h,
                "mtbf_h_end": round(m.mtbf_h * d.mtbf_factor_end, 2),
                "scrap_multiplier_start": 1.0,
                "scrap_multiplier_end": d.scrap_multiplier_end,
                "tag": d.tag,
                "tag_drift_over_period": d.tag_drift,
                "shape": "linear from the first day's start to the last day's end",
            }
        )
    return out
