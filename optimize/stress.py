"""Which moves hold if an assumed number is wrong: the recommendation re-solved under scaled assumptions.

The biggest moves of a plan can rest on numbers nobody measured — the scenarios mark
them *assumed*: cross-sale chances per role, field marketing's conversion, what a
walk-out costs. :func:`stress_test` scales each named assumption by each factor
(default ×0.5 and ×1.5), re-evaluates the patterns still in the running when the base run
solved, each on the same days as there (common random numbers, the same number of days),
re-solves with the same rules and the same method (stable stage included; the base run's
service screening and verification are not repeated), and reports for every move of the recommended plan
whether the variant's plan moves the same way at that outlet (same role, placement and
sign of change): the *moves that hold* table.

Days are re-simulated only where the change alters them: a walk-out's cost enters only
the day's value lost, which scales exactly, so that variant reuses the base days.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.candidates import KEPT, Candidate, Fate, Origin
from optimize.evaluate import METRICS, Evaluator
from optimize.problem import Problem
from optimize.region import OutletSpec, Region
from optimize.result import Recommendation
from optimize.stages import derive_seed, simulate_plans, stable_solve
from optimize.state import OutletState, Settings
from optimize.tables import plan_of_row
from sim.executors import make_executor
from sim.scenario import with_overrides
from sim.scenario_types import Scenario
from sim.staffing import StaffingPlan

#: Default factors each assumption is scaled by.
FACTORS = (0.5, 1.5)


@dataclass(frozen=True)
class Assumption:
    """A named assumed parameter: how a factor changes a scenario, and whether days must be re-simulated."""

    name: str
    overrides: Callable[[Scenario, float], dict[str, object]]
    resimulate: bool = True


def _cross_sale(role: str) -> Callable[[Scenario, float], dict[str, object]]:
    def scale(sc: Scenario, f: float) -> dict[str, object]:
        return {f"sales.cross_sale.{z}.{role}": min(1.0, p[role] * f) for z, p in sc.sales.cross_sale.items()
                if role in p}
    return scale


def _field(sc: Scenario, f: float) -> dict[str, object]:
    return {"field.conversion": min(1.0, sc.field_marketing.conversion * f)}


def _walkout(sc: Scenario, f: float) -> dict[str, object]:
    return {**{f"segments.{s}.walkout_value_lost_yuan": seg.walkout_value_lost_yuan * f
               for s, seg in sc.segments.items()},
            **{f"segments.{s}.churn_value_yuan": seg.churn_value_yuan * f for s, seg in sc.segments.items()}}


#: The assumptions :func:`stress_test` scales by default.
ASSUMPTIONS = (
    Assumption("cross_sale.customer_manager", _cross_sale("customer_manager")),
    Assumption("cross_sale.low_counter_teller", _cross_sale("low_counter_teller")),
    Assumption("cross_sale.wealth_manager", _cross_sale("wealth_manager")),
    Assumption("field.conversion", _field),
    Assumption("walkout_loss", _walkout, resimulate=False),
)


def _state(rec: Recommendation, spec: OutletSpec, seed: int) -> tuple[OutletState, list[int]]:
    """The patterns of one outlet still in the running when the base run solved (and today's, for the
    paired noise), each with as many days as the base run gave it: a factor of 1 repeats the base run."""
    c = rec.candidates[rec.candidates["outlet"] == spec.name]
    keep = c[(c["status"] == str(KEPT)) | (c["origin"] == Origin.CURRENT.value)]
    rows = keep.to_dict("records")
    plans = [plan_of_row(row) for row in rows]
    prior = c["prior_sd_yuan"].dropna() if "prior_sd_yuan" in c else pd.Series(dtype=float)
    st = OutletState(spec=spec, seed=seed,
                     candidates=[Candidate(p, Origin(str(r["origin"])), Fate.parse(str(r["status"])))
                                             for p, r in zip(plans, rows, strict=True)],
                     prior_var=float(prior.iloc[0]) ** 2 if len(prior) else None)  # the base run's prior, kept
    return st, [int(r["replications"]) for r in rows]


def _variant_region(region: Region, a: Assumption, f: float) -> Region:
    outlets = [replace(o, scenario=with_overrides(o.scenario, a.overrides(o.scenario, f), quiet=True))
               for o in region.outlets]
    return replace(region, outlets=tuple(outlets))


def stress_test(region: Region, rec: Recommendation, *, assumptions: Sequence[Assumption] = ASSUMPTIONS,
                factors: Sequence[float] = FACTORS, executor: str = "processes",
                workers: int | None = None, scheduler: str | None = None, cache_dir: str | Path | None = None,
                progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """For each move of ``rec``'s plan, whether it holds when each assumption is scaled by each factor.

    Args:
        region: the region ``rec`` was made for (tiers resolved as in the run).
        rec: from :func:`optimize.recommend`.
        assumptions, factors: what is scaled, and by how much.
        executor, workers, scheduler, cache_dir: as for :func:`optimize.recommend`.
        progress: called with the number of days simulated after each block.

    Returns:
        One row per move (``outlet``, ``role``, ``placement``, ``change``; a retuned flexible post is a row
        with placement ``flex.ZONE`` and the change of its ``open_above``), a column per
        variant (``"cross_sale.customer_manager x0.5"`` …) holding the variant plan's
        change there, and ``holds`` (variants in which the move keeps its direction) of
        ``variants``.
    """
    if any(not (isinstance(f, int | float) and 0 < f <= 100) for f in factors):
        raise ValueError(f"factors: each a number in (0, 100], got {list(factors)!r}")
    s = Settings(replications=rec.replications, verify_replications=rec.replications, seed=rec.seed, solver=rec.solver,
                 gap=rec.gap_limit, frontier=0, stage2=1,
                 stable=bool(rec.stability.get("tolerance_yuan")))
    tiers = dict(zip(rec.plan["outlet"], rec.plan["tier"], strict=True))  # as the run resolved them
    region = replace(region, outlets=tuple(replace(o, tier=str(tiers.get(o.name, o.tier))) for o in region.outlets))
    key = ["outlet", "role", "placement"]
    moved = rec.plan.loc[rec.plan["change"] != 0, [*key, "change"]].reset_index(drop=True)
    retuned = _retuned(rec)
    if not retuned.empty:
        moved = pd.concat([moved, retuned], ignore_index=True)
    out = moved.copy()
    pool = make_executor(executor, workers, scheduler)
    ev = Evaluator(pool, Path(cache_dir) if cache_dir is not None else None, progress)
    names = []
    base = Problem(region, rec.solver, rec.gap_limit)
    try:
        base_days: dict[int, dict[StaffingPlan, np.ndarray]] = {}
        for a in assumptions:
            for f in factors:
                variant = _variant_region(region, a, f)
                built = [_state(rec, spec, derive_seed(rec.seed, 0, o)) for o, spec in enumerate(variant.outlets)]
                states, days = [b[0] for b in built], [b[1] for b in built]
                _evaluate(ev, base, states, days, a, f, base_days)
                sol, menu, _ = stable_solve(Problem(variant, rec.solver, rec.gap_limit), states, s)
                chosen = {st.spec.name: p for st, p in zip(states, menu.plans(sol), strict=True)}
                now = {o.name: o.scenario.staffing_plan() for o in region.outlets}
                name = f"{a.name} x{f:g}"
                names.append(name)
                out[name] = [_change(chosen[r["outlet"]], now[r["outlet"]], r["role"], r["placement"])
                             for r in moved.to_dict("records")]
    finally:
        pool.close()
    signs = np.sign(out["change"].to_numpy())[:, None]
    out["holds"] = (np.sign(out[names].to_numpy()) == signs).sum(axis=1) if names else 0
    out["variants"] = len(names)
    return out


def _evaluate(ev: Evaluator, problem: Problem, states: list[OutletState], days: list[list[int]], a: Assumption,
              f: float, base_days: dict[int, dict[StaffingPlan, np.ndarray]]) -> None:
    """Fill each state's days: re-simulated under the variant (``states`` hold the variant's outlets), or
    the days of the base ``problem``'s outlets with value lost scaled; the day types are the base's."""
    if a.resimulate:
        items: list[tuple[OutletState, StaffingPlan | None, int, int]] = [
            (st, c.plan, st.seed, n) for st, ns in zip(states, days, strict=True)
            for c, n in zip(st.candidates, ns, strict=True)]
        for (st, p, _, _), per_type in zip(items, simulate_plans(ev, problem, items), strict=True):
            assert p is not None
            st.store(problem, p, per_type)
        return
    if not base_days:
        base = [OutletState(spec=spec, seed=st.seed) for spec, st in zip(problem.region.outlets, states, strict=True)]
        items = [(b, p, st.seed, n) for b, st, ns in zip(base, states, days, strict=True)
                 for p, n in zip((c.plan for c in st.candidates), ns, strict=True)]
        for (b, p, _, _), per_type in zip(items, simulate_plans(ev, problem, items), strict=True):
            assert p is not None
            b.store(problem, p, per_type)
        for o, b in enumerate(base):
            base_days[o] = b.days
    lost = METRICS.index("value_lost_yuan")
    for o, st in enumerate(states):
        st.days = {}
        for p, d in base_days[o].items():
            scaled = d.copy()
            scaled[:, lost] *= f
            st.days[p] = scaled


#: The stress table's ``placement`` of a flexible post's threshold: ``flex.ZONE`` (its change: ``open_above``).
FLEX_PLACEMENT = "flex."


def _retuned(rec: Recommendation) -> pd.DataFrame:
    """The plan's retuned flexible posts as stress rows: the post's role, placement ``flex.ZONE`` and the change of
    the customers waiting above which its staff are called (a ``close_below`` change alone is not a row)."""
    changed = rec.flex_changes()
    rows = [{"outlet": r["outlet"], "role": r["role"], "placement": FLEX_PLACEMENT + str(r["zone"]),
             "change": int(r["recommended_open_above"]) - int(r["current_open_above"])}
            for r in changed.to_dict("records")] if not changed.empty else []
    return pd.DataFrame([r for r in rows if r["change"]], columns=["outlet", "role", "placement", "change"])


def _open_above(plan: StaffingPlan, now: StaffingPlan, zone: str) -> int:
    return next((t.open_above for t in (*plan.flex, *now.flex) if t.zone == zone), 0)


def _change(plan: StaffingPlan, now: StaffingPlan, role: str, placement: str) -> int:
    if placement.startswith(FLEX_PLACEMENT):
        zone = placement.removeprefix(FLEX_PLACEMENT)
        return _open_above(plan, now, zone) - _open_above(now, now, zone)
    if role == "customer_manager" and placement == "inside":
        return plan.cm_inside - now.cm_inside
    if role == "customer_manager" and placement == "outside":
        return plan.cm_outside - now.cm_outside
    return plan.count(role) - now.count(role)
