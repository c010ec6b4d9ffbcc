"""What the optimiser's own objects hold, this checkout beside an earlier one: the MILP's rules and the plans.

    python benchmarks/optimiser_memory.py --ref 2606e5d            # 2,000 outlets x 50 patterns (about 2 minutes)
    python benchmarks/optimiser_memory.py --ref 2606e5d --outlets 200

Each measurement runs in a fresh process of each checkout in turn (``--rounds`` alternations),
counted by ``tracemalloc`` (bytes Python and numpy allocated, not the RSS, so the figures
repeat exactly from run to run):

- **rules held**: :func:`optimize.milp.rules` of ``optimize_bench.py``'s synthetic region with
  every rule (the rows a :class:`~optimize.milp.Solution` keeps for the constraints table);
- **solve peak**: the traced peak of one :func:`optimize.milp.solve` of it with HiGHS, above
  what was held before it (the rules, the model PuLP builds, HiGHS' arrays as numpy holds them);
- **bytes a plan**: 100,000 :class:`sim.staffing.StaffingPlan` of a few hundred distinct head-counts.

Appends a JSON line to ``benchmarks/results/results.jsonl``; prints a table with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import record, table  # noqa: E402  (the benchmarks folder is not a package)
from worktree import add_worktree, remove_worktree  # noqa: E402

#: Run in a checkout (its own code first on the path): prints one JSON line of the three measures.
PROBE = """
import gc, json, sys, tracemalloc
sys.path[:0] = [".", "benchmarks"]
from optimize_bench import synthetic, _policy
from optimize.milp import rules, solve
from sim.staffing import StaffingPlan
outlets = int(sys.argv[1])
inst = synthetic(outlets, 50, vip=True)
policy = _policy(inst, True)
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
held = rules(inst, policy)
rules_mib = (tracemalloc.get_traced_memory()[0] - before) / 2**20
terms = sum(len(r.terms) for r in held)
del held
gc.collect()
tracemalloc.reset_peak()
before = tracemalloc.get_traced_memory()[0]
sol = solve(inst, policy, solver="highs")
solve_peak_mib = (tracemalloc.get_traced_memory()[1] - before) / 2**20
before = tracemalloc.get_traced_memory()[0]
plans = [StaffingPlan.of({"cash_teller": i % 5, "customer_manager": i % 7, "wealth_manager": i % 3}, i % 7 // 2)
         for i in range(100_000)]
plan_bytes = (tracemalloc.get_traced_memory()[0] - before) / len(plans)
print(json.dumps({"rules_mib": rules_mib, "terms": terms, "solve_peak_mib": solve_peak_mib,
                  "plan_bytes": plan_bytes, "status": sol.status, "objective": sol.objective}))
"""


def probe(checkout: Path, outlets: int) -> dict[str, float]:
    """The three measures in a fresh process of ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE, str(outlets)], cwd=checkout, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True, metavar="REV", help="the earlier commit to compare with")
    parser.add_argument("--outlets", type=int, default=2000, help="outlets of the synthetic region (default 2000)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations (default 2)")
    args = parser.parse_args()
    if args.outlets < 4 or args.rounds < 1:
        parser.error("--outlets must be at least 4 and --rounds at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        ref = add_worktree(args.ref, Path(tmp) / "ref")
        try:
            runs: dict[str, list[dict[str, float]]] = {"ref": [], "this": []}
            for _ in range(args.rounds):
                runs["ref"].append(probe(ref, args.outlets))
                runs["this"].append(probe(ROOT, args.outlets))
        finally:
            remove_worktree(ref)
    a, b = runs["ref"][-1], runs["this"][-1]
    if (a["status"], a["objective"]) != (b["status"], b["objective"]):
        raise SystemExit(f"the two checkouts solve differently: {a['status']} {a['objective']} against "
                         f"{b['status']} {b['objective']}")
    rows = [[name, a[key], b[key], b[key] / a[key]] for name, key in
            (("rules held, MiB", "rules_mib"), ("solve's traced peak, MiB", "solve_peak_mib"),
             ("bytes a plan", "plan_bytes"))]
    table(f"The optimiser's objects, {args.outlets:,} outlets x 50 patterns ({int(b['terms']):,} terms), "
          f"{args.ref} against this checkout", ["measure", args.ref, "this", "ratio"], rows)
    record("optimiser_memory", {"ref": args.ref, "outlets": args.outlets, "ref_runs": runs["ref"],
                                "this_runs": runs["this"]})


if __name__ == "__main__":
    main()
