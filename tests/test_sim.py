"""The simulated factory: deterministic, a complete time ledger, plausible counts, honest truth."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pytest

from smartfactory.ingest.importer import import_files
from smartfactory.model import KINDS, State
from smartfactory.sim import FILES, simulate
from smartfactory.store.db import Store

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")


def _con(d: Path) -> duckdb.DuckDBPyConnection:
    """Views named after the kinds, typed as the canonical model says."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    sql_type = {"text": "VARCHAR", "timestamp": "TIMESTAMPTZ", "int": "BIGINT", "float": "DOUBLE"}
    for kind in FILES:
        path = d / (kind + ".csv")
        with path.open(encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n").split(",")
        cols = ", ".join(
            f'CAST(nullif("{f.name}", \'\') AS {sql_type[f.type]}) AS "{f.name}"'
            if f.name in header
            else f'NULL::{sql_type[f.type]} AS "{f.name}"'  # an optional field left out
            for f in KINDS[kind].fields
        )
        con.execute(
            f"CREATE VIEW {kind} AS SELECT {cols} FROM "
            f"read_csv('{d / (kind + '.csv')}', header=true, all_varchar=true)"
        )
    return con


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    d = tmp_path_factory.mktemp("sim") / "causes"
    summary = simulate(d, machines=5, days=28, seed=3)
    truth = json.loads((d / "ground_truth.json").read_text("utf-8"))
    return d, summary, truth


@pytest.fixture(scope="module")
def null_plant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    d = tmp_path_factory.mktemp("sim") / "null"
    simulate(d, machines=5, days=28, seed=3, causes=False)
    return d, json.loads((d / "ground_truth.json").read_text("utf-8"))


# -- files -------------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = simulate(tmp_path / "a", machines=3, days=7, seed=11)
    simulate(tmp_path / "b", machines=3, days=7, seed=11)
    simulate(tmp_path / "c", machines=3, days=7, seed=12)
    names = [f"{k}.csv" for k in FILES] + ["ground_truth.json"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "states.csv").read_bytes() != (
        tmp_path / "c" / "states.csv"
    ).read_bytes()
    assert a["first_day"] == "2025-01-06" and a["last_day"] == "2025-01-12"


def test_files_have_the_canonical_columns_and_offsets(plant: tuple[Path, dict, dict]) -> None:
    d, summary, _ = plant
    for kind in FILES:
        lines = (d / f"{kind}.csv").read_text("utf-8").splitlines()
        cols = lines[0].split(",")  # canonical, in order; optional ones may be left out
        assert cols == [c for c in KINDS[kind].columns if c in cols], kind
        assert set(KINDS[kind].required) <= set(cols), kind
        assert summary["rows"][kind] == len(lines) - 1 > 0, kind
    con = _con(d)
    for kind in FILES:
        for f in KINDS[kind].fields:
            if f.type != "timestamp":  # (every timestamp column is written)
                continue
            raw = con.execute(
                f"SELECT DISTINCT \"{f.name}\" FROM read_csv('{d / (kind + '.csv')}', "
                f'header=true, all_varchar=true) WHERE "{f.name}" IS NOT NULL LIMIT 500'
            ).fetchall()
            assert raw and all(ISO_WITH_OFFSET.match(r[0]) for r in raw), (kind, f.name)


def test_plant_shape(plant: tuple[Path, dict, dict]) -> None:
    d, _, truth = plant
    con = _con(d)
    eq = con.execute(
        "SELECT enterprise, site, area, line, machine, timezone FROM equipment ORDER BY machine"
    ).fetchall()
    assert [r[4] for r in eq] == ["M01", "M02", "M03", "M04", "M05"]
    assert {(r[0], r[1], r[5]) for r in eq} == {("hanbit", "plant1", "Asia/Seoul")}
    assert truth["plant"]["lines"]["L1"]["machines"] == [r[4] for r in eq]
    n_products, n_machine_rows = con.execute(
        "SELECT count(DISTINCT product), count(machine) FROM products"
    ).fetchone()
    assert n_products >= 4 and n_machine_rows >= 1
    tags = con.execute(
        "SELECT machine, count(DISTINCT tag) FROM measurements GROUP BY 1"
    ).fetchall()
    assert len(tags) == 5 and all(2 <= n <= 4 for _, n in tags)


# -- the time ledger ---------------------------------------------------------------------------


def test_every_second_in_exactly_one_state(plant: tuple[Path, dict, dict]) -> None:
    d, _, truth = plant
    con = _con(d)
    lo, hi = con.execute(
        f"SELECT epoch(TIMESTAMPTZ '{truth['period']['start']}'),"
        f" epoch(TIMESTAMPTZ '{truth['period']['end']}')"
    ).fetchone()
    assert hi - lo == 28 * 86_400
    states = {s.value for s in State}
    for (machine,) in con.execute("SELECT DISTINCT machine FROM equipment").fetchall():
        rows = con.execute(
            'SELECT epoch(start), epoch("end"), state FROM states WHERE machine = ? ORDER BY start',
            [machine],
        ).fetchall()
        start = np.array([r[0] for r in rows])
        end = np.array([r[1] for r in rows])
        assert start[0] == lo and end[-1] == hi, machine
        assert np.all(end > start)
        assert np.all(start[1:] == end[:-1]), f"{machine}: gap or overlap"
        assert float(np.sum(end - start)) == hi - lo
        assert {r[2] for r in rows} <= states


def test_calendar_breaks_nights_sundays_holidays(plant: tuple[Path, dict, dict]) -> None:
    d, _, truth = plant
    con = _con(d)
    con.execute("SET TimeZone = 'Asia/Seoul'")
    by_reason = dict(
        con.execute(
            "SELECT reason, count(*) FROM states WHERE state = 'planned_down' GROUP BY 1"
        ).fetchall()
    )
    assert {"break", "no_shift", "holiday"} <= set(by_reason)
    # nothing but planned downtime at night, on Sundays and on Seollal (27–30 January 2025)
    busy = con.execute(
        """SELECT count(*) FROM states WHERE state <> 'planned_down' AND (
             hour(start) >= 22 OR hour(start) < 6 OR dayofweek(start) = 0
             OR CAST(start AS DATE) BETWEEN DATE '2025-01-27' AND DATE '2025-01-30')"""
    ).fetchone()[0]
    assert busy == 0
    assert {"date": "2025-01-29", "name": "Seollal"} in truth["calendar"]["holidays"]
    # the meal break of the first shift is planned downtime on a working Monday
    assert con.execute(
        """SELECT state, reason FROM states WHERE machine = 'M01'
           AND start <= TIMESTAMPTZ '2025-01-06 11:45:00+09:00'
           AND "end" > TIMESTAMPTZ '2025-01-06 11:45:00+09:00'"""
    ).fetchone() in {("planned_down", "break"), ("planned_down", "planned_maintenance")}


def test_unplanned_states_have_reasons(plant: tuple[Path, dict, dict]) -> None:
    con = _con(plant[0])
    reasons = {
        r[0]: r[1]
        for r in con.execute(
            "SELECT state, list(DISTINCT reason) FROM states GROUP BY 1"
        ).fetchall()
    }
    assert {"no_order", "no_material"} & set(reasons["idle"])
    assert "minor_stop" in reasons["down"] and any(r.startswith("F-") for r in reasons["down"])
    assert all(r.startswith("changeover P-") and ">" in r for r in reasons["setup"])
    short = con.execute(
        """SELECT min(epoch("end") - epoch(start)), max(epoch("end") - epoch(start))
           FROM states WHERE reason = 'minor_stop'"""
    ).fetchone()
    assert short[0] >= 10 and short[1] <= 110


# -- counts ------------------------------------------------------------------------------------


def test_counts_only_while_running_and_effectiveness_at_most_one(
    plant: tuple[Path, dict, dict],
) -> None:
    con = _con(plant[0])
    outside = con.execute(
        """SELECT count(*) FROM counts c WHERE NOT EXISTS (
             SELECT 1 FROM states s WHERE s.machine = c.machine AND s.state = 'running'
             AND s.start < c.ts AND c.ts <= s."end")"""
    ).fetchone()[0]
    assert outside == 0
    for (machine,) in con.execute("SELECT DISTINCT machine FROM counts").fetchall():
        run = np.array(
            con.execute(
                'SELECT epoch(start), epoch("end") FROM states WHERE machine = ? AND state = '
                "'running' ORDER BY start",
                [machine],
            ).fetchall(),
            dtype=np.int64,
        )
        cum = np.concatenate([[0], np.cumsum(run[:, 1] - run[:, 0])])

        def running_before(
            t: np.ndarray, run: np.ndarray = run, cum: np.ndarray = cum
        ) -> np.ndarray:
            i = np.searchsorted(run[:, 0], t, side="right") - 1
            ok = i >= 0
            j = np.maximum(i, 0)
            part = np.clip(t - run[j, 0], 0, run[j, 1] - run[j, 0])
            return np.where(ok, cum[j] + part, 0)

        rows = np.array(
            con.execute(
                """SELECT epoch(c.ts)::BIGINT, (c.good + c.scrap + c.rework)
                      * coalesce(pm.ideal_cycle_s, p.ideal_cycle_s)
               FROM counts c JOIN products p ON p.product = c.product AND p.machine IS NULL
               LEFT JOIN products pm ON pm.product = c.product AND pm.machine = c.machine
               WHERE c.machine = ?""",
                [machine],
            ).fetchall()
        )
        hour = (rows[:, 0].astype(np.int64) - 1) // 3600 * 3600
        hours, inv = np.unique(hour, return_inverse=True)
        ideal = np.bincount(inv, weights=rows[:, 1])
        running = running_before(hours + 3600) - running_before(hours)
        assert np.all(ideal <= running + 1e-6), machine
        eff = ideal.sum() / running.sum()
        assert 0.7 < eff < 1.0, (machine, eff)


def test_lots_orders_and_genealogy_hang_together(plant: tuple[Path, dict, dict]) -> None:
    con = _con(plant[0])
    assert (
        con.execute(
            "SELECT count(*) FROM counts WHERE lot NOT IN (SELECT lot FROM lots) "
            'OR "order" NOT IN (SELECT "order" FROM orders)'
        ).fetchone()[0]
        == 0
    )
    # raw → production → finished: a finished lot traces back two levels to a supplier
    trace = con.execute(
        """SELECT count(*) FROM genealogy g2
           JOIN genealogy g1 ON g1.child_lot = g2.parent_lot
           JOIN lots r ON r.lot = g1.parent_lot AND r.supplier IS NOT NULL
           WHERE g2.child_lot LIKE 'FG-%'"""
    ).fetchone()[0]
    assert trace > 0
    late, done, total = con.execute(
        """SELECT count(*) FILTER (WHERE actual_end > due), count(actual_end), count(*)
           FROM orders"""
    ).fetchone()
    assert done > 0.8 * total and late < 0.25 * done
    assert (
        con.execute(
            "SELECT count(*) FROM orders WHERE received > planned_start OR planned_end < "
            "planned_start OR actual_end < actual_start OR line IS NULL"
        ).fetchone()[0]
        == 0
    )


# -- ground truth ------------------------------------------------------------------------------


def _param_split(d: Path, cause: dict) -> tuple[float, float, int]:
    """Scrap rate of counts whose clock hour's mean tag value is above / not above threshold."""
    con = _con(d)
    machines = ", ".join(f"'{m}'" for m in cause["machines"])
    rows = con.execute(
        f"""WITH m AS (
              SELECT machine, time_bucket(INTERVAL 1 HOUR, ts - INTERVAL 1 SECOND) AS h,
                     avg(value) AS v
              FROM measurements WHERE tag = '{cause["tag"]}' AND machine IN ({machines})
              GROUP BY ALL),
            c AS (
              SELECT machine, time_bucket(INTERVAL 1 HOUR, ts - INTERVAL 1 SECOND) AS h,
                     scrap, good + scrap + rework AS n
              FROM counts WHERE machine IN ({machines}))
            SELECT m.v > {cause["threshold"]} AS above, sum(scrap), sum(n)
            FROM c JOIN m USING (machine, h) GROUP BY 1"""
    ).fetchall()
    by = {r[0]: (r[1], r[2]) for r in rows}
    return by[True][0] / by[True][1], by[False][0] / by[False][1], by[True][1]


def _lot_split(d: Path, cause: dict) -> tuple[float, float]:
    """Scrap rate of units whose production lot drew on the bad lot, and of the others."""
    con = _con(d)
    rows = con.execute(
        f"""WITH l AS (
              SELECT DISTINCT child_lot, parent_lot = '{cause["lot"]}' AS bad FROM genealogy
              WHERE parent_lot IN (SELECT lot FROM lots WHERE product = '{cause["material"]}'))
            SELECT bad, sum(scrap), sum(good + scrap + rework)
            FROM counts JOIN l ON l.child_lot = counts.lot GROUP BY 1"""
    ).fetchall()
    by = {r[0]: r[1] / r[2] for r in rows}
    return by[True], by[False]


def _cause(truth: dict, kind: str) -> dict:
    return next(c for c in truth["scrap_causes"] if c["kind"] == kind)


def test_truth_describes_the_plant(plant: tuple[Path, dict, dict]) -> None:
    _, _, truth = plant
    assert truth["seed"] == 3 and truth["arguments"]["machines"] == 5
    assert {c["kind"] for c in truth["scrap_causes"]} == {
        "parameter",
        "material_lot",
        "degradation",
    }
    for m in truth["machines"].values():
        assert m["mtbf_h"] > 0 and m["mttr_median_min"] > 0 and m["speed_factor"] >= 1.03
        assert 0.01 <= m["baseline_scrap"] <= 0.03
    assert set(truth["demand"]["products"]) <= set(truth["products"])
    assert "formula" in truth["demand"]
    con = _con(plant[0])
    for name, m in truth["machines"].items():
        running_h, stops = con.execute(
            """SELECT sum(epoch("end") - epoch(start)) FILTER (WHERE state = 'running') / 3600,
                      count(*) FILTER (WHERE reason LIKE 'F-%') FROM states WHERE machine = ?""",
            [name],
        ).fetchone()
        assert abs(running_h - m["realised"]["running_h"]) < 0.01
        # a repair paused over a break or a night shows as two intervals
        assert m["realised"]["failures"] <= stops <= 2 * m["realised"]["failures"]


def test_scrap_is_higher_above_the_threshold(plant: tuple[Path, dict, dict]) -> None:
    d, _, truth = plant
    above, below, n = _param_split(d, _cause(truth, "parameter"))
    assert n > 1000
    assert above > 1.8 * below


def test_the_bad_lot_scraps_more(plant: tuple[Path, dict, dict]) -> None:
    d, _, truth = plant
    bad, other = _lot_split(d, _cause(truth, "material_lot"))
    assert bad > 1.8 * other


@pytest.mark.parametrize("seed", [219, 221])
def test_the_bad_lot_is_one_production_draws_on(tmp_path: Path, seed: int) -> None:
    # these seeds once drew a lot in use only over Seollal 2025 (27–30 January, the plant
    # closed): a cause that touched no unit, which no analysis can find in the data
    simulate(tmp_path, machines=12, days=60, seed=seed)
    truth = json.loads((tmp_path / "ground_truth.json").read_text("utf-8"))
    lot = next(c["lot"] for c in truth["scrap_causes"] if c["kind"] == "material_lot")
    with (tmp_path / "genealogy.csv").open(encoding="utf-8") as f:
        children = [r for r in csv.DictReader(f) if r["parent_lot"] == lot]
    assert len(children) >= 5, (lot, len(children))


def test_the_degrading_machine_gets_worse(plant: tuple[Path, dict, dict]) -> None:
    d, _, truth = plant
    cause = _cause(truth, "degradation")
    bad_lot = _cause(truth, "material_lot")["lot"]
    con = _con(d)
    # second half against first half, leaving out the units the bad lot spoiled
    first, second = con.execute(
        """WITH c AS (
             SELECT ts >= TIMESTAMPTZ '2025-01-20 00:00:00+09:00' AS late, scrap,
                    good + scrap + rework AS n
             FROM counts WHERE machine = ? AND lot NOT IN (
                 SELECT child_lot FROM genealogy WHERE parent_lot = ?))
           SELECT sum(scrap) FILTER (WHERE NOT late) / sum(n) FILTER (WHERE NOT late),
                  sum(scrap) FILTER (WHERE late) / sum(n) FILTER (WHERE late) FROM c""",
        [cause["machine"], bad_lot],
    ).fetchone()
    assert second > 1.2 * first
    assert cause["mtbf_h_end"] < cause["mtbf_h_start"]


def test_inspections_shift_with_the_causes(plant: tuple[Path, dict, dict]) -> None:
    d, _, truth = plant
    cause = _cause(truth, "material_lot")
    con = _con(d)
    z = dict(
        con.execute(
            f"""SELECT g.parent_lot = '{cause["lot"]}',
                   avg((value - (lsl + usl) / 2) / (usl - lsl))
            FROM inspections i JOIN genealogy g ON g.child_lot = i.lot
            WHERE g.parent_lot IN (SELECT lot FROM lots WHERE product = '{cause["material"]}')
            GROUP BY 1"""
        ).fetchall()
    )
    assert z[True] > z[False] + 0.02


def test_without_causes_no_difference_beyond_noise(
    plant: tuple[Path, dict, dict], null_plant: tuple[Path, dict]
) -> None:
    _, _, truth = plant
    d, null_truth = null_plant
    assert null_truth["scrap_causes"] == []
    above, below, _ = _param_split(d, _cause(truth, "parameter"))
    assert 0.67 < above / below < 1.5
    bad, other = _lot_split(d, _cause(truth, "material_lot"))
    assert 0.67 < bad / other < 1.5


# -- the importer ------------------------------------------------------------------------------


def test_a_small_simulation_imports_without_rejects(tmp_path: Path) -> None:
    out = tmp_path / "files"
    simulate(out, machines=3, days=7, seed=5)
    with Store(tmp_path / "sim.duckdb") as store:
        reports = import_files(store, sorted(out.glob("*.csv")))
        assert len(reports) == len(FILES)
        for r in reports:
            d = r.as_dict()
            assert d["error"] is None and d["unmatched_columns"] == [], d
            assert d["rejected"] == 0 and d["duplicates"] == 0, d
            assert d["accepted"] == d["rows"] > 0, d
        assert store.dead_letter_summary()["total"] == 0
        assert store.timezone_of_site("hanbit", "plant1") == "Asia/Seoul"


def test_progress_and_arguments(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    simulate(tmp_path, machines=2, days=1, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (3, 3) and [c[0] for c in calls] == [1, 2, 3]
    with pytest.raises(ValueError):
        simulate(tmp_path, machines=0)
    with pytest.raises(ValueError):
        simulate(tmp_path, seed=-1)


# -- operators and moulds (crew=True) ---------------------------------------------------------


def test_crew_adds_who_and_which_mould_and_changes_nothing_else(tmp_path: Path) -> None:
    plain = simulate(tmp_path / "plain", machines=4, days=42, seed=7)
    crew = simulate(tmp_path / "crew", machines=4, days=42, seed=7, crew=True)
    assert "tool_maintenance" in crew["files"] and "tool_maintenance" not in plain["files"]
    for kind in FILES:
        if kind != "counts":
            a = (tmp_path / "plain" / f"{kind}.csv").read_bytes()
            assert a == (tmp_path / "crew" / f"{kind}.csv").read_bytes(), kind
    with (
        (tmp_path / "plain" / "counts.csv").open() as fa,
        (tmp_path / "crew" / "counts.csv").open() as fb,
    ):
        a, b = list(csv.DictReader(fa)), list(csv.DictReader(fb))
    assert len(a) == len(b) and all(x.items() <= y.items() for x, y in zip(a, b, strict=True))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Seoul'")
    con.execute(f"CREATE VIEW c AS SELECT * FROM read_csv('{tmp_path / 'crew' / 'counts.csv'}')")
    # two operators per machine who swap shifts weekly, stand-ins on about 5 % of shifts
    shifts = con.sql(
        """
        SELECT machine, CAST(ts AS DATE) AS day, hour(ts - INTERVAL 1 SECOND) >= 14 AS late,
               any_value(operator) AS op, count(DISTINCT operator) AS n
        FROM c GROUP BY ALL
        """
    ).df()
    assert (shifts["n"] == 1).all()
    usual = shifts.groupby("machine")["op"].agg(lambda s: s.value_counts().iloc[:2].sum() / len(s))
    assert (usual > 0.85).all() and (usual < 1).any()
    # every regrind or repair comes after its mould made 8,000–20,000 units since the last one
    con.execute(
        f"CREATE VIEW m AS SELECT * FROM read_csv('{tmp_path / 'crew' / 'tool_maintenance.csv'}')"
    )
    lives = con.sql(
        """
        SELECT m.tool, m.ts, sum(c.good + c.scrap + c.rework) AS units
        FROM m JOIN c ON c.tool = m.tool AND c.ts <= m.ts
             AND c.ts > coalesce((SELECT max(p.ts) FROM m p WHERE p.tool = m.tool AND p.ts < m.ts),
                                 TIMESTAMPTZ '2000-01-01')
        GROUP BY ALL
        """
    ).df()
    assert len(lives) >= 10 and set(con.sql("SELECT DISTINCT work FROM m").df()["work"]) <= {
        "연마",
        "수리",
    }
    assert lives["units"].between(8_000, 20_000 + 400).all(), lives["units"].describe()
    # and the store reads all of it without a reject
    with Store(tmp_path / "crew.duckdb") as store:
        reports = import_files(store, [Path(p) for p in crew["files"].values()])
        assert all(r.result and r.result.rejected == 0 for r in reports)
        assert store.record_counts()["tool_maintenance"] == len(lives)
