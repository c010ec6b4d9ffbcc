"""Bad scenario input stops with one clear ScenarioError naming file, field and what is allowed."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sim
from tests.conftest import MINIMAL, TIER_FILES


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "outlet.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("path", "value", "field", "allowed"), [
    ("outlet.colour", "red", "outlet.colour", "unknown key; allowed here:"),
    ("arrivals.rate_per_hour", -3.0, "arrivals.rate_per_hour", "must be > 0"),
    ("arrivals.rate_per_hour", 0, "arrivals.rate_per_hour", "must be > 0"),
    ("segments.mass.share", 0.7, "segments", "segment shares must sum to 1"),
    ("segments.mass.needs", {"cash": 0.5, "wealth": 0.4}, "segments.mass.needs", "shares must sum to 1"),
    ("staff.cash_teller.zones", ["cash", "vault"], "staff.cash_teller.zones", "a list of distinct zones from: lobby"),
    ("staff.cash_teller.shift", ["08:00", "17:00"], "staff.cash_teller.shift", "must lie within opening hours"),
    ("staff.cash_teller.lunch", ["16:30", "17:30"], "staff.cash_teller.lunch", "must lie within the shift"),
    ("staff.teller", {"count": 1}, "staff.teller", "allowed: outlet_head"),
    ("outlet.tier", "gold", "outlet.tier", "allowed: flagship, backbone, advancing, potential"),
    ("outlet.open", "9am", "outlet.open", 'expected a clock time "HH:MM"'),
    ("service.cash.distribution", "weibull", "service.cash.distribution", "allowed: exponential, lognormal"),
    ("service.cash.mean_min", 0, "service.cash.mean_min", "must be > 0"),
    ("zones.non_cash", {"positions": 2}, "service.non_cash", "needs a service time"),
    ("segments.mass.bundle", ["yacht"], "segments.mass.bundle", "every product must be in [products]"),
    ("staff.customer_manager", {"count": 2, "inside": 3}, "staff.customer_manager.inside", "must be <= count"),
    ("sales.referral_probability", 1.5, "sales.referral_probability", "must be <= 1"),
    ("zones.cash.positions", 2.5, "zones.cash.positions", "expected a whole number"),
])
def test_each_bad_field_is_named(path: str, value: Any, field: str, allowed: str) -> None:
    data = copy.deepcopy(MINIMAL)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, "branch.toml")
    message = str(info.value)
    assert message.startswith(f"branch.toml: {field}: ")
    assert allowed in message


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(sim.ScenarioError, match=r"missing\.toml: cannot read the file"):
        sim.load_scenario(tmp_path / "missing.toml")
    bad = write(tmp_path, "[outlet\nname = 1")
    with pytest.raises(sim.ScenarioError, match=r"outlet\.toml: not valid TOML"):
        sim.load_scenario(bad)


@pytest.mark.parametrize("path", TIER_FILES, ids=lambda p: p.stem)
def test_shipped_tier_scenarios_load(path: Path) -> None:
    scenario = sim.load_scenario(path)
    assert scenario.outlet.tier in path.stem
    assert scenario.expected_customers > 50


# ---- property tests: any malformed input gives a ScenarioError, never a deep traceback ----

toml_scalars = st.one_of(
    st.integers(-5, 50), st.floats(-10, 1e3, allow_nan=False), st.booleans(),
    st.text(max_size=6), st.sampled_from(["none", "09:30", "cash", "lognormal", "25:61"]),
)
toml_values = st.recursive(toml_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3), max_leaves=6)
#: Values of the right kind for many fields, so that about half the mutants are valid and run.
plausible_values = st.one_of(
    st.integers(0, 4), st.floats(0.05, 30.0), st.sampled_from([
        "09:30", "16:00", "cash", "non_cash", "lognormal", "gamma", "deterministic", "backbone", "none", True,
        ["cash"], ["cash", "non_cash"], ["10:00", "15:00"], {"cash": 0.5, "self_service_eligible": 0.5},
        {"positions": 2}, {"distribution": "gamma", "mean_min": 3.0, "cv": 0.5},
    ]),
)


def _paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, (*prefix, key))
    return out


def _simulates_one_day(scenario: sim.Scenario) -> None:
    """An accepted scenario must run a day whose log is consistent with its own input."""
    log = sim.simulate(scenario, 3, 0)
    arrival = log.customers.arrival_min
    assert np.all(np.diff(arrival) >= 0)
    assert arrival.size == 0 or 0.0 <= arrival[0] <= arrival[-1] <= scenario.outlet.day_min
    # every customer joined some queue or was recorded as finding no open zone
    reached = set(log.visit_customer.tolist()) | set(log.no_service.tolist())
    assert reached == set(range(arrival.size))
    done = ~np.isnan(log.visit_start_min)
    assert np.all(log.visit_start_min[done] >= log.visit_join_min[done])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_scenarios_fail_cleanly_or_run(data: st.DataObject) -> None:
    scenario = copy.deepcopy(MINIMAL)
    path = data.draw(st.sampled_from(_paths(scenario)))
    value = data.draw(st.one_of(toml_values, plausible_values))
    extra_key = data.draw(st.integers(0, 3)) == 0  # an unknown key is refused: do it a quarter of the time
    node = scenario
    for key in path[:-1]:
        node = node[key]
    if extra_key and isinstance(node.get(path[-1]), dict):
        node[path[-1]][data.draw(st.text(min_size=1, max_size=8))] = value
    else:
        node[path[-1]] = value
    outcome = _load_quietly(scenario)
    event("refused" if isinstance(outcome, sim.ScenarioError) else "accepted and simulated")
    if isinstance(outcome, sim.ScenarioError):
        assert str(outcome).startswith("fuzz.toml: ")
        assert outcome.problem
    else:
        _simulates_one_day(outcome)


def _load_quietly(data: dict[str, Any]) -> sim.Scenario | sim.ScenarioError:
    """The scenario, or the error it raised; a ScenarioWarning still means a valid scenario."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sim.ScenarioWarning)
        try:
            return sim.from_dict(data, "fuzz.toml")
        except sim.ScenarioError as exc:
            return exc


@pytest.mark.parametrize("drop", ["outlet", "arrivals", "segments", "service"])
def test_missing_sections_are_named(drop: str) -> None:
    scenario = copy.deepcopy(MINIMAL)
    del scenario[drop]
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(scenario, "fuzz.toml")
    assert drop in str(info.value)
