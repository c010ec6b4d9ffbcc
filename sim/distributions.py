"""Named probability distributions for service, greeting and patience times (minutes).

Scenario files name a distribution and its parameters, always in minutes::

    {distribution = "exponential",   mean_min = 3.0}
    {distribution = "lognormal",     mean_min = 3.0, cv = 0.8}
    {distribution = "gamma",         mean_min = 3.0, cv = 0.5}
    {distribution = "deterministic", value_min = 2.0}
    {distribution = "empirical",     values_min = [1.5, 2.0, 4.5]}

``cv`` is the coefficient of variation (standard deviation / mean). Lognormal is
parameterised by mean and cv because call-centre and counter service times fit a
lognormal better than an exponential (Brown et al. 2005, JASA 100:36-50). An
empirical distribution resamples the listed observations with equal weight.
Sampling is vectorised: one call draws a whole day's values from one generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KINDS = ("exponential", "lognormal", "gamma", "deterministic", "empirical")


@dataclass(frozen=True, slots=True)
class Distribution:
    """A positive random duration in minutes.

    Attributes:
        kind: one of :data:`KINDS`.
        mean_min: mean in minutes (for ``empirical``, the mean of the values).
        cv: coefficient of variation for ``lognormal`` and ``gamma``; implied otherwise.
        values_min: observations for ``empirical``; empty otherwise.
    """

    kind: str
    mean_min: float
    cv: float = 1.0
    values_min: tuple[float, ...] = ()

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` independent durations (minutes) from ``rng``."""
        if self.kind == "exponential":
            return rng.exponential(self.mean_min, n)
        if self.kind == "lognormal":
            sigma2 = math.log1p(self.cv * self.cv)
            mu = math.log(self.mean_min) - sigma2 / 2.0
            return rng.lognormal(mu, math.sqrt(sigma2), n)
        if self.kind == "gamma":
            shape = 1.0 / (self.cv * self.cv)
            return rng.gamma(shape, self.mean_min / shape, n)
        if self.kind == "deterministic":
            return np.full(n, self.mean_min)
        return rng.choice(np.asarray(self.values_min), n)

