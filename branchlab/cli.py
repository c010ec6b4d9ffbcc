"""The ``branchlab`` command line: ``simulate``, ``validate`` and ``sweep`` sub-commands.

Options mirror the Python API (:mod:`sim`). Bad input ends with one line naming the
file, the field and what is allowed, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim import ScenarioError, load_scenario, replicate
from sim.executors import EXECUTORS
from sim.fileio import write_atomic

_GROUPS = ("zones", "outlet", "by_hour", "by_segment", "by_role")


def _simulate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    from tqdm.auto import tqdm

    with tqdm(total=args.replications, desc="replications", unit="day", disable=args.quiet, leave=False,
              file=sys.stderr) as bar:
        result = replicate(scenario, args.replications, args.seed, progress=lambda done: bar.update(1))
    print(f"{scenario.outlet.name} ({scenario.outlet.tier}) — {args.replications} replications, seed {args.seed}")
    print("mean ± 95% CI half-width; waits in minutes, value in yuan\n")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for group in args.show:
            print(f"[{group}]")
            print(result.table(group).to_string())
            print()
    if args.json:
        write_atomic(Path(args.json), json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {args.json}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from sim import validation

    frame = validation.run(quick=args.quick, seed=args.seed,
                           progress=None if args.quiet else lambda name: print(f"… {name}", file=sys.stderr))
    shown = frame.drop(columns=["ci95_low", "ci95_high", "abs_error"]).assign(
        rel_error=frame["rel_error"].map(lambda x: f"{x:+.2%}"))
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        print(shown.to_string(index=False))
    failed = int((~frame["passed"]).sum())
    print(f"\n{len(frame) - failed} of {len(frame)} checks passed")
    if args.json:
        records = frame.to_dict(orient="records")
        write_atomic(Path(args.json), json.dumps({"seed": args.seed, "quick": args.quick, "checks": records},
                                                 indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.plot:
        from sim.plots import plot_validation, save_figure

        save_figure(plot_validation(frame), args.plot)
        print(f"wrote {args.plot}")
    return 1 if failed else 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.sweeps import load_sweep_file, report_line, sweep

    design = load_sweep_file(args.sweep)
    if not args.quiet:
        print(f"{args.sweep}: {len(design.points)} points × {design.replications} replications "
              f"({design.design}), executor {args.executor}", file=sys.stderr)
    try:
        report = sweep(design, args.out, executor=args.executor, workers=args.workers, scheduler=args.scheduler,
                       resume=args.resume, progress=not args.quiet, flush_seconds=args.flush_seconds)
    except FileExistsError as exc:
        print(f"branchlab: {exc}", file=sys.stderr)
        return 2
    print(report_line(report))
    if report.failed:
        print(f"{report.failed} points failed: their rows carry the error (sim.load_sweep(DIR, rows=True))",
              file=sys.stderr)
        return 100 + min(report.failed, 99)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="branchlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("simulate", help="replicate one outlet scenario and print its KPIs with 95% CIs")
    p.add_argument("scenario", help="scenario TOML file (see scenarios/)")
    p.add_argument("-n", "--replications", type=int, default=30, help="independent days (default 30)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--json", metavar="OUT", help="also write the KPIs as JSON to OUT")
    p.add_argument("--show", nargs="+", choices=_GROUPS, default=["outlet", "zones"],
                   help="which tables to print (default: outlet zones)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_simulate)

    v = sub.add_parser("validate", help="compare the model, configured as textbook queues, with queueing theory")
    v.add_argument("--quick", action="store_true", help="the quick set (about a minute and a half)")
    v.add_argument("--seed", type=int, default=2024, help="base seed (default 2024)")
    v.add_argument("--json", metavar="OUT", help="write every check as JSON to OUT")
    v.add_argument("--plot", metavar="PATH", help="save a simulated-vs-analytic plot (PNG) to PATH")
    v.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    v.set_defaults(run=_validate)

    s = sub.add_parser("sweep", help="run a parameter sweep into a results folder (resumable)",
                       epilog="exit status: 0 all points ran, 2 bad input, 100+N when N points failed (N <= 99)")
    s.add_argument("sweep", help="sweep TOML file (see scenarios/sweep_small.toml)")
    s.add_argument("--out", required=True, metavar="DIR", help="results folder")
    s.add_argument("--executor", choices=EXECUTORS, default="processes", help="where points run (default processes)")
    s.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    s.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a LocalCluster)")
    s.add_argument("--resume", action="store_true", help="continue a sweep already in DIR, skipping finished points")
    s.add_argument("--flush-seconds", type=float, default=2.0, help="write finished rows this often (default 2)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(run=_sweep)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``branchlab`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    if getattr(args, "replications", 1) < 1:
        print("branchlab: --replications must be >= 1", file=sys.stderr)
        return 2
    try:
        status: Any = args.run(args)
    except ScenarioError as exc:
        print(f"branchlab: {exc}", file=sys.stderr)
        return 2
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
