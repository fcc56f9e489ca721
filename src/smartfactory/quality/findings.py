"""From ranked features to findings: candidate conditions on the training part, a greedy
choice of those that add evidence, and tests on the held-out part with multiple-testing
correction.

Candidates: for each of the model's top features (by SHAP) the best ``x > t`` and ``x <= t``;
every level of every categorical column (the categorical contrasts); for pairs of the top
features, the best two-clause condition, kept only where it beats both features alone.

Choice: greedy, on the training part. Each step takes the candidate with the highest z
*given the conditions already chosen* (they join the strata), so a second description of the
same cause (a co-used material lot, the mean beside the maximum of one tag) adds little and is
not chosen.

Tests: each chosen condition is tested on the held-out part, given the conditions chosen
before it (one-sided: the rate is higher inside), by Fisher's exact test where there is one
table of whole units and by the Cochran–Mantel–Haenszel test (continuity-corrected) where
there are strata; p-values are adjusted across the chosen conditions (Benjamini–Hochberg by
default, or Holm). A finding is *significant* when its adjusted p-value is below ``alpha``:
it held out of sample. The contrasts are tested and adjusted the same way as a family of their
own. With strata and a time feature (machines and days), whether each machine's rate rises
over time is a question stated in advance for every machine, tested on all rows and adjusted
with the findings (:func:`stratum_trends`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from .conditions import (
    Candidate,
    Clause,
    Column,
    Counts,
    condition_text,
    search_levels,
    search_numeric,
    search_pair,
    search_within_levels,
)
from .learn import split_pair

logger = logging.getLogger(__name__)

Correction = Literal["bh", "holm"]
#: a greedy step stops when no candidate reaches this z on the training part
Z_MIN = 3.0
#: a condition that keeps less than this share of its z given another is explained by it
RESIDUAL = 0.25
#: fewest training rows inside a condition (default of the analyser's ``min_rows``)
MIN_ROWS = 5
#: a pair condition must beat both of its features alone by this factor
PAIR_GAIN = 1.1
#: a stratum stays in a narrowed condition when the condition's z within it reaches this
STRATUM_Z = 2.0
#: a candidate sharing more than this share of the smaller inside with a chosen condition
#: describes the same rows: it is not chosen too
OVERLAP = 0.7
#: a stratum's trend over time is tested when it has at least this many rows (lots)
TREND_MIN_ROWS = 10


@dataclass
class Finding:
    """A condition with its outcome rates inside and outside, on the held-out part."""

    clauses: tuple[Clause, ...]
    source: str
    z_train: float
    rate_inside: float | None = None
    rate_outside: float | None = None
    support: float = 0.0
    n_inside: float = 0.0
    defective_inside: float = 0.0
    n_outside: float = 0.0
    defective_outside: float = 0.0
    z_test: float | None = None
    p_value: float = 1.0
    p_adjusted: float = 1.0
    significant: bool = False
    train: dict[str, float | None] = field(default_factory=dict)
    importance: float = 0.0
    concentrated_in: dict[str, Any] | None = None
    test: str = "rate"  # "rate" (inside against outside) or "trend" (see trend_p_value)
    #: conditions on other columns that cover the same rows (lots received and used together)
    aliases: list[tuple[Clause, ...]] = field(default_factory=list)

    @property
    def condition(self) -> str:
        return condition_text(self.clauses)

    @property
    def features(self) -> list[str]:
        return [c.feature for c in self.clauses]

    def as_dict(self) -> dict[str, Any]:
        lift = (
            self.rate_inside / self.rate_outside
            if self.rate_inside is not None and self.rate_outside
            else None
        )
        out = {
            "feature": " & ".join(self.features),
            "features": self.features,
            "condition": self.condition,
            "clauses": [c.as_dict() for c in self.clauses],
            "kind": self.source,
            "rate_inside": self.rate_inside,
            "rate_outside": self.rate_outside,
            "lift": lift,
            "support": self.support,
            "n_inside": self.n_inside,
            "defective_inside": self.defective_inside,
            "n_outside": self.n_outside,
            "defective_outside": self.defective_outside,
            "test": self.test,
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "significant": self.significant,
            "importance": self.importance,
            "train": self.train,
        }
        aliases: list[dict[str, object]] = [
            {"condition": condition_text(a), "clauses": [c.as_dict() for c in a]}
            for a in self.aliases
        ]
        out["aliases"] = aliases
        if self.concentrated_in is not None:
            out["concentrated_in"] = self.concentrated_in
        return out


def _restrict(col: Column, rows: np.ndarray) -> Column:
    return Column(col.name, col.values[rows], col.levels)


def candidates(
    columns: dict[str, Column],
    ranked: list[str],
    counts: Counts,
    *,
    n_features: int,
    n_pair_features: int,
    min_support: float,
    interactions: bool,
    stratum: Column | None = None,
    min_rows: int = MIN_ROWS,
) -> list[Candidate]:
    """Candidate conditions on the training rows (``columns`` already restricted to them).

    With a ``stratum`` column, each top numeric feature is also searched within single
    strata (``machine = M06 and day_index > 41``): a cause that acts on one machine only."""
    kw: dict[str, Any] = {"min_support": min_support, "min_rows": min_rows}
    out: list[Candidate] = []
    best: dict[str, float] = {}
    # every raw numeric feature (a 1-D search costs one pass), and the model's top derived ones
    numeric = [n for n in columns if not columns[n].categorical and split_pair(n, columns) is None]
    numeric += [
        n for n in ranked if not columns[n].categorical and split_pair(n, columns) is not None
    ][:n_features]
    for n in numeric:
        found = search_numeric(counts, columns[n], **kw)
        out += found
        best[n] = max((c.z for c in found), default=0.0)
    for n, col in columns.items():
        if col.categorical:
            found = search_levels(counts, col, **kw)
            out += found
            best[n] = max((c.z for c in found), default=0.0)
    # a product or difference feature must say more than its two parts alone (Occam); one
    # that does not is left out of the two-clause search as well (speed × air temperature
    # is speed on a kelvin scale: a manager reads ``speed <= 1380``)
    weak: set[str] = set()
    for n in numeric:
        parts = split_pair(n, columns)
        if parts is None:
            continue
        for part in (parts[0], parts[2]):
            if part not in best:
                best[part] = max(
                    (c.z for c in search_numeric(counts, columns[part], **kw)), default=0.0
                )
        if best[n] <= PAIR_GAIN * max(best[parts[0]], best[parts[2]]):
            out = [c for c in out if c.clauses[0].feature != n]
            weak.add(n)
    if interactions:
        top = [n for n in ranked if n not in weak][:n_pair_features]
        for i, a in enumerate(top):
            for b in top[i + 1 :]:
                if columns[a].categorical and columns[b].categorical:
                    continue  # level pairs of two categorical columns: rarely actionable
                pair = search_pair(counts, columns[a], columns[b], **kw)
                if pair is None:
                    continue
                single = max(best.get(a, 0.0), best.get(b, 0.0), 0.0)
                if pair.z > PAIR_GAIN * single:
                    out.append(pair)
        if stratum is not None:
            # a cause on one machine only: judged against that machine's other rows, not
            # against the feature's effect everywhere
            for n in numeric:
                if split_pair(n, columns) is None:
                    out += search_within_levels(counts, columns[n], stratum, **kw)
    unique = {c.text: c for c in out if math.isfinite(c.z) and c.z > 0}
    return list(unique.values())


class Columns(Protocol):
    """Columns by name: a dict of them, or the analyser's data (which derives pair features)."""

    def __getitem__(self, name: str, /) -> Column: ...


def mask(columns: Columns, clauses: tuple[Clause, ...]) -> np.ndarray:
    m: np.ndarray | None = None
    for cl in clauses:
        k = columns[cl.feature].mask(cl.op, cl.value)
        m = k if m is None else m & k
    assert m is not None
    return m


def complexity(c: Candidate) -> int:
    """Clauses plus the product and difference features in them: simpler reads better."""
    return sum(1 + (" * " in cl.feature or " - " in cl.feature) for cl in c.clauses)


def choose(
    cands: list[Candidate],
    columns: dict[str, Column],
    counts: Counts,
    max_findings: int,
    pool: int = 400,
    stratum: str | None = None,
) -> list[Candidate]:
    """Greedy choice on the training part, each step conditional on the earlier choices.

    Where the best candidate and a rival describe much the same rows (a bad lot and its
    supplier, a tag's mean and its maximum, a time window and the lot used in it), the one that
    explains the other away is taken: the rival if the best adds nothing given the rival
    (z < Z_MIN) while the rival still adds something given the best, or is simpler.

    With a ``stratum`` column (machines), a threshold chosen is narrowed to the strata where
    it holds (see :func:`narrow`)."""
    cands = sorted((c for c in cands if c.z >= Z_MIN), key=lambda c: -c.z)[:pool]
    masks = [mask(columns, c.clauses) for c in cands]
    sizes = [int(m.sum()) for m in masks]

    def overlap(i: int, j: int) -> bool:
        return bool(np.sum(masks[i] & masks[j]) > OVERLAP * max(1, min(sizes[i], sizes[j])))

    chosen: list[int] = []
    for _ in range(max_findings):
        cond = counts.with_strata([masks[i] for i in chosen])
        zs = {}
        for i in range(len(cands)):
            if i not in chosen and not any(overlap(i, j) for j in chosen):
                zs[i] = cond.mask_z(masks[i])
        zs = {i: z for i, z in zs.items() if math.isfinite(z) and z > Z_MIN}
        if not zs:
            break
        best = max(zs, key=lambda i: zs[i])
        for r in sorted(zs, key=lambda i: -zs[i])[:20]:
            if r != best and overlap(r, best) and _prefer(r, best, cands, masks, cond, zs):
                best = r
                break
        cands[best] = Candidate(cands[best].clauses, zs[best], cands[best].source)
        if stratum is not None:
            narrowed = narrow(cands[best], masks[best], columns, stratum, cond)
            if narrowed is not None:
                cands[best], masks[best] = narrowed
                sizes[best] = int(masks[best].sum())
        chosen.append(best)
    return [cands[i] for i in chosen]


def narrow(
    cand: Candidate,
    m: np.ndarray,
    columns: dict[str, Column],
    stratum: str,
    cond: Counts,
) -> tuple[Candidate, np.ndarray] | None:
    """A one-clause threshold narrowed to the strata where it holds, or None.

    A setting can matter on some machines only (``pressure > 963`` scraps parts on M02 and M03,
    whose moulds run near their limit, and nothing elsewhere). Stated for all machines, the
    condition also claims the other machines' high-pressure lots; on a machine whose pressure
    drifts down as it wears, those are its early, good lots, and its later rise in scrap then
    looks explained by them. So the strata inside the condition are judged one by one (the
    condition's z within each, on the training part, given the earlier findings) and those
    with z below :data:`STRATUM_Z` are dropped, if that raises the condition's z by
    :data:`PAIR_GAIN`: ``machine in (M02, M03) and pressure_mean > 955.4``."""
    if len(cand.clauses) != 1 or cand.clauses[0].op not in (">", "<="):
        return None
    col = columns.get(stratum)
    if col is None or col.levels is None:
        return None
    codes = col.values
    present = np.unique(codes[m & (codes >= 0)])
    if len(present) < 2:
        return None
    keep = []
    for lv in present:
        rows = np.flatnonzero(codes == lv)
        z = cond.restrict(rows).mask_z(m[rows])
        if math.isfinite(z) and z >= STRATUM_Z:
            keep.append(int(lv))
    if not keep or len(keep) == len(present):
        return None
    m2 = m & np.isin(codes, keep)
    z2 = cond.mask_z(m2)
    if not (math.isfinite(z2) and z2 >= PAIR_GAIN * cand.z):
        return None
    levels = col.levels
    names = tuple(sorted(levels[i] for i in keep))
    first = Clause(stratum, "=", names[0]) if len(names) == 1 else Clause(stratum, "in", names)
    return Candidate((first, *cand.clauses), z2, cand.source), m2


def _prefer(
    r: int,
    b: int,
    cands: list[Candidate],
    masks: list[np.ndarray],
    cond: Counts,
    zs: dict[int, float],
) -> bool:
    """Whether rival ``r`` describes the rows of ``b`` better: it explains ``b`` away (given
    ``r``, ``b`` keeps less than :data:`RESIDUAL` of its z, or under ``Z_MIN``) without being
    explained away itself, or the two explain each other away and ``r`` is simpler. A z that
    cannot be computed (a condition constant within the other's strata) is no evidence."""
    b_given_r = cond.with_strata([masks[r]]).mask_z(masks[b])
    r_given_b = cond.with_strata([masks[b]]).mask_z(masks[r])

    def weak(z: float, z0: float) -> bool:
        return not (math.isfinite(z) and z >= max(Z_MIN, RESIDUAL * z0))

    b_weak, r_weak = weak(b_given_r, zs[b]), weak(r_given_b, zs[r])
    if b_weak and r_weak:
        return complexity(cands[r]) < complexity(cands[b])
    return math.isfinite(b_given_r) and b_weak and not r_weak


def dispersion(counts: Counts, masks: list[np.ndarray]) -> float:
    """Quasi-binomial dispersion φ ≥ 1 of rows that are groups of units (lots), around the
    rates of the cells formed by the strata and ``masks``: Pearson χ² / degrees of freedom.

    Units of one lot share more than the conditions describe (a tag's excursion inside the
    lot's window, a setup), so their outcomes are not independent draws and a binomial test
    that counts units overstates the evidence; dividing z by √φ is the quasi-likelihood
    remedy. Rows of single units carry no information about it: φ = 1."""
    if np.all(counts.tot <= 1):
        return 1.0
    cells = counts.with_strata(masks)
    s = cells.strata
    rate = np.where(cells.N > 0, cells.M / np.where(cells.N > 0, cells.N, 1), 0.0)[s]
    var = counts.tot * rate * (1 - rate)
    ok = var > 0
    df = int(ok.sum()) - len(np.unique(s[ok]))
    if df < 10:
        return 1.0
    chi2 = float(np.sum((counts.pos[ok] - counts.tot[ok] * rate[ok]) ** 2 / var[ok]))
    return max(1.0, chi2 / df)


def p_value(counts: Counts, m: np.ndarray, phi: float = 1.0) -> tuple[float, float]:
    """One-sided p-value that the rate is higher inside ``m``: Fisher's exact test for one
    table of whole units, else CMH with continuity correction, its z divided by √``phi`` for
    overdispersed groups (see :func:`dispersion`). Returns (z, p)."""
    from scipy import stats

    a_s = np.bincount(counts.strata[m], counts.pos[m], counts.n_strata)
    n_s = np.bincount(counts.strata[m], counts.tot[m], counts.n_strata)
    z = float(counts.z(a_s, n_s))
    if not math.isfinite(z):
        return z, 1.0
    whole = np.allclose(counts.pos, np.round(counts.pos)) and np.allclose(
        counts.tot, np.round(counts.tot)
    )
    if counts.n_strata == 1 and whole and phi == 1.0:
        a, n1 = round(a_s[0]), round(n_s[0])
        m_all, n_all = round(counts.M[0]), round(counts.N[0])
        table = [[a, n1 - a], [m_all - a, n_all - n1 - (m_all - a)]]
        return z, float(stats.fisher_exact(table, alternative="greater").pvalue)
    e = counts.N > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        exp = np.where(e, n_s * counts.M / counts.N, 0.0).sum()
        var = np.where(
            counts.N > 1,
            n_s
            * (counts.N - n_s)
            * counts.M
            * (counts.N - counts.M)
            / (counts.N**2 * (counts.N - 1)),
            0.0,
        ).sum()
    if var <= 0:
        return z, 1.0
    zc = (a_s.sum() - exp - 0.5) / math.sqrt(var * phi)
    return z / math.sqrt(phi), float(stats.norm.sf(zc))


def trend_p_value(
    counts: Counts, within: np.ndarray, x: np.ndarray, sign: float, phi: float = 1.0
) -> tuple[float, float]:
    """One-sided test that the rate rises with ``x`` (falls, with ``sign`` −1) among the rows
    ``within`` (one machine's lots): the Cochran–Armitage trend score summed over the strata of
    ``counts`` (the machine refined by the conditions chosen before), its z divided by √``phi``.
    Returns (z, p).

    For a wear-out (``machine = M01 and day_index > 32.5``) this uses each lot's day rather
    than its side of 32.5: scrap rising steadily over the period is a slope, and a split at one
    day compares the late lots with early ones that are themselves partly worn."""
    from scipy import stats

    k = within & np.isfinite(x) & (counts.tot > 0)
    s, w, pos, xv = counts.strata[k], counts.tot[k], counts.pos[k], x[k]
    n = np.bincount(s, w, counts.n_strata)
    ok = n > 0
    safe = np.where(ok, n, 1.0)
    p_s = np.bincount(s, pos, counts.n_strata) / safe
    x_s = np.bincount(s, w * xv, counts.n_strata) / safe
    dx = xv - x_s[s]
    t = float(np.sum((pos - w * p_s[s]) * dx))
    v = float(np.sum(p_s * (1 - p_s) * np.bincount(s, w * dx * dx, counts.n_strata)))
    if v <= 0:
        return math.nan, 1.0
    z = sign * t / math.sqrt(v * phi)
    return z, float(stats.norm.sf(z))


def _trend_clause(clauses: tuple[Clause, ...], trend: tuple[str, str] | None) -> Clause | None:
    """The clause on the time feature of a condition ``stratum = L (or in …) and time op t``."""
    if trend is None or len(clauses) != 2:
        return None
    stratum, time = trend
    a, b = sorted(clauses, key=lambda c: c.feature != stratum)
    if a.feature == stratum and a.op in ("=", "in") and b.feature == time and b.op in (">", "<="):
        return b
    return None


def adjust(p: list[float], method: Correction) -> list[float]:
    """Benjamini–Hochberg or Holm adjusted p-values."""
    if not p:
        return []
    arr = np.asarray(p, float)
    n = len(arr)
    o = np.argsort(arr)
    if method == "bh":
        adj = arr[o] * n / np.arange(1, n + 1)
        adj = np.minimum.accumulate(adj[::-1])[::-1]
    elif method == "holm":
        adj = np.maximum.accumulate(arr[o] * (n - np.arange(n)))
    else:
        raise ValueError(f"unknown correction {method!r}")
    out = np.empty(n)
    out[o] = np.minimum(adj, 1.0)
    return [float(v) for v in out]


def _rates(
    counts: Counts, m: np.ndarray, within: np.ndarray | None = None
) -> dict[str, float | None]:
    """Rates inside ``m`` and outside it; with ``within`` (a machine's rows, for its trend over
    time), outside means the rest of ``within`` (the machine's other lots), not of the plant,
    whose other machines have their own normal rates. The support stays a share of all rows."""
    a, n1, b, n2 = counts.stats(m)
    if within is not None:
        rest = within & ~m
        b, n2 = float(counts.pos[rest].sum()), float(counts.tot[rest].sum())
    return {
        "rate_inside": a / n1 if n1 else None,
        "rate_outside": b / n2 if n2 else None,
        "support": n1 / counts.total if counts.total else 0.0,
        "n_inside": n1,
        "defective_inside": a,
        "n_outside": n2,
        "defective_outside": b,
    }


def _finding(
    clauses: tuple[Clause, ...],
    source: str,
    z_train: float,
    r: dict[str, float | None],
    tr: dict[str, float | None],
    z: float,
    p: float,
    test: str,
) -> Finding:
    """A finding from its rates where tested (``r``), on the training part (``tr``) and its
    test's z and p."""
    return Finding(
        clauses,
        source,
        z_train,
        rate_inside=r["rate_inside"],
        rate_outside=r["rate_outside"],
        support=float(r["support"] or 0.0),
        n_inside=float(r["n_inside"] or 0.0),
        defective_inside=float(r["defective_inside"] or 0.0),
        n_outside=float(r["n_outside"] or 0.0),
        defective_outside=float(r["defective_outside"] or 0.0),
        z_test=z if math.isfinite(z) else None,
        p_value=p,
        train={k: tr[k] for k in ("rate_inside", "rate_outside", "support")},
        test=test,
    )


def evaluate(
    chosen: list[Candidate],
    train_cols: dict[str, Column],
    test_cols: dict[str, Column],
    train: Counts,
    test: Counts,
    *,
    alpha: float,
    correction: Correction,
    conditional: bool = True,
    trend: tuple[str, str] | None = None,
) -> list[Finding]:
    """Held-out rates and tests of the chosen conditions (each given the earlier ones).

    ``trend``: (stratum, time feature). A condition on the time feature within strata
    (a machine's late days) is tested for a trend over time within them
    (:func:`trend_p_value`); its rates are those inside the condition and in the rest of
    those strata (a machine's late lots against its earlier ones)."""
    out: list[Finding] = []
    prior: list[np.ndarray] = []
    masks = [mask(test_cols, c.clauses) for c in chosen]
    phi = dispersion(test, masks if conditional else [])
    for c, m_te in zip(chosen, masks, strict=True):
        m_tr = mask(train_cols, c.clauses)
        cells = test.with_strata(prior) if conditional else test
        tc = _trend_clause(c.clauses, trend)
        w_te = w_tr = None
        if tc is not None:
            other = next(cl for cl in c.clauses if cl is not tc)
            w_te, w_tr = mask(test_cols, (other,)), mask(train_cols, (other,))
            x = test_cols[tc.feature].values
            z, p = trend_p_value(cells, w_te, x, 1.0 if tc.op == ">" else -1.0, phi)
        else:
            z, p = p_value(cells, m_te, phi)
        r, tr = _rates(test, m_te, w_te), _rates(train, m_tr, w_tr)
        test_kind = "rate" if tc is None else "trend"
        out.append(_finding(c.clauses, c.source, c.z, r, tr, z, p, test_kind))
        if conditional:
            prior.append(m_te)
    settle(out, alpha, correction)
    return out


def settle(findings: list[Finding], alpha: float, correction: Correction) -> None:
    """Adjust the findings' p-values as one family and mark the significant ones."""
    for f, pa in zip(findings, adjust([f.p_value for f in findings], correction), strict=True):
        f.p_adjusted = pa
        f.significant = bool(pa < alpha and (f.z_test or 0) > 0)


def is_rising_trend(f: Finding | Candidate, trend: tuple[str, str] | None) -> bool:
    """Whether a condition is one stratum's late days (``machine = M01 and day_index > t``)."""
    tc = _trend_clause(f.clauses, trend)
    return tc is not None and tc.op == ">" and any(c.op == "=" for c in f.clauses)


def stratum_trends(
    chosen: list[Finding],
    columns: Columns,
    counts: Counts,
    train: np.ndarray,
    trend: tuple[str, str],
    *,
    min_support: float,
    min_rows: int,
) -> list[Finding]:
    """Every stratum's rising trend over the time feature, tested on *all* rows (unadjusted).

    Whether a machine's scrap rises over the period is not searched for: it is one question
    stated in advance for every machine (a control chart's trend rule asks it of every chart),
    so no held-out part is needed to keep the search from fooling itself; the family of
    questions joins the multiple-testing correction instead. Asked of all its lots, a slow
    wear-out has about 1.8 times the z it has on the held-out 30 % (where a trend of scrap
    ×2–3 over 60 days was z = 1.1–1.4). Each test is within the cells of the ``chosen``
    findings (a bad material lot used late on a machine is not its wear), leaving out the
    trend findings themselves, with the dispersion of all rows around those cells.

    ``columns`` and ``counts`` hold all rows, ``counts`` stratified by the stratum column;
    ``train`` holds the training rows' indices (their rates are given too). A trend
    finding chosen on the training part keeps its threshold; for the others the threshold is
    the best split of the stratum's rows on the time feature, which describes where scrap
    rose (the test is the trend, not the split)."""
    stratum, time = trend
    col = columns[stratum]
    x = columns[time].values.astype(float)
    if col.levels is None:
        return []
    base = [f for f in chosen if _trend_clause(f.clauses, trend) is None]
    masks = [mask(columns, f.clauses) for f in base]
    phi = dispersion(counts, masks)
    cells = counts.with_strata(masks)
    by_level = {
        next(c.value for c in f.clauses if c.feature == stratum): f
        for f in chosen
        if is_rising_trend(f, trend)
    }
    on_train = counts.restrict(train)
    out: list[Finding] = []
    for lv, name in enumerate(col.levels):
        within = col.values == lv
        rows = np.flatnonzero(within & np.isfinite(x))
        if len(rows) < TREND_MIN_ROWS:
            continue
        z, p = trend_p_value(cells, within, x, 1.0, phi)
        prior = by_level.get(name)
        if prior is not None:
            clauses, z_train = prior.clauses, prior.z_train
        else:
            split = [
                c
                for c in search_numeric(
                    cells.restrict(rows),
                    Column(time, x[rows]),
                    min_support=min_support,
                    min_rows=min_rows,
                )
                if c.clauses[0].op == ">"
            ]
            if split:
                t, z_train = split[0].clauses[0].value, split[0].z
            else:
                t, z_train = float(np.median(x[rows])), 0.0
            clauses = (Clause(stratum, "=", name), Clause(time, ">", t))
        m = mask(columns, clauses)
        r = _rates(counts, m, within)
        tr = _rates(on_train, m[train], within[train])
        source = "trend" if prior is None else prior.source
        out.append(_finding(clauses, source, z_train, r, tr, z, p, "trend"))
    return out


def rank(findings: list[Finding]) -> list[Finding]:
    """Significant findings first, by held-out evidence; then the others by training z."""
    return sorted(
        findings,
        key=lambda f: (not f.significant, -(f.z_test or 0) if f.significant else -f.z_train),
    )
