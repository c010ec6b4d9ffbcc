"""Intraday rosters: who works when, for the chosen head-counts, optimised and checked by simulation.

The head-count plan says how many tellers an outlet gets; the roster says when each of
them is at the counter. The essay asks that the counters stay open through the lunch
hour (午间不断档: lunches staggered so that the windows keep serving); a roster chooses each
inside person's shift start and end and lunch slot from the region file's ``[roster]``
template (:class:`RosterTemplate`), keeping the chosen plan's head-counts:

1. **requirement**: per zone and hour, the fewest servers the analytic Erlang A screen
   (Erlang C without patience; :func:`sim.queueing.servers_needed` on
   :func:`sim.queueing.zone_load`'s hourly arrivals) says meet the zone's service floor
   (the region's ``[rules.service]`` floor, else the template's ``service_level``), at most
   the zone's positions and the people who can serve it;
2. **MILP** (PuLP/HiGHS, :func:`solve_roster`): how many people of each rostered role take
   each shift pattern (start, length, lunch slot on the template's grid), covering the
   requirement of the zones each person serves slot by slot (a person on duty counted toward
   one of them at a time: a customer manager at the low counter or in the wealth room) at the
   least shortfall weighted by
   the slot's arrivals, with at most ``max_at_lunch`` people at lunch at once and at least
   ``cover_people`` on duty at opening and at closing;
3. **simulation and correction**: the roster is simulated on fresh days beside today's
   shifts of the same head-counts (the same days); every (zone, hour) whose simulated service
   level falls below the zone's floor beyond noise (the upper end of its 95% CI over the days
   below the floor, :func:`short_hours`) or below today's shifts' beyond noise (the paired 95%
   CI of the change below 0, :func:`worse_hours`) gets one more server in the requirement,
   and the MILP is solved again — until no hour falls short (the roster meets the service
   rules), the requirement cannot grow (everyone who can serve the zone is
   already asked for) or ``iterations`` rounds have run; each round is reported. An outlet whose
   roster still falls short keeps today's shifts (its status, starting :data:`KEPT`, says why):
   a roster is handed over only where it was shown no worse than today's, hour by hour.

The final rosters are verified on other fresh days against today's shifts on common random
numbers (:func:`optimize.tables.roster_kpi_frame`, :func:`optimize.tables.roster_hourly_frame`).
People of roles the template does not roster keep their role's shift and count towards their
home zone's cover as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pulp

from optimize.milp import _run as run_milp  # the project's one way to call a solver (quiet, either solver)
from sim import seeds
from sim.codes import ROLES, SERVICE_ZONES, STAFFED_ZONES, VisitStatus
from sim.executors import Executor
from sim.layout import compile_layout
from sim.model import simulate
from sim.queueing import servers_needed, zone_load
from sim.replicate import interval
from sim.roster import PersonShift, Roster, apply_roster
from sim.scenario import format_clock
from sim.scenario_types import Scenario

#: Weight of coverage against shortfall in the roster MILP's objective: among rosters of equal shortfall,
#: the one with more people on duty where more customers arrive (yuan-free: arrivals per minute).
COVER_CREDIT = 1e-3
#: The least cost of a missing server in a slot (per minute), so an hour without arrivals still asks for its cover.
MIN_WEIGHT = 1e-3
#: The seed stage of the roster's simulated days (0 and 1 are the optimiser's evaluation and verification).
ROSTER_STAGE = 2


@dataclass(frozen=True, kw_only=True)
class RosterTemplate:
    """The region file's ``[roster]``: which shifts and lunches a roster may give (clock minutes after midnight).

    ``shift_hours``: allowed shift lengths (hours); ``start_window``: earliest and latest
    shift start (``None``: opening to the latest start that still ends by closing);
    ``step_min``: the grid of starts, lunches and the requirement's slots; ``lunch_min``:
    lunch length; ``lunch_window``: when lunches may start and must end; ``max_at_lunch``:
    most people of an outlet at lunch at once; ``cover_people``: least people on duty at
    opening and at closing; ``roles``: the roles rostered (empty: every role serving a
    zone); ``service_level``: the requirement's floor in zones without a service limit;
    ``iterations``: most simulate-and-correct rounds; ``enabled``: whether a run rosters by
    default (``enabled = false`` keeps the template for ``branchlab optimize --roster``).
    """

    shift_hours: tuple[float, ...] = (8.0,)
    start_window: tuple[float, float] | None = None
    step_min: int = 15
    lunch_min: float = 45.0
    lunch_window: tuple[float, float] = (11 * 60.0, 14 * 60.0)
    max_at_lunch: int = 6
    cover_people: int = 1
    roles: tuple[str, ...] = ()
    service_level: float = 0.8
    iterations: int = 4
    enabled: bool = True

    def rostered(self, scenario: Scenario) -> list[str]:
        """The scenario's roles this template rosters: people inside and an open home zone."""
        wanted = self.roles or ROLES
        return [r.id for r in scenario.roles.values()
                if r.id in wanted and r.inside > 0 and r.zones and scenario.zone_open(r.zones[0])]


def template_problem(template: RosterTemplate, outlets: Sequence[tuple[str, Scenario]]) -> tuple[str, str] | None:
    """The first field of ``template`` no roster can meet at one of ``outlets`` (name, scenario with today's
    head-counts), with what is wrong; ``None`` when every outlet can be rostered.

    Refused: a shift longer than an outlet's opening day, a start window from which a shift cannot end by
    closing, a lunch window that leaves no room for the lunch inside some allowed shift, and more people to
    roster than ``max_at_lunch`` at once fit lunches of ``lunch_min`` in the window.
    """
    if outlets and not any(template.rostered(sc) for _, sc in outlets):
        return "roles", (f"no outlet has anybody of {', '.join(template.roles) or 'any role'} inside with an open "
                         "home zone to roster; name roles that serve a zone (cash_teller, customer_manager, ...)")
    for name, sc in outlets:
        o = sc.outlet
        hours = f"{format_clock(o.open_min)}-{format_clock(o.close_min)}"
        for h in template.shift_hours:
            if 60 * h > o.day_min:
                return "shift_hours", (f"{h:g} h is longer than outlet {name!r}'s opening day "
                                       f"({o.day_min / 60:g} h, {hours})")
        if template.start_window is not None and template.start_window[0] < o.open_min:
            return "start_window", (f"starts at {format_clock(template.start_window[0])}, before outlet {name!r} "
                                    f"opens ({hours}); no shift can start then")
        people = sum(sc.roles[r].inside for r in template.rostered(sc))
        if template.cover_people > people:
            return "cover_people", (f"{template.cover_people} people on duty at opening and closing, but outlet "
                                    f"{name!r} has {people} people to roster")
        found = shift_patterns(template, o.open_min, o.day_min)
        for h in template.shift_hours:
            lo, hi = template.start_window or (o.open_min, o.close_min)
            starts = [t for t in np.arange(max(lo, o.open_min), hi + 1, template.step_min)
                      if t + 60 * h <= o.close_min]
            if not starts:
                return "start_window", (f"no {h:g} h shift starting {format_clock(lo)}-{format_clock(hi)} ends by "
                                        f"outlet {name!r}'s closing {format_clock(o.close_min)}")
            for t in starts:
                if not any(p.start == t - o.open_min and p.end - p.start == 60 * h for p in found):
                    a, b = template.lunch_window
                    return "lunch_window", (f"{format_clock(a)}-{format_clock(b)} leaves no room for a "
                                            f"{template.lunch_min:g} min lunch inside the shift "
                                            f"{format_clock(t)}-{format_clock(t + 60 * h)} at outlet {name!r}")
        a, b = max(template.lunch_window[0], o.open_min), min(template.lunch_window[1], o.close_min)
        fit = template.max_at_lunch * int(max(b - a, 0) // template.lunch_min)
        if people > fit:
            return "max_at_lunch", (f"outlet {name!r} has {people} people to roster but {template.max_at_lunch} at "
                                    f"lunch at once fit only {fit} lunches of {template.lunch_min:g} min in "
                                    f"{format_clock(a)}-{format_clock(b)}; raise max_at_lunch or widen lunch_window")
    return None


@dataclass(frozen=True)
class Pattern:
    """One shift pattern, minutes from opening: start, end, lunch start and end."""

    start: float
    end: float
    lunch_start: float
    lunch_end: float

    def on_duty(self, slots: np.ndarray, step: float) -> np.ndarray:
        """1 for each slot (start minutes ``slots``, ``step`` long) this pattern is on duty all through."""
        ends = slots + step
        working = (slots >= self.start) & (ends <= self.end)
        lunch = (ends > self.lunch_start) & (slots < self.lunch_end)
        return (working & ~lunch).astype(float)

    def at_lunch(self, slots: np.ndarray, step: float) -> np.ndarray:
        """1 for each slot overlapping this pattern's lunch."""
        return ((slots + step > self.lunch_start) & (slots < self.lunch_end)).astype(float)


def shift_patterns(template: RosterTemplate, open_min: float, day_min: float) -> list[Pattern]:
    """Every pattern the template allows at an outlet open ``open_min`` (clock minutes) for ``day_min``:
    each allowed length from each start on the grid within the start window and the day, with each lunch
    on the grid within the lunch window and the shift."""
    step = template.step_min
    lo_start, hi_start = template.start_window or (open_min, open_min + day_min)
    lunch_lo, lunch_hi = (t - open_min for t in template.lunch_window)
    out = []
    for hours in template.shift_hours:
        length = 60.0 * hours
        start = max(0.0, lo_start - open_min)
        while start <= hi_start - open_min and start + length <= day_min:
            lunch = max(lunch_lo, start)
            lunch = start + step * math.ceil((lunch - start) / step)
            while lunch + template.lunch_min <= min(lunch_hi, start + length):
                out.append(Pattern(start, start + length, lunch, lunch + template.lunch_min))
                lunch += step
            start += step
    return out


@dataclass(frozen=True, kw_only=True)
class RosterModel:
    """The roster MILP's data for one outlet, slot by slot (``step`` minutes each from opening).

    ``groups``: per rostered role, its name, home zone (index into ``zones``) and people;
    ``serves``: per group the zones (indices, home first) its people may serve, a person on
    duty counting toward one of them at a time (empty: each group its home zone only);
    ``patterns``; ``required``, ``weight`` and ``fixed`` are ``[zone, slot]``: servers
    required, the cost of a missing one (arrivals per minute; never 0) and the cover of the
    people not rostered.
    """

    step: float
    zones: tuple[str, ...]
    groups: tuple[tuple[str, int, int], ...]
    patterns: tuple[Pattern, ...]
    required: np.ndarray
    weight: np.ndarray
    fixed: np.ndarray
    max_at_lunch: int
    cover_people: int
    serves: tuple[tuple[int, ...], ...] = ()

    def served(self, g: int) -> tuple[int, ...]:
        """The zones group ``g``'s people may serve, home first."""
        return self.serves[g] if self.serves else (self.groups[g][1],)

    @property
    def slots(self) -> np.ndarray:
        """Start minute of each slot."""
        return np.arange(self.required.shape[1]) * self.step

    def duty(self) -> tuple[np.ndarray, np.ndarray]:
        """``on[k, t]`` and ``lunch[k, t]`` of every pattern and slot."""
        s = self.slots
        return (np.asarray([p.on_duty(s, self.step) for p in self.patterns]).reshape(len(self.patterns), len(s)),
                np.asarray([p.at_lunch(s, self.step) for p in self.patterns]).reshape(len(self.patterns), len(s)))

    def cover(self, counts: np.ndarray) -> np.ndarray:
        """People on duty per zone and slot under ``counts[g, k]`` (the fixed cover included); the people of a
        group serving several zones are shared among them slot by slot as the MILP would share them: the
        least weighted shortfall less :data:`COVER_CREDIT` × the weighted cover (a small linear programme
        per slot, :func:`share_slot`)."""
        on, _ = self.duty()
        cover = self.fixed.copy()
        shared = [g for g in range(len(self.groups)) if len(self.served(g)) > 1]
        for g, (_, z, _) in enumerate(self.groups):
            if g not in shared:
                cover[z] += counts[g] @ on
        if shared:
            for t in range(cover.shape[1]):
                cover[:, t] = share_slot(self, t, {g: float(counts[g] @ on[:, t]) for g in shared}, cover[:, t])
        return cover

    def cost(self, counts: np.ndarray) -> float:
        """The objective of ``counts[g, k]`` (people of group ``g`` on pattern ``k``): the weighted shortfall
        less :data:`COVER_CREDIT` × the weighted cover; ``inf`` when it breaks a rule."""
        on, lunch = self.duty()
        if np.any(counts.sum(axis=1) != [n for _, _, n in self.groups]) or np.any(counts < 0):
            return math.inf
        if np.any(counts.sum(axis=0) @ lunch > self.max_at_lunch):
            return math.inf
        everyone = counts.sum(axis=0) @ on + self.fixed.sum(axis=0)
        least = min(self.cover_people, sum(n for _, _, n in self.groups))
        if everyone[0] < least or everyone[-1] < least:
            return math.inf
        cover = self.cover(counts)
        short = np.maximum(self.required - cover, 0.0)
        return float(np.sum(self.weight * short) - COVER_CREDIT * np.sum(self.weight * cover))


def share_slot(model: RosterModel, t: int, people: dict[int, float], cover: np.ndarray) -> np.ndarray:
    """Slot ``t``'s cover per zone once ``people[g]`` on duty of each shared group ``g`` are given to the zones it
    serves at the least weighted shortfall less :data:`COVER_CREDIT` × the weighted cover, starting from
    ``cover`` (the others'); solved as a linear programme (scipy's HiGHS), the MILP's inner problem."""
    from scipy.optimize import linprog  # only where a group serves several zones: scipy.optimize loads slowly

    arcs = [(g, z) for g in people for z in model.served(g)]
    zones = len(model.zones)
    w = model.weight[:, t]
    # variables: one per (group, zone) arc, then one shortfall per zone
    c = np.concatenate([[-COVER_CREDIT * w[z] for _, z in arcs], w])
    a_ub, b_ub = [], []
    for z in range(zones):  # shortfall >= required - cover
        row = np.zeros(len(arcs) + zones)
        row[[i for i, (_, y) in enumerate(arcs) if y == z]] = -1.0
        row[len(arcs) + z] = -1.0
        a_ub.append(row)
        b_ub.append(cover[z] - model.required[z, t])
    for g, n in people.items():  # at most the group's people on duty
        row = np.zeros(len(arcs) + zones)
        row[[i for i, (h, _) in enumerate(arcs) if h == g]] = 1.0
        a_ub.append(row)
        b_ub.append(n)
    res = linprog(c, A_ub=np.asarray(a_ub), b_ub=np.asarray(b_ub), bounds=(0, None), method="highs")
    out = cover.copy()
    for (_, z), x in zip(arcs, res.x[:len(arcs)], strict=True):
        out[z] += x
    return out


class RosterInfeasible(ValueError):
    """No roster of the template meets its rules for an outlet's head-counts (the message says which)."""


def solve_roster(model: RosterModel, solver: str = "highs") -> np.ndarray:
    """The least-cost ``counts[g, k]`` of :meth:`RosterModel.cost` as a MILP (integer people per role and
    pattern; shortfall variables per zone and slot).

    Raises:
        RosterInfeasible: the lunch cap or the opening and closing cover cannot be met.
    """
    on, lunch = model.duty()
    n_slots = model.required.shape[1]
    prob = pulp.LpProblem("roster", pulp.LpMinimize)
    y = {(g, k): prob.add_variable(f"y_{g}_{k}", 0, n, cat=pulp.LpInteger)
         for g, (_, _, n) in enumerate(model.groups) for k in range(len(model.patterns))}
    short = {(z, t): prob.add_variable(f"s_{z}_{t}", lowBound=0) for z in range(len(model.zones))
             for t in range(n_slots)}
    shared = [g for g in range(len(model.groups)) if len(model.served(g)) > 1]
    give = {(g, z, t): prob.add_variable(f"a_{g}_{z}_{t}", lowBound=0) for g in shared for z in model.served(g)
            for t in range(n_slots)}
    for g in shared:  # a shared person on duty serves one of the group's zones at a time
        for t in range(n_slots):
            prob += pulp.lpSum(give[g, z, t] for z in model.served(g)) <= pulp.lpSum(
                on[k, t] * y[g, k] for k in range(len(model.patterns)) if on[k, t])
    cover = {}
    for z in range(len(model.zones)):
        for t in range(n_slots):
            cover[z, t] = model.fixed[z, t] + pulp.lpSum(on[k, t] * y[g, k] for g, (_, zg, _) in enumerate(model.groups)
                                                        if zg == z and g not in shared
                                                        for k in range(len(model.patterns)) if on[k, t]) \
                + pulp.lpSum(give[g, z, t] for g in shared if z in model.served(g))
            prob += short[z, t] >= model.required[z, t] - cover[z, t]
    prob += pulp.lpSum(model.weight[z, t] * short[z, t] for (z, t) in short) - COVER_CREDIT * pulp.lpSum(
        model.weight[z, t] * cover[z, t] for (z, t) in cover)
    for g, (_, _, n) in enumerate(model.groups):
        prob += pulp.lpSum(y[g, k] for k in range(len(model.patterns))) == n
    for t in range(n_slots):
        prob += pulp.lpSum(lunch[k, t] * v for (_, k), v in y.items() if lunch[k, t]) <= model.max_at_lunch
    least = min(model.cover_people, sum(n for _, _, n in model.groups))
    for t in (0, n_slots - 1):
        prob += pulp.lpSum(on[k, t] * v for (_, k), v in y.items() if on[k, t]) + model.fixed[:, t].sum() >= least
    status, _, _, _ = run_milp(prob, solver, 0.0, None)
    if status != "Optimal":
        raise RosterInfeasible(f"no roster meets at most {model.max_at_lunch} at lunch at once and "
                               f"{least} on duty at opening and closing ({status})")
    counts = np.zeros((len(model.groups), len(model.patterns)), dtype=int)
    for (g, k), v in y.items():
        counts[g, k] = round(v.value() or 0.0)
    return counts


def to_roster(model: RosterModel, counts: np.ndarray) -> Roster:
    """The people of each group given their patterns in pattern order (person 0 the earliest)."""
    shifts = []
    for g, (role, _, _) in enumerate(model.groups):
        person = 0
        for k in np.flatnonzero(counts[g]):
            p = model.patterns[k]
            for _ in range(int(counts[g, k])):
                shifts.append(PersonShift(role=role, person=person, start_min=p.start, end_min=p.end,
                                          lunch_start_min=p.lunch_start, lunch_end_min=p.lunch_end))
                person += 1
    return Roster(shifts=tuple(shifts))


def zone_floors(template: RosterTemplate, limits: dict[str, float], zones: Sequence[str]) -> dict[str, float]:
    """Each zone's hourly service floor: the region's limit where it has one, else the template's."""
    return {z: limits.get(z, template.service_level) for z in zones}


def requirement(scenario: Scenario, zones: Sequence[str], floors: dict[str, float], step: float) -> np.ndarray:
    """Servers needed per zone and slot: the analytic Erlang A (C without patience) hourly count meeting the
    zone's floor within its target wait, at most its positions and the people able to serve it."""
    layout = compile_layout(scenario)
    patience = [s.patience.mean_min for s in scenario.segments.values() if s.patience is not None]
    theta = 1.0 / float(np.mean(patience)) if patience else None
    n_slots = round(scenario.outlet.day_min / step)
    hour = (np.arange(n_slots) * step // 60).astype(int)
    out = np.zeros((len(zones), n_slots))
    for i, zone in enumerate(zones):
        lam, mean = zone_load(scenario, zone)
        z = SERVICE_ZONES.index(zone)
        cap = min(layout.positions[z], len(layout.zone_staff[z]))
        need = servers_needed(lam, 1.0 / mean, service_level=min(floors[zone], 0.99),
                              target_wait=scenario.zones[zone].target_wait_min, theta=theta)
        out[i] = np.minimum(need, cap)[np.minimum(hour, len(lam) - 1)]
    return out


def build_model(scenario: Scenario, template: RosterTemplate, required: np.ndarray, zones: Sequence[str]
                ) -> RosterModel:
    """The roster MILP of ``scenario`` (the chosen head-counts) for ``required[zone, slot]``."""
    step = float(template.step_min)
    rostered = template.rostered(scenario)
    groups = tuple((rid, list(zones).index(scenario.roles[rid].zones[0]), scenario.roles[rid].inside)
                   for rid in rostered)
    serves = tuple(tuple(list(zones).index(z) for z in scenario.roles[rid].zones if z in zones) for rid in rostered)
    layout = compile_layout(scenario)
    n_slots = required.shape[1]
    slots = np.arange(n_slots) * step
    fixed = np.zeros_like(required)
    for k in range(len(layout.staff.ids)):
        if not layout.staff.zones[k]:  # a flexible post's person with no zone of their own: called, not posted
            continue
        home = SERVICE_ZONES[layout.staff.zones[k][0]]
        if ROLES[layout.staff.roles[k]] in rostered or home not in zones:
            continue
        for a, b in layout.staff.duty[k]:
            fixed[list(zones).index(home)] += ((slots >= a) & (slots + step <= b)).astype(float)
    lam = np.zeros_like(required)
    hour = (slots // 60).astype(int)
    for i, zone in enumerate(zones):
        rate, _ = zone_load(scenario, zone)
        lam[i] = rate[np.minimum(hour, len(rate) - 1)]
    outlet = scenario.outlet
    return RosterModel(step=step, zones=tuple(zones), groups=groups,
                       patterns=tuple(shift_patterns(template, outlet.open_min, outlet.day_min)),
                       required=required, weight=lam + MIN_WEIGHT, fixed=fixed, max_at_lunch=template.max_at_lunch,
                       cover_people=template.cover_people, serves=serves)


def served_zones(scenario: Scenario, template: RosterTemplate) -> tuple[str, ...]:
    """The staffed zones open in ``scenario`` that a rostered role serves (its home zone or another of its
    zones: a customer manager at the low counter and in the wealth room), in zone order."""
    served = {z for r in template.rostered(scenario) for z in scenario.roles[r].zones}
    return tuple(z for z in SERVICE_ZONES if z in served and z in STAFFED_ZONES and scenario.zone_open(z))


#: Days per task of :func:`simulate_hourly` (small, so that a few outlets keep every worker busy).
HOURLY_BLOCK = 2


@dataclass(frozen=True)
class HourlyTask:
    """Days ``reps`` of one scenario with ``seed`` (picklable), item ``item`` of a :func:`simulate_hourly` call."""

    item: int
    scenario: Scenario
    seed: int
    reps: tuple[int, ...]


def hourly_counts(task: HourlyTask) -> tuple[int, tuple[int, ...], np.ndarray]:
    """The task's item, days and ``[day, zone of SERVICE_ZONES, hour, (on time, joined)]``: customers who joined
    each zone's queue in each hour (not balked, not bypassed) and those among them served within the zone's
    target wait (the daily service level's definition, :mod:`sim.metrics`, by the hour of joining)."""
    sc = task.scenario
    hours = math.ceil(sc.outlet.day_min / 60)
    out = np.zeros((len(task.reps), len(SERVICE_ZONES), hours, 2))
    target = np.asarray([sc.zones[z].target_wait_min if z in sc.zones else 0.0 for z in SERVICE_ZONES])
    for d, r in enumerate(task.reps):
        log = simulate(sc, task.seed, r)
        joined = (log.visit_status != VisitStatus.BALKED) & (log.visit_status != VisitStatus.BYPASSED)
        zone = log.visit_zone[joined]
        hour = np.minimum((log.visit_join_min[joined] // 60).astype(int), hours - 1)
        wait = log.visit_wait_min[joined]
        on_time = np.isfinite(log.visit_start_min[joined]) & (wait <= target[zone])
        np.add.at(out[d, :, :, 1], (zone, hour), 1.0)
        np.add.at(out[d, :, :, 0], (zone[on_time], hour[on_time]), 1.0)
    return task.item, task.reps, out


def simulate_hourly(executor: Executor, items: Sequence[tuple[Scenario, int, int]]) -> list[np.ndarray]:
    """:func:`hourly_counts` of days ``0 … n−1`` of each ``(scenario, seed, n)``, through ``executor`` in
    blocks of :data:`HOURLY_BLOCK` days (any order of completion), put back in item and day order."""
    tasks = [HourlyTask(i, sc, seed, tuple(range(a, min(a + HOURLY_BLOCK, n))))
             for i, (sc, seed, n) in enumerate(items) for a in range(0, n, HOURLY_BLOCK)]
    parts: dict[int, dict[int, np.ndarray]] = {i: {} for i in range(len(items))}
    for item, reps, counts in executor.imap(hourly_counts, tasks):
        parts[item].update(zip(reps, counts, strict=True))
    return [np.asarray([parts[i][r] for r in range(n)]) for i, (_, _, n) in enumerate(items)]


def hourly_levels(hourly: np.ndarray, zone: str) -> np.ndarray:
    """``[day, hour]`` service level of ``zone`` from :func:`hourly_counts` (NaN where nobody joined)."""
    z = hourly[:, SERVICE_ZONES.index(zone)]
    with np.errstate(invalid="ignore", divide="ignore"):
        levels: np.ndarray = np.where(z[..., 1] > 0, z[..., 0] / z[..., 1], math.nan)
    return levels


def short_hours(hourly: np.ndarray, zones: Sequence[str], floors: dict[str, float]) -> list[tuple[int, int, float]]:
    """``(zone index, hour, mean level)`` of each hour whose service level is below the zone's floor beyond
    noise: the upper end of its 95% CI over the days lies below the floor (as the screen prunes a pattern)."""
    out = []
    for j, zone in enumerate(zones):
        levels = hourly_levels(hourly, zone)
        for hour in range(levels.shape[1]):
            s = interval(levels[:, hour])
            if s.n >= 2 and s.high < floors[zone]:
                out.append((j, hour, s.mean))
    return out


def worse_hours(hourly: np.ndarray, today: np.ndarray, zones: Sequence[str]) -> list[tuple[int, int]]:
    """``(zone index, hour)`` of each hour whose service level under the roster (``hourly``) is worse than under
    today's shifts (``today``, the same days: common random numbers) beyond noise: the paired 95% CI of the
    change lies wholly below 0, the not-worse guard of the head-count plan applied hour by hour."""
    out = []
    for j, zone in enumerate(zones):
        change = hourly_levels(hourly, zone) - hourly_levels(today, zone)
        for hour in range(change.shape[1]):
            s = interval(change[:, hour])
            if s.n >= 2 and s.high < 0:
                out.append((j, hour))
    return out


def lunch_hours(template: RosterTemplate, open_min: float, hours: int) -> np.ndarray:
    """Which of the ``hours`` clock hours from opening (``open_min``, clock minutes) overlap the template's lunch
    window: the hours whose service the lunch guard (:func:`worse_lunches`) and the tables pool."""
    starts = open_min + 60.0 * np.arange(hours)
    return np.asarray((starts + 60 > template.lunch_window[0]) & (starts < template.lunch_window[1]))


def lunch_levels(hourly: np.ndarray, zone: str, lunch: np.ndarray) -> np.ndarray:
    """Per day, ``zone``'s service level over the ``lunch`` hours pooled (customers on time over customers who
    joined in those hours; NaN on a day nobody joined then)."""
    return hourly_levels(hourly[:, :, lunch].sum(axis=2, keepdims=True), zone)[:, 0]


def guarded_zones(scenario: Scenario) -> tuple[str, ...]:
    """The staffed zones open in ``scenario`` with somebody able to serve them, in zone order: the zones whose
    lunch-hour service a roster must not make worse (:func:`worse_lunches`)."""
    layout = compile_layout(scenario)
    return tuple(z for z in STAFFED_ZONES if scenario.zone_open(z) and layout.zone_staff[SERVICE_ZONES.index(z)])


def worse_lunches(hourly: np.ndarray, today: np.ndarray, zones: Sequence[str], lunch: np.ndarray
                  ) -> list[tuple[str, float, float, float]]:
    """``(zone, change, low, high)`` of each of ``zones`` whose service level over the lunch hours pooled is worse
    under the roster than under today's shifts beyond noise: the paired 95% CI of the change over the same days
    (common random numbers) lies wholly below 0. Pooling the lunch hours sees a loss that no single hour shows
    beyond noise (午间不断档: the counters keep serving at noon, and no zone loses its lunch-hour service to the
    roster), and it guards the zones no rostered role serves."""
    out = []
    for zone in zones:
        s = interval(lunch_levels(hourly, zone, lunch) - lunch_levels(today, zone, lunch))
        if s.n >= 2 and s.high < 0:
            out.append((zone, s.mean, s.low, s.high))
    return out


#: An outlet's roster status when no hour falls short; otherwise the status starts with :data:`KEPT`.
MET = "meets every hour's floor, no hour and no zone's lunch hours worse than today's shifts"
#: The start of the status of an outlet whose roster still falls short after the rounds: it keeps today's shifts.
KEPT = "today's shifts kept: "


@dataclass(frozen=True, kw_only=True)
class OutletRoster:
    """One outlet's roster and how it was found: the roster, the scenario with it in force, the rounds
    (``iterations``: per round the hours below floor and what was added) and the final ``status``."""

    outlet: str
    roster: Roster
    scenario: Scenario
    iterations: tuple[dict[str, object], ...]
    status: str


def roster_outlet(name: str, scenario: Scenario, template: RosterTemplate, limits: dict[str, float],
                  executor: Executor, seed: int, days: int, solver: str = "highs") -> OutletRoster:
    """Roster one outlet's chosen head-counts (``scenario``): requirement, MILP, simulate and correct (see the
    module docstring). ``seed``: the outlet's roster seed; round ``i`` runs ``days`` days on its own seed."""
    zones = served_zones(scenario, template)
    floors = zone_floors(template, limits, zones)
    if not zones:
        return OutletRoster(outlet=name, roster=Roster(shifts=()), scenario=scenario, iterations=(),
                            status="nobody to roster")
    required = requirement(scenario, zones, floors, template.step_min)
    layout = compile_layout(scenario)
    able = np.asarray([len(layout.zone_staff[SERVICE_ZONES.index(z)]) for z in zones], dtype=float)
    rounds: list[dict[str, object]] = []
    status = f"not met after {template.iterations} rounds"
    rostered = scenario
    slot_hour = (np.arange(required.shape[1]) * template.step_min // 60).astype(int)
    guarded = guarded_zones(scenario)
    lunch = lunch_hours(template, scenario.outlet.open_min, math.ceil(scenario.outlet.day_min / 60))
    for i in range(1, template.iterations + 1):
        model = build_model(scenario, template, required, zones)
        try:
            counts = solve_roster(model, solver)
        except RosterInfeasible as exc:
            raise RosterInfeasible(f"{name}: {exc}") from None
        roster = to_roster(model, counts)
        rostered = apply_roster(scenario, roster)
        hourly, today = simulate_hourly(executor, [(rostered, seeds.derived(seed, i), days),
                                                   (scenario, seeds.derived(seed, i), days)])
        below = short_hours(hourly, zones, floors)
        worse = worse_hours(hourly, today, zones)
        lunches = worse_lunches(hourly, today, guarded, lunch)
        added = 0
        for j, h in dict.fromkeys([(j, h) for j, h, _ in below] + worse):
            grow = (slot_hour == h) & (required[j] < able[j])
            if grow.any():
                required[j, grow] += 1
                added += 1
        for zone in (z for z, *_ in lunches if z in zones):  # a zone no rostered role serves cannot be asked for
            j = zones.index(zone)
            grow = lunch[slot_hour] & (required[j] < able[j])
            if grow.any():
                required[j, grow] += 1
                added += 1
        where = "; ".join(f"{zones[j]} {format_clock(scenario.outlet.open_min + 60 * h)} {v:.0%}" for j, h, v in below)
        rounds.append({"outlet": name, "iteration": i, "hours_below_floor": len(below), "below": where,
                       "hours_worse_than_today": len(worse),
                       "worse": "; ".join(f"{zones[j]} {format_clock(scenario.outlet.open_min + 60 * h)}"
                                          for j, h in worse),
                       "lunch_worse": "; ".join(f"{z} {d:+.2%} [{lo:+.2%}, {hi:+.2%}]" for z, d, lo, hi in lunches),
                       "requirement_raised": added, "shortfall_slots": int(np.sum(
                           np.maximum(model.required - model.cover(counts), 0) > 0))})
        if not below and not worse and not lunches:
            status = MET
            break
        if not added:
            status = ("cannot: every person able to serve is already required in the hours that fall short ("
                      + "; ".join(str(x) for x in (where, rounds[-1]["worse"], rounds[-1]["lunch_worse"]) if x) + ")")
            break
    if status != MET:  # a roster that still falls short is not handed over: today's shifts stay
        return OutletRoster(outlet=name, roster=Roster(shifts=()), scenario=scenario, iterations=tuple(rounds),
                            status=f"{KEPT}{status}")
    return OutletRoster(outlet=name, roster=roster, scenario=rostered, iterations=tuple(rounds), status=status)


def roster_stage_seed(seed: int, outlet: int) -> int:
    """The roster's seed of one outlet, derived from the run's seed (stage :data:`ROSTER_STAGE`)."""
    return seeds.derived(seed, ROSTER_STAGE, outlet)
