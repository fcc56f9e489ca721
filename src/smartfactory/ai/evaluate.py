"""Forecast accuracy as the forecasting competitions define it, and the M3 data set.

* sMAPE (M3, Makridakis & Hibon 2000): mean over the horizon of 200·|y − ŷ| / (|y| + |ŷ|),
  in percent, then the mean over series.
* MASE (Hyndman & Koehler 2006, as in the M4 competition): mean absolute error over the horizon
  divided by the in-sample mean absolute error of the seasonal naive forecast (seasonality 12 for
  monthly, 4 quarterly, 1 yearly and other), then the mean over series.

``evaluate`` splits each series into a training part and its last ``h`` periods, forecasts the
training part and scores the test part, beside the seasonal naive forecast of the same split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .series import FREQS, SEASON, DemandSeries, SeriesReport

logger = logging.getLogger(__name__)

#: M3 sheet, our frequency, horizon, seasonality
M3_GROUPS: dict[str, tuple[str, str, int, int]] = {
    "yearly": ("M3Year", "Y", 6, 1),
    "quarterly": ("M3Quart", "Q", 8, 4),
    "monthly": ("M3Month", "M", 18, 12),
    "other": ("M3Other", "Y", 8, 1),
}
#: published sMAPE / MASE (Hyndman 2018, "A forecast ensemble benchmark"; see the data README)
M3_PUBLISHED: dict[str, dict[str, tuple[float, float]]] = {
    "monthly": {
        "ETS+ARIMA+Theta": (13.52, 0.828),
        "Theta": (13.86, 0.864),
        "ETS": (14.14, 0.865),
        "ARIMA": (14.97, 0.867),
        "seasonal naive": (17.23, 1.146),
    },
    "quarterly": {"ETS+ARIMA+Theta": (9.01, 1.064), "Theta": (9.20, 1.117)},
    "yearly": {"ETS+ARIMA+Theta": (16.03, 2.688), "Theta": (16.76, 2.774)},
    "other": {"ETS+ARIMA+Theta": (4.32, 1.807)},
}


def smape(y: np.ndarray, f: np.ndarray) -> float:
    """sMAPE in percent over one horizon (0 where both are 0)."""
    den = np.abs(y) + np.abs(f)
    terms = np.divide(200 * np.abs(y - f), den, out=np.zeros_like(den, dtype=float), where=den > 0)
    return float(terms.mean())


def mase_scale(train: np.ndarray, season: int) -> float:
    """In-sample mean absolute error of the seasonal naive forecast (naive when too short)."""
    m = season if len(train) > season else 1
    if len(train) <= m:
        return float("nan")
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def mase(y: np.ndarray, f: np.ndarray, train: np.ndarray, season: int) -> float:
    scale = mase_scale(train, season)
    return float(np.mean(np.abs(y - f)) / scale) if scale > 0 else float("nan")


@dataclass
class Split:
    """Training series (``unique_id, ds, y``) and the ``h`` held-out values of each."""

    train: pd.DataFrame
    test: pd.DataFrame
    h: int
    freq: str
    season: int


def split(df: pd.DataFrame, h: int, freq: str, season: int | None = None) -> Split:
    """The last ``h`` periods of each series are the test part (series of ≤ h points are
    dropped: nothing would be left to train on)."""
    n = df.groupby("unique_id", sort=False)["y"].transform("size")
    pos = df.groupby("unique_id", sort=False).cumcount()
    keep = n > h
    if not keep.any():
        raise InputError(f"every series is shorter than the horizon ({h}) plus one")
    is_test = pos >= n - h
    return Split(
        train=df[keep & ~is_test].reset_index(drop=True),
        test=df[keep & is_test].reset_index(drop=True),
        h=h,
        freq=freq,
        season=season or SEASON[freq],
    )


def score(sp: Split, fc: pd.DataFrame, col: str = "yhat") -> dict[str, float]:
    """Mean sMAPE and MASE over series of forecasts ``fc[col]`` against the test part."""
    trains = {u: g["y"].to_numpy(float) for u, g in sp.train.groupby("unique_id", sort=False)}
    tests = {u: g["y"].to_numpy(float) for u, g in sp.test.groupby("unique_id", sort=False)}
    s, m = [], []
    for uid, g in fc.groupby("unique_id", sort=False):
        y, f = tests[str(uid)], g[col].to_numpy(float)[: sp.h]
        s.append(smape(y, f))
        m.append(mase(y, f, trains[str(uid)], sp.season))
    return {"smape": float(np.mean(s)), "mase": float(np.nanmean(m)), "series": len(s)}


def seasonal_naive(sp: Split) -> pd.DataFrame:
    """The seasonal naive forecast of the split (the last season repeated)."""
    rows = []
    for uid, g in sp.train.groupby("unique_id", sort=False):
        y = g["y"].to_numpy(float)
        m = sp.season if len(y) >= sp.season else 1
        last = y[-m:]
        f = np.array([last[i % m] for i in range(sp.h)])
        rows.append(pd.DataFrame({"unique_id": uid, "step": np.arange(sp.h), "yhat": f}))
    return pd.concat(rows, ignore_index=True)


@dataclass
class Evaluation:
    """Scores of our forecast and of the seasonal naive forecast on the same split."""

    source: str
    h: int
    freq: str
    season: int
    ours: dict[str, float]
    naive: dict[str, float]
    seconds: float
    methods: dict[str, Any] = field(default_factory=dict)
    published: dict[str, tuple[float, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _methods(sel: pd.DataFrame) -> dict[str, Any]:
    """Series per class, the intermittent and short methods chosen, and the regular members'
    mean weights."""
    out: dict[str, Any] = {f"{k} series": int(v) for k, v in sel["kind"].value_counts().items()}
    other = sel[sel["kind"] != "regular"]
    out.update({str(k): int(v) for k, v in other["method"].value_counts().items()})
    if "weights" in sel and (sel["kind"] == "regular").any():
        w = pd.DataFrame(list(sel.loc[sel["kind"] == "regular", "weights"])).mean()
        out["mean weights"] = {str(k): round(float(v), 3) for k, v in w.items()}
    return out


def read_m3(path: str | Path, group: str = "monthly") -> tuple[DemandSeries, int]:
    """One M3 group as series (dates made up from each series' start where given) and its
    horizon. The file is the organisers' ``M3C.xls``."""
    if group not in M3_GROUPS:
        raise InputError(f"unknown M3 group {group!r}; choose from {', '.join(M3_GROUPS)}")
    sheet, freq, h, _ = M3_GROUPS[group]
    try:
        x = pd.read_excel(path, sheet_name=sheet)
    except (OSError, ValueError, ImportError) as exc:
        raise InputError(f"cannot read the M3 file {path}: {exc}") from exc
    parts = []
    for r in x.itertuples(index=False):
        n = int(r[1])
        vals = np.asarray(r[6 : 6 + n], dtype=float)
        start = pd.Timestamp("1900-01-01")  # only the spacing matters to the models
        ds = pd.date_range(start, periods=n, freq=FREQS[freq])
        parts.append(pd.DataFrame({"unique_id": str(r[0]).strip(), "ds": ds, "y": vals}))
    df = pd.concat(parts, ignore_index=True)
    report = SeriesReport(source=f"{path} [{sheet}]", rows_read=len(df), accepted=len(df))
    return DemandSeries(df=df, freq=freq, report=report), h


def m3_season(group: str) -> int:
    return M3_GROUPS[group][3]


def _thin(df: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """Every k-th series, so that about ``limit`` remain (deterministic, spread over the set)."""
    if not limit:
        return df
    ids = list(dict.fromkeys(df["unique_id"]))
    step = max(1, len(ids) // limit)
    keep = set(ids[::step][:limit])
    return df[df["unique_id"].isin(keep)].reset_index(drop=True)


def evaluate_series(
    series: DemandSeries,
    h: int,
    *,
    season: int | None = None,
    limit: int | None = None,
    n_jobs: int | None = None,
    progress: Any = None,
    source: str | None = None,
    published: dict[str, tuple[float, float]] | None = None,
    **forecaster: Any,
) -> Evaluation:
    """Forecast the training part of every series and score the last ``h`` periods."""
    import time

    from .forecast import Forecaster

    sp = split(_thin(series.df, limit), h, series.freq, season)
    t0 = time.perf_counter()
    fc = Forecaster(
        h, freq=series.freq, season_length=sp.season, n_jobs=n_jobs, holidays=None, **forecaster
    ).fit(DemandSeries(sp.train, series.freq, series.report), progress=progress)
    seconds = time.perf_counter() - t0
    res = fc.result_
    return Evaluation(
        source=source or series.report.source,
        h=h,
        freq=series.freq,
        season=sp.season,
        ours=score(sp, res.forecast),
        naive=score(sp, seasonal_naive(sp)),
        seconds=seconds,
        methods=_methods(res.selection),
        published=published or {},
    )


def evaluate_m3(
    path: str | Path,
    group: str = "monthly",
    *,
    limit: int | None = None,
    n_jobs: int | None = None,
    progress: Any = None,
    **forecaster: Any,
) -> Evaluation:
    """The M3 competition's split for one group, scored beside its published figures."""
    series, h = read_m3(path, group)
    return evaluate_series(
        series,
        h,
        season=m3_season(group),
        limit=limit,
        n_jobs=n_jobs,
        progress=progress,
        source=f"M3 {group}",
        published=M3_PUBLISHED[group] if not limit else {},
        **forecaster,
    )
