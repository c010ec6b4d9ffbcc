"""The quarter study's later levers, each alone against the shipped rules on the shipped region (paired).

Runs the shipped rules and one copy per lever with only that lever switched on at its defaults
(``[penalties]``, ``[training]``, ``[exchange]``, the team ladder ``[ladder] teams``) in one
:func:`optimize.quarters.run_rule_sets` pass (common random numbers), and prints, per lever, the whole
run's paired 95% CIs of value, pay cost, value per yuan of pay, exits and VIPs lost
(:func:`optimize.pay_compare.paired_comparison`) and the lever's own counts::

    python benchmarks/quarter_levers.py [--quarters 4] [--replications 2] [--seed 0] [--levers penalties ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import pandas as pd

from optimize.pay_compare import paired_comparison
from optimize.quarters import QuarterRules, load_rules, load_study, run_rule_sets

ROOT = Path(__file__).resolve().parents[1]


def lever_rules(shipped: QuarterRules) -> dict[str, QuarterRules]:
    """The shipped rules with one lever on (its rules-file defaults), by lever name."""
    on = {
        "penalties": dataclasses.replace(shipped, penalties=dataclasses.replace(shipped.penalties, enabled=True)),
        "training": dataclasses.replace(shipped, training=dataclasses.replace(shipped.training, enabled=True)),
        "exchange": dataclasses.replace(shipped, exchange=dataclasses.replace(shipped.exchange, enabled=True)),
        "team_ladder": dataclasses.replace(shipped, ladder=dataclasses.replace(shipped.ladder, teams=True)),
    }
    return on


def _counts(name: str, res: pd.DataFrame) -> str:
    columns = {"penalties": ["head_reviews", "head_penalty_yuan"], "training": ["training_days", "cm_vacancy_days"],
               "exchange": ["exchanged", "cm_vacancy_days"], "team_ladder": ["team_ladder_yuan"]}[name]
    shown = [c for c in columns if c in res.columns]
    return ", ".join(f"{c} {res[c].mean():,.1f}" for c in shown)


def main() -> None:
    """Run the levers and print one block per lever."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=4)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--levers", nargs="*", default=None)
    parser.add_argument("--executor", default="processes")
    args = parser.parse_args()
    shipped = load_rules(ROOT / "scenarios" / "quarter_rules.toml")
    levers = {k: v for k, v in lever_rules(shipped).items() if args.levers is None or k in args.levers}
    study = load_study([ROOT / "scenarios" / "region_12_outlets.toml"])
    started = time.perf_counter()
    results = run_rule_sets(study, [shipped, *levers.values()], quarters=args.quarters,
                            replications=args.replications, seed=args.seed, executor=args.executor)
    seconds = time.perf_counter() - started
    base = results[0]
    print(f"shipped region, {args.quarters} quarters x {args.replications} replications, seed {args.seed}, "
          f"{len(results)} rule sets in {seconds:.0f} s")
    for (name, _), res in zip(levers.items(), results[1:], strict=True):
        table = paired_comparison(base, res)
        overall = table[table["quarter"] == "all"].drop(columns=["quarter", "n"])
        print(f"\n== {name} alone - shipped (whole run, paired 95% CI); {_counts(name, res.summary)}")
        print(overall.to_string(index=False, float_format=lambda x: f"{x:,.3f}"))


if __name__ == "__main__":
    main()
