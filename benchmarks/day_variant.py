"""Per-day cost of the quarters' day scenario: the file-form path against typed replacement (issue 15).

Each simulated outlet-day of a quarter (:func:`sim.horizon.simulate_days`) first makes the
day's scenario: the day's head-counts, volume (surge factor), VIP-thinned segment shares and
the inside tellers' speeds. Before typed replacement this went through dotted overrides and a
full re-validation of the file form; now through ``with_surge`` / ``with_shares`` /
``with_speeds``. This script times, in fresh processes alternated between two checkouts:

- **prep**: making one day's scenario the way that checkout's ``simulate_days`` does it;
- **day**: ``simulate_days`` on the same 40-day task (the whole outlet-day, model included).

    python benchmarks/day_variant.py --before /path/to/old/checkout [--repeat 7]

Prints the median per-day milliseconds of each checkout and the ratio new / old.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Runs inside a checkout: prints {"prep_ms": ..., "day_ms": ...} for the potential outlet (150 customers a day).
_PROBE = r"""
import json, time
import numpy as np
import sim
from sim.horizon import DaySpec, OutletDays, simulate_days, vip_thinned
from sim.staffing import StaffingPlan
sc = sim.load_scenario("scenarios/potential_outlet.toml")
plan = sc.staffing_plan()
counts = tuple(plan.counts)
speeds = [0.9, 1.1]
def prep_typed():
    s = sc.with_staffing(plan)
    shares, volume = vip_thinned(s, 0.9)
    return s.with_surge(s.surge_factor * 1.05 * volume).with_shares(shares).with_speeds({"cash_teller": speeds})
def prep_file():
    s = sc.with_staffing(plan)
    shares, volume = vip_thinned(s, 0.9)
    surge = float(s.raw.get("arrivals", {}).get("surge_factor", 1.0))
    return sim.with_overrides(s, {"arrivals.surge_factor": surge * 1.05 * volume, **shares,
                                  "staff.cash_teller.speed": speeds}, quiet=True)
prep = prep_typed if hasattr(sc, "with_surge") else prep_file
prep()
n = 400
t = time.perf_counter()
for _ in range(n):
    prep()
prep_ms = (time.perf_counter() - t) / n * 1e3
inside_of = getattr(__import__("sim.horizon", fromlist=["x"]), "Inside", None)
def person(k):
    entry = (f"cash_teller_{k + 1}", f"p{k}", 1.0, speeds[k])
    return entry if inside_of is None else inside_of(entry[0], entry[1], "cash_teller", entry[2], entry[3])
inside = tuple(person(k) for k in range(min(2, sc.roles["cash_teller"].inside)))
days = tuple(DaySpec(day=d, counts=counts, cm_inside=plan.cm_inside, inside=inside, outside=(), volume=1.05)
             for d in range(40))
task = OutletDays(key=(0, 0), scenario=sc, seed=3, replication=0, outlet=0, skill_max=1.0, days=days)
simulate_days(task)
t = time.perf_counter()
simulate_days(task)
day_ms = (time.perf_counter() - t) / len(days) * 1e3
print(json.dumps({"prep_ms": prep_ms, "day_ms": day_ms}))
"""


def _run(checkout: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=checkout, env=env, check=True, capture_output=True,
                         text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Alternate the two checkouts ``--repeat`` times and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the commit to compare with")
    parser.add_argument("--repeat", type=int, default=7, help="alternating pairs (default 7)")
    args = parser.parse_args(argv)
    if not (args.before / "sim" / "horizon.py").is_file():
        parser.error(f"--before: {args.before} is not a branchlab checkout (no sim/horizon.py)")
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for _ in range(args.repeat):
        runs["before"].append(_run(args.before))
        runs["after"].append(_run(ROOT))
    for what in ("prep_ms", "day_ms"):
        before = statistics.median(r[what] for r in runs["before"])
        after = statistics.median(r[what] for r in runs["after"])
        ratios = sorted(a[what] / b[what] for a, b in zip(runs["after"], runs["before"], strict=True))
        print(f"{what}: before {before:.3f}  after {after:.3f}  after/before {after / before:.3f} "
              f"(pairs {ratios[0]:.3f}..{ratios[-1]:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
