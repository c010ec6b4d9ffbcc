"""``branchlab optimize``: the staffing recommendation for a region, verified and exported."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from branchlab.options import SEED, add_executor, whole
from branchlab.outputs import Output, refuse_clobber
from optimize.bounds import MAX_DAYS, MAX_FRONTIER
from sim.errors import ScenarioError
from sim.executors import ExecutorError
from sim.labels import LANGS

#: Exit status when no plan satisfies every rule (the diagnosis is printed).
EXIT_INFEASIBLE = 3


def register(sub: Any) -> None:
    """Add the ``optimize`` sub-command to the ``branchlab`` parser's sub-parsers."""
    p = sub.add_parser(
        "optimize", help="recommend where each person should stand across a region's outlets",
        epilog="exit status: 0 a verified plan was exported, 2 bad input, 3 no plan meets every rule (diagnosed)")
    p.add_argument("region", help="region TOML file (see scenarios/region_12_outlets.toml)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the exported recommendation")
    p.add_argument("--solver", choices=("highs", "cbc"), default="highs", help="MILP solver (default highs)")
    p.add_argument("-n", "--replications", type=whole(2, MAX_DAYS), default=24,
                   help=f"days per pattern that could be optimal, and per plan in verification, 2 to {MAX_DAYS:,} "
                        "(default 24)")
    p.add_argument("--seed", type=SEED, default=0, help="base seed, 0 to 2**63 - 1 (default 0)")
    add_executor(p, "processes")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a LocalCluster)")
    p.add_argument("--frontier", type=whole(0, MAX_FRONTIER), default=8, metavar="N",
                   help=f"optimum for budgets of today's head-count -N..+N, 0 to {MAX_FRONTIER} (default 8; 0 = none)")
    p.add_argument("--gap", type=float, default=1e-6, help="relative MIP gap to prove (default 1e-6)")
    p.add_argument("--quick", action="store_true",
                   help="a fast first look: fewer combined patterns, 4 screen days, 8 days, frontier +/-1")
    p.add_argument("--no-cache", action="store_true", help="do not reuse or keep simulated days in DIR/cache")
    p.add_argument("--day-types", action="store_true",
                   help="judge plans over the month's day types (ordinary, pay day, mid-month surge, month end, "
                        "from the quarters' day-of-month profile) unless the region file has [day_types]; "
                        "about 4 times the simulated days")
    p.add_argument("--roster", action="store_true",
                   help="also roster the recommended head-counts: each inside person's shift and lunch from the "
                        "region file's [roster] template (default: 8 h shifts from opening, 45 min lunches in "
                        "11:00-14:00, at most 6 at lunch at once), simulated and corrected, written to roster.csv")
    p.add_argument("--stress", action="store_true",
                   help="also re-solve with each assumed number (cross-sale chances by role, field conversion, "
                        "walk-out cost) x0.5 and x1.5 and report which moves hold (about 8 more runs' time)")
    p.add_argument("--lang", choices=LANGS, default=LANGS[0],
                   help="language of report.html and recommendation.xlsx: zone, role, tier and KPI names, headings "
                        "(default en; the CSV and JSON files keep the machine ids)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def _check_args(args: argparse.Namespace) -> str | None:
    if not 0 <= args.gap < 1:
        return f"--gap: must be in [0, 1), got {args.gap}"
    return None


def run(args: argparse.Namespace) -> int:
    """Load, optimise, verify, export; print a short summary. Returns the exit status."""
    from optimize import InfeasibleError, load_region, recommend, stress_test
    from optimize.export import FILES, ROSTER_FILE, check_writable, export
    from optimize.region import day_volume_problem, month_day_types
    from optimize.roster import RosterTemplate, template_problem

    problem = _check_args(args) or ("--out: an empty path; give a folder" if not args.out.strip() else None)
    if problem:
        print(f"branchlab: {problem}", file=sys.stderr)
        return 2
    region = load_region(args.region)
    if args.day_types and not region.day_types:
        region = replace(region, day_types=month_day_types())
        too_much = day_volume_problem(region.outlets, region.day_types)
        if too_much is not None:
            day, message = too_much
            raise ScenarioError(region.source, "--day-types", f"the month's {day.name} day: {message}")
    if args.roster and not region.rostering:  # the file's template if it has one (enabled = false), else defaults
        template = replace(region.roster, enabled=True) if region.roster is not None else RosterTemplate()
        region = replace(region, roster=template)
        refused = template_problem(template, [(o.name, o.scenario) for o in region.outlets])
        if refused is not None:
            field, message = refused
            raise ScenarioError(region.source, "--roster", f"the default roster's {field}: {message}; give a "
                                "[roster] table")
    out = Path(args.out)
    check_writable(out)  # creates the folder only when missing: then it holds no input
    refuse_clobber([("region file", region.source), *(("scenario", o.scenario.source) for o in region.outlets)],
                   [Output("--out", out, (*FILES, ROSTER_FILE), () if args.no_cache else ("cache",))])
    bar = _Bar(args.quiet)
    try:
        rec = recommend(region, replications=args.replications, seed=args.seed, executor=args.executor,
                        workers=args.workers, scheduler=args.scheduler, solver=args.solver, gap=args.gap,
                        frontier=args.frontier, quick=args.quick, cache_dir=None if args.no_cache else out / "cache",
                        progress=bar)
        if args.stress:
            stress = stress_test(region, rec, executor=args.executor, workers=args.workers, scheduler=args.scheduler,
                                 cache_dir=None if args.no_cache else out / "cache",
                                 progress=lambda n: bar("stress test", bar.done("stress test") + n, 0))
            rec = replace(rec, stress=stress)
    except InfeasibleError as exc:
        print(f"branchlab: {args.region}: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except ExecutorError as exc:
        print(f"branchlab: {exc}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    written = export(rec, out, lang=args.lang)
    print(_summary(rec, written))
    return 0


class _Bar:
    """A tqdm bar over simulated days, one description per stage."""

    def __init__(self, quiet: bool) -> None:
        from tqdm import tqdm

        self._bar = tqdm(unit=" days", disable=quiet, file=sys.stderr, mininterval=0.5)
        self._stage = ""
        self._done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        """``done`` days of ``stage`` so far (it restarts at each stage); ``total`` is not known (0)."""
        del total
        if stage != self._stage:
            self._stage, self._done = stage, 0
            self._bar.set_description_str(stage)  # tqdm adds the ": " itself
        self._bar.update(done - self._done)
        self._done = done

    def done(self, stage: str) -> int:
        """Days counted so far in ``stage`` (0 before it starts)."""
        return self._done if stage == self._stage else 0

    def close(self) -> None:
        self._bar.close()


def _summary(rec: Any, written: list[Path]) -> str:
    from optimize.report import flex_lines, moves_by_role, robustness_lines, roster_lines, service_lines, worse_outlets

    u = rec.uplift
    today, recommended = rec.verified("current"), rec.verified("recommended")
    head = rec.headline()
    by_role = moves_by_role(rec.plan)
    placed = f"; {head['surplus_people']} person(s) without a post (transfers.csv, kind surplus)" \
        if head["surplus_people"] else ""
    hired = f"; {head['hired_people']} post(s) to fill from outside the outlets (kind hire)" \
        if head["hired_people"] else ""
    stab = rec.stability
    lines = [
        f"{rec.region}: verified value {recommended['mean']:,.0f} yuan/day, 95% CI [{recommended['ci95_low']:,.0f}, "
        f"{recommended['ci95_high']:,.0f}] (today {today['mean']:,.0f} [{today['ci95_low']:,.0f}, "
        f"{today['ci95_high']:,.0f}]; {rec.replications} fresh days)",
        f"verified uplift {u['mean']:,.0f} yuan/day, 95% CI [{u['ci95_low']:,.0f}, {u['ci95_high']:,.0f}] (paired)",
        *(f"service: {line}" for line in service_lines(rec)),
        "outlets worse beyond noise: " + ("; ".join(worse_outlets(rec)) or "none"),
        *(f"average day vs robust: {line}" for line in robustness_lines(rec)),
        *(f"roster: {line}" for line in roster_lines(rec)),
        f"head-count {rec.headcount['current']} today -> {rec.headcount['recommended']} recommended "
        f"(budget {rec.headcount['budget']}){placed}{hired}",
        "moves by role: " + (", ".join(f"{r.role} {r.placement} +{r.added}/-{r.removed}"
                                       for r in by_role.itertuples()) or "none"),
        *(f"flexible posts: {line}" for line in flex_lines(rec)),
        f"screening estimate (not verified): {rec.objective:,.0f} yuan/day, {rec.status} ({rec.solver}), gap "
        f"{rec.gap or 0:.1e}; " + (f"{u['share_realised']:.0%} of its {u['predicted']:,.0f} predicted uplift verified"
                                   if u["predicted"] else "no uplift predicted (today's plan is the estimate's best)")
        + (f"; fewest moves within {stab['tolerance_yuan']:,.0f} yuan/day of the best: {stab['moves_chosen']:g} "
           f"moves, not {stab['moves_best']:g} (a transfer or a CM sent out counts 1, a person without a post or "
           "a post to fill ½)" if stab.get("tolerance_yuan") else "")
        + (f", {stab['retuned_chosen']:g} flexible post(s) retuned, not {stab['retuned_best']:g}"
           if stab.get("tolerance_yuan") and "retuned_chosen" in stab else ""),
        "binding rules: " + ("; ".join(rec.binding) if rec.binding else "none"),
        *([f"moves that hold in every one of {int(rec.stress['variants'].iloc[0])} scaled-assumption variants: "
           f"{int((rec.stress['holds'] == rec.stress['variants']).sum())} of {len(rec.stress)}"]
          if not rec.stress.empty else []),
        "tiers on today's simulated customers and value: " + ("; ".join(
            f"{o} {t} -> {s}" for o, t, s in rec.tier_moves) or "every outlet in its given tier"),
        f"patterns: {rec.counts['generated']} generated, {rec.counts['dropped_analytic']} dropped analytically, "
        f"{rec.counts['simulated']} simulated, {rec.counts['kept']} kept; "
        f"{rec.verification_rounds} verification round(s)",
        "wrote: " + ", ".join(str(p) for p in written),
    ]
    return "\n".join(lines)
