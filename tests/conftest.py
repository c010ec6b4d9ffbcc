"""Shared fixtures: paths to shipped scenarios and a small scenario builder."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
TIER_FILES = sorted(SCENARIOS.glob("*_outlet.toml"))

# One teller, one cash zone, exponential service: the smallest valid scenario.
MINIMAL: dict[str, Any] = {
    "outlet": {"name": "test", "tier": "potential", "open": "09:00", "close": "17:00"},
    "zones": {"cash": {"positions": 1, "target_wait_min": 5}},
    "staff": {"cash_teller": {"count": 1, "zones": ["cash"]}},
    "arrivals": {"rate_per_hour": 20.0},
    "segments": {"mass": {"share": 1.0, "needs": {"cash": 1.0}}},
    "service": {"cash": {"distribution": "exponential", "mean_min": 2.0}},
}


@pytest.fixture
def minimal() -> dict[str, Any]:
    """A fresh deep copy of the minimal scenario dictionary, to edit in a test."""
    return copy.deepcopy(MINIMAL)


def assert_refused(call: Callable[[], object], prefix: str, message: str) -> None:
    """``call()`` raises a :class:`~sim.errors.ScenarioError` whose one line starts with ``prefix`` (the
    file and the field, ``"outlet.toml: staff.x.count: "``) and contains ``message``."""
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError) as err:
        call()
    text = str(err.value)
    assert text.startswith(prefix), text
    assert message in text, text
    assert "\n" not in text
