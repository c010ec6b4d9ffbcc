"""The method's stages: screen, refine, prune, dominance, solve, verify, frontier.

Each stage speaks only to the :class:`~optimize.problem.Problem` (what a day is worth,
which limits apply, the MILP), the :class:`~optimize.evaluate.Evaluator` (simulated days,
through the executors and the cache) and the outlets' candidate pools
(:class:`~optimize.state.OutletState`); :func:`optimize.recommend` runs them in order and
:mod:`optimize.tables` reads the :class:`Run` they leave.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimize.candidates import Fate, FateKind, Origin
from optimize.evaluate import Evaluator
from optimize.milp import InfeasibleError, OutletOptions, Policy, Solution, outlet_meets
from optimize.patterns import AnalyticScreen, combine, flex_options, neighbourhood
from optimize.problem import Problem, combine_days, worsening
from optimize.state import Menu, OutletState, Settings, paired_difference, set_prior
from sim import seeds
from sim.codes import ROLES
from sim.replicate import interval
from sim.staffing import StaffingPlan

if TYPE_CHECKING:
    from optimize.roster_run import RosterRun

#: Rounds of solve-and-verify before the method gives up (each excludes the patterns that failed).
MAX_VERIFY_ROUNDS = 12
#: From this round on, an outlet whose chosen plan passed verification in an earlier round keeps it and the
#: MILP re-chooses only the others (:func:`choose`). The rounds before are free: re-choosing every outlet
#: found plans worth more on the shipped region (seeds 0-4 converged in 4-6 free rounds; holding from round
#: 2 verified 40% less uplift), but at 2,000 outlets some new choice failed by chance in each of 10 free
#: rounds (benchmarks/README.md, issue 19). From the round before it, an outlet whose choice failed has all its
#: live candidates verified at once (:func:`verify_ahead`).
HOLD_FROM_ROUND = 7


def derive_seed(seed: int, stage: int, outlet: int) -> int:
    """The seed of one outlet in one stage (0: candidate evaluation, 1: verification), derived from the run's seed."""
    return seeds.derived(seed, stage, outlet)


def simulate_plans(ev: Evaluator, problem: Problem, items: list[tuple[OutletState, StaffingPlan | None, int, int]]
                   ) -> list[list[np.ndarray]]:
    """Simulate ``(state, plan, seed, days)`` items on every day type of the region (one request each,
    all through the executor together); per item, its days on each day type. A ``None`` plan is the
    outlet's scenario as it stands (today's plan)."""
    requests = [(sc if plan is None else sc.with_staffing(plan), seed, n) for st, plan, seed, n in items
                for sc in st.day_scenarios(problem)]
    results = iter(ev.run(requests))
    return [[next(results) for _ in st.day_scenarios(problem)] for st, _, _, _ in items]


def simulate_candidates(ev: Evaluator, problem: Problem, states: list[OutletState], idx: list[list[int]],
                        n: int) -> None:
    """Give candidates ``idx`` of each outlet ``n`` days on the outlet's evaluation seed and store them."""
    items: list[tuple[OutletState, StaffingPlan | None, int, int]] = [
        (st, st.plan(i), st.seed, n) for st, ids in zip(states, idx, strict=True) for i in ids]
    for (st, plan, _, _), per_type in zip(items, simulate_plans(ev, problem, items), strict=True):
        assert plan is not None
        st.store(problem, plan, per_type)


def prune(problem: Problem, st: OutletState, by_ci: bool) -> None:
    """Mark candidates breaking a service limit, then candidates dominated by another kept one."""
    today = st.type_days[st.today]
    for i in st.live():
        st.candidates[i].fate = problem.fate(st.spec, st.type_days[st.plan(i)], today, by_ci)
    live = [i for i in st.live() if st.candidates[i].origin is not Origin.CURRENT]
    if not live:
        return
    opt = Menu.of(problem, [st], [live]).options[0]
    ok = outlet_meets(opt, problem.region.policy)
    beats = dominance(problem.region.policy, opt, ok, opt.counts.sum(axis=1))
    for a, i in enumerate(live):
        by = np.flatnonzero(beats[:, a])
        if by.size:
            st.candidates[i].fate = Fate(FateKind.PRUNED, f"dominated by pattern {live[by[0]]}")


def dominance(policy: Policy, opt: OutletOptions, ok: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """``[b, a]``: pattern ``b`` dominates ``a`` — no more people anywhere, every rule ``a`` meets (``ok[p, rule]``),
    no more moves, more value (equal value: the earlier pattern); ``totals`` are the patterns' head-counts.

    Two patterns with the same people that differ only in a flexible post's thresholds never dominate each
    other: calling staff sooner trades value for service, so the one worth more may still break a service
    limit on more days (a sibling pruned for it would be lost with it)."""
    counts, inside, value = opt.counts, opt.cm_inside, opt.value
    outside = counts[:, ROLES.index("customer_manager")] - inside
    n = len(value)
    same = (counts[:, None, :] == counts[None, :, :]).all(axis=2) & (inside[:, None] == inside[None, :])
    out: np.ndarray = ~same & (counts[:, None, :] <= counts[None, :, :]).all(axis=2)
    out &= (inside[:, None] <= inside[None, :]) & (outside[:, None] <= outside[None, :])
    out &= (ok.astype(int) @ (~ok).T.astype(int)).T == 0  # no rule that a meets and b does not
    if policy.max_moves is not None:
        out &= opt.moves[:, None] <= opt.moves[None, :]
    if policy.tier_monotone:
        out &= totals[:, None] == totals[None, :]
    if policy.outside_staff is not None and opt.second_level:  # a regional ">=" rule: fewer outside may break it
        least = policy.outside_staff.min_people
        out &= ~((outside[None, :] >= least) & (least > outside[:, None]))
    earlier = np.arange(n)[:, None] < np.arange(n)[None, :]
    out &= (value[:, None] > value[None, :]) | ((value[:, None] == value[None, :]) & earlier)
    return out


def could_be_optimal(problem: Problem, st: OutletState, limit: int) -> list[int]:
    """The live candidates most worth more days: highest upper 95% bound of the objective, today's plan always."""
    live = st.live()
    ucb = [interval(problem.objective(st.plan(i), st.days[st.plan(i)])).high for i in live]
    order = [live[j] for j in np.argsort(-np.nan_to_num(ucb, nan=-np.inf), kind="stable")]
    keep = order[:limit]
    keep += [i for i in live if st.candidates[i].origin is Origin.CURRENT and i not in keep]
    return keep


def screen(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings) -> None:
    """Stage one: single moves, then the helpful ones combined, screened analytically and simulated for
    the screen's days; the prior of the gains set (``s.shrink``); the surely failing and dominated pruned."""
    region = problem.region
    screens = [analytic_screen(problem, st) for st in states]
    for st, scr in zip(states, screens, strict=True):
        st.add(neighbourhood(st.spec, region), Origin.SINGLE_MOVE, scr)
    n1 = min(region.search.screen_replications, s.replications)
    simulate_candidates(ev, problem, states, [st.live() for st in states], n1)
    combined = []
    for st in states:
        values = {st.plan(i): float(problem.objective(st.plan(i), st.days[st.plan(i)]).mean())
                  for i in st.live() if st.candidates[i].origin is not Origin.COMBINED}
        combined.append(combine(st.spec, region, values, problem.meets_outlet_rules(st.spec)))  # today's is kept
    for st, scr, plans in zip(states, screens, combined, strict=True):
        st.add(plans, Origin.COMBINED, scr)
    simulate_candidates(ev, problem, states, [[i for i in st.live() if st.plan(i) not in st.days] for st in states],
                        n1)
    for st in states:
        if s.shrink:
            set_prior(problem, st)
        prune(problem, st, by_ci=True)


def analytic_screen(problem: Problem, st: OutletState) -> AnalyticScreen:
    """The analytic Erlang screen of ``st``'s outlet against its service-level floors."""
    region = problem.region
    return AnalyticScreen(st.spec.scenario, region.limits(st.spec).service_level, region.search.analytic_margin)


def refine(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings) -> None:
    """Stage two: the ``s.stage2`` candidates per outlet that could be optimal get ``s.replications`` days;
    then pruned by the means (the others keep their screen estimate)."""
    simulate_candidates(ev, problem, states, [could_be_optimal(problem, st, s.stage2) for st in states],
                        s.replications)
    for st in states:
        prune(problem, st, by_ci=False)


def meets_rules_live(problem: Problem, st: OutletState) -> bool:
    """Whether some live candidate of ``st`` meets every rule on its outlet alone (the MILP needs one)."""
    live = st.live()
    if not live:
        return False
    opt = Menu.of(problem, [st], [live]).options[0]
    return bool(outlet_meets(opt, problem.region.policy).all(axis=1).any())


def ruled_out(problem: Problem, st: OutletState, kinds: tuple[FateKind, ...]) -> list[StaffingPlan]:
    """The simulated patterns of ``st`` whose fate is one of ``kinds`` and that meet the outlet's own rules."""
    plans = [c.plan for c in st.candidates if c.fate.kind in kinds and c.plan in st.type_days]
    if not plans:
        return []
    ok = problem.meets_outlet_rules(st.spec)(np.asarray([[p.count(r) for r in ROLES] for p in plans]),
                                             np.asarray([p.cm_inside for p in plans]))
    return [p for p, k in zip(plans, ok, strict=True) if k]


def repair(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings,
           todo: list[OutletState] | None = None) -> list[str]:
    """One more round for the outlets in ``todo`` (default: those left with no live candidate meeting the
    outlet's own rules): every single move around the patterns that meet those rules but were pruned or
    failed verification and come closest to keeping the not-worse guards (:func:`repair_centres`), given
    ``s.replications`` days and pruned by the means like the others. Returns the outlets repaired: by
    default none where every outlet has such a candidate, so a run that found a plan without this stage
    finds the same one (:func:`verify` repairs only when the MILP has no plan).

    Today's plan can break an outlet rule (all customer managers inside, against the inside : outside
    rule) and serve well; the move that fixes the rule then costs a little service, and the moves that
    would give it back (one more wealth manager or teller) show no effect as single moves from today,
    where the managers inside already cover those desks. The combined round ranks by value alone, so it
    pairs the rule's move with moves that cost more, every pattern meeting the rule breaks a guard on
    some day type (or on the fresh days of verification), and the MILP has no plan. Moves made from the
    pattern that meets the rule, not from today's, find the plans that meet it and keep every guard.
    """
    todo = [st for st in states if not meets_rules_live(problem, st)] if todo is None else todo
    if not todo:
        return []
    for st in todo:
        analytic = analytic_screen(problem, st)
        for centre in repair_centres(problem, st):
            st.add(neighbourhood(st.spec, problem.region, centre), Origin.COMBINED, analytic)
    simulate_candidates(ev, problem, todo, [[i for i in st.live() if st.plan(i) not in st.days] for st in todo],
                        s.replications)
    for st in todo:
        prune(problem, st, by_ci=False)
    return [st.spec.name for st in todo]


def repair_centres(problem: Problem, st: OutletState) -> list[StaffingPlan]:
    """The ``[search] combos`` patterns of ``st`` that meet the outlet's own rules, were pruned or failed
    verification, and come closest to keeping its not-worse guards on the evaluation days: least worst mean
    change on any day type (:func:`optimize.problem.worsening`, KPI units), then the highest estimate."""
    kpis, today = problem.region.limits(st.spec).not_worse, st.type_days[st.today]
    worst = {p: float(np.max(worsening(kpis, st.type_days[p], today), initial=0.0))
             for p in ruled_out(problem, st, (FateKind.PRUNED, FateKind.FAILED))}
    return sorted(worst, key=lambda p: (worst[p], -st.estimate(problem, p)))[:problem.region.search.combos]


#: Rounds of :func:`retune` at most (each solves, then simulates the chosen head-counts' other thresholds).
MAX_RETUNE_ROUNDS = 3


def retune(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings) -> list[str]:
    """With ``[search] flex_open_above``: the head-counts the MILP would choose (the value-optimal plan and the
    stable one), at every threshold tried of each flexible post, given ``s.replications`` days and pruned by
    the means, until the chosen head-counts have been tried at each (at most :data:`MAX_RETUNE_ROUNDS`
    rounds; :func:`verify` does the same after each of its solves). The combined round pairs each threshold
    with the best head-counts by an additive model, which need not be those chosen; so whether the chosen
    people would do better called sooner or later is asked of the chosen people themselves. Returns the
    outlets given patterns; nothing without the list (or when no plan meets the rules yet: verification then
    says so)."""
    if not problem.region.search.flex_open_above:
        return []
    touched: list[str] = []
    for _ in range(MAX_RETUNE_ROUNDS):
        try:
            best, sol, menu, _ = best_and_stable(problem, states, s)
        except InfeasibleError:
            break
        added = retune_plans(problem, states, ev, s, [menu.plans(best), menu.plans(sol)])
        if not added:
            break
        touched += [name for name in added if name not in touched]
    return touched


def retune_plans(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings,
                 choices: list[list[StaffingPlan]]) -> list[str]:
    """Each plan of ``choices`` (one plan per outlet each) at every threshold tried of its outlet's flexible
    posts, those not yet candidates added, simulated for ``s.replications`` days and pruned by the means; the
    outlets given patterns (none without ``[search] flex_open_above``)."""
    if not problem.region.search.flex_open_above:
        return []
    todo = []
    for o, st in enumerate(states):
        tried = flex_options(st.spec, problem.region)
        known = {c.plan for c in st.candidates}
        new = [p for p in dict.fromkeys(plans[o].with_flex(t) for plans in choices for ts in tried.values()
                                        for t in ts) if p not in known]
        if new:
            st.add(new, Origin.RETUNED, analytic_screen(problem, st))
            todo.append(st)
    if todo:
        simulate_candidates(ev, problem, todo, [[i for i in st.live() if st.plan(i) not in st.days] for st in todo],
                            s.replications)
        for st in todo:
            prune(problem, st, by_ci=False)
    return [st.spec.name for st in todo]


def live_menu(problem: Problem, states: list[OutletState], held: Mapping[int, int] | None = None) -> Menu:
    """The menu of every outlet's live candidates; an outlet in ``held`` (its position → a candidate's
    index, verified in an earlier round) is offered that candidate alone while it is live.

    Raises:
        InfeasibleError: an outlet has none left, naming today's plan's fate.
    """
    held = held or {}
    ids = []
    for o, st in enumerate(states):
        live = st.live()
        ids.append([held[o]] if held.get(o, -1) in live else live)
    if any(not i for i in ids):
        raise InfeasibleError([f"{st.spec.name}: none of {len(st.candidates)} candidate patterns meets the service "
                               f"limits (today's plan: {st.candidates[st.current_index()].fate})"
                               for st, i in zip(states, ids, strict=True) if not i])
    return Menu.of(problem, states, ids)


def noise_yuan(problem: Problem, states: list[OutletState], plans: list[StaffingPlan]) -> float:
    """Half-width (yuan/day) of the 95% interval of the predicted uplift of ``plans`` (one per outlet) over today's.

    Every pattern of an outlet ran on the same days (common random numbers), so the noise
    that can mislead a choice is that of the *paired* differences, not of the value's
    level: 1.96 × √Σ (sd² / days) of each outlet's per-day difference from today's plan,
    over the days both have.
    """
    var = 0.0
    for st, plan in zip(states, plans, strict=True):
        now = st.today
        if plan == now or now not in st.days:
            continue
        _, se2 = paired_difference(problem, now, st.days[now], plan, st.days[plan])
        if math.isfinite(se2):  # fewer than two common days: no noise estimate
            var += se2
    return 1.96 * math.sqrt(var)


def best_and_stable(problem: Problem, states: list[OutletState], s: Settings, held: Mapping[int, int] | None = None
                    ) -> tuple[Solution, Solution, Menu, float]:
    """The value-optimal solution, the stable one (``s.stable``: the fewest moves within its noise; else the
    same), the menu both chose from and the noise tolerance used (yuan/day); ``held`` as :func:`live_menu`."""
    menu = live_menu(problem, states, held)
    best = problem.solve(menu.options)
    tolerance = noise_yuan(problem, states, menu.plans(best)) if s.stable else 0.0
    return best, problem.stabilise(menu.options, best, tolerance), menu, tolerance


def stable_solve(problem: Problem, states: list[OutletState], s: Settings, held: Mapping[int, int] | None = None
                 ) -> tuple[Solution, Menu, dict[str, float]]:
    """The value-optimal plan, then (``s.stable``) the plan with the fewest moves within its noise; ``held``
    as :func:`live_menu`."""
    best, sol, menu, tolerance = best_and_stable(problem, states, s, held)
    stability = {"tolerance_yuan": tolerance, "best_estimate_yuan": best.objective,
                 "chosen_estimate_yuan": sol.objective, "moves_best": menu.moves(best), "moves_chosen": menu.moves(sol)}
    retuned_best, retuned_chosen = menu.retuned(best), menu.retuned(sol)
    if retuned_best is not None and retuned_chosen is not None:  # flexible posts: their changes count too
        stability |= {"retuned_best": retuned_best, "retuned_chosen": retuned_chosen}
    return sol, menu, stability


@dataclass(frozen=True, kw_only=True)
class Verified:
    """The final solve and its verification: the menu it chose from, per outlet the days of the chosen
    and today's plan on each day type (one list entry without day types), the rounds it took, the
    stable stage's figures and the outlets :func:`repair` gave one more round between rounds."""

    sol: Solution
    menu: Menu
    rec_types: list[list[np.ndarray]]
    cur_types: list[list[np.ndarray]]
    rounds: int
    stability: dict[str, float]
    repaired: tuple[str, ...] = ()

    def rec(self, problem: Problem) -> list[np.ndarray]:
        """The chosen plans' days, day types combined."""
        return [combine_days(problem.region, t) for t in self.rec_types]

    def cur(self, problem: Problem) -> list[np.ndarray]:
        """Today's plans' days, day types combined."""
        return [combine_days(problem.region, t) for t in self.cur_types]


def keepable(problem: Problem, states: list[OutletState], held: Mapping[int, int]) -> dict[int, int]:
    """The most of ``held`` (outlet position → verified candidate) that the region's rules let stand together
    with a choice for every other outlet, the most valuable such choice among equals: the MILP solved for the
    count of holds kept, each held pattern worth 1 more than the others, plus each pattern's value scaled so
    that all of them together are worth less than one hold.

    Raises:
        InfeasibleError: the MILP has no plan even with no outlet held.
    """
    menu = live_menu(problem, states)
    scale = 0.5 / (1.0 + sum(float(np.abs(opt.value).max(initial=0.0)) for opt in menu.options))
    options = [replace(opt, value=opt.value * scale + np.array([float(held.get(o) == i) for i in ids]))
               for o, (opt, ids) in enumerate(zip(menu.options, menu.ids, strict=False))]
    options += [replace(opt, value=opt.value * scale) for opt in menu.options[len(menu.ids):]]
    picked = menu.indices(problem.solve(options))
    return {o: i for o, i in held.items() if picked[o] == i}


def choose(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings, held: dict[int, int]
           ) -> tuple[Solution, Menu, dict[str, float]]:
    """One round's choice: the stable solve with the ``held`` outlets kept at their verified plans (when that
    leaves the MILP no plan, ``held`` shrinks to the most of them it can keep, :func:`keepable`, and the
    others are chosen again); with flexible posts searched, each new choice's people first tried at every
    threshold (:func:`retune_plans`) and the MILP solved again."""
    try:
        sol, menu, stability = stable_solve(problem, states, s, held)
    except InfeasibleError:
        if not held:
            raise
        kept = keepable(problem, states, held)
        held.clear()
        held.update(kept)
        sol, menu, stability = stable_solve(problem, states, s, held)
    for _ in range(MAX_RETUNE_ROUNDS):  # a new choice's people at every threshold tried, before verifying it
        if not retune_plans(problem, states, ev, s, [menu.plans(sol)]):
            break
        sol, menu, stability = stable_solve(problem, states, s, held)
    return sol, menu, stability


def verify(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings) -> Verified:
    """Solve, verify on fresh seeds, exclude outlet plans that break a limit, repeat (at most
    :data:`MAX_VERIFY_ROUNDS` rounds); from round :data:`HOLD_FROM_ROUND` the outlets whose plans passed keep
    them (:func:`choose`), so a region of thousands of outlets, where some new choice fails by chance in
    every round, still converges; from the round before it, an outlet whose choice failed has all its live
    candidates verified on the same days (:func:`verify_ahead`), so it is not left failing one a round. When
    the exclusions leave the MILP no plan, the outlets whose excluded plans met their own rules are repaired
    (:func:`repair`, once each) and the MILP solved again.

    Raises:
        InfeasibleError: no plan passed within the rounds, naming the outlets that failed in the last one.
    """
    repaired: list[str] = []
    held: dict[int, int] = {}
    checked: set[tuple[int, int]] = set()  # (outlet position, candidate) verified on the fresh days
    failed: dict[int, str] = {}
    for rounds in range(1, MAX_VERIFY_ROUNDS + 1):
        try:
            sol, menu, stability = choose(problem, states, ev, s, held)
        except InfeasibleError:  # repair, once each, the outlets whose plans meeting their rules failed here
            todo = [st for st in states if st.spec.name not in repaired and ruled_out(problem, st, (FateKind.FAILED,))]
            if not todo:
                raise
            repaired += repair(problem, states, ev, s, todo)
            continue
        picked = menu.indices(sol)
        items: list[tuple[OutletState, StaffingPlan | None, int, int]] = [
            (st, st.plan(i), derive_seed(s.seed, 1, o), s.verify_replications)
            for o, (st, i) in enumerate(zip(states, picked, strict=True))]
        items += [(st, None, derive_seed(s.seed, 1, o), s.verify_replications) for o, st in enumerate(states)]
        days = simulate_plans(ev, problem, items)
        rec, cur = days[:len(states)], days[len(states):]
        failed = {}
        for o, (st, i, d, now) in enumerate(zip(states, picked, rec, cur, strict=True)):
            checked.add((o, i))
            fate = problem.fate(st.spec, d, now, by_ci=False)
            if not fate.kept:
                st.candidates[i].fate = Fate(FateKind.FAILED, fate.reason)
                failed[o] = fate.reason
            elif rounds + 1 >= HOLD_FROM_ROUND:
                held[o] = i
        if not failed:
            return Verified(sol=sol, menu=menu, rec_types=rec, cur_types=cur, rounds=rounds, stability=stability,
                            repaired=tuple(repaired))
        if rounds + 1 >= HOLD_FROM_ROUND:
            verify_ahead(problem, states, ev, s, {o: cur[o] for o in failed}, checked)
    raise InfeasibleError(exhausted(states, failed))


#: Outlets named, with their reasons, when verification gives up (the rest are counted).
NAMED_FAILURES = 10


def exhausted(states: list[OutletState], failed: Mapping[int, str]) -> list[str]:
    """Why verification gave up, in lines: the rounds, how many outlets' chosen plans failed in the last one,
    and the first :data:`NAMED_FAILURES` of them with the limit or guard each broke."""
    lines = [f"verification kept rejecting the chosen plans after {MAX_VERIFY_ROUNDS} rounds: "
             f"{len(failed)} outlet(s) failed in the last round"]
    lines += [f"{states[o].spec.name}: {reason}" for o, reason in list(failed.items())[:NAMED_FAILURES]]
    if len(failed) > NAMED_FAILURES:
        lines.append(f"... and {len(failed) - NAMED_FAILURES} more")
    return lines


def verify_ahead(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings,
                 today: Mapping[int, list[np.ndarray]], checked: set[tuple[int, int]]) -> None:
    """Verify every live candidate of the outlets in ``today`` (position → today's plan's verification days,
    whose chosen plan just failed) that has not been verified yet (``checked``, updated), on the same fresh
    days, and mark those that break a limit or guard as failed: the next round chooses among plans that
    passed, instead of failing one candidate an outlet a round. Used from round :data:`HOLD_FROM_ROUND` − 1
    (at 2,000 outlets the 12 rounds ended with outlets still failing new choices, issue 19)."""
    todo = [(o, i) for o in today for i in states[o].live() if (o, i) not in checked]
    items: list[tuple[OutletState, StaffingPlan | None, int, int]] = [
        (states[o], states[o].plan(i), derive_seed(s.seed, 1, o), s.verify_replications) for o, i in todo]
    for (o, i), d in zip(todo, simulate_plans(ev, problem, items), strict=True):
        checked.add((o, i))
        fate = problem.fate(states[o].spec, d, today[o], by_ci=False)
        if not fate.kept:
            states[o].candidates[i].fate = Fate(FateKind.FAILED, fate.reason)


#: Columns of the frontier table.
FRONTIER_COLUMNS = ("budget", "delta", "status", "objective", "marginal_yuan")


def frontier(problem: Problem, states: list[OutletState], s: Settings) -> pd.DataFrame:
    """The optimum as the total head-count budget moves by ±``s.frontier`` people (empty for 0)."""
    if s.frontier <= 0:
        return pd.DataFrame(columns=list(FRONTIER_COLUMNS))
    region = problem.region
    base = region.policy.total_headcount or region.current_total
    rows = []
    for delta in range(max(-s.frontier, -base), s.frontier + 1):
        try:
            sol = problem.solve(live_menu(problem, states).options,
                                replace(region.policy, total_headcount=base + delta))
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


def month_days(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings,
               plans: list[StaffingPlan]) -> list[list[np.ndarray]]:
    """``plans`` (one per outlet) simulated on every day type of the region on the verification seeds and
    days: common random numbers with the verified days of the chosen plans (:attr:`Verified.rec_types`), so
    the two plans' difference on the simulated month is paired; an outlet whose plan is the chosen one reuses
    those days. Per outlet, its days on each day type."""
    return simulate_plans(ev, problem, [(st, plan, derive_seed(s.seed, 1, o), s.verify_replications)
                                        for o, (st, plan) in enumerate(zip(states, plans, strict=True))])


@dataclass(frozen=True, kw_only=True)
class AverageDay:
    """The average-day plan beside a run over day types: per outlet the ``plans`` :func:`optimize.recommend`
    chooses without day types, their days on each day type of the month (``month``, as :func:`month_days`),
    the days that average-day run simulated and the days the month comparison simulated."""

    plans: list[StaffingPlan]
    month: list[list[np.ndarray]]
    simulated_days: int
    month_simulated_days: int


@dataclass(frozen=True, kw_only=True)
class Run:
    """Everything one run leaves for the tables: the problem, the candidate pools, the settings, the verified
    solve, the frontier, stage timings (seconds) and the simulated days it took; with day types, the
    average-day plan to compare with (``average``; ``None`` otherwise); with ``[roster]``, the rosters and
    their verification (``roster``); the outlets :func:`repair` gave one more round (``repaired``)."""

    problem: Problem
    states: list[OutletState]
    settings: Settings
    verified: Verified
    frontier: pd.DataFrame
    timings: dict[str, float]
    simulated_days: int
    average: AverageDay | None = None
    roster: RosterRun | None = None
    repaired: tuple[str, ...] = ()
