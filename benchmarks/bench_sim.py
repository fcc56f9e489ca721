"""Time ``simulate(machines=50, days=365)``: the simulator must write a plant-year in under 60 s.

Run: ``python benchmarks/bench_sim.py [--runs 3] [--machines 50] [--days 365]``. Prints each
run's time, the median, and the row counts of the last run.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from smartfactory.sim import simulate

logger = logging.getLogger(__name__)

LIMIT_S = 60.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--machines", type=int, default=50)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    times: list[float] = []
    summary: dict[str, object] = {}
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench_sim_") as tmp:
            t = time.perf_counter()
            summary = simulate(Path(tmp), machines=args.machines, days=args.days, seed=args.seed)
            times.append(time.perf_counter() - t)
            size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        print(f"run {i + 1}: {times[-1]:.2f} s ({size / 1e6:.0f} MB written)")
    median = statistics.median(times)
    print(
        f"median of {args.runs}: {median:.2f} s for {args.machines} machines × {args.days} days"
        f" (limit {LIMIT_S:.0f} s)"
    )
    print("rows:", summary.get("rows"))


if __name__ == "__main__":
    main()
