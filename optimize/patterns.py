"""Candidate staffing patterns for one outlet, and the analytic screen that drops hopeless ones.

A *pattern* is a :class:`~sim.staffing.StaffingPlan`: head-count per role and the
customer managers' inside/outside split. Patterns are generated around the current
plan in two rounds:

1. **Neighbourhood** — the current plan; every movable role alone moved to each
   count within ``step`` of today (capped at the zone's positions + 1: one more person
   than counters still covers lunches); customer managers' total within ``step`` with
   splits near 1 : 1, today's split and all-inside; with ``[search] flex_open_above``,
   each flexible post alone at each threshold listed (:func:`flex_options`).
2. **Combined** — once round 1 is simulated, an additive model (today's value plus
   each single move's simulated effect) ranks every combination of the round-1 counts
   and thresholds; for each total head-count within ``total_step`` of today, the
   ``combos`` best combinations, and the ``combos`` best that also meet the outlet's
   policy rules, are added (see :func:`combine`).

**Analytic screen** (:class:`AnalyticScreen`): before any simulation, a pattern
is dropped when a zone with a service-level limit cannot meet it even in the
optimistic pointwise-stationary Erlang A model — every qualified person inside
serving that zone all day (no lunches, no sharing with other zones), a flexible
post's people too, each at a spare position, customers with the zone's mean patience —
by more than ``analytic_margin``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from optimize.region import OutletSpec, Region
from sim.codes import ROLES, SERVICE_ZONES
from sim.layout import compile_layout
from sim.queueing import erlang_a, erlang_c, zone_load
from sim.scenario_types import Scenario
from sim.staffing import FlexThreshold, StaffingPlan

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
        return StaffingPlan.of(counts, count if inside is None else inside, plan.flex)
    return StaffingPlan.of(counts, plan.cm_inside, plan.flex)


def flex_options(spec: OutletSpec, region: Region) -> dict[str, list[FlexThreshold]]:
    """Per flexible post of the outlet (``[dispatch.flex.ZONE]``), the thresholds the search tries: today's,
    then each ``[search] flex_open_above`` value with today's ``close_below`` (at most ``max(value, 1)``, so
    the post still closes once its queue is down to the new threshold). Empty without the search list."""
    if not region.search.flex_open_above:
        return {}
    out: dict[str, list[FlexThreshold]] = {}
    for zone, post in spec.scenario.dispatch.flex.items():
        tried = [FlexThreshold(zone, post.open_above, post.close_below)]
        tried += [FlexThreshold(zone, v, min(post.close_below, max(v, 1))) for v in region.search.flex_open_above]
        out[zone] = list(dict.fromkeys(tried))
    return out


def neighbourhood(spec: OutletSpec, region: Region, centre: StaffingPlan | None = None) -> list[StaffingPlan]:
    """Round 1: today's plan (or ``centre``) and every single-role move from it (customer managers with their
    splits), and every flexible post alone at each threshold tried (:func:`flex_options`)."""
    current = spec.scenario.staffing_plan() if centre is None else centre
    out = [current]
    for role in movable_roles(spec, region):
        for v in role_values(spec.scenario, role, region.search.step, current.count(role)):
            if role == _CM:
                out += [_with(current, role, v, i) for i in cm_splits(v, current.cm_inside)]
            elif v != current.count(role):
                out.append(_with(current, role, v))
    for tried in flex_options(spec, region).values():
        out += [current.with_flex(t) for t in tried]
    return list(dict.fromkeys(out))


#: One round-1 option of a dimension of the combined round: a role's ``(count, cm_inside)`` (``-1`` for a
#: role other than the customer managers) or a flexible post's threshold, and its measured effect (yuan/day).
_Option = tuple[tuple[int, int] | FlexThreshold, float]


def _options(spec: OutletSpec, region: Region, values: Mapping[StaffingPlan, float]
             ) -> tuple[list[str], list[list[_Option]]]:
    """Per dimension — each movable role, then each flexible post searched (its zone) — the options measured in
    round 1: the plans that differ from today's in that dimension alone, with their effect over today's."""
    current = spec.scenario.staffing_plan()
    base = values[current]
    roles = movable_roles(spec, region)
    posts = list(flex_options(spec, region))
    options: list[list[_Option]] = []
    for role in roles:
        opts: list[_Option] = []
        for plan, value in values.items():
            others_same = all(c == current.count(r) for r, c in plan.counts if r != role)
            same_split = role == _CM or plan.cm_inside == current.cm_inside
            if others_same and same_split and plan.flex == current.flex:
                inside = plan.cm_inside if role == _CM else -1
                opts.append(((plan.count(role), inside), value - base))
        options.append(opts)
    for zone in posts:  # the plans that are today's but for this post's threshold
        options.append([(t, value - base) for plan, value in values.items() for t in plan.flex
                        if t.zone == zone and plan == current.with_flex(t)])
    return [*roles, *posts], options


def combine(spec: OutletSpec, region: Region, values: Mapping[StaffingPlan, float],
            meets_rules: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> list[StaffingPlan]:
    """Round 2: the best combinations of round-1 moves by an additive model, per total head-count.

    ``values`` maps each simulated round-1 plan to its estimated objective (yuan/day);
    ``meets_rules(counts, cm_inside)`` says, for arrays of candidate patterns, which meet
    the outlet's policy rules. A flexible post's threshold (``[search] flex_open_above``) is
    one more dimension: it changes no head-count, so it competes within each level, and each
    threshold tried also gets the ``combos`` best combinations of each level that hold it.
    """
    current = spec.scenario.staffing_plan()
    dims, options = _options(spec, region, values)
    if not dims or any(not o for o in options):
        return []
    # combination k takes option pick[j, k] of each dimension j, in itertools.product's order (last fastest)
    pick = np.indices([len(o) for o in options]).reshape(len(dims), -1)
    n = pick.shape[1]
    counts = np.tile(np.asarray([c for _, c in current.counts]), (n, 1))
    inside = np.full(n, current.cm_inside)
    effect = np.zeros(n)
    posts_at = [j for j, dim in enumerate(dims) if dim not in ROLES]  # the flexible posts' dimensions
    for j, dim in enumerate(dims):
        effect += np.asarray([v for _, v in options[j]])[pick[j]]
        if dim in ROLES:
            picked = np.asarray([o for o, _ in options[j]])[pick[j]]  # (count, CMs inside or -1) each
            counts[:, ROLES.index(dim)] = picked[:, 0]
            if dim == _CM:
                inside = picked[:, 1]
    totals = counts.sum(axis=1)
    ok = meets_rules(counts, inside)
    # each threshold tried is also combined with the best head-counts at every level: a threshold that costs
    # a little on its own (staff called sooner) may be what lets a post be given up, which no ranking by the
    # additive value would pair
    by_threshold = [np.logical_or.reduce([np.asarray([o == t for o, _ in options[j]])[pick[j]] for j in posts_at],
                                         initial=False) for tried in flex_options(spec, region).values() for t in tried]
    chosen: list[int] = []
    for level in range(current.total - region.search.total_step, current.total + region.search.total_step + 1):
        for mask in (totals == level, (totals == level) & ok, *((totals == level) & t for t in by_threshold)):
            idx = np.flatnonzero(mask)
            chosen += idx[np.argsort(-effect[idx], kind="stable")][: region.search.combos].tolist()
    plans = [StaffingPlan.of(dict(zip(ROLES, counts[i].tolist(), strict=True)), int(inside[i]),
                             _thresholds_at(options, posts_at, pick[:, i]) if posts_at else current.flex)
             for i in dict.fromkeys(chosen)]
    return [p for p in plans if p not in values]


def _thresholds_at(options: list[list[_Option]], posts_at: list[int], picks: np.ndarray) -> tuple[FlexThreshold, ...]:
    """The flexible posts' thresholds of the combination that picks option ``picks[j]`` of each dimension ``j``."""
    out: list[FlexThreshold] = []
    for j in posts_at:
        t = options[j][picks[j]][0]
        assert isinstance(t, FlexThreshold)
        out.append(t)
    return tuple(out)


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
        # a flexible post's people (岗位弹性设置) may come to the zone, each with a spare position: optimistic,
        # they serve it all day too
        people = {*layout.zone_staff[z], *(k for post in layout.flex if post.zone == z for k in post.staff)}
        spare = len(people) - len(layout.zone_staff[z])
        servers = layout.positions[z] if zone == "self_service" else min(layout.positions[z] + spare, len(people))
        key = (zone, servers, layout.open, tuple(sorted(layout.staff.speed[k] for k in people)))
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
