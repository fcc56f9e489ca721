"""KPI engine speed: 1,000 machines × one year ≈ 100 million state intervals plus hourly counts,
the full machine × day table (ISO 22400 buckets and ratios).

    .venv/bin/python benchmarks/bench_kpi.py [--machines 1000] [--runs 3] [--pandas-machines 100]

Prints the median over runs of the engine on the whole data set, its peak memory (resident set
of a fresh process that opens the file and computes), and a straightforward pandas
implementation (clip at local midnight, explode intervals that span days, group and sum) on a
slice of ``--pandas-machines`` machines (10 million intervals by default), beside the engine on
the same slice, so the ratio compares like with like. Targets: under 10 s and 4 GB for the
whole set; at least 20× faster than pandas.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

INTERVAL_S = 315  # mean interval length: 100,000 intervals per machine-year
DAYS = 365
T0 = "2025-01-01 00:00:00+09"
#: edges move by up to 2 minutes; the same edge is the end of one interval and the next's start
JITTER = "(hash(m, {i}) % 120)::BIGINT"


def build(path: Path, machines: int) -> int:
    """Write the data set straight into a store file: contiguous intervals per machine with
    jittered edges (deterministic), one count per machine-hour, 10 products."""
    from smartfactory.store.db import Store

    per = DAYS * 86400 // INTERVAL_S
    with Store(path) as s:
        con = s.con
        con.execute(
            "INSERT INTO equipment (enterprise, site, area, line, machine) "
            "SELECT 'acme', 'p' || (i // 250), 'a' || (i // 50), 'L' || (i // 10), "
            "'M' || lpad(i::VARCHAR, 4, '0') FROM range(?) t(i)",
            [machines],
        )
        con.execute(
            "INSERT INTO sites SELECT DISTINCT enterprise, site, 'Asia/Seoul' FROM equipment"
        )
        con.execute(
            "INSERT INTO products (product, ideal_cycle_s) "
            "SELECT 'P' || i, 20 + 3 * i FROM range(10) t(i)"
        )
        con.execute(
            f"""
            INSERT INTO states (machine, "start", "end", state, reason)
            SELECT 'M' || lpad(m::VARCHAR, 4, '0'),
                   TIMESTAMPTZ '{T0}' + to_seconds(i * {INTERVAL_S} + {JITTER.format(i="i")}),
                   TIMESTAMPTZ '{T0}'
                     + to_seconds((i + 1) * {INTERVAL_S} + {JITTER.format(i="i + 1")}),
                   (['running', 'running', 'running', 'running', 'idle', 'setup', 'down',
                     'planned_down'])[1 + (hash(m, i, 'state') % 8)::BIGINT],
                   'R' || (hash(m, i, 'reason') % 4)::BIGINT
            FROM range(?) a(m), range(?) b(i)
            """,
            [machines, per],
        )
        con.execute(
            f"""
            INSERT INTO counts (machine, ts, product, good, scrap, rework)
            SELECT 'M' || lpad(m::VARCHAR, 4, '0'), TIMESTAMPTZ '{T0}' + to_hours(h + 1),
                   'P' || ((m + h // 24) % 10), 60 + (hash(m, h) % 40)::BIGINT,
                   (hash(m, h, 's') % 4)::BIGINT, (hash(m, h, 'r') % 2)::BIGINT
            FROM range(?) a(m), range(?) b(h)
            """,
            [machines, DAYS * 24],
        )
        return int(s.scalar("SELECT count(*) FROM states"))


ENGINE = """
import json, resource, sys, time
from smartfactory.kpi.engine import KpiQuery, compute
from smartfactory.store.db import Store
path, machines = sys.argv[1], json.loads(sys.argv[2])
with Store(path, read_only=True) as s:
    t0 = time.perf_counter()
    table = compute(s, KpiQuery(by=("machine",), grain="day", machines=machines))
    elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "rows": table.num_rows, "peak_bytes": peak,
                  "oee": sum(v or 0 for v in table.column("oee").to_pylist())}))
"""


def run_engine(path: Path, machines: list[str] | None) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", ENGINE, str(path), json.dumps(machines)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def pandas_machine_day(path: Path, machines: list[str]) -> tuple[float, int]:
    """The straightforward way: load, clip at local midnight, explode, group, divide."""
    import numpy as np
    import pandas as pd

    con = duckdb.connect(str(path), read_only=True)
    sel = ", ".join(f"'{m}'" for m in machines)
    st = con.sql(f'SELECT machine, "start", "end", state FROM states WHERE machine IN ({sel})').df()
    ct = con.sql(
        "SELECT c.machine, c.ts, c.good, c.scrap, c.rework, p.ideal_cycle_s FROM counts c "
        f"JOIN products p USING (product) WHERE c.machine IN ({sel})"
    ).df()
    con.close()
    t0 = time.perf_counter()
    tz = "Asia/Seoul"
    st["start"] = st["start"].dt.tz_convert(tz)
    st["end"] = st["end"].dt.tz_convert(tz)
    st["d0"] = st["start"].dt.normalize()
    st["d1"] = (st["end"] - pd.Timedelta(microseconds=1)).dt.normalize()
    # explode intervals spanning several days, vectorised: one row per (interval, day)
    n = ((st["d1"] - st["d0"]).dt.days + 1).to_numpy()
    st = st.loc[st.index.repeat(n)].reset_index(drop=True)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    st["days"] = st["d0"] + pd.to_timedelta(offset, unit="D")
    st["s"] = np.maximum(st["start"], st["days"])
    st["e"] = np.minimum(st["end"], st["days"] + pd.Timedelta(days=1))
    st["sec"] = (st["e"] - st["s"]).dt.total_seconds()
    t = st.pivot_table(
        index=["machine", "days"], columns="state", values="sec", aggfunc="sum", fill_value=0
    )
    ct["ts"] = ct["ts"].dt.tz_convert(tz)
    ct["days"] = (ct["ts"] - pd.Timedelta(microseconds=1)).dt.normalize()
    ct["pq"] = ct["good"] + ct["scrap"] + ct["rework"]
    ct["ideal"] = ct["pq"] * ct["ideal_cycle_s"]
    c = ct.groupby(["machine", "days"])[["pq", "good", "ideal"]].sum()
    k = t.join(c, how="left").fillna(0)
    pbt = k.sum(axis=1) - k["planned_down"] - k["pq"] - k["good"] - k["ideal"]
    k["availability"] = k["running"] / pbt
    k["effectiveness"] = k["ideal"] / k["running"]
    k["quality"] = k["good"] / k["pq"]
    k["oee"] = k["availability"] * k["effectiveness"] * k["quality"]
    return time.perf_counter() - t0, len(k)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--machines", type=int, default=1000)
    ap.add_argument("--pandas-machines", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--db", type=Path, help="Reuse (or keep) the generated store file here.")
    ap.add_argument("--no-pandas", action="store_true", help="Time the engine only.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "kpi.duckdb"
        if not path.exists():
            t0 = time.perf_counter()
            n = build(path, args.machines)
            print(
                f"built {n:,} intervals for {args.machines} machines in "
                f"{time.perf_counter() - t0:.0f} s"
            )
        else:
            print(f"reusing {path}")
        slice_ = [f"M{i:04d}" for i in range(args.pandas_machines)]
        whole = [run_engine(path, None) for _ in range(args.runs)]
        part = [run_engine(path, slice_) for _ in range(args.runs)]
        pand = (
            [] if args.no_pandas else [pandas_machine_day(path, slice_) for _ in range(args.runs)]
        )
        w = statistics.median(r["seconds"] for r in whole)
        peak = max(r["peak_bytes"] for r in whole) / 2**30
        p_eng = statistics.median(r["seconds"] for r in part)
        p_pd = statistics.median(r[0] for r in pand) if pand else float("nan")
        print(f"machine × day table, median of {args.runs} runs")
        print(
            f"  engine, all {args.machines} machines : {w:7.2f} s, {whole[0]['rows']:,} rows, "
            f"peak RSS {peak:.2f} GiB   (target < 10 s, < 4 GiB)"
        )
        print(f"  engine, {args.pandas_machines} machines       : {p_eng:7.2f} s")
        print(f"  pandas, {args.pandas_machines} machines       : {p_pd:7.2f} s  (baseline)")
        print(f"  ratio pandas / engine on the same slice: {p_pd / p_eng:.0f}x   (target ≥ 20x)")


if __name__ == "__main__":
    main()
