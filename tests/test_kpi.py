"""The KPI engine: a worked example checked by hand, and the invariants that make it exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartfactory.kpi.engine import (
    BUCKETS,
    TIME_BUCKETS,
    KpiQuery,
    compute,
    set_shift_calendar,
)
from smartfactory.store.db import Store

SEOUL = ZoneInfo("Asia/Seoul")
STATE_PARTS = ("planned_down_s", "apt_s", "asut_s", "adet_s", "adot_s", "no_data_s")


def put(store: Store, *, equipment, states, counts=(), products=(), tz="Asia/Seoul") -> None:
    """Write records straight into the tables (the engine is under test, not the importer)."""
    con = store.con
    for ent, site, area, line, machine in equipment:
        con.execute(
            "INSERT INTO equipment (enterprise, site, area, line, machine) VALUES (?, ?, ?, ?, ?)",
            [ent, site, area, line, machine],
        )
        con.execute("INSERT OR REPLACE INTO sites VALUES (?, ?, ?)", [ent, site, tz])
    if states:
        m, s, e, stt = zip(*states, strict=True)
        con.register("_st", pa.table({"machine": m, "start": s, "end": e, "state": stt}))
        con.execute('INSERT INTO states (machine, "start", "end", state) SELECT * FROM _st')
        con.unregister("_st")
    for machine, ts, product, good, scrap, rework in counts:
        con.execute(
            "INSERT INTO counts (machine, ts, product, good, scrap, rework) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [machine, ts, product, good, scrap, rework],
        )
    for product, ideal, machine in products:
        con.execute(
            "INSERT INTO products (product, ideal_cycle_s, machine) VALUES (?, ?, ?)",
            [product, ideal, machine],
        )


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=SEOUL)


@pytest.fixture
def mem() -> Store:
    s = Store(":memory:")
    yield s
    s.close()


def test_worked_example(mem):
    d = 3
    states = [
        ("M1", local(d, 0), local(d, 8), "planned_down"),
        ("M1", local(d, 8), local(d, 10), "running"),
        ("M1", local(d, 10), local(d, 10, 30), "setup"),
        ("M1", local(d, 10, 30), local(d, 10, 31), "down"),  # a 60 s minor stop
        ("M1", local(d, 10, 31), local(d, 11), "running"),
        ("M1", local(d, 11), local(d, 12), "down"),  # a 1 h failure
        ("M1", local(d, 12), local(d, 13), "idle"),
        ("M1", local(d, 13), local(d, 17), "running"),
        ("M1", local(d, 17), local(d + 1, 0), "planned_down"),
    ]
    put(
        mem,
        equipment=[("acme", "p1", "a", "L1", "M1")],
        states=states,
        counts=[("M1", local(d, 10), "P1", 200, 10, 0), ("M1", local(d, 17), "P1", 400, 0, 20)],
        products=[("P1", 30.0, None)],
    )
    (row,) = compute(
        mem, KpiQuery(by=("machine",), grain="day", start=local(d, 0), end=local(d + 1, 0))
    ).to_pylist()
    assert row["day"].isoformat() == "2025-03-03"
    apt = 2 * 3600 + 29 * 60 + 4 * 3600
    expect = {
        "period_s": 86400,
        "planned_down_s": 15 * 3600,
        "pbt_s": 9 * 3600,
        "apt_s": apt,
        "asut_s": 1800,
        "adet_s": 3660,
        "adot_s": 3600,
        "no_data_s": 0,
        "pq": 630,
        "gq": 600,
        "sq": 10,
        "rq": 20,
        "ideal_s": 630 * 30,
        "failures": 1,
        "failure_s": 3600,
        "minor_stops": 1,
    }
    assert {k: row[k] for k in expect} == expect
    assert row["availability"] == pytest.approx(apt / 32400)
    assert row["effectiveness"] == pytest.approx(18900 / apt)
    assert row["quality"] == pytest.approx(600 / 630)
    assert row["oee"] == pytest.approx(18000 / 32400)  # = Σ ideal × good / PBT
    assert row["nee"] == pytest.approx((apt + 1800) / 32400 * 18900 / apt * 600 / 630)
    assert row["setup_ratio"] == pytest.approx(1800 / (apt + 1800))
    assert row["mtbf_s"] == apt and row["mttr_s"] == 3600
    assert row["effectiveness_above_1"] is False


def test_zero_denominators_are_empty_and_a_wrong_cycle_time_is_flagged(mem):
    put(
        mem,
        equipment=[("acme", "p1", "a", "L1", "M1"), ("acme", "p1", "a", "L1", "M2")],
        states=[
            ("M1", local(3, 8), local(3, 9), "planned_down"),
            ("M2", local(3, 8), local(3, 9), "running"),
        ],
        counts=[("M2", local(3, 9), "P1", 100, 0, 0)],
        products=[("P1", 60.0, None)],  # 100 units × 60 s in one hour: impossible
    )
    rows = {r["machine"]: r for r in compute(mem, KpiQuery(by=("machine",))).to_pylist()}
    assert rows["M1"]["availability"] is None and rows["M1"]["quality"] is None
    assert rows["M2"]["effectiveness"] == pytest.approx(6000 / 3600)  # reported, not capped
    assert rows["M2"]["effectiveness_above_1"] is True


def test_machine_specific_ideal_cycle_time_wins(mem):
    put(
        mem,
        equipment=[("acme", "p1", "a", "L1", "M1"), ("acme", "p1", "a", "L1", "M2")],
        states=[
            ("M1", local(3, 8), local(3, 9), "running"),
            ("M2", local(3, 8), local(3, 9), "running"),
        ],
        counts=[
            ("M1", local(3, 9), "P1", 10, 0, 0),
            ("M2", local(3, 9), "P1", 10, 0, 0),
            ("M2", local(3, 9), "P9", 5, 0, 0),
        ],
        products=[("P1", 60.0, None), ("P1", 30.0, "M2")],
    )
    rows = {r["machine"]: r for r in compute(mem, KpiQuery(by=("machine",))).to_pylist()}
    assert rows["M1"]["ideal_s"] == 600 and rows["M2"]["ideal_s"] == 300
    assert rows["M2"]["no_ideal_q"] == 5


@pytest.mark.parametrize(("day", "hours"), [("2025-03-30", 23), ("2025-10-26", 25)])
def test_dst_days_have_23_or_25_hours(mem, day, hours):
    berlin = ZoneInfo("Europe/Berlin")
    d = datetime.fromisoformat(day).replace(tzinfo=berlin)
    put(
        mem,
        equipment=[("acme", "de", "a", "L1", "B1")],
        states=[("B1", d - timedelta(hours=3), d + timedelta(hours=30), "running")],
        tz="Europe/Berlin",
    )
    rows = compute(
        mem, KpiQuery(by=("machine",), grain="day", start=d, end=d + timedelta(days=1, hours=1))
    ).to_pylist()
    assert rows[0]["day"].isoformat() == day
    assert rows[0]["period_s"] == hours * 3600 == rows[0]["apt_s"]


# -- properties ------------------------------------------------------------------------------

# ranges start around here and run up to 11 days: across Europe/Berlin's DST change (30 March)
T0 = datetime(2025, 3, 25, tzinfo=UTC)
ZONES = st.sampled_from(["Asia/Seoul", "Europe/Berlin"])  # fixed offset, and one with DST
MACHINES = [
    ("acme", "p1", "a", "L1", "M1"),
    ("acme", "p1", "a", "L1", "M2"),
    ("acme", "p1", "b", "L2", "M3"),
]
STATES = ["running", "idle", "setup", "down", "planned_down"]


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list, list]:
    states, counts = [], []
    for _, _, _, _, m in MACHINES:
        t = T0 + timedelta(seconds=draw(st.integers(0, 20_000)))
        for _ in range(draw(st.integers(0, 12))):
            gap = draw(st.sampled_from([0, 0, 0, 1, 600, 7200]))
            length = draw(st.integers(1, 40 * 3600))
            start = t + timedelta(seconds=gap)
            t = start + timedelta(seconds=length)
            states.append((m, start, t, draw(st.sampled_from(STATES))))
            if draw(st.booleans()):
                counts.append(
                    (
                        m,
                        t,
                        draw(st.sampled_from(["P1", "P2"])),
                        draw(st.integers(0, 500)),
                        draw(st.integers(0, 20)),
                        draw(st.integers(0, 5)),
                    )
                )
    return states, counts


def _load(states: list, counts: list, tz: str = "Asia/Seoul") -> Store:
    s = Store(":memory:")
    put(
        s,
        equipment=MACHINES,
        states=states,
        counts=counts,
        tz=tz,
        products=[("P1", 12.5, None), ("P2", 40.0, None), ("P2", 35.0, "M3")],
    )
    if tz != "Asia/Seoul":  # a calendar of its own, with a night shift across midnight
        set_shift_calendar(
            s,
            "acme",
            "p1",
            [("A", "06:00", "14:00"), ("B", "14:00", "22:00"), ("N", "22:00", "06:00")],
        )
    return s


def _sums(table: pa.Table) -> dict[str, float]:
    return {b: sum(v or 0 for v in table.column(b).to_pylist()) for b in BUCKETS}


RANGE = st.tuples(st.integers(0, 5 * 86400), st.integers(1, 6 * 86400))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


GRAIN = st.sampled_from(["hour", "shift", "day", "week", "month"])


@FAST
@given(ledgers(), RANGE, GRAIN, ZONES)
def test_states_plus_no_data_equal_the_period_in_every_bucket(ledger, rng, grain, tz):
    s = _load(*ledger, tz=tz)
    lo = T0 + timedelta(seconds=rng[0])
    hi = lo + timedelta(seconds=rng[1])
    t = compute(s, KpiQuery(by=("machine",), grain=grain, start=lo, end=hi))
    for row in t.to_pylist():
        assert sum(row[c] for c in STATE_PARTS) == pytest.approx(row["period_s"], abs=1e-6)
        assert row["pbt_s"] == pytest.approx(
            row["apt_s"] + row["asut_s"] + row["adet_s"] + row["adot_s"], abs=1e-6
        )
    total = sum(t.column("period_s").to_pylist())
    assert total == pytest.approx(len(MACHINES) * (hi - lo).total_seconds(), abs=1e-6)


@FAST
@given(ledgers(), RANGE, GRAIN, ZONES)
def test_buckets_add_up_to_the_whole_range(ledger, rng, grain, tz):
    s = _load(*ledger, tz=tz)
    lo = T0 + timedelta(seconds=rng[0])
    hi = lo + timedelta(seconds=rng[1])
    whole = _sums(compute(s, KpiQuery(by=("machine",), start=lo, end=hi)))
    parts = _sums(compute(s, KpiQuery(by=("machine",), grain=grain, start=lo, end=hi)))
    assert parts == pytest.approx(whole, abs=1e-6)


@FAST
@given(ledgers(), RANGE, st.floats(0.01, 0.99), ZONES)
def test_splitting_the_period_and_summing_equals_the_whole(ledger, rng, frac, tz):
    s = _load(*ledger, tz=tz)
    lo = T0 + timedelta(seconds=rng[0])
    hi = lo + timedelta(seconds=rng[1])
    mid = lo + timedelta(microseconds=int((hi - lo) / timedelta(microseconds=1) * frac))
    whole = _sums(compute(s, KpiQuery(start=lo, end=hi)))
    left = _sums(compute(s, KpiQuery(start=lo, end=mid)))
    right = _sums(compute(s, KpiQuery(start=mid, end=hi)))
    assert {k: left[k] + right[k] for k in whole} == pytest.approx(whole, abs=1e-6)


@FAST
@given(ledgers())
def test_rollups_equal_the_sum_of_their_machines(ledger):
    s = _load(*ledger)
    machines = compute(s, KpiQuery(by=("line", "machine"), grain="day")).to_pylist()
    for level in ("line", "area", "site", "enterprise"):
        for row in compute(s, KpiQuery(by=(level,), grain="day")).to_pylist():
            mine = [
                m
                for m in machines
                if m["day"] == row["day"] and (level != "line" or m["line"] == row["line"])
            ]
            if level == "line":
                for b in BUCKETS:
                    assert row[b] == pytest.approx(sum(m[b] for m in mine), abs=1e-6)
            # the ratio is of the summed buckets, never the mean of machine ratios
            if row["pbt_s"]:
                assert row["availability"] == pytest.approx(row["apt_s"] / row["pbt_s"])


def test_shifts_cross_midnight_and_gaps_are_off(mem):
    put(
        mem,
        equipment=[("acme", "p1", "a", "L1", "M1")],
        states=[("M1", local(3, 0), local(5, 0), "running")],
        counts=[("M1", local(4, 2), "P1", 10, 0, 0)],
        products=[("P1", 1.0, None)],
    )
    set_shift_calendar(mem, "acme", "p1", [("A", "08:00", "16:00"), ("N", "22:00", "06:00")])
    rows = compute(
        mem, KpiQuery(by=("machine",), grain="shift", start=local(3, 8), end=local(4, 8))
    ).to_pylist()
    got = [(r["day"].isoformat(), r["shift"], r["period_s"] / 3600, r["pq"]) for r in rows]
    assert got == [
        ("2025-03-03", "A", 8, 0),
        ("2025-03-03", "N", 8, 10),  # 02:00 on the 4th belongs to the night shift of the 3rd
        ("2025-03-03", "off", 8, 0),  # 16:00–22:00 and 06:00–08:00
    ]


def test_a_bad_shift_calendar_is_refused(mem):
    from smartfactory.errors import ConfigError

    with pytest.raises(ConfigError, match="overlaps"):
        set_shift_calendar(mem, "acme", "p1", [("A", "06:00", "15:00"), ("B", "14:00", "22:00")])


def test_time_buckets_are_the_documented_ones():
    assert TIME_BUCKETS[0] == "period_s" and "no_data_s" in TIME_BUCKETS
