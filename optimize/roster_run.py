"""The roster stage of :func:`optimize.recommend`: every outlet's chosen head-counts rostered, then verified.

Each outlet is rostered by :func:`optimize.roster.roster_outlet` (requirement, MILP,
simulate and correct) on the outlet's roster seed; the final rosters are then simulated
beside today's shifts of the same head-counts on fresh seeds (common random numbers), by
hour (:func:`optimize.roster.hourly_counts`) and by day (the evaluator's metrics, cached:
:func:`sim.roster.apply_roster` keeps the scenario's raw data in step, so a roster's days
are never mistaken for another's). With day types the roster is made for the average day.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optimize.evaluate import Evaluator
from optimize.milp import InfeasibleError
from optimize.problem import Problem
from optimize.roster import OutletRoster, RosterInfeasible, roster_outlet, roster_stage_seed, simulate_hourly
from optimize.stages import derive_seed
from optimize.state import Settings
from sim.staffing import StaffingPlan

#: The seed stage of the rosters' verification days (0, 1: the optimiser's; 2: the roster's own rounds).
VERIFY_STAGE = 3


@dataclass(frozen=True, kw_only=True)
class RosterRun:
    """The rosters and their verification: per outlet the :class:`~optimize.roster.OutletRoster`, then on the
    same fresh days today's shifts' and the roster's hourly counts (``[day, zone, hour, (on time, joined)]``)
    and daily metrics (:data:`optimize.evaluate.METRICS` rows); the chosen plans and the stage's seconds."""

    outlets: list[OutletRoster]
    plans: list[StaffingPlan]
    hourly_today: list[np.ndarray]
    hourly_roster: list[np.ndarray]
    daily_today: list[np.ndarray]
    daily_roster: list[np.ndarray]
    seconds: float


def run_rosters(problem: Problem, plans: list[StaffingPlan], ev: Evaluator, s: Settings) -> RosterRun:
    """Roster each outlet's plan in ``plans`` under the region's ``[roster]`` template and verify the rosters
    against today's shifts on ``s.verify_replications`` fresh days.

    Raises:
        InfeasibleError: an outlet's head-counts cannot be rostered under the template, naming it.
    """
    region = problem.region
    template = region.roster
    assert template is not None
    t0 = time.perf_counter()
    outlets = []
    for o, (spec, plan) in enumerate(zip(region.outlets, plans, strict=True)):
        scenario = spec.scenario.with_staffing(plan)
        try:
            outlets.append(roster_outlet(spec.name, scenario, template, dict(region.limits(spec).service_level),
                                         ev.executor, roster_stage_seed(s.seed, o), s.verify_replications, s.solver))
        except RosterInfeasible as exc:
            raise InfeasibleError([f"roster: {exc}"]) from None
    items_today = [(spec.scenario.with_staffing(plan), derive_seed(s.seed, VERIFY_STAGE, o), s.verify_replications)
                   for o, (spec, plan) in enumerate(zip(region.outlets, plans, strict=True))]
    items_roster = [(r.scenario, seed, n) for r, (_, seed, n) in zip(outlets, items_today, strict=True)]
    hourly = simulate_hourly(ev.executor, [*items_today, *items_roster])
    daily = ev.run([*items_today, *items_roster])
    n = len(outlets)
    return RosterRun(outlets=outlets, plans=list(plans), hourly_today=hourly[:n], hourly_roster=hourly[n:],
                     daily_today=daily[:n], daily_roster=daily[n:], seconds=time.perf_counter() - t0)
