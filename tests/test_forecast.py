"""Demand forecasting: known seasonality and trend, intermittent demand, short series, bad input,
and a subset of the M3 competition scored against the published combination on the same subset."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("statsforecast")

from smartfactory.ai.evaluate import (
    read_m3,
    score,
    seasonal_naive,
    smape,
    split,
)
from smartfactory.ai.forecast import INTERMITTENT, REGULAR, Forecaster, forecast
from smartfactory.ai.series import prepare, read_series
from smartfactory.cli import main
from smartfactory.errors import ConfigError, InputError
from smartfactory.sim.calendar import Calendar
from smartfactory.sim.demand import ProductDemand

SEOUL = ZoneInfo("Asia/Seoul")

M3 = Path(__file__).resolve().parents[2] / "shared" / "data" / "m3" / "M3C.xls"


def sim_daily(days: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two products' daily demand from the simulator's demand model (weekly pattern, trend,
    yearly wave, lognormal noise, zero on Sundays and Korean public holidays), and its
    noise-free expectation."""
    start = date(2024, 1, 1)
    cal = Calendar.build(start, days)
    rng = np.random.default_rng(seed)
    products = [
        ProductDemand("P1", 400.0, 0.30, 0.15, 80.0, 0.12),
        ProductDemand("P2", 150.0, -0.10, 0.10, 200.0, 0.15),
    ]
    rows, truth = [], []
    day_idx = np.arange(days)
    dates = pd.date_range(start, periods=days, freq="D")
    for p in products:
        exp = p.expected(cal, day_idx)
        noise = np.exp(p.noise_sigma * rng.standard_normal(days) - p.noise_sigma**2 / 2)
        rows.append(pd.DataFrame({"unique_id": p.product, "ds": dates, "y": np.rint(exp * noise)}))
        truth.append(pd.DataFrame({"unique_id": p.product, "ds": dates, "y": exp}))
    return pd.concat(rows, ignore_index=True), pd.concat(truth, ignore_index=True)


def test_simulated_daily_demand_beats_seasonal_naive_and_knows_the_holidays():
    # 21 months of history; the held-out 4 weeks hold Chuseok 2025 (5–8 October) and Hangul Day
    days = (date(2025, 10, 19) - date(2024, 1, 1)).days + 1
    df, truth = sim_daily(days)
    sp = split(df, 28, "D")
    res = forecast(sp.train, h=28, freq="D", n_jobs=1)
    ours = score(sp, res.forecast)
    naive = score(sp, seasonal_naive(sp))
    assert ours["mase"] < 0.8 * naive["mase"], (ours, naive)
    fc = res.forecast.set_index(["unique_id", "ds"])
    for uid in ("P1", "P2"):
        # closed on the holidays and on Sundays: the forecast knows it
        for d in ("2025-10-06", "2025-10-07", "2025-10-09"):
            assert fc.loc[(uid, pd.Timestamp(d)), "yhat"] < 1.0
        # and close to the truth on working days (the noise has a 12–15 % spread)
        tail = truth[truth["ds"] >= sp.test["ds"].min()]
        t = tail[(tail["unique_id"] == uid) & (tail["y"] > 0)].set_index("ds")["y"]
        f = fc.loc[uid]["yhat"].reindex(t.index)
        assert smape(t.to_numpy(), f.to_numpy()) < 15
    # intervals are ordered and cover most of the held-out days
    lo, hi = res.forecast["yhat_lo_95"], res.forecast["yhat_hi_95"]
    assert (lo <= res.forecast["yhat"]).all() and (res.forecast["yhat"] <= hi).all()
    y = sp.test.set_index(["unique_id", "ds"])["y"].reindex(fc.index).to_numpy()
    assert np.mean((y >= lo.to_numpy() - 1e-9) & (y <= hi.to_numpy() + 1e-9)) > 0.8


def test_trend_and_season_are_recovered_in_monthly_demand():
    rng = np.random.default_rng(3)
    n = 72
    t = np.arange(n + 12)
    season = 1 + 0.3 * np.sin(2 * np.pi * t / 12)
    expected = (200 + 4 * t) * season
    y = expected * np.exp(0.05 * rng.standard_normal(len(t)))
    ds = pd.date_range("2019-01-01", periods=len(t), freq="MS")
    df = pd.DataFrame({"unique_id": "A", "ds": ds, "y": y})
    sp = split(df, 12, "M")
    res = forecast(sp.train, h=12, freq="M", n_jobs=1)
    f = res.forecast["yhat"].to_numpy()
    # within 8 % of the noise-free truth: the trend is continued and the wave kept in phase
    assert np.max(np.abs(f - expected[-12:]) / expected[-12:]) < 0.08
    assert np.argmax(f) == np.argmax(expected[-12:])
    assert score(sp, res.forecast)["mase"] < score(sp, seasonal_naive(sp))["mase"]


def seasonal_months(n_series: int, n: int = 60, seed: int = 11) -> pd.DataFrame:
    """Monthly series with different trends, seasonal amplitudes and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    rows = []
    for i in range(n_series):
        level = (100 + 50 * i) + (1.5 - i) * t
        wave = 1 + (0.1 + 0.1 * i) * np.sin(2 * np.pi * t / 12 + i)
        y = level * wave * np.exp((0.04 + 0.04 * i) * rng.standard_normal(n))
        ds = pd.date_range("2018-01-01", periods=n, freq="MS")
        rows.append(pd.DataFrame({"unique_id": f"M{i}", "ds": ds, "y": y}))
    return pd.concat(rows, ignore_index=True)


def test_default_weighs_the_six_members_by_their_cv_errors_or_equally_on_request():
    df = seasonal_months(2)
    sel = forecast(df, h=6, freq="M", n_jobs=1).selection
    for weights, cv in zip(sel["weights"], sel["member_cv_mase"], strict=True):
        assert list(weights) == list(REGULAR)
        assert set(cv) == set(REGULAR) and all(v is not None and v > 0 for v in cv.values())
        # 1 / CV MASE: the member with the lowest CV error gets the largest weight
        best = min(cv, key=cv.get)
        assert weights[best] == max(weights.values()) and weights[best] > 1 / len(REGULAR)
        assert sum(weights.values()) == pytest.approx(1.0)
    eq = forecast(df, h=6, freq="M", n_jobs=1, weighting="equal").selection
    for weights in eq["weights"]:
        assert np.allclose(list(weights.values()), 1 / len(REGULAR))


def test_the_selection_sweep_combines_exactly_as_the_library_does(monkeypatch):
    # benchmarks/forecast_selection.py scores variants from cached member fits: its twins of
    # the old and the new default must give the library's forecasts, or the sweep proves nothing
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "forecast_selection.py"
    spec = importlib.util.spec_from_file_location("forecast_selection", path)
    assert spec and spec.loader
    sweep = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "forecast_selection", sweep)  # its dataclasses need it
    spec.loader.exec_module(sweep)
    sp = split(seasonal_months(3, n=66), 12, "M")
    fc, cv = sweep._fit_chunk(sp.train, sp.h, sp.season, (*sweep.POOL, *sweep.POOL3))
    assert set(fc["member"]) == {*sweep.POOL, *sweep.POOL3}
    assert cv["mae"].notna().sum() > 0  # 54 points: CV windows at 42, 38 and 34 points
    for twin in (sweep.TWINS | sweep.TWINS3).values():
        assert sweep.check(sp, fc, cv, 3, twin) < 1e-9
    # and the variants differ from each other (the sweep compares something)
    a = sweep.combine(sweep.VARIANTS[0], fc, cv, sp)["yhat"].to_numpy()
    b = sweep.combine(sweep.VARIANTS[7], fc, cv, sp)["yhat"].to_numpy()
    assert not np.allclose(a, b)


def test_mfles_is_refitted_in_the_configuration_it_chose():
    # AutoMFLES chooses a configuration by its own CV and does not keep it; the member keeps
    # it, forecasts as statsforecast's AutoMFLES does and refits that one configuration only
    from statsforecast.models import AutoMFLES

    from smartfactory.ai.combine import _auto, _fixed

    y = seasonal_months(4, n=72)["y"].to_numpy(dtype=float)
    fitted = _auto("mfles", 12, 6).fit(y)
    expected = AutoMFLES(test_size=6, season_length=12).forecast(y=y, h=6)["mean"]
    assert np.allclose(fitted.predict(h=6)["mean"], expected)
    assert set(fitted.model_) >= {"smoother", "seasonal_period"}
    refit = _fixed("mfles", 12, fitted)
    assert refit.chosen == fitted.model_
    assert np.allclose(refit.forecast(y=y, h=6)["mean"], expected)
    assert "mfles" in REGULAR  # a default member since decision 15
    res = forecast(seasonal_months(2), h=6, freq="M", n_jobs=1)
    for weights, cv in zip(res.selection["weights"], res.selection["member_cv_mase"], strict=True):
        assert "mfles" in weights and cv["mfles"] > 0
    assert {"yhat_lo_80", "yhat_hi_95"} <= set(res.forecast.columns)  # from the other members


def test_arima_members_are_refitted_in_the_orders_they_chose():
    # the CV refits of an AutoARIMA member keep the orders of its full-history fit (before, each
    # CV origin redid the whole search); on the same data the refit forecasts the same
    from smartfactory.ai.combine import _auto, _fixed

    y = seasonal_months(1, n=72)["y"].to_numpy()
    for name in ("arima", "arima_fast"):
        fitted = _auto(name, 12).fit(y)
        p, q, sp_, sq, m, d, sd = fitted.model_["arma"][:7]
        refit = _fixed(name, 12, fitted)
        assert (refit.order, refit.seasonal_order, refit.season_length) == (
            (p, d, q),
            (sp_, sd, sq),
            m,
        )
        again = refit.forecast(y=y, h=6)["mean"]
        assert np.allclose(again, fitted.predict(h=6)["mean"], rtol=1e-6)
    res = forecast(
        seasonal_months(2), h=6, freq="M", n_jobs=1, candidates=(*REGULAR, "arima_fast", "airline")
    )
    for weights, cv in zip(res.selection["weights"], res.selection["member_cv_mase"], strict=True):
        assert {"arima_fast", "airline"} <= set(weights) and cv["arima_fast"] > 0


def _orders_csv(rows: list[tuple[str, str, int]]) -> str:
    lines = ["order,product,quantity,due,received"]
    for i, (product, received, qty) in enumerate(rows):
        lines.append(f"O{i},{product},{qty},{received},{received}")
    return "\n".join(lines) + "\n"


def test_demand_from_the_store_uses_complete_periods_only(store, write, load):
    from smartfactory.ai.series import demand_from_store

    # orders every day from Wednesday 8 January to Saturday 15 March 2025 (Seoul): the first
    # and the last week are only partly covered; B is no longer ordered after 9 February
    days = pd.date_range("2025-01-08", "2025-03-15", freq="D")
    rows = [("A", f"{d:%Y-%m-%d}T10:00:00+09:00", 100) for d in days]
    rows += [
        ("B", f"{d:%Y-%m-%d}T11:00:00+09:00", 20) for d in days if d < pd.Timestamp("2025-02-10")
    ]
    assert load(write("orders.csv", _orders_csv(rows))).result.accepted == len(rows)

    weekly = demand_from_store(store, freq="W")
    a = weekly.df[weekly.df["unique_id"] == "A"]
    b = weekly.df[weekly.df["unique_id"] == "B"]
    # Monday 13 January … Monday 3 March: every week whole, 7 × 100 (no drop at either end)
    assert a["ds"].min() == pd.Timestamp("2025-01-13") and a["ds"].max() == pd.Timestamp(
        "2025-03-03"
    )
    assert (a["y"] == 700).all() and len(a) == 8
    # B runs to the same last week, with zero demand once nobody orders it
    assert b["ds"].max() == pd.Timestamp("2025-03-03")
    assert b.set_index("ds")["y"].loc["2025-02-10":].eq(0).all()
    assert weekly.report.window == ("2025-01-13", "2025-03-03")
    assert weekly.report.partial_periods == ["2025-01-06", "2025-03-10"]
    assert weekly.report.as_dict()["partial_periods_left_out"] == ["2025-01-06", "2025-03-10"]

    # the forecast of A is its weekly level, not pulled down by a part-week
    res = forecast(weekly.df[weekly.df["unique_id"] == "A"], h=4, freq="W", n_jobs=1)
    assert np.allclose(res.forecast["yhat"], 700, rtol=0.02)

    # an explicit end on a Monday closes the week before it; months: January starts on the 8th
    closed = demand_from_store(store, freq="W", end=datetime(2025, 3, 10, tzinfo=SEOUL))
    assert closed.df["ds"].max() == pd.Timestamp("2025-03-03")
    assert closed.report.partial_periods == ["2025-01-06"]
    monthly = demand_from_store(store, freq="M")
    assert monthly.report.window == ("2025-02-01", "2025-02-01")
    assert monthly.df.set_index(["unique_id", "ds"])["y"].loc[("A", "2025-02-01")] == 2800

    # not one complete period (a day of orders, weekly): what there is, rather than nothing
    one = demand_from_store(store, freq="W", end=datetime(2025, 1, 9, tzinfo=SEOUL))
    assert one.report.window is None and len(one.df) == 2


def test_a_year_of_weekly_demand_is_cross_validated():
    # 60 weeks: too short for the weekly season (two years) but not for CV on 10-point
    # origins; before, every weekly product under two years got equal weights and no CV error
    rng = np.random.default_rng(5)
    t = np.arange(60)
    rows = []
    for i, slope in enumerate((2.0, -1.0)):
        y = 300 + slope * t + 20 * rng.standard_normal(60)
        ds = pd.date_range("2024-01-01", periods=60, freq="W-MON")
        rows.append(pd.DataFrame({"unique_id": f"W{i}", "ds": ds, "y": y}))
    sel = forecast(pd.concat(rows), h=8, freq="W", n_jobs=1).selection
    for r in sel.to_dict(orient="records"):
        assert r["kind"] == "regular" and np.isfinite(r["cv_mase"]) and r["cv_mase"] > 0
        assert len(set(round(w, 6) for w in r["weights"].values())) > 1  # weighted by CV
        assert "too short" not in (r["note"] or "")


def test_intermittent_demand_gets_the_croston_family():
    rng = np.random.default_rng(5)
    n = 120
    occurs = rng.random((3, n)) < 0.25
    sizes = rng.poisson(8, (3, n)) + 1
    rows = [
        pd.DataFrame(
            {
                "unique_id": f"S{i}",
                "ds": pd.date_range("2024-01-01", periods=n, freq="W-MON"),
                "y": (occurs[i] * sizes[i]).astype(float),
            }
        )
        for i in range(3)
    ]
    df = pd.concat(rows, ignore_index=True)
    res = forecast(df, h=8, freq="W", n_jobs=1)
    sel = res.selection.set_index("unique_id")
    assert (sel["kind"] == "intermittent").all()
    assert sel["method"].isin(INTERMITTENT).all()
    # a demand rate, not a spike: near the mean demand per week (0.25 × 9)
    per_week = res.forecast.groupby("unique_id")["yhat"].mean()
    assert ((per_week > 0.8) & (per_week < 4.5)).all(), per_week
    assert (res.forecast["yhat_lo_80"] >= 0).all()
    assert (res.forecast["yhat_hi_80"] > res.forecast["yhat"]).all()


def test_a_series_of_three_points_gets_a_clear_answer():
    df = pd.DataFrame(
        {
            "unique_id": ["new"] * 3 + ["old"] * 30,
            "ds": list(pd.date_range("2025-01-01", periods=3, freq="MS"))
            + list(pd.date_range("2022-10-01", periods=30, freq="MS")),
            "y": [10.0, 14.0, 12.0, *np.linspace(50, 80, 30)],
        }
    )
    res = forecast(df, h=4, freq="M", n_jobs=1)
    sel = res.selection.set_index("unique_id")
    assert sel.at["new", "kind"] == "short" and sel.at["new", "method"] == "average"
    assert "only 3 points" in sel.at["new", "note"]
    new = res.forecast[res.forecast["unique_id"] == "new"]
    assert np.allclose(new["yhat"], 12.0)
    assert list(new["ds"].dt.strftime("%Y-%m")) == ["2025-04", "2025-05", "2025-06", "2025-07"]
    assert sel.at["old", "kind"] == "regular"


def test_bad_rows_are_reported_and_the_rest_is_forecast(tmp_path):
    path = tmp_path / "demand.csv"
    lines = ["제품,날짜,수량"]
    for i in range(36):
        month = pd.Timestamp("2022-01-01") + pd.DateOffset(months=i)
        if i != 7:  # a gap: A had no orders that month
            lines.append(f"A,{month:%Y-%m-%d},{100 + 3 * i}")
        lines.append(f"B,{month:%Y-%m-%d},{50 + (i % 12)}")
    lines += [
        "A,2022-03-01,999",  # duplicate of a date A already has
        "A,2024-12-01,-5",  # negative
        "B,2023-05-01,n/a",  # not a number (and B already has that month)
        "B,2024-13-01,12",  # not a date
        ",2023-01-01,7",  # no product
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    series = read_series(path, freq="M")
    rep = series.report.as_dict()
    assert rep["by_reason"] == {
        "duplicate": 1,
        "negative": 1,
        "not_a_number": 1,
        "bad_date": 1,
        "missing_id": 1,
    }
    assert {r["line"] for r in rep["rejected_rows"]} == set(range(len(lines) - 4, len(lines) + 1))
    # the gap is zero demand; the rejected rows' months also have a good row: kept as they are
    assert rep["gaps_filled"] == {"A": 1} and rep["interpolated"] == {}
    a = series.df[series.df["unique_id"] == "A"].set_index("ds")["y"]
    assert a[pd.Timestamp("2022-08-01")] == 0 and a[pd.Timestamp("2022-03-01")] == 106
    res = forecast(series, h=6, n_jobs=1)
    assert set(res.forecast["unique_id"]) == {"A", "B"}
    assert res.forecast["yhat"].notna().all()


def test_a_rejected_month_inside_a_series_is_interpolated_not_zero():
    df = pd.DataFrame(
        {
            "unique_id": ["A"] * 5,
            "ds": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"],
            "y": ["10", "12", "oops", "16", "18"],
        }
    )
    s = prepare(df, freq="M")
    assert s.report.interpolated == {"A": 1} and not s.report.gaps
    assert s.df["y"].tolist() == [10, 12, 14, 16, 18]


def test_nothing_usable_and_wrong_settings_are_clear_errors():
    with pytest.raises(InputError, match="none of the 2 rows"):
        prepare(pd.DataFrame({"product": ["A", "B"], "date": ["x", "y"], "qty": [1, 2]}))
    with pytest.raises(InputError, match="cannot find the columns"):
        prepare(pd.DataFrame({"a": [1], "b": [2]}))
    ok = pd.DataFrame(
        {"unique_id": ["A"] * 6, "ds": pd.date_range("2024-01-01", periods=6), "y": np.arange(6.0)}
    )
    with pytest.raises(ConfigError, match="horizon"):
        Forecaster(0).fit(ok)
    with pytest.raises(ConfigError, match="frequency"):
        Forecaster(3, freq="fortnightly").fit(ok)
    with pytest.raises(ConfigError, match="between 0 and 100"):
        Forecaster(3, levels=(80, 120)).fit(ok)
    with pytest.raises(ConfigError, match="unknown weighting"):
        Forecaster(3, weighting="best").fit(ok)


def test_cli_prints_the_issue_columns_and_reports_rejected_rows(tmp_path):
    path = tmp_path / "d.csv"
    months = pd.date_range("2022-01-01", periods=30, freq="MS")
    text = "product,date,quantity\n" + "".join(
        f"X,{m:%Y-%m-%d},{100 + 10 * np.sin(i)}\n" for i, m in enumerate(months)
    )
    path.write_text(text + "X,2022-02-01,abc\n")
    r = CliRunner().invoke(
        main,
        ["forecast", "--data", str(path), "--horizon", "3", "--level", "80", "95", "--jobs", "1"],
    )
    assert r.exit_code == 0, r.output
    header = r.stdout.splitlines()[0]
    assert header == "unique_id,ds,yhat,yhat_lo_80,yhat_hi_80,yhat_lo_95,yhat_hi_95"
    assert len(r.stdout.strip().splitlines()) == 4
    assert "not_a_number" in r.stderr and "line 32" in r.stderr
    j = CliRunner().invoke(
        main, ["forecast", "--data", str(path), "-h", "2", "--format", "json", "--jobs", "1"]
    )
    assert j.exit_code == 0, j.output
    body = json.loads(j.stdout)
    assert body["input"]["by_reason"] == {"not_a_number": 1}
    assert body["selection"][0]["method"]


def test_cli_members_choose_the_combination_and_unknown_ones_are_named(tmp_path):
    path = tmp_path / "d.csv"
    months = pd.date_range("2021-01-01", periods=48, freq="MS")
    path.write_text(
        "product,date,quantity\n"
        + "".join(f"X,{m:%Y-%m-%d},{100 + 20 * np.sin(i / 2)}\n" for i, m in enumerate(months))
    )
    args = ["forecast", "--data", str(path), "-h", "3", "--format", "json", "--jobs", "1"]
    r = CliRunner().invoke(main, [*args, "--members", "ets, theta_classic"])
    assert r.exit_code == 0, r.output
    (sel,) = json.loads(r.stdout)["selection"]
    assert set(sel["weights"]) == {"ets", "theta_classic"}
    bad = CliRunner().invoke(main, [*args, "--members", "ets,prophet"])
    assert bad.exit_code != 0 and "unknown prophet" in bad.output


def test_cli_evaluate_on_a_file_scores_against_seasonal_naive(tmp_path):
    df, _ = sim_daily(200, seed=2)
    path = tmp_path / "daily.csv"
    df.assign(ds=df["ds"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    r = CliRunner().invoke(
        main,
        [
            "forecast",
            "evaluate",
            "--data",
            str(path),
            "-h",
            "14",
            "--format",
            "json",
            "--jobs",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    (ev,) = json.loads(r.stdout)
    assert ev["ours"]["series"] == 2 and ev["season"] == 7
    assert ev["ours"]["mase"] < ev["naive"]["mase"]


@pytest.fixture(scope="module")
def m3_subset() -> dict[str, dict[str, float]]:
    """60 M3 monthly series (every 24th), h = 18: our forecast, the mean of AutoETS, AutoARIMA
    and Theta (the published benchmark's recipe), AutoETS alone and the seasonal naive
    forecast, all scored on the same held-out split."""
    if not M3.exists():
        pytest.skip("needs ../shared/data/m3")
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, Theta

    series, h = read_m3(M3, "monthly")
    ids = series.ids[::24]
    sp = split(series.df[series.df["unique_id"].isin(ids)], h, "M", 12)
    ours = score(sp, forecast(sp.train, h=h, freq="M", n_jobs=2).forecast)
    sf = StatsForecast(
        models=[AutoETS(season_length=12), AutoARIMA(season_length=12), Theta(season_length=12)],
        freq="MS",
        n_jobs=2,
    )
    raw = sf.forecast(df=sp.train, h=h)
    raw["yhat"] = raw[["AutoETS", "AutoARIMA", "Theta"]].mean(axis=1)
    return {
        "ours": ours,
        "ets": score(sp, raw, col="AutoETS"),
        "combination": score(sp, raw),
        "naive": score(sp, seasonal_naive(sp)),
    }


@pytest.mark.slow
def test_m3_monthly_subset_beats_seasonal_naive(m3_subset):
    ours, naive = m3_subset["ours"], m3_subset["naive"]
    assert ours["series"] == m3_subset["combination"]["series"] == 60
    assert ours["smape"] < 0.95 * naive["smape"] and ours["mase"] < 0.9 * naive["mase"]


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="not reached on this subset: statsforecast's ETS+ARIMA+Theta mean scores sMAPE "
    "15.38 / MASE 0.776 and AutoETS alone 15.52 / 0.801, against our 15.48 / 0.801 (on all "
    "1,428 series ours is 13.37 / 0.826 and AutoETS 14.16 / 0.863; AutoARIMA is not a "
    "default member: alone it takes longer than the 5-minute budget on all of M3 monthly)",
)
def test_m3_monthly_subset_beats_the_ets_arima_theta_combination(m3_subset):
    assert m3_subset["ours"]["smape"] < m3_subset["combination"]["smape"]
