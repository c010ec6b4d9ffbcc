"""The staffing recommendation end to end: generate, screen, simulate, prune, solve, verify, frontier.

:func:`recommend` answers the planners' question — with the people we have, how many
of each role should each outlet get, and how many customer managers inside vs
outside — in seven steps (one module each):

1. candidate patterns per outlet around today's plan (:mod:`optimize.patterns`), the
   hopeless ones dropped by the analytic Erlang screen; today's plan always kept;
2. evaluation by simulation on common random numbers through the executors, in two
   stages — ``screen_replications`` days for every pattern, then ``replications`` days
   for the patterns that could be optimal (:mod:`optimize.evaluate`, cached on disk);
3. pruning: a pattern breaks a service limit when, after the screen, its 95% CI lies
   entirely on the wrong side of the limit (it surely fails), and finally when its
   mean breaks the limit; a pattern is dominated when another uses no more people of
   any role, meets every outlet rule it meets, moves no more people, and has at least
   its value;
4. the MILP (:mod:`optimize.milp`), HiGHS by default;
5. infeasible rules explained by an elastic copy;
6. verification on fresh seeds of the chosen and the current plan, with the uplift's
   *paired* 95% CI; an outlet pattern that breaks a limit in verification is excluded
   and the MILP solved again;
7. the frontier: the optimum as the total head-count budget moves by ±N people.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from optimize.bounds import MAX_DAYS, MAX_FRONTIER
from optimize.evaluate import Evaluator, column
from optimize.milp import (
    DEFAULT_GAP,
    SOLVERS,
    InfeasibleError,
    OutletOptions,
    Policy,
    Solution,
    outlet_rules,
    satisfied,
    solve,
    stabilise,
)
from optimize.patterns import AnalyticScreen, combine, neighbourhood
from optimize.region import AUTO_TIER, Region, ServiceLimits
from optimize.result import Recommendation
from optimize.state import (
    KEPT,
    OutletState,
    Settings,
    combine_days,
    milp_options,
    moves,
    objective_days,
    outlet_options,
    paired_difference,
    set_prior,
)
from optimize.tables import REPORT_KPIS, build
from optimize.tiers import classify
from sim.executors import make_executor
from sim.replicate import interval
from sim.scenario import ROLES, StaffingPlan
from sim.streams import MAX_SEED

T = TypeVar("T")

__all__ = ["REPORT_KPIS", "OutletState", "Settings", "check_settings", "moves", "objective_days", "outlet_options",
           "recommend", "resolve_tiers"]


def derive_seed(seed: int, stage: int, outlet: int) -> int:
    """The seed of one outlet in one stage (0: candidate evaluation, 1: verification), derived from the run's seed."""
    return int(np.random.SeedSequence(seed, spawn_key=(stage, outlet)).generate_state(1)[0])


def simulate_plans(ev: Evaluator, region: Region, items: list[tuple[OutletState, StaffingPlan | None, int, int]]
                   ) -> list[list[np.ndarray]]:
    """Simulate ``(state, plan, seed, days)`` items on every day type of the region (one request each,
    all through the executor together); per item, its days on each day type. A ``None`` plan is the
    outlet's scenario as it stands (today's plan)."""
    requests = [(sc if plan is None else sc.with_staffing(plan), seed, n) for st, plan, seed, n in items
                for sc in st.day_scenarios(region)]
    results = iter(ev.run(requests))
    return [[next(results) for _ in st.day_scenarios(region)] for st, _, _, _ in items]


def _simulate(ev: Evaluator, region: Region, states: list[OutletState], idx: list[list[int]], n: int) -> None:
    items: list[tuple[OutletState, StaffingPlan | None, int, int]] = [
        (st, st.plans[i], st.seed, n) for st, ids in zip(states, idx, strict=True) for i in ids]
    for (st, plan, _, _), per_type in zip(items, simulate_plans(ev, region, items), strict=True):
        assert plan is not None
        st.store(region, plan, per_type)


def _service_fate(limits: ServiceLimits, days: np.ndarray, by_ci: bool) -> str:
    """``kept``, or the limits broken: by the 95% CI lying wholly on the wrong side, or by the mean."""
    broken = []
    for kpi, sense, limit in limits.checks():
        s = interval(column(days, kpi))
        mean, lo, hi = s.mean, s.low, s.high
        if math.isnan(mean):
            continue
        edge = (hi if sense == ">=" else lo) if by_ci and not math.isnan(lo) else mean
        if (sense == ">=" and edge < limit) or (sense == "<=" and edge > limit):
            side = "95% CI entirely" if by_ci else "mean"
            shown = f"{mean:.3f}" if round(mean, 3) != limit else f"{mean:.6f}"  # never "0.100 > 0.1"
            broken.append(f"{kpi} {shown} {'<' if sense == '>=' else '>'} {limit:g} ({side})")
    return "pruned: breaks " + "; ".join(broken) if broken else KEPT


def worse_than_today(kpis: tuple[str, ...], days: np.ndarray, today: np.ndarray) -> list[str]:
    """The ``kpis`` a plan makes worse than today's beyond noise, on the days both ran (common random numbers):
    the paired 95% CI of the change lies wholly above 0 (walk-out rate) or below 0 (a service level)."""
    n = min(len(days), len(today))
    out = []
    for kpi in kpis:
        change = column(days[:n], kpi) - column(today[:n], kpi)
        s = interval(change)
        mean, lo, hi = s.mean, s.low, s.high
        if math.isnan(lo):
            continue
        if (kpi == "walkout_rate" and lo > 0) or (kpi != "walkout_rate" and hi < 0):
            out.append(f"{kpi} worse than today beyond noise ({mean:+.4f}, paired 95% CI {lo:+.4f} to {hi:+.4f})")
    return out


def _fate(region: Region, st: OutletState, days: list[np.ndarray], today: list[np.ndarray], by_ci: bool) -> str:
    """A plan's fate against the outlet's service limits and the not-worse-than-today guards.

    With day types, the guards hold on each day type (no kind of day may get worse than
    today's beyond noise) and the limits on the month's average day, or on each day type
    too with ``every_day_type``; the reasons name the day type.
    """
    limits = region.limits(st.spec)
    month = ("", combine_days(region, days), combine_days(region, today))
    per_type = [(f"{d.name}: ", a, b) for d, a, b in zip(region.day_types, days, today, strict=True)] \
        if region.day_types else []
    broken = []
    for label, a, _ in per_type if region.day_types and region.every_day_type else [month]:
        fate = _service_fate(limits, a, by_ci)
        if fate != KEPT:
            broken.append(label + fate.removeprefix("pruned: breaks "))
    for label, a, b in per_type if region.day_types else [month]:
        broken += [label + w for w in worse_than_today(limits.not_worse, a, b)]
    return "pruned: breaks " + "; ".join(broken) if broken else KEPT


def _prune(region: Region, st: OutletState, by_ci: bool) -> None:
    """Mark plans breaking a service limit, then plans dominated by another kept plan."""
    today = st.type_days[st.spec.scenario.staffing_plan()]
    for i in st.live():
        st.status[i] = _fate(region, st, st.type_days[st.plans[i]], today, by_ci)
    live = [i for i in st.live() if st.origin[i] != "current"]
    if not live:
        return
    opt = outlet_options(region, st, live)
    ok = satisfied(outlet_rules(opt, region.policy), len(live))
    totals = opt.counts.sum(axis=1)
    for a, i in enumerate(live):
        for b in range(len(live)):
            if b == a or not _dominates(region, opt, ok, totals, b, a):
                continue
            st.status[i] = f"pruned: dominated by pattern {live[b]}"
            break


def _dominates(region: Region, opt: OutletOptions, ok: np.ndarray, totals: np.ndarray, b: int, a: int) -> bool:
    """Pattern ``b`` dominates ``a``: no more people anywhere, every rule ``a`` meets, no more moves, more value."""
    if not (np.all(opt.counts[b] <= opt.counts[a]) and opt.cm_inside[b] <= opt.cm_inside[a]
            and (opt.counts[b, ROLES.index("customer_manager")] - opt.cm_inside[b]
                 <= opt.counts[a, ROLES.index("customer_manager")] - opt.cm_inside[a])):
        return False
    if np.any(ok[a] & ~ok[b]):
        return False
    if region.policy.max_moves is not None and opt.moves[b] > opt.moves[a]:
        return False
    if region.policy.tier_monotone and totals[b] != totals[a]:
        return False
    return bool(opt.value[b] > opt.value[a] or (opt.value[b] == opt.value[a] and b < a))


def _could_be_optimal(region: Region, st: OutletState, limit: int) -> list[int]:
    """The live plans most worth more days: highest upper 95% bound of the objective, today's plan always."""
    live = st.live()
    ucb = [interval(objective_days(region, st.plans[i], st.days[st.plans[i]])).high for i in live]
    order = [live[j] for j in np.argsort(-np.nan_to_num(ucb, nan=-np.inf), kind="stable")]
    keep = order[:limit]
    keep += [i for i in live if st.origin[i] == "current" and i not in keep]
    return keep


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


def _stage_one(region: Region, states: list[OutletState], ev: Evaluator, s: Settings) -> None:
    screens = [AnalyticScreen(st.spec.scenario, region.limits(st.spec).service_level, region.search.analytic_margin)
               for st in states]
    for st, screen in zip(states, screens, strict=True):
        st.add(neighbourhood(st.spec, region), "single move", screen)
    n1 = min(region.search.screen_replications, s.replications)
    _simulate(ev, region, states, [st.live() for st in states], n1)
    combined = []
    for st in states:
        values = {st.plans[i]: float(objective_days(region, st.plans[i], st.days[st.plans[i]]).mean())
                  for i in st.live() if st.origin[i] != "combined"}
        combined.append(combine(st.spec, region, values, _rules_check(region, st)))  # today's plan is never dropped
    for st, screen, plans in zip(states, screens, combined, strict=True):
        st.add(plans, "combined", screen)
    _simulate(ev, region, states, [[i for i in st.live() if st.plans[i] not in st.days] for st in states], n1)
    for st in states:
        if s.shrink:
            set_prior(region, st)
        _prune(region, st, by_ci=True)


def _rules_check(region: Region, st: OutletState) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def meets(counts: np.ndarray, inside: np.ndarray) -> np.ndarray:
        opt = OutletOptions(st.spec.name, st.spec.tier, st.spec.second_level, st.spec.vip_customers, counts, inside,
                            np.zeros(len(inside)), np.zeros(len(inside)), st.spec.min_staff)
        return np.asarray(satisfied(outlet_rules(opt, region.policy), len(inside)).all(axis=1))
    return meets


def _stage_two(region: Region, states: list[OutletState], ev: Evaluator, s: Settings) -> None:
    _simulate(ev, region, states, [_could_be_optimal(region, st, s.stage2) for st in states], s.replications)
    for st in states:  # plans not given more days keep their screen estimate
        _prune(region, st, by_ci=False)


def _solve(region: Region, states: list[OutletState], s: Settings, policy: Policy | None = None
           ) -> tuple[Solution, list[list[int]]]:
    ids = [st.live() for st in states]
    opts = milp_options(region, states, ids)
    if any(not i for i in ids):
        raise InfeasibleError([f"{st.spec.name}: none of {len(st.plans)} candidate patterns meets the service "
                               f"limits (today's plan: {st.status[st.origin.index('current')]})"
                               for st, i in zip(states, ids, strict=True) if not i])
    return solve(opts, policy or region.policy, solver=s.solver, gap=s.gap), ids


def noise_yuan(region: Region, states: list[OutletState], plans: list[StaffingPlan]) -> float:
    """Half-width (yuan/day) of the 95% interval of the predicted uplift of ``plans`` (one per outlet) over today's.

    Every pattern of an outlet ran on the same days (common random numbers), so the noise
    that can mislead a choice is that of the *paired* differences, not of the value's
    level: 1.96 × √Σ (sd² / days) of each outlet's per-day difference from today's plan,
    over the days both have.
    """
    var = 0.0
    for st, plan in zip(states, plans, strict=True):
        now = st.spec.scenario.staffing_plan()
        if plan == now or now not in st.days:
            continue
        _, se2 = paired_difference(region, now, st.days[now], plan, st.days[plan])
        if math.isfinite(se2):  # fewer than two common days: no noise estimate
            var += se2
    return 1.96 * math.sqrt(var)


def stable_solve(region: Region, states: list[OutletState], s: Settings) -> tuple[Solution, list[list[int]],
                                                                                   dict[str, float]]:
    """The value-optimal plan, then (``s.stable``) the plan with the fewest moves within its noise."""
    best, ids = _solve(region, states, s)
    picked = [st.plans[i[c]] for st, i, c in zip(states, ids, best.choice[:len(states)], strict=True)]
    tolerance = noise_yuan(region, states, picked) if s.stable else 0.0
    opts = milp_options(region, states, ids)
    sol = stabilise(opts, region.policy, best, tolerance, solver=s.solver)
    moves_of = [float(sum(o.moves[c] for o, c in zip(opts, sol_.choice, strict=True))) for sol_ in (best, sol)]
    return sol, ids, {"tolerance_yuan": tolerance, "best_estimate_yuan": best.objective,
                      "chosen_estimate_yuan": sol.objective, "moves_best": moves_of[0], "moves_chosen": moves_of[1]}


@dataclass(frozen=True)
class Verified:
    """The final solve and its verification: per outlet, the days of the chosen and today's plan on each
    day type (one list entry without day types) and their share-weighted combinations."""

    sol: Solution
    ids: list[list[int]]
    rec_types: list[list[np.ndarray]]
    cur_types: list[list[np.ndarray]]
    rounds: int
    stability: dict[str, float]

    def rec(self, region: Region) -> list[np.ndarray]:
        """The chosen plans' days, day types combined."""
        return [combine_days(region, t) for t in self.rec_types]

    def cur(self, region: Region) -> list[np.ndarray]:
        """Today's plans' days, day types combined."""
        return [combine_days(region, t) for t in self.cur_types]


def _verify(region: Region, states: list[OutletState], ev: Evaluator, s: Settings) -> Verified:
    """Solve, verify on fresh seeds, exclude outlet plans that break a limit, repeat (at most 10 rounds)."""
    for rounds in range(1, 11):
        sol, ids, stability = stable_solve(region, states, s)
        chosen = [st.plans[i[c]] for st, i, c in zip(states, ids, sol.choice[:len(states)], strict=True)]
        items: list[tuple[OutletState, StaffingPlan | None, int, int]] = [
            (st, p, derive_seed(s.seed, 1, o), s.verify_replications)
            for o, (st, p) in enumerate(zip(states, chosen, strict=True))]
        items += [(st, None, derive_seed(s.seed, 1, o), s.verify_replications) for o, st in enumerate(states)]
        days = simulate_plans(ev, region, items)
        rec, cur = days[:len(states)], days[len(states):]
        failed = False
        for st, i, c, d, now in zip(states, ids, sol.choice[:len(states)], rec, cur, strict=True):
            fate = _fate(region, st, d, now, by_ci=False)
            if fate != KEPT:
                st.status[i[c]] = "failed verification: " + fate.removeprefix("pruned: ")
                failed = True
        if not failed:
            return Verified(sol, ids, rec, cur, rounds, stability)
    raise InfeasibleError(["verification kept rejecting the chosen plans after 10 rounds"])


def _frontier(region: Region, states: list[OutletState], s: Settings) -> pd.DataFrame:
    base = region.policy.total_headcount or region.current_total
    rows = []
    for delta in range(max(-s.frontier, -base), s.frontier + 1):
        try:
            sol, _ = _solve(region, states, s, replace(region.policy, total_headcount=base + delta))
            rows.append({"budget": base + delta, "delta": delta, "status": sol.status, "objective": sol.objective})
        except InfeasibleError:
            rows.append({"budget": base + delta, "delta": delta, "status": "Infeasible", "objective": math.nan})
    frame = pd.DataFrame(rows)
    # a smaller budget's plan is feasible under a larger one: carry it forward where a gap-limited solve
    # found less, so the frontier never falls as the budget grows (the status says where it came from)
    best = frame["objective"].cummax()
    carried = best.notna() & ~(frame["objective"] >= best - 1e-9)
    frame.loc[carried, "status"] = "carried from a smaller budget"
    frame["objective"] = best
    frame["marginal_yuan"] = frame["objective"].diff()
    return frame


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


def recommend(region: Region, *, replications: int = 24, seed: int = 0, executor: str = "processes",
              workers: int | None = None, scheduler: str | None = None, solver: str = "highs",
              gap: float = DEFAULT_GAP, frontier: int = 8, verify_replications: int | None = None, stage2: int = 10,
              cache_dir: str | Path | None = None, progress: Callable[[str, int, int], None] | None = None,
              stable: bool = True, shrink: bool = True) -> Recommendation:
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

    Raises:
        InfeasibleError: no plan meets every rule; its ``diagnosis`` names the conflict.
    """
    s = Settings(replications, replications if verify_replications is None else verify_replications, seed, solver,
                 gap, frontier, stage2, stable, shrink)
    check_settings(s)
    pool = make_executor(executor, workers, scheduler)
    ev = Evaluator(pool, Path(cache_dir) if cache_dir is not None else None)
    timings: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        region = _with_progress(ev, progress, "today's plans", lambda: resolve_tiers(region, ev, seed))
        states = [OutletState(spec, derive_seed(seed, 0, o)) for o, spec in enumerate(region.outlets)]
        _with_progress(ev, progress, "screen", lambda: _stage_one(region, states, ev, s))
        _with_progress(ev, progress, "refine", lambda: _stage_two(region, states, ev, s))
        timings["evaluate"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        verified = _verify(region, states, ev, s)
        timings["solve_and_verify"] = time.perf_counter() - t0
    finally:
        pool.close()
    t0 = time.perf_counter()
    front = _frontier(region, states, s) if frontier > 0 else pd.DataFrame(
        columns=["budget", "delta", "status", "objective", "marginal_yuan"])
    timings["frontier"] = time.perf_counter() - t0
    v = verified
    return build(region, states, s, v.sol, v.ids, v.rec(region), v.cur(region), v.rounds, front, timings,
                 ev.simulated_days, v.stability, per_type=(v.rec_types, v.cur_types))


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


