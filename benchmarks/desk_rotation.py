"""The customer managers' desk rotation (``[dispatch.rotation.non_cash]``) on the backbone outlet, paired.

Arms, all on the same days (common random numbers): the shipped outlet (every inside CM at the
low counter's desk all day, home zone first), rotations of ``at_desk`` CMs in turns of
``block_min`` minutes, and fixed posts (the same CMs at the desk all day: ``block_min`` = the
opening day). Prints each arm's net value (value − value lost, yuan/day), low-counter mean wait
and service level and wealth-room service level, and the paired 95% CI of each arm minus the
shipped outlet and of each rotation minus fixed posts with the same ``at_desk``::

    python benchmarks/desk_rotation.py [--days 200] [--seed 11] [--at-desk 1 2] [--block-min 60]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import sim
from sim.analysis import paired_difference, per_day

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ("net_value_yuan", "non_cash.mean_wait_min", "non_cash.service_level", "wealth.service_level")


def rotation(base: sim.Scenario, at_desk: int, block_min: float) -> sim.Scenario:
    """The backbone outlet with ``at_desk`` CMs at the low counter's desk in turns of ``block_min``."""
    turn = {"role": "customer_manager", "at_desk": at_desk, "block_min": block_min}
    return sim.with_overrides(base, {"dispatch.rotation": {"non_cash": turn}})


def measures(scenario: sim.Scenario, days: int, seed: int) -> dict[str, np.ndarray]:
    """Per-day values of :data:`MEASURES`."""
    result = sim.replicate(scenario, n=days, seed=seed)
    out = {"net_value_yuan": per_day(result, "value_yuan") - per_day(result, "value_lost_yuan")}
    out.update({kpi: per_day(result, kpi) for kpi in MEASURES[1:]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--at-desk", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--block-min", type=float, default=60.0)
    args = parser.parse_args()
    base = sim.load_scenario(ROOT / "scenarios" / "backbone_outlet.toml")
    day = base.outlet.day_min
    arms = {"all CMs at the desk (shipped)": base}
    for k in args.at_desk:
        arms[f"rotation {k} at the desk, {args.block_min:g}-min turns"] = rotation(base, k, args.block_min)
        arms[f"fixed posts, {k} at the desk"] = rotation(base, k, day)
    runs = {name: measures(sc, args.days, args.seed) for name, sc in arms.items()}
    print(f"backbone outlet, {args.days} paired days, seed {args.seed}")
    for name, run in runs.items():
        print(name + ": " + "; ".join(f"{m} {run[m].mean():.4g}" for m in MEASURES))
    shipped = runs["all CMs at the desk (shipped)"]
    for name, run in runs.items():
        if run is shipped:
            continue
        print(f"{name} - shipped: " + "; ".join(_ci(shipped[m], run[m], m) for m in MEASURES))
    for k in args.at_desk:
        rot = runs[f"rotation {k} at the desk, {args.block_min:g}-min turns"]
        fixed = runs[f"fixed posts, {k} at the desk"]
        print(f"rotation {k} - fixed posts {k}: " + "; ".join(_ci(fixed[m], rot[m], m) for m in MEASURES))


def _ci(a: np.ndarray, b: np.ndarray, measure: str) -> str:
    d = paired_difference(a, b)
    return f"{measure} {d.mean:+.4g} [{d.ci95_low:+.4g}, {d.ci95_high:+.4g}]"


if __name__ == "__main__":
    main()
