"""Defect root cause: which conditions make the outcome (defect, scrap, failure) more likely.

:class:`RootCauseAnalyzer` follows the scikit-learn contract: ``__init__`` stores settings,
:meth:`~RootCauseAnalyzer.fit` returns ``self`` and sets the learned attributes (ending in
``_``), and :meth:`~RootCauseAnalyzer.to_dict` gives the JSON the CLI and web app show.

What ``fit`` does (the modules named hold the details):

1. split: a time column gives a chronological split (earlier ``1 − test_size`` to train,
   the rest to test); otherwise a stratified random split of the same shares;
2. model (:mod:`.learn`): LightGBM on the features plus product and difference features of
   the top numeric pairs, ranked by exact TreeSHAP; on training parts of up to
   ``FOREST_MAX_ROWS`` rows averaged with extremely randomized trees where an inner
   cross-validation prefers the average; scored out of sample (on the chronological test
   part, or by stratified k-fold) beside a logistic-regression reference on the same split.
   With a time column the stratified score is reported too, as ``also``;
3. findings (:mod:`.findings`, :mod:`.conditions`): conditions searched on the training part
   for the top features, every categorical level and pairs of top features, chosen greedily,
   tested on the held-out part and corrected for multiple testing.

Rows may be units (``y`` 0/1) or groups of units (a lot: ``y`` its defective fraction,
``sample_weight`` its units), optionally within ``strata`` (machines): conditions are then
judged within each stratum, so differences between the strata themselves are not findings.
"""

from __future__ import annotations

import functools
import logging
import math
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import InputError
from .conditions import Clause, Column, Counts
from .findings import (
    MIN_ROWS,
    Z_MIN,
    Correction,
    Finding,
    adjust,
    candidates,
    choose,
    evaluate,
    is_rising_trend,
    mask,
    p_value,
    rank,
    settle,
    stratum_trends,
)
from .learn import (
    BASELINE,
    BASELINE_ROWS,
    FOREST_MAX_ROWS,
    FOREST_WEIGHTS,
    MODEL_PARAMS,
    UNBAGGED_PARAMS,
    Data,
    Fitted,
    best_f1,
    best_threshold,
    blend,
    fit_baseline,
    fit_forest,
    fit_model,
    refit,
    scores,
    split_pair,
)
from .table import as_time, binary_target, to_columns

logger = logging.getLogger(__name__)

Metric = Literal["roc_auc", "average_precision", "f1"]
INNER_FOLDS = 3
#: a level of another column whose rows overlap a finding's this much is named beside it
ALIAS_JACCARD = 0.95


class RootCauseAnalyzer(BaseEstimator):
    """Rank candidate causes of an outcome and say how well they predict it.

    Parameters
    ----------
    max_findings:
        At most this many conditions are chosen and tested.
    alpha:
        Significance level of the held-out tests after correction.
    metric:
        ``roc_auc``, ``average_precision`` or ``f1`` (F1 at a threshold tuned by an inner
        cross-validation on each training part only).
    n_splits:
        Folds of the stratified k-fold score.
    test_size:
        Share of rows held out for the findings' tests (and the chronological score).
    min_support:
        Smallest share of the training rows a condition may cover.
    min_rows:
        Fewest training rows a condition may cover (whichever of the two is larger).
    n_features:
        Top features (by SHAP) whose thresholds are searched.
    n_pair_features:
        Top features whose pairs are searched for two-clause conditions.
    interactions:
        Search pairs of features (two-clause conditions, and with ``derived_features``
        products and differences).
    derived_features:
        Add products and differences of the top numeric pairs as features (physical
        quantities such as power = torque × speed; pointless for summaries such as a tag's
        mean and maximum, which the store context already derives).
    correction:
        ``bh`` (Benjamini–Hochberg) or ``holm``.
    positive:
        The class of ``y`` studied against the rest (default: 1, True, or the rarer of two).
    also_stratified:
        With a time column, also report the stratified k-fold score.
    trend_feature:
        A numeric column that counts time (the store's ``day_index``). With ``strata``, a
        condition on it within strata (``machine = M01 and day_index > 32.5``: a wear-out) is
        tested on the held-out part as a trend over it within them, not as a split at the
        threshold (:func:`~smartfactory.quality.findings.trend_p_value`).
    all_strata_trends:
        With ``trend_feature`` and ``strata``: ask every stratum whether its rate rises over
        time, on all rows, as a family stated in advance that joins the correction
        (:func:`~smartfactory.quality.findings.stratum_trends`); a rising trend chosen on the
        training part is one of them. Without it, only the chosen ones are tested, on the
        held-out part.
    forest:
        Where a training part has at most ``FOREST_MAX_ROWS`` rows, also fit extremely
        randomized trees and average them with the boosted model (half each) when an inner
        cross-validation on that part scores the average better than the boosted model alone:
        on small, wide, noisy data (SECOM) the forest's averaging helps, on crisp limits
        (AI4I) the boosted model alone is kept. Findings come from the boosted model either way.
    n_jobs, random_state:
        Threads of LightGBM; seed of every random choice (results are deterministic).

    Attributes (after ``fit``)
    --------------------------
    findings_, contrasts_:
        Ranked :class:`~smartfactory.quality.findings.Finding` lists.
    model_score_, baseline_score_, scores_, baseline_scores_, validation_, also_:
        Out-of-sample scores of the model and the reference. Stratified k-fold ROC-AUC and
        average precision are the mean of the folds' scores (each fold has its own model);
        F1, precision and recall are over all rows' out-of-fold 0/1 predictions.
    forest_share_:
        The forest's share of the scored model's prediction (mean over the folds).
    unbagged_share_:
        The share of the scored models (folds) whose inner cross-validation chose trees grown
        on every row over trees grown on bagged samples.
    importance_:
        Mean |SHAP| per feature (raw and pair features) on the training part.
    feature_names_in_, n_features_in_, dropped_, positive_
    """

    def __init__(
        self,
        max_findings: int = 10,
        alpha: float = 0.05,
        *,
        metric: Metric = "roc_auc",
        n_splits: int = 5,
        test_size: float = 0.3,
        min_support: float = 0.005,
        min_rows: int = MIN_ROWS,
        n_features: int = 20,
        n_pair_features: int = 8,
        interactions: bool = True,
        derived_features: bool = True,
        correction: Correction = "bh",
        positive: Any = None,
        also_stratified: bool = True,
        trend_feature: str | None = None,
        all_strata_trends: bool = True,
        forest: bool = True,
        n_jobs: int = 2,
        random_state: int = 0,
    ) -> None:
        self.max_findings = max_findings
        self.alpha = alpha
        self.metric = metric
        self.n_splits = n_splits
        self.test_size = test_size
        self.min_support = min_support
        self.min_rows = min_rows
        self.n_features = n_features
        self.n_pair_features = n_pair_features
        self.interactions = interactions
        self.derived_features = derived_features
        self.correction = correction
        self.positive = positive
        self.also_stratified = also_stratified
        self.trend_feature = trend_feature
        self.all_strata_trends = all_strata_trends
        self.forest = forest
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------

    def fit(
        self,
        X: Any,
        y: Any,
        time: Any = None,
        sample_weight: Any = None,
        strata: Any = None,
    ) -> RootCauseAnalyzer:
        """Find the causes of ``y`` among the columns of ``X``.

        ``y``: the outcome per row (two classes, or several with ``positive``), or, with
        ``sample_weight`` holding each row's units, the defective fraction of those units.
        ``time``: times of the rows for a chronological split. ``strata``: a label per row
        (e.g. the machine) within which conditions are judged.
        """
        self._check_params()
        self.validation_: str = "stratified-kfold"
        columns, dropped = to_columns(X)
        n = len(columns[0].values)
        yv, w = self._target(y, sample_weight, n)
        strata_codes, strata_levels = self._strata(strata, n)
        data = Data(columns, yv, w, strata_codes)
        self.strata_name_ = None
        if strata_codes is not None and strata_levels is not None:
            # conditions may name a stratum (``machine = M06 and …``): the column of X of the
            # strata's name, or a column of its own that the model does not see
            name = str(getattr(strata, "name", None) or "stratum")
            col = data._by_name.get(name)
            if col is None or col.levels is None:
                name = name if col is None else f"{name} (stratum)"
                data.add(Column(name, strata_codes.astype(np.int32), strata_levels))
            self.strata_name_ = name
        raw = [c.name for c in columns]
        t = as_time(time) if time is not None else None
        if t is not None and len(t) != n:
            raise InputError(f"time has {len(t)} values for {n} rows")
        train, test = self._split(data, t)
        self._check_part(data, train, "training")
        self._check_part(data, test, "held-out")

        logger.info("root cause: %d rows, %d features, %s split", n, len(raw), self.validation_)
        fitted = fit_model(
            data,
            raw,
            train,
            n_jobs=self.n_jobs,
            seed=self.random_state,
            pairs=self.interactions and self.derived_features,
        )
        if t is not None:
            model_s, base_s, thr = self._holdout_scores(data, raw, fitted, train, test)
            self.validation_ = "chronological"
            self.forest_share_ = fitted.weight
            self.unbagged_share_ = float(not fitted.bagged)
            self.also_ = self._kfold_scores(data, raw) if self.also_stratified else None
        else:
            model_s, base_s, thr = self._kfold_scores(data, raw, full=True)
            self.validation_ = "stratified-kfold"
            self.also_ = None
        self.scores_, self.baseline_scores_ = model_s, base_s
        self.model_score_ = model_s.get(self.metric)
        self.baseline_score_ = base_s.get(self.metric)
        self.threshold_ = thr

        total = sum(fitted.importance.values()) or 1.0
        self.importance_ = {
            k: v / total for k, v in sorted(fitted.importance.items(), key=lambda kv: -kv[1])
        }
        self.findings_, self.contrasts_ = self._findings(data, fitted.importance, train, test)
        cats = [c for c in data.columns if c.levels is not None]
        for f in [*self.findings_, *self.contrasts_]:
            m = mask(data, f.clauses)  # on all rows
            self._concentration(f, m, data, strata_levels)
            self._aliases(f, m, cats)
        self.feature_names_in_ = np.array(raw, dtype=object)
        self.n_features_in_ = len(raw)
        self.dropped_ = dropped
        self.n_rows_, self.n_units_ = n, float(w.sum())
        self.defective_units_ = float((yv * w).sum())
        self.split_ = {"train": len(train), "test": len(test)}
        return self

    def _check_params(self) -> None:
        if self.metric not in ("roc_auc", "average_precision", "f1"):
            raise InputError(f"unknown metric {self.metric!r}; use roc_auc, average_precision, f1")
        if not 0 < self.test_size < 1 or not 0 < self.alpha < 1:
            raise InputError("test_size and alpha must be between 0 and 1")
        if self.n_splits < 2:
            raise InputError("n_splits must be at least 2")

    def _target(self, y: Any, sample_weight: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
        if y is None or len(y) != n:
            raise InputError(f"the target has {0 if y is None else len(y)} values for {n} rows")
        if sample_weight is None:
            yv, self.positive_ = binary_target(y, self.positive)
            return yv, np.ones(n)
        w = np.asarray(sample_weight, float)
        yv = np.asarray(y, float)
        if len(w) != n or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise InputError("sample_weight must hold a non-negative number of units per row")
        if np.any(~np.isfinite(yv)) or np.any((yv < 0) | (yv > 1)):
            raise InputError("with sample_weight, y is the defective fraction (0 to 1) per row")
        if not 0 < float((yv * w).sum()) < float(w.sum()):
            raise InputError("a root cause needs units with and without the outcome")
        self.positive_ = "defective"
        return yv, w

    @staticmethod
    def _strata(strata: Any, n: int) -> tuple[np.ndarray | None, list[str] | None]:
        if strata is None:
            return None, None
        labels = np.asarray([str(s) for s in strata], dtype=object)
        if len(labels) != n:
            raise InputError(f"strata has {len(labels)} values for {n} rows")
        levels, codes = np.unique(labels, return_inverse=True)
        return codes.astype(np.int64), [str(x) for x in levels]

    def _split(self, data: Data, t: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        n = len(data.y)
        if t is not None:
            order = np.argsort(np.where(np.isnan(t), np.inf, t), kind="stable")
            cut = round((1 - self.test_size) * n)
            self.validation_ = "chronological"
            return np.sort(order[:cut]), np.sort(order[cut:])
        from sklearn.model_selection import train_test_split

        self.validation_ = "stratified-kfold"
        idx = np.arange(n)
        tr, te = train_test_split(
            idx,
            test_size=self.test_size,
            stratify=_strat_label(data),
            random_state=self.random_state,
        )
        return np.sort(tr), np.sort(te)

    @staticmethod
    def _check_part(data: Data, rows: np.ndarray, what: str) -> None:
        pos = float((data.y[rows] * data.w[rows]).sum())
        if pos <= 0 or pos >= float(data.w[rows].sum()):
            raise InputError(
                f"the {what} part has no {'defective' if pos <= 0 else 'good'} units; with a "
                "time column every period needs both (use more data or no time column)"
            )

    # -- scores ----------------------------------------------------------------------------

    def _use_forest(self, rows: np.ndarray) -> bool:
        return self.forest and len(rows) <= FOREST_MAX_ROWS

    def _tune(
        self, data: Data, raw: list[str], rows: np.ndarray, fitted: Fitted
    ) -> tuple[float | None, float | None]:
        """An inner cross-validation on ``rows`` only: where ``rows`` are few enough for a
        forest (and ``forest`` is on), whether the boosted model grows each tree on a bagged
        sample of the rows or on every row, and the forest's share of ``fitted``'s prediction;
        then the F1 thresholds of the model and the reference (with ``metric="f1"``).

        The pair (bagging or not, share of :data:`FOREST_WEIGHTS`) is the one whose out-of-fold
        predictions score best on the metric, the bagged model alone where they tie. Bagging
        steadies a model on wide, noisy data (SECOM); every row lets the trees find a sharp
        limit with few rows either side (AI4I's power and overstrain limits). Where every row
        wins, ``fitted``'s boosted model is trained again so (where it has none yet, after
        ``fit_model(train=False)``, the chosen one is trained); only where the share is above 0
        is the forest fitted on all of ``rows`` and put beside ``fitted``. The threshold that
        maximises F1 over the out-of-fold predictions is then applied to the model fitted on
        all of ``rows`` (as scikit-learn's ``TunedThresholdClassifierCV`` refits): the model
        that predicts has seen the whole training part, not two thirds of it, which matters
        where failures lie near sharp limits with few rows either side."""
        from sklearn.model_selection import StratifiedKFold

        f1, forest = self.metric == "f1", self._use_forest(rows)
        if not f1 and not forest:
            return None, None
        # the bagging choice rides on the forest's inner CV (small parts, ``forest=True``)
        variants = [MODEL_PARAMS, UNBAGGED_PARAMS] if forest else [MODEL_PARAMS]
        s_gs = [np.zeros(len(rows)) for _ in variants]
        s_f, s_b = np.zeros(len(rows)), np.zeros(len(rows))
        folds = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=self.random_state)
        for a, b in folds.split(rows, _strat_label(data, rows)):
            for i, params in enumerate(variants):
                fm = fit_model(
                    data,
                    raw,
                    rows[a],
                    n_jobs=self.n_jobs,
                    seed=self.random_state,
                    pairs=False,
                    extra=fitted.pairs,
                    explain=False,
                    forest=forest and i == 0,
                    params=params,
                )
                g, f = fm.parts(data, rows[b])
                s_gs[i][b] = g
                if f is not None:
                    s_f[b] = f
            if f1:
                s_b[b] = fit_baseline(data, raw, rows[a], self.random_state).predict(data, rows[b])
        y, w = data.y[rows], data.w[rows]
        # the first of the best: the bagged model, then the boosted model alone, on ties
        chosen, fitted.weight = max(
            ((i, v) for i in range(len(variants)) for v in (FOREST_WEIGHTS if forest else (0.0,))),
            key=lambda iv: self._value(y, w, blend(s_gs[iv[0]], s_f, iv[1])),
        )
        if chosen or fitted.booster is None:
            refit(fitted, data, rows, variants[chosen], self.n_jobs, self.random_state)
        if fitted.weight > 0:
            fitted.forest = fit_forest(data, fitted.names, rows, self.n_jobs, self.random_state)
        if not f1:
            return None, None
        s_g = blend(s_gs[chosen], s_f, fitted.weight)
        return best_threshold(y, w, s_g), best_threshold(y, w, s_b)

    def _value(self, y: np.ndarray, w: np.ndarray, s: np.ndarray) -> float:
        """The metric of scores ``s`` (F1 at its best threshold)."""
        if self.metric == "f1":
            return best_f1(y, w, s)[1]
        v = scores(y, w, s).get(self.metric)
        return -math.inf if v is None else float(v)

    def _holdout_scores(
        self, data: Data, raw: list[str], fitted: Any, train: np.ndarray, test: np.ndarray
    ) -> tuple[dict[str, Any], dict[str, Any], float | None]:
        tm, tb = self._tune(data, raw, train, fitted)
        s_m = fitted.predict(data, test)
        s_b = fit_baseline(data, raw, train, self.random_state).predict(data, test)
        y, w = data.y[test], data.w[test]
        ms, bs = scores(y, w, s_m), scores(y, w, s_b)
        if tm is not None and tb is not None:
            keep = ("f1", "precision", "recall", "threshold")
            ms |= {k: v for k, v in scores(y, w, s_m, tm).items() if k in keep}
            bs |= {k: v for k, v in scores(y, w, s_b, tb).items() if k in keep}
        return ms, bs, tm

    def _kfold_scores(self, data: Data, raw: list[str], full: bool = False) -> Any:
        from sklearn.model_selection import StratifiedKFold

        n = len(data.y)
        s_m, s_b = np.zeros(n), np.zeros(n)
        pred_m, pred_b = np.zeros(n), np.zeros(n)
        folds = StratifiedKFold(self.n_splits, shuffle=True, random_state=self.random_state)
        thr: list[float] = []
        weights: list[float] = []
        unbagged: list[float] = []
        per_m: list[dict[str, float | None]] = []
        per_b: list[dict[str, float | None]] = []
        for tr, te in folds.split(np.arange(n), _strat_label(data)):
            fm = fit_model(
                data,
                raw,
                tr,
                n_jobs=self.n_jobs,
                seed=self.random_state,
                pairs=self.interactions and self.derived_features,
                explain=False,
                # where the inner CV chooses bagging or every row, it trains the model it chose
                train=not self._use_forest(tr),
            )
            tm, tb = self._tune(data, raw, tr, fm)
            weights.append(fm.weight)
            unbagged.append(float(not fm.bagged))
            s_m[te] = fm.predict(data, te)
            s_b[te] = fit_baseline(data, raw, tr, self.random_state).predict(data, te)
            per_m.append(scores(data.y[te], data.w[te], s_m[te]))
            per_b.append(scores(data.y[te], data.w[te], s_b[te]))
            if tm is not None and tb is not None:
                pred_m[te], pred_b[te] = s_m[te] >= tm, s_b[te] >= tb
                thr.append(tm)
        y, w = data.y, data.w
        # ranking scores per fold, then their mean (as scikit-learn's cross_val_score): each
        # fold has its own model (and forest share), whose scores need not share a scale
        ms, bs = _mean_scores(per_m), _mean_scores(per_b)
        share, every_row = float(np.mean(weights)), float(np.mean(unbagged))
        if thr:
            # each fold's own threshold: score the 0/1 predictions with threshold 0.5
            keep = ("f1", "precision", "recall")
            ms |= {k: v for k, v in scores(y, w, pred_m, 0.5).items() if k in keep}
            bs |= {k: v for k, v in scores(y, w, pred_b, 0.5).items() if k in keep}
        med = float(np.median(thr)) if thr else None
        if full:
            self.forest_share_, self.unbagged_share_ = share, every_row
            return ms, bs, med
        return {
            "validation": "stratified-kfold",
            "folds": self.n_splits,
            "forest_share": share,
            "unbagged_share": every_row,
            "score": ms.get(self.metric),
            "baseline_score": bs.get(self.metric),
            "scores": ms,
            "baseline_scores": bs,
        }

    # -- findings --------------------------------------------------------------------------

    def _findings(
        self, data: Data, importance: dict[str, float], train: np.ndarray, test: np.ndarray
    ) -> tuple[list[Finding], list[Finding]]:
        ranked = [k for k, v in sorted(importance.items(), key=lambda kv: -kv[1]) if v > 0]
        names = list(dict.fromkeys([*ranked, *(c.name for c in data.columns)]))
        if self.strata_name_ is not None:
            names.append(self.strata_name_)
        tr_cols = {k: _rows(data[k], train) for k in names}
        te_cols = {k: _rows(data[k], test) for k in names}
        s = data.strata
        c_tr = Counts(data.y[train], data.w[train], None if s is None else s[train])
        c_te = Counts(data.y[test], data.w[test], None if s is None else s[test])
        if s is not None:  # keep the stratum count of the whole data in both parts
            c_tr = _same_strata(c_tr, s)
            c_te = _same_strata(c_te, s)
        stratum = tr_cols.get(self.strata_name_) if self.strata_name_ is not None else None
        cands = candidates(
            tr_cols,
            ranked,
            c_tr,
            n_features=self.n_features,
            n_pair_features=self.n_pair_features,
            min_support=self.min_support,
            interactions=self.interactions,
            stratum=stratum,
            min_rows=self.min_rows,
        )
        chosen = choose(cands, tr_cols, c_tr, self.max_findings, stratum=self.strata_name_)
        trend = None
        if self.trend_feature is not None and self.strata_name_ is not None:
            trend = (self.strata_name_, self.trend_feature)
        check = functools.partial(
            evaluate,
            train_cols=tr_cols,
            test_cols=te_cols,
            train=c_tr,
            test=c_te,
            alpha=self.alpha,
            correction=self.correction,
        )
        found = check(chosen, trend=trend)
        if trend is not None and self.all_strata_trends:
            # every machine's rise over time, asked of all its lots (see stratum_trends); the
            # trend findings chosen on the training part are among them
            trends = stratum_trends(
                found,
                data,
                Counts(data.y, data.w, s),
                train,
                trend,
                min_support=self.min_support,
                min_rows=self.min_rows,
            )
            found = [f for f in found if not is_rising_trend(f, trend)] + trends
            settle(found, self.alpha, self.correction)
            # a machine's trend that was not chosen is listed only where it holds
            found = [f for f in found if f.significant or f.source != "trend"]
        total = sum(importance.values()) or 1.0
        for f in found:
            f.importance = sum(importance.get(n, 0.0) for n in set(f.features)) / total
        # contrasts that stood out on the training part, checked on the held-out part
        contrasts = sorted(
            (c for c in cands if c.source == "contrast" and c.z >= Z_MIN), key=lambda c: -c.z
        )[:50]
        con = check(contrasts, conditional=False)
        return rank(found), rank(con)

    def _concentration(
        self, f: Finding, m: np.ndarray, data: Data, levels: list[str] | None
    ) -> None:
        """Where a finding's inside ``m`` lies among the strata (the largest stratum's share)."""
        if levels is None or data.strata is None or not m.any():
            return
        units = np.bincount(data.strata[m], data.w[m], len(levels))
        k = int(np.argmax(units))
        f.concentrated_in = {"stratum": levels[k], "share": float(units[k] / units.sum())}

    def _aliases(self, f: Finding, m: np.ndarray, cats: list[Column]) -> None:
        """Levels of other (categorical) columns ``cats`` that cover (nearly) the same rows as
        a finding's level, whose rows are ``m``.

        Two material lots received together and always drawn by the same production lots are
        one condition in the data: which of them is bad cannot be told from it, and naming one
        would be a coin toss. The finding keeps the level the search chose and lists the
        others (Jaccard index of their rows ≥ :data:`ALIAS_JACCARD`, over all rows), so that
        both are checked."""
        if len(f.clauses) != 1 or f.clauses[0].op != "=":
            return
        n_in = int(m.sum())
        if n_in == 0:
            return
        for col in cats:
            if col.name in (f.clauses[0].feature, self.strata_name_):
                continue
            levels = col.levels or []
            ok = col.values >= 0
            both = np.bincount(col.values[m & ok], minlength=len(levels))
            total = np.bincount(col.values[ok], minlength=len(levels))
            jac = both / np.maximum(1, n_in + total - both)
            for k in np.flatnonzero(jac >= ALIAS_JACCARD):
                f.aliases.append((Clause(col.name, "=", levels[k]),))

    # -- output ----------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        from sklearn.exceptions import NotFittedError

        if not hasattr(self, "findings_"):
            raise NotFittedError(
                "this RootCauseAnalyzer is not fitted yet; call fit(X, y) before using it"
            )

    def _base(self, d: dict[str, Any]) -> dict[str, Any]:
        """``features``: the columns of X a finding's condition uses (parts of products and
        differences included)."""
        known = {*self.feature_names_in_, self.strata_name_}
        cols: list[str] = []
        for name in d["features"]:
            parts = split_pair(name, known)
            cols += [parts[0], parts[2]] if parts else [name]
        d["features"] = list(dict.fromkeys(cols))
        return d

    def _trend_text(self) -> str:
        if self.trend_feature is None or self.strata_name_ is None:
            return ""
        t, s = self.trend_feature, self.strata_name_
        if not self.all_strata_trends:
            return (
                f"; a condition on {t} within a {s}: Cochran–Armitage trend over {t} within "
                "it, on the held-out rows"
            )
        return (
            f"; every {s}'s rise over {t}: Cochran–Armitage trend on all its rows (one question "
            f"asked of every {s}, in the correction; listed where significant or chosen); "
            f"an earlier period of a {s} ({t} <= t): the trend on the held-out rows"
        )

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: ``model``, ``causes`` (ranked), ``contrasts``…"""
        self._check_fitted()
        model: dict[str, Any] = {
            "metric": self.metric,
            "validation": self.validation_,
            "score": _num(self.model_score_),
            "baseline_score": _num(self.baseline_score_),
            "baseline": BASELINE.format(rows=BASELINE_ROWS),
            "scores": _nums(self.scores_),
            "baseline_scores": _nums(self.baseline_scores_),
            "model": "LightGBM on the features plus products and differences of the top "
            "numeric pairs, features ranked by exact TreeSHAP; averaged with extremely "
            "randomized trees where an inner cross-validation prefers it",
            "forest_share": self.forest_share_,
            "unbagged_share": self.unbagged_share_,
        }
        if self.validation_ == "stratified-kfold":
            model["folds"] = self.n_splits
        else:
            model["test_share"] = self.test_size
        if self.also_:
            model["also"] = {
                k: _nums(v) if isinstance(v, dict) else _num(v) for k, v in self.also_.items()
            }
        return {
            "positive": self.positive_,
            "rows": self.n_rows_,
            "units": self.n_units_,
            "defective_units": self.defective_units_,
            "model": model,
            "findings_validation": {
                "split": "chronological" if self.validation_ == "chronological" else "stratified",
                "train_rows": self.split_["train"],
                "test_rows": self.split_["test"],
                "test": "one-sided Fisher exact (one table) or Cochran–Mantel–Haenszel "
                "(strata or earlier findings), on the held-out rows" + self._trend_text(),
                "correction": {"bh": "benjamini-hochberg", "holm": "holm"}[self.correction],
                "alpha": self.alpha,
            },
            "causes": [
                dict(rank=i + 1, **self._base(_clean(f.as_dict())))
                for i, f in enumerate(self.findings_)
            ],
            "contrasts": [_clean(f.as_dict()) for f in self.contrasts_[:50]],
            "importance": [
                {"feature": k, "share": v} for k, v in list(self.importance_.items())[:20]
            ],
            "dropped": self.dropped_,
        }


def _mean_scores(per_fold: list[dict[str, float | None]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k in per_fold[0]:
        v = [x for f in per_fold if (x := f[k]) is not None]
        out[k] = float(np.mean(v)) if v else None
    return out


def _strat_label(data: Data, rows: np.ndarray | None = None) -> np.ndarray:
    """A class label to stratify on: the outcome, or for fractions, above the mean fraction."""
    y = data.y if rows is None else data.y[rows]
    w = data.w if rows is None else data.w[rows]
    if not data.fractional:
        return (y > 0.5).astype(int)
    return (y > float((y * w).sum() / max(w.sum(), 1e-12))).astype(int)


def _rows(col: Column, rows: np.ndarray) -> Column:
    return Column(col.name, col.values[rows], col.levels)


def _same_strata(c: Counts, full: np.ndarray) -> Counts:
    n = int(full.max()) + 1
    if c.n_strata == n:
        return c
    c.n_strata = n
    c.N = np.bincount(c.strata, c.tot, n)
    c.M = np.bincount(c.strata, c.pos, n)
    return c


def _num(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _nums(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _num(v) for k, v in d.items()}


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _nums(v) if isinstance(v, dict) else _num(v) for k, v in d.items()}


def analyse_file(
    path: Any,
    target: str,
    *,
    positive: Any = None,
    time_col: str | None = None,
    ignore: tuple[str, ...] | list[str] = (),
    **params: Any,
) -> RootCauseAnalyzer:
    """Read a CSV, Excel or Parquet file and find the causes of ``target`` among every other
    column (but ``time_col`` and ``ignore``)."""
    from .table import read_table

    frame = read_table(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in (target, time_col, *ignore) if c and c not in frame.columns]
    if missing:
        raise InputError(
            f"no column {', '.join(repr(c) for c in missing)} in {path}; its columns are "
            f"{', '.join(frame.columns[:30])}{' …' if len(frame.columns) > 30 else ''}"
        )
    drop = [target, *([time_col] if time_col else []), *ignore]
    X = frame.drop(columns=drop)
    if X.shape[1] == 0:
        raise InputError("no candidate columns are left besides the target")
    time = frame[time_col] if time_col else None
    return RootCauseAnalyzer(positive=positive, **params).fit(X, frame[target], time=time)


__all__ = ["RootCauseAnalyzer", "adjust", "analyse_file", "p_value"]
