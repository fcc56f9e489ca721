"""The model behind the findings: LightGBM on the features plus generic interaction features,
explained with exact TreeSHAP, and a logistic-regression reference on the same split.

One *fit* (:func:`fit_model`) on a training part:

1. a quick LightGBM ranks the raw features by mean |SHAP| (``pred_contrib``, exact TreeSHAP);
2. for the top numeric features, every pair's product and difference become new features
   (that is how mechanical power = torque × speed or a temperature difference arise, without
   knowing the data set);
3. the full LightGBM is trained on raw + pair features (on a training part of more than
   :data:`LARGE_ROWS` rows, it stops early on a held-out tenth of them) and explained again:
   its SHAP ranking chooses the features the findings are searched on;
4. optionally (:func:`fit_forest`) extremely randomized trees on the same features, which the
   analyser averages with the boosted model where an inner cross-validation prefers it, and
   (:func:`refit`) the boosted model trained again on every row for every tree where that
   cross-validation prefers it to bagged samples: they change the score, never the SHAP
   ranking.

The same fit runs inside every validation fold, so no choice (features, pairs, threshold) ever
sees the rows it is scored on.
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .conditions import Column

logger = logging.getLogger(__name__)

#: LightGBM settings of the model (small trees, strong subsampling: data sets of a factory
#: are small and noisy). ``n_jobs`` of the analyser is added at fit time.
MODEL_PARAMS: dict[str, Any] = {
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 255,
    # bin boundaries from a sample of at most this many rows (LightGBM's default is 200,000):
    # 50,000 rows put about 200 in each of 255 bins, and binning 100,000 × 500 takes 4.8 s
    # instead of 7.2 s. Tables of at most 50,000 rows are binned on all of their rows
    "bin_construct_sample_cnt": 50_000,
    "max_cat_to_onehot": 8,
    "cat_smooth": 10.0,
    "verbose": -1,
}
N_ROUNDS = 250
#: settings that shape the binning of a Dataset (given to it, not only to training)
DATASET_KEYS = ("max_bin", "min_data_in_bin", "bin_construct_sample_cnt")
#: the ranking model (step 1) is smaller and sees at most this many rows
RANK_PARAMS: dict[str, Any] = {**MODEL_PARAMS, "learning_rate": 0.1}
#: the model's settings with every row for every tree, which the inner cross-validation of a
#: small training part may choose instead (sharp limits with few rows either side)
UNBAGGED_PARAMS: dict[str, Any] = {**MODEL_PARAMS, "bagging_fraction": 1.0, "bagging_freq": 0}
RANK_ROUNDS = 80
RANK_ROWS = 20_000
SHAP_ROWS = 4_000
#: top numeric features whose pairs become product and difference features
PAIR_TOP = 6
#: most histogram bins of a pair feature. Raw features keep the model's 255 (there may be
#: thousands of them); pair features are a few dozen, and their thresholds are what a finding
#: states (a power limit, a temperature difference), so each distinct value has a bin of its
#: own, up to this many (see :func:`_exact_bins`). On AI4I, 255 bins left the power and
#: heat-dissipation limits a bin wide (F1 0.834); 4095 bins of at least 3 rows (LightGBM's
#: ``min_data_in_bin``) still put the last failures below 3.5 kW in one bin with the first
#: good rows above it (F1 0.895 median over random_state 0-4, 0.899 with exact bins)
PAIR_MAX_BIN = 16383
#: above this many training rows, pair features get 1,023 bins of at least 3 rows: a bin is
#: then at most 0.1 % of the rows (80 of 80,000), and the conditions the findings state search
#: their own limits on the rows, not on bins. Exact bins cost 30 % more time on 100,000 × 500
#: rows, and 4,095 bins 1.5–2.5 s more per model than 1,023 (LightGBM's per-leaf histogram
#: work grows with the bins of all features)
EXACT_BINS_MAX_ROWS = 20_000
PAIR_MAX_BIN_LARGE = 1023
#: training parts above this many rows are "large": column-wise histograms, and early
#: stopping (see :func:`_train`)
LARGE_ROWS = EXACT_BINS_MAX_ROWS
#: on a large training part, this share of its rows (stratified by outcome) is held out of
#: the boosted model's training, which stops once the loss on them has not improved for
#: EARLY_STOP_ROUNDS rounds and keeps its best round (N_ROUNDS at most), as scikit-learn's
#: ``HistGradientBoostingClassifier`` does above 10,000 rows (``validation_fraction=0.1``).
#: With many rows the 250 rounds made for small, noisy tables overfit a weak signal: on
#: 100,000 × 500 rows the models stop after 63-100 rounds, and score ROC-AUC 0.674 instead
#: of 0.666 in 40 % less time. Small parts (at most LARGE_ROWS rows) train all N_ROUNDS:
#: there a tenth of the rows is too few to judge a round by, and too many to give up
EARLY_STOP_FRACTION = 0.1
EARLY_STOP_ROUNDS = 20
#: ... and only where that tenth would hold at least 10 defective and 10 good rows
EARLY_STOP_MIN_CLASS = 100
#: the forest that may be averaged with the boosted model (see :func:`fit_forest`); it is
#: fitted only where the training part has at most FOREST_MAX_ROWS rows
FOREST_TREES = 300
FOREST_LEAF = 3
FOREST_MAX_ROWS = 20_000
#: the forest's shares of the averaged prediction that the inner cross-validation compares
FOREST_WEIGHTS = (0.0, 0.5)


@dataclass
class Data:
    """Columns (raw and derived) over all rows, with the outcome as weighted counts."""

    columns: list[Column]
    y: np.ndarray  # defective fraction of the row's units (0/1 for single units)
    w: np.ndarray  # units per row
    strata: np.ndarray | None = None
    _by_name: dict[str, Column] = field(default_factory=dict, repr=False)
    _lgb: dict[Any, Any] = field(default_factory=dict, repr=False)  # see _base_dataset

    def __post_init__(self) -> None:
        self._by_name = {c.name: c for c in self.columns}
        self.raw_names = frozenset(self._by_name)

    def __getitem__(self, name: str) -> Column:
        col = self._by_name.get(name)
        if col is None:
            col = pair_column(self, name)
            self._by_name[name] = col
        return col

    def add(self, col: Column) -> None:
        """A column conditions may name that is not a model feature."""
        self._by_name[col.name] = col

    @property
    def fractional(self) -> bool:
        return bool(np.any((self.y > 0) & (self.y < 1)))

    def matrix(
        self, names: list[str], rows: np.ndarray, dtype: Any = None, missing: float = math.nan
    ) -> np.ndarray:
        """The named columns on ``rows``, a categorical one as its level codes (``missing``
        where it has no level). Unless ``dtype`` is given: single precision for raw features
        (it keeps their order, which is all a tree needs), double where a pair feature is
        among them: a difference of two readings given to one decimal (310.8 − 302.2,
        309.4 − 300.8) lands a few units in the last place either side of the one-decimal value
        (8.600000000000023, 8.599999999999966), and single precision merges them into one value
        on both sides of a limit the data were made with (AI4I's heat dissipation below 8.6 K)."""
        if dtype is None:
            wide = any(n not in self.raw_names for n in names)
            dtype = np.float64 if wide else np.float32
        out = np.empty((len(rows), len(names)), dtype)
        for j, n in enumerate(names):
            c = self[n]
            v = c.values[rows]
            out[:, j] = np.where(v >= 0, v, missing) if c.categorical else v
        return out


PRODUCT, DIFFERENCE = " * ", " - "


def pair_names(data: Data, a: str, b: str, rows: np.ndarray) -> list[str]:
    """The product of two numeric columns and, where they are on a comparable scale (same
    sign, medians within a factor of 2: a temperature and a temperature, not a temperature and
    a torque), their difference, oriented so that it is mostly positive on ``rows``."""
    va, vb = data[a].values[rows], data[b].values[rows]
    out = [f"{a}{PRODUCT}{b}"]
    fa, fb = va[np.isfinite(va)], vb[np.isfinite(vb)]
    if len(fa) == 0 or len(fb) == 0:
        return out
    ma, mb = float(np.median(fa)), float(np.median(fb))
    if ma * mb > 0 and max(abs(ma), abs(mb)) <= 2 * min(abs(ma), abs(mb)):
        first, second = (b, a) if ma < mb else (a, b)
        out.append(f"{first}{DIFFERENCE}{second}")
    return out


def split_pair(name: str, known: Any) -> tuple[str, str, str] | None:
    """(first, separator, second) of a pair feature's name whose parts are in ``known``."""
    for sep in (PRODUCT, DIFFERENCE):
        i = name.find(sep)
        while i >= 0:
            a, b = name[:i], name[i + len(sep) :]
            if a in known and b in known:
                return a, sep, b
            i = name.find(sep, i + 1)
    return None


def pair_column(data: Data, name: str) -> Column:
    parts = split_pair(name, data._by_name)
    if parts is None:
        raise KeyError(name)
    a, sep, b = parts
    va, vb = data._by_name[a].values, data._by_name[b].values
    return Column(name, va * vb if sep == PRODUCT else va - vb)


@dataclass
class Fitted:
    """One fitted model: its features, the booster and the SHAP ranking on the training part."""

    names: list[str]
    categorical: list[int]
    booster: Any
    importance: dict[str, float]
    pairs: list[str]
    #: the randomized-trees forest beside the boosted model, and its share of the averaged
    #: prediction (0: the boosted model alone), chosen by an inner cross-validation; the
    #: analyser fits the forest of its scored models only where that share is above 0
    forest: Any = None
    weight: float = 0.0
    #: whether each tree of the boosted model saw a bagged sample of the rows (the default) or
    #: every row (where the inner cross-validation preferred it, see :func:`refit`)
    bagged: bool = True

    def parts(self, data: Data, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The boosted model's and the forest's predictions (None without a forest)."""
        x = data.matrix(self.names, rows)
        p = np.asarray(self.booster.predict(x))
        q = None if self.forest is None else np.asarray(self.forest.predict(x))
        return p, q

    def predict(self, data: Data, rows: np.ndarray) -> np.ndarray:
        return blend(*self.parts(data, rows), self.weight)


def blend(p: np.ndarray, q: np.ndarray | None, weight: float) -> np.ndarray:
    return p if q is None or weight == 0 else (1 - weight) * p + weight * q


def _binning(params: dict[str, Any]) -> dict[str, Any]:
    """Dataset settings: the model's, and no pre-filter (a feature is not dropped for having
    too few values per leaf setting)."""
    out = {k: params[k] for k in DATASET_KEYS if k in params}
    return {"verbose": -1, "feature_pre_filter": False, **out}


def _base_dataset(data: Data, raw: list[str], params: dict[str, Any]) -> Any:
    """The raw features of *all* rows binned once, as LightGBM's ``cv`` does: every model
    (each fold's ranker and model, the inner threshold folds) trains on a subset of it instead
    of binning its own copy of a wide matrix. Binning sees feature values only, never labels."""
    import lightgbm as lgb

    bins = _binning(params)
    key = (tuple(raw), tuple(sorted(bins.items())))
    ds = data._lgb.get(key)
    if ds is None:
        everything = np.arange(len(data.y))
        cats = [j for j, n in enumerate(raw) if data[n].categorical]
        ds = lgb.Dataset(
            data.matrix(raw, everything),
            label=data.y,
            weight=data.w,
            feature_name=[f"f{j}" for j in range(len(raw))],
            categorical_feature=cats or "auto",
            free_raw_data=True,
            params=bins,
        ).construct()
        data._lgb = {key: ds}  # one base at a time: it holds a binned copy of the data
    return ds


def _exact_bins(x: np.ndarray) -> dict[str, Any]:
    """Dataset settings of pair features ``x`` (rows × features): on at most
    :data:`EXACT_BINS_MAX_ROWS` rows, a bin for each distinct value (up to :data:`PAIR_MAX_BIN`
    bins), so that a split may fall between any two neighbouring values, as an exact tree's
    would; on more rows, :data:`PAIR_MAX_BIN_LARGE` bins of LightGBM's default size."""
    if len(x) > EXACT_BINS_MAX_ROWS:
        return {"max_bin": PAIR_MAX_BIN_LARGE}
    distinct = max((len(np.unique(c[np.isfinite(c)])) for c in x.T), default=1)
    return {"max_bin": int(min(PAIR_MAX_BIN, max(255, distinct))), "min_data_in_bin": 1}


def _train(
    data: Data,
    names: list[str],
    rows: np.ndarray,
    params: dict[str, Any],
    rounds: int,
    n_jobs: int,
    seed: int,
    early_stop: bool = True,
) -> Any:
    """Train on ``rows``: the raw features (the leading ``names``) from the shared binned
    base, the derived pair features (the rest) binned on ``rows`` and appended. On a large
    part (``early_stop``, see :data:`EARLY_STOP_FRACTION`), a stratified tenth of ``rows``
    is held out to stop the training early; the booster keeps the trees up to its best round
    (LightGBM drops the later ones)."""
    import lightgbm as lgb

    k = 0
    while k < len(names) and names[k] in data.raw_names:
        k += 1
    bins = _binning(params)
    ds = _base_dataset(data, names[:k], params).subset(np.asarray(rows, np.int32)).construct()
    if k < len(names):
        x = data.matrix(names[k:], rows)
        extra = lgb.Dataset(
            x,
            feature_name=[f"f{j}" for j in range(k, len(names))],
            free_raw_data=True,
            params={**bins, **_exact_bins(x)},
        ).construct()
        with warnings.catch_warnings():
            # it warns that the Python-side copies of raw data and categorical names are
            # dropped; the binned features (categorical ones included) are what trains
            warnings.simplefilter("ignore", UserWarning)
            ds.add_features_from(extra)
    label = data.y[rows]
    objective = "cross_entropy" if np.any((label > 0) & (label < 1)) else "binary"
    p = {**params, **bins, "objective": objective, "num_threads": n_jobs, "seed": seed}
    # like a random forest's √p features per split: wide data need column subsampling
    p.setdefault("feature_fraction", min(1.0, 5 / np.sqrt(len(names))))
    p["deterministic"] = True
    large = len(rows) > LARGE_ROWS
    if large:
        # LightGBM otherwise times row- and column-wise histograms before it trains; on wide
        # tables column-wise wins (80,000 × 520: 5.5 s against 6.1 s a model)
        p["force_col_wise"] = True
    held = _early_stop_rows(label, seed) if early_stop and large else None
    if held is None:
        return lgb.train(p, ds, num_boost_round=rounds)
    fit, valid = held
    booster = lgb.train(
        p,
        ds.subset(fit),
        num_boost_round=rounds,
        valid_sets=[ds.subset(valid)],
        callbacks=[lgb.early_stopping(EARLY_STOP_ROUNDS, verbose=False)],
    )
    logger.debug("early stopping: best round %d of %d", booster.best_iteration, rounds)
    return booster


def _early_stop_rows(label: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions (into a training part's rows) that train and that judge the rounds, split
    stratified by outcome; None where the part has too few rows of either outcome."""
    from sklearn.model_selection import train_test_split

    bad = label > 0
    if min(int(bad.sum()), int((~bad).sum())) < EARLY_STOP_MIN_CLASS:
        return None
    fit, valid = train_test_split(
        np.arange(len(label), dtype=np.int32),
        test_size=EARLY_STOP_FRACTION,
        random_state=seed,
        stratify=bad,
    )
    return np.sort(fit), np.sort(valid)


def shap_importance(
    booster: Any, data: Data, names: list[str], rows: np.ndarray, seed: int
) -> dict[str, float]:
    """Mean |SHAP value| per feature on (a sample of) ``rows``, exact TreeSHAP."""
    rng = np.random.default_rng(seed)
    if len(rows) > SHAP_ROWS:
        rows = np.sort(rng.choice(rows, SHAP_ROWS, replace=False))
    contrib = np.asarray(booster.predict(data.matrix(names, rows), pred_contrib=True))
    mean_abs = np.abs(contrib[:, : len(names)]).mean(axis=0)
    return {n: float(v) for n, v in zip(names, mean_abs, strict=True)}


def fit_model(
    data: Data,
    raw: list[str],
    rows: np.ndarray,
    *,
    n_jobs: int = 2,
    seed: int = 0,
    pairs: bool = True,
    extra: list[str] | None = None,
    explain: bool = True,
    forest: bool = False,
    params: dict[str, Any] | None = None,
    train: bool = True,
) -> Fitted:
    """Rank the raw features, add pair features of the top numeric ones, fit, explain.

    ``extra``: pair features chosen before (the ranking step is skipped). ``forest``: fit a
    randomized-trees forest on the same features beside the boosted model (its weight in
    :meth:`Fitted.predict` stays 0 until an inner cross-validation sets it). ``train=False``:
    choose the features only, and leave the boosted model to :func:`refit` (an inner
    cross-validation that chooses its settings first need not train it twice)."""
    rng = np.random.default_rng(seed)
    names = list(raw)
    pair_feats: list[str] = list(extra or [])
    if extra is not None:
        names += pair_feats
    elif pairs:
        sub = rows if len(rows) <= RANK_ROWS else np.sort(rng.choice(rows, RANK_ROWS, False))
        ranker = _train(data, raw, sub, RANK_PARAMS, RANK_ROUNDS, n_jobs, seed)
        imp = shap_importance(ranker, data, raw, sub, seed)
        top = [n for n in sorted(raw, key=lambda n: -imp[n]) if not data[n].categorical]
        top = [n for n in top if imp[n] > 0][:PAIR_TOP]
        for a, b in itertools.combinations(top, 2):
            pair_feats += pair_names(data, a, b, rows)
        names += pair_feats
    cats = [j for j, n in enumerate(names) if data[n].categorical]
    if not train:
        return Fitted(names, cats, None, {}, pair_feats)
    booster = _train(data, names, rows, params or MODEL_PARAMS, N_ROUNDS, n_jobs, seed)
    importance = shap_importance(booster, data, names, rows, seed) if explain else {}
    trees = fit_forest(data, names, rows, n_jobs, seed) if forest else None
    return Fitted(names, cats, booster, importance, pair_feats, trees)


def refit(
    fitted: Fitted, data: Data, rows: np.ndarray, params: dict[str, Any], n_jobs: int, seed: int
) -> None:
    """Train ``fitted``'s boosted model (again, or for the first time after
    ``fit_model(train=False)``) on ``rows`` with ``params`` (the same features). Its SHAP
    ranking, where it has one, stays the first model's: like the forest, the inner
    cross-validation's choices change the score, never the features the findings are searched
    on."""
    fitted.booster = _train(data, fitted.names, rows, params, N_ROUNDS, n_jobs, seed)
    fitted.bagged = params.get("bagging_freq", 0) > 0 and params.get("bagging_fraction", 1) < 1


def fit_forest(data: Data, names: list[str], rows: np.ndarray, n_jobs: int, seed: int) -> Any:
    """Extremely randomized trees (a regression forest on the defective fraction, weighted by
    units: for single units its squared-error splits are Gini splits), √p features per split."""
    from sklearn.ensemble import ExtraTreesRegressor

    forest = ExtraTreesRegressor(
        FOREST_TREES,
        max_features="sqrt",
        min_samples_leaf=FOREST_LEAF,
        n_jobs=n_jobs,
        random_state=seed,
    )
    return forest.fit(data.matrix(names, rows), data.y[rows], sample_weight=data.w[rows])


# -- scores --------------------------------------------------------------------------------


def unit_view(y: np.ndarray, w: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows of (label, weight, score) with each row split into its defective and good units."""
    pos, neg = y * w, (1 - y) * w
    keep = np.concatenate([pos > 0, neg > 0])
    lab = np.concatenate([np.ones(len(y)), np.zeros(len(y))])[keep]
    wt = np.concatenate([pos, neg])[keep]
    sc = np.concatenate([s, s])[keep]
    return lab, wt, sc


def best_threshold(y: np.ndarray, w: np.ndarray, s: np.ndarray) -> float:
    """The score threshold that maximises F1 (predict defective when score ≥ threshold)."""
    return best_f1(y, w, s)[0]


def best_f1(y: np.ndarray, w: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) at the score threshold that maximises F1."""
    lab, wt, sc = unit_view(y, w, s)
    o = np.argsort(-sc, kind="stable")
    sc, tp_w, all_w = sc[o], np.cumsum((wt * lab)[o]), np.cumsum(wt[o])
    last = np.r_[sc[1:] != sc[:-1], True]  # only between distinct scores
    tp, pred = tp_w[last], all_w[last]
    f1 = 2 * tp / (pred + tp_w[-1])
    k = int(np.argmax(f1))
    return float(sc[last][k]), float(f1[k])


def scores(
    y: np.ndarray, w: np.ndarray, s: np.ndarray, threshold: float | None = None
) -> dict[str, float | None]:
    """ROC-AUC, average precision and (with a threshold) F1, precision, recall, per unit."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    lab, wt, sc = unit_view(y, w, s)
    out: dict[str, float | None] = {"roc_auc": None, "average_precision": None}
    if 0 < lab.sum() < len(lab):
        out["roc_auc"] = float(roc_auc_score(lab, sc, sample_weight=wt))
        out["average_precision"] = float(average_precision_score(lab, sc, sample_weight=wt))
    if threshold is not None:
        pred = sc >= threshold
        tp = float(np.sum(wt * lab * pred))
        p_all, t_all = float(np.sum(wt * pred)), float(np.sum(wt * lab))
        prec = tp / p_all if p_all else 0.0
        rec = tp / t_all if t_all else 0.0
        out |= {
            "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
            "precision": prec,
            "recall": rec,
            "threshold": threshold,
        }
    return out


# -- the reference model -------------------------------------------------------------------

BASELINE = (
    "logistic regression (numeric features median-imputed and standardised, categorical "
    "one-hot; fitted on at most {rows:,} rows of each training part)"
)
BASELINE_ROWS = 20_000


@dataclass
class Baseline:
    model: Any
    names: list[str]

    def predict(self, data: Data, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_proba(_lr_matrix(data, self.names, rows))[:, 1])


def _lr_matrix(data: Data, names: list[str], rows: np.ndarray) -> np.ndarray:
    """The columns as one double-precision matrix, categorical ones as their level codes (-1:
    missing), which the one-hot encoder takes as they are: far quicker than a frame of labels."""
    return data.matrix(names, rows, np.float64, missing=-1)


def _median(v: np.ndarray) -> float:
    """The median of a column's observed values (NaN, and no warning, where there are none:
    the imputer then leaves the column out)."""
    return float(np.median(v)) if len(v) else math.nan


def fit_baseline(data: Data, raw: list[str], rows: np.ndarray, seed: int = 0) -> Baseline:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(seed)
    if len(rows) > BASELINE_ROWS:
        rows = np.sort(rng.choice(rows, BASELINE_ROWS, replace=False))
    num = [j for j, n in enumerate(raw) if not data[n].categorical]
    cat = [j for j, n in enumerate(raw) if data[n].categorical]
    pre = ColumnTransformer(
        [
            # the median of each column's observed values, as strategy="median", which takes a
            # masked-array sort of the whole matrix (1.4 s against 0.2 s on 20,000 × 490)
            ("num", make_pipeline(SimpleImputer(strategy=_median), StandardScaler()), num),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", min_frequency=5, max_categories=50),
                cat,
            ),
        ]
    )
    model = make_pipeline(pre, LogisticRegression(C=1.0, max_iter=1000))
    y, w = data.y[rows], data.w[rows]
    # each row as its defective and its good units (one of them for a single unit)
    wt = np.concatenate([y * w, (1 - y) * w])
    keep = wt > 0
    lab = np.concatenate([np.ones(len(rows)), np.zeros(len(rows))])[keep]
    both = np.concatenate([rows, rows])[keep]
    model.fit(_lr_matrix(data, raw, both), lab, logisticregression__sample_weight=wt[keep])
    return Baseline(model, raw)
