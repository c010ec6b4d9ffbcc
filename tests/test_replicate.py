"""Replications: the t quantile, the summary, hour labels, the JSON shape and parallel runs."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.executors import SerialExecutor
from sim.replicate import MAX_REPLICATIONS, interval, summarise
from sim.student_t import t_quantile
from tests.conftest import MINIMAL, SCENARIOS

TABLES = ("zones", "outlet", "by_hour", "by_segment", "by_role", "days", "zone_days")


@pytest.mark.parametrize("p", [0.55, 0.6, 0.9, 0.975, 0.995, 0.9999, 0.025, 0.2])
def test_t_quantile_matches_scipy(p: float) -> None:
    for df in [*range(1, 260), 999, 1000, 1001, 5000, 99_999]:
        assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-10), df


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 30, 2000])
def test_t_quantile_near_the_median_is_the_inverse_density_at_zero(df: int) -> None:
    # Just above the median the distribution function rises like f(0)·t, so t = (p − ½)/f(0).
    density_at_zero = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    assert t_quantile(0.5 + 1e-9, df) == pytest.approx(1e-9 / density_at_zero, rel=1e-6)
    assert t_quantile(0.5, df) == 0.0


@pytest.mark.parametrize(("p", "df"), [(0.0, 3), (1.0, 3), (0.5, 0), (0.9, 2.5), (float("nan"), 4)])
def test_t_quantile_refuses_outside_its_domain(p: float, df: Any) -> None:
    with pytest.raises(ValueError, match="must"):
        t_quantile(p, df)


def test_summary_is_the_student_t_interval_per_column() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(10.0, 2.0, size=(12, 5))
    values[:7, 1] = np.nan  # columns with 12, 5, 1 and 0 finite values
    values[:11, 2] = np.nan
    values[:, 3] = np.nan
    out = summarise(values)
    for j in (0, 1, 4):
        column = values[np.isfinite(values[:, j]), j]
        n = column.size
        half = stats.t.ppf(0.975, n - 1) * column.std(ddof=1) / np.sqrt(n)
        expected = [column.mean(), column.std(ddof=1), column.mean() - half, column.mean() + half, half, n]
        np.testing.assert_allclose(out[j], expected, rtol=1e-12)
    np.testing.assert_array_equal(out[2], [values[11, 2], np.nan, np.nan, np.nan, np.nan, 1])
    np.testing.assert_array_equal(out[3], [np.nan] * 5 + [0])


def _half_past_eight() -> sim.Scenario:
    data = copy.deepcopy(MINIMAL)
    data["outlet"].update({"open": "08:30", "close": "12:30"})
    return sim.from_dict(data)


def test_hour_labels_start_at_the_opening_minute() -> None:
    result = sim.replicate(_half_past_eight(), n=2, seed=1)
    assert list(pd.unique(result.by_hour["hour"])) == ["08:30", "09:30", "10:30", "11:30"]
    assert list(result.to_dict()["by_hour"]) == ["08:30", "09:30", "10:30", "11:30"]


def test_json_has_every_table_in_the_mean_ci_shape() -> None:
    result = sim.replicate(sim.load_scenario(SCENARIOS / "backbone_outlet.toml"), n=3, seed=4)
    doc = result.to_dict()
    assert {"scenario", "seed", "replications", "zones", "outlet"} <= set(doc)
    for which, key in [("zones", "zone"), ("by_hour", "hour"), ("by_segment", "segment"), ("by_role", "role")]:
        frame = getattr(result, which)
        assert list(doc[which]) == [str(g) for g in pd.unique(frame[key])]
        for row in frame.itertuples():
            cell = doc[which][str(getattr(row, key))][row.kpi]
            expected = [row.mean, row.ci95_low, row.ci95_high]
            got = [cell["mean"], *cell["ci95"]]
            assert got == [float(x) if np.isfinite(x) else None for x in expected]
    assert set(doc["by_role"]) == {r for r in sim.ROLES if r in result.scenario.roles}


def _assert_identical(a: sim.Replications, b: sim.Replications) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


@pytest.mark.parametrize("n", [1, 7, 20])
def test_processes_give_the_serial_result_bit_for_bit(n: int) -> None:
    scenario = sim.load_scenario(SCENARIOS / "advancing_outlet.toml")
    serial = sim.replicate(scenario, n=n, seed=9)
    seen: list[int] = []
    parallel = sim.replicate(scenario, n=n, seed=9, executor="processes", workers=2, progress=seen.append)
    _assert_identical(serial, parallel)
    assert seen == sorted(set(seen))
    assert seen[-1] == n


def test_an_open_executor_is_used_and_chunks_come_back_in_order() -> None:
    scenario = sim.load_scenario(SCENARIOS / "potential_outlet.toml")

    class Reversed(SerialExecutor):
        """Finishes tasks in reverse order, as a busy pool might."""

        workers = 3

        def imap(self, fn: Any, tasks: Any) -> Any:
            return reversed([fn(task) for task in tasks])

    _assert_identical(sim.replicate(scenario, n=30, seed=2), sim.replicate(scenario, n=30, seed=2,
                                                                            executor=Reversed()))


@pytest.mark.parametrize(("n", "seed", "match"), [(0, 0, "replications"), (MAX_REPLICATIONS + 1, 0, "replications"),
                                                  (2, -1, "seed")])
def test_bounds(n: int, seed: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sim.replicate(_half_past_eight(), n=n, seed=seed)


def test_interval_direct_path_gives_summarise_bits() -> None:
    """``interval``'s direct path (two or more days, no NaN) must give exactly the bits of ``summarise``,
    so that the optimiser's choices do not move: 5,000 random series of 2-300 days, levels up to 1e6
    yuan and sd up to 1e5, a third of them coarse (multiples of 1/7, where rounding differs most)."""
    rng = np.random.default_rng(11)
    for k in range(5000):
        n = int(rng.integers(2, 300))
        x = rng.normal(rng.uniform(-1e6, 1e6), rng.uniform(0, 1e5), n)
        if k % 3 == 0:
            x = rng.integers(0, 50, n).astype(float) / 7
        got = interval(x)
        s = summarise(x[:, None])[0]
        assert (got.mean, got.std, got.low, got.high, got.half_width, got.n) == (
            float(s[0]), float(s[1]), float(s[2]), float(s[3]), float(s[4]), int(s[5])), (k, n)


def test_interval_with_missing_days_leaves_them_out() -> None:
    """NaN days (and a single day) still go through ``summarise``: a NaN day is left out, one day has no sd."""

    with_nan = interval(np.array([1.0, np.nan, 3.0]))
    assert (with_nan.mean, with_nan.n) == (2.0, 2)
    assert with_nan.std == pytest.approx(math.sqrt(2.0))
    one = interval(np.array([5.0]))
    assert (one.mean, one.n) == (5.0, 1)
    assert math.isnan(one.std)
    assert math.isnan(one.half_width)
