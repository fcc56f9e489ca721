"""SPC: constants against the printed tables, textbook examples, rule firing on constructed
series, capability computed independently, and charts of stored data."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from smartfactory.cli import main
from smartfactory.errors import InputError, NotFoundError
from smartfactory.ingest.importer import import_files
from smartfactory.quality import monitor
from smartfactory.quality.spc import (
    Chart,
    c_chart,
    capability,
    check_rules,
    constants,
    imr,
    np_chart,
    p_chart,
    u_chart,
    xbar_r,
    xbar_s,
)
from smartfactory.sim import simulate
from smartfactory.store.db import Store

# Montgomery, Introduction to Statistical Quality Control, Appendix VI (3 decimals)
TABLE = {
    2: {"A2": 1.880, "D3": 0.0, "D4": 3.267, "d2": 1.128, "c4": 0.7979, "A3": 2.659, "B4": 3.267},
    5: {"A2": 0.577, "D3": 0.0, "D4": 2.114, "d2": 2.326, "c4": 0.9400, "A3": 1.427, "B4": 2.089},
    10: {"A2": 0.308, "D3": 0.223, "D4": 1.777, "c4": 0.9727, "A3": 0.975, "B3": 0.284},
    25: {"A3": 0.606, "c4": 0.9896, "B3": 0.565, "B4": 1.435, "D3": 0.459, "D4": 1.541},
}


@pytest.mark.parametrize("n", sorted(TABLE))
def test_constants_match_the_printed_table(n):
    got = constants(n)
    for name, value in TABLE[n].items():
        assert got[name] == pytest.approx(value, abs=1.5e-3), name


def test_xbar_r_by_hand():
    groups = [[10, 12, 11], [11, 13, 12], [9, 10, 11], [12, 12, 12]]
    ch = xbar_r(groups)
    # means 11, 12, 10, 12; ranges 2, 2, 2, 0: R̄ = 1.5, x̿ = 11.25, A2(3) = 1.023, D4(3) = 2.574
    assert ch.main.center[0] == pytest.approx(11.25)
    assert ch.main.ucl[0] == pytest.approx(11.25 + 1.023 * 1.5, abs=1e-3)
    assert ch.main.lcl[0] == pytest.approx(11.25 - 1.023 * 1.5, abs=1e-3)
    assert ch.spread is not None and ch.spread.ucl[0] == pytest.approx(2.574 * 1.5, abs=1e-3)
    assert ch.spread.lcl[0] == 0.0 and list(ch.spread.values) == [2, 2, 2, 0]


def test_xbar_s_against_numpy():
    rng = np.random.default_rng(1)
    groups = rng.normal(50, 2, (20, 12))
    ch = xbar_s(groups)
    sbar = groups.std(axis=1, ddof=1).mean()
    c4, a3 = constants(12)["c4"], constants(12)["A3"]
    assert ch.main.center[0] == pytest.approx(groups.mean())
    assert ch.main.ucl[0] == pytest.approx(groups.mean() + a3 * sbar)
    assert ch.spread is not None
    assert ch.spread.ucl[0] == pytest.approx(constants(12)["B4"] * sbar)
    assert ch.spread.center[0] == pytest.approx(sbar) and c4 < 1


def test_imr_against_the_formula():
    x = np.array([10.0, 10.5, 9.8, 10.2, 10.9, 10.1, 9.7, 10.0])
    ch = imr(x)
    mrbar = np.abs(np.diff(x)).mean()
    assert ch.main.ucl[0] == pytest.approx(x.mean() + 2.66 * mrbar, rel=1e-3)
    assert ch.spread is not None and ch.spread.ucl[0] == pytest.approx(3.267 * mrbar, rel=1e-3)
    assert math.isnan(ch.spread.values[0])


def test_p_chart_montgomery_orange_juice_cans():
    """Montgomery Example 7.1: 30 samples of 50 cans; samples 15 and 23 are out of control."""
    d = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15]
    d += [9, 12, 7, 13, 9, 6]
    ch = p_chart(d, [50] * 30)
    assert ch.main.center[0] == pytest.approx(0.2313, abs=1e-4)
    assert ch.main.ucl[0] == pytest.approx(0.4102, abs=1e-4)
    assert ch.main.lcl[0] == pytest.approx(0.0524, abs=1e-4)
    assert ch.violations["nelson-1"] == [14, 22]
    n = np_chart(d, 50)
    assert n.main.center[0] == pytest.approx(50 * 0.23133, abs=1e-3)
    assert n.violations["nelson-1"] == [14, 22]


def test_c_chart_montgomery_circuit_boards():
    """Montgomery Example 7.3: nonconformities in 26 samples of 100 boards; c̄ = 19.85."""
    c = [21, 24, 16, 12, 15, 5, 28, 20, 31, 25, 20, 24, 16, 19, 10, 17, 13, 22, 18, 39, 30]
    c += [24, 16, 19, 17, 15]
    ch = c_chart(c)
    assert ch.main.center[0] == pytest.approx(19.85, abs=0.01)
    assert ch.main.ucl[0] == pytest.approx(33.22, abs=0.01)
    assert ch.main.lcl[0] == pytest.approx(6.48, abs=0.01)
    assert ch.violations["nelson-1"] == [5, 19]


def test_u_and_p_limits_vary_with_size():
    counts, units = np.array([3, 8, 4, 12]), np.array([100, 200, 100, 400])
    ch = u_chart(counts, units)
    ubar = counts.sum() / units.sum()
    assert list(ch.main.ucl) == pytest.approx(ubar + 3 * np.sqrt(ubar / units))
    p = p_chart([1, 2, 0], [10, 40, 20])
    assert p.main.lcl.min() == 0.0 and p.main.ucl[0] > p.main.ucl[1]


def _z(values: list[float]) -> Chart:
    v = np.asarray(values, float)
    n = len(v)
    return Chart("i", v, np.zeros(n), np.full(n, -3.0), np.full(n, 3.0), np.ones(n))


@pytest.mark.parametrize(
    ("rule", "series", "first"),
    [
        ("nelson-1", [0.2, -0.3, 3.5, 0.1], 2),
        ("nelson-2", [-0.2] + [0.5] * 9, 9),
        ("nelson-3", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 5),
        ("nelson-4", [0.5 if i % 2 else -0.5 for i in range(14)], 13),
        ("nelson-5", [0.0, 2.5, -0.5, 2.4], 3),
        ("nelson-6", [1.5, 1.2, 0.2, 1.4, 1.6], 4),
        ("nelson-7", [0.3 * math.sin(i) for i in range(15)], 14),
        ("nelson-8", [1.5 if i % 3 else -1.5 for i in range(8)], 7),
    ],
)
def test_each_nelson_rule_fires_where_its_pattern_completes(rule, series, first):
    hits = check_rules(_z(series), "nelson")
    assert hits[rule][0] == first, hits


def test_western_electric_rules():
    hits = check_rules(_z([-0.1] + [0.4] * 8), "western_electric")
    assert hits == {"we-4": [8]}  # eight in a row on one side; Nelson needs nine
    assert "nelson-2" not in check_rules(_z([-0.1] + [0.4] * 8), "nelson")
    assert check_rules(_z([0.0, 2.2, 2.1]), "western_electric")["we-2"] == [2]


def test_runs_continue_and_missing_points_break_them():
    hits = check_rules(_z([0.5] * 11), "nelson")
    assert hits["nelson-2"] == [8, 9, 10]
    broken = check_rules(_z([0.5] * 5 + [math.nan] + [0.5] * 5), "nelson")
    assert "nelson-2" not in broken


def test_capability_computed_independently():
    rng = np.random.default_rng(7)
    groups = rng.normal(10.0, 0.1, (40, 5))
    cap = capability(groups, 9.6, 10.5)
    rbar = np.ptp(groups, axis=1).mean()
    sw, so, mu = rbar / 2.326, groups.std(ddof=1), groups.mean()
    assert cap.cp == pytest.approx(0.9 / (6 * sw), rel=2e-3)
    assert cap.cpk == pytest.approx(min(10.5 - mu, mu - 9.6) / (3 * sw), rel=2e-3)
    assert cap.pp == pytest.approx(0.9 / (6 * so))
    assert cap.ppk == pytest.approx(min(10.5 - mu, mu - 9.6) / (3 * so))
    one = capability(groups, None, 10.5)
    assert one.cp is None and one.cpk == pytest.approx((10.5 - mu) / (3 * sw), rel=2e-3)
    single = capability(groups.ravel(), 9.6, 10.5)  # single values: sigma from moving ranges
    mr = np.abs(np.diff(groups.ravel())).mean() / 1.128
    assert single.sigma_within == pytest.approx(mr, rel=1e-3)


def test_bad_input_says_what_to_do():
    with pytest.raises(InputError, match="I-MR"):
        xbar_r([[1.0], [2.0]])
    with pytest.raises(InputError, match="X̄-S"):
        xbar_r([list(range(30)), list(range(30))])
    with pytest.raises(InputError, match="specification"):
        capability([[1, 2], [2, 3]], None, None)
    with pytest.raises(InputError):
        p_chart([5], [3])


# -- stored data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("spc")
    summary = simulate(d / "sim", machines=4, days=14, seed=5)
    db = d / "plant.duckdb"
    with Store(db) as s:
        import_files(s, [Path(p) for p in summary["files"].values()])
    return db


def test_characteristic_chart_from_inspections(plant):
    with Store(plant) as s:
        chars = {c["characteristic"]: c for c in monitor.characteristics(s)}
        assert "wall_thickness" in chars
        res = monitor.characteristic_chart(s, "wall_thickness")
        n_rows = s.scalar(
            "SELECT count(DISTINCT lot) FROM inspections WHERE characteristic = 'wall_thickness'"
        )
        assert res.chart.kind == "xbar-r" and len(res.chart.labels) == n_rows
        assert res.capability is not None and res.capability.lsl == chars["wall_thickness"]["lsl"]
        imr_res = monitor.characteristic_chart(s, "wall_thickness", chart="i-mr")
        assert len(imr_res.chart.main.values) == chars["wall_thickness"]["n"]
        with pytest.raises(NotFoundError, match="wall_thickness"):
            monitor.characteristic_chart(s, "colour")


def test_a_characteristic_with_limits_per_product_is_charted_per_product(plant):
    with Store(plant) as s:
        rows = monitor.characteristics(s)
        weight = {
            r["product"]: (r["lsl"], r["usl"]) for r in rows if r["characteristic"] == "weight"
        }
        # the simulated parts weigh 85, 42, 16 and 6 g: one row, and one chart, per product
        assert len(weight) >= 2 and None not in weight
        assert len(set(weight.values())) == len(weight)
        assert [r["product"] for r in rows if r["characteristic"] == "wall_thickness"] == [None]
        with pytest.raises(InputError, match="limits differ by product"):
            monitor.characteristic_chart(s, "weight")
        product, (lsl, usl) = next(iter(weight.items()))
        one = monitor.characteristic_chart(s, "weight", product=product)
        assert one.capability is not None and (one.capability.lsl, one.capability.usl) == (lsl, usl)
        # on its own chart each part has a Cpk near 1, not the -40 of a chart mixing the parts
        status = monitor.characteristic_status(s)
        assert len(status) == len(rows)
        assert all(r["cpk"] > 0.5 for r in status if r["characteristic"] == "weight")
        order = [r["status"] for r in status]
        assert order == sorted(order, key=["alarm", "incapable", "ok"].index)
        for r in status:
            if r["status"] == "alarm":
                assert 0 < r["recent_alarms"] <= 25 and r["last_alarm"]["rule"].startswith("nelson")


def test_scrap_charts_and_pareto_add_up(plant):
    with Store(plant) as s:
        total = s.scalar("SELECT sum(scrap) FROM counts")
        res = monitor.scrap_chart(s, chart="c")
        assert res.chart.main.values.sum() == total
        p = monitor.scrap_chart(s, chart="p", machine="M01")
        assert 0 < p.chart.main.center[0] < 0.2
        rows = monitor.defect_pareto(s, "machine")
        assert sum(r["defects"] for r in rows) == total
        # narrowed to one machine or one product, the Pareto counts only their scrap
        m01 = monitor.defect_pareto(s, "product", machine="M01")
        assert sum(r["defects"] for r in m01) == s.scalar(
            "SELECT sum(scrap) FROM counts WHERE machine = 'M01'"
        )
        product = m01[0]["key"]
        one = monitor.defect_pareto(s, "machine", product=product)
        assert sum(r["defects"] for r in one) == s.scalar(
            "SELECT sum(scrap) FROM counts WHERE product = ?", [product]
        )
        spec = monitor.defect_pareto(s, "characteristic", machine="M01")
        checked = s.scalar("SELECT count(*) FROM inspections WHERE machine = 'M01'")
        assert 0 < sum(r["checked"] for r in spec) == checked
        # the simulated counts record no operator or tool: those are not offered
        dims = monitor.pareto_dimensions(s)
        assert dims == ["machine", "line", "product", "characteristic"]
        assert rows[-1]["cumulative"] == pytest.approx(1.0)
        assert rows == sorted(rows, key=lambda r: -r["defects"])
        with pytest.raises(InputError):
            monitor.defect_pareto(s, "colour")


def test_pareto_by_operator_and_tool(db_path, write):
    csv = (
        "machine,ts,product,good,scrap,lot,작업자,금형\n"
        "M1,2025-03-03 09:00,P1,90,10,L1,김민수,T-1\n"
        "M1,2025-03-03 10:00,P1,97,3,L1,이영희,T-1\n"
        "M2,2025-03-03 09:00,P1,95,5,L2,김민수,T-2\n"
        "M2,2025-03-03 10:00,P1,99,1,L2,,T-2\n"
    )
    with Store(db_path) as s:
        import_files(s, [write("c.csv", csv)])
        assert "operator" in monitor.pareto_dimensions(s)
        ops = monitor.defect_pareto(s, "operator")
        tools = monitor.defect_pareto(s, "tool")
    assert [(r["key"], r["defects"]) for r in ops] == [("김민수", 15), ("이영희", 3), ("?", 1)]
    assert ops[0]["rate"] == pytest.approx(15 / 200)
    assert [(r["key"], r["defects"]) for r in tools] == [("T-1", 13), ("T-2", 6)]


def test_spc_command_pareto(plant):
    run = CliRunner().invoke
    res = run(main, ["spc", "--db", str(plant), "--pareto", "machine", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    with Store(plant) as s:
        assert rows == monitor.defect_pareto(s, "machine")
        m01 = monitor.defect_pareto(s, "product", machine="M01")
    narrowed = run(
        main,
        ["spc", "--db", str(plant), "--pareto", "product", "--machine", "M01", "--format", "json"],
    )
    assert json.loads(narrowed.output) == m01 and m01 != rows
    text = run(main, ["spc", "--db", str(plant), "--pareto", "line"], terminal_width=160)
    assert text.exit_code == 0 and "Defect Pareto" in text.output and "cumulative" in text.output
    assert run(main, ["spc", "--db", str(plant), "--pareto", "colour"]).exit_code == 2


def test_spc_command(plant):
    run = CliRunner().invoke
    listing = run(main, ["spc", "--db", str(plant)], env={"COLUMNS": "200"})
    assert listing.exit_code == 0 and "wall_thickness" in listing.output and "Cpk" in listing.output
    out = run(main, ["spc", "wall_thickness", "--db", str(plant), "--format", "json"])
    d = json.loads(out.output)
    assert d["chart"]["kind"] == "xbar-r" and d["capability"]["cpk"] is not None
    u = run(main, ["spc", "scrap", "--chart", "u", "--db", str(plant)])
    assert u.exit_code == 0 and "u chart" in u.output
    bad = run(main, ["spc", "colour", "--db", str(plant)])
    assert bad.exit_code == 1 and "colour" in bad.output


def test_tools_command(db_path, write):
    csv = "machine,ts,product,good,scrap,tool\nM1,2025-03-03 09:00,P1,90,10,T-1\n"
    log = (
        "tool,ts,work,due_units\n"
        "T-1,2025-03-03 08:00,new insert,105\n"
        "T-2,2025-03-03 08:00,regrind,-5\n"  # refused: an interval must be above 0
    )
    with Store(db_path) as s:
        reps = import_files(s, [write("c.csv", csv), write("m.csv", log)])
    assert reps[1].result.by_reason == {"bad_value": 1}
    run = CliRunner().invoke
    rows = json.loads(run(main, ["tools", "--db", str(db_path), "--format", "json"]).output)
    assert [(r["tool"], r["units_since"], r["maintenances"]) for r in rows] == [("T-1", 100, 1)]
    # 100 of its 105 units used: due soon (from 90 %), 5 left
    assert (rows[0]["due_units"], rows[0]["units_left"], rows[0]["due"]) == (105, 5, "soon")
    xlsx = db_path.parent / "tools.xlsx"
    text = run(main, ["tools", "--db", str(db_path), "--out", str(xlsx)], env={"COLUMNS": "200"})
    assert text.exit_code == 0 and "new insert" in text.output and "10.00 %" in text.output
    assert "5 (soon)" in text.output
    assert f"wrote {xlsx}" in text.output.replace("\n", "")
    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    life, wear = wb["금형 수명 tool life"], wb["마모 곡선 wear"]
    assert [c.value for c in life[2]][:3] == ["T-1", "M1", 100]
    # Excel holds the site's wall-clock time (Asia/Seoul), not UTC
    assert life.cell(2, 7).value == datetime(2025, 3, 3, 8, 0)
    assert [c.value for c in wear[2]] == [0, 1, 100, 10, 0.1, 1]


def test_round_bin_widths():
    assert [monitor._nice_step(s, 12) for s in (100, 20_000, 119_000, 5)] == [10, 2000, 10_000, 1]
