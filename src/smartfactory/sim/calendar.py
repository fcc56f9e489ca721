"""The plant's working calendar: shifts, breaks, Sundays, Korean public holidays, maintenance.

Time inside the simulator is an integer count of seconds on the site's *local* wall clock
(seconds since 1970-01-01 00:00 local). The site zone, Asia/Seoul, has kept one UTC offset
(+09:00) since 1988, so local seconds convert to instants by one subtraction; the writer checks
that the offset is constant over the simulated period and refuses a zone where it is not.

Public holidays come from a hardcoded table for 2024–2026 (including the lunar ones, substitute
holidays, election days and the temporary holidays the government declared). For other years
only the fixed-date holidays are used, and a warning says so: lunar dates are not computed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

logger = logging.getLogger(__name__)

DAY_S = 86_400
HOUR_S = 3_600

#: Two shifts, local time: (name, start, end) in seconds after midnight.
SHIFTS: tuple[tuple[str, int, int], ...] = (
    ("A", 6 * HOUR_S, 14 * HOUR_S),
    ("B", 14 * HOUR_S, 22 * HOUR_S),
)
#: Planned breaks (a short break and a meal break per shift), local time.
BREAKS: tuple[tuple[int, int], ...] = (
    (9 * HOUR_S, 9 * HOUR_S + 600),
    (11 * HOUR_S + 1800, 12 * HOUR_S + 600),
    (17 * HOUR_S, 17 * HOUR_S + 600),
    (18 * HOUR_S + 1800, 19 * HOUR_S + 600),
)
#: Saturdays run the first shift only; Sundays and holidays are off.
SATURDAY_SHIFTS = ("A",)

# Reasons of planned downtime, as written to states.csv.
NO_SHIFT = "no_shift"
BREAK = "break"
HOLIDAY = "holiday"
PLANNED_MAINTENANCE = "planned_maintenance"
WORK = ""  # a working window (not planned downtime)

#: Korean public holidays (관공서의 공휴일에 관한 규정), including substitute and temporary ones.
HOLIDAYS: dict[int, tuple[tuple[int, int, str], ...]] = {
    2024: (
        (1, 1, "New Year's Day"),
        (2, 9, "Seollal"),
        (2, 10, "Seollal"),
        (2, 11, "Seollal"),
        (2, 12, "Seollal (substitute)"),
        (3, 1, "Independence Movement Day"),
        (4, 10, "National Assembly election"),
        (5, 5, "Children's Day"),
        (5, 6, "Children's Day (substitute)"),
        (5, 15, "Buddha's Birthday"),
        (6, 6, "Memorial Day"),
        (8, 15, "Liberation Day"),
        (9, 16, "Chuseok"),
        (9, 17, "Chuseok"),
        (9, 18, "Chuseok"),
        (10, 1, "Armed Forces Day (temporary holiday)"),
        (10, 3, "National Foundation Day"),
        (10, 9, "Hangul Day"),
        (12, 25, "Christmas"),
    ),
    2025: (
        (1, 1, "New Year's Day"),
        (1, 27, "Temporary holiday"),
        (1, 28, "Seollal"),
        (1, 29, "Seollal"),
        (1, 30, "Seollal"),
        (3, 1, "Independence Movement Day"),
        (3, 3, "Independence Movement Day (substitute)"),
        (5, 5, "Children's Day; Buddha's Birthday"),
        (5, 6, "Children's Day; Buddha's Birthday (substitute)"),
        (6, 3, "Presidential election"),
        (6, 6, "Memorial Day"),
        (8, 15, "Liberation Day"),
        (10, 3, "National Foundation Day"),
        (10, 5, "Chuseok"),
        (10, 6, "Chuseok"),
        (10, 7, "Chuseok"),
        (10, 8, "Chuseok (substitute)"),
        (10, 9, "Hangul Day"),
        (12, 25, "Christmas"),
    ),
    2026: (
        (1, 1, "New Year's Day"),
        (2, 16, "Seollal"),
        (2, 17, "Seollal"),
        (2, 18, "Seollal"),
        (3, 1, "Independence Movement Day"),
        (3, 2, "Independence Movement Day (substitute)"),
        (5, 5, "Children's Day"),
        (5, 24, "Buddha's Birthday"),
        (5, 25, "Buddha's Birthday (substitute)"),
        (6, 3, "Local elections"),
        (6, 6, "Memorial Day"),
        (8, 15, "Liberation Day"),
        (8, 17, "Liberation Day (substitute)"),
        (9, 24, "Chuseok"),
        (9, 25, "Chuseok"),
        (9, 26, "Chuseok"),
        (10, 3, "National Foundation Day"),
        (10, 5, "National Foundation Day (substitute)"),
        (10, 9, "Hangul Day"),
        (12, 25, "Christmas"),
    ),
}
FIXED_HOLIDAYS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "New Year's Day"),
    (3, 1, "Independence Movement Day"),
    (5, 5, "Children's Day"),
    (6, 6, "Memorial Day"),
    (8, 15, "Liberation Day"),
    (10, 3, "National Foundation Day"),
    (10, 9, "Hangul Day"),
    (12, 25, "Christmas"),
)


def holidays(first: date, last: date) -> dict[date, str]:
    """Public holidays between ``first`` and ``last`` (inclusive), by date."""
    out: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        table = HOLIDAYS.get(year)
        if table is None:
            logger.warning(
                "no holiday table for %d: only fixed-date holidays are used (no lunar ones)", year
            )
            table = FIXED_HOLIDAYS
        for month, day, name in table:
            d = date(year, month, day)
            if first <= d <= last:
                out[d] = name
    return out


def local_seconds(d: date) -> int:
    """Local midnight of ``d`` in simulator seconds."""
    return (d - date(1970, 1, 1)).days * DAY_S


def day_of(t: int) -> date:
    return date(1970, 1, 1) + timedelta(days=t // DAY_S)


@dataclass
class Calendar:
    """The days of the simulated period and what kind of day each one is."""

    start: date
    days: int
    holidays: dict[date, str]

    @classmethod
    def build(cls, start: date, days: int, *, lookback_days: int = 0) -> Calendar:
        first = start - timedelta(days=lookback_days)
        last = start + timedelta(days=days + 60)  # due dates may fall after the period
        return cls(start, days, holidays(first, last))

    @property
    def t0(self) -> int:
        return local_seconds(self.start)

    @property
    def t1(self) -> int:
        return self.t0 + self.days * DAY_S

    def is_workday(self, d: date) -> bool:
        return d.weekday() != 6 and d not in self.holidays

    def next_workday(self, d: date) -> date:
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def day_segments(self, d: date) -> list[tuple[int, int, str]]:
        """(start, end, reason) covering the local day in seconds after midnight.

        ``reason`` is :data:`WORK` for a working window, else the planned-downtime reason.
        """
        if d in self.holidays:
            return [(0, DAY_S, HOLIDAY)]
        if d.weekday() == 6:
            return [(0, DAY_S, NO_SHIFT)]
        shifts = [s for s in SHIFTS if d.weekday() < 5 or s[0] in SATURDAY_SHIFTS]
        lo, hi = shifts[0][1], shifts[-1][2]
        segs: list[tuple[int, int, str]] = [(0, lo, NO_SHIFT)]
        t = lo
        for b0, b1 in BREAKS:
            if lo <= b0 and b1 <= hi:
                segs += [(t, b0, WORK), (b0, b1, BREAK)]
                t = b1
        segs += [(t, hi, WORK), (hi, DAY_S, NO_SHIFT)]
        return segs


@dataclass
class MachineCalendar:
    """One machine's calendar: its working windows and its planned downtime, in local seconds."""

    #: working windows [ws, we), sorted, disjoint
    ws: list[int]
    we: list[int]
    #: planned-downtime segments (start, end, reason), covering the rest of the period
    planned: list[tuple[int, int, str]]
    #: planned maintenance windows (start, end)
    maintenance: list[tuple[int, int]]

    def shift_starts(self) -> list[int]:
        """Working windows that open a shift (where an operator may be missing)."""
        starts = {s[1] for s in SHIFTS}
        return [w for w in self.ws if w % DAY_S in starts]


def maintenance_plan(
    cal: Calendar, rng: np.random.Generator, *, every_days: float = 35.0
) -> list[tuple[int, int]]:
    """Planned maintenance for one machine: every ~5 weeks, 2–4 h from a shift's start."""
    out: list[tuple[int, int]] = []
    day = int(rng.integers(3, int(every_days)))
    while day < cal.days:
        d = cal.next_workday(cal.start + timedelta(days=day))
        if (d - cal.start).days >= cal.days:
            break
        shift = SHIFTS[0] if d.weekday() == 5 else SHIFTS[int(rng.integers(0, 2))]
        begin = local_seconds(d) + shift[1]
        out.append((begin, begin + int(rng.integers(4, 9)) * 1800))
        day = (d - cal.start).days + round(rng.normal(every_days, 5.0))
    return out


def machine_calendar(cal: Calendar, maintenance: list[tuple[int, int]]) -> MachineCalendar:
    """Cut the period into working windows and planned downtime for one machine."""
    ws: list[int] = []
    we: list[int] = []
    planned: list[tuple[int, int, str]] = []
    by_day: dict[int, tuple[int, int]] = {m[0] // DAY_S: m for m in maintenance}
    for i in range(cal.days):
        d = cal.start + timedelta(days=i)
        base = local_seconds(d)
        segs = [(base + a, base + b, r) for a, b, r in cal.day_segments(d)]
        m = by_day.get(base // DAY_S)
        if m is not None:
            segs = _overlay(segs, m[0], m[1], PLANNED_MAINTENANCE)
        for a, b, r in segs:
            if r == WORK:
                ws.append(a)
                we.append(b)
            else:
                planned.append((a, b, r))
    return MachineCalendar(ws, we, planned, list(maintenance))


def _overlay(
    segs: list[tuple[int, int, str]], a: int, b: int, reason: str
) -> list[tuple[int, int, str]]:
    """Replace whatever covers [a, b) with ``reason`` (maintenance overrides a break)."""
    out: list[tuple[int, int, str]] = []
    for s, e, r in segs:
        if e <= a or s >= b:
            out.append((s, e, r))
            continue
        if s < a:
            out.append((s, a, r))
        if e > b:
            out.append((b, e, r))
    out.append((a, b, reason))
    out.sort()
    return out


class WorkClock:
    """Maps wall time to working time (seconds inside working windows) and back, for planning."""

    def __init__(self, ws: list[int], we: list[int]) -> None:
        self.ws = np.asarray(ws, dtype=np.int64)
        self.we = np.asarray(we, dtype=np.int64)
        lengths = self.we - self.ws
        self.cum = np.concatenate([[0], np.cumsum(lengths)])

    def to_work(self, t: int) -> int:
        i = int(np.searchsorted(self.we, t, side="right"))
        if i >= len(self.ws):
            return int(self.cum[-1])
        return int(self.cum[i] + max(0, t - int(self.ws[i])))

    def from_work(self, tau: int) -> int:
        """The wall time at which ``tau`` working seconds have passed (the end of a job)."""
        if tau <= 0:
            return int(self.ws[0]) if len(self.ws) else 0
        i = int(np.searchsorted(self.cum, tau, side="left")) - 1
        if i >= len(self.ws):
            # beyond the period: extend with the average working time per day
            extra = tau - int(self.cum[-1])
            return int(self.we[-1]) + extra * 2
        return int(self.ws[i] + (tau - self.cum[i]))

    def next_work(self, t: int) -> int:
        """The first working second at or after ``t``."""
        i = int(np.searchsorted(self.we, t, side="right"))
        if i >= len(self.ws):
            return t
        return max(t, int(self.ws[i]))
