"""Optimiser benchmarks: the MILP alone at scale (HiGHS beside CBC), and the shipped region end to end.

    python benchmarks/optimize_bench.py                 # MILP 2,000 x 50 (both solvers), region default + --quick
    python benchmarks/optimize_bench.py --quick         # MILP 200 x 50, region --quick only (CI smoke)
    python benchmarks/optimize_bench.py --milp-only
    python benchmarks/optimize_bench.py --milp-only --every-rule   # 2,000 x 50 with the VIP and outside-staff rules too

MILP instances are synthetic but shaped like the real model: per outlet, 50 patterns
whose value grows concavely with head-count (with noise), role counts around a tier's
typical plan, customer managers split near 1 : 1; rules: total and per-role pools at
today's totals, per-tier bounds, the monotone tier rule, the inside : outside band,
minimum CMs and a transfer limit. ``--every-rule`` adds the two rules the region file has
beyond those: the VIP "2 to 1" maintenance rule (each outlet's VIP book at 90% of what
today's customer and wealth managers can keep, so today's plan meets it) and the regional
outside-staff rule (a third of the outlets with at least 3 customer managers outside: the
essay's 7 scaled to the synthetic outlets' 4-13 CMs). Each solve must reach the 1e-6 gap;
the time limit only stops a solver that cannot (reported as such).

Appends one JSON line per measurement to ``benchmarks/results/results.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from optimize.milp import InfeasibleError, OutletOptions, OutsideRule, Policy, RatioRule, VipRule, solve
from sim.codes import ROLES

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "results.jsonl"
TIERS = ("flagship", "backbone", "advancing", "potential")
_BASE = {"flagship": [1, 1, 1, 1, 4, 3, 10, 2, 1], "backbone": [1, 1, 1, 1, 3, 2, 6, 1, 1],
         "advancing": [1, 1, 1, 1, 2, 1, 5, 1, 1], "potential": [1, 1, 1, 0, 2, 1, 5, 0, 1]}


def synthetic(outlets: int, patterns: int, seed: int = 0, vip: bool = False) -> list[OutletOptions]:
    """A synthetic region: see the module docstring (``vip``: VIP books for the maintenance rule)."""
    rng = np.random.default_rng(seed)
    cm = ROLES.index("customer_manager")
    out = []
    for o in range(outlets):
        tier = TIERS[o % 4]
        base = np.asarray(_BASE[tier])
        counts = np.tile(base, (patterns, 1))
        counts[1:, 2:8] += rng.integers(-1, 3, size=(patterns - 1, 6))
        counts = np.maximum(counts, 0)
        counts[:, cm] = np.maximum(counts[:, cm], 4)
        inside = np.clip(counts[:, cm] // 2 + rng.integers(-1, 2, patterns), 0, counts[:, cm])
        inside[0] = counts[0, cm] // 2
        extra = counts.sum(axis=1) - base.sum()
        value = 1_000 * (4 - TIERS.index(tier)) * np.log1p(np.maximum(extra + 3, 0)) + rng.normal(0, 300, patterns)
        moves = np.abs(counts - base).sum(axis=1) / 2.0
        book = 0.9 * (counts[0, cm] + counts[0, ROLES.index("wealth_manager")]) * VipRule().book_size / (
            VipRule().maintainers_per_vip) if vip else 0.0
        out.append(OutletOptions(name=f"o{o}", tier=tier, second_level=True, vip_customers=book, counts=counts,
                                 cm_inside=inside, value=value, moves=moves))
    return out


def _policy(outlets: list[OutletOptions], every_rule: bool = False) -> Policy:
    today = [o.counts[0] for o in outlets]
    return Policy(total_headcount=int(sum(t.sum() for t in today)) + len(outlets) // 10,
                  role_pools={"wealth_manager": int(sum(t[ROLES.index("wealth_manager")] for t in today))},
                  tier_bounds={"flagship": (None, 30), "potential": (9, None)}, tier_monotone=True,
                  min_customer_managers=5, inside_outside=RatioRule(0.8, 1.25, 1.0),
                  vip=VipRule() if every_rule else None, max_moves=len(outlets),
                  outside_staff=OutsideRule(min_people=3, share=1 / 3) if every_rule else None)


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (CBC runs as a child process; HiGHS in this one)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_milp(outlets: int, patterns: int, time_limit: float, every_rule: bool = False) -> list[dict[str, object]]:
    """Solve one synthetic instance with each solver; time, status, objective, gap."""
    inst = synthetic(outlets, patterns, vip=every_rule)
    policy = _policy(inst, every_rule)
    rows = []
    for solver in ("highs", "cbc"):
        t0, cpu0 = time.perf_counter(), _cpu_s()
        try:
            sol = solve(inst, policy, solver=solver, time_limit=time_limit)
            row = {"status": sol.status, "objective": sol.objective, "gap": sol.gap, "bound": sol.bound}
        except (InfeasibleError, RuntimeError) as exc:
            row = {"status": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
        row.update({"bench": "milp", "solver": solver, "outlets": outlets, "patterns": patterns,
                    "every_rule": every_rule, "seconds": round(time.perf_counter() - t0, 2),
                    "cpu_s": round(_cpu_s() - cpu0, 2)})
        rows.append(row)
        print(json.dumps(row))
    return rows


def bench_region(quick: bool) -> dict[str, object]:
    """``branchlab optimize`` on the shipped region in a fresh process (imports included), no cache."""
    out = ROOT / "benchmarks" / "results" / ("region_quick" if quick else "region")
    cmd = [sys.executable, "-m", "branchlab.cli", "optimize", str(ROOT / "scenarios" / "region_12_outlets.toml"),
           "--out", str(out), "--no-cache", "-q", *(["--quick"] if quick else [])]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    row: dict[str, object] = {"bench": "region", "quick": quick, "seconds": round(seconds, 1),
                              "exit": done.returncode}
    summary = out / "recommendation.json"
    if done.returncode == 0 and summary.exists():
        data = json.loads(summary.read_text())
        row.update({"uplift": data["uplift"], "timings": data.get("timings"), "counts": data.get("counts")})
    else:
        row["stderr"] = done.stderr[-500:]
    print(json.dumps(row))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--milp-only", action="store_true")
    parser.add_argument("--every-rule", action="store_true", help="add the VIP and outside-staff rules (see above)")
    args = parser.parse_args()
    rows = bench_milp(200 if args.quick else 2000, 50, time_limit=120 if args.quick else 600,
                      every_rule=args.every_rule)
    if not args.milp_only:
        rows.append(bench_region(quick=True))
        if not args.quick:
            rows.append(bench_region(quick=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as fh:
        for row in rows:
            fh.write(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%S"), **row}) + "\n")
    highs, cbc = rows[0], rows[1]
    seconds = {solver: float(str(row["seconds"])) for solver, row in (("highs", highs), ("cbc", cbc))}
    print(f"milp_highs_s={highs['seconds']} milp_cbc_s={cbc['seconds']} "
          f"cbc_over_highs={seconds['cbc'] / max(seconds['highs'], 1e-9):.2f}")


if __name__ == "__main__":
    main()
