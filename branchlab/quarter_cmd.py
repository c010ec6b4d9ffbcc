"""``branchlab quarter``: simulated quarters with the essay's pay, ranking and scorecard rules.

``branchlab quarter REGION_OR_SCENARIO... --quarters 4 --out DIR [--seed] [--executor]
[--replications] [--rules FILE] [--compare-exit-rule | --compare RULES_A RULES_B]`` writes pay, points, rankings,
exits and scorecards per quarter as CSV and JSON, and ``report.html`` with charts; the
outlet heads' pay with its deposit-and-customer growth gate, and an office team's pay
when the rules file has an ``[office_team]``. ``--compare RULES_A RULES_B`` runs two rules
files on common random numbers and adds ``rules_comparison.csv`` (paired 95% CIs of value,
pay cost, value per yuan of pay, exits and VIPs lost, per quarter and overall:
:mod:`optimize.pay_compare`); the other tables are rule set A's.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from branchlab.options import MAX_QUARTER_REPLICATIONS, MAX_QUARTERS, SEED, add_executor, whole
from branchlab.outputs import Output, refuse_clobber, refuse_file_as_folder
from sim.errors import ScenarioError


def _quarter(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from optimize.pay_compare import paired_comparison
    from optimize.quarter_report import FILES, prepare_out, write_quarters
    from optimize.quarters import compare_rules, load_rules, load_study, run_quarters, tasks_per_run

    if not args.out.strip():
        raise ScenarioError("command line", "--out", "an empty path; give a folder (it is created if missing)")
    if args.compare and (args.rules or args.compare_exit_rule):
        raise ScenarioError("command line", "--compare", "names both rules files; give it without --rules and "
                            "--compare-exit-rule")
    rules = load_rules(args.compare[0] if args.compare else args.rules)
    rules_b = load_rules(args.compare[1]) if args.compare else None
    study = load_study(args.inputs)
    inputs = [("file", path) for path in args.inputs] + [("scenario", s.source) for s in study.scenarios]
    rules_files = [args.rules] if args.rules else list(args.compare or [])
    refuse_clobber([*inputs, *(("rules file", f) for f in rules_files)],
                   [Output("--out", args.out, FILES)])
    refuse_file_as_folder(args.out, f"--out {args.out}")
    try:
        out = prepare_out(args.out)
    except OSError as exc:
        print(f"branchlab: --out {args.out}: cannot write there ({exc.strerror or exc})", file=sys.stderr)
        return 2
    arms = 2 if args.compare_exit_rule or args.compare else 1
    total = tasks_per_run(study, args.quarters, args.replications, arms)
    run: dict[str, Any] = {"quarters": args.quarters, "replications": args.replications, "seed": args.seed,
                           "executor": args.executor, "workers": args.workers}
    comparison = pay_table = None
    with tqdm(total=total, desc="outlet-quarters", disable=args.quiet, leave=False, file=sys.stderr) as bar:
        if rules_b is not None:
            pay_table, res, _ = compare_rules(study, rules, rules_b, progress=bar.update, table=paired_comparison,
                                              **run)
        elif args.compare_exit_rule:
            comparison, res, _ = compare_rules(study, rules, rules.without_exits(), progress=bar.update, **run)
        else:
            res = run_quarters(study, rules, progress=bar.update, **run)
    meta = {"study": study.source, "rules": rules.source, "quarters": args.quarters,
            "replications": args.replications, "seed": args.seed, "seconds": res.seconds}
    if rules_b is not None:
        meta["rules_b"] = rules_b.source
    written = write_quarters(res, out, meta, comparison, pay_table)
    cm = res.people[res.people["role"] == "customer_manager"]
    quarters = f"{args.quarters} quarter{'s' * (args.quarters != 1)}"
    replications = f"{args.replications} replication{'s' * (args.replications != 1)}"
    print(f"{len(study.scenarios)} outlets, {quarters} x {replications} in "
          f"{res.seconds:.1f} s: {int(cm['exits'].sum())} exits, mean CM pay "
          f"{cm['pay_yuan'].mean():,.0f} yuan/quarter")
    heads = res.outlets
    print(f"outlet heads: mean deposit growth {heads['deposit_growth_yuan'].mean():,.0f} yuan/quarter, "
          f"{(heads['growth_attainment'] >= rules.pay.head_growth_full_at).mean():.0%} of outlet-quarters pass the "
          f"growth gate, mean head pay {heads['head_pay_yuan'].mean():,.0f} yuan/quarter")
    if rules.inspection.enabled:
        counts = res.summary[["red_flags", "red_flags_misplaced", "penalties", "penalties_misplaced"]].sum()
        print(f"inspections: {counts['red_flags_misplaced']:.0f} of {counts['red_flags']:.0f} red flags and "
              f"{counts['penalties_misplaced']:.0f} of {counts['penalties']:.0f} penalties went to an outlet that "
              "perfect information would not have chosen")
    if rules.vip_care.enabled:
        points = res.people["vip_points_deducted"]
        print(f"VIP care: {heads['vip_care_share'].mean():.0%} of a maintainer's day on average, "
              f"{heads['vip_care_coverage'].mean():.0%} of the contacts made, {heads['vip_care_lost'].sum():.0f} VIPs "
              f"left for lack of care; 四包 took {points.sum():,.0f} points off CMs and WMs")
    if rules.penalties.enabled:
        print(f"penalty points: {heads['head_penalty_yuan'].sum():,.0f} yuan taken off heads' pay for points on their "
              f"balance, {int(heads['head_review'].sum())} outlet-quarters with the head under review")
    if rules.training.enabled:
        days = res.people["training_days"]
        print(f"training: {days.sum():,.0f} person-days away from work over {int((days > 0).sum())} "
              "person-quarters; skill after training in people.csv (skill_after)")
    if rules.exchange.enabled:
        print(f"exchange: {int(res.people['exchanged'].sum())} {rules.exchange.from_role} moved into "
              f"{rules.exchange.to_role} posts, {heads['exchange_cost_yuan'].sum():,.0f} yuan of training")
    if rules.ladder.teams:
        print(f"team ladder: {heads['team_ladder_yuan'].sum():,.0f} yuan of one-off team rewards")
    if not res.office.empty:
        print(f"office team: mean completion {res.office['completion'].mean():.2f}, "
              f"pay per member {res.office['pay_per_member_yuan'].mean():,.0f} yuan/quarter")
    if comparison is not None:
        print(comparison.to_string(index=False, float_format=lambda x: f"{x:,.1f}"))
    if pay_table is not None:
        print(f"B = {rules_b.source if rules_b else ''} minus A = {rules.source}, whole run, paired 95% CI:")
        overall = pay_table[pay_table["quarter"] == "all"].drop(columns="quarter")
        print(overall.to_string(index=False, float_format=lambda x: f"{x:,.3f}"))
    print("wrote: " + ", ".join(str(path) for path in written))
    return 0


def register(subparsers: Any) -> None:
    """Add the ``quarter`` sub-command to ``branchlab``'s sub-parsers."""
    q = subparsers.add_parser("quarter", help="simulate quarters: points, pay, ranking, exits, scorecards",
                              epilog="exit status: 0 done, 2 bad input")
    q.add_argument("inputs", nargs="+", metavar="REGION_OR_SCENARIO",
                   help="a region file, or one or more outlet scenario files")
    q.add_argument("--quarters", type=whole(1, MAX_QUARTERS), default=4,
                   help=f"quarters to simulate, 1 to {MAX_QUARTERS} (default 4)")
    q.add_argument("--out", required=True, metavar="DIR", help="output folder")
    q.add_argument("--seed", type=SEED, default=0, help="base seed, 0 to 2**63 - 1 (default 0)")
    add_executor(q, "processes", "days")
    q.add_argument("--replications", type=whole(1, MAX_QUARTER_REPLICATIONS), default=1,
                   help=f"independent runs, 1 to {MAX_QUARTER_REPLICATIONS} (default 1)")
    q.add_argument("--rules", metavar="FILE", help="rules TOML (default: the values in scenarios/quarter_rules.toml)")
    q.add_argument("--compare-exit-rule", action="store_true",
                   help="also run without the exit rule on the same seeds and report paired differences")
    q.add_argument("--compare", nargs=2, metavar=("RULES_A", "RULES_B"),
                   help="run two rules files on the same seeds; rules_comparison.csv gets paired 95%% CIs of B - A "
                        "(value, pay cost, value per yuan of pay, exits, VIPs lost) per quarter and overall")
    q.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    q.set_defaults(run=_quarter)
