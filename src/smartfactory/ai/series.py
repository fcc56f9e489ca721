"""Demand series in the long format ``unique_id, ds, y`` (statsforecast's convention).

Series come from a file (CSV, Excel, Parquet; English or Korean headers) or from the store's
orders. Every row that cannot be used is reported with its reason and the rest is kept:

==================  ==============================================================================
``missing_id``      no series name (product)
``bad_date``        the date is empty or cannot be read
``not_a_number``    the value is empty or not a number
``negative``        negative demand (returns belong in their own record, not in demand)
``duplicate``       a second row for the same series and date (the first one is kept)
==================  ==============================================================================

Gaps (periods with no row between a series' first and last period) are not errors for demand:
no orders is zero demand. They are filled with 0 (or interpolated, for measured quantities) and
counted per series in the report. Dates are aligned to the start of their period (a week starts
on Monday) and rows of the same period are summed, so daily orders become weekly demand.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..ingest.files import read_tables
from ..ingest.formats import norm
from ..store.db import Store

logger = logging.getLogger(__name__)

#: our frequency codes → pandas offsets whose dates are period starts
FREQS: dict[str, str] = {"D": "D", "W": "W-MON", "M": "MS", "Q": "QS", "Y": "YS"}
#: the main seasonal period of each frequency (weekly: a year of 52 weeks)
SEASON: dict[str, int] = {"D": 7, "W": 52, "M": 12, "Q": 4, "Y": 1}
FREQ_NAMES = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
REASONS: dict[str, str] = {
    "missing_id": "no series name (product)",
    "bad_date": "the date is empty or cannot be read",
    "not_a_number": "the value is empty or not a number",
    "negative": "negative demand; record returns separately",
    "duplicate": "a second row for the same series and date; the first is kept",
}
#: accepted headers (compared without case, spaces, underscores or hyphens)
ALIASES: dict[str, tuple[str, ...]] = {
    "unique_id": ("unique_id", "product", "item", "sku", "series", "id", "제품", "품번", "품목"),
    "ds": (
        "ds",
        "date",
        "day",
        "week",
        "month",
        "period",
        "time",
        "날짜",
        "일자",
        "기간",
        "수주일",
    ),
    "y": ("y", "quantity", "qty", "demand", "sales", "value", "수량", "수요", "판매량", "주문량"),
}
GapFill = Literal["zero", "interpolate"]


@dataclass(frozen=True)
class RejectedRow:
    """One input row that was not used, and why."""

    line: int | None
    unique_id: str | None
    ds: str | None
    y: str | None
    reason: str
    detail: str


@dataclass
class SeriesReport:
    """What happened to the input: rows read, used, rejected (with reasons), gaps filled."""

    source: str
    rows_read: int = 0
    accepted: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    #: series → number of periods that had no row and were filled
    gaps: dict[str, int] = field(default_factory=dict)
    #: series → periods whose only rows were rejected: interpolated, not taken as zero
    interpolated: dict[str, int] = field(default_factory=dict)
    #: (series, date) of rejected rows (used while filling)
    unknown: list[tuple[str, Any]] = field(default_factory=list, repr=False)
    gap_fill: str = "zero"
    #: the complete periods used (first, last period start) when the input's time window is
    #: known (the store), and the incomplete periods at its edges that were left out
    window: tuple[str, str] | None = None
    partial_periods: list[str] = field(default_factory=list)

    @property
    def by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rejected:
            out[r.reason] = out.get(r.reason, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "rejected": len(self.rejected),
            "by_reason": self.by_reason,
            "gaps_filled": dict(self.gaps),
            "gap_fill": self.gap_fill,
            "interpolated": dict(self.interpolated),
            "window": list(self.window) if self.window else None,
            "partial_periods_left_out": list(self.partial_periods),
            "rejected_rows": [r.__dict__ for r in self.rejected],
        }


@dataclass
class DemandSeries:
    """Clean series (``unique_id, ds, y``; regular periods, no gaps) and the report of the input."""

    df: pd.DataFrame
    freq: str
    report: SeriesReport

    @property
    def season_length(self) -> int:
        return SEASON[self.freq]

    @property
    def ids(self) -> list[str]:
        return list(dict.fromkeys(self.df["unique_id"]))


def check_freq(freq: str) -> str:
    """``"W"`` → ``"W"``; also accepts pandas-style names (``"MS"``, ``"W-MON"``, ``"daily"``)."""
    f = freq.strip()
    names = {v: k for k, v in FREQ_NAMES.items()}
    if f.lower() in names:
        return names[f.lower()]
    f = f.upper()
    aliases = {"MS": "M", "ME": "M", "QS": "Q", "QE": "Q", "YS": "Y", "YE": "Y", "A": "Y"}
    f = aliases.get(f, f.split("-")[0])
    if f not in FREQS:
        raise ConfigError(f"unknown frequency {freq!r}; use one of {', '.join(FREQS)} (D W M Q Y)")
    return f


def period_start(ds: pd.Series, freq: str) -> pd.Series:
    """Each date's period start: the day, the Monday of its week, the first of its month …"""
    day = ds.dt.normalize()
    if freq == "D":
        return day
    if freq == "W":
        return day - pd.to_timedelta(day.dt.weekday, unit="D")
    period = {"M": "M", "Q": "Q", "Y": "Y"}[freq]
    return day.dt.to_period(period).dt.start_time


def infer_freq(ds: pd.Series, ids: pd.Series) -> str:
    """The frequency the dates are written at: the median spacing of consecutive dates."""
    frame = pd.DataFrame({"id": ids, "ds": ds}).drop_duplicates().sort_values(["id", "ds"])
    gaps = frame.groupby("id")["ds"].diff().dropna().dt.days
    if gaps.empty:
        raise ConfigError("cannot infer the frequency from one date per series; pass --freq")
    d = float(gaps.median())
    for limit, code in ((1.5, "D"), (10, "W"), (45, "M"), (140, "Q")):
        if d <= limit:
            return code
    return "Y"


def find_columns(columns: Sequence[str]) -> dict[str, str]:
    """Map the file's headers to ``unique_id``, ``ds`` and ``y`` (first alias that matches)."""
    normed = {norm(c): c for c in columns}
    found: dict[str, str] = {}
    for target, names in ALIASES.items():
        for name in names:
            if norm(name) in normed and normed[norm(name)] not in found.values():
                found[target] = normed[norm(name)]
                break
    missing = [t for t in ALIASES if t not in found]
    if missing:
        raise InputError(
            f"cannot find the columns {', '.join(missing)} among {', '.join(columns)}; name "
            "them unique_id (or product / 제품), ds (or date / 날짜) and y (or quantity / 수량)"
        )
    return found


def prepare(
    frame: pd.DataFrame,
    *,
    freq: str | None = None,
    gap_fill: GapFill = "zero",
    source: str = "data",
    lines: Sequence[int] | None = None,
    until: pd.Timestamp | None = None,
) -> DemandSeries:
    """Validate raw rows (any dtype, text included) into clean regular series.

    ``frame`` needs ``unique_id``, ``ds`` and ``y`` columns (or their aliases). ``lines`` are the
    rows' line numbers in the file, for the report. With ``until`` (a period start), every
    series runs to that period: the periods after a series' last row are gaps like any other
    (zero demand: a product nobody ordered lately). Raises :class:`InputError` only when no row
    at all can be used.
    """
    cols = find_columns([str(c) for c in frame.columns])
    raw = pd.DataFrame(
        {
            "unique_id": frame[cols["unique_id"]],
            "ds": frame[cols["ds"]],
            "y": frame[cols["y"]],
        }
    ).reset_index(drop=True)
    raw["line"] = list(lines) if lines is not None else np.arange(2, len(raw) + 2)
    report = SeriesReport(source=source, rows_read=len(raw), gap_fill=gap_fill)
    good = _validate(raw, report)
    if good.empty:
        raise InputError(
            f"{source}: none of the {report.rows_read} rows can be used "
            f"({_reasons_text(report.by_reason)})"
        )
    code = check_freq(freq) if freq else infer_freq(good["ds"], good["unique_id"])
    good["ds"] = period_start(good["ds"], code)
    summed = good.groupby(["unique_id", "ds"], sort=True, observed=True)["y"].sum().reset_index()
    report.accepted = len(good)
    df = _fill_gaps(summed, code, gap_fill, report, until)
    logger.info(
        "%s: %d series, %d rows used, %d rejected, %d gaps filled",
        source,
        df["unique_id"].nunique(),
        report.accepted,
        len(report.rejected),
        sum(report.gaps.values()),
    )
    return DemandSeries(df=df, freq=code, report=report)


def _reasons_text(by_reason: dict[str, int]) -> str:
    return ", ".join(f"{n} {r}" for r, n in by_reason.items()) or "no rows"


def _validate(raw: pd.DataFrame, report: SeriesReport) -> pd.DataFrame:
    """Rows that pass every check; the others go to ``report.rejected`` with their reason."""
    uid = raw["unique_id"].astype("string").str.strip()
    ds = _to_datetime(raw["ds"])
    y = pd.to_numeric(raw["y"].astype("string").str.strip().str.replace(",", ""), errors="coerce")
    reason = pd.Series(pd.NA, index=raw.index, dtype="string")
    detail = pd.Series("", index=raw.index, dtype="string")
    checks = [
        (uid.isna() | (uid == ""), "missing_id", "the series name (product) is empty"),
        (ds.isna(), "bad_date", "cannot read the date"),
        (y.isna() | ~np.isfinite(y.fillna(0)), "not_a_number", "the value is not a number"),
        (y < 0, "negative", "demand below zero"),
    ]
    for mask, code, text in checks:
        hit = mask.fillna(False).astype(bool) & reason.isna()
        reason[hit] = code
        detail[hit] = text
    key = pd.DataFrame({"u": uid, "d": ds})
    dup = key.where(reason.isna()).duplicated(keep="first") & reason.isna()
    reason[dup] = "duplicate"
    detail[dup] = "this series already has a row for this date"
    bad = reason.notna()
    # a period whose row was rejected is unknown, not zero demand: remember it for the filling
    known = bad & uid.notna() & (uid != "") & ds.notna() & (reason != "duplicate")
    report.unknown = list(zip(uid[known].astype(str), ds[known], strict=True))
    cells = raw[["line", "unique_id", "ds", "y"]].to_numpy(dtype=object)
    for i in np.flatnonzero(bad.to_numpy()).tolist():
        line, u, d, v = cells[i]
        report.rejected.append(
            RejectedRow(
                line=int(line),
                unique_id=_text(u),
                ds=_text(d),
                y=_text(v),
                reason=str(reason.iloc[i]),
                detail=str(detail.iloc[i]),
            )
        )
    ok = ~bad
    return pd.DataFrame(
        {"unique_id": uid[ok].astype(str), "ds": ds[ok], "y": y[ok].astype(float)}
    ).reset_index(drop=True)


def _text(v: object) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return str(v)


def _to_datetime(s: pd.Series) -> pd.Series:
    """Dates from text, datetimes or Excel serial numbers; time zones dropped (local dates)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        out = pd.to_datetime(s, errors="coerce")
    else:
        text = s.astype("string").str.strip()
        out = pd.to_datetime(text, errors="coerce", format="mixed")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out


def _fill_gaps(
    summed: pd.DataFrame,
    freq: str,
    gap_fill: GapFill,
    report: SeriesReport,
    until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every period from a series' first to its last (or ``until``); missing ones filled and
    counted."""
    parts = []
    offset = FREQS[freq]
    unknown: dict[str, set[pd.Timestamp]] = {}
    if report.unknown:
        u = pd.DataFrame(report.unknown, columns=["unique_id", "ds"])
        u["ds"] = period_start(pd.to_datetime(u["ds"]), freq)
        for uid, g in u.groupby("unique_id"):
            unknown[str(uid)] = set(g["ds"])
    for uid, g in summed.groupby("unique_id", sort=True, observed=True):
        last = pd.Timestamp(g["ds"].max())
        if until is not None and until > last:
            last = until
        full = pd.date_range(pd.Timestamp(g["ds"].min()), last, freq=offset)
        s = g.set_index("ds")["y"].reindex(full)
        missing = s.isna()
        unsure = missing & s.index.isin(list(unknown.get(str(uid), ())))
        if unsure.any():
            report.interpolated[str(uid)] = int(unsure.sum())
        gaps = missing & ~unsure
        if gaps.any():
            report.gaps[str(uid)] = int(gaps.sum())
            if gap_fill == "zero":
                s[gaps] = 0.0
        s = s.interpolate(limit_direction="both")
        parts.append(pd.DataFrame({"unique_id": str(uid), "ds": full, "y": s.to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def read_series(
    path: str | Path, *, freq: str | None = None, gap_fill: GapFill = "zero"
) -> DemandSeries:
    """Series from a CSV, Excel (first data sheet) or Parquet file in the long format."""
    tables = list(read_tables(path))
    if not tables:
        raise InputError(f"{path}: no data sheet")
    t = tables[0]
    frame = t.table.to_pandas()
    lines = frame.pop("_line").tolist() if "_line" in frame.columns else None
    ds = prepare(frame, freq=freq, gap_fill=gap_fill, source=str(path), lines=lines)
    for b in t.broken:
        ds.report.rejected.append(RejectedRow(b.line, None, None, b.text, "broken_row", b.reason))
        ds.report.rows_read += 1
    return ds


def demand_from_store(
    store: Store,
    *,
    freq: str = "W",
    start: datetime | None = None,
    end: datetime | None = None,
    timezone: str | None = None,
) -> DemandSeries:
    """Demand per product from the store's orders: quantity by the local date received.

    Orders without a receipt date count on their due date (then their planned start). Dates
    are local to ``timezone`` (default: the store's). Periods with no order are zero demand,
    up to the last complete period for every product.

    Only **complete** periods are used. The time window is ``start`` … ``end`` (default: the
    first and the last order's time); a period that the window covers only in part (the week
    the records begin in, the week still under way) would read as a drop in demand, so it is
    left out and named in the report. Where the window holds no complete period, everything
    is kept.
    """
    code = check_freq(freq)
    tz = timezone or store.default_timezone
    where = ["quantity IS NOT NULL"]
    params: list[Any] = []
    when = "coalesce(received, due, planned_start)"
    if start is not None:
        where.append(f"{when} >= ?")
        params.append(start)
    if end is not None:
        where.append(f"{when} < ?")
        params.append(end)
    table = store.sql(
        f"""SELECT product AS unique_id, timezone('{tz}', {when})::DATE AS ds,
                   sum(quantity) AS y, min(timezone('{tz}', {when})) AS first_at,
                   max(timezone('{tz}', {when})) AS last_at
            FROM orders WHERE {" AND ".join(where)} AND {when} IS NOT NULL
            GROUP BY ALL ORDER BY 1, 2""",
        params,
    )
    if table.num_rows == 0:
        raise InputError(
            f"{store.path}: no orders with a date to build demand from; import orders first "
            "(smartfactory import orders.csv)"
        )
    frame = table.to_pandas()
    frame["ds"] = pd.to_datetime(frame["ds"])
    begins = _local(start, tz) if start is not None else pd.Timestamp(frame["first_at"].min())
    ends = _local(end, tz) if end is not None else pd.Timestamp(frame["last_at"].max())
    frame = frame.drop(columns=["first_at", "last_at"])
    first, stop = _complete_periods(begins, ends, code)
    source = f"{store.path}: orders"
    if first >= stop:  # not one complete period: keep what there is
        return prepare(frame, freq=code, source=source)
    starts = period_start(frame["ds"], code)
    partial = sorted({t.date().isoformat() for t in starts[(starts < first) | (starts >= stop)]})
    frame = frame[(starts >= first) & (starts < stop)]
    last = stop - pd.tseries.frequencies.to_offset(FREQS[code])
    series = prepare(frame, freq=code, source=source, until=last)
    series.report.window = (first.date().isoformat(), last.date().isoformat())
    series.report.partial_periods = partial
    if partial:
        logger.info("%s: incomplete periods left out: %s", source, ", ".join(partial))
    return series


def _local(t: datetime, tz: str) -> pd.Timestamp:
    """A time as the naive local time of ``tz`` (naive times are taken as already local)."""
    ts = pd.Timestamp(t)
    return ts.tz_convert(tz).tz_localize(None) if ts.tzinfo is not None else ts


def _complete_periods(
    begins: pd.Timestamp, ends: pd.Timestamp, freq: str
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first complete period's start and the start of the first period not complete by
    ``ends``, for a window of records from ``begins`` to ``ends`` (local times). Records that
    begin on a period's first day cover it; the day of the last record may still be under way."""
    offset = pd.tseries.frequencies.to_offset(FREQS[freq])
    day = begins.normalize()
    first = pd.Timestamp(period_start(pd.Series([day]), freq).iloc[0])
    if first < day:
        first = first + offset
    stop = pd.Timestamp(period_start(pd.Series([ends]), freq).iloc[0])
    return first, stop
