"""Candidate staffing patterns for one outlet, and the analytic screen that drops hopeless ones.

A *pattern* is a :class:`~sim.staffing.StaffingPlan`: head-count per role and the
customer managers' inside/outside split. Patterns are generated around the current
plan in two rounds:

1. **Neighbourhood** — the current plan; every movable role alone moved to each
   count within ``step`` of today (capped at the zone's positions + 1: one more person
   than counters still covers lunches); customer managers' total within ``step`` with
   splits near 1 : 1, today's split and all-inside.
2. **Combined** — once round 1 is simulated, an additive model (today's value plus
   each single move's simulated effect) ranks every combination of the round-1 counts;
   for each total head-count within ``total_step`` of today, the ``combos`` best
   combinations, and the ``combos`` best that also meet the outlet's policy rules, are
   added (see :func:`combine`).

**Analytic screen** (:class:`AnalyticScreen`): before any simulation, a pattern
is dropped when a zone with a service-level limit cannot meet it even in the
optimistic pointwise-stationary Erlang A model — every qualified person inside
serving that zone all day (no lunches, no sharing with other zones), customers with
the zone's mean patience — by more than ``analytic_margin``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping

import numpy as np

from optimize.region import OutletSpec, Region
from sim.codes import ROLES, SERVICE_ZONES
from sim.layout import compile_layout
from sim.queueing import erlang_a, erlang_c, zone_load
from sim.scenario_types import Scenario
from sim.staffing import StaffingPlan

_CM = "customer_manager"


def _cap(scenario: Scenario, role: str) -> int | None:
    """Most useful head-count for a role serving exactly one zone: its positions + 1 (lunch cover)."""
    zones = scenario.roles[role].zones
    if len(zones) != 1:
        return None
    return scenario.zones[zones[0]].positions + 1


def role_values(scenario: Scenario, role: str, step: int, now: int | None = None) -> list[int]:
    """Counts a movable role may take: today's (or ``now``) ± ``step``, at least 0, at most the zone cap."""
    now = scenario.roles[role].count if now is None else now
    cap = _cap(scenario, role)
    hi = now + step if cap is None else min(now + step, max(cap, now))
    return list(range(max(0, now - step), hi + 1))


def cm_splits(total: int, today_inside: int) -> list[int]:
    """Inside counts tried for ``total`` customer managers: near 1 : 1, today's, all inside."""
    half = total / 2.0
    options = {math.floor(half) - 1, math.floor(half), math.ceil(half), math.ceil(half) + 1,
               min(today_inside, total), total}
    return sorted(i for i in options if 0 <= i <= total)


def movable_roles(spec: OutletSpec, region: Region) -> list[str]:
    """Roles of this outlet that the region lets move (those with a ``[staff]`` block)."""
    return [r for r in region.movable if r in spec.scenario.roles]


def _with(plan: StaffingPlan, role: str, count: int, inside: int | None = None) -> StaffingPlan:
    counts = dict(plan.counts)
    counts[role] = count
    if role == _CM:
        return StaffingPlan.of(counts, count if inside is None else inside)
    return StaffingPlan.of(counts, plan.cm_inside)


def neighbourhood(spec: OutletSpec, region: Region, centre: StaffingPlan | None = None) -> list[StaffingPlan]:
    """Round 1: today's plan (or ``centre``) and every single-role move from it (customer managers with their
    splits)."""
    current = spec.scenario.staffing_plan() if centre is None else centre
    out = [current]
    for role in movable_roles(spec, region):
        for v in role_values(spec.scenario, role, region.search.step, current.count(role)):
            if role == _CM:
                out += [_with(current, role, v, i) for i in cm_splits(v, current.cm_inside)]
            elif v != current.count(role):
                out.append(_with(current, role, v))
    return list(dict.fromkeys(out))


def _options(spec: OutletSpec, region: Region, values: Mapping[StaffingPlan, float]
             ) -> tuple[list[str], list[list[tuple[tuple[int, int], float]]]]:
    """Per movable role, the ``((count, cm_inside), effect)`` options measured in round 1."""
    current = spec.scenario.staffing_plan()
    base = values[current]
    roles = movable_roles(spec, region)
    options: list[list[tuple[tuple[int, int], float]]] = []
    for role in roles:
        opts = []
        for plan, value in values.items():
            others_same = all(c == current.count(r) for r, c in plan.counts if r != role)
            same_split = role == _CM or plan.cm_inside == current.cm_inside
            if others_same and same_split:
                inside = plan.cm_inside if role == _CM else -1
                opts.append(((plan.count(role), inside), value - base))
        options.append(opts)
    return roles, options


def combine(spec: OutletSpec, region: Region, values: Mapping[StaffingPlan, float],
            meets_rules: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> list[StaffingPlan]:
    """Round 2: the best combinations of round-1 moves by an additive model, per total head-count.

    ``values`` maps each simulated round-1 plan to its estimated objective (yuan/day);
    ``meets_rules(counts, cm_inside)`` says, for arrays of candidate patterns, which meet
    the outlet's policy rules.
    """
    current = spec.scenario.staffing_plan()
    roles, options = _options(spec, region, values)
    if not roles or any(not o for o in options):
        return []
    combos = list(itertools.product(*options))
    counts = np.tile(np.asarray([c for _, c in current.counts]), (len(combos), 1))
    inside = np.full(len(combos), current.cm_inside)
    effect = np.zeros(len(combos))
    for j, role in enumerate(roles):
        col = ROLES.index(role)
        counts[:, col] = [c[j][0][0] for c in combos]
        effect += [c[j][1] for c in combos]
        if role == _CM:
            inside = np.asarray([c[j][0][1] for c in combos])
    totals = counts.sum(axis=1)
    ok = meets_rules(counts, inside)
    chosen: list[int] = []
    for level in range(current.total - region.search.total_step, current.total + region.search.total_step + 1):
        for mask in (totals == level, (totals == level) & ok):
            idx = np.flatnonzero(mask)
            chosen += idx[np.argsort(-effect[idx], kind="stable")][: region.search.combos].tolist()
    plans = [StaffingPlan.of(dict(zip(ROLES, counts[i].tolist(), strict=True)), int(inside[i]))
             for i in dict.fromkeys(chosen)]
    return [p for p in plans if p not in values]


class AnalyticScreen:
    """The optimistic service-level screen of one outlet (see the module docstring), cached per zone and staff."""

    def __init__(self, scenario: Scenario, limits: Mapping[str, float], margin: float) -> None:
        self.scenario = scenario
        self.limits = dict(limits)
        self.margin = margin
        self._cache: dict[tuple[str, int, tuple[bool, ...], tuple[float, ...]], float] = {}

    def service_level(self, plan: StaffingPlan, zone: str) -> float:
        """Arrival-weighted Erlang A (Erlang C without patience) service level of ``zone``; 1 when closed."""
        variant = self.scenario.with_staffing(plan)
        layout = compile_layout(variant)
        if zone not in variant.service or not layout.is_open(zone):
            return 1.0
        z = SERVICE_ZONES.index(zone)
        able = len(layout.zone_staff[z])
        servers = layout.positions[z] if zone == "self_service" else min(layout.positions[z], able)
        key = (zone, servers, layout.open, tuple(sorted(layout.staff.speed[k] for k in layout.zone_staff[z])))
        if key not in self._cache:
            self._cache[key] = _weighted_sl(variant, zone, servers)
        return self._cache[key]

    def failures(self, plan: StaffingPlan) -> list[str]:
        """Why ``plan`` cannot meet a limit even analytically (empty when it may)."""
        return [f"{zone}.service_level analytic {sl:.2f} < {limit:g} - {self.margin:g}"
                for zone, limit in self.limits.items()
                if (sl := self.service_level(plan, zone)) < limit - self.margin]


def _weighted_sl(scenario: Scenario, zone: str, servers: int) -> float:
    lam, mean_service = zone_load(scenario, zone)
    total = float(np.sum(lam))
    if total <= 0:
        return 1.0
    if servers < 1:
        return 0.0
    patience = [s.patience.mean_min for s in scenario.segments.values() if s.patience is not None]
    theta = 1.0 / float(np.mean(patience)) if patience else None
    target = scenario.zones[zone].target_wait_min
    served = 0.0
    for rate in lam:
        if rate <= 0:
            continue
        if theta is not None:
            served += rate * erlang_a(rate, 1.0 / mean_service, theta, servers).service_level(target)
        elif rate * mean_service < servers:
            served += rate * erlang_c(rate, 1.0 / mean_service, servers).service_level(target)
    return served / total
