"""Random draws against their definitions: distribution moments, empirical resampling,
and field marketing's expected conversions from a finite pool (computed by hand)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sim
from sim.distributions import Distribution
from sim.model import field_marketing

N = 400_000


@pytest.mark.parametrize(("kind", "mean", "cv"), [("lognormal", 3.0, 0.8), ("lognormal", 15.0, 0.3),
                                                   ("gamma", 3.0, 0.5), ("gamma", 2.0, 1.6)])
def test_lognormal_and_gamma_draws_have_the_stated_mean_and_cv(kind: str, mean: float, cv: float) -> None:
    draws = Distribution(kind, mean, cv=cv).sample(np.random.default_rng(1), N)
    # Standard error of the sample mean is cv·mean/√N ≈ 0.25% of the mean at cv = 1.6.
    assert draws.mean() == pytest.approx(mean, rel=0.01)
    assert draws.std(ddof=1) / draws.mean() == pytest.approx(cv, rel=0.03)
    assert draws.min() > 0


def test_empirical_draws_resample_the_values_with_equal_weight() -> None:
    values = (1.5, 2.0, 4.5, 4.5, 9.0)  # 4.5 listed twice: drawn twice as often
    draws = Distribution("empirical", sum(values) / len(values), cv=0.0, values_min=values).sample(
        np.random.default_rng(2), N)
    assert set(np.unique(draws).tolist()) == {1.5, 2.0, 4.5, 9.0}
    for value in (1.5, 2.0, 9.0):
        assert np.mean(draws == value) == pytest.approx(0.2, abs=0.005)  # sd of a share: 0.0006
    assert np.mean(draws == 4.5) == pytest.approx(0.4, abs=0.005)


def test_empirical_service_in_a_scenario(minimal: dict[str, Any]) -> None:
    minimal["service"]["cash"] = {"distribution": "empirical", "values_min": [1.0, 3.0]}
    log = sim.simulate(sim.from_dict(minimal), seed=3)
    served = ~np.isnan(log.visit_start_min)
    durations = (log.visit_end_min - log.visit_start_min)[served]
    np.testing.assert_allclose(durations, np.round(durations), atol=1e-9)  # end − start of a 1 or 3 min service
    assert set(np.round(durations).tolist()) == {1.0, 3.0}


def field_scenario(minimal: dict[str, Any], outside: int, visits: float, conversion: float, pool: int) -> sim.Scenario:
    minimal["staff"]["customer_manager"] = {"count": outside, "inside": 0, "zones": []}
    minimal["field"] = {"visits_per_day": visits, "conversion": conversion, "prospect_pool": pool,
                        "value_per_new_customer_yuan": 900}
    return sim.from_dict(minimal)


def test_field_marketing_expected_conversions_from_a_finite_pool(minimal: dict[str, Any]) -> None:
    # By hand: 2 people × 2 visits = 4 visits to a pool of 10 prospects, conversion 0.5.
    # Each visit converts one of the U still unconverted with probability (U/10)·0.5, so
    # E[U] falls by the factor 0.95 per visit: E[converted] = 10·(1 − 0.95⁴) = 1.8549375.
    scenario = field_scenario(minimal, outside=2, visits=2, conversion=0.5, pool=10)
    expected = 10 * (1 - 0.95**4)
    assert expected == pytest.approx(1.8549375)
    rng = np.random.default_rng(4)
    days = np.array([field_marketing(scenario, rng) for _ in range(40_000)])
    assert days.max() <= 4
    assert days.mean() == pytest.approx(expected, abs=0.03)  # sd of the mean ≈ 0.005
    # With an unlimited pool the same visits would convert 4 × 0.5 = 2 on average: the
    # finite pool gives diminishing returns.
    assert days.mean() < 2 - 0.1


def test_field_marketing_counts_in_the_outlet_value(minimal: dict[str, Any]) -> None:
    """Every day's field wins are the KPI and all of the value; over 80 days their mean is 15 visits
    × 0.2 (a pool of 1,000 is barely touched in a day) within 4 standard errors. (One day alone has no
    win with probability 0.8**15 = 3.5%, so a single-seed "> 0" check was luck.)"""
    scenario = field_scenario(minimal, outside=3, visits=5, conversion=0.2, pool=1000)
    wins = []
    for seed in range(80):
        log = sim.simulate(scenario, seed=seed)
        out = dict(zip(sim.OUTLET_KPIS, sim.day_kpis(log).outlet, strict=True))
        assert out["field_new_customers"] == log.field_new_customers
        # The minimal scenario charges no fees and sells nothing: field marketing is all the value.
        assert out["value_yuan"] == pytest.approx(900 * log.field_new_customers)
        wins.append(log.field_new_customers)
    se = np.sqrt(15 * 0.2 * 0.8 / len(wins))
    assert abs(np.mean(wins) - 15 * 0.2) < 4 * se
