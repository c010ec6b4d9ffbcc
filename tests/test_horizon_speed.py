"""Tellers' service speed over a horizon: drawn per person, on the learning curve, passed to the model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from sim.analysis import paired_difference
from sim.horizon import (
    DaySpec,
    HireRules,
    Horizon,
    HorizonRules,
    Inside,
    OutletDays,
    Person,
    day_seed,
    draw_speeds,
    learning,
    run_days,
    simulate_days,
    vip_thinned,
)
from tests.conftest import SCENARIOS

BACKBONE = SCENARIOS / "backbone_outlet.toml"


def test_speed_draws_have_mean_one_and_the_stated_cv() -> None:
    speeds = draw_speeds(HireRules(speed_cv=0.15), np.random.default_rng(3), 40_000)
    assert speeds.mean() == pytest.approx(1.0, abs=0.005)        # standard error 0.00075
    assert speeds.std() / speeds.mean() == pytest.approx(0.15, rel=0.03)
    assert (draw_speeds(HireRules(speed_cv=0.0), np.random.default_rng(3), 5) == 1.0).all()


def test_only_speed_roles_get_speeds() -> None:
    horizon = Horizon([sim.load_scenario(BACKBONE)], HorizonRules(), seed=2)
    by_role: dict[str, list[float]] = {}
    for _, p in horizon.people:
        by_role.setdefault(p.role, []).append(p.speed)
    assert len(set(by_role["cash_teller"])) == len(by_role["cash_teller"]) > 1     # each teller their own
    assert all(v == 1.0 for r, vs in by_role.items() if r not in ("cash_teller", "low_counter_teller") for v in vs)


def test_a_new_hire_learns_speed_like_skill() -> None:
    rules = HireRules(learning_weeks=4, learning_start=0.5)
    hire = Person("x/cash_teller_1#2", "cash_teller", 1.2, start_day=100, speed=1.4)
    for day in (100, 110, 120, 130):
        assert hire.speed_on(day, rules) == pytest.approx(1.4 * learning(day - 100, rules))
        assert hire.skill_on(day, rules) == pytest.approx(1.2 * learning(day - 100, rules))


def test_a_day_runs_the_model_with_the_inside_tellers_speeds() -> None:
    """An outlet-day with a slow first teller equals the model run on the scenario with that speed list."""
    scenario = sim.load_scenario(BACKBONE)
    counts = tuple((r.id, r.count) for r in scenario.roles.values())
    tellers = scenario.roles["cash_teller"].inside
    inside = tuple(Inside(f"cash_teller_{k + 1}", f"o/cash_teller_{k + 1}", "cash_teller", 1.0, 0.5 if k == 0 else 1.0)
                   for k in range(tellers))
    spec = DaySpec(day=0, counts=counts, cm_inside=scenario.roles["customer_manager"].inside, inside=inside,
                   outside=(), volume=1.0)
    task = OutletDays(key=(0, 0), scenario=scenario, seed=9, replication=0, outlet=0, skill_max=1.0, days=(spec,))
    _, [day] = simulate_days(task)
    slow = sim.with_overrides(scenario, {"staff.cash_teller.speed": [0.5] + [1.0] * (tellers - 1)})
    direct = sim.day_kpis(sim.simulate(slow, seed=day_seed(9, 0, 0, 0)))
    assert day.outlet["served"] == direct.outlet[sim.OUTLET_KPIS.index("served")]
    assert day.outlet["mean_wait_min"] == direct.zones[sim.ZONES.index("waiting"), sim.ZONE_KPIS.index("mean_wait_min")]
    # The same customers wait longer behind a slow teller: not on every single day (one in ten, measured
    # over 120 seeds, the slow teller happens to be at lunch in the peak), so judged over 30 paired days
    # by the 95% interval of the difference, which must lie above 0.
    normal = dataclasses.replace(spec, inside=tuple(p._replace(speed=1.0) for p in inside))
    waits = []
    for person_spec in (spec, normal):
        days = tuple(dataclasses.replace(person_spec, day=d) for d in range(30))
        _, results = simulate_days(dataclasses.replace(task, days=days))
        waits.append([r.outlet["mean_wait_min"] for r in results])
    diff = paired_difference(waits[1], waits[0])
    assert diff.ci95_low > 0, diff


def test_people_rows_report_each_tellers_speed() -> None:
    horizon = Horizon([sim.load_scenario(BACKBONE)], HorizonRules(day_of_month_profile=(1.0,)), seed=4)
    drawn = {p.id: p.speed for _, p in horizon.people}
    [span] = run_days([horizon], 0, 2)
    tellers = span.people[span.people["role"] == "cash_teller"]
    assert not tellers.empty
    assert all(row.speed == pytest.approx(drawn[row.person]) for row in tellers.itertuples())


def test_vip_thinning_scales_priority_rates_and_keeps_the_others() -> None:
    scenario = sim.load_scenario(BACKBONE)
    shares, volume = vip_thinned(scenario, 0.5)
    thinned = scenario.with_shares(shares).with_surge(volume)
    as_file = sim.with_overrides(scenario, {**{f"segments.{k}.share": v for k, v in shares.items()},
                                            "arrivals.surge_factor": volume})
    assert thinned == as_file  # the typed day is the day the file form would give
    for seg in scenario.segments.values():
        before = scenario.expected_customers * seg.share
        after = thinned.expected_customers * thinned.segments[seg.id].share
        assert after == pytest.approx(before * (0.5 if seg.priority else 1.0), rel=1e-6), seg.id
    assert vip_thinned(scenario, 1.0) == ({}, 1.0)


def test_an_empty_vip_book_brings_no_more_vips() -> None:
    """Every VIP walk-out loses the VIP (churn 1) from a book of 3: once it is empty, no VIP comes to walk out."""
    scenario = sim.with_overrides(sim.load_scenario(BACKBONE), {"segments.vip.churn_probability": 1.0,
                                                                 "arrivals.surge_factor": 2.5})
    horizon = Horizon([scenario], HorizonRules(day_of_month_profile=(1.0,), vip_book=3), seed=1)
    [span] = run_days([horizon], 0, 12)
    days = span.outlets.sort_values("day")
    assert days["vip_lost"].sum() == 3
    empty_from = int(days.loc[days["vip_book"] == 0, "day"].min())
    assert (days.loc[days["day"] > empty_from, "vip_walkouts"] == 0).all()
    assert days.loc[days["day"] <= empty_from, "vip_walkouts"].sum() >= 3
