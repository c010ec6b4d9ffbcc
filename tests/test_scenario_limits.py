"""Scenario input at the edges: bounds, odd files, nonsense outlets, and Python/NumPy callers.

Each case here was a defect (issue 8): a traceback, a hang, an allocation of exabytes or
a silently wrong day instead of one ``ScenarioError`` line or a ``ScenarioWarning``.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.tomlio import MAX_CLOCK_HOURS, get_path, set_path, with_values
from tests.conftest import MINIMAL, SCENARIOS, TIER_FILES


def changed(path: str, value: Any, base: dict[str, Any] = MINIMAL) -> dict[str, Any]:
    """A deep copy of ``base`` with the dotted ``path`` set to ``value``."""
    data = copy.deepcopy(base)
    set_path(data, path, value)
    return data


def error_of(data: Any) -> str:
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, "branch.toml")
    return str(info.value)


# ---- clock times ----

def test_clock_hours_past_999_are_accepted() -> None:
    scenario = sim.from_dict(changed("outlet.close", "1500:00"))
    assert scenario.outlet.day_min == (1500 - 9) * 60
    assert len(scenario.rate_per_hour) == 1500 - 9
    assert scenario.expected_customers == pytest.approx(20.0 * (1500 - 9))


def test_clock_hours_above_the_bound_name_the_bound() -> None:
    message = error_of(changed("outlet.close", f"{MAX_CLOCK_HOURS + 1}:00"))
    assert message.startswith("branch.toml: outlet.close: ")
    assert f"0..{MAX_CLOCK_HOURS}" in message
    assert sim.from_dict(changed("outlet.close", f"{MAX_CLOCK_HOURS}:00", changed("arrivals.rate_per_hour", 1.0)))


# ---- upper bounds instead of exabyte allocations, hangs and overflows ----

@pytest.mark.parametrize(("path", "value", "field", "bound"), [
    ("arrivals.rate_per_hour", 1e18, "arrivals.rate_per_hour", "1e+06"),
    ("arrivals.rate_per_hour", 1e308, "arrivals.rate_per_hour", "1e+06"),
    ("arrivals.rate_per_hour", [1e308] * 8, "arrivals.rate_per_hour[0]", "1e+06"),
    ("arrivals", {"daily_customers": 1e12}, "arrivals.daily_customers", "1e+06"),
    ("arrivals.surge_factor", 1e300, "arrivals.surge_factor", "100"),
    ("arrivals.rate_per_hour", 150_000.0, "arrivals", "1000000"),  # 1.2 million a day
    ("staff.cash_teller.count", 10**8, "staff.cash_teller.count", "1000"),
    ("staff.cash_teller.count", 10**20, "staff.cash_teller.count", "1000"),
    ("zones.cash.positions", 10**9, "zones.cash.positions", "1000"),
    ("zones.waiting", {"seats": 10**12}, "zones.waiting.seats", "100000"),
    ("field", {"visits_per_day": 1e308}, "field.visits_per_day", "100"),
    ("field", {"prospect_pool": 10**15}, "field.prospect_pool", "10000000"),
    ("service.cash", {"distribution": "gamma", "mean_min": 2.0, "cv": 1e-300}, "service.cash.cv", "0.001"),
    ("service.cash", {"distribution": "lognormal", "mean_min": 2.0, "cv": 1e6}, "service.cash.cv", "100"),
    ("service.cash.mean_min", 1e300, "service.cash.mean_min", "1e+06"),
    ("service.cash", {"distribution": "empirical", "values_min": [1.0, 1e300]}, "service.cash.values_min[1]", "1e+06"),
    ("segments.mass.walkout_value_lost_yuan", 1e300, "segments.mass.walkout_value_lost_yuan", "1e+09"),
])
def test_bounds_are_stated_in_the_error(path: str, value: Any, field: str, bound: str) -> None:
    message = error_of(changed(path, value))
    assert message.startswith(f"branch.toml: {field}: ")
    assert bound in message


def test_field_visits_are_bounded_per_person_not_in_total() -> None:
    data = changed("staff.customer_manager", {"count": 1000, "inside": 0})
    data["field"] = {"visits_per_day": 100, "conversion": 0.5, "prospect_pool": 10_000_000}
    scenario = sim.from_dict(data)
    log = sim.simulate(scenario, 1, 0)
    # 100,000 visits to a pool of 10 million: almost every visit reaches a new prospect
    assert log.field_new_customers == pytest.approx(50_000, rel=0.02)


def test_a_huge_hourly_profile_keeps_the_daily_total() -> None:
    profile = [1e308] * 4 + [0.5e308] * 4
    scenario = sim.from_dict(changed("arrivals", {"daily_customers": 300, "hourly_profile": profile}))
    assert scenario.expected_customers == pytest.approx(300)
    assert scenario.rate_per_hour[0] == pytest.approx(2 * scenario.rate_per_hour[-1])


# ---- files ----

def test_a_binary_file_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "photo.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(sim.ScenarioError, match=r"photo\.toml: not UTF-8 text \(byte 0x89 at offset 0\)"):
        sim.load_scenario(path)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    shipped = SCENARIOS / "backbone_outlet.toml"
    with_bom = tmp_path / "bom.toml"
    with_bom.write_bytes(b"\xef\xbb\xbf" + shipped.read_bytes())
    assert replace(sim.load_scenario(with_bom), source="same") == replace(sim.load_scenario(shipped), source="same")


@pytest.mark.parametrize("path", [None, 42, b"x"])
def test_a_non_path_is_one_error(path: Any) -> None:
    with pytest.raises(sim.ScenarioError, match="expected a file path"):
        sim.load_scenario(path)


def test_a_folder_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(sim.ScenarioError, match="cannot read the file"):
        sim.load_scenario(tmp_path)


# ---- dictionaries from Python callers ----

@pytest.mark.parametrize(("data", "field", "problem"), [
    ({**MINIMAL, 1: {}}, "<top level>", "keys must be strings, got 1"),
    (changed("zones", {("cash",): {"positions": 1}}), "zones", "keys must be strings"),
    (changed("zones", [{"positions": 1}]), "zones", "expected a table"),
    (changed("staff.cash_teller", ["cash"]), "staff.cash_teller", "expected a table"),
    (changed("service.cash.by_need", [1]), "service.cash.by_need", "expected a table"),
    ([MINIMAL], "<top level>", "expected a table"),
    (None, "<top level>", "expected a table"),
    (changed("staff.cash_teller.zones", [["cash"]]), "staff.cash_teller.zones", "a list of distinct zones"),
    (changed("segments.mass.bundle", [{"a": 1}]), "segments.mass.bundle", "every product must be in"),
])
def test_wrong_shapes_are_one_error(data: Any, field: str, problem: str) -> None:
    message = error_of(data)
    assert message.startswith(f"branch.toml: {field}: ")
    assert problem in message


def test_from_dict_keeps_no_reference_to_the_callers_dict() -> None:
    data = changed("staff.cash_teller.count", 3)
    data["zones"]["cash"]["positions"] = 3
    scenario = sim.from_dict(data)
    data["staff"]["cash_teller"]["count"] = 1
    data["arrivals"]["rate_per_hour"] = 5.0
    variant = sim.with_overrides(scenario, {"service.cash.mean_min": 2.5})
    assert variant.roles["cash_teller"].count == 3
    assert variant.rate_per_hour[0] == 20.0


def test_with_overrides_keeps_no_reference_to_override_values() -> None:
    rates = [10.0] * 8
    variant = sim.with_overrides(sim.from_dict(MINIMAL), {"arrivals.rate_per_hour": rates})
    rates[0] = 99.0
    again = sim.with_overrides(variant, {"service.cash.mean_min": 2.5})
    assert again.rate_per_hour == (10.0,) * 8
    assert again.file_form is not None
    assert get_path(again.file_form, "arrivals.rate_per_hour") == [10.0] * 8


def test_numpy_numbers_are_accepted_where_python_ones_are() -> None:
    python = copy.deepcopy(MINIMAL)
    python["segments"]["mass"]["priority"] = True
    numpy_data = changed("staff.cash_teller.count", np.int64(1), python)
    numpy_data["zones"]["cash"]["positions"] = np.uint8(1)
    numpy_data["zones"]["cash"]["target_wait_min"] = np.float32(5.0)
    numpy_data["arrivals"]["rate_per_hour"] = np.full(8, 20.0)
    numpy_data["segments"]["mass"]["priority"] = np.bool_(True)
    numpy_data["segments"]["mass"]["share"] = np.float64(1.0)
    assert sim.from_dict(numpy_data) == sim.from_dict(python)
    variant = sim.with_overrides(sim.from_dict(python), {"staff.cash_teller.count": np.int32(2)})
    assert variant.roles["cash_teller"].count == 2


# ---- nonsense that used to run silently ----

def test_a_zone_table_without_positions_is_an_error() -> None:
    # staff and service for cash, but no positions: every customer was lost, exit 0
    message = error_of(changed("zones.cash", {"target_wait_min": 5}))
    assert message.startswith("branch.toml: zones.cash.positions: missing")
    assert "0 = no such zone" in message


def test_an_outlet_without_any_service_zone_is_an_error() -> None:
    message = error_of(changed("zones.cash.positions", 0))
    assert message.startswith("branch.toml: zones: ")
    assert "every customer would be lost" in message


def test_staff_in_undeclared_zones_only_warns() -> None:
    data = changed("staff.wealth_manager", {"count": 2, "zones": ["wealth"]})
    with pytest.warns(sim.ScenarioWarning, match=r"branch\.toml: staff\.wealth_manager\.zones: .*\[zones\.wealth\]"):
        scenario = sim.from_dict(data, "branch.toml")
    assert not scenario.zone_open("wealth")


def test_service_for_an_undeclared_zone_warns() -> None:
    data = changed("service.non_cash", {"distribution": "exponential", "mean_min": 4.0})
    with pytest.warns(sim.ScenarioWarning, match=r"branch\.toml: service\.non_cash: .*never used"):
        sim.from_dict(data, "branch.toml")


def test_nobody_inside_to_serve_warns() -> None:
    data = changed("staff.cash_teller.count", 0)
    data["zones"]["self_service"] = {"positions": 2}
    data["service"]["self_service"] = {"distribution": "exponential", "mean_min": 1.0}
    with pytest.warns(sim.ScenarioWarning, match=r"branch\.toml: staff: nobody inside serves"):
        sim.from_dict(data, "branch.toml")


@pytest.mark.parametrize("path", [*TIER_FILES, SCENARIOS / "mmc_cash_only.toml"], ids=lambda p: p.stem)
def test_shipped_scenarios_and_a_closed_zone_give_no_warning(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenario = sim.load_scenario(path)
        # closing a declared zone on purpose (positions = 0) is a what-if, not a mistake
        sim.with_overrides(scenario, {"zones.wealth.positions": 0})


def test_duplicate_bundle_products_are_an_error() -> None:
    data = changed("products", {"funds": {"value_yuan": 600}})
    data["segments"]["mass"]["bundle"] = ["funds", "funds"]
    message = error_of(data)
    assert message.startswith("branch.toml: segments.mass.bundle: ")
    assert "'funds' is listed twice" in message


# ---- the unknown-key error lists every key the table allows ----

@pytest.mark.parametrize(("path", "allowed"), [
    ("staff.cash_teller", "count, lunch, lunch_stagger_min, shift, shifts, speed, zones"),
    ("staff.customer_manager", "count, inside, lunch, lunch_stagger_min, shift, shifts, speed, zones"),
    ("arrivals", "daily_customers, hourly_profile, rate_per_hour, surge_factor"),
    ("service.cash", "by_need, distribution, mean_min"),
    ("zones.cash", "positions, target_wait_min"),
])
def test_unknown_key_lists_all_allowed_keys(path: str, allowed: str) -> None:
    data = changed(f"{path}.colour", "red", changed("staff.customer_manager", {"count": 1, "zones": []}))
    message = error_of(data)
    assert message == f"branch.toml: {path}.colour: unknown key; allowed here: {allowed}"


def test_lunch_stagger_without_lunch_is_named() -> None:
    message = error_of(changed("staff.cash_teller.lunch_stagger_min", 30))
    assert message.startswith("branch.toml: staff.cash_teller.lunch_stagger_min: ")
    assert "only with lunch" in message


def test_profile_with_constant_rate_is_named() -> None:
    message = error_of(changed("arrivals.hourly_profile", [1.0] * 8))
    assert message.startswith("branch.toml: arrivals.hourly_profile: ")
    assert "daily_customers" in message


# ---- dotted paths ----

def test_get_and_set_path() -> None:
    data: dict[str, Any] = {"staff": {"cash_teller": {"count": 3}}}
    set_path(data, "staff.cash_teller.count", 4)
    set_path(data, "zones.cash.positions", 2)
    assert data == {"staff": {"cash_teller": {"count": 4}}, "zones": {"cash": {"positions": 2}}}
    assert get_path(data, "zones.cash.positions") == 2
    assert get_path(data, "zones.wealth.positions", -1) == -1
    assert get_path(data, "staff.cash_teller.count.x") is None
    with pytest.raises(sim.ScenarioError, match=r"f\.toml: staff\.cash_teller\.count: is a value, not a table"):
        set_path(data, "staff.cash_teller.count.x", 1, "f.toml")
    with pytest.raises(sim.ScenarioError, match="dotted field path"):
        set_path(data, "staff..count", 1, "f.toml")


def test_with_values_is_a_copy_with_set_path_applied_that_shares_the_rest() -> None:
    """``with_values`` gives what a deep copy with ``set_path`` gives, leaves the original as it was, and
    shares every table no path touches (the point: a province's outlets hold one copy of a tier's form)."""
    import random

    rng = random.Random(7)
    base: dict[str, Any] = {"a": {"b": {"c": 1, "d": [1, 2]}, "e": 2}, "f": {"g": 3}, "h": 4, "z": {"y": {"x": 0}}}
    paths = ["a.b.c", "a.e", "a.new.deep", "f.g", "h", "k.l", "z.y.x", "a.b.d"]
    for _ in range(200):
        chosen = rng.sample(paths, rng.randint(1, 4))
        values = {p: rng.randint(0, 9) for p in chosen}
        before = copy.deepcopy(base)
        expected = copy.deepcopy(base)
        for dotted, value in values.items():
            set_path(expected, dotted, value)
        got = with_values(base, values)
        assert got == expected
        assert list(got) == list(expected)
        assert base == before  # the original is untouched
        for key in base:  # a top-level table no path passes through is the same object
            if isinstance(base[key], dict) and not any(p.split(".")[0] == key for p in chosen):
                assert got[key] is base[key]
    with pytest.raises(sim.ScenarioError, match="is a value, not a table"):
        with_values(base, {"h.x": 1}, "f.toml")
