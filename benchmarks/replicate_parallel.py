"""Parallel replications: ``sim.replicate`` serial against local processes (not part of the test suite).

Runs ``--days`` (default 1,000) replications of ``scenarios/flagship_outlet.toml`` serially
and with ``executor="processes", workers=W`` (default: all cores), alternated ``--repeat``
times; reports the median wall-clock seconds of each (pool start-up included, as a user
pays it) and the speed-up, and checks that every parallel result equals the serial one
bit for bit. Target on 2 cores: speed-up ≥ 1.8. Ends with one line ``speedup=X``.

    python benchmarks/replicate_parallel.py [--days 1000] [--repeat 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pandas as pd

import sim

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("zones", "outlet", "by_hour", "by_segment", "by_role", "days", "zone_days")


def timed(scenario: sim.Scenario, days: int, executor: str, workers: int) -> tuple[float, sim.Replications]:
    """Wall-clock seconds of one ``replicate`` call, and its result."""
    start = time.perf_counter()
    result = sim.replicate(scenario, n=days, seed=1, executor=executor, workers=workers)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1000, help="replications per run (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="alternated runs of each (default 3)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)")
    args = parser.parse_args()
    scenario = sim.load_scenario(ROOT / "scenarios" / "flagship_outlet.toml")
    seconds: dict[str, list[float]] = {"serial": [], "processes": []}
    for _ in range(args.repeat):
        serial_s, serial = timed(scenario, args.days, "serial", 1)
        parallel_s, parallel = timed(scenario, args.days, "processes", args.workers)
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name), check_exact=True)
        seconds["serial"].append(serial_s)
        seconds["processes"].append(parallel_s)
        print(f"  serial {serial_s:6.2f} s   processes ({args.workers}) {parallel_s:6.2f} s   "
              f"× {serial_s / parallel_s:.2f}", flush=True)
    serial_med, parallel_med = (statistics.median(seconds[k]) for k in ("serial", "processes"))
    print(f"\n{args.days:,} flagship days, median of {args.repeat} alternated runs, {os.cpu_count()} cores: "
          f"serial {serial_med:.2f} s ({args.days / serial_med:.0f} days/s), "
          f"{args.workers} processes {parallel_med:.2f} s ({args.days / parallel_med:.0f} days/s); "
          f"results identical bit for bit")
    print(f"speedup={serial_med / parallel_med:.2f}")


if __name__ == "__main__":
    main()
