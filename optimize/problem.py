"""The staffing problem: what is decided, how a candidate is valued, which limits it must meet.

A :class:`Problem` is built once per run from the region (tiers resolved) and the MILP's
settings; the method's stages (:mod:`optimize.stages`) ask it, and only it, how much a
simulated day of a plan is worth (:meth:`Problem.objective`), whether a plan's days meet
the outlet's service limits and the not-worse-than-today guards (:meth:`Problem.fate`),
which head-counts meet the outlet rules (:meth:`Problem.meets_outlet_rules`), and to solve
the MILP over the candidates offered (:meth:`Problem.solve`, :meth:`Problem.stabilise`).
A new objective (several day types, a roster) changes this file and the stage that
simulates, not the tables or the exports.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from optimize.candidates import Fate, breaks
from optimize.evaluate import column
from optimize.milp import DEFAULT_GAP, OutletOptions, Policy, Solution, outlet_meets, solve, stabilise
from optimize.region import OutletSpec, Region, ServiceLimits
from sim.codes import ROLES
from sim.replicate import interval
from sim.scenario_types import Scenario
from sim.staffing import StaffingPlan

#: Name of the pseudo-outlet whose patterns are the conversions' counts (never a real outlet: brackets).
CONVERSIONS = "(conversions)"


@dataclass(frozen=True)
class Problem:
    """The region's staffing problem and how the MILP is solved (``solver``, relative ``gap``)."""

    region: Region
    solver: str = "highs"
    gap: float = DEFAULT_GAP

    def objective(self, plan: StaffingPlan, days: np.ndarray) -> np.ndarray:
        """Per-day objective (yuan/day): value contribution, minus staff cost when the region asks for it."""
        region = self.region
        value: np.ndarray = column(days, "value_yuan") - column(days, "value_lost_yuan")
        if region.objective == "value_minus_cost":
            value = value - sum(region.cost_yuan_per_day.get(r, 0.0) * c for r, c in plan.counts)
        return value

    def fate(self, spec: OutletSpec, days: list[np.ndarray], today: list[np.ndarray], by_ci: bool) -> Fate:
        """A plan's fate against the outlet's service limits and the not-worse-than-today guards.

        ``days`` and ``today`` hold the plan's and today's days on each day type (one entry
        without day types), on the same seeds. With day types, the guards hold on each day
        type (no kind of day may get worse than today's beyond noise) and the limits on the
        month's average day, or on each day type too with ``every_day_type``; the reasons
        name the day type. ``by_ci``: a limit is broken only when the 95% CI lies wholly on
        the wrong side (after the screen); otherwise by the mean. With ``region.risk`` the month's walk-out
        CVaR (:func:`cvar`) must be at most its ceiling too, judged after the screen only (a tail estimate
        has no CI to screen by).
        """
        region = self.region
        limits = region.limits(spec)
        month = ("", combine_days(region, days), combine_days(region, today))
        per_type = [(f"{d.name}: ", a, b) for d, a, b in zip(region.day_types, days, today, strict=True)] \
            if region.day_types else []
        broken = []
        for label, a, _ in per_type if region.day_types and region.every_day_type else [month]:
            limit_breaks = service_breaks(limits, a, by_ci)
            if limit_breaks:
                broken.append(label + "; ".join(limit_breaks))
        for label, a, b in per_type if region.day_types else [month]:
            broken += [label + w for w in worse_than_today(limits.not_worse, a, b)]
        if region.risk is not None and region.day_types and not by_ci:  # a tail has no CI: judged by the estimate
            tail = cvar([column(a, "walkout_rate") for a in days], [d.share for d in region.day_types],
                        region.risk.level)
            if tail > region.risk.walkout_rate:
                broken.append(f"walkout_rate CVaR({region.risk.level:g}) over the month's days {tail:.3f} > "
                              f"{region.risk.walkout_rate:g}")
        return breaks(broken)

    def meets_outlet_rules(self, spec: OutletSpec) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """A test of head-counts against the rules on ``spec``'s outlet alone: ``meets(counts, cm_inside)[p]``
        is true when pattern ``p`` (counts per role of :data:`ROLES`, customer managers inside) meets them all."""
        policy = self.region.policy

        def meets(counts: np.ndarray, inside: np.ndarray) -> np.ndarray:
            opt = OutletOptions(name=spec.name, tier=spec.tier, second_level=spec.second_level,
                                vip_customers=spec.vip_customers, counts=counts, cm_inside=inside,
                                value=np.zeros(len(inside)), moves=np.zeros(len(inside)), min_staff=spec.min_staff)
            return np.asarray(outlet_meets(opt, policy).all(axis=1))
        return meets

    def conversions(self) -> OutletOptions | None:
        """The region's ``[[conversions]]`` as one more "outlet" of the MILP, or ``None`` without any.

        Each pattern is one combination of conversion counts ``y`` (0 … max_people each): it
        uses ``y`` people of the ``from`` role's pool and gives ``y`` to the ``to`` role's
        (negative head-count), adds nobody to the total, moves nobody (the real outlets' role
        changes count the moves) and is worth ``−y × training cost per day``. No outlet rule
        applies to it, so every regional rule reads it exactly: a converted person leaves the
        ``from`` pool and joins the ``to`` pool.
        """
        region = self.region
        if not region.conversions:
            return None
        combos = self._conversion_combos()
        counts = np.zeros((len(combos), len(ROLES)), dtype=int)
        value = np.zeros(len(combos))
        for p, ys in enumerate(combos):
            for c, y in zip(region.conversions, ys, strict=True):
                counts[p, ROLES.index(c.from_role)] += y
                counts[p, ROLES.index(c.to_role)] -= y
                value[p] -= y * c.cost_yuan_per_day
        return OutletOptions(name=CONVERSIONS, tier="", second_level=False, vip_customers=0.0, counts=counts,
                             cm_inside=np.zeros(len(combos), dtype=int), value=value,
                             moves=np.zeros(len(combos)))

    def conversion_counts(self, pattern: int) -> tuple[int, ...]:
        """People converted by each ``[[conversions]]`` row in pattern ``pattern`` of :meth:`conversions`."""
        return self._conversion_combos()[pattern]

    def _conversion_combos(self) -> list[tuple[int, ...]]:
        """Every combination of conversion counts, 0 … max_people per ``[[conversions]]`` row, in pattern order."""
        return list(itertools.product(*(range(c.max_people + 1) for c in self.region.conversions)))

    def solve(self, options: Sequence[OutletOptions], policy: Policy | None = None) -> Solution:
        """The value-optimal choice among ``options`` under the region's rules (or ``policy``)."""
        return solve(options, policy or self.region.policy, solver=self.solver, gap=self.gap)

    def stabilise(self, options: Sequence[OutletOptions], best: Solution, tolerance: float) -> Solution:
        """The fewest-moves choice worth at least ``best`` less ``tolerance`` (see :func:`optimize.milp.stabilise`)."""
        return stabilise(options, self.region.policy, best, tolerance, solver=self.solver)


def moves(current: StaffingPlan, plan: StaffingPlan) -> float:
    """People placed differently from today, counted half at each end: ``Σ |change| / 2``.

    Changes are taken per role, customer managers inside and outside apart. A teller
    sent from one outlet to another counts ½ at each outlet (1 in the region); a
    customer manager sent outside counts ½ + ½ = 1; a post left empty counts ½.
    """
    change = sum(abs(plan.count(r) - current.count(r)) for r in ROLES if r != "customer_manager")
    change += abs(plan.cm_inside - current.cm_inside) + abs(plan.cm_outside - current.cm_outside)
    return change / 2.0


def service_breaks(limits: ServiceLimits, days: np.ndarray, by_ci: bool) -> list[str]:
    """The limits ``days`` break, in words: by the 95% CI lying wholly on the wrong side, or by the mean."""
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
    return broken


def worse_than_today(kpis: tuple[str, ...], days: np.ndarray, today: np.ndarray) -> list[str]:
    """The ``kpis`` a plan makes worse than today's beyond noise, on the days both ran (common random numbers):
    the paired 95% CI of the change lies wholly above 0 (walk-out rate) or below 0 (a service level)."""
    out = []
    for kpi in kpis:
        s = interval(paired_change(kpi, days, today))
        mean, lo, hi = s.mean, s.low, s.high
        if math.isnan(lo):
            continue
        if (kpi == "walkout_rate" and lo > 0) or (kpi != "walkout_rate" and hi < 0):
            out.append(f"{kpi} worse than today beyond noise ({mean:+.4f}, paired 95% CI {lo:+.4f} to {hi:+.4f})")
    return out


def paired_change(kpi: str, days: np.ndarray, today: np.ndarray) -> np.ndarray:
    """Day by day, ``kpi`` under a plan minus under today's plan, on the days both ran (common random numbers)."""
    n = min(len(days), len(today))
    return np.asarray(column(days[:n], kpi) - column(today[:n], kpi))


def worsening(kpis: tuple[str, ...], days: list[np.ndarray], today: list[np.ndarray]) -> np.ndarray:
    """How much worse than today a plan makes each of ``kpis`` on each day type (day types outer): the mean
    paired change of the walk-out rate, of a service level with the sign turned, so that above 0 is worse
    (the means :func:`worse_than_today` tests; days without a value left out, 0 when none has one)."""
    out = []
    for a, b in zip(days, today, strict=True):
        for kpi in kpis:
            change = paired_change(kpi, a, b)
            change = change[np.isfinite(change)]
            mean = float(change.mean()) if change.size else 0.0
            out.append(mean if kpi == "walkout_rate" else -mean)
    return np.asarray(out)


def cvar(per_type: Sequence[np.ndarray], shares: Sequence[float], level: float) -> float:
    """The conditional value at risk at ``level`` of a month's days: the mean of the worst (highest)
    ``1 − level`` share of them, day ``r`` of day type ``t`` weighing ``shares[t] / days of t`` (a day on the
    boundary counted in part); NaN days left out. A plan whose average month is fine but whose busiest days
    turn many customers away passes an average limit and fails this one."""
    values = np.concatenate([np.asarray(v, dtype=float) for v in per_type])
    weights = np.concatenate([np.full(len(v), s / max(len(v), 1)) for v, s in zip(per_type, shares, strict=True)])
    keep = np.isfinite(values)
    values, weights = values[keep], weights[keep] / weights[keep].sum()
    order = np.argsort(-values, kind="stable")
    tail = 1.0 - level
    taken = np.minimum(weights[order], np.maximum(tail - (np.cumsum(weights[order]) - weights[order]), 0.0))
    return float(np.sum(taken * values[order]) / tail)


def day_scenarios(region: Region, scenario: Scenario) -> list[Scenario]:
    """``scenario`` on each of ``region.day_types``: its arrivals times the type's volume (through
    ``arrivals.surge_factor``); ``[scenario]`` when the region names no day types."""
    if not region.day_types:
        return [scenario]
    return [scenario.with_surge(scenario.surge_factor * d.volume) for d in region.day_types]


def combine_days(region: Region, per_type: list[np.ndarray]) -> np.ndarray:
    """Day ``r`` of the month's average: the share-weighted sum of day ``r`` of each day type (the same
    seeds, so common random numbers hold across plans); the one array itself without day types."""
    if len(per_type) == 1:
        return per_type[0]
    n = min(len(d) for d in per_type)
    return np.asarray(sum(t.share * d[:n] for t, d in zip(region.day_types, per_type, strict=True)))
