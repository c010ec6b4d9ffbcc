"""The staffing recommendation end to end: :func:`recommend` orchestrates the stages.

:func:`recommend` answers the planners' question — with the people we have, how many
of each role should each outlet get, and how many customer managers inside vs
outside. It builds the :class:`~optimize.problem.Problem` once (tiers resolved), runs
the stages of :mod:`optimize.stages` on the outlets' candidate pools, and hands the
:class:`~optimize.stages.Run` to :mod:`optimize.tables`:

1. candidate patterns per outlet around today's plan (:mod:`optimize.patterns`), the
   hopeless ones dropped by the analytic Erlang screen; today's plan always kept;
2. evaluation by simulation on common random numbers through the executors, in two
   stages — ``screen_replications`` days for every pattern, then ``replications`` days
   for the patterns that could be optimal (:mod:`optimize.evaluate`, cached on disk);
3. pruning: a pattern breaks a service limit when, after the screen, its 95% CI lies
   entirely on the wrong side of the limit (it surely fails), and finally when its
   mean breaks the limit; a pattern is dominated when another uses no more people of
   any role, meets every outlet rule it meets, moves no more people, and has at least
   its value; an outlet left with no pattern meeting its own rules (today's plan breaking
   one, every move that fixes it pruned by a guard) gets the single moves around the
   patterns that meet them (:func:`optimize.stages.repair`); with flexible posts searched, the chosen
   head-counts at every threshold tried (:func:`optimize.stages.retune`);
4. the MILP (:mod:`optimize.milp`), HiGHS by default;
5. infeasible rules explained by an elastic copy;
6. verification on fresh seeds of the chosen and the current plan, with the uplift's
   *paired* 95% CI; an outlet pattern that breaks a limit in verification is excluded
   and the MILP solved again;
7. the frontier: the optimum as the total head-count budget moves by ±N people.

With day types (``[day_types]``, ``--day-types``) the same steps run twice on one
evaluator: first without day types (the average-day plan), then over the day types (the
robust plan); the average-day plan is then simulated on every day type on the robust
plan's verification seeds, so :attr:`Recommendation.robustness` compares the two on a
simulated month with paired CIs and says what the robustness costs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from optimize import allocation as allocations
from optimize import stages
from optimize.bounds import MAX_DAYS, MAX_FRONTIER
from optimize.evaluate import Evaluator, column
from optimize.milp import DEFAULT_GAP, SOLVERS, InfeasibleError
from optimize.problem import Problem, moves
from optimize.region import ALLOCATIONS, AUTO_TIER, Region
from optimize.result import Recommendation
from optimize.roster_run import run_rosters
from optimize.stages import Run, derive_seed
from optimize.state import OutletState, Settings
from optimize.tables import REPORT_KPIS, build
from optimize.tiers import classify
from sim.executors import make_executor
from sim.streams import MAX_SEED

T = TypeVar("T")

__all__ = ["REPORT_KPIS", "OutletState", "Settings", "check_settings", "moves", "quick_region", "recommend",
           "resolve_tiers"]


def _whole(value: object, low: int, high: int) -> bool:
    return bool(isinstance(value, int | np.integer) and not isinstance(value, bool) and low <= value <= high)


def check_settings(s: Settings) -> None:
    """Refuse run settings that would fail late or mean nothing, before any simulation.

    Raises:
        ValueError: naming the argument and what is allowed.
    """
    problems = [
        (not _whole(s.replications, 2, MAX_DAYS),
         f"replications: a whole number in 2..{MAX_DAYS}, got {s.replications!r}"),
        (not _whole(s.verify_replications, 2, MAX_DAYS),
         f"verify_replications: a whole number in 2..{MAX_DAYS}, got {s.verify_replications!r}"),
        (not _whole(s.seed, 0, MAX_SEED), f"seed: a whole number in 0..2**63-1, got {s.seed!r}"),
        (s.solver not in SOLVERS, f"solver: {s.solver!r} is not allowed; allowed: {', '.join(SOLVERS)}"),
        (not (isinstance(s.gap, int | float) and 0.0 <= s.gap < 1.0), f"gap: a number in [0, 1), got {s.gap!r}"),
        (not _whole(s.frontier, 0, MAX_FRONTIER), f"frontier: a whole number in 0..{MAX_FRONTIER}, got {s.frontier!r}"),
        (not _whole(s.stage2, 1, MAX_DAYS), f"stage2: a whole number in 1..{MAX_DAYS}, got {s.stage2!r}"),
    ]
    for bad, message in problems:
        if bad:
            raise ValueError(message)


def resolve_tiers(region: Region, ev: Evaluator, seed: int) -> Region:
    """Each outlet's simulated tier; outlets whose tier is ``"auto"`` take it as their tier.

    Today's plan of every outlet is simulated for the screen's days (the same days stage
    one uses, so nothing is simulated twice) and classified by
    :func:`optimize.tiers.classify` on customers and value per day (its default
    thresholds) into ``OutletSpec.simulated_tier``; the recommendation reports the
    outlets whose given tier differs (:attr:`Recommendation.tier_moves`).
    """
    days = ev.run([(spec.scenario, derive_seed(seed, 0, o), region.search.screen_replications)
                   for o, spec in enumerate(region.outlets)])
    kpis = pd.DataFrame({"arrived_per_day": [column(d, "arrived").mean() for d in days],
                         "value_per_day_yuan": [column(d, "value_yuan").mean() for d in days]})
    outlets = [replace(spec, simulated_tier=str(tier), tier=str(tier) if spec.tier == AUTO_TIER else spec.tier)
               for spec, tier in zip(region.outlets, classify(kpis), strict=True)]
    return replace(region, outlets=tuple(outlets))


#: The quick first look (``branchlab optimize --quick``, ``recommend(quick=True)``): at most these many
#: days per pattern, frontier people either side, and patterns per outlet given the full days; the
#: search with one combined pattern per head-count level within ±1 of today's, 4 screen days.
QUICK_REPLICATIONS, QUICK_FRONTIER, QUICK_STAGE2 = 8, 1, 5


def quick_region(region: Region) -> Region:
    """``region`` with the quick preset's search: combined patterns within ±1 person of today's head-count,
    one per level, 4 screen days."""
    return replace(region, search=replace(region.search, total_step=1, combos=1, screen_replications=4))


def recommend(region: Region, *, replications: int = 24, seed: int = 0, executor: str = "processes",
              workers: int | None = None, scheduler: str | None = None, solver: str = "highs",
              gap: float = DEFAULT_GAP, frontier: int = 8, verify_replications: int | None = None, stage2: int = 10,
              cache_dir: str | Path | None = None, progress: Callable[[str, int, int], None] | None = None,
              stable: bool = True, shrink: bool = True, quick: bool = False, allocation: str | None = None
              ) -> Recommendation:
    """Recommend where each person should stand across the region's outlets, verified by simulation.

    Args:
        region: from :func:`optimize.load_region`.
        replications: days per pattern that could be optimal (screen days come from the region file).
        seed: base seed; evaluation and verification use different seeds derived from it.
        executor, workers, scheduler: where simulations run (``serial``, ``processes``, ``dask``).
        solver: ``highs`` (default) or ``cbc``; gap: relative MIP gap to prove.
        frontier: the frontier spans today's budget ± this many people (0 = none).
        verify_replications: days per plan in verification (default: ``replications``).
        stage2: patterns per outlet given the full ``replications``.
        cache_dir: where simulated days are cached (``None``: no disk cache).
        stable: among the plans within the noise of the best estimate, take the one with
            the fewest moves (see :func:`optimize.milp.stabilise`); ``False``: the best estimate.
        shrink: rank patterns by their paired difference from today shrunk toward 0 by its
            noise (empirical Bayes, :meth:`OutletState.estimate`), which removes most of the
            selection optimism from the choice and the predicted uplift; ``False``: raw means.
        progress: called ``(stage, days_done, days_total)`` as candidate days are simulated
            (``screen``, then ``refine``); ``days_total`` is 0: not known in advance.
        quick: a fast first look (the preset of ``branchlab optimize --quick``): the search of
            :func:`quick_region`, at most :data:`QUICK_REPLICATIONS` days, a frontier of at most
            ±:data:`QUICK_FRONTIER` and :data:`QUICK_STAGE2` patterns per outlet given the full days.
        allocation: how candidate days are spent, one of :data:`optimize.region.ALLOCATIONS`
            (``None``: the region file's ``[search] allocation``, ``"fixed"`` unless it says otherwise).

    Raises:
        InfeasibleError: no plan meets every rule; its ``diagnosis`` names the conflict.
    """
    if quick:
        region = quick_region(region)
        replications, frontier, stage2 = (min(replications, QUICK_REPLICATIONS), min(frontier, QUICK_FRONTIER),
                                          min(stage2, QUICK_STAGE2))
    s = Settings(replications=replications,
                 verify_replications=replications if verify_replications is None else verify_replications,
                 seed=seed, solver=solver, gap=gap, frontier=frontier, stage2=stage2, stable=stable, shrink=shrink)
    check_settings(s)
    if allocation is not None:
        if allocation not in ALLOCATIONS:
            raise ValueError(f"allocation: {allocation!r} is not allowed; allowed: {', '.join(ALLOCATIONS)}")
        region = replace(region, search=replace(region.search, allocation=allocation))
    pool = make_executor(executor, workers, scheduler)
    ev = Evaluator(pool, Path(cache_dir) if cache_dir is not None else None)
    try:
        average = None
        if region.day_types:  # the plan recommend gives without day types, to compare on the month
            t0 = time.perf_counter()
            plain = _optimise(replace(region, day_types=(), every_day_type=False), ev, s, progress, "average day: ")
            average = (plain, time.perf_counter() - t0)
        try:
            run = _optimise(region, ev, s, progress, "")
        except InfeasibleError as exc:
            if average is None:
                raise
            raise InfeasibleError([f"over the day types ({', '.join(d.name for d in region.day_types)}; the "
                                   "average-day plan was found): the service limits and guards hold on each day type",
                                   *exc.diagnosis]) from None
        if average is not None:
            plain, seconds = average
            t0, days0 = time.perf_counter(), ev.simulated_days
            plans = plain.verified.menu.plans(plain.verified.sol)
            month = _with_progress(ev, progress, "month comparison",
                                   lambda: stages.month_days(run.problem, run.states, ev, s, plans))
            run = replace(run, average=stages.AverageDay(plans=plans, month=month, simulated_days=plain.simulated_days,
                                                         month_simulated_days=ev.simulated_days - days0),
                          timings={**run.timings, "average_day": seconds,
                                   "month_comparison": time.perf_counter() - t0})
        if region.rostering:
            chosen = run.verified.menu.plans(run.verified.sol)
            rosters = _with_progress(ev, progress, "roster", lambda: run_rosters(run.problem, chosen, ev, s))
            run = replace(run, roster=rosters, timings={**run.timings, "roster": rosters.seconds})
    finally:
        pool.close()
    return build(run)


def _optimise(region: Region, ev: Evaluator, s: Settings, progress: Callable[[str, int, int], None] | None,
              prefix: str) -> Run:
    """One optimisation of ``region``: tiers, screen, refine, solve and verify, frontier; ``prefix`` starts the
    progress stages' names. Its ``simulated_days`` are the days it simulated itself."""
    start = ev.simulated_days
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    problem = Problem(_with_progress(ev, progress, prefix + "today's plans", lambda: resolve_tiers(region, ev, s.seed)),
                      s.solver, s.gap)
    states = [OutletState(spec=spec, seed=derive_seed(s.seed, 0, o)) for o, spec in enumerate(problem.region.outlets)]
    if problem.region.search.allocation == "race":
        _with_progress(ev, progress, prefix + "race", lambda: allocations.race(problem, states, ev, s))
    else:
        _with_progress(ev, progress, prefix + "screen", lambda: stages.screen(problem, states, ev, s))
        _with_progress(ev, progress, prefix + "refine", lambda: stages.refine(problem, states, ev, s))
    repaired = _with_progress(ev, progress, prefix + "repair", lambda: stages.repair(problem, states, ev, s))
    _with_progress(ev, progress, prefix + "thresholds", lambda: stages.retune(problem, states, ev, s))
    timings["evaluate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    verified = stages.verify(problem, states, ev, s)
    timings["solve_and_verify"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    front = stages.frontier(problem, states, s)
    timings["frontier"] = time.perf_counter() - t0
    return Run(problem=problem, states=states, settings=s, verified=verified, frontier=front, timings=timings,
               simulated_days=ev.simulated_days - start, repaired=tuple(dict.fromkeys([*repaired, *verified.repaired])))


def _with_progress(ev: Evaluator, progress: Callable[[str, int, int], None] | None, stage: str,
                   work: Callable[[], T]) -> T:
    """Run ``work`` with the evaluator's simulated days reported to ``progress`` as ``stage``."""
    if progress is None:
        return work()
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress(stage, done[0], 0)

    ev.progress = tick
    try:
        return work()
    finally:
        ev.progress = None


