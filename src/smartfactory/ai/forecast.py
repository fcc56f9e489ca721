"""Demand forecasts per series, each by the method rolling-origin CV finds best for it.

Each series is put in one class:

* **regular**: a combination of AutoETS, AutoETS with a damped trend, AutoCES,
  DynamicOptimizedTheta, the classical Theta method and AutoMFLES (plus AutoARIMA or MSTL on
  request),
  weighted per series by each member's rolling-origin CV error (``weighting="equal"``: the
  plain mean; :mod:`.combine`);
* **intermittent** (average demand interval ≥ 1.32, Syntetos–Boylan): the one of Croston,
  Croston–SBA, ADIDA, IMAPA and TSB with the lowest CV error; intervals from its CV errors;
* **short** (fewer than :data:`MIN_POINTS` points): the mean of what there is, flagged.

Choosing one model per series on a few CV windows overfits; among the combinations declared
beforehand, these six members did best on a validation split of M3 monthly, weighted by CV or
equally alike (docs/forecasting.md, decisions 12 and 15). Forecasts and bounds are clipped at
zero (demand).

For daily series, Korean public holidays (the ``holidays`` package) act as a calendar feature:
each series' holiday ratio (demand on holidays ÷ on the same weekdays otherwise) is learned from
its history, holidays are taken out before fitting and the ratio is applied to future holidays.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .calendar import HolidayEffect
from .combine import WEIGHTINGS, combine_series, mase_scale
from .series import FREQS, SEASON, DemandSeries, check_freq, prepare

logger = logging.getLogger(__name__)

REGULAR = ("ets", "ets_damped", "ces", "theta", "theta_classic", "mfles")
OPTIONAL = ("arima", "arima_fast", "airline", "mstl")
INTERMITTENT = ("croston", "sba", "adida", "imapa", "tsb")
MIN_POINTS = 5
#: Syntetos–Boylan cut-off on the average demand interval (periods per non-zero period)
ADI_CUTOFF = 1.32
Progress = Callable[[int, int], None]


def _model(name: str) -> Any:
    """An intermittent-demand or fallback model by our name (imported here: the ``forecast``
    extra is optional)."""
    from statsforecast import models as sm

    factories: dict[str, Callable[[], Any]] = {
        "croston": lambda: sm.CrostonClassic(alias="croston"),
        "sba": lambda: sm.CrostonSBA(alias="sba"),
        "adida": lambda: sm.ADIDA(alias="adida"),
        "imapa": lambda: sm.IMAPA(alias="imapa"),
        "tsb": lambda: sm.TSB(alpha_d=0.1, alpha_p=0.1, alias="tsb"),
        "average": lambda: sm.HistoricAverage(alias="average"),
        "naive": lambda: sm.Naive(alias="naive"),
    }
    return factories[name]()


@dataclass
class Settings:
    """What a worker needs to forecast a chunk of series (picklable)."""

    h: int
    freq: str
    season: int
    levels: tuple[int, ...]
    regular: tuple[str, ...]
    n_windows: int
    step: int
    shrink: float
    nonnegative: bool
    weighting: str = "inverse"


@dataclass
class ForecastResult:
    """Forecasts (``unique_id, ds, yhat, yhat_lo_L, yhat_hi_L``), the method chosen per series
    with its CV errors, and the report of the input."""

    forecast: pd.DataFrame
    selection: pd.DataFrame
    history: pd.DataFrame
    freq: str
    levels: tuple[int, ...]
    report: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        fc = self.forecast.copy()
        fc["ds"] = fc["ds"].dt.strftime("%Y-%m-%d")
        return {
            "freq": self.freq,
            "levels": list(self.levels),
            "forecast": fc.replace({np.nan: None, np.inf: None, -np.inf: None}).to_dict(
                orient="records"
            ),
            "selection": self.selection.replace(
                {np.nan: None, np.inf: None, -np.inf: None}
            ).to_dict(orient="records"),
            "input": self.report,
        }


def check_members(names: Sequence[str], what: str = "candidates") -> None:
    """A clear error naming the members of the regular-demand combination that do not exist."""
    bad = [n for n in names if n not in REGULAR + OPTIONAL]
    if bad:
        raise ConfigError(
            f"{what}: unknown {', '.join(bad)}; choose from {', '.join(REGULAR + OPTIONAL)}"
        )


class Forecaster:
    """Forecast many demand series at once (scikit-learn contract: ``fit`` returns ``self``).

    ``h`` periods ahead at ``freq`` (D, W, M, Q, Y; inferred from the data when None), with
    prediction intervals at ``levels`` (percent). ``candidates`` are the members of the regular
    combination (add ``"arima"``, ``"arima_fast"``, ``"airline"`` or ``"mstl"``);
    cross-validation uses ``n_windows`` origins ``step`` periods apart (default h/3).
    ``weighting`` is ``"inverse"`` (1 / CV MASE, shrunk by ``shrink`` towards equal) or
    ``"equal"`` (the CV errors are only reported).
    ``n_jobs`` processes share the work (default: every core).
    """

    def __init__(
        self,
        h: int,
        *,
        freq: str | None = None,
        levels: Sequence[int] = (80, 95),
        season_length: int | None = None,
        candidates: Sequence[str] = REGULAR,
        n_windows: int = 2,
        step: int | None = None,
        shrink: float = 0.25,
        weighting: str = "inverse",
        holidays: str | None = "KR",
        nonnegative: bool = True,
        n_jobs: int | None = None,
        chunk_size: int = 64,
    ) -> None:
        self.h = h
        self.freq = freq
        self.levels = levels
        self.season_length = season_length
        self.candidates = candidates
        self.n_windows = n_windows
        self.step = step
        self.shrink = shrink
        self.weighting = weighting
        self.holidays = holidays
        self.nonnegative = nonnegative
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size

    def _check(self) -> None:
        if self.h < 1:
            raise ConfigError(f"the horizon must be at least 1 period, not {self.h}")
        check_members(self.candidates)
        for lv in self.levels:
            if not 0 < lv < 100:
                raise ConfigError(f"interval levels are percentages between 0 and 100, not {lv}")
        if self.n_windows < 1:
            raise ConfigError("n_windows must be at least 1")
        if self.weighting not in WEIGHTINGS:
            raise ConfigError(f"unknown weighting {self.weighting!r}; choose from {WEIGHTINGS}")

    def fit(
        self, data: DemandSeries | pd.DataFrame, progress: Progress | None = None
    ) -> Forecaster:
        """Choose a method per series and forecast; results in ``result_``."""
        self._check()
        series = data if isinstance(data, DemandSeries) else prepare(data, freq=self.freq)
        freq = check_freq(self.freq) if self.freq else series.freq
        season = self.season_length or SEASON[freq]
        df = series.df
        effect: HolidayEffect | None = None
        if freq == "D" and self.holidays:
            effect = HolidayEffect(country=self.holidays).fit(df)
            df = effect.adjust(df)
        settings = Settings(
            h=self.h,
            freq=freq,
            season=season,
            levels=tuple(sorted(set(self.levels))),
            regular=tuple(dict.fromkeys(self.candidates)),
            n_windows=self.n_windows,
            step=self.step or max(1, self.h // 3),
            shrink=self.shrink,
            nonnegative=self.nonnegative,
            weighting=self.weighting,
        )
        fc, sel = _run(df, settings, self.n_jobs, self.chunk_size, progress)
        if effect is not None:
            fc = effect.apply(fc)
        self.result_ = ForecastResult(
            forecast=fc,
            selection=sel,
            history=series.df,
            freq=freq,
            levels=settings.levels,
            report=series.report.as_dict(),
        )
        return self

    def predict(self) -> pd.DataFrame:
        """The forecasts of the last :meth:`fit`."""
        if not hasattr(self, "result_"):
            raise ConfigError("call fit() before predict()")
        return self.result_.forecast


def forecast(
    data: DemandSeries | pd.DataFrame, h: int, progress: Progress | None = None, **kw: Any
) -> ForecastResult:
    """One call: ``forecast(df, h=12, freq="M", levels=(80, 95))``."""
    return Forecaster(h, **kw).fit(data, progress=progress).result_


# -- work split over processes ----------------------------------------------------------------


def _run(
    df: pd.DataFrame, s: Settings, n_jobs: int | None, chunk_size: int, progress: Progress | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = list(dict.fromkeys(df["unique_id"]))
    chunks = [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]
    groups = {uid: g for uid, g in df.groupby("unique_id", sort=False)}
    parts = [pd.concat([groups[u] for u in c], ignore_index=True) for c in chunks]
    jobs = min(n_jobs or os.cpu_count() or 1, len(parts))
    results: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    done = 0
    if progress:
        progress(0, len(ids))
    if jobs <= 1:
        for p, c in zip(parts, chunks, strict=True):
            results.append(forecast_chunk(p, s))
            done += len(c)
            if progress:
                progress(done, len(ids))
    else:
        # spawn, not fork: the caller may hold threads (a web server, a DuckDB connection)
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            futures = {
                pool.submit(forecast_chunk, p, s): len(c)
                for p, c in zip(parts, chunks, strict=True)
            }
            for fut in as_completed(futures):
                results.append(fut.result())
                done += futures[fut]
                if progress:
                    progress(done, len(ids))
    order = {u: i for i, u in enumerate(ids)}
    fc = pd.concat([r[0] for r in results], ignore_index=True)
    sel = pd.concat([r[1] for r in results], ignore_index=True)
    fc = fc.sort_values(
        ["unique_id", "ds"], key=lambda c: c.map(order) if c.name == "unique_id" else c
    ).reset_index(drop=True)
    sel = sel.sort_values("unique_id", key=lambda c: c.map(order)).reset_index(drop=True)
    return fc, sel


def forecast_chunk(df: pd.DataFrame, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Classify the series of one chunk and forecast each class."""
    stats = df.groupby("unique_id", sort=False)["y"].agg(
        n="size", nonzero=lambda y: int((y > 0).sum())
    )
    adi = stats["n"] / stats["nonzero"].clip(lower=1)
    cls = pd.Series("regular", index=stats.index)
    cls[(adi >= ADI_CUTOFF) & (stats["nonzero"] > 0)] = "intermittent"
    cls[stats["n"] < MIN_POINTS] = "short"
    fcs, sels = [], []
    for kind in ("regular", "intermittent", "short"):
        ids = cls.index[cls == kind]
        if len(ids) == 0:
            continue
        part = df[df["unique_id"].isin(ids)]
        fc, sel = _regular(part, s) if kind == "regular" else _by_selection(part, kind, s)
        fcs.append(fc)
        sels.append(sel)
    fc = pd.concat(fcs, ignore_index=True)
    if s.nonnegative:
        num = fc.columns.drop(["unique_id", "ds"])
        fc[num] = fc[num].clip(lower=0)
    return fc, pd.concat(sels, ignore_index=True)


def _future(last: pd.Timestamp, s: Settings) -> pd.DatetimeIndex:
    return pd.date_range(last, periods=s.h + 1, freq=FREQS[s.freq])[1:]


def _regular(df: pd.DataFrame, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The CV-weighted combination, series by series."""
    min_train = max(2 * s.season, 2 * MIN_POINTS) if s.season > 1 else 2 * MIN_POINTS
    fcs, sels = [], []
    for uid, g in df.groupby("unique_id", sort=False):
        y = g["y"].to_numpy(dtype=float)
        # CV origins need two seasons behind them, so that seasonal members refit in their
        # seasonal form. A weekly year (52) is longer than ETS and CES take (24), and on less
        # than two years no member is seasonal: then 10 points behind an origin are enough,
        # and a product with a year of weekly history gets its CV weights and error too.
        short_year = s.season > 24 and len(y) < 2 * s.season + s.h
        min_train_y = 2 * MIN_POINTS if short_year else min_train
        members = [m for m in s.regular if m != "mstl" or len(y) >= 2 * max(s.season, 2) + s.h]
        c = combine_series(
            y,
            s.h,
            members=members,
            season=s.season,
            levels=s.levels,
            n_windows=s.n_windows,
            step=s.step,
            shrink=s.shrink,
            min_train=min_train_y,
            weighting=s.weighting,
        )
        out = pd.DataFrame({"unique_id": str(uid), "ds": _future(pd.Timestamp(g["ds"].max()), s)})
        out["yhat"] = c.mean
        for lv in s.levels:
            out[f"yhat_lo_{lv}"] = c.bounds.get(f"lo-{lv}", np.full(s.h, np.nan))
            out[f"yhat_hi_{lv}"] = c.bounds.get(f"hi-{lv}", np.full(s.h, np.nan))
        fcs.append(out)
        cv = (
            sum(c.weights[n] * c.cv_mase[n] for n in c.weights)
            if c.cv_mase and all(np.isfinite(c.cv_mase.get(n, np.inf)) for n in c.weights)
            else np.nan
        )
        sels.append(
            {
                "unique_id": str(uid),
                "kind": "regular",
                "method": " + ".join(f"{w:.2f} {n}" for n, w in c.weights.items()),
                "n": len(y),
                "cv_mase": cv,
                "weights": dict(c.weights),
                "member_cv_mase": {
                    k: (float(v) if np.isfinite(v) else None) for k, v in c.cv_mase.items()
                },
                "note": "" if c.windows else "too short for cross-validation: equal weights",
            }
        )
    return pd.concat(fcs, ignore_index=True), pd.DataFrame(sels)


def _by_selection(df: pd.DataFrame, kind: str, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Intermittent series (the candidate with the lowest CV error) and short ones (their
    mean), through statsforecast."""
    from statsforecast import StatsForecast

    names = INTERMITTENT if kind == "intermittent" else ("average",)
    models = [_model(n) for n in names]
    sf = StatsForecast(
        models=models, freq=FREQS[s.freq], n_jobs=1, fallback_model=_model("average")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        levels = list(s.levels) if kind == "short" else None
        raw = sf.forecast(df=df, h=s.h, level=levels)
        cv = _cross_validate(sf, df, s) if kind == "intermittent" else None
    errors = _cv_errors(cv, names, _scales(df, s.season)) if cv is not None else pd.DataFrame()
    ids = list(dict.fromkeys(df["unique_id"]))
    chosen = {u: str(errors.loc[u].idxmin()) if u in errors.index else names[0] for u in ids}
    fc = _assemble(raw, chosen, s, cv)
    err: dict[Any, dict[Any, Any]] = errors.to_dict(orient="index")
    n = df.groupby("unique_id", sort=False).size()
    sel = pd.DataFrame(
        {
            "unique_id": ids,
            "kind": kind,
            "method": [chosen[u] for u in ids],
            "n": [int(n[u]) for u in ids],
            "cv_mase": [err.get(u, {}).get(chosen[u], np.nan) for u in ids],
        }
    )
    sel["note"] = [
        f"only {k} points (a model needs {MIN_POINTS}): the forecast is their mean"
        if kind == "short"
        else ("" if u in err else "too short for cross-validation: Croston, not chosen by CV")
        for u, k in zip(ids, sel["n"], strict=True)
    ]
    return fc, sel


def _cross_validate(sf: Any, df: pd.DataFrame, s: Settings) -> pd.DataFrame | None:
    """Rolling-origin CV (refitted at every origin) on the series long enough for it."""
    test = s.h + (s.n_windows - 1) * s.step
    n = df.groupby("unique_id", sort=False)["y"].transform("size")
    part = df[n >= test + 2 * MIN_POINTS]
    if part.empty:
        return None
    return sf.cross_validation(df=part, h=s.h, n_windows=s.n_windows, step_size=s.step)


def _scales(df: pd.DataFrame, season: int) -> pd.Series:
    return df.groupby("unique_id", sort=False)["y"].apply(
        lambda y: mase_scale(y.to_numpy(dtype=float), season)
    )


def _cv_errors(cv: pd.DataFrame, names: Sequence[str], scale: pd.Series) -> pd.DataFrame:
    """Scaled mean absolute CV error per series (rows) and candidate (columns)."""
    err = pd.DataFrame({n: (cv[n].clip(lower=0) - cv["y"]).abs() for n in names})
    err["unique_id"] = cv["unique_id"].to_numpy()
    mae = err.groupby("unique_id", sort=False).mean()
    return mae.div(scale.reindex(mae.index), axis=0)


def _assemble(
    raw: pd.DataFrame, chosen: dict[str, str], s: Settings, cv: pd.DataFrame | None
) -> pd.DataFrame:
    """The chosen candidate's forecast and bounds per series."""
    raw = raw.reset_index() if "unique_id" not in raw.columns else raw
    rows = []
    for uid, g in raw.groupby("unique_id", sort=False):
        method = chosen[str(uid)]
        out = pd.DataFrame({"unique_id": str(uid), "ds": g["ds"].to_numpy()})
        out["yhat"] = g[method].to_numpy()
        for lv in s.levels:
            lo, hi = f"{method}-lo-{lv}", f"{method}-hi-{lv}"
            if lo in g.columns and hi in g.columns:
                out[f"yhat_lo_{lv}"] = g[lo].to_numpy()
                out[f"yhat_hi_{lv}"] = g[hi].to_numpy()
            else:
                width = _empirical_width(cv, str(uid), method, lv)
                out[f"yhat_lo_{lv}"] = out["yhat"] - width
                out[f"yhat_hi_{lv}"] = out["yhat"] + width
        rows.append(out)
    return pd.concat(rows, ignore_index=True)


def _empirical_width(cv: pd.DataFrame | None, uid: str, method: str, level: int) -> float:
    """Half-width from the method's absolute CV errors (intermittent models have no
    distribution of their own); NaN when the series was too short for CV."""
    if cv is None:
        return float("nan")
    g = cv[cv["unique_id"] == uid]
    if g.empty:
        return float("nan")
    err = (g[method] - g["y"]).abs().to_numpy()
    return float(np.quantile(err, level / 100))
