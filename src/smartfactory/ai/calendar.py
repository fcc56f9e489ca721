"""Public holidays as a calendar feature of daily demand.

A factory's customers order little or nothing on public holidays (설날 and 추석 close most of
Korea for days). Left in the history, those days distort the weekly pattern a model learns, and
a model that does not know the calendar forecasts a normal day for the next holiday. Each
series' *holiday ratio* r = mean demand on holidays ÷ mean demand on the same weekdays that were
not holidays is learned from its own history; holidays in the history are replaced by the
series' mean for that weekday × r⁻¹·r (i.e. a normal day) before fitting, and forecasts for
future holidays are multiplied by r. Without a holiday in the history, r is not learned and
forecasts are left as they are (reported as ``None``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


def holiday_dates(country: str, first: pd.Timestamp, last: pd.Timestamp) -> set[pd.Timestamp]:
    """Public holidays of ``country`` (ISO code, e.g. ``KR``) between two dates, inclusive."""
    import holidays

    years = range(first.year, last.year + 1)
    cal = holidays.country_holidays(country, years=years)
    return {pd.Timestamp(d) for d in cal if first <= pd.Timestamp(d) <= last}


@dataclass
class HolidayEffect:
    """Learns a multiplicative holiday ratio per series (``fit``), removes holidays from the
    history (``adjust``) and applies the ratio to forecasts (``apply``)."""

    country: str = "KR"

    def fit(self, df: pd.DataFrame) -> HolidayEffect:
        first, last = df["ds"].min(), df["ds"].max()
        self.holidays_ = holiday_dates(self.country, first, last)
        self.ratio_: dict[str, float | None] = {}
        self.weekday_mean_: dict[str, pd.Series] = {}
        for uid, g in df.groupby("unique_id", sort=False):
            hol = g["ds"].isin(self.holidays_)
            wd = g["ds"].dt.weekday
            normal = g[~hol].groupby(wd[~hol])["y"].mean()
            self.weekday_mean_[str(uid)] = normal
            if not hol.any():
                self.ratio_[str(uid)] = None
                continue
            expected = wd[hol].map(normal).fillna(0.0)
            denom = float(expected.sum())
            ratio = float(g.loc[hol, "y"].sum()) / denom if denom > 0 else 1.0
            self.ratio_[str(uid)] = float(np.clip(ratio, 0.0, 2.0))
        return self

    def adjust(self, df: pd.DataFrame) -> pd.DataFrame:
        """The history with holidays replaced by a normal day of the same weekday."""
        out = df.copy()
        hol = out["ds"].isin(self.holidays_)
        if not hol.any():
            return out
        for uid in out.loc[hol, "unique_id"].unique():
            rows = hol & (out["unique_id"] == uid)
            normal = self.weekday_mean_[str(uid)]
            out.loc[rows, "y"] = out.loc[rows, "ds"].dt.weekday.map(normal).fillna(0.0)
        return out

    def apply(self, fc: pd.DataFrame) -> pd.DataFrame:
        """Forecasts with each series' holiday ratio applied on future holidays."""
        if fc.empty:
            return fc
        future = holiday_dates(self.country, fc["ds"].min(), fc["ds"].max())
        hol = fc["ds"].isin(future)
        if not hol.any():
            return fc
        out = fc.copy()
        num = out.columns.drop(["unique_id", "ds"])
        for uid, ratio in self.ratio_.items():
            if ratio is None:
                continue
            rows = hol & (out["unique_id"] == uid)
            out.loc[rows, num] = out.loc[rows, num] * ratio
        return out
