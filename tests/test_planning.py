"""Production planning: stock balance, lots, safety stock, firm orders, capacity measured by the
KPI engine on a simulated plant, overload flags and the Excel export."""

from __future__ import annotations

import json
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("statsforecast")

from smartfactory.ai.planning import (
    LineCapacity,
    items_frame,
    measured_capacity,
    plan_from_store,
    plan_production,
    write_excel,
)
from smartfactory.cli import main
from smartfactory.errors import ConfigError, InputError
from smartfactory.kpi.engine import KpiQuery, compute
from smartfactory.store.db import Store

WEEKS = pd.date_range("2025-03-03", periods=4, freq="W-MON")


def weekly_forecast(product: str, values: list[float], half_width_95: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": product,
            "ds": WEEKS[: len(values)],
            "yhat": values,
            "yhat_lo_95": [max(0.0, v - half_width_95) for v in values],
            "yhat_hi_95": [v + half_width_95 for v in values],
        }
    )


def test_stock_balance_lots_and_safety_stock():
    fc = weekly_forecast("A", [80, 80, 120, 80], half_width_95=39.2)
    items = items_frame(
        pd.DataFrame({"제품": ["A"], "재고": [100], "로트크기": [50], "리드타임": [4]})
    )
    plan = plan_production(fc, items=items, cycle_s={"A": 36.0}, lines={"A": "L1"})
    rows = plan.rows
    sigma = 39.2 / NormalDist().inv_cdf(0.975)  # 20 units a week
    ss = NormalDist().inv_cdf(0.95) * sigma * 2  # z · σ · √4
    assert rows["safety_stock"].iloc[0] == pytest.approx(ss)
    # stock carried out = in + production − demand; never below safety stock; whole lots only
    assert np.allclose(rows["stock_out"], rows["stock_in"] + rows["production"] - rows["gross"])
    assert (rows["stock_out"] >= ss - 1e-9).all()
    assert (rows["production"] % 50 == 0).all()
    # week 1: 100 in stock, needs 80 + 65.8 → 50 (one lot) would leave 70 > ss
    assert rows["production"].iloc[0] == 50
    # each lot is the smallest that keeps the safety stock: one lot less would not
    short = rows["stock_out"] - 50
    assert ((short < ss) | (rows["production"] == 0)).all()
    assert rows["load_h"].iloc[0] == pytest.approx(50 * 36 / 3600)


def test_unknown_stock_starts_in_steady_state_and_says_so():
    # with no stock on hand given, the plan takes the safety stock as there: week 1 makes its
    # demand, not demand + a whole safety stock (which read as an overloaded first week)
    fc = pd.concat(
        [weekly_forecast("A", [80, 80, 80, 80], 39.2), weekly_forecast("B", [10] * 4, 5.0)]
    )
    items = items_frame(pd.DataFrame({"product": ["B"], "stock": [0]}))
    plan = plan_production(
        fc, items=items, cycle_s={"A": 36.0, "B": 36.0}, lines={"A": "L1", "B": "L1"}
    )
    a = plan.rows[plan.rows["product"] == "A"]
    assert a["stock_in"].iloc[0] == pytest.approx(a["safety_stock"].iloc[0])
    assert (a["production"] == 80).all()
    # B's stock was given as 0: its first week builds the safety stock
    b = plan.rows[plan.rows["product"] == "B"]
    assert b["stock_in"].iloc[0] == 0
    assert b["production"].iloc[0] == math.ceil(10 + b["safety_stock"].iloc[0])
    assert any("stock on hand not given for 1 product(s) (A)" in n for n in plan.notes)


def test_open_orders_consume_the_forecast_and_late_ones_come_first():
    fc = weekly_forecast("A", [100, 100, 100], half_width_95=0.0)
    orders = pd.DataFrame(
        {
            "product": ["A", "A", "A"],
            "week": [pd.Timestamp("2025-02-17"), WEEKS[1], WEEKS[2]],
            "quantity": [30.0, 250.0, 40.0],
        }
    )
    plan = plan_production(fc, orders=orders)
    gross = plan.rows.set_index("week")["gross"]
    # late orders (due before the plan starts) count in week 1: 30 < forecast 100
    assert gross[WEEKS[0]] == 100
    assert gross[WEEKS[1]] == 250  # a big firm order beats the forecast
    assert gross[WEEKS[2]] == 100  # a small one is part of the forecast


def test_overloaded_weeks_are_flagged_against_measured_capacity():
    fc = pd.concat(
        [
            weekly_forecast("A", [100, 400, 100, 100], 0.0),
            weekly_forecast("B", [100, 100, 100, 100], 0.0),
        ]
    )
    cap = [LineCapacity("L1", 40.0, 0.8, 0.9, 0.95, 8)]  # 28.8 ideal hours a week
    plan = plan_production(
        fc, capacity=cap, lines={"A": "L1", "B": "L1"}, cycle_s={"A": 360.0, "B": 180.0}
    )
    load = plan.load.set_index("week")
    # week 2: (400 × 360 + 100 × 180) s = 45 h of ideal time, ÷ 0.95 quality
    assert load.at[WEEKS[1], "load_h"] == pytest.approx(45 / 0.95)
    assert load.at[WEEKS[1], "capacity_h"] == pytest.approx(28.8)
    assert list(load["overloaded"]) == [False, True, False, False]
    assert list(plan.overloaded["week"]) == [WEEKS[1]]


def _five_weeks(a: list[float]) -> pd.DataFrame:
    weeks = pd.date_range("2025-03-03", periods=5, freq="W-MON")
    return pd.concat(
        [
            pd.DataFrame({"unique_id": "A", "ds": weeks, "yhat": a}),
            pd.DataFrame({"unique_id": "B", "ds": weeks, "yhat": [40.0] * 5}),
        ]
    )


def test_levelling_makes_ahead_what_overloads_a_week():
    # one line of 100 ideal hours a week; A takes 1 h a unit in lots of 5, B half an hour
    cap = [LineCapacity("L1", 100.0, 1.0, 1.0, 1.0, 8)]
    items = items_frame(pd.DataFrame({"product": ["A", "B"], "stock": [0, 0], "lot_size": [5, 1]}))
    kw = dict(
        items=items, capacity=cap, lines={"A": "L1", "B": "L1"}, cycle_s={"A": 3600.0, "B": 1800.0}
    )
    fc = _five_weeks([40, 40, 40, 200, 40])  # week 4: 200 h + 20 h against 100
    flat = plan_production(fc, **kw)
    assert list(flat.load["overloaded"]) == [False, False, False, True, False]
    plan = plan_production(fc, level=True, **kw)
    assert not plan.load["overloaded"].any()
    # the 120 h of excess went to the latest earlier weeks with room: 40 h in each of weeks 3, 2, 1
    assert list(plan.load["load_h"]) == pytest.approx([100, 100, 100, 100, 60])
    moves = plan.moves
    assert list(moves["to_week"].dt.strftime("%m-%d")) == ["03-17", "03-10", "03-03"]
    assert set(moves["product"]) == {"A"} and (moves["quantity"] % 5 == 0).all()
    assert moves["hours"].sum() == pytest.approx(120)
    rows = plan.rows
    # nothing made or lost: the same total; stock balances; never below (zero) safety stock
    assert rows["production"].sum() == flat.rows["production"].sum()
    assert np.allclose(rows["stock_out"], rows["stock_in"] + rows["production"] - rows["gross"])
    assert (rows["stock_out"] >= rows["safety_stock"] - 1e-9).all()
    a = rows[rows["product"] == "A"].set_index("week")["stock_out"]
    assert list(a) == [40, 80, 120, 0, 0]  # built up ahead, used in week 4
    assert any("120.0 h made ahead" in n for n in plan.notes)


def test_levelling_leaves_what_finds_no_room_flagged():
    cap = [LineCapacity("L1", 100.0, 1.0, 1.0, 1.0, 8)]
    items = items_frame(pd.DataFrame({"product": ["A", "B"], "stock": [0, 0], "lot_size": [5, 1]}))
    kw = dict(
        items=items, capacity=cap, lines={"A": "L1", "B": "L1"}, cycle_s={"A": 3600.0, "B": 1800.0}
    )
    # the first week has nothing before it; week 3's 360 h exceed what weeks 1–2 can take
    plan = plan_production(_five_weeks([150, 40, 340, 40, 40]), level=True, **kw)
    load = list(plan.load["load_h"])
    assert load[0] == pytest.approx(170) and load[1] == pytest.approx(100)
    assert load[2] == pytest.approx(360 - 40)
    assert list(plan.load["overloaded"]) == [True, False, True, False, False]


def test_missing_line_or_cycle_time_is_said_not_guessed():
    plan = plan_production(weekly_forecast("Z", [10, 10], 0.0))
    assert any("no line known" in n for n in plan.notes)
    assert any("no ideal cycle time" in n for n in plan.notes)
    assert plan.load.empty


def test_bad_items_and_settings_are_clear_errors():
    with pytest.raises(InputError, match="product"):
        items_frame(pd.DataFrame({"stock": [1]}))
    with pytest.raises(InputError, match="stock must be a number"):
        items_frame(pd.DataFrame({"product": ["A"], "stock": ["lots"]}))
    with pytest.raises(ConfigError, match="service level"):
        plan_production(weekly_forecast("A", [1], 0.0), service_level=1.2)


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated plant (4 machines, 10 weeks) imported into a real store."""
    from smartfactory.ingest.importer import import_files
    from smartfactory.sim import simulate

    root = tmp_path_factory.mktemp("plant")
    simulate(root / "sim", machines=4, days=70, seed=3)
    db = root / "plant.duckdb"
    with Store(db) as s:
        import_files(s, sorted((root / "sim").glob("*.csv")))
    return db


def test_capacity_is_the_kpi_engines_summed_buckets(plant):
    with Store(plant, read_only=True) as s:
        caps = {c.line: c for c in measured_capacity(s, history_weeks=4)}
        weeks = compute(s, KpiQuery(by=("line",), grain="week")).to_pandas()
    assert caps
    for line, c in caps.items():
        full = weeks[(weeks["line"] == line) & (weeks["period_s"] >= 7 * 86400 * 0.99)]
        last = full.sort_values("week").tail(4)
        assert c.weeks == 4
        assert c.availability == pytest.approx(last["apt_s"].sum() / last["pbt_s"].sum())
        assert c.effectiveness == pytest.approx(last["ideal_s"].sum() / last["apt_s"].sum())
        assert c.pbt_h_per_week == pytest.approx(last["pbt_s"].sum() / 3600 / 4)
        assert 0 < c.capacity_h < c.pbt_h_per_week


def test_plan_from_a_simulated_store_and_excel(plant, tmp_path):
    from openpyxl import load_workbook

    with Store(plant, read_only=True) as s:
        plan = plan_from_store(s, weeks=4, n_jobs=1)
        products = {r["product"] for r in s.rows("SELECT DISTINCT product FROM orders")}
    assert set(plan.rows["product"]) == products
    assert len(plan.rows) == 4 * len(products)
    assert plan.rows["line"].notna().all()
    assert (plan.load["capacity_h"] > 0).all() and (plan.load["load_h"] > 0).all()
    # the simulator loads lines to about 85 % of their capacity: the plan's weeks 2–4 agree
    later = plan.load[plan.load["week"] > plan.load["week"].min()]
    assert later["utilisation"].between(0.5, 1.3).all(), later
    out = write_excel(plan, tmp_path / "plan.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["생산계획 plan", "부하 load", "능력 capacity", "참고 notes"]
    ws = wb["부하 load"]
    assert ws.max_row == len(plan.load) + 1
    for row in ws.iter_rows(min_row=2):
        red = row[0].fill.fgColor.rgb == "00F8CBAD"
        assert red == bool(row[5].value)


def test_stock_counts_in_the_store_start_the_plan(plant, tmp_path):
    from smartfactory.ingest.importer import import_files
    from smartfactory.store.tenant import scoped

    db = tmp_path / "stock.duckdb"
    db.write_bytes(plant.read_bytes())
    with Store(db) as s:
        assert s.scalar("SELECT count(*) FROM stock") > 0  # the simulator counts every Monday
        s.con.execute("DELETE FROM stock")
        company = s.scalar("SELECT min(enterprise) FROM equipment")
        products = sorted(r["product"] for r in s.rows("SELECT DISTINCT product FROM orders"))
        p, q = products[0], products[1]
        f = tmp_path / "재고.csv"
        f.write_text(
            "기업,제품,기준시각,현재고\n"
            f"{company},{p},2025-03-01T08:00,500\n"
            f"{company},{p},2025-03-08T08:00,1234\n"  # the latest count wins
            f"{company},{q},2025-03-08T08:00,-5\n"  # refused: negative
            f"other-co,{q},2025-03-08T08:00,999\n",  # another company's count
            encoding="utf-8",
        )
        (report,) = import_files(s, [f])
        assert report.kind == "stock" and report.result.accepted == 3
        assert report.result.by_reason == {"negative_count": 1}
        # only the company's own counts are seen through its scope
        mine = scoped(s, company)
        assert mine.scalar("SELECT count(*) FROM stock") == 2
        plan = plan_from_store(mine, weeks=3, n_jobs=1)
        first = plan.rows.groupby("product").first()
        assert first.loc[p, "stock_in"] == 1234
        assert first.loc[q, "stock_in"] == pytest.approx(first.loc[q, "safety_stock"])
        assert any("stock counts for 1 product(s)" in n for n in plan.notes)
        # planning settings kept in the store: lot size and lead time of q
        g = tmp_path / "품목기준.csv"
        g.write_text(
            "기업,제품,로트크기,리드타임,서비스수준\n"
            f"{company},{q},250,2,0.9\n"
            f"{company},{p},0,1,\n",  # refused: a lot size of 0
            encoding="utf-8",
        )
        (kept,) = import_files(s, [g])
        assert kept.kind == "items" and kept.result.accepted == 1
        assert kept.result.by_reason == {"bad_value": 1}
        mine.close()
        mine = scoped(s, company)
        settled = plan_from_store(mine, weeks=3, n_jobs=1)
        rows = settled.rows[settled.rows["product"] == q]
        assert (rows["production"] % 250 == 0).all() and rows["production"].sum() > 0
        plain = plan.rows[plan.rows["product"] == q]
        z90, z95 = NormalDist().inv_cdf(0.9), NormalDist().inv_cdf(0.95)
        # safety stock: z(0.90)·σ·√2 instead of z(0.95)·σ·√1
        ratio = rows["safety_stock"].iloc[0] / plain["safety_stock"].iloc[0]
        assert ratio == pytest.approx(z90 * 2**0.5 / z95)
        # an items table's stock wins over the store's count
        items = items_frame(pd.DataFrame({"product": [p], "stock": [7], "lot_size": [10]}))
        with_items = plan_from_store(mine, weeks=3, items=items, n_jobs=1)
        assert with_items.rows.groupby("product").first().loc[p, "stock_in"] == 7
        mine.close()


def test_plan_command(plant, tmp_path):
    out = tmp_path / "p.xlsx"
    r = CliRunner().invoke(
        main,
        [
            "plan",
            "--db",
            str(plant),
            "--weeks",
            "3",
            "--out",
            str(out),
            "--format",
            "json",
            "--jobs",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert {"plan", "load", "capacity", "notes"} <= set(body)
    assert out.exists()
    bad = CliRunner().invoke(main, ["plan", "--db", str(plant), "--out", str(tmp_path / "p.csv")])
    assert bad.exit_code == 1 and ".xlsx" in bad.output
