"""Time buckets in each site's local time: hours, shifts, days, weeks, months.

Buckets are keyed by their local start as "local microseconds" (the wall-clock time read as if
it were UTC, in microseconds since 1970). The engine computes a record's key arithmetically
(cheap, vectorised) and this module builds the small table that maps each key to its label and
to its true UTC bounds, which differ from the key around DST changes.

Shift calendars are per site: named shifts with local start and end times; a shift may cross
midnight (it belongs to the day it starts on). The time between shifts is the bucket ``off``,
so the shift buckets of a day tile it exactly, like every other grain.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa

from ..errors import ConfigError

logger = logging.getLogger(__name__)

US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR
WEEK = 7 * DAY
MONDAY = 4 * DAY  # 1970-01-05, the first Monday after the epoch
EPOCH = datetime(1970, 1, 1)

#: used for sites without a calendar of their own: two 12-hour shifts
DEFAULT_SHIFTS: tuple[tuple[str, str, str], ...] = (
    ("day", "08:00", "20:00"),
    ("night", "20:00", "08:00"),
)
OFF = "off"


def _tod(s: str) -> int:
    try:
        t = time.fromisoformat(s)
    except ValueError as exc:
        raise ConfigError(f"shift time {s!r} is not HH:MM") from exc
    return (t.hour * 3600 + t.minute * 60 + t.second) * US


@dataclass(frozen=True)
class ShiftLayout:
    """A day divided into segments starting at the first shift's start (``day_start``).

    ``segments`` are (offset from day_start, name), covering the whole day in order.
    """

    day_start: int
    segments: tuple[tuple[int, str], ...]

    @classmethod
    def from_shifts(cls, shifts: tuple[tuple[str, str, str], ...]) -> ShiftLayout:
        if not shifts:
            raise ConfigError("a shift calendar needs at least one shift")
        spans = sorted((_tod(a), _tod(b), name) for name, a, b in shifts)
        day_start = spans[0][0]
        segs: list[tuple[int, str]] = []
        cursor = 0
        for a, b, name in spans:
            rel_a = (a - day_start) % DAY
            length = (b - a) % DAY or DAY
            if rel_a < cursor:
                raise ConfigError(f"shift {name!r} overlaps the shift before it")
            if rel_a > cursor:
                segs.append((cursor, OFF))
            segs.append((rel_a, name))
            cursor = rel_a + length
            if cursor > DAY:
                raise ConfigError(f"shift {name!r} runs into the next day's first shift")
        if cursor < DAY:
            segs.append((cursor, OFF))
        return cls(day_start, tuple(segs))

    def key_sql(self, local: str) -> str:
        """SQL: the key (local start) of the shift segment containing local microseconds."""
        shifted = f"({local} - {self.day_start})"
        day = f"({shifted} // {DAY} * {DAY})"
        tod = f"({shifted} - {day})"
        whens = " ".join(f"WHEN {tod} >= {off} THEN {off}" for off, _ in reversed(self.segments))
        return f"({day} + {self.day_start} + CASE {whens} END)"


def offset_if_fixed(tz: str, lo: datetime, hi: datetime) -> int | None:
    """The zone's UTC offset in microseconds if it does not change between lo and hi."""
    zone = ZoneInfo(tz)
    first = lo.astimezone(zone).utcoffset()
    t = lo
    while t <= hi + timedelta(days=1):
        if t.astimezone(zone).utcoffset() != first:
            return None
        t += timedelta(days=1)
    if hi.astimezone(zone).utcoffset() != first or first is None:
        return None
    return int(first.total_seconds() * US)


def key_sql(grain: str, local: str, layout_case: str | None = None) -> str:
    """SQL: bucket key of a local-microseconds expression, for the regular grains."""
    if grain == "range":
        return "0::BIGINT"
    if grain == "hour":
        return f"({local} // {HOUR} * {HOUR})"
    if grain == "day":
        return f"({local} // {DAY} * {DAY})"
    if grain == "week":
        return f"(({local} - {MONDAY}) // {WEEK} * {WEEK} + {MONDAY})"
    if grain == "month":
        return f"epoch_us(date_trunc('month', make_timestamp({local})))"
    if grain == "shift":
        assert layout_case is not None
        return layout_case
    raise ConfigError(f"unknown time grain {grain!r}")


def _local_us(dt: datetime) -> int:
    return (dt.replace(tzinfo=None) - EPOCH) // timedelta(microseconds=1)


def _utc_us(local_naive: datetime, zone: ZoneInfo) -> int:
    return (local_naive.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None) - EPOCH) // (
        timedelta(microseconds=1)
    )


def _local_starts(
    grain: str, first: datetime, last: datetime, layout: ShiftLayout | None
) -> list[tuple[datetime, str | None]]:
    """Local bucket starts (naive wall clock) from the one containing ``first`` to the one
    after the one containing ``last``, with the shift name for shift buckets."""
    out: list[tuple[datetime, str | None]] = []
    if grain == "hour":
        t = first.replace(minute=0, second=0, microsecond=0)
        while t <= last + timedelta(hours=1):
            out.append((t, None))
            t += timedelta(hours=1)
    elif grain in ("day", "week"):
        d = first.date()
        if grain == "week":
            d -= timedelta(days=d.weekday())
        step = timedelta(days=7 if grain == "week" else 1)
        while d <= last.date() + step:
            out.append((datetime.combine(d, time()), None))
            d += step
    elif grain == "month":
        d = date(first.year, first.month, 1)
        while d <= date(last.year, last.month, 1) + timedelta(days=32):
            out.append((datetime.combine(d, time()), None))
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    elif grain == "shift":
        assert layout is not None
        d = first.date() - timedelta(days=1)
        while d <= last.date() + timedelta(days=1):
            base = datetime.combine(d, time()) + timedelta(microseconds=layout.day_start)
            for off, name in layout.segments:
                out.append((base + timedelta(microseconds=off), name))
            d += timedelta(days=1)
    return out


def bucket_table(
    sites: list[tuple[str, str, ShiftLayout | None]],
    grain: str,
    lo: datetime,
    hi: datetime,
) -> pa.Table:
    """One row per site × bucket overlapping [lo, hi): the key ``b`` (local start), the bucket's
    UTC bounds clipped to the range (``b_lo_us``, ``b_hi_us``), and for shifts the shift's name
    and the day it belongs to. ``sites`` holds (site key, time zone, shift layout or None)."""
    lo_us, hi_us = (
        _utc_us(lo.astimezone(UTC), ZoneInfo("UTC")),
        _utc_us(hi.astimezone(UTC), ZoneInfo("UTC")),
    )
    names = ("site_key", "b", "b_lo_us", "b_hi_us", "shift", "shift_day")
    cols: dict[str, list[object]] = {k: [] for k in names}
    for site_key, tz, layout in sites:
        if grain == "range":
            for k, v in zip(names, (site_key, 0, lo_us, hi_us, None, None), strict=True):
                cols[k].append(v)
            continue
        zone = ZoneInfo(tz)
        starts = _local_starts(grain, lo.astimezone(zone), hi.astimezone(zone), layout)
        for (start, name), (nxt, _) in itertools.pairwise(starts):
            a = max(_utc_us(start, zone), lo_us)
            b = min(_utc_us(nxt, zone), hi_us)
            if b <= a:
                continue
            day = (start - timedelta(microseconds=layout.day_start)).date() if layout else None
            row: tuple[object, ...] = (site_key, _local_us(start), a, b, name, day)
            for k, val in zip(names, row, strict=True):
                cols[k].append(val)
    return pa.table(
        {
            "site_key": pa.array(cols["site_key"], pa.string()),
            "b": pa.array(cols["b"], pa.int64()),
            "b_lo_us": pa.array(cols["b_lo_us"], pa.int64()),
            "b_hi_us": pa.array(cols["b_hi_us"], pa.int64()),
            "shift": pa.array(cols["shift"], pa.string()),
            "shift_day": pa.array(cols["shift_day"], pa.date32()),
        }
    )
