"""Multi-day runs: outlets over a horizon of working days, with named people and carried-over state.

A quarter is about 60 working days. Each outlet-day is an ordinary :func:`sim.simulate`
day; around it this module adds what changes from day to day:

- **Volume**: the day's arrival rates are the scenario's times the day-of-month profile
  (a parameter table, one weight per working day of the month: steady early, surges
  mid-month and on pay days, lower at month end) times a random day factor (lognormal,
  mean 1, ``volume_cv``), applied through ``arrivals.surge_factor``.
- **People**: every staff member is a named person (``<outlet>/<role>_<n>``) with a skill
  multiplier on conversion, drawn per person (lognormal, capped at ``skill_max``) for the
  roles in ``skill_roles``, 1 for the others. A new hire starts at ``learning_start`` of
  their skill and reaches it linearly over ``learning_weeks``; a leaver's post stays
  empty for ``vacancy_days`` first. Customer managers take turns inside (the essay's
  CMs on duty in turn at the low-counter desk, 轮流当值): every ``rotation_days`` the
  inside posts move one step along the list of those present, so each CM holds each
  inside post (the model's first post is offered customers first) and works outside
  in turn.
- **Speed**: every person has a service speed: the outlet scenario's own ``speed`` for
  their post (``staff.<role>.speed``, 1 when it has none) times, for the roles in
  ``speed_roles`` (tellers, by default), a draw per person (lognormal, mean 1,
  ``speed_cv``); a new hire's speed is a fresh draw (1 outside ``speed_roles``), and
  in ``speed_roles`` it follows the same learning curve as skill. Each day runs with
  the inside people's speeds as the roles' ``speed`` lists, so a slow teller's
  customers take longer and the queues show it.
- **Skill without touching the model**: each day runs with every sales probability
  (cross-sale and referral conversion) multiplied by ``skill_max``; afterwards each sale
  credited to person *k* is kept with probability ``skill_k / skill_max`` (its own
  random stream). A sale then happens with probability ``p × skill_k`` exactly, as long
  as ``p × skill_max ≤ 1`` (cells where the scaled probability, times the segment's
  propensity, would pass 1 are listed in :attr:`Horizon.capped`: there the effect of
  skill is understated). Sales do not change the day's queues, so the thinning is exact.
- **Field marketing** by the outside customer managers is done here, per person, from a
  prospect pool that carries over: each visit reaches a prospect still available with
  probability ``floor(available) / market`` and converts with ``conversion × skill``;
  a conversion takes one prospect out (so the pool is never negative) and the pool
  refills by ``prospect_refill_per_day`` a day up to the market size. The model's own
  field marketing is switched off (``field.visits_per_day = 0``) to avoid counting twice.
  Each new customer earns the outside person ``points_per_field_customer`` points and
  the scenario's ``field.value_per_new_customer_yuan``.
- **VIP book**: each walk-out (or balk) of a priority segment leaves the outlet's VIP
  book with that segment's ``churn_probability``; the book never goes below 0. The
  book's size and the "2 to 1" maintenance load per CM/WM (``maintainers_per_vip`` of the
  region's policy, :data:`sim.scenario_types.MAINTAINERS_PER_VIP` without one) are reported. Lost VIPs stop
  coming: the priority segments' arrival rates are scaled by the book's size over its
  size at the start (the other segments' rates stay), so a day after heavy churn has
  fewer VIP customers, sales and walk-outs. The book changes day by day inside a task
  (an outlet's consecutive days run in one worker, in order).
- **VIP care** (the quarter study's ``[vip_care]``, off by default): :func:`care_load`
  gives the share of a maintainer's day their VIPs' contacts take and the share of the
  contacts made, :func:`care_hazard` a VIP's chance of leaving in a quarter;
  :meth:`Horizon.lose_vips` takes the quarter's leavers off the book.

Randomness: day ``d`` of outlet ``o`` in replication ``r`` of seed ``s`` draws stream
``k`` from ``SeedSequence(s, spawn_key=(r, 0, d, o, k))`` (the model's own streams
from a seed derived the same way); initial skills from ``(r, 1, o)``, speeds from
``(r, 1, o, 1)``; replacements (skill, then speed) from ``(r, 2, d, o, slot)``; the
quarter study's inspections (:mod:`optimize.scorecard`) from ``(r, 3, q)``; VIP care's
quarterly leavers from ``(r, 4, q, o)``. No
global RNG: the same seed gives the same run on any executor, and two rule sets run
with the same seed see the same customers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim import seeds
from sim.codes import ROLES, ZONES
from sim.codes import Role as CodeRole
from sim.errors import ScenarioError
from sim.executors import Executor, SerialExecutor
from sim.metrics import OUTLET_KPIS, SEGMENT_KPIS, ZONE_KPIS, credit_sales, day_kpis
from sim.model import DayLog, simulate
from sim.scenario_types import (
    MAINTAINERS_PER_VIP,
    MAX_DAY_CUSTOMERS,
    MAX_SPEED,
    MAX_SURGE,
    MAX_YUAN,
    MIN_SPEED,
    Scenario,
)
from sim.staffing import StaffingPlan, person_id
from sim.tomlio import Table

_TAG_DAY, _TAG_ROSTER, _TAG_HIRE = 0, 1, 2
#: Key tag of the quarter study's inspection draws: ``(replication, TAG_INSPECTION, quarter)``.
TAG_INSPECTION = 3
#: Key tag of the VIP-care leavers of an outlet-quarter: ``(replication, TAG_VIP_CARE, quarter, outlet)``.
TAG_VIP_CARE = 4
#: The roles that maintain VIPs: "客户经理、理财经理为贵宾客户的维护主体".
MAINTAINER_ROLES = ("customer_manager", "wealth_manager")
_MODEL, _VOLUME, _THINNING, _FIELD, _VIP = range(5)
_FULLY_TRAINED = -(10**9)  # start day of the people already in post when the run begins
#: Largest ``speed_cv``: beyond it draws clipped to the scenario's speed bounds lose their mean of 1.
MAX_SPEED_CV = 1.0
#: Working days in one simulated quarter at most (a calendar quarter has 92 days).
MAX_DAYS_PER_QUARTER = 92
#: Largest skill multiplier (mean or cap) of a hire: ten times the norm.
MAX_SKILL = 10.0


def _default_profile() -> tuple[float, ...]:
    # 20 working days a month (assumed shape): steady early, pay-day bump on day 5,
    # mid-month surge on days 9-11, pay day 15, lower at month end.
    return (1.0, 1.0, 1.0, 1.0, 1.15, 1.0, 1.0, 1.05, 1.25, 1.3, 1.25, 1.05, 1.0, 1.0, 1.2, 1.0, 0.95, 0.9,
            0.85, 0.85)


@dataclass(frozen=True, slots=True, kw_only=True)
class HireRules:
    """Skill of people, and what replacing a leaver costs (all assumed).

    Skill is lognormal with ``skill_mean`` and ``skill_cv``, capped at ``skill_max``;
    speed (service time ÷ speed) lognormal with mean 1 and ``speed_cv`` (0: everyone at
    speed 1), kept within the scenario's speed bounds. A new hire works at
    ``learning_start`` × skill and speed on day one, full skill and speed after
    ``learning_weeks`` (5 working days a week); the post is empty ``vacancy_days`` first.
    """

    skill_mean: float = 1.0
    skill_cv: float = 0.25
    skill_max: float = 2.0
    learning_weeks: float = 12.0
    learning_start: float = 0.5
    vacancy_days: int = 20
    speed_cv: float = 0.15  # assumed: tellers' speeds differ by person (DOMAIN.md, "teller speed differs")


@dataclass(frozen=True, slots=True, kw_only=True)
class HorizonRules:
    """Day-to-day variation and carried-over state (see the module docstring; all assumed)."""

    days_per_quarter: int = 60
    day_of_month_profile: tuple[float, ...] = field(default_factory=_default_profile)
    volume_cv: float = 0.10
    prospect_refill_per_day: float = 1.0
    points_per_field_customer: float = 60.0
    vip_book: int = 300
    rotation_days: int = 1
    skill_roles: tuple[str, ...] = ("customer_manager", "wealth_manager", "cash_teller", "low_counter_teller")
    speed_roles: tuple[str, ...] = ("cash_teller", "low_counter_teller")
    hire: HireRules = field(default_factory=HireRules)


def rng(seed: int, *key: int) -> np.random.Generator:
    """The generator of ``SeedSequence(seed, spawn_key=key)`` (:func:`sim.seeds.generator`)."""
    return seeds.generator(seed, *key)


def day_seed(seed: int, replication: int, day: int, outlet: int) -> int:
    """Seed for the model's own streams on day ``day`` of outlet ``outlet`` (a 63-bit integer)."""
    state = seeds.sequence(seed, replication, _TAG_DAY, day, outlet, _MODEL).generate_state(2)
    return (int(state[0]) << 31) ^ int(state[1])


def _lognormal(generator: np.random.Generator, mean: float, cv: float, n: int) -> np.ndarray:
    """``n`` lognormal draws with the given mean and coefficient of variation."""
    sigma2 = math.log1p(cv**2)
    return generator.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), n)


def draw_skills(rules: HireRules, generator: np.random.Generator, n: int) -> np.ndarray:
    """``n`` skill multipliers: lognormal (mean ``skill_mean``, cv ``skill_cv``) capped at ``skill_max``."""
    return np.asarray(np.minimum(_lognormal(generator, rules.skill_mean, rules.skill_cv, n), rules.skill_max))


def draw_speeds(rules: HireRules, generator: np.random.Generator, n: int) -> np.ndarray:
    """``n`` service speeds: lognormal (mean 1, cv ``speed_cv``) within the scenario's speed bounds."""
    return np.asarray(np.clip(_lognormal(generator, 1.0, rules.speed_cv, n), MIN_SPEED, MAX_SPEED))


def learning(days_in_post: float, rules: HireRules) -> float:
    """Share of full skill after ``days_in_post`` working days: ``learning_start`` rising linearly to 1."""
    span = 5.0 * rules.learning_weeks
    done = 1.0 if span <= 0 else min(max(days_in_post / span, 0.0), 1.0)
    return rules.learning_start + (1.0 - rules.learning_start) * done


@dataclass(frozen=True, slots=True)
class Person:
    """A named staff member: role, full skill and speed multipliers, first working day (post empty before)."""

    id: str
    role: str
    skill: float
    start_day: int = _FULLY_TRAINED
    speed: float = 1.0

    def present(self, day: int) -> bool:
        """True once the person has started (before that the post is vacant)."""
        return day >= self.start_day

    def skill_on(self, day: int, rules: HireRules) -> float:
        """Skill multiplier on ``day``, on the learning curve since the start day."""
        return self.skill * learning(day - self.start_day, rules)

    def speed_on(self, day: int, rules: HireRules) -> float:
        """Service speed on ``day``, on the learning curve since the start day (at least the smallest speed)."""
        return max(self.speed * learning(day - self.start_day, rules), MIN_SPEED)


class ProspectPool:
    """The outlet's local market for field marketing: ``available`` prospects out of ``market``."""

    def __init__(self, market: int, refill_per_day: float, available: float | None = None) -> None:
        self.market = market
        self.refill_per_day = refill_per_day
        self.available = float(market if available is None else available)

    def visit(self, generator: np.random.Generator, skills: Sequence[float], visits_each: int,
              conversion: float) -> np.ndarray:
        """One day of visits by people with ``skills``: new customers won by each, pool depleted."""
        won = np.zeros(len(skills), dtype=np.int64)
        u = generator.random((len(skills), visits_each, 2))
        for k, skill in enumerate(skills):
            p = min(1.0, conversion * skill)
            for reach, convert in u[k]:
                if self.market and reach < math.floor(self.available) / self.market and convert < p:
                    won[k] += 1
                    self.available -= 1.0
        return won

    def refill(self) -> None:
        """The day's inflow of new prospects, up to the market size."""
        self.available = min(float(self.market), self.available + self.refill_per_day)


#: The role of everyone outside (外勤): only customer managers do field marketing
#: (:attr:`sim.scenario_types.Role.outside`).
_OUTSIDE_ROLE = ROLES[CodeRole.CUSTOMER_MANAGER]


class Inside(NamedTuple):
    """One person inside on a day: the model's slot (``role_k``, see :func:`sim.staffing.person_id`), the
    person's id, their role, and the day's skill and service speed."""

    model_id: str
    person: str
    role: str
    skill: float
    speed: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DaySpec:
    """What one outlet-day needs: head-counts, who is inside (:class:`Inside`), who is outside (person, skill),
    volume. Only customer managers work outside (:attr:`sim.scenario_types.Role.outside`)."""

    day: int
    counts: tuple[tuple[str, int], ...]
    cm_inside: int
    inside: tuple[Inside, ...]
    outside: tuple[tuple[str, float], ...]
    volume: float


@dataclass(frozen=True, slots=True, kw_only=True)
class OutletDays:
    """A task for an executor: consecutive days of one outlet of one horizon."""

    key: tuple[int, int]
    scenario: Scenario
    seed: int
    replication: int
    outlet: int
    skill_max: float
    days: tuple[DaySpec, ...]
    vip_book: float = 0.0
    vip_book_start: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DayResult:
    """One simulated outlet-day: outlet KPIs, per-person sales after skill thinning, VIPs lost and the book after."""

    day: int
    outlet: dict[str, float]
    vip_walkouts: tuple[int, ...]
    people: dict[str, tuple[float, float, int]]
    vip_lost: int
    vip_book: float
    #: New customers won in the day itself (walk-in account openings; the field's are won outside the day).
    new_customers: int = 0


def _thin(log: DayLog, spec: DaySpec, task: OutletDays) -> tuple[dict[str, tuple[float, float, int]], np.ndarray]:
    """Keep each credited sale with probability skill / skill_max.

    Returns per-person (points, value, sales) kept, and the (sales, points, value) of
    counted customers' sales dropped, to take off the day's outlet KPIs.
    """
    sales = credit_sales(log)
    who = {p.model_id: (p.person, p.skill) for p in spec.inside}
    skill = np.array([who[i][1] if i in who else 1.0 for i in log.staff.ids])
    u = rng(task.seed, task.replication, _TAG_DAY, spec.day, task.outlet, _THINNING).random(sales.staff.size)
    keep = u < skill[sales.staff] / task.skill_max
    n = len(log.staff.ids)
    pts = np.bincount(sales.staff[keep], sales.points[keep], minlength=n)
    val = np.bincount(sales.staff[keep], sales.value_yuan[keep], minlength=n)
    cnt = np.bincount(sales.staff[keep], minlength=n)
    people = {who[i][0]: (float(pts[k]), float(val[k]), int(cnt[k])) for k, i in enumerate(log.staff.ids) if i in who}
    counted = log.customers.arrival_min[sales.customer] >= log.scenario.outlet.warmup_min
    dropped = counted & ~keep
    removed = np.array([dropped.sum(), sales.points[dropped].sum(), sales.value_yuan[dropped].sum()])
    return people, removed


def _outlet_row(log: DayLog, removed: np.ndarray) -> tuple[dict[str, float], tuple[int, ...], int]:
    """The day's outlet KPIs less the thinned sales, the priority segments' walk-outs, the day's new customers."""
    k = day_kpis(log)
    names = ("arrived", "served", "abandoned", "balked", "no_service", "sales", "points", "value_yuan",
             "value_lost_yuan")
    row = {n: float(k.outlet[OUTLET_KPIS.index(n)]) for n in names}
    row["sales"] -= removed[0]
    row["points"] -= removed[1]
    row["value_yuan"] -= removed[2]
    row["mean_wait_min"] = float(k.zones[ZONES.index("waiting"), ZONE_KPIS.index("mean_wait_min")])
    levels = k.zones[[ZONES.index(z) for z in ("cash", "non_cash", "wealth")], ZONE_KPIS.index("service_level")]
    row["service_level"] = float(np.nanmean(levels)) if np.isfinite(levels).any() else math.nan
    seg = list(log.scenario.segments.values())
    gone = k.by_segment[:, SEGMENT_KPIS.index("abandoned")] + k.by_segment[:, SEGMENT_KPIS.index("balked")]
    new = int(k.outlet[OUTLET_KPIS.index("field_new_customers")])
    return row, tuple(int(gone[i]) for i, s in enumerate(seg) if s.priority), new


def simulate_days(task: OutletDays) -> tuple[tuple[int, int], list[DayResult]]:
    """Run a task's days (picklable: executors call it in worker processes)."""
    out = []
    book = task.vip_book
    priority = [s for s in task.scenario.segments.values() if s.priority]
    for spec in task.days:
        sc = task.scenario.with_staffing(StaffingPlan.of(dict(spec.counts), spec.cm_inside))
        kept = book / task.vip_book_start if task.vip_book_start > 0 else 1.0
        shares, volume = vip_thinned(sc, kept)
        sc = sc.with_surge(sc.surge_factor * spec.volume * volume).with_shares(shares).with_speeds(_speeds(sc, spec))
        log = simulate(sc, seed=day_seed(task.seed, task.replication, spec.day, task.outlet), replication=0)
        people, removed = _thin(log, spec, task)
        row, vip, new = _outlet_row(log, removed)
        churn = rng(task.seed, task.replication, _TAG_DAY, spec.day, task.outlet, _VIP)
        lost = min(sum(int(churn.binomial(n, s.churn_probability)) for n, s in zip(vip, priority, strict=True)),
                   int(book))
        book -= lost
        out.append(DayResult(day=spec.day, outlet=row, vip_walkouts=vip, people=people, vip_lost=lost, vip_book=book,
                             new_customers=new))
    return task.key, out


def vip_thinned(scenario: Scenario, kept: float) -> tuple[dict[str, float], float]:
    """Segment shares (by segment id) and a volume factor that scale priority arrivals by ``kept`` (0…1).

    The other segments' arrival rates stay as they were: with priority share ``v`` the
    day's volume is × ``1 − v(1 − kept)`` and the shares are renormalised over it. An
    empty book keeps a vanishing ``1e-9`` of the priority rate (the scenario format needs
    every share > 0). A scenario of priority customers only scales its volume (at least
    1% of it).
    """
    segments = list(scenario.segments.values())
    vip = sum(s.share for s in segments if s.priority)
    if kept >= 1.0 or vip <= 0.0:
        return {}, 1.0
    kept = max(kept, 1e-9)
    total = 1.0 - vip * (1.0 - kept)
    if vip >= 1.0 - 1e-9:
        return {}, max(kept, 0.01)
    return {s.id: s.share * (kept if s.priority else 1.0) / total for s in segments}, total


def _speeds(scenario: Scenario, spec: DaySpec) -> dict[str, list[float]]:
    """The inside people's speeds by role, in model order (``staff.<role>.speed``).

    Roles whose people all work at speed 1 and whose scenario has no speed list are left
    alone (the same day, with fewer roles to replace).
    """
    by_role: dict[str, list[float]] = {}
    for p in spec.inside:
        by_role.setdefault(p.role, []).append(p.speed)
    return {role: speeds[:scenario.roles[role].inside] for role, speeds in by_role.items()
            if role in scenario.roles and scenario.roles[role].zones
            and (scenario.roles[role].speed or any(v != 1.0 for v in speeds))}


def skill_scaled(scenario: Scenario, skill_max: float) -> tuple[Scenario, list[str]]:
    """The scenario every day runs on: sales probabilities × ``skill_max`` (capped at 1), model field off.

    Returns it with the list of ``zone.role.segment`` cells where the scaled probability
    times the segment's propensity passes 1 (skill understated there).
    """
    s = scenario.sales
    capped = [] if s.referral_conversion * skill_max <= 1 else ["referral_conversion"]
    cross_sale: dict[str, dict[str, float]] = {}
    for zone, by_role in s.cross_sale.items():
        cross_sale[zone] = {}
        for role, p in by_role.items():
            cross_sale[zone][role] = min(1.0, p * skill_max)
            capped += [f"{zone}.{role}.{g.id}" for g in scenario.segments.values() if p * skill_max * g.propensity > 1]
    sales = replace(s, referral_conversion=min(1.0, s.referral_conversion * skill_max), cross_sale=cross_sale)
    return replace(scenario, sales=sales, field_marketing=replace(scenario.field_marketing, visits_per_day=0.0)), capped


@dataclass
class _Outlet:
    name: str
    scenario: Scenario
    base: Scenario
    roster: list[Person]
    inside_target: int
    pool: ProspectPool
    vip_book: float
    vip_book_start: float


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


class Horizon:
    """One replication of several outlets over consecutive working days, state carried over.

    Build it, then call :func:`run_days` for a span of days (a quarter); between spans
    :meth:`replace` people who leave. ``people_days`` and ``outlet_days`` accumulate.
    """

    def __init__(self, outlets: Sequence[Scenario], rules: HorizonRules = HorizonRules(), *, seed: int = 0,
                 replication: int = 0, names: Sequence[str] | None = None,
                 vip_books: Sequence[float] | None = None, maintainers_per_vip: float = MAINTAINERS_PER_VIP) -> None:
        self.rules = rules
        self.maintainers_per_vip = maintainers_per_vip
        #: People who visit the prospect pool first on their outside days (a club privilege; empty: roster order).
        self.first_pick: frozenset[str] = frozenset()
        #: Working days each person is away from work (training: the quarter study's ``[training]``; empty: none).
        self.away: dict[str, frozenset[int]] = {}
        self.seed = seed
        self.replication = replication
        self.capped: list[str] = []
        names = _unique(names if names is not None else [sc.outlet.name for sc in outlets])
        self.outlets = [self._outlet(o, sc, names[o], None if vip_books is None else vip_books[o])
                        for o, sc in enumerate(outlets)]

    def _outlet(self, o: int, sc: Scenario, name: str, vip_book: float | None) -> _Outlet:
        scaled, capped = skill_scaled(sc, self.rules.hire.skill_max)
        self.capped += [f"{name}: {c}" for c in capped]
        generator = rng(self.seed, self.replication, _TAG_ROSTER, o)
        speed_generator = rng(self.seed, self.replication, _TAG_ROSTER, o, 1)
        roster = []
        for role in sc.roles.values():
            skills, speeds = self._draw(role.id, generator, speed_generator, role.count)
            posts = np.ones(role.count)
            posts[:len(role.speed)] = role.speed[:role.count]
            roster += [Person(f"{name}/{role.id}_{k + 1}", role.id, float(skills[k]),
                              speed=float(np.clip(posts[k] * speeds[k], MIN_SPEED, MAX_SPEED)))
                       for k in range(role.count)]
        cms = sc.roles.get("customer_manager")
        pool = ProspectPool(sc.field_marketing.prospect_pool, self.rules.prospect_refill_per_day)
        book = float(self.rules.vip_book if vip_book is None else vip_book)
        return _Outlet(name, scaled, sc, roster, 0 if cms is None else cms.inside, pool, book, book)

    def _draw(self, role: str, skill_gen: np.random.Generator, speed_gen: np.random.Generator,
              n: int) -> tuple[np.ndarray, np.ndarray]:
        """Skills and speeds of ``n`` people of ``role`` (1 for roles outside ``skill_roles`` / ``speed_roles``)."""
        hire = self.rules.hire
        skills = draw_skills(hire, skill_gen, n) if role in self.rules.skill_roles else np.ones(n)
        speeds = draw_speeds(hire, speed_gen, n) if role in self.rules.speed_roles else np.ones(n)
        return skills, speeds

    @property
    def people(self) -> list[tuple[int, Person]]:
        """Every person now on the rosters (with the outlet index), vacancies' future hires included."""
        return [(o, p) for o, out in enumerate(self.outlets) for p in out.roster]

    def replace(self, person_id: str, day: int) -> Person:
        """``person_id`` leaves after ``day - 1``; a new hire (drawn skill and speed) starts after the vacancy."""
        for o, out in enumerate(self.outlets):
            for slot, p in enumerate(out.roster):
                if p.id == person_id:
                    generator = rng(self.seed, self.replication, _TAG_HIRE, day, o, slot)
                    skill, speed = self._draw(p.role, generator, generator, 1)
                    stem, _, gen = p.id.rpartition("#")
                    if not gen.isdigit():  # no hire suffix yet ('#' may be part of an outlet's name)
                        stem, gen = p.id, "1"
                    new = Person(f"{stem}#{int(gen) + 1}", p.role, float(skill[0]),
                                 day + self.rules.hire.vacancy_days, float(speed[0]))
                    out.roster[slot] = new
                    return new
        raise KeyError(person_id)

    def maintainers_on(self, o: int, day: int) -> list[Person]:
        """The CMs and WMs of outlet ``o`` at work on ``day`` (the VIP book's maintainers)."""
        return [p for p in self.outlets[o].roster if p.role in MAINTAINER_ROLES and p.present(day)]

    def vip_book(self, o: int) -> float:
        """Outlet ``o``'s VIP book now."""
        return self.outlets[o].vip_book

    def lose_vips(self, o: int, lost: int) -> None:
        """Take ``lost`` VIPs off outlet ``o``'s book (never below 0); later days have fewer VIP arrivals."""
        out = self.outlets[o]
        out.vip_book = max(out.vip_book - lost, 0.0)

    def _inside_cms(self, present: list[Person], day: int, target: int) -> list[Person]:
        k = min(target, len(present))
        if not present or self.rules.rotation_days <= 0:
            return present[:k]
        offset = (day // self.rules.rotation_days) % len(present)  # one step a period: every slot in turn
        return [present[(offset + j) % len(present)] for j in range(k)]

    def spec(self, o: int, day: int) -> DaySpec:
        """The day's head-counts, inside people and volume for outlet ``o``."""
        out, hire = self.outlets[o], self.rules.hire
        present = [p for p in out.roster if p.present(day) and day not in self.away.get(p.id, ())]
        counts = {r: sum(p.role == r for p in present) for r in ROLES}
        cms = [p for p in present if p.role == "customer_manager"]
        inside_cms = self._inside_cms(cms, day, out.inside_target)
        # CMs take the model's slots in rotation order, so the first slot (served first
        # when several are idle) rotates too.
        ordered = [p for p in present if p.role != "customer_manager"] + inside_cms
        seen = dict.fromkeys(ROLES, 0)
        inside = []
        for p in ordered:
            seen[p.role] += 1
            speed = p.speed_on(day, hire) if p.role in self.rules.speed_roles else p.speed
            inside.append(Inside(person_id(p.role, seen[p.role]), p.id, p.role, p.skill_on(day, hire), speed))
        outside = [(p.id, p.skill_on(day, hire)) for p in cms if p not in inside_cms]
        if self.first_pick:  # privileged people take the day's prospects first (stable: roster order otherwise)
            outside.sort(key=lambda person: person[0] not in self.first_pick)
        return DaySpec(day=day, counts=tuple(counts.items()), cm_inside=len(inside_cms), inside=tuple(inside),
                       outside=tuple(outside), volume=self.volume(o, day))

    def volume(self, o: int, day: int) -> float:
        """Outlet ``o``'s volume multiplier on ``day``: day-of-month weight × random day factor."""
        profile = self.rules.day_of_month_profile
        factor = _lognormal(rng(self.seed, self.replication, _TAG_DAY, day, o, _VOLUME), 1.0, self.rules.volume_cv, 1)
        return profile[day % len(profile)] * float(factor[0])

    def check_volumes(self, days: int, source: str) -> None:
        """Refuse, before anything runs, rules whose day volumes push an outlet past the scenario limits.

        Raises:
            ScenarioError: naming ``source`` (the rules file) and its day-of-month profile,
                when on some day ``surge_factor`` × volume passes ``MAX_SURGE`` or the
                expected customers pass ``MAX_DAY_CUSTOMERS``.
        """
        for o, out in enumerate(self.outlets):
            surge = out.base.surge_factor
            for day in range(days):
                v = self.volume(o, day)
                if surge * v > MAX_SURGE or out.base.expected_customers * v > MAX_DAY_CUSTOMERS:
                    raise ScenarioError(source, "horizon.day_of_month_profile", f"on day {day + 1} at {out.name} the "
                                        f"day's volume (weight x random factor) is {v:.4g}: x the scenario's surge "
                                        f"{surge:g} and {out.base.expected_customers:.4g} customers a day it passes "
                                        f"the limits (surge <= {MAX_SURGE:g}, <= {MAX_DAY_CUSTOMERS} customers); "
                                        "lower the weights or volume_cv")

    def tasks(self, first_day: int, days: int, key: int = 0) -> list[OutletDays]:
        """One task per outlet for days ``first_day … first_day + days - 1``."""
        return [OutletDays(key=(key, o), scenario=out.scenario, seed=self.seed, replication=self.replication, outlet=o,
                           skill_max=self.rules.hire.skill_max,
                           days=tuple(self.spec(o, d) for d in range(first_day, first_day + days)),
                           vip_book=out.vip_book, vip_book_start=out.vip_book_start)
                for o, out in enumerate(self.outlets)]

    def absorb(self, task: OutletDays, results: list[DayResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Apply a finished task in day order: field marketing, the VIP book; per-person and outlet rows."""
        out = self.outlets[task.outlet]
        f = out.base.field_marketing
        people: list[tuple[object, ...]] = []
        rows: list[dict[str, object]] = []
        for spec, res in zip(task.days, results, strict=True):
            won = out.pool.visit(rng(self.seed, self.replication, _TAG_DAY, spec.day, task.outlet, _FIELD),
                                 [s for _, s in spec.outside], round(f.visits_per_day), f.conversion)
            out.pool.refill()
            out.vip_book = res.vip_book
            people += _people_rows(spec, res, won, self.rules.points_per_field_customer, f.value_per_new_customer_yuan)
            rows.append(_outlet_day(spec, res, won, f.value_per_new_customer_yuan, out, self.maintainers_per_vip))
        return _people_frame(people, out.name), pd.DataFrame(rows).assign(outlet=out.name)


def _people_rows(spec: DaySpec, res: DayResult, won: np.ndarray, points_per_customer: float,
                 value_per_customer: float) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for p in spec.inside:
        pts, val, cnt = res.people.get(p.person, (0.0, 0.0, 0))
        rows.append((spec.day, p.person, True, p.skill, p.speed, pts, val, cnt, 0, p.role))
    for (pid, skill), n in zip(spec.outside, won, strict=True):
        rows.append((spec.day, pid, False, skill, 1.0, n * points_per_customer, n * value_per_customer, 0, int(n),
                     _OUTSIDE_ROLE))
    return rows


def _people_frame(rows: list[tuple[object, ...]], outlet: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["day", "person", "inside", "skill", "speed", "points", "value_yuan", "sales",
                                        "field_customers", "role"])
    return frame.assign(outlet=outlet)


def _outlet_day(spec: DaySpec, res: DayResult, won: np.ndarray, value_per_customer: float, out: _Outlet,
                maintainers_per_vip: float) -> dict[str, object]:
    row: dict[str, object] = {"day": spec.day, "volume": spec.volume, **res.outlet}
    field_value = float(won.sum()) * value_per_customer
    row["value_yuan"] = res.outlet["value_yuan"] + field_value
    # the day's own new customers (walk-in account openings at the counter; field marketing is off in the day)
    # and the field's, won outside from the prospect pool
    row["field_new_customers"] = res.new_customers + int(won.sum())
    row["staff_present"] = sum(c for _, c in spec.counts)
    row["vip_walkouts"] = sum(res.vip_walkouts)
    row["vip_lost"] = res.vip_lost
    row["vip_book"] = out.vip_book
    maintainers = sum(c for r, c in spec.counts if r in MAINTAINER_ROLES)
    row["vips_per_maintainer"] = maintainers_per_vip * out.vip_book / maintainers if maintainers else math.inf
    row["prospects_available"] = out.pool.available
    return row


@dataclass(frozen=True)
class HorizonDays:
    """A span of days of one horizon: per person-day rows and per outlet-day rows."""

    people: pd.DataFrame
    outlets: pd.DataFrame


def run_days(horizons: Sequence[Horizon], first_day: int, days: int, executor: Executor | None = None,
             progress: Callable[[int], None] | None = None) -> list[HorizonDays]:
    """Run days ``first_day …`` of every horizon, all outlet tasks through one executor.

    Tasks run in any order (each carries its seeds); the carried-over state is applied
    afterwards in day order, so the result does not depend on the executor.
    """
    tasks = [t for h, hz in enumerate(horizons) for t in hz.tasks(first_day, days, key=h)]
    by_key = {t.key: t for t in tasks}
    done: dict[tuple[int, int], list[DayResult]] = {}
    for key, results in (executor or SerialExecutor()).imap(simulate_days, tasks):
        done[key] = results
        if progress is not None:
            progress(1)
    spans = []
    for h, hz in enumerate(horizons):
        parts = [hz.absorb(by_key[(h, o)], done[(h, o)]) for o in range(len(hz.outlets))]
        spans.append(HorizonDays(pd.concat([p for p, _ in parts], ignore_index=True),
                                 pd.concat([r for _, r in parts], ignore_index=True)))
    return spans


@dataclass(frozen=True, slots=True, kw_only=True)
class VipGrade:
    """One VIP grade: its share of the book and the contacts a month each of its maintainers makes."""

    name: str
    share: float
    contacts_per_month: float


def _default_grades() -> tuple[VipGrade, ...]:
    # assumed: "根据个人贵宾客户等级的递增,对客户的关注度和维护服务层次逐层递增" (attention rises with grade)
    return (VipGrade(name="standard", share=0.70, contacts_per_month=0.5),
            VipGrade(name="gold", share=0.25, contacts_per_month=1.0),
            VipGrade(name="diamond", share=0.05, contacts_per_month=2.0))


@dataclass(frozen=True, slots=True, kw_only=True)
class VipCareRules:
    """VIP care as work (``[vip_care]`` of a quarter rules file; off by default; every number assumed).

    The essay's "2对1" double maintenance: each VIP has ``maintainers_per_vip`` maintainers
    (a relationship owner, CM or WM, and a product owner), the book spread evenly over the
    outlet's CMs and WMs ("分户到人"). Each maintainer makes ``contacts_per_month`` of the VIP's
    grade (SMS, calls, birthday and holiday visits, wealth diagnosis: "发送短信、电话通知、
    生日祝福、节日拜访"), each ``minutes_per_contact``; care takes at most ``max_care_share``
    of a ``minutes_per_day`` working day, and that share is taken from their selling
    (see :func:`care_load`). A VIP leaves in a quarter with :func:`care_hazard`.
    ``points_per_lost_vip``: the 四包 responsibility ("包客户不流失"), points taken from
    each of a lost VIP's maintainers.
    """

    enabled: bool = False
    grades: tuple[VipGrade, ...] = field(default_factory=_default_grades)
    minutes_per_contact: float = 15.0  # assumed: a mix of 2-minute messages, 10-minute calls and hour-long visits
    minutes_per_day: float = 480.0  # assumed: an 8-hour working day
    max_care_share: float = 0.30  # assumed
    churn_cared: float = 0.01  # assumed: quarterly chance a VIP with every contact leaves
    churn_uncared: float = 0.08  # assumed: ... a VIP with none
    walkout_weight: float = 1.0  # assumed: hazard x (1 + weight x VIP walk-outs per VIP on the book)
    points_per_lost_vip: float = 100.0  # assumed


def care_load(book: float, maintainers: int, ratio: float, days_per_month: int,
              rules: VipCareRules) -> tuple[float, float]:
    """Share of each maintainer's day care takes, and the share of the needed contacts made.

    Needed minutes a day per maintainer = ``ratio × book / maintainers × Σ_grade share ×
    contacts_per_month × minutes_per_contact / days_per_month``; the share of the day is
    that over ``minutes_per_day``, at most ``max_care_share``; coverage = the minutes given
    over the minutes needed (1 with nothing needed; 0 with no maintainer).
    """
    if book <= 0:
        return 0.0, 1.0
    if maintainers <= 0:
        return 0.0, 0.0
    per_vip = sum(g.share * g.contacts_per_month for g in rules.grades) * rules.minutes_per_contact
    need = ratio * book / maintainers * per_vip / days_per_month / rules.minutes_per_day
    share = min(need, rules.max_care_share)
    return share, (share / need if need > 0 else 1.0)


def care_hazard(coverage: float, vip_walkouts: float, book_start: float, rules: VipCareRules) -> float:
    """A VIP's chance of leaving in the quarter (assumed shape), beside the walk-out churn of each day.

    ``(churn_cared × coverage + churn_uncared × (1 − coverage)) × (1 + walkout_weight ×
    vip_walkouts / book_start)``, at most 1: fewer contacts and worse service (the quarter's
    VIP walk-outs per VIP on the book at its start) raise it.
    """
    base = rules.churn_cared * coverage + rules.churn_uncared * (1.0 - coverage)
    served = 1.0 + rules.walkout_weight * (vip_walkouts / book_start if book_start > 0 else 0.0)
    return min(1.0, base * served)


def _grades(t: Table) -> tuple[VipGrade, ...]:
    if not t.has("grades"):
        return _default_grades()
    grades = []
    for name, sub in t.subtables("grades"):
        grades.append(VipGrade(name=name, share=sub.probability("share"),
                               contacts_per_month=sub.number("contacts_per_month", ge=0.0, le=1000.0)))
        sub.finish()
    total = sum(g.share for g in grades)
    if not grades or abs(total - 1.0) > 1e-9:
        raise t.fail("grades", f"the grades' shares of the book must sum to 1, got {total:g}")
    return tuple(grades)


def vip_care_rules(t: Table) -> VipCareRules:
    """Read the ``[vip_care]`` table (defaults from :class:`VipCareRules`); errors name the file and field."""
    d = VipCareRules()
    rules = VipCareRules(enabled=t.boolean("enabled", d.enabled), grades=_grades(t),
                         minutes_per_contact=t.number("minutes_per_contact", d.minutes_per_contact, ge=0.0,
                                                      le=24 * 60.0),
                         minutes_per_day=t.number("minutes_per_day", d.minutes_per_day, gt=0.0, le=24 * 60.0),
                         max_care_share=t.probability("max_care_share", d.max_care_share),
                         churn_cared=t.probability("churn_cared", d.churn_cared),
                         churn_uncared=t.probability("churn_uncared", d.churn_uncared),
                         walkout_weight=t.number("walkout_weight", d.walkout_weight, ge=0.0, le=1000.0),
                         points_per_lost_vip=t.number("points_per_lost_vip", d.points_per_lost_vip, ge=0.0,
                                                      le=MAX_YUAN))
    t.finish()
    if rules.churn_cared > rules.churn_uncared:
        raise t.fail("churn_cared", f"must be <= churn_uncared ({rules.churn_uncared:g}): care that makes a VIP more "
                     f"likely to leave contradicts the rule it models, got {rules.churn_cared:g}")
    return rules


def _profile(t: Table, default: tuple[float, ...]) -> tuple[float, ...]:
    value = t.raw("day_of_month_profile", list(default))
    if not (isinstance(value, list) and value):
        raise t.fail("day_of_month_profile", "expected a non-empty list of weights, one per working day of the month")
    return t.number_list("day_of_month_profile", value, gt=0.0)


def _roles(t: Table, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    roles = t.raw(key, list(default))
    if not isinstance(roles, list) or any(not isinstance(r, str) or r not in ROLES for r in roles) \
            or len(set(roles)) < len(roles):
        raise t.fail(key, f"{roles!r}: a list of distinct roles from {', '.join(ROLES)}")
    return tuple(roles)


def hire_rules(t: Table) -> HireRules:
    """Read the ``[hiring]`` table (defaults from :class:`HireRules`)."""
    d = HireRules()
    rules = HireRules(skill_mean=t.number("skill_mean", d.skill_mean, gt=0.0, le=MAX_SKILL),
                      skill_cv=t.number("skill_cv", d.skill_cv, ge=0.0, le=MAX_SPEED_CV),
                      skill_max=t.number("skill_max", d.skill_max, gt=0.0, le=MAX_SKILL),
                      learning_weeks=t.number("learning_weeks", d.learning_weeks, ge=0.0, le=520.0),
                      learning_start=t.probability("learning_start", d.learning_start),
                      vacancy_days=t.integer("vacancy_days", d.vacancy_days, le=MAX_DAYS_PER_QUARTER * 4),
                      speed_cv=t.number("speed_cv", d.speed_cv, ge=0.0, le=MAX_SPEED_CV))
    if rules.skill_max < rules.skill_mean:
        raise t.fail("skill_max", f"must be >= skill_mean ({rules.skill_mean:g}): the cap would lower every "
                     f"hire's skill, got {rules.skill_max:g}")
    t.finish()
    return rules


def horizon_rules(t: Table, hire: HireRules) -> HorizonRules:
    """Read the ``[horizon]`` table (defaults from :class:`HorizonRules`)."""
    d = HorizonRules()
    rules = HorizonRules(
        days_per_quarter=t.integer("days_per_quarter", d.days_per_quarter, ge=1, le=MAX_DAYS_PER_QUARTER),
        day_of_month_profile=_profile(t, d.day_of_month_profile),
        volume_cv=t.number("volume_cv", d.volume_cv, ge=0.0, le=MAX_SPEED_CV),
        prospect_refill_per_day=t.number("prospect_refill_per_day", d.prospect_refill_per_day, ge=0.0, le=1e6),
        points_per_field_customer=t.number("points_per_field_customer", d.points_per_field_customer, ge=0.0,
                                           le=MAX_YUAN),
        vip_book=t.integer("vip_book", d.vip_book, le=10_000_000),
        rotation_days=t.integer("rotation_days", d.rotation_days, le=MAX_DAYS_PER_QUARTER),
        skill_roles=_roles(t, "skill_roles", d.skill_roles), speed_roles=_roles(t, "speed_roles", d.speed_roles),
        hire=hire)
    t.finish()
    return rules


__all__ = [
    "MAINTAINER_ROLES", "TAG_INSPECTION", "TAG_VIP_CARE", "DaySpec", "HireRules", "Horizon", "HorizonDays",
    "HorizonRules", "Inside", "OutletDays", "Person", "ProspectPool", "VipCareRules", "VipGrade", "care_hazard",
    "care_load", "day_seed", "draw_skills", "draw_speeds", "hire_rules", "horizon_rules", "learning", "rng", "run_days",
    "simulate_days", "skill_scaled", "vip_care_rules", "vip_thinned",
]
