"""Adaptive allocation of simulated days: a race on common random numbers instead of a fixed screen and refine.

The fixed method (:func:`optimize.stages.screen` then :func:`optimize.stages.refine`)
gives every candidate pattern the screen's days and the ``stage2`` patterns per outlet
that could be optimal the full ``replications``, whatever their chances. The race
(``allocation = "race"``) spends days in rounds instead:

1. every candidate gets :data:`START_DAYS` days (the screen, its combined patterns, the
   empirical-Bayes prior and the pruning of :func:`optimize.stages.screen`, on fewer days);
2. round ``k`` doubles the days (``2, 4, 8, …`` up to ``replications``,
   :func:`day_schedule`) for the outlet's contenders only: the live candidates with the
   highest optimistic estimate (the estimate the MILP uses plus 1.96 paired standard errors,
   :func:`contenders`), :func:`keep_count` of them — a share :data:`KEEP` of the live ones per round, never
   fewer than ``stage2`` — today's plan always;
3. before each round, a candidate **surely worse** than another live one of the same outlet
   is eliminated (:func:`eliminate`), and after each round the stages' pruning runs again
   (service limits by the 95% CI, dominance), by the means after the last;
4. the plan the solve would choose now (:func:`optimize.stages.stable_solve`) is what matters:
   each chosen pattern short of the full ``replications`` gets them and the solve is repeated,
   at most :data:`CHOICE_ROUNDS` times, so the verified choice never rests on a pattern's
   first few days (the MILP may take a pattern with few people for the head-count it frees,
   not for its own value, so no per-outlet ranking finds those).

*Surely worse* must respect the joint decision: the MILP couples the outlets through the
head-count pools (total and per role), the tier monotone rule, the transfer limit and the
outside-staff rule, so a pattern that is worse than one using *more* people is not worse
for the region (the people may be worth more elsewhere). Pattern ``a`` is eliminated
against ``b`` only when swapping ``a`` for ``b`` keeps any plan of the region feasible and
surely raises its value: ``b`` has the same head-count of every role (so every pool and
the tier rule read the same; only the customer managers' inside : outside split differs),
meets every outlet rule ``a`` meets, moves no more people, keeps the outside-staff rule's
count wherever ``a`` meets its minimum, and the paired difference ``b − a`` on the days
both ran (common random numbers) has its lower confidence bound above 0 at a one-sided
level of ``ALPHA / comparisons`` (Bonferroni over the comparisons the pattern faces in the
race: :func:`surely_worse`). Patterns at different head-counts are never eliminated
against each other; they are the MILP's to trade, and the stages' dominance pruning (no
more people of any role, by the means) stays as it is in the fixed method.

:func:`sequential_elimination` is the same race, elimination and schedule, on arms given
by a sampling function: the known-answer tests check it picks the best of synthetic
patterns with the stated probability.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from optimize import stages
from optimize.candidates import Fate, FateKind, Origin
from optimize.evaluate import Evaluator
from optimize.milp import outlet_meets
from optimize.problem import Problem
from optimize.state import Menu, OutletState, Settings, paired_difference
from sim.codes import ROLES
from sim.student_t import t_quantile

#: Days every candidate gets before the race's first round (the fewest that give a paired variance).
START_DAYS = 2
#: Share of an outlet's live candidates (after the first days) still raced in round ``k``: ``KEEP ** k``.
KEEP = 0.25
#: Most solves of the race's last step (each gives the chosen patterns short of the full days those days).
CHOICE_ROUNDS = 5
#: Family-wise error of eliminating a pattern that is not worse: one-sided, split over its comparisons.
ALPHA = 0.05


def day_schedule(start: int, most: int) -> list[int]:
    """Days per raced pattern after each round: ``start`` doubled each round, the last capped at ``most``
    (``[2, 4, 8, 16, 24]`` for 2 and 24; ``[most]`` when ``start >= most``)."""
    days = [min(start, most)]
    while days[-1] < most:
        days.append(min(2 * days[-1], most))
    return days


def keep_count(live: int, round_: int, floor: int) -> int:
    """Patterns of an outlet raced in round ``round_`` (1, 2, …) out of ``live``: ``⌈live × KEEP^round_⌉``,
    at least ``floor`` (the fixed method's ``stage2``) and at most ``live``."""
    return min(live, max(floor, math.ceil(live * KEEP ** round_)))


def surely_worse(diff: np.ndarray, comparisons: int, alpha: float = ALPHA) -> bool:
    """Whether per-day differences ``diff`` (yuan/day, ``b − a`` on common random numbers) show ``a`` surely
    worse than ``b``: the one-sided lower ``1 − alpha / comparisons`` Student-t bound of their mean is above 0.

    With at most ``comparisons`` such tests on a pattern that is not worse than any other, the chance
    of eliminating it is at most ``alpha`` (Bonferroni; exact for normal days). Fewer than two days,
    or no spread at all, prove nothing.
    """
    n = diff.size
    if n < 2:
        return False
    sd = float(np.std(diff, ddof=1))
    mean = float(diff.mean())
    if sd == 0.0:
        return False
    return mean - t_quantile(1.0 - alpha / max(comparisons, 1), n - 1) * sd / math.sqrt(n) > 0.0


@dataclass(frozen=True)
class Selection:
    """What :func:`sequential_elimination` found: the ``pick``, the arms never eliminated (``survivors``) and
    the days it simulated over all arms (``days``)."""

    pick: int
    survivors: tuple[int, ...]
    days: int


def sequential_elimination(sample: Callable[[int, int], np.ndarray], arms: int, start: int, most: int,
                           alpha: float = ALPHA) -> Selection:
    """Pick the best of ``arms`` patterns by racing them on common random numbers.

    ``sample(arm, n)`` returns the arm's values on days ``0 … n−1`` (the same days for every arm:
    common random numbers; extending ``n`` keeps the earlier days). Every arm runs through
    :func:`day_schedule`; before each round, an arm :func:`surely_worse` than another live arm
    is eliminated, each test at ``alpha / ((arms − 1) × rounds)``, so the best arm survives
    with probability at least ``1 − alpha``. The pick is the survivor with the highest mean.
    """
    schedule = day_schedule(start, most)
    comparisons = max(arms - 1, 1) * len(schedule)
    live = list(range(arms))
    used = 0
    values: dict[int, np.ndarray] = {}
    for n in schedule:
        for a in live:
            used += n - (values[a].size if a in values else 0)
            values[a] = sample(a, n)
        live = [a for a in live if not any(b != a and surely_worse(values[b] - values[a], comparisons, alpha)
                                           for b in live)]
        if len(live) == 1:
            break
    return Selection(max(live, key=lambda a: float(values[a].mean())), tuple(live), used)


def eliminate(problem: Problem, st: OutletState, rounds: int) -> None:
    """Mark the live candidates of ``st`` surely worse than another live one at the same head-count per role
    (see the module docstring); today's plan is never eliminated, nor a pattern by one with the same people
    that differs only in a flexible post's thresholds (as in :func:`optimize.stages.prune`'s dominance: the
    one worth more may break a service limit on more days).

    A pattern among ``g`` live ones at its head-count faces ``g − 1`` tests in this pass, each at
    ``ALPHA / ((g − 1) × rounds)``: over the race's ``rounds`` passes a pattern not worse than the
    others is eliminated with probability at most :data:`ALPHA`.
    """
    live = st.live()
    if len(live) < 2:
        return
    policy = problem.region.policy
    opt = Menu.of(problem, [st], [live]).options[0]
    ok = outlet_meets(opt, policy)
    outside = opt.counts[:, ROLES.index("customer_manager")] - opt.cm_inside
    rule = policy.outside_staff if st.spec.second_level else None
    values = {i: problem.objective(st.plan(i), st.days[st.plan(i)]) for i in live}
    group = {key: sum(1 for c in opt.counts if tuple(c) == key) for key in map(tuple, opt.counts)}
    for a, i in enumerate(live):
        if st.candidates[i].origin is Origin.CURRENT:
            continue
        for b, j in enumerate(live):
            if (b == a or not np.array_equal(opt.counts[b], opt.counts[a]) or np.any(ok[a] & ~ok[b])
                    or opt.same_people(a, b) or opt.moves[b] > opt.moves[a]
                    or (rule is not None and outside[a] >= rule.min_people > outside[b])):
                continue
            n = min(values[i].size, values[j].size)
            if surely_worse(values[j][:n] - values[i][:n], (group[tuple(opt.counts[a])] - 1) * rounds):
                st.candidates[i].fate = Fate(FateKind.PRUNED, f"surely worse than pattern {j} at the same "
                                                              f"head-count (paired, {n} days)")
                break


def contenders(problem: Problem, st: OutletState, limit: int) -> list[int]:
    """The ``limit`` live candidates of ``st`` with the highest optimistic estimate, today's plan always.

    The optimistic estimate is what the MILP ranks the pattern by (:meth:`OutletState.estimate`, the
    shrunk paired difference from today's plus today's mean) plus 1.96 standard errors of the paired
    difference on the days both ran: on common random numbers that noise is much smaller than the
    noise of the pattern's own level, so a few days already rank the patterns (a pattern not yet
    paired with today's ranks first).
    """
    now = st.today
    live = st.live()

    def optimistic(i: int) -> float:
        plan = st.plan(i)
        if plan == now:
            return st.estimate(problem, plan)
        _, se2 = paired_difference(problem, now, st.days[now], plan, st.days[plan])
        return st.estimate(problem, plan) + 1.96 * math.sqrt(se2)

    keep = sorted(live, key=lambda i: -optimistic(i))[:limit]
    return keep + [i for i in live if st.candidates[i].origin is Origin.CURRENT and i not in keep]


def race(problem: Problem, states: list[OutletState], ev: Evaluator, s: Settings) -> None:
    """The race's allocation of candidate days, in place of :func:`optimize.stages.screen` and
    :func:`optimize.stages.refine` (see the module docstring)."""
    schedule = day_schedule(min(START_DAYS, s.replications), s.replications)
    search = problem.region.search
    first = replace(problem, region=replace(problem.region, search=replace(search, screen_replications=schedule[0])))
    stages.screen(first, states, ev, s)
    live0 = [len(st.live()) for st in states]
    for k, n in enumerate(schedule[1:], start=1):
        for st in states:
            eliminate(problem, st, len(schedule) - 1)
        raced = [contenders(problem, st, keep_count(n0, k, s.stage2)) for st, n0 in zip(states, live0, strict=True)]
        stages.simulate_candidates(ev, problem, states, raced, n)
        for st in states:
            stages.prune(problem, st, by_ci=n < s.replications)
    for _ in range(CHOICE_ROUNDS):
        sol, menu, _ = stages.stable_solve(problem, states, s)
        short = [[i] if st.days[st.plan(i)].shape[0] < s.replications else []
                 for st, i in zip(states, menu.indices(sol), strict=True)]
        if not any(short):
            return
        stages.simulate_candidates(ev, problem, states, short, s.replications)
        for st, ids in zip(states, short, strict=True):
            if ids:
                stages.prune(problem, st, by_ci=False)
