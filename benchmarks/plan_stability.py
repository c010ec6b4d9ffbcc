"""How much of the shipped region's recommendation holds across seeds, and how much of its predicted uplift is verified.

Runs ``branchlab optimize`` on the shipped region for seeds 0..N-1 (default 5), then
reports the plan-row agreement (the share of (outlet, role, placement) rows whose
recommended head-count is the same in every pair of runs, averaged over pairs), and per
seed the verified uplift with its CI, the realised share of the predicted uplift, the
moves and the run time::

    python benchmarks/plan_stability.py [--seeds 5] [--quick] [--out benchmarks/results/stability]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run the seeds and print one line per seed, then the agreement."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--region", default="scenarios/region_12_outlets.toml")
    ap.add_argument("--out", default="benchmarks/results/stability")
    args = ap.parse_args()
    plans = {}
    for seed in range(args.seeds):
        out = ROOT / args.out / f"seed{seed}"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "branchlab.cli", "optimize", args.region, "--out", str(out), "-q",
                        "--seed", str(seed), *(["--quick"] if args.quick else [])], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        doc = json.loads((out / "recommendation.json").read_text(encoding="utf-8"))
        plan = pd.read_csv(out / "recommendation.csv", keep_default_na=False)
        plans[seed] = plan.set_index(["outlet", "role", "placement"])["recommended"]
        u = doc["uplift"]
        moved = (plan["change"].abs().sum()) / 2
        print(f"seed {seed}: uplift {u['mean']:,.0f} [{u['ci95_low']:,.0f}, {u['ci95_high']:,.0f}] yuan/day, "
              f"realised {u['share_realised']:.0%} of {u['predicted']:,.0f}, {moved:g} moves, {seconds:.0f} s")
    pairs = list(itertools.combinations(plans, 2))
    agree = [float((plans[a] == plans[b].reindex(plans[a].index)).mean()) for a, b in pairs]
    if agree:
        print(f"plan-row agreement over {len(pairs)} pairs of seeds: mean {sum(agree) / len(agree):.1%}, "
              f"min {min(agree):.1%} ({len(plans[0])} rows)")


if __name__ == "__main__":
    main()
