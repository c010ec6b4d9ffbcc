"""Control variates: a day's own arrival count, whose mean the scenario states, to sharpen a KPI's mean.

A day with more customers than expected has longer waits, more walk-outs and more
value; the scenario knows the expected count exactly (the Poisson arrivals' mean, the
sum over the hourly slots of rate × length). The controlled mean of a per-day KPI ``y``
with control ``x`` of known mean ``μ`` is

    ȳ − β (x̄ − μ),   β = cov(y, x) / var(x)  (the regression slope, estimated from the days),

unbiased up to ``O(1/n)`` and with variance ``(1 − ρ²)`` times the plain mean's, ``ρ``
the correlation of ``y`` and ``x`` (one degree of freedom is spent on ``β``). It pays
only where the control explains much of a KPI's spread: a level such as the day's value
or mean wait; a *difference* between two staffing patterns on common random numbers has
the day's customers in both terms and is explained by them much less (the optimiser's
benchmark measures it: ``benchmarks/adaptive_bench.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.scenario_types import Scenario
from sim.student_t import t_quantile


def expected_arrivals(scenario: Scenario) -> float:
    """The expected ``arrived`` of one day (customers arriving after ``outlet.warmup_min``, the ones the KPIs
    count): Σ over the hourly arrival slots (slot ``h`` starts at minute ``60 h``) of rate (per hour) × the
    slot's minutes after the warm-up / 60."""
    warm = scenario.outlet.warmup_min
    return float(sum(rate * max(0.0, min(length, 60.0 * h + length - warm)) / 60.0
                     for h, (rate, length) in enumerate(zip(scenario.rate_per_hour, scenario.outlet.slot_min,
                                                            strict=True))))


@dataclass(frozen=True)
class Controlled:
    """A controlled mean: the estimate, its standard error, the 95% interval, the slope ``beta`` and the
    share of the KPI's variance the control explained (``r2``), over ``n`` days."""

    mean: float
    se: float
    low: float
    high: float
    beta: float
    r2: float
    n: int


def controlled_mean(y: np.ndarray, x: np.ndarray, mu: float) -> Controlled:
    """The control-variate estimate of the mean of per-day ``y`` with per-day control ``x`` of known mean ``mu``.

    It is the regression of ``y`` on ``x`` read at ``x = mu``, so its standard error is the
    regression's at that point, ``s · √(1/n + (x̄ − mu)² / Σ(x − x̄)²)`` with ``s²`` the
    residuals' variance on ``n − 2`` degrees of freedom, and the interval Student-t on as many.

    Raises:
        ValueError: fewer than three days, arrays of different lengths, or a control with no spread.
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    n = y.size
    if x.size != n or n < 3:
        raise ValueError(f"controlled_mean: needs at least 3 days of y and x alike, got {n} and {x.size}")
    sxx = float(np.sum((x - x.mean()) ** 2))
    if sxx == 0.0:
        raise ValueError("controlled_mean: the control has no spread over the days")
    beta = float(np.sum((x - x.mean()) * (y - y.mean()))) / sxx
    resid = y - y.mean() - beta * (x - x.mean())
    s2 = float(np.sum(resid ** 2)) / (n - 2)
    se = math.sqrt(s2 * (1.0 / n + (x.mean() - mu) ** 2 / sxx))
    syy = float(np.sum((y - y.mean()) ** 2))
    mean = float(y.mean() - beta * (x.mean() - mu))
    half = t_quantile(0.975, n - 2) * se
    return Controlled(mean, se, mean - half, mean + half, beta, 1.0 - float(np.sum(resid ** 2)) / syy if syy else 0.0,
                      n)
