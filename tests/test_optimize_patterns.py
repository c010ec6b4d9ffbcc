"""Candidate patterns: the neighbourhood, the analytic screen against Erlang C, the additive combination."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from optimize.patterns import AnalyticScreen, cm_splits, combine, neighbourhood, role_values
from optimize.region import load_region
from sim.codes import ROLES
from sim.queueing import erlang_c
from sim.scenario import load_scenario
from sim.staffing import StaffingPlan

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def region():  # type: ignore[no-untyped-def]
    return load_region(SCENARIOS / "region_12_outlets.toml")


def test_neighbourhood_moves_one_role_at_a_time(region) -> None:  # type: ignore[no-untyped-def]
    spec = region.outlets[0]
    today = spec.scenario.staffing_plan()
    plans = neighbourhood(spec, region)
    assert plans[0] == today
    assert len(set(plans)) == len(plans)
    for plan in plans[1:]:
        changed = [r for r, c in plan.counts if c != today.count(r)]
        assert len(changed) <= 1
        if changed != ["customer_manager"] and changed:
            assert plan.cm_inside == today.cm_inside
        assert all(r in region.movable for r in changed)
        assert all(abs(plan.count(r) - today.count(r)) <= region.search.step for r in ROLES)


def test_role_values_capped_by_positions() -> None:
    sc = load_scenario(SCENARIOS / "potential_outlet.toml")  # 2 cash windows, 2 tellers
    assert role_values(sc, "cash_teller", 2) == [0, 1, 2, 3]  # at most positions + 1
    assert role_values(sc, "customer_manager", 2) == [3, 4, 5, 6, 7]  # several zones: no cap
    assert cm_splits(5, 5) == [1, 2, 3, 4, 5]
    assert cm_splits(0, 3) == [0]


@pytest.mark.parametrize("servers", [2, 3, 4])
def test_analytic_screen_is_erlang_c_without_patience(servers: int) -> None:
    sc = load_scenario(SCENARIOS / "mmc_cash_only.toml")  # M/M/c: 162 per hour, 1 min, target 2 min
    plan = StaffingPlan.of({"cash_teller": servers})
    screen = AnalyticScreen(sc, {"cash": 0.8}, margin=0.05)
    c = min(servers, 3)  # three windows: a fourth teller adds no server
    expected = erlang_c(162 / 60, 1.0, c).service_level(2.0) if c > 2.7 else 0.0  # 2 tellers: unstable
    got = screen.service_level(plan, "cash")
    assert got == pytest.approx(expected, rel=1e-9)
    assert bool(screen.failures(plan)) == (expected < 0.75)


def test_combine_picks_the_best_additive_combination(region) -> None:  # type: ignore[no-untyped-def]
    spec = region.outlets[3]
    today = spec.scenario.staffing_plan()
    rng = np.random.default_rng(0)
    weight = {r: rng.normal(0, 500) for r in ROLES}
    split = rng.normal(0, 300)

    def value(p: StaffingPlan) -> float:  # exactly additive in the roles' counts
        return sum(weight[r] * c for r, c in p.counts) + split * p.cm_inside

    plans = neighbourhood(spec, region)
    values = {p: value(p) for p in plans}
    added = combine(spec, region, values, lambda counts, inside: np.ones(len(inside), dtype=bool))
    assert added
    assert not set(added) & set(plans)
    # brute force over the same options: the best at each total head-count is proposed (or already known)
    options = {r: sorted({p.count(r) for p in plans}) for r in region.movable if r in spec.scenario.roles}
    best: dict[int, float] = {}
    for combo in itertools.product(*options.values()):
        counts = {**dict(today.counts), **dict(zip(options, combo, strict=True))}
        for inside in {p.cm_inside for p in plans if p.count("customer_manager") == counts["customer_manager"]}:
            plan = StaffingPlan.of(counts, inside)
            best[plan.total] = max(best.get(plan.total, -np.inf), value(plan))
    for level in range(today.total - region.search.total_step, today.total + region.search.total_step + 1):
        if level in best:
            proposed = [value(p) for p in [*added, *plans] if p.total == level]
            assert max(proposed) == pytest.approx(best[level])
