"""The optimiser's candidate pools: one outlet's candidates as the method proceeds, and the menu a solve chooses among.

An :class:`OutletState` holds one outlet's :class:`~optimize.candidates.Candidate` records
— plan, origin, fate — with their simulated days and the estimate the MILP ranks them by
(:meth:`OutletState.estimate`, shrunk by empirical Bayes); a :class:`Menu` is what one
MILP solve chooses among and maps its choice back to plans, in one place;
:class:`Settings` holds the run's settings. What a day is worth and which limits apply are
the :class:`~optimize.problem.Problem`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optimize.candidates import Candidate, Fate, FateKind, Origin
from optimize.milp import OutletOptions, Solution
from optimize.patterns import AnalyticScreen
from optimize.problem import Problem, combine_days, day_scenarios, moves
from optimize.region import OutletSpec
from sim.codes import ROLES, SERVICE_ZONES
from sim.layout import compile_layout
from sim.scenario_types import Scenario
from sim.staffing import StaffingPlan


@dataclass(kw_only=True)
class OutletState:
    """One outlet's candidates as the method proceeds: plan, origin and fate each, with their simulated days.

    ``days[plan]`` holds the plan's simulated days (day types combined, share-weighted),
    ``type_days[plan]`` the days on each day type; ``prior_var`` the outlet's
    empirical-Bayes prior of the gains over today (yuan²/day², :func:`set_prior`).
    """

    spec: OutletSpec
    seed: int
    candidates: list[Candidate] = field(default_factory=list)
    days: dict[StaffingPlan, np.ndarray] = field(default_factory=dict)
    gaps: dict[StaffingPlan, tuple[str, ...]] = field(default_factory=dict)
    type_days: dict[StaffingPlan, list[np.ndarray]] = field(default_factory=dict)
    variants: list[Scenario] = field(default_factory=list)
    prior_var: float | None = None

    @property
    def today(self) -> StaffingPlan:
        """The outlet's plan today."""
        return self.spec.scenario.staffing_plan()

    def plan(self, i: int) -> StaffingPlan:
        """Candidate ``i``'s plan."""
        return self.candidates[i].plan

    def day_scenarios(self, problem: Problem) -> list[Scenario]:
        """The outlet's scenario on each of the region's day types (just today's scenario without any)."""
        if not self.variants:
            self.variants = day_scenarios(problem.region, self.spec.scenario)
        return self.variants

    def store(self, problem: Problem, plan: StaffingPlan, per_type: list[np.ndarray]) -> None:
        """Keep a plan's simulated days per day type and their share-weighted combination."""
        self.type_days[plan] = per_type
        self.days[plan] = combine_days(problem.region, per_type)

    def estimate(self, problem: Problem, plan: StaffingPlan) -> float:
        """The per-day objective (yuan/day) the MILP ranks ``plan`` by: its mean, or with a prior
        (:attr:`prior_var`, set by :func:`set_prior`) today's mean plus the paired difference shrunk
        toward 0 — the empirical-Bayes posterior mean of the difference under a N(0, prior_var) prior.

        Picking the best of many noisy estimates is optimistic (the winner's curse); the shrunk
        difference ``d · τ² / (τ² + se²)`` pulls a noisy gain (large standard error ``se`` of the
        paired mean) toward today's value more than a well-measured one, so the MILP does not
        chase noise and the predicted uplift is not inflated by the selection.
        """
        if plan not in self.days:
            return 0.0
        now = self.today
        if self.prior_var is None or plan == now or now not in self.days:
            return float(problem.objective(plan, self.days[plan]).mean())
        d, se2 = paired_difference(problem, now, self.days[now], plan, self.days[plan])
        return float(problem.objective(now, self.days[now]).mean()) + shrink(d, se2, self.prior_var)

    def uncovered(self, plan: StaffingPlan, zones: tuple[str, ...]) -> tuple[str, ...]:
        """The ``zones`` open today that ``plan`` leaves with nobody on duty at some minute (cached)."""
        if plan not in self.gaps:
            self.gaps[plan] = uncovered_zones(self.spec.scenario, plan, zones)
        return self.gaps[plan]

    def add(self, plans: list[StaffingPlan], origin: Origin, screen: AnalyticScreen) -> None:
        """Append new plans; those failing the analytic screen (never today's) are marked dropped."""
        current = self.today
        known = {c.plan for c in self.candidates}
        for plan in plans:
            if plan in known:
                continue
            known.add(plan)
            reasons = [] if plan == current else screen.failures(plan)
            fate = Fate(FateKind.DROPPED, "; ".join(reasons)) if reasons else Fate(FateKind.KEPT)
            self.candidates.append(Candidate(plan, Origin.CURRENT if plan == current else origin, fate))

    def live(self) -> list[int]:
        """Indices of candidates still in the running."""
        return [i for i, c in enumerate(self.candidates) if c.fate.kept]

    def current_index(self) -> int:
        """Index of today's plan among the candidates."""
        return next(i for i, c in enumerate(self.candidates) if c.origin is Origin.CURRENT)


@dataclass(kw_only=True, frozen=True)
class Settings:
    """Run settings of :func:`optimize.recommend` (see its arguments)."""

    replications: int
    verify_replications: int
    seed: int
    solver: str
    gap: float
    frontier: int
    stage2: int
    stable: bool = True
    shrink: bool = True


@dataclass(frozen=True)
class Menu:
    """What one MILP solve chooses among: per outlet the candidates offered (``ids``, indices into the
    outlet's candidates), their MILP options, then the conversions' pseudo-outlet if the region has any.

    A solution's ``choice[o]`` indexes ``ids[o]``; :meth:`indices` and :meth:`plans` map it
    back to the outlets' candidates, and :meth:`converted` to the conversions' counts.
    """

    problem: Problem
    states: tuple[OutletState, ...]
    ids: tuple[tuple[int, ...], ...]
    options: tuple[OutletOptions, ...]

    @staticmethod
    def of(problem: Problem, states: Sequence[OutletState], ids: Sequence[Sequence[int]]) -> Menu:
        """The menu of candidates ``ids`` of each outlet (and the conversions' patterns)."""
        opts = [outlet_options(problem, st, list(i)) for st, i in zip(states, ids, strict=True)]
        conv = problem.conversions()
        return Menu(problem, tuple(states), tuple(tuple(i) for i in ids),
                    tuple([*opts, conv] if conv is not None else opts))

    def indices(self, sol: Solution) -> list[int]:
        """Per outlet, the index among its candidates of the pattern ``sol`` chose."""
        return [i[c] for i, c in zip(self.ids, sol.choice[:len(self.states)], strict=True)]

    def plans(self, sol: Solution) -> list[StaffingPlan]:
        """Per outlet, the plan ``sol`` chose."""
        return [st.plan(i) for st, i in zip(self.states, self.indices(sol), strict=True)]

    def converted(self, sol: Solution) -> tuple[int, ...]:
        """People converted by each ``[[conversions]]`` row in ``sol`` (empty without conversions)."""
        if len(sol.choice) <= len(self.states):
            return ()
        return self.problem.conversion_counts(sol.choice[len(self.states)])

    def moves(self, sol: Solution) -> float:
        """People ``sol`` places differently from today (see :func:`optimize.problem.moves`)."""
        return float(sum(o.moves[c] for o, c in zip(self.options, sol.choice, strict=True)))

    def retuned(self, sol: Solution) -> float | None:
        """Flexible posts whose thresholds ``sol`` changes (``None`` when no outlet has a post)."""
        if all(o.retuned is None for o in self.options):
            return None
        return float(sum(o.retuned[c] for o, c in zip(self.options, sol.choice, strict=True)
                         if o.retuned is not None))


def uncovered_zones(scenario: Scenario, plan: StaffingPlan, zones: tuple[str, ...]) -> tuple[str, ...]:
    """Which of ``zones`` (those open in ``scenario`` today) have nobody on duty at some minute of the
    opening day under ``plan``: every person's shift minus lunch, as the engine runs them."""
    layout = compile_layout(scenario.with_staffing(plan))
    day = scenario.outlet.day_min
    out = []
    for zone in zones:
        if not scenario.zone_open(zone):
            continue
        z = SERVICE_ZONES.index(zone)
        spans = sorted(iv for k in layout.zone_staff[z] for iv in layout.staff.duty[k])
        reach = 0.0
        for start, end in spans:
            if start > reach:
                break
            reach = max(reach, end)
        if reach < day:
            out.append(zone)
    return tuple(out)


def paired_difference(problem: Problem, a: StaffingPlan, a_days: np.ndarray, b: StaffingPlan, b_days: np.ndarray
                      ) -> tuple[float, float]:
    """Mean per-day objective of ``b`` minus ``a`` on the days both ran (common random numbers), yuan/day,
    and the squared standard error of that mean (``inf`` with fewer than two common days)."""
    x, y = problem.objective(a, a_days), problem.objective(b, b_days)
    n = min(x.size, y.size)
    diff = y[:n] - x[:n]
    return float(diff.mean()), float(np.var(diff, ddof=1)) / n if n >= 2 else math.inf


def shrink(d: float, se2: float, prior_var: float) -> float:
    """Posterior mean of a difference estimated as ``d`` with squared standard error ``se2`` under a
    N(0, ``prior_var``) prior: ``d · prior_var / (prior_var + se2)`` (``d`` itself when both are 0)."""
    if prior_var + se2 == 0.0:
        return d
    return d * prior_var / (prior_var + se2) if math.isfinite(se2) else 0.0


def set_prior(problem: Problem, st: OutletState) -> None:
    """Estimate the spread of the true differences from today among ``st``'s simulated patterns and keep it
    as :attr:`OutletState.prior_var` (yuan²/day²).

    Method of moments (James–Stein): an observed difference is the true one plus noise, so
    the mean of the squared observed differences minus the mean squared standard error
    estimates the variance of the true ones (0 when noise explains it all: every gain is
    then read as noise). Every simulated pattern but today's counts, once, on the screen's days.
    """
    now = st.today
    pairs = [paired_difference(problem, now, st.days[now], p, st.days[p]) for p in st.days if p != now]
    st.prior_var = prior_variance(pairs)


def prior_variance(pairs: list[tuple[float, float]]) -> float:
    """Method-of-moments variance of the true differences behind observed ``(d, se²)`` pairs:
    mean(d² − se²), at least 0 (pairs with an infinite ``se²`` are left out; 0 without any)."""
    usable = [(d, se2) for d, se2 in pairs if math.isfinite(se2)]
    return max(0.0, float(np.mean([d * d - se2 for d, se2 in usable]))) if usable else 0.0


def outlet_options(problem: Problem, st: OutletState, ids: list[int]) -> OutletOptions:
    """The MILP's view of candidates ``ids`` of one outlet: counts, estimates (yuan/day), moves, uncovered zones,
    retuned flexible posts."""
    plans = [st.plan(i) for i in ids]
    current = st.today
    counts = np.asarray([[c for _, c in p.counts] for p in plans], dtype=int).reshape(len(plans), len(ROLES))
    inside = np.asarray([p.cm_inside for p in plans], dtype=int)
    values = np.asarray([st.estimate(problem, p) for p in plans])
    zones = problem.region.cover_zones
    return OutletOptions(name=st.spec.name, tier=st.spec.tier, second_level=st.spec.second_level,
                         vip_customers=st.spec.vip_customers, counts=counts, cm_inside=inside,
                         value=values, moves=np.asarray([moves(current, p) for p in plans]),
                         min_staff=st.spec.min_staff, cover_zones=zones,
                         uncovered=tuple(st.uncovered(p, zones) for p in plans) if zones else (),
                         retuned=np.asarray([sum(t not in current.flex for t in p.flex) for p in plans], dtype=float)
                         if current.flex else None)
