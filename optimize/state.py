"""The optimiser's working state, shared by the method (:mod:`optimize.method`) and its tables.

:mod:`optimize.tables` turns this state into the recommendation's tables; both modules
import it at the top, so neither imports the other inside a function.

An :class:`OutletState` holds one outlet's candidate staffing patterns as the method
proceeds — where each came from, its fate (``kept``, dropped, pruned, failed
verification) and its simulated days; :class:`Settings` the run's settings.
:func:`objective_days` is the per-day objective every stage ranks patterns by (yuan per
day), :func:`moves` the people a pattern places differently from today, and
:func:`outlet_options` one outlet's patterns as the MILP sees them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from optimize.evaluate import column
from optimize.milp import OutletOptions
from optimize.patterns import AnalyticScreen
from optimize.region import OutletSpec, Region
from sim.layout import compile_layout
from sim.scenario import ROLES, SERVICE_ZONES, Scenario, StaffingPlan, with_overrides
from sim.tomlio import get_path

#: Status of a pattern still in the running.
KEPT = "kept"


@dataclass
class OutletState:
    """One outlet's candidates as the method proceeds: plans, where they came from, fate, simulated days."""

    spec: OutletSpec
    seed: int
    plans: list[StaffingPlan] = field(default_factory=list)
    origin: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    days: dict[StaffingPlan, np.ndarray] = field(default_factory=dict)
    gaps: dict[StaffingPlan, tuple[str, ...]] = field(default_factory=dict)
    type_days: dict[StaffingPlan, list[np.ndarray]] = field(default_factory=dict)
    variants: list[Scenario] = field(default_factory=list)
    prior_var: float | None = None

    def day_scenarios(self, region: Region) -> list[Scenario]:
        """The outlet's scenario on each of the region's day types (just today's scenario without any)."""
        if not self.variants:
            self.variants = day_scenarios(region, self.spec.scenario)
        return self.variants

    def store(self, region: Region, plan: StaffingPlan, per_type: list[np.ndarray]) -> None:
        """Keep a plan's simulated days per day type and their share-weighted combination."""
        self.type_days[plan] = per_type
        self.days[plan] = combine_days(region, per_type)

    def estimate(self, region: Region, plan: StaffingPlan) -> float:
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
        now = self.spec.scenario.staffing_plan()
        if self.prior_var is None or plan == now or now not in self.days:
            return float(objective_days(region, plan, self.days[plan]).mean())
        d, se2 = paired_difference(region, now, self.days[now], plan, self.days[plan])
        return float(objective_days(region, now, self.days[now]).mean()) + shrink(d, se2, self.prior_var)

    def uncovered(self, plan: StaffingPlan, zones: tuple[str, ...]) -> tuple[str, ...]:
        """The ``zones`` open today that ``plan`` leaves with nobody on duty at some minute (cached)."""
        if plan not in self.gaps:
            self.gaps[plan] = uncovered_zones(self.spec.scenario, plan, zones)
        return self.gaps[plan]

    def add(self, plans: list[StaffingPlan], origin: str, screen: AnalyticScreen) -> None:
        """Append new plans; those failing the analytic screen (never today's) are marked dropped."""
        current = self.spec.scenario.staffing_plan()
        for plan in plans:
            if plan in self.plans:
                continue
            reasons = [] if plan == current else screen.failures(plan)
            self.plans.append(plan)
            self.origin.append("current" if plan == current else origin)
            self.status.append("dropped: " + "; ".join(reasons) if reasons else KEPT)

    def live(self) -> list[int]:
        """Indices of plans still in the running."""
        return [i for i, s in enumerate(self.status) if s == KEPT]


@dataclass(frozen=True)
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


def day_scenarios(region: Region, scenario: Scenario) -> list[Scenario]:
    """``scenario`` on each of ``region.day_types``: its arrivals times the type's volume (through
    ``arrivals.surge_factor``); ``[scenario]`` when the region names no day types."""
    if not region.day_types:
        return [scenario]
    surge = float(get_path(scenario.raw, "arrivals.surge_factor", 1.0))
    return [with_overrides(scenario, {"arrivals.surge_factor": surge * d.volume}, quiet=True)
            for d in region.day_types]


def combine_days(region: Region, per_type: list[np.ndarray]) -> np.ndarray:
    """Day ``r`` of the month's average: the share-weighted sum of day ``r`` of each day type (the same
    seeds, so common random numbers hold across plans); the one array itself without day types."""
    if len(per_type) == 1:
        return per_type[0]
    n = min(len(d) for d in per_type)
    return np.asarray(sum(t.share * d[:n] for t, d in zip(region.day_types, per_type, strict=True)))


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


def paired_difference(region: Region, a: StaffingPlan, a_days: np.ndarray, b: StaffingPlan, b_days: np.ndarray
                      ) -> tuple[float, float]:
    """Mean per-day objective of ``b`` minus ``a`` on the days both ran (common random numbers), yuan/day,
    and the squared standard error of that mean (``inf`` with fewer than two common days)."""
    x, y = objective_days(region, a, a_days), objective_days(region, b, b_days)
    n = min(x.size, y.size)
    diff = y[:n] - x[:n]
    return float(diff.mean()), float(np.var(diff, ddof=1)) / n if n >= 2 else math.inf


def shrink(d: float, se2: float, prior_var: float) -> float:
    """Posterior mean of a difference estimated as ``d`` with squared standard error ``se2`` under a
    N(0, ``prior_var``) prior: ``d · prior_var / (prior_var + se2)`` (``d`` itself when both are 0)."""
    if prior_var + se2 == 0.0:
        return d
    return d * prior_var / (prior_var + se2) if math.isfinite(se2) else 0.0


def set_prior(region: Region, st: OutletState) -> None:
    """Estimate the spread of the true differences from today among ``st``'s simulated patterns and keep it
    as :attr:`OutletState.prior_var` (yuan²/day²).

    Method of moments (James–Stein): an observed difference is the true one plus noise, so
    the mean of the squared observed differences minus the mean squared standard error
    estimates the variance of the true ones (0 when noise explains it all: every gain is
    then read as noise). Every simulated pattern but today's counts, once, on the screen's days.
    """
    now = st.spec.scenario.staffing_plan()
    pairs = [paired_difference(region, now, st.days[now], p, st.days[p]) for p in st.days if p != now]
    st.prior_var = prior_variance(pairs)


def prior_variance(pairs: list[tuple[float, float]]) -> float:
    """Method-of-moments variance of the true differences behind observed ``(d, se²)`` pairs:
    mean(d² − se²), at least 0 (pairs with an infinite ``se²`` are left out; 0 without any)."""
    usable = [(d, se2) for d, se2 in pairs if math.isfinite(se2)]
    return max(0.0, float(np.mean([d * d - se2 for d, se2 in usable]))) if usable else 0.0


def objective_days(region: Region, plan: StaffingPlan, days: np.ndarray) -> np.ndarray:
    """Per-day objective (yuan/day): value contribution, minus staff cost when the region asks for it."""
    value: np.ndarray = column(days, "value_yuan") - column(days, "value_lost_yuan")
    if region.objective == "value_minus_cost":
        value = value - sum(region.cost_yuan_per_day.get(r, 0.0) * c for r, c in plan.counts)
    return value


def moves(current: StaffingPlan, plan: StaffingPlan) -> float:
    """People placed differently from today, counted half at each end: Σ |change| / 2.

    Changes are taken per role, customer managers inside and outside apart. A teller
    sent from one outlet to another counts ½ at each outlet (1 in the region); a
    customer manager sent outside counts ½ + ½ = 1; a post left empty counts ½.
    """
    change = sum(abs(plan.count(r) - current.count(r)) for r in ROLES if r != "customer_manager")
    change += abs(plan.cm_inside - current.cm_inside) + abs(plan.cm_outside - current.cm_outside)
    return change / 2.0


#: Name of the pseudo-outlet whose patterns are the conversions' counts (never a real outlet: brackets).
CONVERSIONS = "(conversions)"


def conversion_options(region: Region) -> OutletOptions | None:
    """The region's ``[[conversions]]`` as one more "outlet" of the MILP, or ``None`` without any.

    Each pattern is one combination of conversion counts ``y`` (0 … max_people each): it
    uses ``y`` people of the ``from`` role's pool and gives ``y`` to the ``to`` role's
    (negative head-count), adds nobody to the total, moves nobody (the real outlets' role
    changes count the moves) and is worth ``−y × training cost per day``. No outlet rule
    applies to it, so every regional rule reads it exactly: a converted person leaves the
    ``from`` pool and joins the ``to`` pool.
    """
    if not region.conversions:
        return None
    combos = _conversion_combos(region)
    counts = np.zeros((len(combos), len(ROLES)), dtype=int)
    value = np.zeros(len(combos))
    for p, ys in enumerate(combos):
        for c, y in zip(region.conversions, ys, strict=True):
            counts[p, ROLES.index(c.from_role)] += y
            counts[p, ROLES.index(c.to_role)] -= y
            value[p] -= y * c.cost_yuan_per_day
    return OutletOptions(CONVERSIONS, "", False, 0.0, counts, np.zeros(len(combos), dtype=int), value,
                         np.zeros(len(combos)))


def milp_options(region: Region, states: list[OutletState], ids: list[list[int]]) -> list[OutletOptions]:
    """What the MILP chooses among: patterns ``ids`` of each outlet, then the conversions' pseudo-outlet if any.
    A solution's ``choice[:len(states)]`` is the outlets'; ``choice[len(states)]`` the conversions' pattern."""
    opts = [outlet_options(region, st, i) for st, i in zip(states, ids, strict=True)]
    conv = conversion_options(region)
    return [*opts, conv] if conv is not None else opts


def conversion_counts(region: Region, pattern: int) -> tuple[int, ...]:
    """People converted by each ``[[conversions]]`` row in pattern ``pattern`` of :func:`conversion_options`."""
    return _conversion_combos(region)[pattern]


def _conversion_combos(region: Region) -> list[tuple[int, ...]]:
    """Every combination of conversion counts, 0 … max_people per ``[[conversions]]`` row, in pattern order."""
    return list(itertools.product(*(range(c.max_people + 1) for c in region.conversions)))


def outlet_options(region: Region, st: OutletState, ids: list[int]) -> OutletOptions:
    """The MILP's view of plans ``ids`` of one outlet: counts, objective means, moves."""
    plans = [st.plans[i] for i in ids]
    current = st.spec.scenario.staffing_plan()
    counts = np.asarray([[c for _, c in p.counts] for p in plans], dtype=int).reshape(len(plans), len(ROLES))
    inside = np.asarray([p.cm_inside for p in plans], dtype=int)
    values = np.asarray([st.estimate(region, p) for p in plans])
    zones = region.cover_zones
    return OutletOptions(st.spec.name, st.spec.tier, st.spec.second_level, st.spec.vip_customers, counts, inside,
                         values, np.asarray([moves(current, p) for p in plans]), st.spec.min_staff, zones,
                         tuple(st.uncovered(p, zones) for p in plans) if zones else ())
