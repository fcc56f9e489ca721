"""Regular series: a combination of statsforecast models weighted per series by rolling-origin CV.

For each series every member model is fitted on the whole history (its own automatic choice:
AutoETS picks error, trend and season types by AICc, AutoCES its seasonal type …) and forecast
with its intervals. The members are then refitted, *in the form they chose*, at ``n_windows``
earlier origins (``step`` periods apart, the last one ``h`` before the end) and scored on the
``h`` periods after each origin. Refitting the chosen form instead of the whole automatic search
keeps cross-validation cheap; rolling the full-history fit forward instead would judge a model
by parameters it never had (measured: AutoETS rolled forward from 20 periods earlier loses
6 points of sMAPE on M3 monthly).

With ``weighting="inverse"`` (the default) a member's weight is proportional to 1 / its CV MASE,
shrunk by ``shrink`` towards equal weights; with ``"equal"`` every member weighs the same and
the CV errors are only reported (the two tie on validation data: decision 12). The forecast is the
weighted mean of the members'; the interval bounds are the combined forecast plus the weighted
mean distance of the members' bounds from their own forecasts. A series too short for any CV
window gets equal weights.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: the members and what they are (statsforecast classes)
MEMBERS = {
    "ets": "AutoETS",
    "ets_damped": "AutoETS (damped trend)",
    "ces": "AutoCES",
    "theta": "DynamicOptimizedTheta",
    "theta_classic": "Theta (the standard theta method of the M3 competition)",
    "arima": "AutoARIMA",
    "arima_fast": "AutoARIMA with a smaller search (p, q ≤ 2; P, Q ≤ 1; approximated likelihood)",
    "airline": "ARIMA(0,1,1)(0,1,1), the airline model",
    "mstl": "MSTL (weekly and yearly seasons) with an AutoETS trend",
    "mfles": "AutoMFLES (gradient-boosted exponential smoothing, configuration chosen by CV)",
}


#: members whose intervals cost far more than their fit (AutoCES simulates them; AutoMFLES
#: has only conformal intervals, a refit per window): their forecast joins the combination,
#: their interval does not
NO_INTERVALS = frozenset({"ces", "mfles"})

#: how members are weighted: all alike, or by 1 / CV MASE (shrunk towards equal)
WEIGHTINGS = ("equal", "inverse")


@dataclass
class Combined:
    """One series' combined forecast, the members' weights and their CV errors."""

    mean: np.ndarray
    bounds: dict[str, np.ndarray]
    weights: dict[str, float]
    cv_mase: dict[str, float] = field(default_factory=dict)
    windows: int = 0


class _MFLES:
    """statsforecast's AutoMFLES that keeps the configuration its own CV chose.

    AutoMFLES picks one of its candidate configurations (seasonality weights, smoother, moving
    average, season or none) by rolling CV over ``h``-period windows and does not keep which;
    this fits the same way, keeps it as ``model_`` and refits exactly that one (``chosen``) for
    the combination's CV windows, as the other members are refitted in the form they chose."""

    #: a CV length no series reaches: AutoMFLES then takes its first configuration, unsearched
    _NO_SEARCH = 1 << 30

    def __init__(self, season: int, h: int, chosen: dict[str, Any] | None = None) -> None:
        self.season, self.h, self.chosen = season, h, chosen

    def fit(self, y: np.ndarray) -> _MFLES:
        from statsforecast import models as sm
        from statsforecast.mfles import MFLES

        y = np.asarray(y, dtype=float)
        cfg = self.chosen
        if cfg is None:  # the search AutoMFLES(test_size=h, season_length=season) runs
            cfg = MFLES(verbose=False).optimize(
                y=y,
                test_size=self.h,
                n_steps=2,
                step_size=self.h,
                seasonal_period=self.season,
                metric="smape",
            )
        self.model_ = dict(cfg)
        config = {k: [v] for k, v in cfg.items()}
        self._fitted = sm.AutoMFLES(
            test_size=self._NO_SEARCH, season_length=self.season, config=config
        ).fit(y)
        return self

    def predict(self, h: int, level: Sequence[int] | None = None) -> dict[str, np.ndarray]:
        if level:
            raise ValueError("AutoMFLES gives no intervals here (see NO_INTERVALS)")
        return {"mean": np.asarray(self._fitted.predict(h=h)["mean"], dtype=float)}

    def forecast(self, y: np.ndarray, h: int) -> dict[str, np.ndarray]:
        return self.fit(y).predict(h=h)


def _auto(name: str, season: int, h: int = 0) -> Any:
    """The member's automatic form; ``h`` (the horizon) sets AutoMFLES's CV windows."""
    from statsforecast import models as sm

    s = season if season <= 24 else 1  # ETS and CES take seasons up to 24 periods
    if name == "ets":
        return sm.AutoETS(season_length=s)
    if name == "ets_damped":
        return sm.AutoETS(season_length=s, damped=True)
    if name == "ces":
        return sm.AutoCES(season_length=s)
    if name == "theta":
        return sm.DynamicOptimizedTheta(season_length=season)
    if name == "theta_classic":
        return sm.Theta(season_length=season)
    if name == "arima":
        return sm.AutoARIMA(season_length=s)
    if name == "arima_fast":
        return sm.AutoARIMA(season_length=s, max_p=2, max_q=2, max_P=1, max_Q=1, approximation=True)
    if name == "airline":
        return sm.ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=s)
    if name == "mstl":
        return sm.MSTL(season_length=[7, 365] if season == 7 else [season])
    if name == "mfles":
        return _MFLES(season, h or max(season, 1))
    raise ValueError(f"unknown member {name!r}")


def _fixed(name: str, season: int, fitted: Any) -> Any:
    """The member in the form its full-history fit chose (for the CV refits)."""
    from statsforecast import models as sm

    s = season if season <= 24 else 1
    model = getattr(fitted, "model_", None)
    if name in ("ets", "ets_damped") and isinstance(model, dict):
        form = "".join(model["components"][:3])
        return sm.AutoETS(season_length=s, model=form, damped="d" in str(model["method"]))
    if name == "ces" and isinstance(model, dict) and model.get("seasontype"):
        return sm.AutoCES(season_length=s, model=str(model["seasontype"]))
    if name in ("arima", "arima_fast") and isinstance(model, dict) and "arma" in model:
        p, q, sp, sq, m, d, sd = (int(v) for v in model["arma"][:7])
        coef = model.get("coef", {})
        return sm.ARIMA(
            order=(p, d, q),
            seasonal_order=(sp, sd, sq),
            season_length=m,
            include_mean="intercept" in coef,
            include_drift="drift" in coef,
        )
    if name == "mfles" and isinstance(fitted, _MFLES):
        return _MFLES(fitted.season, fitted.h, fitted.model_)
    return _auto(name, season)


def _naive(y: np.ndarray, h: int, levels: Sequence[int]) -> dict[str, np.ndarray]:
    """Last value, with bounds from the spread of one-step changes (members that fail)."""
    from statistics import NormalDist

    sd = float(np.std(np.diff(y))) if len(y) > 2 else 0.0
    out = {"mean": np.repeat(y[-1], h)}
    steps = np.sqrt(np.arange(1, h + 1))
    for lv in levels:
        z = NormalDist().inv_cdf(0.5 + lv / 200)
        out[f"lo-{lv}"] = out["mean"] - z * sd * steps
        out[f"hi-{lv}"] = out["mean"] + z * sd * steps
    return out


def mase_scale(y: np.ndarray, season: int) -> float:
    """In-sample seasonal naive mean absolute error (naive where the series is too short)."""
    m = season if len(y) > 2 * season else 1
    d = np.abs(y[m:] - y[:-m]) if len(y) > m else np.array([])
    sc = float(d.mean()) if d.size else 0.0
    return sc if sc > 0 else max(float(np.abs(y).mean()), 1e-9)


def combine_series(
    y: np.ndarray,
    h: int,
    *,
    members: Sequence[str],
    season: int,
    levels: Sequence[int],
    n_windows: int,
    step: int,
    shrink: float,
    min_train: int,
    weighting: str = "inverse",
) -> Combined:
    """Fit, cross-validate and combine the members for one series."""
    forecasts: dict[str, dict[str, np.ndarray]] = {}
    fixed: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in members:
            try:
                fitted = _auto(name, season, h).fit(y)
                lv = None if name in NO_INTERVALS else list(levels)
                res = fitted.predict(h=h, level=lv) if lv else fitted.predict(h=h)
                if not np.all(np.isfinite(res["mean"])):
                    raise ValueError("non-finite forecast")
                forecasts[name], fixed[name] = res, _fixed(name, season, fitted)
            except Exception as exc:  # a member that cannot fit this series is left out
                logger.debug("%s failed on a series of %d points: %s", name, len(y), exc)
        if not forecasts:
            forecasts["naive"] = _naive(y, h, levels)
        cv, windows = _cv(y, h, fixed, n_windows, step, min_train, season)
    weights = _weights(list(forecasts), cv, shrink, weighting)
    mean = np.asarray(sum(w * forecasts[n]["mean"] for n, w in weights.items()), dtype=float)
    return Combined(
        mean=mean,
        bounds=_bounds(forecasts, weights, mean, levels),
        weights=weights,
        cv_mase=cv,
        windows=windows,
    )


def _bounds(
    forecasts: dict[str, dict[str, np.ndarray]],
    weights: dict[str, float],
    mean: np.ndarray,
    levels: Sequence[int],
) -> dict[str, np.ndarray]:
    """Interval bounds around the combined forecast: the weighted mean distance of the
    members' bounds from their own forecasts (members without intervals left out)."""
    bounds: dict[str, np.ndarray] = {}
    for lv in levels:
        have = [n for n in weights if f"lo-{lv}" in forecasts[n] and f"hi-{lv}" in forecasts[n]]
        total = sum(weights[n] for n in have)
        if not have or total <= 0:
            continue
        for side in ("lo", "hi"):
            off = sum(
                weights[n] * (forecasts[n][f"{side}-{lv}"] - forecasts[n]["mean"]) for n in have
            )
            bounds[f"{side}-{lv}"] = mean + np.asarray(off, dtype=float) / total
    return bounds


def _cv(
    y: np.ndarray,
    h: int,
    fixed: dict[str, Any],
    n_windows: int,
    step: int,
    min_train: int,
    season: int,
) -> tuple[dict[str, float], int]:
    """Mean absolute error of each member over the windows, scaled by the series' MASE scale."""
    origins = [len(y) - h - i * step for i in range(n_windows)]
    origins = [o for o in origins if o >= min_train]
    if not origins or not fixed:
        return {}, 0
    scale = mase_scale(y, season)
    errors: dict[str, list[float]] = {n: [] for n in fixed}
    for o in origins:
        actual = y[o : o + h]
        for name, model in fixed.items():
            try:
                f = model.forecast(y=y[:o], h=h)["mean"]
                err = float(np.mean(np.abs(np.clip(f, 0, None) - actual)))
                errors[name].append(err if np.isfinite(err) else np.inf)
            except Exception:  # cannot refit on the shorter history: no evidence for it
                errors[name].append(np.inf)
    return {n: float(np.mean(e)) / scale for n, e in errors.items()}, len(origins)


def _weights(
    names: list[str], cv: dict[str, float], shrink: float, weighting: str = "inverse"
) -> dict[str, float]:
    """Equal weights, or 1 / CV MASE per member, normalised, shrunk towards equal weights."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r}; choose from {WEIGHTINGS}")
    equal = {n: 1.0 / len(names) for n in names}
    scores = {n: cv.get(n) for n in names}
    if weighting == "equal" or any(v is None for v in scores.values()):
        return equal
    inv = {n: 1.0 / max(float(v), 1e-9) if np.isfinite(v) else 0.0 for n, v in scores.items()}  # type: ignore[arg-type]
    total = sum(inv.values())
    if total <= 0:
        return equal
    return {n: (1 - shrink) * inv[n] / total + shrink * equal[n] for n in names}
