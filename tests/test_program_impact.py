"""The impact estimator recovers a known effect and finds none where there is none."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smartfactory.errors import ConfigError
from smartfactory.program.impact import estimate_impact, synthetic_panel

ARGS = {"unit": "firm", "time": "year", "treated": "supported", "outcome": "y"}


def _run(seed: int, effect: float):
    df = synthetic_panel(seed, effect=effect)
    return estimate_impact(df, covariates=("x",), **ARGS)


def test_truth_inside_the_95_interval_in_at_least_90_of_100_seeds():
    results = [_run(seed, 2.0) for seed in range(100)]
    covered = sum(r.ci_low <= 2.0 <= r.ci_high for r in results)
    assert covered >= 90, covered
    assert all(r.significant for r in results)  # the effect is found every time
    assert sum(r.effect for r in results) / 100 == pytest.approx(2.0, abs=0.1)


def test_no_effect_is_reported_where_there_is_none():
    results = [_run(seed, 0.0) for seed in range(100)]
    assert sum(not r.significant for r in results) >= 90
    assert abs(sum(r.effect for r in results) / 100) < 0.1


def test_a_naive_comparison_is_biased_and_matching_removes_it():
    df = synthetic_panel(0, effect=0.0, confounding=1.0)
    pre, post = df["year"] < 2018, df["year"] >= 2018
    ever = df.groupby("firm")["supported"].transform("max") == 1
    naive = (df[post & ever]["y"].mean() - df[pre & ever]["y"].mean()) - (
        df[post & ~ever]["y"].mean() - df[pre & ~ever]["y"].mean()
    )
    r = estimate_impact(df, covariates=("x",), **ARGS)
    assert naive > 1.0  # firms that were supported grow faster anyway
    assert r.ci_low <= 0 <= r.ci_high
    assert r.n_treated == r.n_control > 50


def test_bad_panels_get_clear_errors():
    df = synthetic_panel(0)
    with pytest.raises(ConfigError, match="no column"):
        estimate_impact(df, **{**ARGS, "outcome": "sales"})
    with pytest.raises(ConfigError, match="never 1"):
        estimate_impact(df.assign(supported=0), **ARGS)
    with pytest.raises(ConfigError, match="0/1"):
        estimate_impact(df.assign(supported=df["supported"] * 2), **ARGS)


def test_cli_prints_the_json_the_issue_asks_for(tmp_path):
    from smartfactory.cli import main

    path = tmp_path / "panel.csv"
    synthetic_panel(3, effect=1.5).to_csv(path, index=False)
    r = CliRunner().invoke(
        main,
        [
            "program", "impact", "--panel", str(path), "--unit", "firm", "--time", "year",
            "--treated", "supported", "--outcome", "y", "--covariates", "x", "--format", "json",
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    for key in ("method", "effect", "ci_low", "ci_high", "n_treated", "n_control"):
        assert key in got
    assert got["method"] == "psm-did" and got["ci_low"] < 1.5 < got["ci_high"]
