"""The validation suite's pass rule: the stated tolerance, or the simulation's 99.9% noise if wider."""

from __future__ import annotations

import pytest
from scipy import stats

from sim.validation import Check


def test_noise_is_the_999_interval_half_width() -> None:
    check = Check(metric="w", simulated=1.0, ci95=(0.98, 1.02), analytic=1.0, days=20, rel_tol=0.03)
    assert check.noise == pytest.approx(0.02 * stats.t.ppf(0.9995, 19) / stats.t.ppf(0.975, 19))


@pytest.mark.parametrize(("simulated", "ci_half", "passed", "limited"), [
    (1.029, 0.005, True, False),   # within 3%, precise run
    (1.031, 0.005, False, False),  # beyond 3%, and the run resolves it: a real deviation
    (1.050, 0.030, True, True),    # beyond 3% but inside the noise of a short run
    (1.200, 0.030, False, True),   # beyond both
])
def test_tolerance_or_noise(simulated: float, ci_half: float, passed: bool, limited: bool) -> None:
    check = Check(metric="w", simulated=simulated, ci95=(simulated - ci_half, simulated + ci_half), analytic=1.0,
                  days=20, rel_tol=0.03)
    assert check.passed is passed
    assert ("noise-limited" in check.tolerance()) is limited


def test_absolute_tolerance_and_single_day() -> None:
    assert Check(metric="p", simulated=0.5, ci95=(0.49, 0.51), analytic=0.509, days=30, abs_tol=0.01).passed
    assert not Check(metric="p", simulated=0.5, ci95=(0.49, 0.51), analytic=0.52, days=30, abs_tol=0.01).passed
    assert Check(metric="p", simulated=0.5, ci95=(float("nan"), float("nan")), analytic=0.505, days=1,
                 abs_tol=0.01).noise == 0.0
