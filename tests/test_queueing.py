"""Analytic queueing reproduces published values, refuses bad input, and inverts correctly."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.queueing import UnstableQueueError, erlang_a, erlang_b, erlang_c, servers_needed, zone_load
from tests.conftest import SCENARIOS


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.mark.parametrize(("c", "p0", "lq"), [(1, 0.167, 4.167), (2, 0.412, 0.175), (3, 0.432, 0.022),
                                             (4, 0.434, 0.003), (5, 0.435, 0.000)])
def test_mmc_textbook_p0_and_lq(c: int, p0: float, lq: float) -> None:
    m = erlang_c(25.0, 30.0, c)  # per hour
    assert round(m.p0, 3) == p0
    assert round(m.mean_queue, 3) == lq


def test_erlang_c_call_centre_example() -> None:
    lam, mu = 100 / 1800, 1 / 180  # per second: 100 calls per 30 min, 180 s handling
    m14 = erlang_c(lam, mu, 14)
    assert sig3(m14.p_wait) == 0.174
    assert sig3(m14.service_level(20)) == 0.888
    assert sig3(m14.occupancy) == 0.714
    assert round(m14.mean_wait, 1) == 7.8
    m11 = erlang_c(lam, mu, 11)
    assert sig3(m11.p_wait) == 0.682
    assert sig3(m11.service_level(20)) == 0.390
    assert servers_needed(lam, mu, service_level=0.8, target_wait=20) == 14


def test_erlang_a_published_example() -> None:
    m = erlang_a(48.0, 1.0, 0.5, 50)  # per minute; mean patience 2 min
    assert sig3(m.p_wait) == 0.468
    assert sig3(m.p_abandon) == 0.0309
    assert round(m.mean_wait * 60, 1) == 3.7
    assert sig3(m.occupancy) == 0.930


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    c_metrics = erlang_c(8.0, 1.0, 10)
    a_metrics = erlang_a(8.0, 1.0, 1e-6, 10)
    assert a_metrics.p_wait == pytest.approx(c_metrics.p_wait, rel=1e-3)
    assert a_metrics.mean_wait == pytest.approx(c_metrics.mean_wait, rel=1e-3)
    assert a_metrics.service_level(0.5) == pytest.approx(c_metrics.service_level(0.5), abs=1e-3)


def test_erlang_a_service_level_bounds() -> None:
    m = erlang_a(48.0, 1.0, 0.5, 50)
    assert m.service_level(0.0) == pytest.approx(1 - m.p_wait, abs=1e-9)
    assert m.service_level(1e3) == pytest.approx(1 - m.p_abandon, abs=1e-9)


def test_large_c_is_stable() -> None:
    m = erlang_c(950.0, 1.0, 1000)
    assert 0 < m.p_wait < 1
    assert math.isfinite(m.mean_wait)
    assert erlang_b(950.0, 1000) == pytest.approx(erlang_b(950.0, 999) * 950 / (1000 + 950 * erlang_b(950.0, 999)))
    a = erlang_a(1200.0, 1.0, 0.2, 1000)
    assert a.p_abandon == pytest.approx((1200 - a.occupancy * 1000) / 1200, rel=1e-6)  # flow balance


@pytest.mark.parametrize(("args", "message"), [
    ((-1.0, 1.0, 2), "lam: arrival rate"), ((1.0, 0.0, 2), "mu: service rate"), ((1.0, 1.0, 0), "c: number"),
    ((1.0, 1.0, 1.5), "c: number"),
])
def test_bad_input_is_named(args: tuple[float, float, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        erlang_c(*args)


def test_unstable_load_is_reported_not_a_number() -> None:
    with pytest.raises(UnstableQueueError, match=r"λ/μ = 3 >= c = 3"):
        erlang_c(3.0, 1.0, 3)
    with pytest.raises(ValueError, match="theta"):
        erlang_a(3.0, 1.0, 0.0, 3)


def test_servers_needed_is_vectorised_and_minimal() -> None:
    lams = np.array([0.0, 0.5, 2.7, 9.0])
    need = servers_needed(lams, 1.0, service_level=0.8, target_wait=0.5)
    assert need.shape == lams.shape
    assert need[0] == 0
    for lam, c in zip(lams[1:], need[1:], strict=True):
        assert erlang_c(lam, 1.0, int(c)).service_level(0.5) >= 0.8
        assert c == 1 or lam >= c - 1 or erlang_c(lam, 1.0, int(c) - 1).service_level(0.5) < 0.8
    # Erlang A with an abandonment target.
    c = int(servers_needed(48.0, 1.0, max_abandon=0.01, theta=0.5))
    assert erlang_a(48.0, 1.0, 0.5, c).p_abandon <= 0.01 < erlang_a(48.0, 1.0, 0.5, c - 1).p_abandon


def test_zone_load_follows_the_scenario_routing() -> None:
    scenario = sim.load_scenario(SCENARIOS / "mmc_cash_only.toml")
    rates, mean = zone_load(scenario, "cash")
    assert np.allclose(rates, 2.7)
    assert mean == 1.0
    backbone = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    lobby, _ = zone_load(backbone, "lobby")
    assert lobby.sum() * 60 == pytest.approx(backbone.expected_customers)
    total = sum(zone_load(backbone, z)[0].sum() for z in ("cash", "non_cash", "self_service", "wealth"))
    extra_referrals = total * 60 - backbone.expected_customers
    assert 0 < extra_referrals < 0.2 * backbone.expected_customers
    with pytest.raises(ValueError, match="not open"):
        zone_load(scenario, "wealth")
