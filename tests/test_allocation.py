"""The race (optimize.allocation): its schedule, its elimination test, a selection with known answers, and the
optimiser end to end with ``allocation = "race"`` on a small region."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimize import load_region, recommend
from optimize.allocation import ALPHA, Selection, day_schedule, keep_count, sequential_elimination, surely_worse
from sim import seeds
from sim.errors import ScenarioError
from tests.test_optimize_recommend import SMALL

#: Seeds of the known-answer selections (each a fresh draw of every arm's days).
TRIALS = 400


def _arms(means: np.ndarray, seed: int, most: int) -> np.ndarray:
    """Every arm's ``most`` days: its mean + the day's common effect (common random numbers, sd 3) + its own
    N(0, 1) noise."""
    rng = seeds.generator(seed, 19)
    return means[:, None] + 3.0 * rng.standard_normal(most)[None, :] + rng.standard_normal((means.size, most))


def _race(days: np.ndarray) -> Selection:
    """The race over arms whose days are the rows of ``days``, from 2 days to all of them."""
    return sequential_elimination(lambda arm, n: days[arm, :n], days.shape[0], 2, days.shape[1])


def _select(means: np.ndarray, seed: int) -> Selection:
    return _race(_arms(means, seed, 32))


def _binomial_floor(p: float) -> float:
    """``p`` less three binomial standard errors over :data:`TRIALS` (a correct procedure falls below ~1 in 700)."""
    return p - 3.0 * math.sqrt(p * (1.0 - p) / TRIALS)


def test_day_schedule_doubles_up_to_the_most() -> None:
    assert day_schedule(2, 24) == [2, 4, 8, 16, 24]
    assert day_schedule(2, 8) == [2, 4, 8]
    assert day_schedule(8, 5) == [5]


def test_keep_count_shrinks_by_the_share_but_keeps_the_floor() -> None:
    assert keep_count(40, 1, 5) == 10
    assert keep_count(40, 2, 5) == 5
    assert keep_count(3, 1, 5) == 3


def test_surely_worse_needs_the_bound_above_zero() -> None:
    assert surely_worse(np.array([1.0, 1.1, 0.9, 1.05]), 1)
    assert not surely_worse(np.array([1.0, -1.0, 2.0, -2.0]), 1)
    assert not surely_worse(np.array([3.0]), 1)  # one day proves nothing
    assert not surely_worse(np.array([2.0, 2.0, 2.0]), 1)  # no spread: no bound
    # Bonferroni: the same days prove less when the pattern faces more comparisons
    diff = np.array([1.0, 0.2, 0.6, 0.9, 0.1])
    assert surely_worse(diff, 1)
    assert not surely_worse(diff, 1000)


def test_the_best_of_equal_patterns_is_eliminated_at_most_alpha_of_the_time() -> None:
    """The least favourable case: five equal arms; arm 0 (one of the best) may be eliminated with
    probability at most ALPHA (Bonferroni over its comparisons in every round)."""
    eliminated = sum(0 not in _select(np.zeros(5), seed).survivors for seed in range(TRIALS)) / TRIALS
    assert eliminated <= ALPHA + 3.0 * math.sqrt(ALPHA * (1 - ALPHA) / TRIALS)


def test_the_best_of_spaced_patterns_is_picked_with_the_stated_probability() -> None:
    """Means 0, −0.5, −1, −1.5, −2 (own noise sd 1, a common day effect of sd 3 that common random numbers
    cancel), 2 to 32 days. The best is lost only if eliminated (at most ALPHA) or beaten on the final means:
    P(correct) ≥ 1 − ALPHA − Σ_j Φ(−δ_j √32 / √2) = 0.927 (δ_j the gaps); observed over 400 seeds, less three
    binomial standard errors. It also spends fewer days than giving every arm all 32."""
    means = -0.5 * np.arange(5)
    bound = 1.0 - ALPHA - sum(0.5 * math.erfc(d * math.sqrt(32 / 2) / math.sqrt(2)) for d in -means[1:])
    assert bound == pytest.approx(0.927, abs=1e-3)
    results = [_select(means, seed) for seed in range(TRIALS)]
    correct = sum(r.pick == 0 for r in results) / TRIALS
    assert correct >= _binomial_floor(bound)
    assert np.mean([r.days for r in results]) < 0.8 * 5 * 32


def test_without_common_random_numbers_the_same_race_separates_far_less() -> None:
    """The common day effect (sd 3) is what the paired test cancels: with an independent day effect per arm
    instead (no common random numbers) the race ends with the best alone far less often."""
    means = -0.5 * np.arange(5)
    crn = sum(_select(means, seed).survivors == (0,) for seed in range(100))
    indep = sum(_race(_arms(means, seed, 32) + 3.0 * seeds.generator(seed, 20).standard_normal((5, 32))).survivors
                == (0,) for seed in range(100))
    assert crn > indep + 10


def _small_region(tmp_path: Path, allocation: str) -> Path:
    path = tmp_path / "region.toml"
    path.write_text(SMALL.replace("screen_replications = 3", f"screen_replications = 4\nallocation = \"{allocation}\""))
    return path


@pytest.mark.slow
def test_race_end_to_end_on_a_small_region(tmp_path: Path) -> None:
    """The region file's ``[search] allocation = "race"`` runs the race (2, 4, 8 days): fewer candidate days than
    the fixed method on the same region, a verified plan, and the option of recommend() overrides the file."""
    options: dict[str, Any] = {"replications": 8, "seed": 3, "executor": "serial", "frontier": 0, "stage2": 3}
    race = recommend(load_region(_small_region(tmp_path, "race")), **options)
    fixed = recommend(load_region(_small_region(tmp_path, "race")), allocation="fixed", **options)
    assert race.counts["simulated_days"] < fixed.counts["simulated_days"]
    assert race.status == fixed.status
    days = set(race.candidates.loc[race.candidates["replications"] > 0, "replications"])
    assert {2, 8} <= days <= {2, 4, 8}  # every pattern its first 2 days, the contenders up to 8


def test_bad_allocation_is_one_line_naming_the_option(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"search.allocation.*fixed.*race"):
        load_region(_small_region(tmp_path, "ocba"))
    region = load_region(_small_region(tmp_path, "fixed"))
    with pytest.raises(ValueError, match=r"^allocation: 'ocba' is not allowed; allowed: fixed, race$"):
        recommend(region, allocation="ocba", executor="serial")
