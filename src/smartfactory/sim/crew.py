"""Who ran each machine and with which mould: the counts' operator and tool, and the tool room's
regrind log.

Optional (``simulate(crew=True)``, on in the demo). Each machine has two operators who swap
shifts every week, with a stand-in from a small pool on about 5 % of shifts. Each machine ×
product pair has its own mould, reground after 8,000–20,000 units (now and then repaired
instead), which is a ``tool_maintenance`` record with the tool room's next interval (12,000
units, whatever the mould's real life). Operators and moulds act on no scrap, and
they are drawn from their own random streams, so the rest of the plant (counts, scrap, ground
truth) is the same with or without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .calendar import DAY_S, SHIFTS

SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신")
GIVEN = (
    "민수", "영희", "지훈", "서연", "현우", "수빈", "동현", "지은", "성호", "미경",
    "준호", "은정", "태윤", "하은", "재석", "유진", "상철", "보람", "정훈", "다은",
)  # fmt: skip
STAND_IN_P = 0.05
STAND_INS = 3
#: units a mould makes between regrinds
LIFE_UNITS = (8_000, 20_000)
#: share of restorations that are a repair rather than a regrind
REPAIR_P = 0.15
REGRIND, REPAIR = "연마", "수리"
#: the interval the tool room sets after each regrind or repair (the moulds' real lives vary)
DUE_UNITS = 12_000


@dataclass
class Crew:
    """Per count row of one machine: operator and tool; and that machine's mould log."""

    operator: list[str] = field(default_factory=list)
    tool: list[str] = field(default_factory=list)
    #: (time, tool, work, units until the next one is due) of each regrind or repair
    maintenance: list[tuple[int, str, str, float]] = field(default_factory=list)


def operator_pool(machines: int, rng: np.random.Generator) -> list[str]:
    """Distinct Korean names: two per machine, then the stand-ins."""
    names = [s + g for s in SURNAMES for g in GIVEN]
    n = 2 * machines + STAND_INS
    if n > len(names):
        names += [f"작업자{i:03d}" for i in range(n - len(names))]
    return [names[i] for i in rng.permutation(len(names))[:n]]


def _shift(ts: int) -> int:
    """Index of the shift a count finished in (a count at 14:00 closes shift A)."""
    second = (ts - 1) % DAY_S
    for i, (_, lo, hi) in enumerate(SHIFTS):
        if lo <= second < hi:
            return i
    return len(SHIFTS) - 1 if second >= SHIFTS[-1][2] else 0


def crew_for(
    index: int,
    ts: list[int],
    product: list[str],
    produced: np.ndarray,
    pool: list[str],
    ops_rng: np.random.Generator,
    tool_rng: np.random.Generator,
) -> Crew:
    """Operator and mould of each count of machine ``index`` (counts in time order)."""
    own = pool[2 * index : 2 * index + 2]
    stand_ins = pool[-STAND_INS:]
    out = Crew()
    covered: dict[tuple[int, int], str] = {}
    life: dict[str, tuple[float, float]] = {}  # tool → (units since restored, its life)
    for t, p, n in zip(ts, product, produced, strict=True):
        day, shift = t // DAY_S, _shift(t)
        key = (day, shift)
        if key not in covered:
            week = day // 7
            name = own[(week + shift) % 2]
            if ops_rng.random() < STAND_IN_P:
                name = stand_ins[int(ops_rng.integers(len(stand_ins)))]
            covered[key] = name
        out.operator.append(covered[key])
        tool = f"MD-{p}-{index + 1:02d}"
        used, limit = life.get(tool, (0.0, float(tool_rng.integers(*LIFE_UNITS))))
        out.tool.append(tool)
        used += float(n)
        if used >= limit:
            work = REPAIR if tool_rng.random() < REPAIR_P else REGRIND
            # finished with this count (which belongs to the old life)
            out.maintenance.append((t, tool, work, float(DUE_UNITS)))
            used, limit = 0.0, float(tool_rng.integers(*LIFE_UNITS))
        life[tool] = (used, limit)
    return out
