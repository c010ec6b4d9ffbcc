"""Where an outlet day's time goes, per customer, beside the minimal SimPy model and SimPy's own floor.

    python benchmarks/day_cost.py              # the four tiers, 300 days each (about a minute on 2 cores)
    python benchmarks/day_cost.py --days 60    # a smaller smoke

For each shipped tier, ``--days`` days (seed 1) are run phase by phase, timed in CPU seconds
of this process (``time.process_time``: on a shared machine the wall clock also counts the
other sessions' work): making the day's random streams, drawing the customers, drawing the
service times, compiling the layout (cached per scenario), setting up the event loop
(``sim.events._Day``: the per-customer lists, the staff's duty events), running it, closing
the visit lists, turning them into the log (``sim.daylog.to_log``: sales and field draws
included) and the KPIs of all the days in batches of 30 (``sim.batch_kpis``, as
``benchmarks/run.py`` times them). Each phase is printed in microseconds per customer.

Beside them, measured alternately in the same process:

- **minimal SimPy**: ``benchmarks/run.py``'s M/M/3 model (a process per customer, a
  ``Resource``), CPU microseconds per customer, median of 5;
- **SimPy's floor**: one bare timeout made, scheduled, stepped by ``Environment.run`` and its
  one callback called (the callback makes the next, so the heap stays small as in a day),
  median of 5 runs of 100,000.

A day's ratio to the minimal SimPy model is its customers per CPU second over the
reference's; the floor times the day's timed events per customer is what SimPy itself takes
of the event loop, whatever the model does in its handlers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import sim
from sim.customers import draw_customers, service_times
from sim.daylog import to_log
from sim.events import _Day, _Timer
from sim.layout import compile_layout
from sim.model import run_events
from sim.streams import Streams, streams

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import simpy_mmc  # noqa: E402  (the benchmarks folder is not a package)

PHASES = ("streams", "customers", "service times", "layout", "set-up", "event loop", "finish", "log", "KPIs")
BATCH = 30


def _cpu(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``fn(*args)`` and the CPU seconds it took."""
    t0 = time.process_time()
    out = fn(*args)
    return out, time.process_time() - t0


def _made(seed: int, replication: int, names: tuple[str, ...]) -> Streams:
    rngs = streams(seed, replication)
    for name in names:  # made here, so the phases after only draw
        rngs[name]
    return rngs


def streams_read(scenario: sim.Scenario) -> tuple[str, ...]:
    """The streams a day of ``scenario`` reads (a warm-up day's; which are read depends on the scenario only)."""
    run, rngs = run_events(scenario, 0, 0)
    to_log(scenario, run, rngs)
    return tuple(rngs)


def day_phases(scenario: sim.Scenario, days: int) -> tuple[dict[str, float], int, int]:
    """CPU seconds per phase over ``days`` days, the customers and the timed events."""
    spent = dict.fromkeys(PHASES, 0.0)
    used = streams_read(scenario)
    customers = events = 0
    logs = []
    for rep in range(days):
        rngs, s = _cpu(_made, 1, rep, used)
        spent["streams"] += s
        cust, s = _cpu(draw_customers, scenario, rngs)
        spent["customers"] += s
        service, s = _cpu(service_times, scenario, cust, rngs)
        spent["service times"] += s
        layout, s = _cpu(compile_layout, scenario)
        spent["layout"] += s
        day, s = _cpu(_Day, scenario, layout, cust, service)
        spent["set-up"] += s
        _, s = _cpu(day.env.run)
        spent["event loop"] += s
        run, s = _cpu(day.finish)
        spent["finish"] += s
        log, s = _cpu(to_log, scenario, run, rngs)
        spent["log"] += s
        logs.append(log)
        customers += run.n
        events += run.events
        if len(logs) == BATCH or rep == days - 1:
            _, s = _cpu(sim.batch_kpis, logs)
            spent["KPIs"] += s
            logs = []
    return spent, customers, events


def simpy_floor(n_events: int = 100_000, width: int = 20) -> float:
    """CPU seconds of one bare timeout: made, scheduled, stepped, its one callback called."""
    env = simpy.Environment()
    delays = iter(np.random.default_rng(0).exponential(1.0, n_events).tolist())

    def callback(ev: _Timer) -> None:
        delay = next(delays, None)
        if delay is not None:
            _Timer(env, delay, 0, callback, ev.at + delay)

    for _ in range(width):
        delay = next(delays)
        _Timer(env, delay, 0, callback, delay)
    _, s = _cpu(env.run)
    return s / n_events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=300, help="days per tier (default 300)")
    args = parser.parse_args()
    if args.days < 1:
        parser.error(f"--days: at least 1, got {args.days}")
    floors, references = [], []
    for k in range(5):
        floors.append(simpy_floor())
        (count, _), s = _cpu(simpy_mmc, 20_000, k)
        references.append(s / count)
    floor, reference = statistics.median(floors), statistics.median(references)
    print(f"SimPy's floor: {floor * 1e6:.2f} us per bare timeout; minimal SimPy M/M/3: {reference * 1e6:.2f} us per "
          f"customer ({reference / floor:.1f} bare timeouts)")
    print("\n| tier | customers/day | events/customer | " + " | ".join(PHASES) + " | total | x minimal SimPy "
          "| SimPy's floor in the loop |")
    print("|---" * (len(PHASES) + 6) + "|")
    for path in sorted((ROOT / "scenarios").glob("*_outlet.toml")):
        scenario = sim.load_scenario(path)
        sim.replicate(scenario, 2, 0)  # warm the per-scenario caches
        spent, customers, events = day_phases(scenario, args.days)
        per = {k: v / customers * 1e6 for k, v in spent.items()}
        total = sum(per.values())
        print(f"| {path.stem.removesuffix('_outlet')} | {customers / args.days:.0f} | {events / customers:.2f} | "
              + " | ".join(f"{per[k]:.2f}" for k in PHASES)
              + f" | {total:.2f} | {reference * 1e6 / total:.2f} | {floor * events / customers * 1e6:.2f} |")


if __name__ == "__main__":
    main()
