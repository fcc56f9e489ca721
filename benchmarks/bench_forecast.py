"""Forecasting speed and accuracy on the M3 competition (../shared/data/m3/M3C.xls).

    .venv/bin/python benchmarks/bench_forecast.py [--group monthly] [--runs 1] [--jobs 2]

For the group (default: all 1,428 monthly series, horizon 18), times SmartFactory's forecaster
(the default combination with its rolling-origin CV, intervals at 80 and 95 %)
and, in the same run and on the same training data, statsforecast's AutoETS alone (point
forecasts, the same number of processes). Prints the median times, their ratio, and sMAPE /
MASE of both beside the seasonal naive forecast and the published figures. Target for monthly:
under 5 minutes on the project's 2-core machine, sMAPE < 13.52 and MASE < 0.828 (the published
ETS+ARIMA+Theta combination). ``--group all`` runs the four groups once each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

from smartfactory.ai.evaluate import (
    M3_GROUPS,
    M3_PUBLISHED,
    evaluate_m3,
    m3_season,
    read_m3,
    score,
    seasonal_naive,
    split,
)

M3 = Path(__file__).resolve().parents[2] / "shared" / "data" / "m3" / "M3C.xls"


def autoets_alone(group: str, jobs: int) -> tuple[float, dict[str, float]]:
    """statsforecast's AutoETS on the same split: seconds and scores."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    from smartfactory.ai.series import FREQS

    series, h = read_m3(M3, group)
    sp = split(series.df, h, series.freq, m3_season(group))
    sf = StatsForecast(
        models=[AutoETS(season_length=sp.season)], freq=FREQS[series.freq], n_jobs=jobs
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=sp.train, h=h)
    seconds = time.perf_counter() - t0
    return seconds, score(sp, fc.rename(columns={"AutoETS": "yhat"}))


def run_group(group: str, runs: int, jobs: int) -> dict[str, float]:
    ours_t, ets_t = [], []
    ev = ets_score = None
    for _ in range(runs):
        ev = evaluate_m3(M3, group, n_jobs=jobs)
        ours_t.append(ev.seconds)
        t, ets_score = autoets_alone(group, jobs)
        ets_t.append(t)
    assert ev is not None and ets_score is not None
    series, h = read_m3(M3, group)
    naive = score(sp := split(series.df, h, series.freq, m3_season(group)), seasonal_naive(sp))
    ours_med, ets_med = statistics.median(ours_t), statistics.median(ets_t)
    print(f"\nM3 {group}: {ev.ours['series']} series, h={ev.h}, {runs} run(s), {jobs} processes")
    runs_ours = ", ".join(f"{t:.1f}" for t in ours_t)
    runs_ets = ", ".join(f"{t:.1f}" for t in ets_t)
    print(f"  runs  SmartFactory {runs_ours} s; AutoETS alone {runs_ets} s")
    print(
        f"  time  SmartFactory {ours_med:7.1f} s   AutoETS alone {ets_med:7.1f} s   "
        f"ratio {ours_med / ets_med:.2f}"
    )
    print(f"  {'method':32s} {'sMAPE':>7s} {'MASE':>7s}")
    print(f"  {'SmartFactory (combination)':32s} {ev.ours['smape']:7.2f} {ev.ours['mase']:7.3f}")
    print(
        f"  {'statsforecast AutoETS (measured)':32s} {ets_score['smape']:7.2f} "
        f"{ets_score['mase']:7.3f}"
    )
    print(f"  {'seasonal naive (measured)':32s} {naive['smape']:7.2f} {naive['mase']:7.3f}")
    for name, (s, m) in M3_PUBLISHED[group].items():
        print(f"  {'published ' + name:32s} {s:7.2f} {m:7.3f}")
    print("  " + ", ".join(f"{k}: {v}" for k, v in ev.methods.items()))
    sys.stdout.flush()
    return {"seconds": ours_med, "autoets_seconds": ets_med, **ev.ours}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--group", choices=[*M3_GROUPS, "all"], default="monthly")
    ap.add_argument("--runs", type=int, default=1, help="Repetitions (medians are printed).")
    ap.add_argument("--jobs", type=int, default=2, help="Processes (the machine has 2 cores).")
    args = ap.parse_args()
    if not M3.exists():
        print(f"skipped: {M3} not found")
        return
    for group in M3_GROUPS if args.group == "all" else [args.group]:
        run_group(group, args.runs, args.jobs)


if __name__ == "__main__":
    main()
