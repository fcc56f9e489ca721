"""Statistical process control: control charts, run rules and process capability.

Charts for variables (X̄-R, X̄-S, I-MR) and for attributes (p, np, c, u) with 3-sigma limits,
the eight Nelson rules and the four Western Electric rules, and Cp, Cpk, Pp, Ppk.

Every chart carries per-point centre line, limits and sigma, so charts with varying subgroup
sizes (a p chart over days of different output) and constant ones are handled alike, and the
run rules are evaluated on standardised values ``z = (x − centre) / sigma``.

Constants follow the standard tables (Montgomery, *Introduction to Statistical Quality
Control*, Appendix VI): ``d2`` and ``d3`` are tabulated for n = 2…25, ``c4`` is exact; the
others derive from them (``A2 = 3 / (d2 √n)``, ``D3,4 = 1 ∓ 3 d3 / d2``, ``A3 = 3 / (c4 √n)``,
``B3,4 = 1 ∓ 3 √(1 − c4²) / c4``), which reproduces the printed tables to their three decimals.

Within-subgroup sigma (for X̄ limits and Cp/Cpk) is the mean of ``R_i / d2(n_i)`` (X̄-R), of
``s_i / c4(n_i)`` (X̄-S) or ``MR̄ / d2(2)`` (I-MR): for equal subgroup sizes these are the
textbook ``R̄ / d2`` and ``s̄ / c4``. Overall sigma (Pp/Ppk) is the sample standard deviation of
all values.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..errors import InputError

logger = logging.getLogger(__name__)

#: d2 and d3 for subgroup sizes 2…25, to four decimals (the tables print three; these are the
#: integrals of the normal range distribution, and reproduce the tables' D3, D4 exactly)
_D2: tuple[float, ...] = (
    1.1284,
    1.6926,
    2.0588,
    2.3259,
    2.5344,
    2.7044,
    2.8472,
    2.9700,
    3.0775,
    3.1729,
    3.2585,
)
_D2 += (3.3360, 3.4068, 3.4718, 3.5320, 3.5879, 3.6401, 3.6890, 3.7350, 3.7783, 3.8194, 3.8583)
_D2 += (3.8953, 3.9306)
_D3: tuple[float, ...] = (
    0.8525,
    0.8884,
    0.8798,
    0.8641,
    0.8480,
    0.8332,
    0.8198,
    0.8078,
    0.7971,
    0.7873,
    0.7785,
)
_D3 += (0.7704, 0.7630, 0.7562, 0.7499, 0.7441, 0.7386, 0.7335, 0.7287, 0.7242, 0.7199, 0.7159)
_D3 += (0.7121, 0.7084)
MAX_RANGE_N = 25

RuleSet = Literal["nelson", "western_electric"]

#: What each rule looks for (English; the web app has Korean too).
RULES: dict[str, str] = {
    "nelson-1": "one point beyond 3 sigma",
    "nelson-2": "nine points in a row on the same side of the centre line",
    "nelson-3": "six points in a row steadily increasing or decreasing",
    "nelson-4": "fourteen points in a row alternating up and down",
    "nelson-5": "two of three points in a row beyond 2 sigma on the same side",
    "nelson-6": "four of five points in a row beyond 1 sigma on the same side",
    "nelson-7": "fifteen points in a row within 1 sigma of the centre line",
    "nelson-8": "eight points in a row beyond 1 sigma, on either side",
    "we-1": "one point beyond 3 sigma",
    "we-2": "two of three points in a row beyond 2 sigma on the same side",
    "we-3": "four of five points in a row beyond 1 sigma on the same side",
    "we-4": "eight points in a row on the same side of the centre line",
}


def d2(n: int) -> float:
    """Mean of the relative range W = R/σ of n normal values (n = 2…25)."""
    _check_range_n(n)
    return _D2[n - 2]


def d3(n: int) -> float:
    """Standard deviation of the relative range W = R/σ (n = 2…25)."""
    _check_range_n(n)
    return _D3[n - 2]


def c4(n: int) -> float:
    """E[s]/σ for n normal values: √(2/(n−1)) Γ(n/2) / Γ((n−1)/2)."""
    if n < 2:
        raise InputError(f"c4 needs a subgroup of at least 2 values, not {n}")
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def constants(n: int) -> dict[str, float]:
    """The control-chart constants for subgroups of ``n`` (as in the printed tables)."""
    k = c4(n)
    out = {"n": float(n), "c4": k, "A3": 3 / (k * math.sqrt(n))}
    spread = 3 * math.sqrt(1 - k * k) / k
    out |= {"B3": max(0.0, 1 - spread), "B4": 1 + spread}
    if n <= MAX_RANGE_N:
        a, b = d2(n), d3(n)
        out |= {"d2": a, "d3": b, "A2": 3 / (a * math.sqrt(n))}
        out |= {"D3": max(0.0, 1 - 3 * b / a), "D4": 1 + 3 * b / a}
    return out


def _check_range_n(n: int) -> None:
    if not 2 <= n <= MAX_RANGE_N:
        raise InputError(
            f"range charts need subgroups of 2 to {MAX_RANGE_N} values, not {n}; "
            "use an X̄-S chart for larger subgroups or I-MR for single values"
        )


# -- charts --------------------------------------------------------------------------------


@dataclass
class Chart:
    """One plotted statistic with per-point centre line, limits and sigma."""

    kind: str  # xbar, r, s, i, mr, p, np, c, u
    values: np.ndarray
    center: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    sigma: np.ndarray
    #: rule name → indices of the points where the rule fires
    violations: dict[str, list[int]] = field(default_factory=dict)

    def z(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.sigma > 0, (self.values - self.center) / self.sigma, 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "values": _floats(self.values),
            "center": _floats(self.center),
            "lcl": _floats(self.lcl),
            "ucl": _floats(self.ucl),
            "violations": self.violations,
        }


@dataclass
class ControlChart:
    """A control chart: the main statistic, its spread chart (R, S, MR) if any, point labels."""

    kind: str  # xbar-r, xbar-s, i-mr, p, np, c, u
    main: Chart
    spread: Chart | None = None
    labels: list[str] = field(default_factory=list)

    @property
    def violations(self) -> dict[str, list[int]]:
        return self.main.violations

    def alarms(self) -> list[dict[str, Any]]:
        """One alarm per point and rule that fired, on the main and the spread chart."""
        out = []
        for ch in (self.main, self.spread):
            if ch is None:
                continue
            for rule, idx in ch.violations.items():
                for i in idx:
                    out.append(
                        {
                            "chart": ch.kind,
                            "rule": rule,
                            "index": i,
                            "label": self.labels[i] if i < len(self.labels) else str(i),
                            "value": float(ch.values[i]),
                            "message": RULES[rule],
                        }
                    )
        return sorted(out, key=lambda a: (a["index"], a["chart"], a["rule"]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "labels": self.labels,
            "main": self.main.as_dict(),
            "spread": self.spread.as_dict() if self.spread else None,
            "alarms": self.alarms(),
        }


def _floats(a: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, float)]


def _const(x: float, n: int) -> np.ndarray:
    return np.full(n, float(x))


def _chart(kind: str, values: Any, center: Any, sigma: Any, lower_bound: float | None) -> Chart:
    v = np.asarray(values, float)
    c = np.broadcast_to(np.asarray(center, float), v.shape).copy()
    s = np.broadcast_to(np.asarray(sigma, float), v.shape).copy()
    lcl = c - 3 * s
    if lower_bound is not None:
        lcl = np.maximum(lcl, lower_bound)
    return Chart(kind, v, c, lcl, c + 3 * s, s)


def _subgroups(groups: Sequence[Sequence[float]] | np.ndarray) -> list[np.ndarray]:
    out = [np.asarray(g, float) for g in groups]
    out = [g[np.isfinite(g)] for g in out]
    if not out:
        raise InputError("no subgroups: a control chart needs data")
    return out


def xbar_r(
    groups: Sequence[Sequence[float]] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    rules: RuleSet = "nelson",
    reference: slice | None = None,
) -> ControlChart:
    """X̄ and R chart. ``reference`` picks the subgroups the limits are estimated from (phase
    I); by default all of them."""
    gs = _subgroups(groups)
    ns = np.array([len(g) for g in gs])
    if ns.min() < 2:
        raise InputError(
            "an X̄-R chart needs at least 2 values per subgroup; use I-MR for single values"
        )
    for n in set(ns.tolist()):
        _check_range_n(n)
    means = np.array([g.mean() for g in gs])
    ranges = np.array([g.max() - g.min() for g in gs])
    d2s = np.array([d2(n) for n in ns])
    d3s = np.array([d3(n) for n in ns])
    ref = reference or slice(None)
    sigma = float(np.mean(ranges[ref] / d2s[ref]))
    grand = float(np.sum(means[ref] * ns[ref]) / np.sum(ns[ref]))
    main = _chart("xbar", means, grand, sigma / np.sqrt(ns), None)
    spread = _chart("r", ranges, d2s * sigma, d3s * sigma, 0.0)
    return _finish("xbar-r", main, spread, labels, rules, sigma)


def xbar_s(
    groups: Sequence[Sequence[float]] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    rules: RuleSet = "nelson",
    reference: slice | None = None,
) -> ControlChart:
    """X̄ and S chart (any subgroup size of at least 2)."""
    gs = _subgroups(groups)
    ns = np.array([len(g) for g in gs])
    if ns.min() < 2:
        raise InputError(
            "an X̄-S chart needs at least 2 values per subgroup; use I-MR for single values"
        )
    means = np.array([g.mean() for g in gs])
    sds = np.array([g.std(ddof=1) for g in gs])
    c4s = np.array([c4(n) for n in ns])
    ref = reference or slice(None)
    sigma = float(np.mean(sds[ref] / c4s[ref]))
    grand = float(np.sum(means[ref] * ns[ref]) / np.sum(ns[ref]))
    main = _chart("xbar", means, grand, sigma / np.sqrt(ns), None)
    spread = _chart("s", sds, c4s * sigma, sigma * np.sqrt(1 - c4s**2), 0.0)
    return _finish("xbar-s", main, spread, labels, rules, sigma)


def imr(
    values: Sequence[float] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    rules: RuleSet = "nelson",
    reference: slice | None = None,
) -> ControlChart:
    """Individuals and moving-range chart (moving ranges of two successive values)."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        raise InputError("an I-MR chart needs at least 2 values")
    ref = x[reference] if reference else x
    mr_ref = np.abs(np.diff(ref))
    sigma = float(mr_ref.mean() / d2(2))
    mr = np.concatenate([[np.nan], np.abs(np.diff(x))])
    main = _chart("i", x, float(ref.mean()), sigma, None)
    spread = _chart("mr", mr, d2(2) * sigma, d3(2) * sigma, 0.0)
    return _finish("i-mr", main, spread, labels, rules, sigma)


def p_chart(
    defectives: Sequence[float] | np.ndarray,
    sizes: Sequence[float] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    rules: RuleSet = "nelson",
) -> ControlChart:
    """Fraction defective; limits vary with each subgroup's size."""
    d, n = _counts(defectives, sizes)
    pbar = float(d.sum() / n.sum())
    main = _chart("p", d / n, pbar, np.sqrt(pbar * (1 - pbar) / n), 0.0)
    main.ucl = np.minimum(main.ucl, 1.0)
    return _finish("p", main, None, labels, rules, None)


def np_chart(
    defectives: Sequence[float] | np.ndarray,
    size: float,
    *,
    labels: Sequence[str] | None = None,
    rules: RuleSet = "nelson",
) -> ControlChart:
    """Number defective in subgroups of one constant size."""
    d = np.asarray(defectives, float)
    d, n = _counts(d, np.full(len(d), float(size)))
    pbar = float(d.sum() / n.sum())
    main = _chart("np", d, size * pbar, math.sqrt(size * pbar * (1 - pbar)), 0.0)
    return _finish("np", main, None, labels, rules, None)


def c_chart(
    counts: Sequence[float] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    rules: RuleSet = "nelson",
) -> ControlChart:
    """Count of defects per inspection unit (constant opportunity)."""
    c = np.asarray(counts, float)
    if len(c) == 0 or np.any(c < 0):
        raise InputError("a c chart needs non-negative counts")
    cbar = float(c.mean())
    main = _chart("c", c, cbar, math.sqrt(cbar), 0.0)
    return _finish("c", main, None, labels, rules, None)


def u_chart(
    counts: Sequence[float] | np.ndarray,
    units: Sequence[float] | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    rules: RuleSet = "nelson",
) -> ControlChart:
    """Defects per unit; limits vary with the number of units inspected."""
    c, n = _counts(counts, units, bounded=False)
    ubar = float(c.sum() / n.sum())
    main = _chart("u", c / n, ubar, np.sqrt(ubar / n), 0.0)
    return _finish("u", main, None, labels, rules, None)


def _counts(
    d: Sequence[float] | np.ndarray, n: Sequence[float] | np.ndarray, bounded: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(d, float), np.asarray(n, float)
    if a.shape != b.shape or len(a) == 0:
        raise InputError("counts and subgroup sizes must be two lists of the same, nonzero length")
    keep = b > 0
    a, b = a[keep], b[keep]
    if len(a) == 0 or np.any(a < 0) or (bounded and np.any(a > b)):
        raise InputError("counts must be between 0 and the subgroup size, with some sizes > 0")
    return a, b


def _finish(
    kind: str,
    main: Chart,
    spread: Chart | None,
    labels: Sequence[str] | None,
    rules: RuleSet,
    sigma: float | None,
) -> ControlChart:
    main.violations = check_rules(main, rules)
    if spread is not None:
        # on a spread chart only points beyond the limits mean something (rule 1)
        spread.violations = {
            k: v for k, v in check_rules(spread, rules).items() if k.endswith("-1")
        }
    lab = (
        [str(x) for x in labels]
        if labels is not None
        else [str(i + 1) for i in range(len(main.values))]
    )
    return ControlChart(kind, main, spread, lab)


# -- run rules -----------------------------------------------------------------------------


def _runs(flag: np.ndarray, k: int) -> np.ndarray:
    """Indices i where flag[i-k+1..i] are all true."""
    if len(flag) < k:
        return np.zeros(0, int)
    c = np.concatenate([[0], np.cumsum(flag.astype(int))])
    s = c[k:] - c[:-k]
    return np.flatnonzero(s == k) + k - 1


def _k_of_m(flag: np.ndarray, k: int, m: int) -> np.ndarray:
    """Indices i where at least k of flag[i-m+1..i] are true and flag[i] is true."""
    if len(flag) < m:
        return np.zeros(0, int)
    c = np.concatenate([[0], np.cumsum(flag.astype(int))])
    s = c[m:] - c[:-m]
    i = np.arange(m - 1, len(flag))
    return i[(s >= k) & flag[m - 1 :]]


def check_rules(chart: Chart, rules: RuleSet = "nelson") -> dict[str, list[int]]:
    """Where each rule fires: rule name → indices of the points that complete the pattern.

    A rule over a run (say nine points on one side) fires at the point that completes it and
    at every later point that continues it. Missing points (NaN) break runs.
    """
    z = chart.z()
    x = chart.values
    ok = np.isfinite(z) & np.isfinite(x)
    z = np.where(ok, z, 0.0)
    up, down = ok & (z > 0), ok & (z < 0)
    out: dict[str, np.ndarray] = {}
    beyond3 = np.flatnonzero(ok & (np.abs(z) > 3))
    two_of_three = np.union1d(_k_of_m(ok & (z > 2), 2, 3), _k_of_m(ok & (z < -2), 2, 3))
    four_of_five = np.union1d(_k_of_m(ok & (z > 1), 4, 5), _k_of_m(ok & (z < -1), 4, 5))
    if rules == "western_electric":
        out["we-1"] = beyond3
        out["we-2"] = two_of_three
        out["we-3"] = four_of_five
        out["we-4"] = np.union1d(_runs(up, 8), _runs(down, 8))
    elif rules == "nelson":
        dx = np.diff(x)
        dok = ok[1:] & ok[:-1]
        inc = np.concatenate([[False], dok & (dx > 0)])
        dec = np.concatenate([[False], dok & (dx < 0)])
        # alternating: successive differences change sign 13 times in a row (14 points)
        alt = np.concatenate([[False, False], (dx[1:] * dx[:-1] < 0) & dok[1:] & dok[:-1]])
        out["nelson-1"] = beyond3
        out["nelson-2"] = np.union1d(_runs(up, 9), _runs(down, 9))
        out["nelson-3"] = np.union1d(_runs(inc, 5), _runs(dec, 5))
        out["nelson-4"] = _runs(alt, 12)
        out["nelson-5"] = two_of_three
        out["nelson-6"] = four_of_five
        out["nelson-7"] = _runs(ok & (np.abs(z) < 1), 15)
        out["nelson-8"] = _runs(ok & (np.abs(z) > 1), 8)
    else:
        raise InputError(f"unknown rule set {rules!r}; choose nelson or western_electric")
    return {k: [int(i) for i in v] for k, v in out.items() if len(v)}


# -- capability ----------------------------------------------------------------------------


@dataclass
class Capability:
    """Process capability of one characteristic against its specification limits.

    Cp and Cpk use the within-subgroup sigma (short-term: R̄/d2, s̄/c4 or MR̄/d2), Pp and Ppk
    the overall sample standard deviation (long-term). With one specification limit only,
    Cp and Pp are undefined and Cpk/Ppk use that side.
    """

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    cp: float | None
    cpk: float | None
    pp: float | None
    ppk: float | None
    #: share of values outside the specification limits
    observed_out: float

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def sigma_within(
    groups: Sequence[Sequence[float]] | np.ndarray, method: Literal["r", "s"] = "r"
) -> float:
    """Short-term sigma from subgroups (mean R/d2 or s/c4); from moving ranges for single values."""
    gs = _subgroups(groups)
    ns = np.array([len(g) for g in gs])
    if ns.max() < 2:
        x = np.concatenate(gs)
        return float(np.mean(np.abs(np.diff(x))) / d2(2))
    gs = [g for g in gs if len(g) >= 2]
    if method == "r" and max(len(g) for g in gs) <= MAX_RANGE_N:
        return float(np.mean([(g.max() - g.min()) / d2(len(g)) for g in gs]))
    return float(np.mean([g.std(ddof=1) / c4(len(g)) for g in gs]))


def capability(
    groups: Sequence[Sequence[float]] | np.ndarray,
    lsl: float | None,
    usl: float | None,
    *,
    method: Literal["r", "s"] = "r",
) -> Capability:
    """Cp, Cpk, Pp, Ppk of subgroups (a list of lists; a flat list is taken as single values)."""
    arr = np.asarray(groups, dtype=object) if not isinstance(groups, np.ndarray) else groups
    if arr.ndim == 1 and len(arr) and np.isscalar(arr[0]):
        groups = [[float(v)] for v in arr]
    if lsl is None and usl is None:
        raise InputError("capability needs at least one specification limit (LSL or USL)")
    if lsl is not None and usl is not None and not lsl < usl:
        raise InputError(f"the lower specification limit {lsl} is not below the upper {usl}")
    gs = _subgroups(groups)
    x = np.concatenate(gs)
    if len(x) < 2:
        raise InputError("capability needs at least 2 values")
    mu, so = float(x.mean()), float(x.std(ddof=1))
    sw = sigma_within(gs, method)  # type: ignore[arg-type]

    def indices(sig: float) -> tuple[float | None, float | None]:
        if sig <= 0:
            return None, None
        sides = [
            (usl - mu) / (3 * sig) if usl is not None else math.inf,
            (mu - lsl) / (3 * sig) if lsl is not None else math.inf,
        ]
        both = (usl - lsl) / (6 * sig) if usl is not None and lsl is not None else None
        return both, min(sides)

    cp, cpk = indices(sw)
    pp, ppk = indices(so)
    out = np.mean((x < lsl if lsl is not None else False) | (x > usl if usl is not None else False))
    return Capability(len(x), mu, sw, so, lsl, usl, cp, cpk, pp, ppk, float(out))
