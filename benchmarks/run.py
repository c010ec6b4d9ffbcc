"""branchlab benchmarks, side by side with references in one run (not part of the test suite).

1. M/M/3 at ρ = 0.9: our outlet model on ``scenarios/mmc_cash_only.toml`` vs the same
   queue in Ciw vs a minimal hand-written SimPy model, alternating, median of ≥ 5 runs;
   customers/s, ratios, and each one's mean wait beside Erlang C.
2. A full outlet day of each shipped tier: customers/s, events/s, replications/s, peak
   memory, and the split between simulation and KPI aggregation.
3. Sweep scaling: serial vs 2 processes vs a Dask LocalCluster on one 200-point sweep,
   and peak memory of a 10× longer sweep.

4. The optimiser: ``branchlab optimize --quick`` on the shipped region (2 processes, no cache).

``python benchmarks/run.py`` runs everything; ``--quick`` uses small sizes (under two
minutes) and ends with one line ``ratio_vs_ciw=X ratio_vs_simpy=Y outlet_day_vs_simpy=Z
optimise_days_per_s=D days_per_decision=P realised_share=S``.
Each benchmark prints a table and appends a JSON line to ``benchmarks/results/results.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import sim
from sim.metrics import day_kpis
from sim.model import run_events, to_log
from sim.queueing import erlang_c

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "results.jsonl"
LAM, MU, C = 2.7, 1.0, 3


def record(name: str, payload: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    line = {"benchmark": name, "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.machine(),
            "python": platform.python_version(), "cpus": __import__("os").cpu_count(), **payload}
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    print(f"\n## {title}")
    cells = [header] + [[f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for k, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


# ---- 1. M/M/3 side by side ------------------------------------------------------------
def ours_mmc(customers: int, seed: int) -> tuple[int, float]:
    base = sim.load_scenario(ROOT / "scenarios" / "mmc_cash_only.toml")
    hours = int(np.ceil(customers / LAM / 60))
    scenario = sim.with_overrides(base, {"outlet.close": f"{hours:02d}:00", "outlet.warmup_min": 0})
    kpis = day_kpis(sim.simulate(scenario, seed))
    return int(kpis.outlet[sim.OUTLET_KPIS.index("arrived")]), float(kpis.zones[sim.ZONES.index("cash"), 0])


def ciw_mmc(customers: int, seed: int) -> tuple[int, float]:
    import ciw  # type: ignore[import-untyped]

    ciw.seed(seed)  # Ciw draws from the global RNG; acceptable in a benchmark only
    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=LAM)],
                                 service_distributions=[ciw.dists.Exponential(rate=MU)], number_of_servers=[C])
    q = ciw.Simulation(network)
    q.simulate_until_max_time(customers / LAM)
    waits = [r.waiting_time for r in q.get_all_records()]
    return len(waits), float(np.mean(waits))


def simpy_mmc(customers: int, seed: int) -> tuple[int, float]:
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / LAM, customers).tolist()
    service = rng.exponential(1 / MU, customers).tolist()
    env = simpy.Environment()
    tellers = simpy.Resource(env, C)
    waits: list[float] = []

    def customer(i: int) -> Any:
        arrived = env.now
        with tellers.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(service[i])

    def source() -> Any:
        for i in range(customers):
            yield env.timeout(gaps[i])
            env.process(customer(i))

    env.process(source())
    env.run()
    return len(waits), float(np.mean(waits))


def bench_mmc(customers: int, runs: int) -> dict[str, float]:
    contenders: dict[str, Callable[[int, int], tuple[int, float]]] = {
        "branchlab (outlet model)": ours_mmc, "Ciw 3": ciw_mmc, "minimal SimPy": simpy_mmc}
    rates: dict[str, list[float]] = {k: [] for k in contenders}
    waits: dict[str, list[float]] = {k: [] for k in contenders}
    for run in range(runs):  # alternate contenders within each run
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            n, wait = fn(customers, 1000 + run)
            rates[name].append(n / (time.perf_counter() - t0))
            waits[name].append(wait)
    med = {k: statistics.median(v) for k, v in rates.items()}
    theory = erlang_c(LAM, MU, C).mean_wait
    rows = [[k, med[k], med[k] / med["Ciw 3"], med[k] / med["minimal SimPy"], statistics.mean(waits[k]), theory]
            for k in contenders]
    table(f"M/M/3, rho = 0.9, {customers:,} customers, median of {runs} alternating runs",
          ["model", "customers/s", "x Ciw", "x SimPy", "mean wait (min)", "Erlang C"], rows)
    out = {"ours": med["branchlab (outlet model)"], "ciw": med["Ciw 3"], "simpy": med["minimal SimPy"],
           "ratio_vs_ciw": med["branchlab (outlet model)"] / med["Ciw 3"],
           "ratio_vs_simpy": med["branchlab (outlet model)"] / med["minimal SimPy"]}
    record("mmc", {"customers": customers, "runs": runs, **out})
    return out


# ---- 2. full outlet days ----------------------------------------------------------------
def split_days(scenario: sim.Scenario, seed: int, reps: int) -> tuple[int, int, float, float, float]:
    """(customers, events, model s, logging s, KPI s) over ``reps`` replications.

    Model: drawing the day and running the event loop; logging: turning the visit lists
    into the DayLog arrays; KPIs: one batched pass over all the days, as replicate does.
    """
    customers = events = 0
    model_s = logging_s = 0.0
    logs = []
    for rep in range(reps):
        t0 = time.perf_counter()
        day, rngs = run_events(scenario, seed, rep)
        t1 = time.perf_counter()
        logs.append(to_log(scenario, day, rngs))
        logging_s += time.perf_counter() - t1
        model_s += t1 - t0
        events += day.events  # timed events scheduled in the day
        customers += day.n
    t0 = time.perf_counter()
    sim.batch_kpis(logs)
    return customers, events, model_s, logging_s, time.perf_counter() - t0


def bench_outlets(reps: int, rounds: int) -> float:
    """Each tier's outlet day against the minimal SimPy M/M/3, alternating, median of ``rounds``.

    Each round measures every tier's ``reps`` days (model + log + KPIs) and, right after
    each, the minimal SimPy model on as many customers (at least 5,000): the ratio of a
    tier's rate to the reference's measured beside it, median over rounds, so a change of
    the machine's load between measurements moves both sides of a ratio alike.
    """
    rows = []
    ratios = []
    for path in sorted((ROOT / "scenarios").glob("*_outlet.toml")):
        scenario = sim.load_scenario(path)
        sim.replicate(scenario, 2, 0)  # warm caches
        t0 = time.perf_counter()
        sim.replicate(scenario, reps, 1)
        wall = time.perf_counter() - t0
        tracemalloc.start()
        sim.replicate(scenario, reps, 1)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rates, paired, splits = [], [], []
        for k in range(rounds):
            customers, events, model_s, logging_s, kpi_s = split_days(scenario, 1 + k, reps)
            total = model_s + logging_s + kpi_s
            t0 = time.perf_counter()
            n, _ = simpy_mmc(max(customers, 5_000), 2000 + k)
            reference = n / (time.perf_counter() - t0)
            rates.append(customers / total)
            paired.append(customers / total / reference)
            splits.append((customers, events, model_s, logging_s, kpi_s))
        customers, events, model_s, logging_s, kpi_s = (sum(x) for x in zip(*splits, strict=True))
        total = model_s + logging_s + kpi_s
        rate, ratio = statistics.median(rates), statistics.median(paired)
        ratios.append(ratio)
        share = (logging_s + kpi_s) / total
        rows.append([path.stem, customers / (reps * rounds), rate, events / model_s, reps / wall, share,
                     kpi_s / total, peak, ratio, f"{min(paired):.2f}-{max(paired):.2f}"])
        record("outlet_day", {"scenario": path.stem, "customers_per_s": rate, "events_per_s": events / model_s,
                              "replications_per_s": reps / wall, "logging_and_kpi_share": share,
                              "kpi_share": kpi_s / total, "peak_mib": peak, "vs_simpy": ratio,
                              "vs_simpy_rounds": paired, "replications": reps, "rounds": rounds})
    table(f"Full outlet day, {reps} replications each, {rounds} rounds alternating with minimal SimPy",
          ["scenario", "customers/day", "customers/s", "events/s", "replicate() reps/s", "log+KPI share",
           "KPI share", f"peak MiB ({reps} reps)", "x SimPy (median)", "x SimPy (range)"], rows)
    return min(ratios)


# ---- 3. sweeps ----------------------------------------------------------------------------
SWEEP = """[sweep]
scenario = "{scenario}"
design = "lhs"
points = {points}
replications = {reps}
seed = 11

[fields."arrivals.daily_customers"]
low = 300
high = 500
[fields."staff.cash_teller.count"]
low = 2
high = 4
[fields."staff.customer_manager.inside"]
low = 1
high = 4
"""


def write_sweep(folder: Path, points: int, reps: int, scenario: str = "backbone_outlet.toml") -> Path:
    path = folder / f"sweep_{points}x{reps}.toml"
    path.write_text(SWEEP.format(scenario=(ROOT / "scenarios" / scenario).as_posix(), points=points, reps=reps))
    return path


def bench_sweeps(points: int, reps: int, mem_points: int, runs: int) -> dict[str, float]:
    from sim.executors import make_executor
    from sim.sweeps import load_sweep, load_sweep_file, sweep

    names = ("serial", "processes", "dask")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        design = load_sweep_file(write_sweep(folder, points, reps))
        startup: dict[str, list[float]] = {k: [] for k in names}
        running: dict[str, list[float]] = {k: [] for k in names}
        frames = {}
        for run in range(runs):  # alternate executors, medians over runs
            for name in names:
                t0 = time.perf_counter()
                executor = make_executor(name, None if name == "serial" else 2)
                t1 = time.perf_counter()
                sweep(design, folder / f"{name}{run}", executor=executor, progress=False)
                t2 = time.perf_counter()
                executor.close()
                startup[name].append(t1 - t0)
                running[name].append(t2 - t1)
                frames[name] = load_sweep(folder / f"{name}{run}", rows=True)
        identical = all(frames["serial"].equals(f) for f in frames.values())
        up = {k: statistics.median(v) for k, v in startup.items()}
        sweep_s = {k: statistics.median(v) for k, v in running.items()}
        walls = {k: statistics.median([a + b for a, b in zip(startup[k], running[k], strict=True)]) for k in names}
        mem: dict[int, float] = {}
        growth: dict[int, float] = {}  # peak of Python allocations during the sweep (tracemalloc)
        for n in (mem_points // 10, mem_points):
            path = write_sweep(folder, n, 1, "potential_outlet.toml")
            code = ("import resource, tracemalloc; from sim.sweeps import sweep, load_sweep_file; "
                    f"d = load_sweep_file({str(path)!r}); tracemalloc.start(); "
                    f"sweep(d, {str(folder / f'mem{n}')!r}, executor='serial', progress=False); "
                    "print(tracemalloc.get_traced_memory()[1], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            traced, peak_kib = map(int, done.stdout.split()[-2:])
            mem[n] = peak_kib / 1024
            growth[n] = traced / 2**20
    speedup = walls["serial"] / walls["processes"]
    dask_ratio = walls["dask"] / walls["processes"]
    dask_running_ratio = sweep_s["dask"] / sweep_s["processes"]
    mem_ratio = growth[mem_points] / growth[mem_points // 10]
    table(f"Sweep of {points} points x {reps} replications (backbone outlet), 2 workers, median of {runs}",
          ["executor", "start-up s", "sweep s", "wall s", "points/s", "vs serial", "vs processes"],
          [[k, up[k], sweep_s[k], walls[k], points / walls[k], walls["serial"] / walls[k],
            walls[k] / walls["processes"]] for k in names])
    table("Sweep memory (serial, one process)", ["rows", "peak RSS MiB", "peak traced during the sweep MiB"],
          [[n, m, growth[n]] for n, m in mem.items()])
    print(f"identical rows on all executors: {identical}; process speed-up {speedup:.2f}x; "
          f"dask/processes {dask_ratio:.2f} with cluster start-up, {dask_running_ratio:.2f} without; "
          f"memory {mem_points}/{mem_points // 10} rows {mem_ratio:.2f}x")
    out = {"serial_s": walls["serial"], "processes_s": walls["processes"], "dask_s": walls["dask"],
           "dask_startup_s": up["dask"], "speedup_processes": speedup, "dask_vs_processes": dask_ratio,
           "dask_vs_processes_running": dask_running_ratio, "identical": identical,
           "peak_mib_small": mem[mem_points // 10], "peak_mib_large": mem[mem_points], "memory_ratio": mem_ratio,
           "growth_mib_small": growth[mem_points // 10], "growth_mib_large": growth[mem_points]}
    record("sweep", {"points": points, "replications": reps, "memory_rows": mem_points, **out})
    return out


# ---- 4. the optimiser, one line ---------------------------------------------------------------
def bench_optimiser() -> dict[str, float]:
    """``branchlab optimize --quick`` on the shipped region (in this process, 2 worker processes, no cache).

    Simulated days per second of the whole run, days per decision (simulated days per
    outlet decided) and the realised share of the predicted uplift (verified ÷ predicted).
    """
    import optimize

    region = optimize.load_region(ROOT / "scenarios" / "region_12_outlets.toml")
    t0 = time.perf_counter()
    rec = optimize.recommend(region, seed=0, executor="processes", workers=2, quick=True)
    wall = time.perf_counter() - t0
    days = float(rec.counts.get("simulated_days", 0))
    out = {"seconds": wall, "simulated_days": days, "days_per_s": days / wall,
           "days_per_decision": days / len(region.outlets), "realised_share": float(rec.uplift["share_realised"])}
    record("optimiser_quick", out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under two minutes")
    args = parser.parse_args()
    t0 = time.perf_counter()
    print(f"branchlab benchmarks — {platform.platform()}, Python {platform.python_version()}, "
          f"{__import__('os').cpu_count()} CPUs, {'quick' if args.quick else 'full'}")
    mmc = bench_mmc(20_000 if args.quick else 100_000, 5)
    outlet_ratio = bench_outlets(30, 3 if args.quick else 5)
    if args.quick:
        bench_sweeps(40, 2, 500, 1)
    else:
        bench_sweeps(200, 5, 5000, 3)
    opt = bench_optimiser()
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"ratio_vs_ciw={mmc['ratio_vs_ciw']:.2f} ratio_vs_simpy={mmc['ratio_vs_simpy']:.2f} "
          f"outlet_day_vs_simpy={outlet_ratio:.2f} optimise_days_per_s={opt['days_per_s']:.0f} "
          f"days_per_decision={opt['days_per_decision']:.0f} realised_share={opt['realised_share']:.2f}")


if __name__ == "__main__":
    main()
