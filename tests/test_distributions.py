"""Service and patience distributions: sampled moments against the parameters they are given.

Each check allows five standard errors of the estimate (computed from the distribution's
own moments), so it holds for any seed with overwhelming probability; one seed is kept.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.distributions import Distribution

N = 200_000


def _draw(dist: Distribution) -> np.ndarray:
    return dist.sample(np.random.default_rng(20261129), N)


@pytest.mark.parametrize(("kind", "mean", "cv"), [
    ("exponential", 3.0, 1.0), ("lognormal", 3.0, 0.8), ("lognormal", 10.0, 0.3), ("gamma", 3.0, 0.5),
    ("gamma", 25.0, 1.5),
])
def test_mean_and_cv_of_draws(kind: str, mean: float, cv: float) -> None:
    x = _draw(Distribution(kind, mean, cv=cv))
    sd = cv * mean
    assert np.all(x > 0)
    assert x.mean() == pytest.approx(mean, abs=5 * sd / math.sqrt(N))
    # the sample sd of a skewed law converges slower than normal theory says: allow 3% relative
    assert x.std() / x.mean() == pytest.approx(cv, rel=0.03)


def test_lognormal_log_moments() -> None:
    mean, cv = 4.0, 0.6
    logs = np.log(_draw(Distribution("lognormal", mean, cv=cv)))
    sigma2 = math.log(1 + cv * cv)  # by hand: E[X] = exp(mu + sigma^2/2), CV^2 = exp(sigma^2) - 1
    assert logs.var() == pytest.approx(sigma2, rel=0.02)
    assert logs.mean() == pytest.approx(math.log(mean) - sigma2 / 2, abs=5 * math.sqrt(sigma2 / N))


def test_deterministic_is_constant() -> None:
    assert np.array_equal(_draw(Distribution("deterministic", 2.5, cv=0.0)), np.full(N, 2.5))


def test_empirical_resamples_the_values_with_equal_weight() -> None:
    values = (1.5, 2.0, 4.5, 7.0)
    x = _draw(Distribution("empirical", sum(values) / 4, cv=0.0, values_min=values))
    assert set(np.unique(x)) == set(values)
    shares = np.array([(x == v).mean() for v in values])
    assert shares == pytest.approx(np.full(4, 0.25), abs=5 * math.sqrt(0.25 * 0.75 / N))
