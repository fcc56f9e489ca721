"""Loss waterfall, six big losses and downtime Pareto add up to the buckets they come from."""

from __future__ import annotations

import pytest

import test_kpi
from smartfactory.kpi.engine import KpiQuery, compute
from smartfactory.kpi.losses import downtime_pareto, six_big_losses, waterfall
from smartfactory.store.db import Store
from test_kpi import local, put


@pytest.fixture
def example() -> Store:
    s = Store(":memory:")
    test_kpi.test_worked_example(s)  # the hand-checked day, loaded into s
    yield s
    s.close()


def test_waterfall_steps_add_up(example):
    (row,) = compute(example, KpiQuery()).to_pylist()
    steps = {st.name: st.seconds for st in waterfall(row)}
    assert steps["period"] - steps["planned_down"] - steps["no_data"] == steps["planned_busy_time"]
    assert steps["planned_busy_time"] - sum(
        steps[k] for k in ("breakdowns", "minor_stops", "setup", "idle")
    ) == pytest.approx(steps["actual_production_time"])
    assert steps["actual_production_time"] - steps["reduced_speed"] == pytest.approx(
        steps["net_production_time"]
    )
    assert steps["net_production_time"] - steps["defects"] == pytest.approx(
        steps["fully_productive_time"]
    )
    assert steps["fully_productive_time"] / steps["planned_busy_time"] == pytest.approx(row["oee"])
    assert (steps["breakdowns"], steps["minor_stops"]) == (3600, 60)


def test_six_big_losses_and_fully_productive_time_fill_the_planned_busy_time(example):
    (row,) = compute(example, KpiQuery()).to_pylist()
    six = six_big_losses(row)
    full = waterfall(row)[-1].seconds
    assert sum(six.values()) + full == pytest.approx(row["pbt_s"])
    assert six["setup_and_adjustments"] == 1800


def test_downtime_pareto(example):
    example.con.execute("UPDATE states SET reason = 'jam' WHERE state = 'down'")
    rows = downtime_pareto(example, KpiQuery()).to_pylist()
    assert [(r["reason"], r["seconds"], r["events"]) for r in rows] == [
        ("jam", 3600, 1),
        ("minor_stop", 60, 1),
    ]
    assert rows[-1]["cumulative"] == pytest.approx(1.0)
    with_idle = downtime_pareto(example, KpiQuery(), ("down", "idle", "setup")).to_pylist()
    assert {r["state"] for r in with_idle} == {"down", "idle", "setup"}


def test_pareto_clips_to_the_range():
    s = Store(":memory:")
    put(
        s,
        equipment=[("acme", "p1", "a", "L1", "M1")],
        states=[("M1", local(3, 8), local(3, 12), "down")],
    )
    s.con.execute("UPDATE states SET reason = 'F1'")
    (row,) = downtime_pareto(s, KpiQuery(start=local(3, 10), end=local(3, 16))).to_pylist()
    assert (row["seconds"], row["events"]) == (7200, 0)  # began before the range
