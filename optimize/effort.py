"""Effort that answers pay: each customer manager's myopic best response to the bands in force.

The essay's section 四 rests on performance pay spurring marketing ("激发营销动力",
"以充分调动客户经理营销积极性"). Without this module nothing in a quarter study responds
to pay; with ``[effort] response = "best_response"`` each person of ``roles`` picks an
effort level ``e`` in ``[effort_min, effort_max]`` at the start of every quarter:

    e* = argmax_e  W · paid_points(e · b)  −  R · b · e^k / k,      k = 1 + 1 / elasticity

- ``b``: the points the person expects at effort 1 — last quarter's points ÷ last
  quarter's effort, scaled to a full quarter when they were present only part of it
  (myopic: last quarter is taken as the forecast, no randomness, no look beyond the
  quarter). With no quarter behind them (quarter 1, a new hire's first quarter) people
  make effort 1.
- ``W``: yuan per full-rate point = ``cm_points_weight × yuan_per_point`` × the
  front-office and grassroots premiums; ``paid_points`` the band reading in force
  (:func:`optimize.pay.paid_points`), so the marginal pay of the next point is its slope.
- The cost of effort, in yuan-equivalent a quarter, is ``R · b · e^k / k`` (convex;
  ``k = 2`` is the textbook ``c · e² / 2``). ``R = reference_yuan_per_point`` is the
  marginal pay at which people make today's effort: with every point paid ``R`` the best
  response is exactly ``e = 1``. Where pay is linear in points at marginal pay ``m`` the
  best response is ``e = (m / R) ^ elasticity``: ``elasticity`` is the elasticity of
  effort with respect to the marginal pay of a point. Where pay has steps (the level and
  rising readings) the whole objective is compared over a grid of efforts (step
  ``EFFORT_STEP``), so a person just below an edge may push past it and a person just
  above a level-reading cliff may hold back below it; ties go to the effort nearest 1.
- Rank rewards, the exit rule and the outlet-score part of pay are not in the objective
  (myopic on the points part only).

What effort does in the simulation: it multiplies the person's skill for the quarter.
Skill scales the chance that a pitch at the counters converts (the kept share of
credited sales, :mod:`sim.horizon`) and the conversion of each field visit; a field
visit succeeding ``e`` times as often wins, in expectation, what ``e`` times the visits
per day would (each visit is an independent draw against the same prospect pool), so
effort scales both the pitch chance and the field visits per day. Effort does not change
the queues (sales never do in the model). Thinning is exact only while skill × effort
stays at or below ``hiring.skill_max``; person-quarters past it are marked
``effort_capped`` (their effort is understated).

Grounding of the default shape (published findings, facts only):

- Paarsch & Shearer (Journal of Human Resources 1999; BC tree planters, piece rates):
  structural elasticity of effort with respect to the piece rate about 2.1, with a
  non-structural lower bound of about 0.8.
- Haley (Journal of Human Resources 2003; US Midwest loggers, same method): 0.41–1.51.
- Paarsch & Shearer (European Economic Review 2009; a field experiment that raised the
  piece rate exogenously): output elasticity 0.39 by regression, 0.37 structural. Shearer
  (Review of Economic Studies 2004; an experiment, same industry): piece rates raised
  productivity about 20% over fixed wages.
- Lazear (American Economic Review 2000; Safelite, hourly pay to piece rates): output per
  worker up 44%, about half of it from the same workers' effort, the rest from selection.
- Misra & Nair (Quantitative Marketing and Economics 2011; a US sales force): removing a
  cap and a ratchet was predicted to raise sales about 8%; implemented, revenue rose 9%.
- Chung, Steenburgh & Sudhir (Marketing Science 2014): overachievement commissions keep
  top sellers selling after quota; quarterly bonuses pace weak performers.

They support the *direction* (effort rises with the marginal reward; a dip in the
marginal rate slows people there; steps pull people up to them) and an elasticity
between roughly 0.4 and 2 for physical piece work. They do not measure a Chinese bank
outlet, where sales need customers walking in and a finite local market: the default
``elasticity = 0.35`` (*assumed*) sits just below the experimental 0.37–0.39, and the
bounds 0.8–1.2 (*assumed*) keep effort within ±20% of today's. Sweep them before
trusting a ranking of pay schemes on them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.pay import PayRules, paid_points
from sim.horizon import Horizon, Person
from sim.scenario_types import MAX_YUAN
from sim.tomlio import Table

RESPONSES = ("none", "best_response")
EFFORT_ROLES = ("customer_manager", "wealth_manager")
#: Grid step of the best response (effort units).
EFFORT_STEP = 0.0025
#: Widest effort range a rules file may give.
MAX_EFFORT = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class EffortRules:
    """How people's effort answers pay (``[effort]`` of the rules file; all assumed but ``response``).

    ``response``: ``none`` (everyone at effort 1: today's numbers, bit for bit) or
    ``best_response``. ``elasticity``: of effort with respect to the marginal pay of a
    point (cost exponent ``1 + 1/elasticity``). ``effort_min``/``effort_max``: bounds
    (multipliers of today's effort). ``reference_yuan_per_point``: the marginal pay, in
    yuan per point, at which people make effort 1. ``roles``: who responds (wealth
    managers, whose pay the quarter study does not compute, respond as if paid by the
    CM points rule).
    """

    response: str = "none"
    elasticity: float = 0.35  # assumed: just below the field experiment's 0.37-0.39 (Paarsch & Shearer 2009)
    effort_min: float = 0.8  # assumed
    effort_max: float = 1.2  # assumed
    reference_yuan_per_point: float = 0.847  # assumed: the shipped full rate, 0.7 x 1 yuan x 1.1 x 1.1
    roles: tuple[str, ...] = ("customer_manager",)

    @property
    def on(self) -> bool:
        """True when effort responds to pay."""
        return self.response != "none"


def effort_grid(rules: EffortRules) -> np.ndarray:
    """The efforts compared, from ``effort_min`` to ``effort_max`` (both included), nearest to 1 first."""
    n = round((rules.effort_max - rules.effort_min) / EFFORT_STEP)
    grid = np.unique(np.concatenate([np.linspace(rules.effort_min, rules.effort_max, n + 1),
                                     np.clip([1.0], rules.effort_min, rules.effort_max)]))
    return np.asarray(grid[np.argsort(np.abs(grid - 1.0), kind="stable")])


def best_response(expected_points: np.ndarray | pd.Series, pay: PayRules, effort: EffortRules,
                  premium: float = 1.0) -> np.ndarray:
    """Best-response effort of people who expect ``expected_points`` at effort 1 (see the module docstring).

    ``premium``: the pay multiplier of the people (front office × grassroots). Returns one
    effort per person in ``[effort_min, effort_max]``; a person expecting 0 points (or not
    finite) makes effort 1 (clipped to the bounds).
    """
    b = np.asarray(expected_points, dtype=float)
    grid = effort_grid(effort)
    k = 1.0 + 1.0 / effort.elasticity
    w = pay.cm_points_weight * pay.yuan_per_point * premium
    usable = np.isfinite(b) & (b > 0)
    safe = np.where(usable, b, 0.0)
    gain = w * paid_points(safe[:, None] * grid[None, :], pay)
    cost = effort.reference_yuan_per_point * safe[:, None] * grid[None, :] ** k / k
    chosen = grid[np.argmax(gain - cost, axis=1)]  # argmax takes the first best: nearest to 1
    return np.asarray(np.where(usable, chosen, float(np.clip(1.0, effort.effort_min, effort.effort_max))))


def expected_points(last: pd.DataFrame, days_per_quarter: int) -> pd.Series:
    """Points each person expects next quarter at effort 1, from last quarter's row (person index).

    ``last`` has columns ``person``, ``points``, ``effort``, ``days_present``: points ÷ effort
    × ``days_per_quarter`` ÷ days present (0 days: no forecast, NaN).
    """
    present = last["days_present"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = last["points"].to_numpy(float) / last["effort"].to_numpy(float) * days_per_quarter / present
    return pd.Series(np.where(present > 0, b, np.nan), index=last["person"].to_numpy(), name="expected_points")


def choose_efforts(horizon: Horizon, last: pd.DataFrame | None, pay: PayRules, effort: EffortRules,
                   days_per_quarter: int, premium: float) -> dict[str, float]:
    """Effort of every person of ``effort.roles`` on ``horizon``'s rosters for the coming quarter.

    ``last``: the previous quarter's people rows of this replication (``None`` before
    quarter 1); people without a row there (quarter 1, new hires) make effort 1.
    """
    people = [p for _, p in horizon.people if p.role in effort.roles]
    if last is None or not people:
        return {p.id: 1.0 for p in people}
    forecast = expected_points(last, days_per_quarter).reindex([p.id for p in people])
    chosen = best_response(forecast.to_numpy(), pay, effort, premium)
    return {p.id: (float(e) if np.isfinite(b) else 1.0) for p, e, b in zip(people, chosen, forecast, strict=True)}


def apply_efforts(horizon: Horizon, efforts: Mapping[str, float]) -> list[tuple[int, int, Person]]:
    """Multiply the skill of each person named in ``efforts`` by their effort, on ``horizon``'s rosters.

    Returns the people replaced (outlet, slot, original person) for :func:`restore_skills`.
    """
    replaced = []
    for o, out in enumerate(horizon.outlets):
        for slot, person in enumerate(out.roster):
            e = efforts.get(person.id)
            if e is not None and e != 1.0:
                replaced.append((o, slot, person))
                out.roster[slot] = dataclasses.replace(person, skill=person.skill * e)
    return replaced


def restore_skills(horizon: Horizon, replaced: list[tuple[int, int, Person]]) -> None:
    """Put back the people :func:`apply_efforts` replaced (their own skill)."""
    for o, slot, person in replaced:
        horizon.outlets[o].roster[slot] = person


def effort_rules(t: Table) -> EffortRules:
    """Read the ``[effort]`` table (defaults from :class:`EffortRules`); errors name the file and field."""
    d = EffortRules()
    low = t.number("effort_min", d.effort_min, gt=0.0, le=MAX_EFFORT)
    high = t.number("effort_max", d.effort_max, gt=0.0, le=MAX_EFFORT)
    if not low <= 1.0 <= high:
        raise t.fail("effort_max" if high < 1.0 else "effort_min", f"effort_min ({low:g}) <= 1 <= effort_max "
                     f"({high:g}) is required: effort 1 is today's, which 'none' reproduces")
    roles = t.raw("roles", list(d.roles))
    if not isinstance(roles, list) or not roles or any(r not in EFFORT_ROLES for r in roles) \
            or len(set(roles)) < len(roles):
        raise t.fail("roles", f"{roles!r}: a non-empty list of distinct roles from {', '.join(EFFORT_ROLES)}")
    rules = EffortRules(response=t.string("response", d.response, RESPONSES),
                        elasticity=t.number("elasticity", d.elasticity, ge=0.01, le=10.0), effort_min=low,
                        effort_max=high,
                        reference_yuan_per_point=t.number("reference_yuan_per_point", d.reference_yuan_per_point,
                                                          gt=0.0, le=MAX_YUAN),
                        roles=tuple(roles))
    t.finish()
    return rules


__all__ = ["EffortRules", "apply_efforts", "best_response", "choose_efforts", "effort_grid", "effort_rules",
           "expected_points", "restore_skills"]
