"""Dispatch by customer at a shared zone (``[dispatch]``): scripted days checked by hand,
the staff-order rule unchanged, bad tables refused, and the shipped outlet's teller effect."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.analysis import paired_difference
from sim.codes import Need, VisitStatus, Zone
from sim.daylog import flex_away_min
from sim.queueing import erlang_c
from sim.validation import queue_scenario
from tests.conftest import SCENARIOS
from tests.test_scripted import fixed, script, visits

NON_CASH = Zone.NON_CASH
DONE = VisitStatus.DONE


def shared_desk(minimal: dict[str, Any], *, rule: str = "by_customer", wait: float = 0.0) -> dict[str, Any]:
    """A low counter of two desks shared by a teller (listed first) and a customer manager;
    segment 0 ``mass`` goes to the teller, segment 1 ``loan`` to the customer manager."""
    minimal["zones"] = {"non_cash": {"positions": 2}}
    minimal["staff"] = {"low_counter_teller": {"count": 1, "zones": ["non_cash"]},
                        "customer_manager": {"count": 1, "inside": 1, "zones": ["non_cash"]}}
    minimal["segments"] = {"mass": {"share": 0.5, "needs": {"non_cash": 1.0}},
                           "loan": {"share": 0.5, "needs": {"non_cash": 1.0}}}
    minimal["service"] = {"non_cash": fixed(10)}
    minimal["dispatch"] = {"rule": rule, "wait_for_preferred_min": wait, "prefer": {"non_cash": {
        "customer_manager": ["loan"], "low_counter_teller": ["mass"]}}}
    return minimal


def desk(arrivals: list[float], segment: list[int], patience: float = math.inf) -> sim.model.Customers:
    """Scripted customers who all come for the low counter."""
    return script(arrivals, segment=segment, need=[int(Need.NON_CASH)] * len(arrivals), patience=patience)


def served_by(log: sim.DayLog) -> list[str]:
    """The staff id that served each visit, in visit order."""
    return [log.staff.ids[k] if k >= 0 else "" for k in log.visit_staff]


def test_staff_order_gives_the_loan_customer_to_the_first_listed_teller(minimal: dict[str, Any]) -> None:
    with pytest.warns(sim.ScenarioWarning, match="dispatch.prefer: ignored"):
        sc = sim.from_dict(shared_desk(minimal, rule="staff_order"))
    log = sim.simulate(sc, customers=desk([1.0, 2.0], [1, 0]))
    assert served_by(log) == ["low_counter_teller_1", "customer_manager_1"]


def test_by_customer_sends_each_to_the_preferred_role(minimal: dict[str, Any]) -> None:
    log = sim.simulate(sim.from_dict(shared_desk(minimal)), customers=desk([1.0, 2.0], [1, 0]))
    assert served_by(log) == ["customer_manager_1", "low_counter_teller_1"]
    assert visits(log, NON_CASH) == [(0, 1, 1, 11, DONE), (1, 2, 2, 12, DONE)]


def test_without_a_wait_the_busy_preferred_role_is_replaced_at_once(minimal: dict[str, Any]) -> None:
    # Loan customer 0 takes the CM; loan customer 1 finds only the teller free and takes them.
    log = sim.simulate(sim.from_dict(shared_desk(minimal)), customers=desk([1.0, 2.0], [1, 1]))
    assert served_by(log) == ["customer_manager_1", "low_counter_teller_1"]
    assert visits(log, NON_CASH)[1] == (1, 2, 2, 12, DONE)


def test_a_wait_holds_the_customer_for_the_preferred_role_then_releases(minimal: dict[str, Any]) -> None:
    # CM busy 1-11. Customer 1 (loan, t=2) waits up to 5 min: released at 7 to the free teller.
    # Customer 2 (loan, t=8) would wait until 13 but the CM is free at 11: the CM serves at 11.
    log = sim.simulate(sim.from_dict(shared_desk(minimal, wait=5.0)), customers=desk([1.0, 2.0, 8.0],
                                                                                       [1, 1, 1]))
    assert served_by(log) == ["customer_manager_1", "low_counter_teller_1", "customer_manager_1"]
    assert visits(log, NON_CASH) == [(0, 1, 1, 11, DONE), (1, 2, 7, 17, DONE), (2, 8, 11, 21, DONE)]


def test_a_freed_teller_skips_a_customer_held_for_the_cm(minimal: dict[str, Any]) -> None:
    # Teller busy 0-10 (mass 0), CM busy 0.5-10.5 (loan 1). Loan 2 (t=3) is held for the CM until 13;
    # mass 3 (t=4) queues behind. At 10 the teller skips loan 2 and takes mass 3; the CM takes loan 2 at 10.5.
    log = sim.simulate(sim.from_dict(shared_desk(minimal, wait=10.0)),
                       customers=desk([0.0, 0.5, 3.0, 4.0], [0, 1, 1, 0]))
    assert served_by(log) == ["low_counter_teller_1", "customer_manager_1", "customer_manager_1",
                              "low_counter_teller_1"]
    assert visits(log, NON_CASH)[2:] == [(2, 3, 10.5, 20.5, DONE), (3, 4, 10, 20, DONE)]


def test_a_held_customer_who_walks_out_frees_the_queue(minimal: dict[str, Any]) -> None:
    # Patience 4 < wait 10: loan 2 walks out at 7 while held; nobody serves them later.
    log = sim.simulate(sim.from_dict(shared_desk(minimal, wait=10.0)),
                       customers=desk([0.0, 0.5, 3.0], [0, 1, 1], patience=4.0))
    status = [int(s) for s in log.visit_status]
    assert status == [DONE, DONE, VisitStatus.ABANDONED]
    assert math.isnan(float(log.visit_start_min[2]))


@pytest.mark.parametrize(("table", "field", "message"), [
    ({"rule": "fastest"}, "dispatch.rule", "allowed: staff_order, by_customer"),
    ({"rule": "by_customer"}, "dispatch.prefer", "needs at least one"),
    ({"rule": "by_customer", "prefer": {"lobby": {"lobby_manager": ["mass"]}}}, "dispatch.prefer.lobby",
     "allowed: cash, non_cash, wealth"),
    ({"rule": "by_customer", "prefer": {"non_cash": {"teller": ["mass"]}}}, "dispatch.prefer.non_cash.teller",
     "unknown role"),
    ({"rule": "by_customer", "prefer": {"non_cash": {"cash_teller": ["mass"]}}},
     "dispatch.prefer.non_cash.cash_teller", r"no \[staff.cash_teller\] block"),
    ({"rule": "by_customer", "prefer": {"wealth": {"customer_manager": ["loan"]}}},
     "dispatch.prefer.wealth.customer_manager", "does not serve 'wealth'"),
    ({"rule": "by_customer", "prefer": {"non_cash": {"customer_manager": ["gold"]}}},
     "dispatch.prefer.non_cash.customer_manager", "segment names"),
    ({"rule": "by_customer", "prefer": {"non_cash": {"customer_manager": "loan"}}},
     "dispatch.prefer.non_cash.customer_manager", "segment names"),
    ({"rule": "by_customer", "prefer": {"non_cash": {"customer_manager": ["loan", "loan"]}}},
     "dispatch.prefer.non_cash.customer_manager", "listed twice"),
    ({"rule": "by_customer", "wait_for_preferred_min": -1, "prefer": {"non_cash": {"customer_manager": ["loan"]}}},
     "dispatch.wait_for_preferred_min", ">= 0"),
    ({"rule": "by_customer", "wait_for_preferred_min": math.inf,
      "prefer": {"non_cash": {"customer_manager": ["loan"]}}}, "dispatch.wait_for_preferred_min", "finite"),
    ({"rule": "by_customer", "speed": 1, "prefer": {"non_cash": {"customer_manager": ["loan"]}}},
     "dispatch.speed", "unknown key"),
])
def test_bad_dispatch_tables_name_the_field(minimal: dict[str, Any], table: dict[str, Any], field: str,
                                            message: str) -> None:
    data = shared_desk(minimal)
    data["dispatch"] = table
    with pytest.raises(sim.ScenarioError, match=message) as err:
        sim.from_dict(data, "bad.toml")
    assert str(err.value).startswith(f"bad.toml: {field}:")


def test_the_preferences_keep_every_customer_served_once(minimal: dict[str, Any]) -> None:
    """Over random days with holds: every arrival ends exactly once, and nobody is served twice."""
    data = shared_desk(minimal, wait=3.0)
    data["arrivals"] = {"rate_per_hour": 11.0}
    data["segments"]["mass"]["patience"] = {"distribution": "exponential", "mean_min": 15}
    data["service"] = {"non_cash": {"distribution": "exponential", "mean_min": 9.0}}
    sc = sim.from_dict(data)
    for seed in range(20):
        log = sim.simulate(sc, seed=seed)
        assert np.bincount(log.visit_customer, minlength=log.customers.arrival_min.size).max() == 1
        served = log.visit_status == DONE
        assert np.all(log.visit_staff[served] >= 0)
        assert not np.any(log.visit_status == VisitStatus.WAITING)


def _net_value(sc: sim.Scenario, n: int, seed: int) -> np.ndarray:
    days = sim.replicate(sc, n=n, seed=seed).days
    return (days.value_yuan - days.value_lost_yuan).to_numpy()


def test_an_added_teller_costs_far_less_value_dispatched_by_customer() -> None:
    """The artefact the audit measured: under the staff-order rule one more low-counter teller lowers
    the backbone outlet's net value (tellers take sales customers from customer managers: -7.1% of net
    value, 95% CI [-7.7%, -6.5%] over 400 days, seed 2000). Dispatched by customer it costs far less,
    but not nothing: -0.9% [-1.3%, -0.5%] on those days, -1.05% [-1.37%, -0.73%] over 600 (seed 1000).
    Over 120 paired days (common random numbers for all four arms): under staff order the CI lies
    below 0; by customer the loss is smaller than under staff order (the paired CI of the two losses'
    difference lies above 0) and its CI stays above -3% of net value.

    The first version asserted the by-customer CI above -2% over 60 days: with the true loss near 1%
    and a half-width near 1%, that failed on 20 of seeds 100-139 (seeds 5 and 11 passed by luck). This
    one failed on 0 of seeds 100-129, measured; with the staff-order rule in place of the shipped one
    the by-customer checks fail (its loss is 7%)."""
    shipped = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    assert shipped.dispatch.by_customer
    order = sim.with_overrides(shipped, {"dispatch.rule": "staff_order", "dispatch.prefer": {}})
    more = shipped.roles["low_counter_teller"].count + 1
    days, seed = 120, 5
    net, added = {}, {}
    for name, sc in (("order", order), ("shipped", shipped)):
        net[name] = _net_value(sc, days, seed)
        added[name] = _net_value(sim.with_overrides(sc, {"staff.low_counter_teller.count": more}), days, seed)
    by_order = paired_difference(net["order"], added["order"])
    assert by_order.ci95_high < 0, by_order
    less = paired_difference(added["order"] - net["order"], added["shipped"] - net["shipped"])
    assert less.ci95_low > 0, less
    by_customer = paired_difference(net["shipped"], added["shipped"])
    assert by_customer.ci95_low > -0.03 * net["shipped"].mean(), by_customer


# --- flexible posts (岗位弹性设置): [dispatch.flex.ZONE] ------------------------------------------

def flex_counter(minimal: dict[str, Any], open_above: int = 1, close_below: int = 1) -> dict[str, Any]:
    """One cash teller (10 min) and an operations manager with no post of their own, called to a spare
    cash position when more than ``open_above`` wait, back when fewer than ``close_below`` do."""
    minimal["service"]["cash"] = fixed(10)
    minimal["staff"]["operations_manager"] = {"count": 1, "zones": []}
    minimal["dispatch"] = {"flex": {"cash": {"role": "operations_manager", "open_above": open_above,
                                             "close_below": close_below}}}
    return minimal


def test_flexible_post_opens_above_k_and_closes_below_k_prime_by_hand(minimal: dict[str, Any]) -> None:
    """Arrivals 0, 1, 2, 3, 30: the teller takes c0 (0-10); c1 waits (1 waiting, not more than 1); c2
    makes 2: the operations manager opens the spare counter and takes c1 (2-12); c3 waits; at 10 the
    teller takes c2 (10-20); at 12 the manager finds c3 waiting (1, not fewer than 1), stays and takes
    c3 (12-22), then finds nobody and goes back: 20 minutes away. c4 at 30 is the teller's."""
    sc = sim.from_dict(flex_counter(minimal))
    log = sim.simulate(sc, customers=script([0.0, 1.0, 2.0, 3.0, 30.0]))
    rows = [(c, start, end, log.staff.ids[k]) for c, start, end, k in zip(
        log.visit_customer.tolist(), log.visit_start_min.tolist(), log.visit_end_min.tolist(),
        log.visit_staff.tolist(), strict=True)]
    assert rows == [(0, 0.0, 10.0, "cash_teller_1"), (1, 2.0, 12.0, "operations_manager_1"),
                    (2, 10.0, 20.0, "cash_teller_1"), (3, 12.0, 22.0, "operations_manager_1"),
                    (4, 30.0, 40.0, "cash_teller_1")]
    assert log.flex_away.tolist() == [[1.0, 2.0, 22.0]]
    assert flex_away_min(log).tolist() == [0.0, 20.0]


def test_a_flexible_customer_manager_goes_back_to_the_low_counter(minimal: dict[str, Any]) -> None:
    """A CM at the low counter, called to cash when more than 0 wait, finishes the cash customer and,
    with nobody waiting there, takes the low-counter customer who came meanwhile."""
    minimal["zones"]["non_cash"] = {"positions": 1}
    minimal["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash"]}
    minimal["service"]["cash"] = fixed(10)
    minimal["service"]["non_cash"] = fixed(5)
    minimal["dispatch"] = {"flex": {"cash": {"role": "customer_manager", "open_above": 0, "close_below": 1}}}
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 1.0, 2.0], need=[Need.CASH, Need.CASH,
                                                                                      Need.NON_CASH]))
    served = {int(c): (float(s), log.staff.ids[k]) for c, s, k in zip(log.visit_customer, log.visit_start_min,
                                                                       log.visit_staff, strict=True)}
    assert served == {0: (0.0, "cash_teller_1"), 1: (1.0, "customer_manager_1"), 2: (11.0, "customer_manager_1")}
    assert log.flex_away.tolist() == [[1.0, 1.0, 11.0]]


def threshold_chain(lam: float, mu: float, c: int, k: int, k_close: int, cap: int = 150) -> tuple[float, float]:
    """Mean wait and the share of time the flexible person is away, solved exactly: M/M/c plus one
    person called when more than ``k`` wait, back on finishing a customer with fewer than ``k_close``
    waiting. States (n in the system, f = the flexible person at the post, serving)."""
    states = [(n, f) for n in range(cap + 1) for f in (0, 1) if n >= f]
    index = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))

    def waiting(n: int, f: int) -> int:
        return n - f - min(n - f, c)

    for (n, f), i in index.items():
        if n < cap:
            q[i, index[(n + 1, 1 if f or waiting(n + 1, 0) > k else 0)]] += lam
        if min(n - f, c):
            q[i, index[(n - 1, f)]] += mu * min(n - f, c)
        if f:
            q[i, index[(n - 1, 0 if waiting(n - 1, 0) < k_close else 1)]] += mu
    np.fill_diagonal(q, -q.sum(axis=1))
    balance = q.T.copy()
    balance[-1] = 1.0  # one balance equation is redundant: replace it by the total probability
    pi = np.linalg.solve(balance, np.r_[np.zeros(len(states) - 1), 1.0])
    lq = sum(pi[i] * waiting(n, f) for (n, f), i in index.items())
    return lq / lam, sum(pi[i] for (_, f), i in index.items() if f)


def test_threshold_chain_without_a_call_is_erlang_c() -> None:
    """Never called, the post leaves M/M/3: the chain (truncated at 150 in the system) gives Erlang C's wait."""
    assert threshold_chain(2.7, 1.0, 3, 10**6, 1)[0] == pytest.approx(erlang_c(2.7, 1.0, 3).mean_wait, rel=1e-5)


def test_flexible_post_matches_the_exact_markov_chain() -> None:
    """M/M/3 at ρ = 0.9 (λ = 2.7, μ = 1) and the operations manager called above 3 waiting, back below 1:
    the chain gives the mean wait (0.470 min, against 2.72 without the post) and the share of the day
    the manager is away (0.333); the model agrees over 20 long days (measured 0.469 ± 0.009 and
    0.329 ± 0.004 over 4,000-minute days)."""
    wq, away = threshold_chain(2.7, 1.0, 3, 3, 1)
    data = queue_scenario(2.7, 1.0, 3, day_min=3000.0, warmup_min=0.0)
    data["staff"]["operations_manager"] = {"count": 1, "zones": []}
    data["dispatch"] = {"flex": {"cash": {"role": "operations_manager", "open_above": 3, "close_below": 1}}}
    sc = sim.from_dict(data)
    waits, shares = [], []
    for rep in range(20):
        log = sim.simulate(sc, seed=16, replication=rep)
        waits.append(float(np.mean(log.visit_wait_min)))
        shares.append(float(flex_away_min(log)[-1]) / sc.outlet.day_min)
    for values, exact in ((waits, wq), (shares, away)):
        x = np.asarray(values)
        half = 3.88 * x.std(ddof=1) / math.sqrt(x.size)  # t(0.9995, 19): the validation suite's noise rule
        assert abs(x.mean() - exact) <= max(half, 0.03 * exact), (x.mean(), exact, half)


@pytest.mark.parametrize(("flex", "field", "message"), [
    ({"cash": {"role": "cash_teller", "open_above": 2, "close_below": 1}}, "dispatch.flex.cash.role",
     "already serves cash"),
    ({"cash": {"role": "wealth_manager", "open_above": 2, "close_below": 1}}, "dispatch.flex.cash.role",
     "nobody inside"),
    ({"cash": {"role": "operations_manager", "open_above": 2, "close_below": 3}}, "dispatch.flex.cash.close_below",
     "must be <= 2"),
    ({"cash": {"role": "operations_manager", "open_above": 2, "close_below": 0}}, "dispatch.flex.cash.close_below",
     "must be >= 1"),
    ({"lobby": {"role": "operations_manager", "open_above": 2, "close_below": 1}}, "dispatch.flex.lobby",
     "unknown name"),
])
def test_bad_flexible_posts_name_the_field(minimal: dict[str, Any], flex: dict[str, Any], field: str,
                                           message: str) -> None:
    minimal["staff"]["operations_manager"] = {"count": 1, "zones": []}
    minimal["dispatch"] = {"flex": flex}
    with pytest.raises(sim.ScenarioError) as err:
        sim.from_dict(minimal, "outlet.toml")
    text = str(err.value)
    assert text.startswith(f"outlet.toml: {field}: ")
    assert message in text
    assert "\n" not in text
