"""Selling takes time (issue 16): pitches, sales and referrals add minutes to a service.

A scripted day checked by hand, the lever off (or idle) changing nothing, an exact M/G/1
check (Pollaczek–Khinchine with a deterministic pitch and a Bernoulli sale add-on), the
predicted size of the effect on the backbone outlet over paired days, and one-line errors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.codes import ROLES, VisitStatus, Zone
from sim.customers import Customers, SellingDraws, selling_draws
from sim.errors import ScenarioError
from sim.layout import compile_layout
from sim.scenario import from_dict, load_scenario, with_overrides
from sim.streams import streams
from sim.validation import Check, queue_scenario
from tests.conftest import SCENARIOS, assert_refused
from tests.test_scripted import fixed, visits

CASH, NON_CASH = Zone.CASH, Zone.NON_CASH
DONE = VisitStatus.DONE


def scripted(scenario: sim.Scenario, arrivals: list[float], sale_u: list[float]) -> Customers:
    """Customers arriving at ``arrivals`` whose every sales uniform is ``sale_u[i]`` (the selling
    minutes as drawn: deterministic in these tests)."""
    n = len(arrivals)
    seg = np.zeros(n, dtype=np.int64)
    draws = selling_draws(scenario, seg, streams(0, 0))
    u = np.broadcast_to(np.asarray(sale_u, float)[:, None, None], draws.sales_u.shape).copy()
    half = np.full(n, 0.5)
    return Customers(np.asarray(arrivals, float), seg, np.zeros(n, dtype=np.int64), np.full(n, math.inf), half,
                     half, half, SellingDraws(u, draws.minutes))


def selling_teller(minimal: dict[str, Any]) -> dict[str, Any]:
    """One cash teller at speed 2 who may sell only cards, with a 2-minute cash service."""
    minimal["staff"]["cash_teller"]["speed"] = [2.0]
    minimal["service"]["cash"] = fixed(2)
    minimal["products"] = {"funds": {"value_yuan": 600}, "card": {"value_yuan": 50}}
    minimal["segments"]["mass"]["bundle"] = ["funds", "card"]
    minimal["sales"] = {"cross_sale": {"cash": {"cash_teller": 0.5}}, "products_by_role": {"cash_teller": ["card"]}}
    minimal["selling_time"] = {"cash": {"cash_teller": {"pitch": fixed(0.5), "sale": fixed(1.5),
                                                        "by_product": {"card": {"sale": fixed(3)}}}}}
    return minimal


def test_pitch_and_sale_minutes_by_hand(minimal: dict[str, Any]) -> None:
    """Service 2 min / speed 2 = 1 min; the teller pitches the card only (funds are not theirs to
    sell): +0.5 min; a sold card adds its own 3 min (by_product), not the default 1.5."""
    sc = from_dict(selling_teller(minimal))
    log = sim.simulate(sc, customers=scripted(sc, [0.0, 0.5, 1.0], [0.9, 0.1, 0.9]))
    # c0: 0 -> 1.5 (no sale); c1: 1.5 -> 1.5 + 1 + 0.5 + 3 = 6; c2: 6 -> 7.5.
    assert visits(log, CASH) == [(0, 0, 0, 1.5, DONE), (1, 0.5, 1.5, 6, DONE), (2, 1, 6, 7.5, DONE)]
    sales = sim.credit_sales(log)
    assert sales.customer.tolist() == [1]
    assert sales.value_yuan.tolist() == [50.0]


def test_referral_pitch_and_referral_sale_by_hand(minimal: dict[str, Any]) -> None:
    """A cash service ending in a referral adds the referral pitch (1 min); the CM's referral
    visit (7 min) adds a 4-minute sale per product sold at the referral's conversion."""
    minimal["zones"]["non_cash"] = {"positions": 1}
    minimal["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash"]}
    minimal["service"]["cash"] = fixed(3)
    minimal["service"]["non_cash"] = {**fixed(4), "by_need": {"referral": fixed(7)}}
    minimal["sales"] = {"referral_probability": 1.0, "referral_conversion": 0.5}
    minimal["products"] = {"funds": {"value_yuan": 600}}
    minimal["segments"]["mass"]["bundle"] = ["funds"]
    minimal["selling_time"] = {"cash": {"cash_teller": {"referral": fixed(1)}},
                               "non_cash": {"customer_manager": {"sale": fixed(4)}}}
    sc = from_dict(minimal)
    log = sim.simulate(sc, customers=scripted(sc, [0.0, 20.0], [0.2, 0.8]))
    assert visits(log, CASH) == [(0, 0, 0, 4, DONE), (1, 20, 20, 24, DONE)]
    # c0 buys (0.2 < 0.5): 7 + 4; c1 does not (0.8): 7.
    assert visits(log, NON_CASH) == [(0, 4, 4, 15, DONE), (1, 24, 24, 31, DONE)]
    assert sim.credit_sales(log).customer.tolist() == [0]


def test_selling_time_with_nothing_to_sell_changes_nothing() -> None:
    """The lever on but idle (cash tellers' pitches and sales timed, but they have no cross-sale chance
    at cash, and no referral time) gives the day without it, draw for draw: the sales uniforms drawn
    before the day are the ones the log drew after it, and nothing else moved."""
    base = load_scenario(SCENARIOS / "backbone_outlet.toml")
    idle = with_overrides(base, {"selling_time": {"cash": {"cash_teller": {"pitch": fixed(2), "sale": fixed(3)}}}},
                          quiet=True)
    assert "cash" not in base.sales.cross_sale
    for rep in range(3):
        a, b = sim.simulate(base, seed=5, replication=rep), sim.simulate(idle, seed=5, replication=rep)
        assert np.array_equal(a.sales_u, b.sales_u)
        for name in ("visit_zone", "visit_staff", "visit_status"):
            assert np.array_equal(getattr(a, name), getattr(b, name))
        assert np.array_equal(a.visit_end_min, b.visit_end_min, equal_nan=True)
        assert np.array_equal(sim.day_kpis(a).outlet, sim.day_kpis(b).outlet)


def test_scripted_customers_without_selling_draws_are_refused(minimal: dict[str, Any]) -> None:
    sc = from_dict(selling_teller(minimal))
    half = np.full(1, 0.5)
    plain = Customers(np.zeros(1), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), np.full(1, math.inf),
                      half, half, half)
    with pytest.raises(ValueError, match="selling draws"):
        sim.simulate(sc, customers=plain)


def test_mg1_with_a_sales_add_on_matches_pollaczek_khinchine() -> None:
    """One teller, exponential service (mean 1 min), a deterministic 0.2-min pitch on every
    customer and a 1-minute sale with chance 0.3: S = X + 0.2 + 1·B. The M/G/1 mean wait is exact,
    Wq = λ E[S²] / (2 (1 − ρ)), with E[S] = 1.5, E[S²] = 3.46, λ = 0.5/min: ρ = 0.75, Wq = 3.46 min
    (without selling, M/M/1 at ρ = 0.5: 1 min)."""
    lam, a, d, p = 0.5, 0.2, 1.0, 0.3
    mean_s = 1.0 + a + p * d
    second = 2.0 + a * a + p * d * d + 2.0 * a + 2.0 * p * d + 2.0 * a * p * d
    rho = lam * mean_s
    wq = lam * second / (2.0 * (1.0 - rho))
    assert (rho, round(wq, 6)) == (0.75, 3.46)
    data = queue_scenario(lam, 1.0, 1, day_min=12_000.0, warmup_min=500.0)
    data["products"] = {"card": {"value_yuan": 50}}
    data["segments"]["mass"]["bundle"] = ["card"]
    data["sales"] = {"cross_sale": {"cash": {"cash_teller": p}}}
    data["selling_time"] = {"cash": {"cash_teller": {"pitch": fixed(a), "sale": fixed(d)}}}
    result = sim.replicate(from_dict(data), n=20, seed=16)
    zones = result.zones
    row = zones[(zones["zone"] == "cash") & (zones["kpi"] == "mean_wait_min")].iloc[0]
    check = Check(metric="mean_wait_min", simulated=float(row["mean"]),
                  ci95=(float(row["ci95_low"]), float(row["ci95_high"])), analytic=wq, days=result.n, rel_tol=0.05)
    assert check.passed, (check.simulated, check.allowed)
    util = zones[(zones["zone"] == "cash") & (zones["kpi"] == "utilisation")].iloc[0]
    assert float(util["mean"]) == pytest.approx(rho, abs=0.01)


def _cash_service_min(log: sim.DayLog) -> dict[int, float]:
    """Each customer served at cash: the length of that service (min)."""
    served = np.flatnonzero((log.visit_zone == CASH) & (log.visit_status == DONE))
    return dict(zip(log.visit_customer[served].tolist(),
                    (log.visit_end_min[served] - log.visit_start_min[served]).tolist(), strict=True))


def test_tellers_selling_lengthen_the_cash_queue_by_the_predicted_minutes() -> None:
    """Backbone outlet, cash tellers cross-selling (chance 0.05 per bundle product × propensity),
    1 min per pitch and 5 per sale: over 30 paired days (the same customers and service draws) the
    cash services of the customers served in both grow by what their bundles predict (k·1 + k·p·5
    per customer, a bundle of k products at chance p), the cash wait rises and tellers sell."""
    base = load_scenario(SCENARIOS / "backbone_outlet.toml")
    on = with_overrides(base, {"sales.cross_sale.cash": {"cash_teller": 0.05},
                               "selling_time": {"cash": {"cash_teller": {"pitch": fixed(1), "sale": fixed(5)}}}},
                        quiet=True)
    chances = compile_layout(on).sales
    teller = ROLES.index("cash_teller")
    k = (chances.bundle >= 0).sum(axis=1)
    per_segment = k * 1.0 + k * chances.cross_sale[CASH, teller] * 5.0
    extra, predicted, wait, sold = [], [], [], []
    for rep in range(30):
        a, b = sim.simulate(base, seed=7, replication=rep), sim.simulate(on, seed=7, replication=rep)
        before, after = _cash_service_min(a), _cash_service_min(b)
        both = sorted(set(before) & set(after))
        extra.append(sum(after[i] - before[i] for i in both))
        predicted.append(float(per_segment[b.customers.segment[both]].sum()))
        ka, kb = sim.day_kpis(a), sim.day_kpis(b)
        wait.append(kb.zones[sim.ZONES.index("cash"), 0] - ka.zones[sim.ZONES.index("cash"), 0])
        sold.append(kb.outlet[sim.OUTLET_KPIS.index("sales")] - ka.outlet[sim.OUTLET_KPIS.index("sales")])
    diff = np.array(extra) - np.array(predicted)
    half = 2.05 * diff.std(ddof=1) / math.sqrt(diff.size)  # t(0.975, 29)
    assert abs(diff.mean()) <= half + 0.02 * np.mean(predicted), (diff.mean(), half, np.mean(predicted))
    assert np.mean(predicted) > 100.0  # the effect is there to measure: over 100 min a day
    w = np.array(wait)
    assert w.mean() - 2.05 * w.std(ddof=1) / math.sqrt(w.size) > 0  # the cash wait rises
    assert np.mean(sold) > 0


@pytest.mark.parametrize(("table", "field", "message"), [
    ({"lobby": {"cash_teller": {"pitch": fixed(1)}}}, "selling_time.lobby.cash_teller", "does not serve 'lobby'"),
    ({"cash": {"cashier": {"pitch": fixed(1)}}}, "selling_time.cash.cashier", "unknown role"),
    ({"vault": {}}, "selling_time.vault", "unknown name"),
    ({"cash": {"cash_teller": {"pitch": {"distribution": "deterministic", "value_min": -1}}}},
     "selling_time.cash.cash_teller.pitch.value_min", "must be > 0"),
    ({"cash": {"cash_teller": {"pitch_min": 1}}}, "selling_time.cash.cash_teller.pitch_min", "unknown key"),
    ({"cash": {"cash_teller": {"by_product": {"gold": {"sale": fixed(1)}}}}},
     "selling_time.cash.cash_teller.by_product.gold", "unknown product"),
    ({"cash": {"cash_teller": {"by_product": {"card": {"referral": fixed(1)}}}}},
     "selling_time.cash.cash_teller.by_product.card.referral", "unknown key"),
])
def test_bad_selling_time_is_one_line_naming_the_field(minimal: dict[str, Any], table: dict[str, Any], field: str,
                                                       message: str) -> None:
    minimal["products"] = {"card": {"value_yuan": 50}}
    minimal["selling_time"] = table
    assert_refused(lambda: from_dict(minimal, "outlet.toml"), f"outlet.toml: {field}: ", message)


def test_referral_time_outside_cash_is_refused(minimal: dict[str, Any]) -> None:
    minimal["zones"]["non_cash"] = {"positions": 1}
    minimal["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash"]}
    minimal["service"]["non_cash"] = fixed(4)
    minimal["selling_time"] = {"non_cash": {"customer_manager": {"referral": fixed(1)}}}
    with pytest.raises(ScenarioError, match=r"^outlet.toml: selling_time.non_cash.customer_manager.referral: .*cash"):
        from_dict(minimal, "outlet.toml")
