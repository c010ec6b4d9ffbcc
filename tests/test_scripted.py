"""Tiny scripted days whose event logs are checked by hand, as SimPy's own tests do."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import sim
from sim.codes import Need, VisitKind, VisitStatus, Zone
from sim.model import Customers

CASH, NON_CASH, WEALTH, LOBBY = Zone.CASH, Zone.NON_CASH, Zone.WEALTH, Zone.LOBBY
DONE, ABANDONED, BALKED = VisitStatus.DONE, VisitStatus.ABANDONED, VisitStatus.BALKED


def fixed(minutes: float) -> dict[str, Any]:
    return {"distribution": "deterministic", "value_min": minutes}


def script(arrivals: list[float], *, segment: Sequence[int] | None = None, need: Sequence[int] | None = None,
           patience: float = math.inf, u: float = 0.5) -> Customers:
    n = len(arrivals)
    return Customers(np.asarray(arrivals, float), np.asarray(segment or [0] * n), np.asarray(need or [0] * n),
                     np.full(n, patience), np.full(n, u), np.full(n, u), np.full(n, u))


def visits(log: sim.DayLog, zone: int) -> list[tuple[int, float, float | None, float, int]]:
    """(customer, join, start, end, status) rows of one zone, rounded; start None if never served."""
    rows = np.flatnonzero(log.visit_zone == zone)
    start = [None if np.isnan(t) else round(float(t), 6) for t in log.visit_start_min]
    return [(int(log.visit_customer[v]), round(float(log.visit_join_min[v]), 6), start[v],
             round(float(log.visit_end_min[v]), 6), int(log.visit_status[v])) for v in rows]


def test_single_teller_serves_in_arrival_order(minimal: dict[str, Any]) -> None:
    minimal["service"]["cash"] = fixed(5)
    log = sim.simulate(sim.from_dict(minimal), customers=script([1.0, 2.0, 10.0]))
    assert visits(log, CASH) == [(0, 1, 1, 6, DONE), (1, 2, 6, 11, DONE), (2, 10, 11, 16, DONE)]


def test_impatient_customer_walks_out_at_patience(minimal: dict[str, Any]) -> None:
    minimal["service"]["cash"] = fixed(5)
    log = sim.simulate(sim.from_dict(minimal), customers=script([1.0, 2.0, 8.0], patience=3.0))
    cust, join, start, end, status = visits(log, CASH)[1]
    assert (cust, join, start, end, status) == (1, 2, None, 5, ABANDONED)
    # The third customer is served as soon as the first leaves: the walk-out freed the queue.
    assert visits(log, CASH)[2] == (2, 8, 8, 13, DONE)


def test_identified_vip_jumps_the_queue(minimal: dict[str, Any]) -> None:
    minimal["zones"]["lobby"] = {"positions": 1}
    minimal["staff"]["lobby_manager"] = {"count": 1, "zones": ["lobby"]}
    minimal["service"]["lobby"] = fixed(1)
    minimal["service"]["cash"] = fixed(10)
    minimal["segments"] = {"mass": {"share": 0.5, "needs": {"cash": 1.0}},
                           "vip": {"share": 0.5, "needs": {"cash": 1.0}}}
    minimal["triage"] = {"vip_identification_probability": 1.0}
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 2.0, 4.0], segment=[0, 0, 1]))
    assert visits(log, LOBBY) == [(0, 0, 0, 1, DONE), (1, 2, 2, 3, DONE), (2, 4, 4, 5, DONE)]
    assert visits(log, CASH) == [(0, 1, 1, 11, DONE), (1, 3, 21, 31, DONE), (2, 5, 11, 21, DONE)]


def test_teller_finishes_customer_before_lunch_and_queue_waits(minimal: dict[str, Any]) -> None:
    minimal["staff"]["cash_teller"]["lunch"] = ["09:10", "09:20"]
    minimal["service"]["cash"] = fixed(5)
    log = sim.simulate(sim.from_dict(minimal), customers=script([9.0, 12.0]))
    assert visits(log, CASH) == [(0, 9, 9, 14, DONE), (1, 12, 20, 25, DONE)]


def test_customer_balks_when_all_seats_are_taken(minimal: dict[str, Any]) -> None:
    minimal["zones"]["waiting"] = {"seats": 1, "balk_when_full": True}
    minimal["service"]["cash"] = fixed(10)
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 1.0, 2.0]))
    rows = visits(log, CASH)
    assert [r[4] for r in rows] == [DONE, DONE, BALKED]
    assert rows[2][3] == 2
    kpis = sim.day_kpis(log)
    assert kpis.outlet[sim.OUTLET_KPIS.index("balked")] == 1


def test_referral_sends_customer_to_low_counter_and_credits_sale(minimal: dict[str, Any]) -> None:
    minimal["zones"]["non_cash"] = {"positions": 1}
    minimal["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash"]}
    minimal["service"]["cash"] = fixed(3)
    minimal["service"]["non_cash"] = {**fixed(4), "by_need": {"referral": fixed(7)}}
    minimal["sales"] = {"referral_probability": 1.0, "referral_conversion": 1.0}
    minimal["products"] = {"funds": {"value_yuan": 600, "points": 50}}
    minimal["segments"]["mass"]["bundle"] = ["funds"]
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0]))
    assert visits(log, NON_CASH) == [(0, 3, 3, 10, DONE)]
    assert log.visit_kind.tolist() == [VisitKind.PRIMARY, VisitKind.REFERRAL]
    sales = sim.credit_sales(log)
    assert sales.value_yuan.tolist() == [600.0]
    assert [log.staff.ids[k] for k in sales.staff] == ["customer_manager_1"]
    out = sim.day_kpis(log).outlet
    assert out[sim.OUTLET_KPIS.index("referrals")] == 1
    assert out[sim.OUTLET_KPIS.index("points")] == 50


def test_wealth_need_goes_to_low_counter_when_no_wealth_room(minimal: dict[str, Any]) -> None:
    minimal["zones"]["non_cash"] = {"positions": 1}
    minimal["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash", "wealth"]}
    minimal["service"]["non_cash"] = fixed(4)
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0], need=[Need.WEALTH]))
    assert visits(log, NON_CASH) == [(0, 0, 0, 4, DONE)]
    assert visits(log, WEALTH) == []


def test_customer_with_no_open_zone_is_lost_and_valued(minimal: dict[str, Any]) -> None:
    minimal["segments"]["mass"]["walkout_value_lost_yuan"] = 25
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 1.0], need=[Need.NON_CASH, Need.CASH]))
    assert log.no_service.tolist() == [0]
    out = sim.day_kpis(log).outlet
    assert out[sim.OUTLET_KPIS.index("no_service")] == 1
    assert out[sim.OUTLET_KPIS.index("value_lost_yuan")] == 25


@pytest.mark.parametrize("multi", [False, True])
def test_staff_serving_two_zones_take_home_zone_first(minimal: dict[str, Any], multi: bool) -> None:
    minimal["zones"]["non_cash"] = {"positions": 1}
    minimal["staff"] = {"customer_manager": {"count": 1, "zones": ["non_cash", "cash"] if multi else ["non_cash"]}}
    minimal["service"]["cash"] = fixed(2)
    minimal["service"]["non_cash"] = fixed(2)
    # Both customers arrive while the CM is busy with a third; the low-counter one goes first.
    needs = [Need.NON_CASH, Need.CASH, Need.NON_CASH]
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 0.5, 1.0], need=needs))
    if multi:
        assert visits(log, NON_CASH) == [(0, 0, 0, 2, DONE), (2, 1, 2, 4, DONE)]
        assert visits(log, CASH) == [(1, 0.5, 4, 6, DONE)]
    else:
        assert log.no_service.tolist() == [1]


def test_event_logs_as_named_tables(minimal: dict[str, Any]) -> None:
    minimal["service"]["cash"] = fixed(5)
    minimal["staff"]["cash_teller"]["lunch"] = ["09:10", "09:20"]
    log = sim.simulate(sim.from_dict(minimal), customers=script([1.0, 2.0]))
    visits = log.visits_frame()
    assert visits[["zone", "staff", "status"]].to_numpy().tolist() == [
        ["cash", "cash_teller_1", "done"], ["cash", "cash_teller_1", "done"]]
    assert visits["wait_min"].tolist() == [0.0, 4.0]
    staff = log.staff_frame()
    assert staff[["time_min", "event"]].to_numpy().tolist() == [
        [0.0, "on_duty"], [1.0, "service_start"], [6.0, "service_end"], [6.0, "service_start"],
        [10.0, "off_duty"], [11.0, "service_end"], [20.0, "on_duty"], [480.0, "off_duty"]]
    assert log.customers_frame()["segment"].tolist() == ["mass", "mass"]


def lobby(minimal: dict[str, Any], greeting_min: float, greeters: int = 1) -> None:
    """Add a lobby of one greeting point and ``greeters`` lobby staff to the minimal scenario."""
    minimal["zones"]["lobby"] = {"positions": 1, "target_wait_min": 3}
    minimal["staff"]["lobby_manager"] = {"count": greeters, "zones": ["lobby"]}
    minimal["service"]["lobby"] = fixed(greeting_min)


def test_customers_waiting_to_be_greeted_walk_out_and_are_lost(minimal: dict[str, Any]) -> None:
    # By hand: one greeter takes 10 min per customer. Customer 0 is greeted 0-10 and
    # served at cash 10-11; customers 1 and 2 join the lobby queue at 1 and 2 with 5 min
    # of patience and walk out at 6 and 7, each losing 25 + 0.1 * 1000 = 125 yuan.
    lobby(minimal, 10)
    minimal["service"]["cash"] = fixed(1)
    minimal["segments"]["mass"].update(walkout_value_lost_yuan=25, churn_probability=0.1, churn_value_yuan=1000)
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 1.0, 2.0], patience=5.0))
    assert visits(log, LOBBY) == [(0, 0, 0, 10, DONE), (1, 1, None, 6, ABANDONED), (2, 2, None, 7, ABANDONED)]
    assert visits(log, CASH) == [(0, 10, 10, 11, DONE)]
    kpis = sim.day_kpis(log)
    out = dict(zip(sim.OUTLET_KPIS, kpis.outlet, strict=True))
    assert (out["arrived"], out["served"], out["abandoned"], out["value_lost_yuan"]) == (3, 1, 2, 250)
    row = dict(zip(sim.ZONE_KPIS, kpis.zones[sim.ZONES.index("lobby")], strict=True))
    assert row["abandon_rate"] == pytest.approx(2 / 3)
    assert row["mean_wait_min"] == pytest.approx((0 + 5 + 5) / 3)
    assert row["service_level"] == pytest.approx(1 / 3)


def test_patience_starts_again_in_each_queue(minimal: dict[str, Any]) -> None:
    # By hand, 6 min of patience, 4 min greetings, 9 min at cash: customer 1 waits 3 min
    # in the lobby (1-4), is greeted 4-8, then waits 5 min at cash (8-13): each wait is
    # within patience, though together they are not.
    lobby(minimal, 4)
    minimal["service"]["cash"] = fixed(9)
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 1.0], patience=6.0))
    assert visits(log, LOBBY) == [(0, 0, 0, 4, DONE), (1, 1, 4, 8, DONE)]
    assert visits(log, CASH) == [(0, 4, 4, 13, DONE), (1, 8, 13, 22, DONE)]


def test_lobby_bypass_when_the_last_greeter_leaves(minimal: dict[str, Any]) -> None:
    # By hand: the only greeter takes 10 min per customer and goes to lunch 09:05-09:30.
    # Customer 0 is greeted 0-10 (the greeter finishes before lunch). At 5 the greeter
    # goes off duty: customers 1 and 2, waiting to be greeted, are sent on ungreeted
    # (bypassed). Customer 1 may use a machine and, ungreeted, is diverted there (the
    # unstaffed diversion probability is 1): machine 5-7. Customer 2 is served at cash
    # 5-6; customer 3, arriving at 7 with no greeter on duty, goes straight to cash 7-8;
    # customer 0 reaches cash at 10. Customer 4, arriving at 31, is greeted again.
    lobby(minimal, 10)
    minimal["staff"]["lobby_manager"]["lunch"] = ["09:05", "09:30"]
    minimal["zones"]["self_service"] = {"positions": 1}
    minimal["service"]["self_service"] = fixed(2)
    minimal["service"]["cash"] = fixed(1)
    minimal["triage"] = {"divert_probability_staffed": 0.0, "divert_probability_unstaffed": 1.0}
    needs = [Need.CASH, Need.SELF_SERVICE_ELIGIBLE, Need.CASH, Need.CASH, Need.CASH]
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 1.0, 2.0, 7.0, 31.0], need=needs))
    bypassed = VisitStatus.BYPASSED
    assert visits(log, LOBBY) == [(0, 0, 0, 10, DONE), (1, 1, None, 5, bypassed), (2, 2, None, 5, bypassed),
                                  (4, 31, 31, 41, DONE)]
    assert visits(log, Zone.SELF_SERVICE) == [(1, 5, 5, 7, DONE)]
    assert visits(log, CASH) == [(2, 5, 5, 6, DONE), (3, 7, 7, 8, DONE), (0, 10, 10, 11, DONE), (4, 41, 41, 42, DONE)]
    assert log.diverted.tolist() == [1]
    out = dict(zip(sim.OUTLET_KPIS, sim.day_kpis(log).outlet, strict=True))
    assert (out["served"], out["abandoned"], out["diverted_to_self_service"]) == (5, 0, 1)
