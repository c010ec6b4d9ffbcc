"""Durations that must fit in the opening day are bounded by it (issue 16).

A selling-time pitch, sale or referral adds minutes to one service; a mean of 1e6 minutes (the
general duration cap, kept for analytic studies' long days) would stretch that service past
closing. Selling-time means (and empirical values) are bounded by the outlet's opening day,
refused in one line naming the field and the day's length; service times and patience keep the
general cap. Office blocks (``zones.wealth.office_block_min``) and the desk rotation's
``block_min`` are bounded the same way (tests/test_shift_errors.py, tests/test_rotation.py).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sim.scenario import from_dict
from tests.conftest import assert_refused
from tests.test_scripted import fixed
from tests.test_selling_time import selling_teller

#: 09:00-17:00: the minimal scenario's opening day, in minutes.
DAY = 480.0


def _with(minimal: dict[str, Any], path: tuple[str, ...], table: dict[str, Any]) -> dict[str, Any]:
    data = selling_teller(copy.deepcopy(minimal))
    data["sales"]["referral_probability"] = 0.1
    data["sales"]["referral_conversion"] = 0.4
    data["zones"]["non_cash"] = {"positions": 1}
    data["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash"]}
    data["service"]["non_cash"] = fixed(4)
    node = data["selling_time"]["cash"]["cash_teller"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = table
    return data


@pytest.mark.parametrize("path", [("pitch",), ("sale",), ("referral",), ("by_product", "card", "sale")])
@pytest.mark.parametrize(("table", "key"), [
    ({"distribution": "lognormal", "mean_min": 1e6, "cv": 0.5}, "mean_min"),
    ({"distribution": "exponential", "mean_min": DAY + 1}, "mean_min"),
    ({"distribution": "deterministic", "value_min": DAY + 0.5}, "value_min"),
    ({"distribution": "empirical", "values_min": [1.0, DAY + 1, 2.0]}, "values_min[1]"),
])
def test_a_selling_time_longer_than_the_day_is_refused(minimal: dict[str, Any], path: tuple[str, ...],
                                                       table: dict[str, Any], key: str) -> None:
    data = _with(minimal, path, table)
    field = "selling_time.cash.cash_teller." + ".".join(path) + "." + key
    assert_refused(lambda: from_dict(data, "outlet.toml"), f"outlet.toml: {field}: ",
                   "must be at most the opening day (480 min)")


@pytest.mark.parametrize("path", [("pitch",), ("referral",), ("by_product", "card", "sale")])
def test_a_selling_time_of_the_whole_day_is_accepted(minimal: dict[str, Any], path: tuple[str, ...]) -> None:
    """The bound is the day itself: a mean of exactly 480 minutes loads, and is the mean read."""
    sc = from_dict(_with(minimal, path, {"distribution": "gamma", "mean_min": DAY, "cv": 0.5}))
    timed = sc.selling_time["cash"]["cash_teller"]
    dist = timed.by_product["card"]["sale"] if path[0] == "by_product" else getattr(timed, path[0])
    assert dist is not None
    assert dist.mean_min == DAY


def test_the_bound_follows_the_opening_day(minimal: dict[str, Any]) -> None:
    """A long analytic "day" (09:00 to 1500:00) admits a pitch an 8-hour day refuses."""
    data = _with(minimal, ("pitch",), fixed(10_000))
    assert_refused(lambda: from_dict(copy.deepcopy(data), "outlet.toml"),
                   "outlet.toml: selling_time.cash.cash_teller.pitch.value_min: ", "opening day (480 min)")
    data["outlet"]["close"] = "1500:00"
    pitch = from_dict(data).selling_time["cash"]["cash_teller"].pitch
    assert pitch is not None
    assert pitch.mean_min == 10_000


def test_service_times_and_patience_keep_the_general_cap(minimal: dict[str, Any]) -> None:
    """Service and patience are not add-ons: a mean past the day loads (analytic studies), up to 1e6."""
    minimal["service"]["cash"] = {"distribution": "exponential", "mean_min": 1e6}
    minimal["segments"]["mass"]["patience"] = {"distribution": "lognormal", "mean_min": 1e6, "cv": 0.5}
    sc = from_dict(minimal)
    assert sc.service["cash"].default.mean_min == 1e6
    patience = sc.segments["mass"].patience
    assert patience is not None
    assert patience.mean_min == 1e6
    minimal["service"]["cash"]["mean_min"] = 1e6 + 1
    assert_refused(lambda: from_dict(minimal, "outlet.toml"), "outlet.toml: service.cash.mean_min: ",
                   "must be <= 1e+06")
