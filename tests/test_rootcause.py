"""Root cause: the estimator contract, known causes in constructed tables, honest validation,
errors, the CLI, the simulator's injected causes over 20 seeds and null runs, and the real
data sets (SECOM, AI4I 2020)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from conftest import SHARED_DATA
from smartfactory.cli import main
from smartfactory.errors import FileFormatError, InputError
from smartfactory.ingest.importer import import_files
from smartfactory.quality import monitor
from smartfactory.quality.context import analyse_store, lot_context
from smartfactory.quality.findings import adjust
from smartfactory.quality.rootcause import RootCauseAnalyzer, analyse_file
from smartfactory.sim import simulate
from smartfactory.store.db import Store


def table(n: int = 6000, seed: int = 0, causes: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric and categorical candidates; with causes: temp > 231.4, lot = L-1187, and
    speed <= 1300 together with delta <= 8 (an interaction)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "temp": rng.normal(228, 2, n).round(1),
            "speed": rng.normal(1500, 150, n).round(0),
            "delta": rng.normal(10, 1.5, n).round(2),
            "noise": rng.normal(0, 1, n),
            "lot": rng.choice([f"L-{1180 + i}" for i in range(12)], n),
            "shift": rng.choice(["A", "B", "C"], n),
        }
    )
    p = np.full(n, 0.03)
    if causes:
        p = np.where(X["temp"] > 231.4, 0.25, p)
        p = np.where(X["lot"] == "L-1187", np.maximum(p, 0.2), p)
        p = np.where((X["speed"] <= 1300) & (X["delta"] <= 8), 0.6, p)
    return X, (rng.random(n) < p).astype(int)


@pytest.fixture(scope="module")
def fitted() -> RootCauseAnalyzer:
    X, y = table()
    return RootCauseAnalyzer(n_splits=3).fit(X, y)


def test_contract():
    rc = RootCauseAnalyzer(max_findings=5)
    with pytest.raises(NotFittedError):
        rc.to_dict()
    assert rc.get_params()["max_findings"] == 5 and clone(rc).max_findings == 5
    X, y = table(1500)
    assert rc.set_params(n_splits=2).fit(X, y) is rc
    assert rc.n_features_in_ == 6 and list(rc.feature_names_in_) == list(X.columns)
    assert not hasattr(RootCauseAnalyzer(), "findings_")


def test_finds_the_constructed_causes(fitted):
    r = fitted.to_dict()
    sig = [c for c in r["causes"] if c["significant"]]
    text = " | ".join(c["condition"] for c in sig)
    assert any(c["condition"] == "lot = L-1187" for c in sig), text
    temp = next(c for c in sig if c["features"] == ["temp"])
    assert temp["clauses"][0]["op"] == ">" and abs(temp["clauses"][0]["value"] - 231.4) <= 0.3
    assert temp["rate_inside"] > 4 * temp["rate_outside"]
    assert any({"speed", "delta"} <= set(c["features"]) for c in sig), text
    assert not any("noise" in c["features"] or "shift" in c["features"] for c in sig), text
    m = r["model"]
    assert m["validation"] == "stratified-kfold" and m["score"] > 0.6 and m["baseline_score"] > 0.5
    for c in r["causes"]:
        assert {"feature", "condition", "rate_inside", "rate_outside", "support", "p_value"} <= set(
            c
        )


def test_nothing_is_significant_without_a_cause():
    for seed in range(3):
        X, y = table(4000, seed=seed, causes=False)
        r = RootCauseAnalyzer(n_splits=2).fit(X, y).to_dict()
        assert not [c for c in r["causes"] if c["significant"]], r["causes"]
        assert not [c for c in r["contrasts"] if c["significant"]]


def test_chronological_split_and_both_scores():
    X, y = table(3000)
    t = pd.date_range("2025-01-01", periods=len(y), freq="10min")
    r = RootCauseAnalyzer(n_splits=2).fit(X, y, time=t).to_dict()
    assert r["model"]["validation"] == "chronological"
    assert r["model"]["also"]["validation"] == "stratified-kfold"
    assert r["findings_validation"]["split"] == "chronological"
    assert r["findings_validation"]["test_rows"] == 900


def test_the_forest_changes_the_score_never_a_finding():
    """The forest beside the boosted model is chosen per training part by an inner CV (share
    0 or ½, reported), and with it bagged or every-row trees; the findings come from the
    boosted model's ranking and the search alone."""
    X, y = table(3000)
    t = pd.date_range("2025-01-01", periods=len(y), freq="10min")
    with_f = RootCauseAnalyzer(n_splits=2).fit(X, y, time=t)
    without = RootCauseAnalyzer(n_splits=2, forest=False).fit(X, y, time=t)
    a, b = with_f.to_dict(), without.to_dict()
    assert b["model"]["forest_share"] == 0.0 and b["model"]["also"]["forest_share"] == 0.0
    assert with_f.forest_share_ in (0.0, 0.5)
    assert 0.0 <= a["model"]["also"]["forest_share"] <= 0.5
    assert [c["condition"] for c in a["causes"]] == [c["condition"] for c in b["causes"]]
    assert [c["p_value"] for c in a["causes"]] == [c["p_value"] for c in b["causes"]]
    if with_f.forest_share_ == 0.0 and with_f.unbagged_share_ == 0.0:  # the same model scored
        assert a["model"]["score"] == b["model"]["score"]


def test_the_inner_cv_chooses_bagged_or_every_row_trees_by_their_scores(monkeypatch):
    """On a small training part the inner CV compares trees grown on bagged samples with trees
    grown on every row, and the model scored is the one that did better out of fold: a variant
    made useless (no leaf may split) is never chosen, whichever of the two it is."""
    from smartfactory.quality import rootcause

    X, y = table()
    useless = {"min_data_in_leaf": 10**6}  # no split: one constant prediction
    good = {**rootcause.UNBAGGED_PARAMS}
    monkeypatch.setattr(rootcause, "FOREST_WEIGHTS", (0.0,))  # the boosted model alone
    monkeypatch.setattr(rootcause, "UNBAGGED_PARAMS", {**good, **useless})
    a = RootCauseAnalyzer(n_splits=2).fit(X, y)
    assert a.unbagged_share_ == 0.0
    monkeypatch.setattr(rootcause, "UNBAGGED_PARAMS", good)
    monkeypatch.setattr(rootcause, "MODEL_PARAMS", {**rootcause.MODEL_PARAMS, **useless})
    b = RootCauseAnalyzer(n_splits=2).fit(X, y)
    assert b.unbagged_share_ == 1.0
    assert b.to_dict()["model"]["unbagged_share"] == 1.0
    assert b.model_score_ > 0.65  # ROC-AUC of the every-row model (the useless one: 0.5)
    # the findings come from the first (bagged) model's ranking, whatever is scored
    assert [f.condition for f in a.findings_] == [f.condition for f in b.findings_]


def test_a_fold_model_is_trained_once_with_the_settings_the_inner_cv_chose(monkeypatch):
    """Where the inner CV chooses bagging or every row, a fold's boosted model is trained
    only after the choice, once: where every row wins it is not first trained on bagged
    samples as well, and everything reported is the same as when it was."""
    from smartfactory.quality import learn, rootcause

    X, y = table(1200, seed=4)
    rows_trained: list[int] = []
    train = learn._train

    def counted(data, names, rows, *args, **kwargs):  # type: ignore[no-untyped-def]
        rows_trained.append(len(rows))
        return train(data, names, rows, *args, **kwargs)

    monkeypatch.setattr(learn, "_train", counted)
    once = RootCauseAnalyzer(n_splits=2).fit(X, y)
    n_once = len(rows_trained)
    fit_model = rootcause.fit_model
    monkeypatch.setattr(
        rootcause, "fit_model", lambda *a, **k: fit_model(*a, **{**k, "train": True})
    )
    rows_trained.clear()
    twice = RootCauseAnalyzer(n_splits=2).fit(X, y)
    assert once.scores_ == twice.scores_ and once.threshold_ == twice.threshold_
    assert once.unbagged_share_ == twice.unbagged_share_
    assert once.to_dict()["causes"] == twice.to_dict()["causes"]
    # one fit fewer in each fold that chose every row (the bagged model was trained first)
    every_row = round(2 * once.unbagged_share_)
    assert every_row >= 1 and len(rows_trained) - n_once == every_row


def test_lots_with_units_and_strata():
    """Lots of many units (y = scrap share, weight = units) on machines that differ in their
    normal scrap rate: the machines themselves are no finding, a bad material lot is."""
    rng = np.random.default_rng(3)
    n = 800
    machine = rng.choice(["M1", "M2", "M3", "M4"], n)
    base = pd.Series(machine).map({"M1": 0.01, "M2": 0.02, "M3": 0.03, "M4": 0.015}).to_numpy()
    mat = rng.choice([f"R-{i}" for i in range(20)], n)
    units = rng.integers(200, 800, n)
    p = np.where(mat == "R-7", base * 4, base)
    y = rng.binomial(units, p) / units
    X = pd.DataFrame({"machine": machine, "material_lot": mat, "x": rng.normal(0, 1, n)})
    rc = RootCauseAnalyzer(n_splits=2).fit(
        X, y, sample_weight=units, strata=pd.Series(machine, name="machine")
    )
    sig = [c for c in rc.to_dict()["causes"] if c["significant"]]
    assert [c["condition"] for c in sig][:1] == ["material_lot = R-7"]
    assert not any(c["features"] == ["machine"] for c in sig)


def test_a_setting_that_matters_on_some_machines_is_narrowed_to_them():
    """Pressure above 963 scraps parts on M1 and M2 only. M3's pressure runs high early and
    drifts down while M3 wears out (its scrap rises over the days). Stated for all machines,
    ``pressure > t`` would claim M3's good early lots and hide its wear; narrowed to M1 and M2
    it does not, and M3's late days are a finding of their own."""
    rng = np.random.default_rng(5)
    n = 1500
    machine = rng.choice(["M1", "M2", "M3", "M4"], n)
    day = rng.uniform(0, 60, n)
    pressure = rng.normal(950, 10, n)
    m3 = machine == "M3"
    pressure[m3] = 985 - 0.6 * day[m3] + rng.normal(0, 4, m3.sum())
    units = rng.integers(200, 600, n)
    p = np.full(n, 0.02)
    p[np.isin(machine, ["M1", "M2"]) & (pressure > 963)] *= 4
    p[m3] *= 1 + 1.5 * day[m3] / 60
    y = rng.binomial(units, p) / units
    X = pd.DataFrame({"machine": machine, "pressure": pressure, "day_index": day})
    rc = RootCauseAnalyzer(n_splits=2, trend_feature="day_index").fit(
        X, y, sample_weight=units, strata=pd.Series(machine, name="machine")
    )
    sig = [c for c in rc.to_dict()["causes"] if c["significant"]]
    first = sig[0]["clauses"]
    assert first[0] == {"feature": "machine", "op": "in", "value": ["M1", "M2"]}, sig[0]
    assert first[1]["feature"] == "pressure" and first[1]["op"] == ">"
    assert sig[0]["condition"].startswith("machine in (M1, M2) and pressure > ")
    wear = [c for c in sig if {"feature": "machine", "op": "=", "value": "M3"} in c["clauses"]]
    assert wear and any(k["feature"] == "day_index" for k in wear[0]["clauses"]), sig
    assert wear[0]["test"] == "trend" and sig[0]["test"] == "rate"


def test_lots_received_together_are_named_together():
    """Two materials' lots drawn by the same production lots: the data cannot tell which is
    bad, so the finding names the other beside it; a lot that is only mostly shared is not."""
    rng = np.random.default_rng(2)
    n = 3000
    day = rng.integers(0, 60, n)
    pcb = np.where((day >= 20) & (day < 25), "PCB-20", np.where(day < 20, "PCB-1", "PCB-25"))
    scr = np.where((day >= 20) & (day < 25), "SCR-20", np.where(day < 40, "SCR-1", "SCR-40"))
    bolt = np.where((day >= 20) & (day < 27), "B-20", "B-1")  # 2 more days: not the same rows
    units = rng.integers(200, 600, n)
    p = np.where(pcb == "PCB-20", 0.08, 0.02)
    y = rng.binomial(units, p) / units
    X = pd.DataFrame({"pcb": pcb, "screw": scr, "bolt": bolt, "x": rng.normal(0, 1, n)})
    r = RootCauseAnalyzer(n_splits=2).fit(X, y, sample_weight=units).to_dict()
    lot = next(c for c in r["causes"] if c["significant"] and c["features"] in (["pcb"], ["screw"]))
    other = "screw = SCR-20" if lot["features"] == ["pcb"] else "pcb = PCB-20"
    assert [a["condition"] for a in lot["aliases"]] == [other], lot


def test_clause_in_levels():
    from smartfactory.quality.conditions import Clause, Column

    col = Column("machine", np.array([0, 1, 2, -1, 1], np.int32), ["M1", "M2", "M3"])
    cl = Clause("machine", "in", ("M1", "M3"))
    assert col.mask(cl.op, cl.value).tolist() == [True, False, True, False, False]
    assert str(cl) == "machine in (M1, M3)"
    assert cl.as_dict() == {"feature": "machine", "op": "in", "value": ["M1", "M3"]}


def test_the_cut_grid_lies_between_distinct_values_at_the_quantiles():
    """Cuts fall between neighbouring distinct values, at the lower quantiles of the observed
    values (the definition the one-sort implementation must keep), ties and NaN included."""
    from smartfactory.quality.conditions import cut_grid

    rng = np.random.default_rng(1)
    x = np.round(rng.gamma(2.0, 3.0, 5_000), 1)
    x[rng.random(5_000) < 0.05] = np.nan
    f = x[np.isfinite(x)]
    u = np.unique(f)
    for max_cuts, tail in ((64, 0.01), (24, 0.0)):
        cuts = cut_grid(x, max_cuts, tail)
        levels = np.linspace(0, 1, max_cuts + 1)[1:-1]
        if tail:
            edge = np.arange(tail, 1 / max_cuts, tail / 2)
            levels = np.concatenate([edge, levels, 1 - edge])
        lo = np.unique(np.searchsorted(u, np.quantile(f, levels, method="lower")))
        lo = lo[lo < len(u) - 1]
        assert len(cuts) == len(lo)
        assert np.all((cuts >= u[lo]) & (cuts < u[lo + 1])), (cuts, u[lo])
    assert cut_grid(np.array([2.0, 2.0, np.nan]), 64).size == 0
    assert cut_grid(np.array([1.0, 3.0]), 64).tolist() == [1.0]


def test_the_reference_model_imputes_and_encodes_what_is_missing():
    """The logistic-regression reference fills a numeric column's gaps with its median, takes
    a missing category as a level of its own, and leaves out a column with no value at all."""
    from smartfactory.quality.conditions import Column
    from smartfactory.quality.learn import Data, fit_baseline

    rng = np.random.default_rng(2)
    n = 2_000
    x = rng.normal(0, 1, n)
    cat = rng.integers(-1, 3, n).astype(np.int32)  # -1: missing
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * x + 1.5 * (cat == -1) - 2)))).astype(float)
    x[rng.random(n) < 0.1] = np.nan
    empty = Column("empty", np.full(n, np.nan))
    data = Data([Column("x", x), Column("cat", cat, ["a", "b", "c"]), empty], y, np.ones(n))
    rows = np.arange(n)
    with pytest.warns(UserWarning, match="without any observed values"):
        model = fit_baseline(data, ["x", "cat", "empty"], rows[: n // 2])
    pre = model.model[0]
    assert pre.named_transformers_["num"][0].statistics_[0] == pytest.approx(
        np.nanmedian(x[: n // 2])
    )
    with pytest.warns(UserWarning, match="without any observed values"):
        s = model.predict(data, rows[n // 2 :])
    assert np.all(np.isfinite(s))
    miss = cat[n // 2 :] == -1
    assert s[miss].mean() > s[~miss].mean() + 0.1  # the missing level carries its own risk


def test_a_rare_condition_in_a_tail_is_stated_without_good_rows_around_it():
    """0.6 % of the rows fail above a limit (AI4I's power failures): 64 quantile cuts alone
    offer no cut nearer than the top 1.6 %, which mixes in twice as many good rows."""
    from smartfactory.quality.conditions import Column, Counts, search_numeric

    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, 10_000)
    limit = np.quantile(x, 0.994)
    y = np.where(x > limit, 1.0, rng.random(10_000) < 0.02).astype(float)
    found = search_numeric(Counts(y, np.ones(10_000)), Column("x", x), min_support=0.005)
    top = next(c for c in found if c.clauses[0].op == ">")
    inside = x > top.clauses[0].value
    assert 50 <= inside.sum() <= 75 and y[inside].mean() > 0.85, (inside.sum(), top)


def test_a_pair_feature_splits_between_its_neighbouring_values():
    """A limit on a product (AI4I's power = torque × speed < 3.5 kW) in a sparse tail: the
    model's split on the product falls between the last failing row and the first good one, as
    an exact tree's would. LightGBM's bins of at least 3 rows held rows from both sides of such
    a limit (AI4I F1 median 0.895; 0.899 with exact bins), and this test failed with them."""
    from smartfactory.quality.conditions import Column
    from smartfactory.quality.learn import MODEL_PARAMS, Data, _train

    rng = np.random.default_rng(5)
    n = 8_000
    torque = rng.normal(40, 10, n).clip(3, None)
    speed = rng.normal(1500, 180, n).clip(1100, None)
    power = torque * speed
    limit = np.quantile(power, 0.003)  # AI4I: 31 of 10,000 rows below 3.5 kW
    y = (power < limit).astype(float)
    data = Data([Column("torque", torque), Column("speed", speed)], y, np.ones(n))
    names = ["torque", "speed", "torque * speed"]
    params = {**MODEL_PARAMS, "bagging_fraction": 1.0, "bagging_freq": 0}  # every row
    booster = _train(data, names, np.arange(n), params, 50, 1, 0)
    splits = booster.trees_to_dataframe()
    on_pair = splits[splits.split_feature == "f2"].threshold.astype(float)
    last_bad, first_good = power[y == 1].max(), power[y == 0].min()
    near = on_pair[(on_pair > last_bad - 2_000) & (on_pair < first_good + 2_000)]
    assert len(near) > 0
    assert ((near > last_bad) & (near < first_good)).all(), (last_bad, first_good, sorted(near))


def test_a_large_training_part_stops_early_on_a_held_out_tenth():
    """Above LARGE_ROWS rows, the boosted model holds a stratified tenth of its rows out of
    training and stops once their loss has not improved for EARLY_STOP_ROUNDS rounds, keeping
    the trees up to its best round; a small part, or a large one with too few defective rows
    to judge a round by, trains every round."""
    from smartfactory.quality import learn
    from smartfactory.quality.conditions import Column
    from smartfactory.quality.learn import MODEL_PARAMS, Data, _train

    rng = np.random.default_rng(7)
    n = learn.LARGE_ROWS + 5_000
    x = rng.normal(0, 1, (n, 4))
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.4 * x[:, 0] - 3)))).astype(float)  # weak signal
    data = Data([Column(f"x{j}", x[:, j]) for j in range(4)], y, np.ones(n))
    names = [f"x{j}" for j in range(4)]
    rounds = 150

    booster = _train(data, names, np.arange(n), MODEL_PARAMS, rounds, 1, 0)
    best = booster.best_iteration
    assert 1 <= best < rounds - learn.EARLY_STOP_ROUNDS  # the weak signal is learnt early
    assert booster.num_trees() == best  # LightGBM keeps the trees up to the best round only

    fit, valid = learn._early_stop_rows(y, 0)
    assert len(np.intersect1d(fit, valid)) == 0 and len(fit) + len(valid) == n
    assert len(valid) == pytest.approx(learn.EARLY_STOP_FRACTION * n, abs=1)
    assert y[valid].mean() == pytest.approx(y.mean(), abs=1e-3)  # stratified by outcome

    small = _train(data, names, np.arange(learn.LARGE_ROWS), MODEL_PARAMS, rounds, 1, 0)
    assert small.num_trees() == rounds
    every = _train(data, names, np.arange(n), MODEL_PARAMS, rounds, 1, 0, early_stop=False)
    assert every.num_trees() == rounds
    few = y.copy()
    few[np.flatnonzero(few)[learn.EARLY_STOP_MIN_CLASS - 1 :]] = 0  # 99 defective rows
    rare = Data(data.columns, few, np.ones(n))
    assert learn._early_stop_rows(few, 0) is None
    assert _train(rare, names, np.arange(n), MODEL_PARAMS, rounds, 1, 0).num_trees() == rounds


def test_a_steady_wear_out_is_tested_as_a_trend_not_a_split():
    """Scrap on one machine rising linearly to 2.5× over 60 days: the trend test over the lots'
    days has more power than the split at one day (the early side is itself partly worn), and
    a machine without wear stays unremarkable under it."""
    from smartfactory.quality.conditions import Counts
    from smartfactory.quality.findings import p_value, trend_p_value

    rng = np.random.default_rng(7)
    n = 600
    machine = rng.integers(0, 4, n)
    day = rng.uniform(0, 60, n)
    units = rng.integers(200, 600, n).astype(float)
    rate = 0.02 * np.where(machine == 0, 1 + 1.5 * day / 60, 1.0)
    y = rng.binomial(units.astype(int), rate) / units
    c = Counts(y, units, machine)
    worn, steady = machine == 0, machine == 1
    z_trend, p_trend = trend_p_value(c, worn, day, 1.0)
    z_split, _ = p_value(c, worn & (day > 30))
    assert z_trend > z_split > 0 and p_trend < 1e-6, (z_trend, z_split)
    assert abs(trend_p_value(c, steady, day, 1.0)[0]) < 2.5
    assert trend_p_value(c, worn, day, -1.0)[1] > 0.99  # one-sided: falling is not rising


def _wearing_plant(seed: int, rise: float, n: int = 1500) -> tuple:
    """Lots on 12 machines of different normal scrap over 60 days; M07's scrap rises
    linearly to ``rise`` times its start."""
    rng = np.random.default_rng(seed)
    machine = np.array([f"M{i:02d}" for i in rng.integers(1, 13, n)])
    day = rng.uniform(0, 60, n)
    units = rng.integers(200, 600, n)
    base = pd.Series(machine).map({f"M{i:02d}": 0.01 + 0.002 * i for i in range(1, 13)})
    p = base.to_numpy() * np.where(machine == "M07", 1 + (rise - 1) * day / 60, 1.0)
    y = rng.binomial(units, p) / units
    X = pd.DataFrame({"machine": machine, "day_index": day, "x": rng.normal(0, 1, n)})
    return X, y, units, pd.Series(machine, name="machine")


def test_every_machine_is_asked_whether_its_scrap_rises():
    """A slow wear-out (scrap ×1.5 over 60 days on one of 12 machines) is thin on the held-out
    30 % of the lots; asked of all lots, as one question per machine stated in advance, it is
    found, its late lots against its earlier ones. Plants without wear stay without
    findings."""
    found, held_out_only = 0, 0
    for seed in range(3):
        X, y, units, machine = _wearing_plant(seed, 1.5)
        fits = [
            RootCauseAnalyzer(
                n_splits=2,
                trend_feature="day_index",
                all_strata_trends=a,
                random_state=seed,
                forest=False,  # findings only (the forest never changes one)
            ).fit(X, y, sample_weight=units, strata=machine)
            for a in (True, False)
        ]
        for k, rc in enumerate(fits):
            sig = [f for f in rc.findings_ if f.significant]
            wear = [
                f
                for f in sig
                if f.test == "trend"
                and ("machine", "=", "M07") in [(c.feature, c.op, c.value) for c in f.clauses]
            ]
            if k == 0:
                found += bool(wear)
                if wear:  # over all of M07's lots: its late ones against its earlier ones
                    on_m07 = units[machine.to_numpy() == "M07"].sum()
                    assert wear[0].n_inside + wear[0].n_outside == on_m07
                    assert wear[0].rate_inside > wear[0].rate_outside
            else:
                held_out_only += bool(wear)
        X, y, units, machine = _wearing_plant(seed + 100, 1.0)
        rc = RootCauseAnalyzer(
            n_splits=2, trend_feature="day_index", random_state=seed, forest=False
        )
        rc.fit(X, y, sample_weight=units, strata=machine)
        assert not [f.condition for f in rc.findings_ if f.significant], seed
    assert found == 3 and held_out_only < found, (found, held_out_only)


def _lots(n: int, seed: int, rho: float, bad: str | None, feeds: int | None = None) -> tuple:
    """Lots of 200–800 units whose scrap varies from lot to lot beyond the binomial (a lot's
    own rate drawn from a beta with intra-lot correlation ``rho``); with ``bad``, that material
    lot (fed into ``feeds`` lots, or its share of 20 lots) scraps four times as much."""
    rng = np.random.default_rng(seed)
    mat = rng.choice([f"R-{i}" for i in range(20)], n)
    if bad is not None and feeds is not None:
        mat[mat == bad] = "R-0"
        mat[rng.choice(n, feeds, replace=False)] = bad
    units = rng.integers(200, 800, n)
    mean = np.where(mat == bad, 0.08, 0.02)
    k = (1 - rho) / rho if rho > 0 else None
    p = mean if k is None else rng.beta(mean * k, (1 - mean) * k)
    y = rng.binomial(units, p) / units
    X = pd.DataFrame(
        {"material_lot": mat, "x": rng.normal(0, 1, n), "shift": rng.choice(["A", "B"], n)}
    )
    return X, y, units


def test_dispersion_estimates_lot_to_lot_variation():
    from smartfactory.quality.conditions import Counts
    from smartfactory.quality.findings import dispersion

    for rho, lo, hi in ((0.0, 0.8, 1.25), (0.01, 3.0, 8.0)):
        _, y, units = _lots(3000, 1, rho, None)
        phi = dispersion(Counts(y, units), [])
        # a beta-binomial's Pearson dispersion is about 1 + (n − 1)·rho (n ≈ 500 here)
        assert lo < phi < hi, (rho, phi)
    one = Counts(np.array([0, 1, 0, 1.0] * 50), np.ones(200))
    assert dispersion(one, []) == 1.0  # single units say nothing about it


def test_overdispersed_lots_fewer_false_findings_and_keep_the_real_one(monkeypatch):
    """Binomial tests on the units of lots that vary from lot to lot call chance levels
    significant; the dispersion allowance removes most of that, and still finds a bad material
    lot that fed only five lots."""
    from smartfactory.quality import findings

    def runs_with_findings() -> int:
        n = 0
        for seed in range(8):
            X, y, units = _lots(800, seed, 0.01, None)
            rc = RootCauseAnalyzer(n_splits=2, min_support=0.002, min_rows=3, forest=False)
            r = rc.fit(X, y, sample_weight=units).to_dict()
            n += any(c["significant"] for c in r["causes"] + r["contrasts"])
        return n

    allowed = runs_with_findings()
    monkeypatch.setattr(findings, "dispersion", lambda counts, masks: 1.0)
    binomial = runs_with_findings()
    # measured: 2 of 8 runs against 6 of 8 (lots of ~500 units, intra-lot correlation 0.01)
    assert allowed <= 2 and binomial >= allowed + 3, (allowed, binomial)
    monkeypatch.undo()
    X, y, units = _lots(800, 7, 0.002, "R-7", feeds=5)
    r = RootCauseAnalyzer(n_splits=2, min_support=0.002, min_rows=3, forest=False).fit(
        X, y, sample_weight=units
    )
    sig = [c["condition"] for c in r.to_dict()["causes"] if c["significant"]]
    assert sig[:1] == ["material_lot = R-7"], sig


def test_multiple_testing_adjustment():
    p = [0.01, 0.04, 0.03, 0.5]
    assert adjust(p, "bh") == pytest.approx([0.04, 0.0533333, 0.0533333, 0.5])
    assert adjust(p, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_errors_say_what_to_do(tmp_path, write):
    X, y = table(500)
    with pytest.raises(InputError, match="one value"):
        RootCauseAnalyzer().fit(X, np.zeros(len(y)))
    with pytest.raises(InputError, match="--positive"):
        RootCauseAnalyzer().fit(X, np.arange(len(y)) % 3)
    ok = RootCauseAnalyzer(positive=2, n_splits=2).fit(
        X, np.where(y == 1, 2, np.arange(len(y)) % 2)
    )
    assert ok.positive_ == "2"
    f = tmp_path / "t.csv"
    X.assign(defect=y).to_csv(f, index=False)
    with pytest.raises(InputError, match="no column 'nope'"):
        analyse_file(f, "nope")
    with pytest.raises(FileFormatError):
        analyse_file(write("bad.xlsx", "not a workbook"), "defect")
    with pytest.raises(InputError, match="no such file"):
        analyse_file(tmp_path / "missing.csv", "defect")


def test_cli_writes_the_causes_to_excel(tmp_path):
    from openpyxl import load_workbook

    X, y = table(2000)
    f = tmp_path / "units.csv"
    X.assign(result=y).to_csv(f, index=False)
    out = tmp_path / "causes.xlsx"
    args = ["rootcause", "--data", str(f), "--target", "result", "--out", str(out)]
    res = CliRunner().invoke(main, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    rows = list(load_workbook(out)["원인 causes"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [c["condition"] for c in d["causes"]]
    assert [r[3] for r in rows[1:]] == pytest.approx([c["rate_inside"] for c in d["causes"]])
    bad = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "causes.csv")])
    assert bad.exit_code != 0 and ".xlsx" in bad.output


def test_cli_json_and_text(tmp_path):
    X, y = table(2000)
    f = tmp_path / "units.parquet"
    X.assign(
        result=np.where(y == 1, "NG", "OK"),
        ts=pd.date_range("2025-01-01", periods=len(y), freq="min"),
    ).to_parquet(f)
    run = CliRunner().invoke
    res = run(
        main,
        [
            "rootcause",
            "--data",
            str(f),
            "--target",
            "result",
            "--positive",
            "NG",
            "--time-col",
            "ts",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert set(d["model"]) >= {"metric", "validation", "score", "baseline_score"}
    assert d["model"]["validation"] == "chronological" and d["positive"] == "NG"
    assert d["causes"] and {"feature", "condition", "support", "p_value"} <= set(d["causes"][0])
    text = run(main, ["rootcause", "--data", str(f), "--target", "result", "--ignore", "ts"])
    assert text.exit_code == 0 and "Causes" in text.output
    # units in brackets are the user's text, not terminal markup: "temp [degc]" stays whole
    units = tmp_path / "units.csv"
    X.rename(columns={"temp": "temp [degc]"}).assign(result=y).to_csv(units, index=False)
    text = run(main, ["rootcause", "--data", str(units), "--target", "result"], terminal_width=200)
    assert text.exit_code == 0 and "temp [degc] >" in text.output, text.output
    bad = run(main, ["rootcause", "--data", str(f), "--target", "colour"])
    assert bad.exit_code == 1 and "error:" in bad.output and "colour" in bad.output


# -- the simulator: injected causes and null runs --------------------------------------------

SEEDS = range(20)
NULL_SEEDS = range(100, 112)


def _store(root: Path, seed: int, causes: bool) -> tuple[Path, dict]:
    d = root / f"{'c' if causes else 'n'}{seed}"
    summary = simulate(d, machines=12, days=60, seed=seed, causes=causes)
    db = d / "plant.duckdb"
    with Store(db) as s:
        import_files(s, [Path(p) for p in summary["files"].values()])
    return db, json.loads((d / "ground_truth.json").read_text("utf-8"))


def matches(cause: dict, finding: dict) -> bool:
    """Whether a finding names an injected cause (the criterion of the 20-seed check)."""
    cl = finding["clauses"]
    if cause["kind"] == "parameter":  # the tag, above some threshold
        return any(c["feature"].startswith(cause["tag"] + "_") and c["op"] == ">" for c in cl)
    if cause["kind"] == "material_lot":  # that lot of that material, or a lot named beside
        # it as covering the same production lots (received and drawn together: the data
        # cannot tell which of them is bad, and the finding says so)
        sets = [cl, *(a["clauses"] for a in finding.get("aliases", []))]
        return any(
            c["feature"] == f"material_lot[{cause['material']}]" and c["value"] == cause["lot"]
            for s in sets
            for c in s
        )
    # degradation: about that machine, its late days or its drifting tag, and mostly its units
    about = any(
        (c["feature"] == "machine" and c["value"] == cause["machine"])
        or c["feature"] == "day_index"
        or c["feature"].startswith(cause["tag"] + "_")
        for c in cl
    )
    where = finding.get("concentrated_in") or {}
    return about and where.get("stratum") == cause["machine"] and where.get("share", 0) >= 0.5


def top_hits(result: dict, truth: list[dict]) -> bool:
    """Every injected cause is named by a significant finding ranked above the first
    significant finding that names none (a cause may take more than one finding: one per
    machine)."""
    sig = [f for f in result["causes"] if f["significant"]]
    named = [[matches(c, f) for c in truth] for f in sig]
    first_false = next((i for i, m in enumerate(named) if not any(m)), len(sig))
    return all(any(named[i][k] for i in range(first_false)) for k in range(len(truth)))


@pytest.fixture(scope="module")
def seed_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    root = tmp_path_factory.mktemp("rc-sim")
    hits, false_alarms = [], []
    for seed in SEEDS:
        db, truth = _store(root, seed, True)
        with Store(db) as s:
            r = analyse_store(s, n_splits=2)[0].to_dict()
        hits.append(top_hits(r, truth["scrap_causes"]))
    for seed in NULL_SEEDS:
        db, truth = _store(root, seed, False)
        assert truth["scrap_causes"] == []
        with Store(db) as s:
            r = analyse_store(s, n_splits=2)[0].to_dict()
        false_alarms.append([c["condition"] for c in r["causes"] if c["significant"]])
    return {"hits": hits, "false_alarms": false_alarms}


def test_simulator_causes_are_the_top_findings(seed_results):
    # the target: 19 of 20 seeds, measured 19. The miss (seed 8) is a slow
    # degradation (scrap rising to 2.1× by the end on M08) whose trend over all of M08's lots
    # does not stand out from the other machines'. Every machine is asked whether its scrap
    # rises, on all its lots (decision 5, session 10); on the held-out 30 % alone, seed 1's
    # degradation was z = 1.4 and missed too (18 of 20).
    assert sum(seed_results["hits"]) >= 19, seed_results["hits"]


def test_null_runs_report_no_significant_finding(seed_results):
    # measured: none of the 12 null runs has a significant finding (alpha = 0.05 bounds the
    # chance of any false finding in a run at about 5 %, so one in 12 would not be alarming)
    runs = [fa for fa in seed_results["false_alarms"] if fa]
    assert len(runs) <= 1 and all(len(fa) == 1 for fa in runs), runs


def test_lot_context_columns(tmp_path):
    db, _ = _store(tmp_path, 3, True)
    with Store(db) as s:
        ctx = lot_context(s)
    cols = set(ctx.frame.columns)
    assert {"machine", "line", "product", "shift", "day_index", "hours_since_setup"} <= cols
    assert any(c.startswith("material_lot[") for c in cols)
    assert any(c.endswith("_max") for c in cols) and (ctx.produced > 0).all()
    assert set(ctx.frame["shift"]) <= {"day", "night", "off"}


def _crew_counts(
    path: Path, seed: int, bad_operator: str | None, wear: float = 0.0, regrind: bool = False
) -> Path:
    """A plant's counts with who ran each lot and with which mould (Korean headers 작업자,
    금형, as a plant's own export names them): 4 machines, three 8-hour lots a day for 90
    days, 200 units a lot, six operators drawn at random per lot, a new mould on each machine
    every 30 days (with ``regrind``, one mould per machine, reground every 30 days); base scrap
    2 %, ``bad_operator``'s lots 6 %; with ``wear``, scrap grows with the mould's use since it
    was new or reground, × (1 + wear) on its last day."""
    rng = np.random.default_rng(seed)
    rows = []
    t0 = pd.Timestamp("2025-03-03 06:00", tz="Asia/Seoul")
    for m in range(1, 5):
        for day in range(90):
            for shift in range(3):
                start = t0 + pd.Timedelta(days=day, hours=8 * shift)
                op = f"OP-{rng.integers(1, 7)}"
                p = (0.06 if op == bad_operator else 0.02) * (1 + wear * (day % 30) / 29)
                lot = f"L{m}-{day:03d}-{shift}"
                for h in range(8):
                    scrap = int(rng.binomial(25, p))
                    rows.append(
                        {
                            "machine": f"M{m}",
                            "ts": (start + pd.Timedelta(hours=h + 1)).isoformat(),
                            "product": "P-100",
                            "good": 25 - scrap,
                            "scrap": scrap,
                            "lot": lot,
                            "작업자": op,
                            "금형": f"T{m}" if regrind else f"T{m}-{day // 30}",
                        }
                    )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_operator_and_mould_from_the_counts(tmp_path):
    db = tmp_path / "crew.duckdb"
    with Store(db) as s:
        (rep,) = import_files(s, [_crew_counts(tmp_path / "counts.csv", 4, "OP-5")])
        assert rep.ok and rep.result and rep.result.rejected == 0 and not rep.unmatched_columns
        ctx = lot_context(s)
        r = analyse_store(s, n_splits=2)[0].to_dict()
    f = ctx.frame
    assert {"operator", "tool", "tool_units"} <= set(f.columns)
    assert set(f["operator"]) == {f"OP-{i}" for i in range(1, 7)}
    # a mould's life: 3 lots a day of 200 units, counted from the mould's first lot
    first = f[(f["machine"] == "M2") & (f["tool"] == "T2-1")]
    assert sorted(first["tool_units"])[:4] == [0.0, 200.0, 400.0, 600.0]
    assert f["tool_units"].max() == 200.0 * (3 * 30 - 1)
    sig = [c for c in r["causes"] if c["significant"]]
    assert sig and sig[0]["condition"] == "operator = OP-5", [c["condition"] for c in sig]
    assert sig[0]["rate_inside"] > 2 * sig[0]["rate_outside"]


def test_a_worn_mould_is_found_by_its_use(tmp_path):
    with Store(tmp_path / "wear.duckdb") as s:
        import_files(s, [_crew_counts(tmp_path / "counts.csv", 6, None, wear=2.0)])
        r = analyse_store(s, n_splits=2)[0].to_dict()
    sig = [c for c in r["causes"] if c["significant"]]
    assert sig and sig[0]["features"] == ["tool_units"], [c["condition"] for c in sig]
    assert sig[0]["clauses"][0]["op"] == ">" and sig[0]["rate_inside"] > sig[0]["rate_outside"]


def test_a_reground_mould_starts_its_life_again(tmp_path):
    counts = _crew_counts(tmp_path / "counts.csv", 7, None, wear=2.0, regrind=True)
    # the tool room's log, as its own export names the columns: regrinds on days 30 and 60,
    # before the first shift
    log = tmp_path / "regrinds.csv"
    pd.DataFrame(
        {
            "금형번호": [f"T{m}" for m in range(1, 5) for _ in (30, 60)],
            "완료일시": [
                f"{pd.Timestamp('2025-03-03') + pd.Timedelta(days=d):%Y-%m-%d} 06:00"
                for _ in range(4)
                for d in (30, 60)
            ],
            "작업내용": ["연마"] * 8,
        }
    ).to_csv(log, index=False)
    with Store(tmp_path / "regrind.duckdb") as s:
        reps = import_files(s, [counts, log])
        assert [r.kind for r in reps] == ["counts", "tool_maintenance"]
        assert all(r.ok and r.result and r.result.rejected == 0 for r in reps)
        f = lot_context(s).frame
        r = analyse_store(s, n_splits=2)[0].to_dict()
        wear = monitor.tool_wear(s)
    # the scrap curve over a mould's life: 2 % fresh, 6 % before its regrind
    assert wear[0]["units_from"] == 0 and wear[-1]["units_to"] >= 18_000
    assert wear[0]["rate"] < 0.03 and wear[-1]["rate"] > 0.05
    m2 = f[f["machine"] == "M2"].sort_values("tool_units")
    # the count life starts again on day 30 and day 60: three lives of 90 lots of 200 units
    assert sorted(m2["tool_units"])[:6] == [0.0, 0.0, 0.0, 200.0, 200.0, 200.0]
    assert f["tool_units"].max() == 200.0 * (3 * 30 - 1)
    sig = [c for c in r["causes"] if c["significant"]]
    assert sig and sig[0]["features"] == ["tool_units"], [c["condition"] for c in sig]
    assert sig[0]["clauses"][0]["op"] == ">" and sig[0]["rate_inside"] > sig[0]["rate_outside"]


def test_counts_without_operator_or_mould_add_no_such_columns(tmp_path):
    path = _crew_counts(tmp_path / "counts.csv", 5, None)
    pd.read_csv(path).drop(columns=["작업자", "금형"]).to_csv(path, index=False)
    with Store(tmp_path / "plain.duckdb") as s:
        import_files(s, [path])
        cols = set(lot_context(s).frame.columns)
    assert not {"operator", "tool", "tool_units"} & cols and "shift" in cols


# -- real data -------------------------------------------------------------------------------

SECOM = SHARED_DATA / "secom"
AI4I = SHARED_DATA / "ai4i2020" / "ai4i2020.csv"


@pytest.fixture(scope="module")
def secom() -> dict:
    if not SECOM.exists():
        pytest.skip("shared SECOM data not present")
    d = pd.read_csv(SECOM / "uci-secom.csv")
    labels = pd.read_csv(SECOM / "secom_labels.data", sep=" ", header=None, names=["y", "t"])
    # the CSV's Time has day and month swapped for days <= 12: the labels file's times are right
    t = pd.to_datetime(labels["t"], format="%d/%m/%Y %H:%M:%S")
    rc = RootCauseAnalyzer().fit(d.drop(columns=["Time", "Pass/Fail"]), d["Pass/Fail"], time=t)
    return rc.to_dict()["model"]


def test_secom_chronological_and_stratified_scores(secom):
    assert secom["validation"] == "chronological"
    assert secom["score"] > 0.443  # README reference: random forest, chronological 70/30
    assert secom["also"]["validation"] == "stratified-kfold"
    assert secom["also"]["score"] > secom["also"]["baseline_score"]  # logistic regression


def test_secom_stratified_beats_the_random_forest_reference(secom):
    # 0.753 at random_state 0, 0.727-0.774 over 0-4 (median 0.757): the boosted model averaged
    # with the forest where the inner CV prefers it; the boosted model alone gave 0.730
    assert secom["also"]["score"] > 0.744  # README reference: random forest, stratified 5-fold
    assert secom["also"]["forest_share"] > 0


@pytest.fixture(scope="module")
def ai4i() -> dict:
    if not AI4I.exists():
        pytest.skip("shared AI4I data not present")
    d = pd.read_csv(AI4I, encoding="utf-8-sig")
    X = d.drop(columns=["Machine failure", "TWF", "HDF", "PWF", "OSF", "RNF"])
    return RootCauseAnalyzer(metric="f1").fit(X, d["Machine failure"]).to_dict()


def _feature_sets(r: dict) -> list[set[str]]:
    return [set(c["features"]) for c in r["causes"] if c["significant"]]


def test_ai4i_failure_mechanisms(ai4i):
    feats = _feature_sets(ai4i)
    temps = {"Process temperature [K]", "Air temperature [K]"}
    # heat dissipation: small air–process temperature difference at low speed
    assert any(temps <= f and "Rotational speed [rpm]" in f for f in feats), feats
    # overstrain: tool wear × torque
    assert any({"Tool wear [min]", "Torque [Nm]"} <= f for f in feats), feats
    # power: the speed and torque extremes (high speed with low torque, high torque)
    assert any("Torque [Nm]" in f for f in feats) and any(
        "Rotational speed [rpm]" in f for f in feats
    )
    m = ai4i["model"]
    assert m["validation"] == "stratified-kfold"
    # 0.834 with pair features binned like raw ones and held in single precision
    assert m["scores"]["f1"] > 0.87 and m["baseline_scores"]["f1"] < 0.8


def test_ai4i_f1_target(ai4i):
    """F1 0.9000 at random_state 0 (0.9000, 0.9016, 0.9013, 0.9021, 0.8935 over 0-4, median
    0.9013): the inner CV grows the boosted model on every row in most training parts, which
    finds the generator's limits with few rows either side. The generator's own rules reach
    0.917 (52 failures are random: TWF, RNF)."""
    assert ai4i["model"]["scores"]["f1"] >= 0.90
    assert ai4i["model"]["unbagged_share"] > 0.5


def test_ai4i_power_as_one_condition(ai4i):
    # speed × torque, mechanical power up to a constant: the high-power failures (> 9 kW,
    # 0.6 % of the rows) stated as one condition
    power = [
        c
        for c in ai4i["causes"]
        if c["significant"] and set(c["features"]) == {"Rotational speed [rpm]", "Torque [Nm]"}
    ]
    assert power and power[0]["rate_inside"] > 0.7, _feature_sets(ai4i)


def test_ai4i_heat_dissipation_names_speed_itself(ai4i):
    # not speed × a temperature, which on a kelvin scale is speed again
    heat = [
        c for c in ai4i["causes"] if c["significant"] and "Air temperature [K]" in c["features"]
    ]
    assert any("Rotational speed [rpm] <=" in c["condition"] for c in heat), heat
    assert not any("Rotational speed [rpm] *" in c["condition"] for c in heat), heat
