"""The compiled outlet layout: named codes in step with the scenario's names, routes around
absent zones, referral zones, staff duty, and one compilation per scenario object."""

from __future__ import annotations

from typing import Any

import pytest

import sim
from sim.codes import NEEDS, NO_ZONE, ROLES, SERVICE_ZONES, Need, Role, VisitKind, VisitStatus, Zone, labels
from sim.daylog import VISIT_KINDS, VISIT_STATUSES
from sim.layout import compile_layout
from sim.queueing import zone_load
from tests.conftest import SCENARIOS


def test_codes_follow_the_scenario_names() -> None:
    assert labels(Zone) == SERVICE_ZONES
    assert labels(Need) == NEEDS
    assert labels(Role) == ROLES
    assert (labels(VisitKind), labels(VisitStatus)) == (VISIT_KINDS, VISIT_STATUSES)


def test_routes_go_around_absent_zones(minimal: dict[str, Any]) -> None:
    # Only cash is open: wealth and non-cash needs are lost, eligible ones go to cash.
    layout = compile_layout(sim.from_dict(minimal))
    assert layout.open == (False, True, False, False, False)
    assert layout.route[Need.CASH] == (Zone.CASH, Zone.CASH)
    assert layout.route[Need.NON_CASH] == (NO_ZONE, NO_ZONE)
    assert layout.route[Need.SELF_SERVICE_ELIGIBLE] == (Zone.CASH, Zone.CASH)
    assert layout.route[Need.WEALTH] == (NO_ZONE, NO_ZONE)
    assert not layout.referrals
    # Machines and a low counter, no wealth room: diverted customers use the machines,
    # wealth needs and every referral go to the low counter.
    minimal["zones"].update(self_service={"positions": 2}, non_cash={"positions": 1})
    minimal["service"].update(self_service=minimal["service"]["cash"], non_cash=minimal["service"]["cash"])
    minimal["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash", "wealth"]}
    layout = compile_layout(sim.from_dict(minimal))
    assert layout.route[Need.SELF_SERVICE_ELIGIBLE] == (Zone.CASH, Zone.SELF_SERVICE)
    assert layout.route[Need.WEALTH] == (Zone.NON_CASH, Zone.NON_CASH)
    assert layout.referral_zone == (Zone.NON_CASH, Zone.NON_CASH)
    assert layout.staff.zones[layout.staff.ids.index("customer_manager_1")] == (Zone.NON_CASH,)


def test_a_zone_without_inside_staff_is_closed() -> None:
    backbone = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    assert compile_layout(backbone).is_open("lobby")
    no_greeters = sim.with_overrides(backbone, {"staff.lobby_manager.count": 0, "staff.deputy_lobby_manager.count": 0,
                                                "staff.security_guide.count": 0})
    layout = compile_layout(no_greeters)
    assert not layout.is_open("lobby")
    assert layout.zone_staff[Zone.LOBBY] == ()


def test_staff_duty_with_staggered_lunches() -> None:
    backbone = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    staff = compile_layout(backbone).staff
    tellers = [k for k, name in enumerate(staff.ids) if name.startswith("cash_teller_")]
    # 09:00-17:00 shift, 45 min lunch from 11:30, each next teller 45 min later.
    assert [staff.duty[k] for k in tellers] == [((0, 150), (195, 480)), ((0, 195), (240, 480)),
                                                 ((0, 240), (285, 480))]
    assert "outlet_head_1" not in staff.ids  # serves no zone: not inside the layout


def test_compiled_once_per_scenario_object() -> None:
    backbone = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    assert compile_layout(backbone) is compile_layout(backbone)
    plan = backbone.staffing_plan()
    fewer = backbone.with_staffing(sim.StaffingPlan.of({**dict(plan.counts), "cash_teller": 2}, plan.cm_inside))
    assert len(compile_layout(fewer).zone_staff[Zone.CASH]) == 2
    assert len(compile_layout(backbone).zone_staff[Zone.CASH]) == 3
    # zone_load reads the same layout: closing the wealth room sends wealth needs to the low counter.
    closed = sim.with_overrides(backbone, {"zones.wealth.positions": 0})
    moved = zone_load(closed, "non_cash")[0].sum() - zone_load(backbone, "non_cash")[0].sum()
    assert moved > 0


def test_the_analytic_load_sends_referrals_where_the_segment_is_referred() -> None:
    """A segment's ``wealth_room`` (not its priority) decides where its referrals queue, in the model and in
    the analytic load alike: mass customers referred to the wealth room move their referral load there."""
    backbone = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    referred = sim.with_overrides(backbone, {"segments.mass.wealth_room": True})
    assert compile_layout(referred).referral_zone == compile_layout(backbone).referral_zone
    gained = zone_load(referred, "wealth")[0].sum() - zone_load(backbone, "wealth")[0].sum()
    lost = zone_load(backbone, "non_cash")[0].sum() - zone_load(referred, "non_cash")[0].sum()
    assert gained > 0
    assert gained == pytest.approx(lost)
