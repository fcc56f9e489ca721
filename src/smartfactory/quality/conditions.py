"""Conditions a person can act on, and the search and tests that find and check them.

A condition is a conjunction of at most two clauses (``mould_temp_max > 231.4``,
``material_lot[RM-PP] = R-PP-250218``, ``machine = M06 and day_index > 41``). Its *inside* is
the rows that meet it; it is a candidate cause when the outcome rate is higher inside.

Every search and test works on weighted counts: a row holds ``w`` units of which a fraction
``y`` is defective (``w = 1`` and ``y`` ∈ {0, 1} for one unit; a lot of 480 units with 12
scrapped is ``w = 480, y = 0.025``), optionally within strata (for example machines: a
condition is then judged by how it separates defective from good units *within* each stratum,
so a machine that always runs at a higher scrap rate is not a finding by itself).

The statistic is the Cochran–Mantel–Haenszel z of the 2×2 tables (inside/outside ×
defective/good), one table per stratum; with one stratum it is the plain hypergeometric z of
the 2×2 table. Threshold search evaluates every cut of a quantile grid at once from cumulative
histograms, so a feature costs one pass over its rows.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

logger = logging.getLogger(__name__)

Op = Literal[">", "<=", "=", "in"]


@dataclass(frozen=True)
class Clause:
    """``feature op value``; ``op`` "in" takes a tuple of levels (``machine in (M02, M03)``)."""

    feature: str
    op: Op
    value: float | str | tuple[str, ...]

    def __str__(self) -> str:
        if isinstance(self.value, tuple):
            return f"{self.feature} in ({', '.join(self.value)})"
        v = _fmt(self.value) if isinstance(self.value, float) else self.value
        return f"{self.feature} {self.op} {v}"

    def as_dict(self) -> dict[str, object]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"feature": self.feature, "op": self.op, "value": value}


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def condition_text(clauses: tuple[Clause, ...]) -> str:
    return " and ".join(str(c) for c in clauses)


# -- the data the search runs on -----------------------------------------------------------


@dataclass
class Column:
    """A feature as the search sees it: numeric values (NaN missing) or categorical codes."""

    name: str
    values: np.ndarray  # float64 for numeric; int32 codes (−1 missing) for categorical
    levels: list[str] | None = None  # categorical level names

    @property
    def categorical(self) -> bool:
        return self.levels is not None

    def mask(self, op: Op, value: float | str | tuple[str, ...]) -> np.ndarray:
        if self.levels is not None and op == "in":
            assert isinstance(value, tuple | list)
            wanted = {str(v) for v in value}
            codes = [i for i, lv in enumerate(self.levels) if lv in wanted]
            return np.isin(self.values, codes)
        if self.levels is not None:
            try:
                code = self.levels.index(str(value))
            except ValueError:
                return np.zeros(len(self.values), bool)
            return self.values == code
        assert isinstance(value, int | float), value
        with np.errstate(invalid="ignore"):
            return self.values > value if op == ">" else self.values <= value


class Counts:
    """Weighted outcome counts with strata: what every statistic below is computed from."""

    def __init__(self, y: np.ndarray, w: np.ndarray, strata: np.ndarray | None = None) -> None:
        self.pos = np.asarray(y, float) * np.asarray(w, float)
        self.tot = np.asarray(w, float)
        s = np.zeros(len(self.tot), np.int64) if strata is None else np.asarray(strata, np.int64)
        self.strata = s
        self.n_strata = int(s.max()) + 1 if len(s) else 1
        self.N = np.bincount(s, self.tot, self.n_strata)
        self.M = np.bincount(s, self.pos, self.n_strata)
        self.total = float(self.tot.sum())
        self.n_rows = len(self.tot)

    def restrict(self, rows: np.ndarray) -> Counts:
        c = object.__new__(Counts)
        c.pos, c.tot, c.strata = self.pos[rows], self.tot[rows], self.strata[rows]
        c.n_strata = self.n_strata
        c.N = np.bincount(c.strata, c.tot, c.n_strata)
        c.M = np.bincount(c.strata, c.pos, c.n_strata)
        c.total = float(c.tot.sum())
        c.n_rows = len(c.tot)
        return c

    def with_strata(self, extra: list[np.ndarray]) -> Counts:
        """The same counts, with strata refined by boolean masks (conditioning on them)."""
        if not extra:
            return self
        key = self.strata.copy()
        for m in extra:
            key = key * 2 + m.astype(np.int64)
        _, codes = np.unique(key, return_inverse=True)
        return Counts(self.pos / np.where(self.tot > 0, self.tot, 1), self.tot, codes)

    def z(self, a: np.ndarray, n1: np.ndarray) -> np.ndarray:
        """CMH z for inside counts ``a`` (defective) and ``n1`` (all), shaped (strata, …)."""
        shape = (self.n_strata,) + (1,) * (a.ndim - 1)
        N, M = self.N.reshape(shape), self.M.reshape(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.where(N > 0, n1 * M / N, 0.0)
            v = np.where(N > 1, n1 * (N - n1) * M * (N - M) / (N * N * (N - 1)), 0.0)
            num, var = (a - e).sum(axis=0), np.clip(v, 0, None).sum(axis=0)
            return np.where(var > 0, num / np.sqrt(var), np.nan)

    def stats(self, mask: np.ndarray) -> tuple[float, float, float, float]:
        """(defective inside, units inside, defective outside, units outside)."""
        a, n1 = float(self.pos[mask].sum()), float(self.tot[mask].sum())
        return a, n1, float(self.pos.sum()) - a, self.total - n1

    def mask_z(self, mask: np.ndarray) -> float:
        a = np.bincount(self.strata[mask], self.pos[mask], self.n_strata)
        n1 = np.bincount(self.strata[mask], self.tot[mask], self.n_strata)
        return float(self.z(a, n1))


# -- searching -----------------------------------------------------------------------------


@dataclass
class Candidate:
    """A condition found on the training rows, with its training z."""

    clauses: tuple[Clause, ...]
    z: float
    source: str  # "model" (a top feature), "contrast" (a categorical level), "interaction"

    @property
    def text(self) -> str:
        return condition_text(self.clauses)


def nice_cut(lo: float, hi: float) -> float:
    """The number with the fewest significant digits in [lo, hi): a cut between two values."""
    if not hi > lo:
        return lo
    mag = max(abs(lo), abs(hi), 1e-300)
    top = math.floor(math.log10(mag))
    for digits in range(0, 16):
        scale = 10.0 ** (top - digits)
        c = math.ceil(lo / scale) * scale
        c = float(f"{c:.{max(0, digits - top) + 1}f}") if scale < 1 else c
        if lo <= c < hi:
            return c
    return lo


def cut_grid(x: np.ndarray, max_cuts: int, tail: float = 0.0) -> np.ndarray:
    """Up to ``max_cuts`` cut values between distinct values at quantiles of ``x``.

    ``tail``: also cut the outer quantile steps (below 1 / ``max_cuts`` and above
    1 − 1 / ``max_cuts``) in steps of ``tail`` / 2 from ``tail`` on. Rare conditions live in the
    tails: with 64 cuts the smallest ``x > t`` covers 1.6 % of the rows, and AI4I's power
    failures above 9 kW are 0.6 %, so they could only be stated mixed with as many good rows."""
    f = np.sort(x[np.isfinite(x)])  # one sort gives the distinct values and the quantiles
    if len(f) == 0:
        return np.zeros(0)
    u = f[np.r_[True, f[1:] != f[:-1]]]
    if len(u) < 2:
        return np.zeros(0)
    if len(u) <= max_cuts + 1:
        lo_i = np.arange(len(u) - 1)
    else:
        levels = np.linspace(0, 1, max_cuts + 1)[1:-1]
        if tail > 0:
            edge = np.arange(tail, 1 / max_cuts, tail / 2)
            levels = np.concatenate([edge, levels, 1 - edge])
        # np.quantile(f, levels, method="lower"), on the sorted values
        q = f[np.floor((len(f) - 1) * levels).astype(np.intp)]
        lo_i = np.unique(np.searchsorted(u, q))
        lo_i = lo_i[lo_i < len(u) - 1]
    return np.unique([nice_cut(float(u[i]), float(u[i + 1])) for i in lo_i])


def _bins(x: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Bin k holds cuts[k-1] < x <= cuts[k]; len(cuts) + 1 finite bins; NaN → −1."""
    b = np.searchsorted(cuts, x, side="left").astype(np.int64)
    b[~np.isfinite(x)] = -1
    return b


def _hist(c: Counts, key: np.ndarray, size: int, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    k = c.strata[rows] * size + key[rows]
    n = c.n_strata * size
    return (
        np.bincount(k, c.pos[rows], n).reshape(c.n_strata, size),
        np.bincount(k, c.tot[rows], n).reshape(c.n_strata, size),
    )


def _supported(
    n1: np.ndarray, rows1: np.ndarray, c: Counts, min_support: float, min_rows: int
) -> np.ndarray:
    """Conditions covering enough rows (a share of the rows, at least ``min_rows``) and
    leaving enough outside. Rows, not units: a lot of few large units counts as much as a lot
    of many small ones."""
    n = c.n_rows
    return (
        (rows1 >= max(min_rows, min_support * n))
        & (rows1 <= (1 - min_support) * n)
        & (n1.sum(axis=0) > 0)
    )


def search_numeric(
    c: Counts, col: Column, *, max_cuts: int = 64, min_support: float = 0.01, min_rows: int = 10
) -> list[Candidate]:
    """The best ``x > t`` and the best ``x <= t`` (each where the rate is higher inside)."""
    x = col.values
    cuts = cut_grid(x, max_cuts, min_support)
    if len(cuts) == 0:
        return []
    b = _bins(x, cuts)
    ok = b >= 0
    size = len(cuts) + 1
    hp, ht = _hist(c, b, size, ok)
    hr = np.bincount(b[ok], minlength=size).astype(float)
    le_p, le_t, le_r = hp.cumsum(1)[:, :-1], ht.cumsum(1)[:, :-1], hr.cumsum()[:-1]
    out = []
    for op, a, n1, r1 in (
        ("<=", le_p, le_t, le_r),
        (">", hp.sum(1, keepdims=True) - le_p, ht.sum(1, keepdims=True) - le_t, hr.sum() - le_r),
    ):
        z = c.z(a, n1)
        z = np.where(_supported(n1, r1, c, min_support, min_rows), z, np.nan)
        if np.all(np.isnan(z)):
            continue
        k = int(np.nanargmax(z))
        if z[k] > 0:
            clause = Clause(col.name, op, float(cuts[k]))  # type: ignore[arg-type]
            out.append(Candidate((clause,), float(z[k]), "model"))
    return out


def search_levels(
    c: Counts, col: Column, *, min_support: float = 0.01, min_rows: int = 10
) -> list[Candidate]:
    """Every level of a categorical column against the rest, where the rate is higher."""
    assert col.levels is not None
    size = len(col.levels)
    ok = col.values >= 0
    hp, ht = _hist(c, col.values.astype(np.int64), size, ok)
    rows = np.bincount(col.values[ok], minlength=size).astype(float)
    z = c.z(hp, ht)
    z = np.where(_supported(ht, rows, c, min_support, min_rows), z, np.nan)
    return [
        Candidate((Clause(col.name, "=", col.levels[i]),), float(z[i]), "contrast")
        for i in np.flatnonzero(np.isfinite(z) & (z > 0))
    ]


def search_pair(
    c: Counts,
    f: Column,
    g: Column,
    *,
    max_cuts: int = 24,
    max_levels: int = 30,
    min_support: float = 0.01,
    min_rows: int = 10,
) -> Candidate | None:
    """The best two-clause condition on ``f`` and ``g`` (every cut and orientation at once)."""
    if f.categorical and not g.categorical:
        f, g = g, f
    if g.categorical:
        assert g.levels is not None
        gk = g.values.astype(np.int64)
        counts = np.bincount(gk[gk >= 0], minlength=len(g.levels))
        keep = np.argsort(-counts)[:max_levels]
        keep = keep[counts[keep] >= min_rows]
        if f.categorical:
            return _pair_levels(c, f, g, keep, max_levels, min_support, min_rows)
        return _pair_level_numeric(c, f, g, keep, max_cuts, min_support, min_rows)
    return _pair_numeric(c, f, g, max_cuts, min_support, min_rows)


def _best(
    z: np.ndarray, n1: np.ndarray, rows1: np.ndarray, c: Counts, ms: float, mr: int
) -> tuple[float, tuple[int, ...]] | None:
    z = np.where(_supported(n1, rows1, c, ms, mr), z, np.nan)
    if np.all(np.isnan(z)):
        return None
    k = int(np.nanargmax(z))
    return float(z.flat[k]), tuple(int(i) for i in np.unravel_index(k, z.shape))


def _quads(h: np.ndarray, sf: int, sg: int) -> dict[tuple[str, str], np.ndarray]:
    """Inside counts of the four orientations of (f cut i, g cut j), from a 2-D histogram."""
    cum = h.reshape(-1, sf, sg).cumsum(1).cumsum(2)
    both = cum[:, :-1, :-1]
    f_le, g_le, tot = cum[:, :-1, -1:], cum[:, -1:, :-1], cum[:, -1:, -1:]
    return {
        ("<=", "<="): both,
        ("<=", ">"): f_le - both,
        (">", "<="): g_le - both,
        (">", ">"): tot - f_le - g_le + both,
    }


def _pair_numeric(
    c: Counts, f: Column, g: Column, max_cuts: int, ms: float, mr: int
) -> Candidate | None:
    cf, cg = cut_grid(f.values, max_cuts), cut_grid(g.values, max_cuts)
    if len(cf) == 0 or len(cg) == 0:
        return None
    bf, bg = _bins(f.values, cf), _bins(g.values, cg)
    ok = (bf >= 0) & (bg >= 0)
    sf, sg = len(cf) + 1, len(cg) + 1
    hp, ht = _hist(c, bf * sg + bg, sf * sg, ok)
    hr = np.bincount((bf * sg + bg)[ok], minlength=sf * sg).astype(float)
    qp, qt, qr = _quads(hp, sf, sg), _quads(ht, sf, sg), _quads(hr[None, :], sf, sg)
    best: tuple[float, tuple[int, ...], str, str] | None = None
    for key in qp:
        r = _best(c.z(qp[key], qt[key]), qt[key], qr[key][0], c, ms, mr)
        if r and (best is None or r[0] > best[0]):
            best = (r[0], r[1], key[0], key[1])
    if best is None:
        return None
    z, (i, j), of, og = best
    clauses = (Clause(f.name, of, float(cf[i])), Clause(g.name, og, float(cg[j])))  # type: ignore[arg-type]
    return Candidate(clauses, z, "interaction")


def search_within_levels(
    c: Counts,
    f: Column,
    g: Column,
    *,
    max_cuts: int = 24,
    max_levels: int = 30,
    min_support: float = 0.01,
    min_rows: int = 10,
) -> list[Candidate]:
    """For each level of categorical ``g``: the best ``g = level and f > t`` and the best
    ``g = level and f <= t``. Both directions are kept: on one machine, the early days may hold
    a bad material lot and the late days a wear-out, and once the lot is accounted for the
    late days are the finding."""
    assert g.levels is not None and not f.categorical
    gk = g.values.astype(np.int64)
    counts = np.bincount(gk[gk >= 0], minlength=len(g.levels))
    keep = np.argsort(-counts)[:max_levels]
    keep = keep[counts[keep] >= min_rows]
    out: list[Candidate] = []
    for lv in keep:
        out += _level_numeric(c, f, g, np.array([lv]), max_cuts, min_support, min_rows)
    return out


def _pair_level_numeric(
    c: Counts, f: Column, g: Column, levels: np.ndarray, max_cuts: int, ms: float, mr: int
) -> Candidate | None:
    found = _level_numeric(c, f, g, levels, max_cuts, ms, mr)
    return max(found, key=lambda k: k.z) if found else None


def _level_numeric(
    c: Counts, f: Column, g: Column, levels: np.ndarray, max_cuts: int, ms: float, mr: int
) -> list[Candidate]:
    """The best ``g in levels and f <= t`` and the best ``... and f > t`` (each if any)."""
    assert g.levels is not None
    cf = cut_grid(f.values, max_cuts)
    if len(cf) == 0 or len(levels) == 0:
        return []
    remap = np.full(len(g.levels), -1, np.int64)
    remap[levels] = np.arange(len(levels))
    gk = np.where(g.values >= 0, remap[np.maximum(g.values, 0)], -1)
    bf = _bins(f.values, cf)
    ok = (bf >= 0) & (gk >= 0)
    sf, sl = len(cf) + 1, len(levels)
    key = gk * sf + bf
    hp, ht = _hist(c, key, sl * sf, ok)
    hr = np.bincount(key[ok], minlength=sl * sf).astype(float)
    hp, ht, hr = hp.reshape(-1, sl, sf), ht.reshape(-1, sl, sf), hr.reshape(1, sl, sf)
    out = []
    for op in ("<=", ">"):
        arrs = []
        for h in (hp, ht, hr):
            le = h.cumsum(2)[:, :, :-1]
            arrs.append(le if op == "<=" else h.sum(2, keepdims=True) - le)
        r = _best(c.z(arrs[0], arrs[1]), arrs[1], arrs[2][0], c, ms, mr)
        if r is None or not r[0] > 0:
            continue
        z, (li, i) = r
        clauses = (
            Clause(g.name, "=", g.levels[int(levels[li])]),
            Clause(f.name, op, float(cf[i])),
        )
        out.append(Candidate(clauses, z, "interaction"))
    return out


def _pair_levels(
    c: Counts, f: Column, g: Column, keep_g: np.ndarray, max_levels: int, ms: float, mr: int
) -> Candidate | None:
    assert f.levels is not None and g.levels is not None
    fk = f.values.astype(np.int64)
    counts = np.bincount(fk[fk >= 0], minlength=len(f.levels))
    keep_f = np.argsort(-counts)[:max_levels]
    rf = np.full(len(f.levels), -1, np.int64)
    rf[keep_f] = np.arange(len(keep_f))
    rg = np.full(len(g.levels), -1, np.int64)
    rg[keep_g] = np.arange(len(keep_g))
    a = np.where(fk >= 0, rf[np.maximum(fk, 0)], -1)
    b = np.where(g.values >= 0, rg[np.maximum(g.values, 0)], -1)
    ok = (a >= 0) & (b >= 0)
    size = len(keep_f) * len(keep_g)
    if size == 0:
        return None
    key = a * len(keep_g) + b
    hp, ht = _hist(c, key, size, ok)
    hr = np.bincount(key[ok], minlength=size).astype(float)
    r = _best(c.z(hp, ht), ht, hr, c, ms, mr)
    if r is None:
        return None
    i, j = divmod(r[1][0], len(keep_g))
    clauses = (
        Clause(f.name, "=", f.levels[int(keep_f[i])]),
        Clause(g.name, "=", g.levels[int(keep_g[j])]),
    )
    return Candidate(clauses, r[0], "interaction")
