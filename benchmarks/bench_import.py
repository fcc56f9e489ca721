"""Import speed of a 1,000,000-row states CSV: validated, deduplicated, overlap-checked.

    .venv/bin/python benchmarks/bench_import.py [--rows 1000000] [--runs 5]

Prints the median over runs of rows per second for ``smartfactory import`` (the library call it
makes), beside a baseline measured in the same run on the same file: DuckDB's own ``read_csv``
into a table with no validation at all. The target is at least 200,000 rows/s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from smartfactory.ingest.importer import import_files
from smartfactory.store.db import Store

STATES = np.array(["running", "idle", "setup", "down", "planned_down"])


def make_states_csv(path: Path, rows: int, machines: int = 100, seed: int = 0) -> None:
    """Contiguous intervals per machine, 30 s to 1 h long, naive local timestamps."""
    rng = np.random.default_rng(seed)
    per = rows // machines
    durations = rng.integers(30, 3600, size=(machines, per))
    ends = np.cumsum(durations, axis=1)
    starts = ends - durations
    base = np.datetime64("2025-01-01T00:00:00", "s")
    start_ts = (base + starts.ravel().astype("timedelta64[s]")).astype(str)
    end_ts = (base + ends.ravel().astype("timedelta64[s]")).astype(str)
    machine = np.repeat([f"M{i:03d}" for i in range(machines)], per)
    state = STATES[rng.integers(0, len(STATES), size=machines * per)]
    pacsv.write_csv(
        pa.table({"machine": machine, "start": start_ts, "end": end_ts, "state": state}), path
    )


def time_import(csv: Path, workdir: Path, run: int) -> tuple[float, float]:
    """Seconds for a first import into an empty store, and for importing the file again
    (every row a duplicate, found against the million stored)."""
    db = workdir / f"import_{run}.duckdb"
    t0 = time.perf_counter()
    with Store(db) as store:
        (report,) = import_files(store, [csv])
    first = time.perf_counter() - t0
    assert report.result is not None and report.result.rejected == 0, report.as_dict()
    t0 = time.perf_counter()
    with Store(db) as store:
        (again,) = import_files(store, [csv])
    second = time.perf_counter() - t0
    assert again.result is not None and again.result.duplicates == report.result.rows
    return first, second


def time_baseline(csv: Path, workdir: Path, run: int) -> float:
    db = workdir / f"baseline_{run}.duckdb"
    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE states AS SELECT * FROM read_csv('{csv.as_posix()}')")
    con.close()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv = work / "states.csv"
        make_states_csv(csv, args.rows)
        ours, again, base = [], [], []
        for run in range(args.runs):
            first, second = time_import(csv, work, run)
            ours.append(first)
            again.append(second)
            base.append(time_baseline(csv, work, run))
        m_ours, m_base = statistics.median(ours), statistics.median(base)
        m_again = statistics.median(again)
        print(f"import {args.rows:,}-row states CSV, median of {args.runs} runs")
        print(f"  smartfactory import : {m_ours:6.2f} s  {args.rows / m_ours:>12,.0f} rows/s")
        print(
            f"  same file again     : {m_again:6.2f} s  {args.rows / m_again:>12,.0f} rows/s"
            "  (all duplicates, nothing stored)"
        )
        print(
            f"  duckdb read_csv     : {m_base:6.2f} s  {args.rows / m_base:>12,.0f} rows/s"
            "  (no validation; baseline)"
        )
        print(f"  ratio (ours / baseline time): {m_ours / m_base:.1f}x")
        print(f"  target 200,000 rows/s: {'PASS' if args.rows / m_ours >= 200_000 else 'FAIL'}")


if __name__ == "__main__":
    main()
