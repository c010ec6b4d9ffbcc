"""The typed staffing plan: building it, reading it off a scenario, and applying it without re-parsing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sim
from sim import scenario as scenario_module
from sim.scenario_types import MAX_HEADCOUNT
from tests.conftest import SCENARIOS

BACKBONE = SCENARIOS / "backbone_outlet.toml"


@pytest.fixture(scope="module")
def backbone() -> sim.Scenario:
    return sim.load_scenario(BACKBONE)


def test_plan_of_the_shipped_backbone_outlet(backbone: sim.Scenario) -> None:
    plan = backbone.staffing_plan()
    # the file: 1 head, 1 ops, 1 lobby, 1 deputy, 1 guide, 3 cash, 2 low counter, 6 CM (3 inside), 1 WM
    assert plan.count("cash_teller") == 3
    assert plan.count("customer_manager") == 6
    assert (plan.cm_inside, plan.cm_outside) == (3, 3)
    assert plan.total == 17
    assert plan.as_dict()["customer_manager_inside"] == 3


@pytest.mark.parametrize(("counts", "cm_inside", "problem"), [
    ({"teller": 1}, None, "unknown role"),
    ({"cash_teller": -1}, None, "whole number >= 0"),
    ({"cash_teller": 1.5}, None, "whole number >= 0"),
    ({"cash_teller": True}, None, "whole number >= 0"),
    ({"cash_teller": None}, None, "whole number >= 0"),
    ({"cash_teller": "3"}, None, "whole number >= 0"),
    ({"cash_teller": float("nan")}, None, "whole number >= 0"),
    ({"customer_manager": 2}, 3, "whole number in 0..2"),
    ({"customer_manager": 2}, -1, "whole number in 0..2"),
])
def test_bad_plans_are_value_errors(counts: dict[str, Any], cm_inside: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        sim.StaffingPlan.of(counts, cm_inside)


def test_numpy_and_integral_float_counts_are_accepted() -> None:
    plan = sim.StaffingPlan.of({"cash_teller": np.int64(3), "customer_manager": 4.0}, np.int32(1))
    assert plan == sim.StaffingPlan.of({"cash_teller": 3, "customer_manager": 4}, 1)
    assert plan.cm_outside == 3


def changed_plan(scenario: sim.Scenario, cm_inside: int | None = None, **counts: int) -> sim.StaffingPlan:
    """The scenario's plan with some head-counts changed."""
    return sim.StaffingPlan.of({**dict(scenario.staffing_plan().counts), **counts}, cm_inside)


def test_with_staffing_equals_the_same_change_made_by_overrides(backbone: sim.Scenario) -> None:
    plan = changed_plan(backbone, 4, cash_teller=2, customer_manager=5)
    fast = backbone.with_staffing(plan)
    slow = sim.with_overrides(backbone, {"staff.cash_teller.count": 2, "staff.customer_manager.count": 5,
                                         "staff.customer_manager.inside": 4})
    assert fast == slow
    assert fast.staffing_plan() == plan


def test_with_staffing_reads_no_file_and_validates_nothing_twice(
    backbone: sim.Scenario, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("with_staffing must not re-read or re-validate the scenario")

    for name in ("from_dict", "read_toml", "plain_copy", "Table"):
        monkeypatch.setattr(scenario_module, name, forbidden)
    plan = changed_plan(backbone, cash_teller=4)
    assert backbone.with_staffing(plan).roles["cash_teller"].count == 4


def test_overrides_then_staffing_keep_both_and_the_other_order_is_refused(backbone: sim.Scenario) -> None:
    plan = changed_plan(backbone, 1, cash_teller=5, customer_manager=2)
    variant = sim.with_overrides(backbone, {"arrivals.daily_customers": 500}).with_staffing(plan)
    assert variant.staffing_plan() == plan
    assert variant.expected_customers == pytest.approx(500)
    with pytest.raises(sim.ScenarioError, match="changed by typed replacement"):  # no stale file form to override
        sim.with_overrides(backbone.with_staffing(plan), {"arrivals.daily_customers": 500})


def test_with_staffing_refuses_a_head_count_from_dict_refuses(backbone: sim.Scenario) -> None:
    too_many = MAX_HEADCOUNT + 1
    with pytest.raises(sim.ScenarioError) as info:
        backbone.with_staffing(changed_plan(backbone, cash_teller=too_many))
    assert str(info.value) == f"{backbone.source}: staff.cash_teller.count: must be <= {MAX_HEADCOUNT}, got {too_many}"
    with pytest.raises(sim.ScenarioError, match=f"must be <= {MAX_HEADCOUNT}"):
        sim.with_overrides(backbone, {"staff.cash_teller.count": too_many})


def test_with_staffing_refuses_a_role_the_scenario_does_not_place() -> None:
    mmc = sim.load_scenario(SCENARIOS / "mmc_cash_only.toml")
    with pytest.raises(sim.ScenarioError, match=r"staff\.wealth_manager: the staffing plan gives this role 1"):
        mmc.with_staffing(sim.StaffingPlan.of({"cash_teller": 3, "wealth_manager": 1}))
    assert mmc.with_staffing(sim.StaffingPlan.of({"cash_teller": 2})).roles["cash_teller"].inside == 2
