"""Impact of support: propensity-score matching + difference-in-differences, as the
ministry's own studies did (supported firms against matched firms not yet supported).

A panel has one row per unit (firm) × time with an outcome and ``treated`` = 1 from the period
a unit's support took effect (0 before, and always 0 for comparison firms). Steps:

1. Pre-period profile of each unit: its covariates averaged over the periods before the
   first treatment in the panel (its outcome level there when no covariates are given).
2. Propensity score: logistic regression of "ever treated" on that profile.
3. Matching: each treated unit gets the nearest comparison unit on the logit of the score,
   one-to-one without replacement, within a caliper of 0.2 standard deviations of the logit
   (Austin 2011); treated units with no match inside it are left out and counted.
4. Difference-in-differences per pair: (treated unit's mean after − before) − (its match's
   mean over the same periods); periods are the treated unit's own (staggered support works).
5. Effect: the mean pair difference, adjusted for what matching left of the covariate
   differences (regression of the pair differences on them, Abadie–Imbens style); its
   confidence interval from heteroskedasticity-robust (HC1) standard errors and Student's t.
   Pairs are independent because matching is without replacement.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError

logger = logging.getLogger(__name__)

METHOD = "psm-did"


@dataclass(frozen=True)
class ImpactResult:
    """An estimated average effect of support on the supported (ATT) with its interval."""

    method: str
    effect: float
    ci_low: float
    ci_high: float
    n_treated: int
    n_control: int
    se: float
    p_value: float
    confidence: float
    #: effect relative to the matched supported units' mean before support
    relative_effect: float | None
    #: treated units with no comparison unit inside the caliper (left out)
    unmatched: int

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero."""
        return self.ci_low > 0 or self.ci_high < 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_panel(path: Path) -> Any:
    """A panel from CSV, Excel or Parquet (as a pandas DataFrame)."""
    import pandas as pd

    suffix = Path(path).suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path)
        if suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read panel {path}: {exc}") from exc


def _check(df: Any, cols: list[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ConfigError(
            f"the panel has no column(s) {', '.join(missing)}; it has {', '.join(df.columns)}"
        )


def _match(logit_t: np.ndarray, logit_c: np.ndarray, caliper: float) -> np.ndarray:
    """Greedy one-to-one nearest-neighbour matching without replacement (index of each
    treated unit's control, or −1), hardest-to-match (highest score) first."""
    taken = np.zeros(len(logit_c), dtype=bool)
    match = np.full(len(logit_t), -1)
    for i in np.argsort(-logit_t):
        dist = np.abs(logit_c - logit_t[i])
        dist[taken] = np.inf
        j = int(np.argmin(dist)) if len(dist) else -1
        if j >= 0 and dist[j] <= caliper:
            match[i] = j
            taken[j] = True
    return match


def estimate_impact(
    df: Any,
    *,
    unit: str,
    time: str,
    treated: str,
    outcome: str,
    covariates: tuple[str, ...] = (),
    confidence: float = 0.95,
    caliper_sd: float = 0.2,
) -> ImpactResult:
    """Estimate the effect of support on ``outcome`` (see the module's docstring)."""
    import pandas as pd
    import statsmodels.api as sm
    from scipy import stats
    from sklearn.linear_model import LogisticRegression

    _check(df, [unit, time, treated, outcome, *covariates])
    d = df[[unit, time, treated, outcome, *covariates]].dropna(subset=[outcome])
    if not set(pd.unique(d[treated])) <= {0, 1}:
        raise ConfigError(f"column {treated} must be 0/1 (1 from when support took effect)")
    d = d.assign(_tr=d[treated].astype(int))
    first = d[d["_tr"] == 1].groupby(unit)[time].min()
    if first.empty:
        raise ConfigError(f"no unit is ever treated ({treated} is never 1)")
    g_min = first.min()
    pre = d[d[time] < g_min]
    if pre.empty:
        raise ConfigError(f"no period before the first treatment ({g_min}): nothing to compare")
    prof = pre.groupby(unit)[[*covariates, outcome]].mean().dropna()
    prof["ever"] = prof.index.isin(first.index).astype(int)
    n_t, n_c = int(prof["ever"].sum()), int((1 - prof["ever"]).sum())
    if n_t < 2 or n_c < 2:
        raise ConfigError(f"need at least 2 treated and 2 comparison units ({n_t}, {n_c})")
    # the pre-period outcome joins the score only where there are no covariates: matching on
    # a noisy outcome level makes pairs share its noise and the interval too narrow (measured)
    x = prof[list(covariates) or [outcome]].to_numpy(float)
    x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1)
    model = LogisticRegression(C=1e4, max_iter=1000).fit(x, prof["ever"])
    logit = model.decision_function(x)
    is_t = prof["ever"].to_numpy() == 1
    match = _match(logit[is_t], logit[~is_t], caliper_sd * float(np.std(logit)))
    ok = match >= 0
    if ok.sum() < 2:
        raise ConfigError("fewer than 2 treated units found a comparison unit inside the caliper")
    t_units = prof.index[is_t][ok]
    c_units = prof.index[~is_t][match[ok]]
    pairs = pd.DataFrame({"pair": np.arange(len(t_units)), "t": t_units, "c": c_units})
    pairs["g"] = first.reindex(t_units).to_numpy()
    long = pd.concat(
        [
            pairs.rename(columns={"t": unit})[["pair", unit, "g"]].assign(role="t"),
            pairs.rename(columns={"c": unit})[["pair", unit, "g"]].assign(role="c"),
        ]
    ).merge(d[[unit, time, outcome]], on=unit)
    long["post"] = long[time] >= long["g"]
    means = long.groupby(["pair", "role", "post"])[outcome].mean().unstack(["role", "post"])
    need = [("t", True), ("t", False), ("c", True), ("c", False)]
    means = means.reindex(columns=pd.MultiIndex.from_tuples(need)).dropna()
    diff = (means[("t", True)] - means[("t", False)]) - (means[("c", True)] - means[("c", False)])
    pairs = pairs.set_index("pair").loc[diff.index]
    exog = np.ones((len(diff), 1))
    if covariates:
        cov = prof[list(covariates)]
        delta = cov.loc[pairs["t"]].to_numpy(float) - cov.loc[pairs["c"]].to_numpy(float)
        # a covariate matched exactly in every pair has nothing left to adjust
        exog = np.column_stack([exog, delta[:, delta.std(0) > 1e-12]])
    n = len(diff)
    if n <= exog.shape[1] + 1:
        raise ConfigError(f"only {n} matched pairs: too few for {len(covariates)} covariate(s)")
    fit = sm.OLS(diff.to_numpy(float), exog).fit(cov_type="HC1")
    effect, se = float(fit.params[0]), float(fit.bse[0])
    dof = n - exog.shape[1]
    q = float(stats.t.ppf(0.5 + confidence / 2, dof))
    p = float(2 * stats.t.sf(abs(effect) / se, dof)) if se > 0 else 0.0
    base = float(means[("t", False)].mean())
    return ImpactResult(
        method=METHOD,
        effect=effect,
        ci_low=effect - q * se,
        ci_high=effect + q * se,
        n_treated=n,
        n_control=n,
        se=se,
        p_value=p,
        confidence=confidence,
        relative_effect=effect / base if base else None,
        unmatched=int((~ok).sum()),
    )


def synthetic_panel(
    seed: int,
    *,
    units: int = 400,
    periods: int = 6,
    start: int = 3,
    effect: float = 2.0,
    confounding: float = 0.5,
) -> Any:
    """A panel with a known effect for tests and demos: support is likelier for firms with a
    higher ``x``, and such firms also grow faster (``confounding`` × x per period), so a naive
    before/after comparison is biased and matching must remove it."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = rng.normal(size=units)
    ever = rng.random(units) < 1 / (1 + np.exp(-(-1.0 + 1.0 * x)))
    alpha = 2 * x + rng.normal(size=units)
    t = np.arange(periods)
    lam = rng.normal(size=periods)
    u, tt = np.meshgrid(np.arange(units), t, indexing="ij")
    on = ever[u] & (tt >= start)
    y = (
        10
        + alpha[u]
        + lam[tt]
        + confounding * x[u] * tt
        + effect * on
        + rng.normal(size=(units, periods))
    )
    return pd.DataFrame(
        {
            "firm": u.ravel(),
            "year": tt.ravel() + 2015,
            "supported": on.ravel().astype(int),
            "y": y.ravel(),
            "x": np.repeat(x, periods),
        }
    )
