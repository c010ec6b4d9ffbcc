"""People who change between quarters: training that raises skill, and the exchange into CM posts.

Two of the essay's customer-manager systems (四、四是加强客户经理系统管理), each a rules-file
table that is off by default (every output as before, bit for bit):

**Training** (``[training]``): "着力客户经理培训制度 ... 支行信贷部、市场部、个金部定期组织员工,
进行产品业务学习" (the sub-branch's departments regularly gather staff for product study). Each
quarter every person of ``roles`` spends ``days_per_quarter`` working days away from work
(:attr:`sim.horizon.Horizon.away`: the post is empty those days, so the time away costs what
the person would have sold and, inside, the queue they would have served); the days are a
block staggered by the person's place among the outlet's trainees (:func:`training_days`), so
an outlet's trainees are not all away at once. After the quarter each trainee's skill (the
multiplier on conversion, :mod:`sim.horizon`) rises by ``skill_gain_per_day`` for every
training day they were in post, up to ``skill_cap`` (a skill already above it stays). All
three numbers are *assumed*: the essay names the system, not its size.

**The CM exchange** (``[exchange]``): "对表现突出的内勤人员进行客户经理岗位交流" (outstanding
inside staff are moved into customer-manager posts), as the sub-branch did "通过考核的方式将一批
优秀员工充实到了客户经理和理财经理队伍中" (by assessment). After each quarter the people of
role ``from`` with the most points that quarter (the assessment; ties by higher skill, then
id), at most ``per_quarter`` and ``max_people`` over the whole study, move into role ``to`` at
their own outlet from the next quarter: the outlet has one ``from`` fewer and one ``to`` more
(an outlet never loses its last ``from``, and only outlets whose scenario has a ``[staff.to]``
block take part). The fields are those of a region file's ``[[conversions]]``
(:class:`optimize.region.Conversion`: ``from``, ``to``, ``max_people``,
``training_cost_yuan``, charged once per person, in the quarter of the move); the optimiser's
conversion serves from day one, here ``learning = true`` (default) puts the person on the
hire's learning curve in the new post (``hiring.learning_start`` rising over
``learning_weeks``) and ``false`` reproduces the optimiser's reading. The person keeps their
id and skill. The other half of the essay's exchange, rotating customer managers across
business lines ("对客户经理按业务进行定期交流"), is not modelled: the model's customer managers
have no business lines (their daily turns inside and outside are ``horizon.rotation_days``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from sim.codes import ROLES
from sim.horizon import MAX_DAYS_PER_QUARTER, MAX_SKILL, HorizonRules, Person
from sim.scenario_types import MAX_HEADCOUNT, MAX_YUAN
from sim.tomlio import Table

#: Roles that may be trained or exchanged: every staff role but the head's.
STAFF_ROLES = tuple(r for r in ROLES if r != "outlet_head")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingRules:
    """Training days away from work that raise skill (see the module docstring); off by default, all assumed."""

    enabled: bool = False
    roles: tuple[str, ...] = ("customer_manager",)
    days_per_quarter: int = 3  # assumed: product study days a quarter per person
    skill_gain_per_day: float = 0.01  # assumed: skill multiplier gained per training day
    skill_cap: float = 1.5  # assumed: training raises skill at most to here (at most hiring.skill_max)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeRules:
    """Outstanding inside staff moved into customer-manager posts by assessment; off by default.

    ``from_role``/``to_role``, ``max_people`` and ``training_cost_yuan`` mean what they mean in a
    region file's ``[[conversions]]``; ``per_quarter`` (assumed) and ``learning`` are the
    quarter study's own (see the module docstring).
    """

    enabled: bool = False
    from_role: str = "low_counter_teller"  # assumed: the inside staff who sell at the low counter
    to_role: str = "customer_manager"
    per_quarter: int = 2  # assumed
    max_people: int = 6  # assumed
    training_cost_yuan: float = 5000.0  # assumed: once per person moved
    learning: bool = True


def training_days(slot: int, first_day: int, days_per_quarter: int, rules: TrainingRules) -> frozenset[int]:
    """The working days the outlet's ``slot``-th trainee (0, 1, …, roster order) is away in the quarter.

    A block of ``rules.days_per_quarter`` consecutive days starting ``slot × days`` into the
    quarter, wrapping round within it: trainee 0 on days 0, 1, 2, trainee 1 on 3, 4, 5, …
    """
    start = slot * rules.days_per_quarter
    return frozenset(first_day + (start + i) % days_per_quarter for i in range(rules.days_per_quarter))


def trained(person: Person, days: frozenset[int], rules: TrainingRules) -> tuple[int, Person]:
    """Training days ``person`` was in post for, and the person with the skill they gained."""
    n = sum(person.present(d) for d in days)
    skill = max(person.skill, min(rules.skill_cap, person.skill + rules.skill_gain_per_day * n))
    return n, dataclasses.replace(person, skill=skill)


def assessment_order(people: pd.DataFrame, eligible: set[str]) -> list[str]:
    """The people of ``eligible`` in the assessment's order: most points, then higher skill, then id.

    ``people``: the quarter's rows (columns ``person``, ``points``, ``skill``).
    """
    rows = people[people["person"].isin(eligible)]
    order = rows.sort_values(["points", "skill", "person"], ascending=[False, False, True], kind="stable")
    return list(order["person"])


def moved(person: Person, day: int, rules: ExchangeRules, horizon: HorizonRules) -> Person:
    """``person`` in their new post from ``day``: role ``to_role``, their skill (1 outside ``skill_roles``), the
    hire's learning curve from ``day`` when ``learning``; speed 1 outside ``speed_roles``."""
    skill = person.skill if rules.to_role in horizon.skill_roles else 1.0
    speed = person.speed if rules.to_role in horizon.speed_roles else 1.0
    start = day if rules.learning else person.start_day
    return Person(person.id, rules.to_role, skill, start, speed)


def _roles(t: Table, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    roles = t.raw(key, list(default))
    if not isinstance(roles, list) or not roles or any(r not in STAFF_ROLES for r in roles) \
            or len(set(roles)) < len(roles):
        raise t.fail(key, f"{roles!r}: a non-empty list of distinct roles from {', '.join(STAFF_ROLES)}")
    return tuple(roles)


def training_rules(t: Table, horizon: HorizonRules) -> TrainingRules:
    """Read the ``[training]`` table; the days must leave a working day in the quarter, the cap within
    ``hiring.skill_max`` (the thinning bound of :mod:`sim.horizon`) — checked when training is on or the
    field is given."""
    d = TrainingRules()
    rules = TrainingRules(enabled=t.boolean("enabled", d.enabled), roles=_roles(t, "roles", d.roles),
                          days_per_quarter=t.integer("days_per_quarter", d.days_per_quarter, ge=1,
                                                     le=MAX_DAYS_PER_QUARTER),
                          skill_gain_per_day=t.number("skill_gain_per_day", d.skill_gain_per_day, ge=0.0,
                                                      le=MAX_SKILL),
                          skill_cap=t.number("skill_cap", d.skill_cap, gt=0.0, le=MAX_SKILL))
    # checked when they apply: training on, or the field given (a short horizon keeps the defaults idle)
    if (rules.enabled or t.has("days_per_quarter")) and rules.days_per_quarter >= horizon.days_per_quarter:
        raise t.fail("days_per_quarter", f"must be < horizon.days_per_quarter ({horizon.days_per_quarter}): a "
                     f"trainee needs a working day, got {rules.days_per_quarter}")
    if (rules.enabled or t.has("skill_cap")) and rules.skill_cap > horizon.hire.skill_max:
        raise t.fail("skill_cap", f"must be <= hiring.skill_max ({horizon.hire.skill_max:g}), the most skill the "
                     f"simulation can show, got {rules.skill_cap:g}")
    t.finish()
    return rules


def exchange_rules(t: Table) -> ExchangeRules:
    """Read the ``[exchange]`` table (fields as a region file's ``[[conversions]]``); errors name file and field."""
    d = ExchangeRules()
    rules = ExchangeRules(enabled=t.boolean("enabled", d.enabled),
                          from_role=t.string("from", d.from_role, STAFF_ROLES),
                          to_role=t.string("to", d.to_role, ("customer_manager", "wealth_manager")),
                          per_quarter=t.integer("per_quarter", d.per_quarter, ge=1, le=MAX_HEADCOUNT),
                          max_people=t.integer("max_people", d.max_people, ge=1, le=MAX_HEADCOUNT),
                          training_cost_yuan=t.number("training_cost_yuan", d.training_cost_yuan, ge=0.0,
                                                      le=MAX_YUAN),
                          learning=t.boolean("learning", d.learning))
    if rules.from_role == rules.to_role:
        raise t.fail("to", f"must differ from 'from' ({rules.from_role})")
    t.finish()
    return rules


__all__ = ["STAFF_ROLES", "ExchangeRules", "TrainingRules", "assessment_order", "exchange_rules", "moved", "trained",
           "training_days", "training_rules"]
