"""Shared fixtures: paths to shipped scenarios and a small scenario builder."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.codes import ROLES

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


def random_patterns(rng: np.random.Generator, n: int, most: int, most_cms: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random staffing patterns of one outlet: head-counts per role of :data:`ROLES` (0 … ``most - 1``,
    customer managers 0 … ``most_cms - 1``) and customer managers inside (at most the customer managers)."""
    cm = ROLES.index("customer_manager")
    counts = rng.integers(0, most, size=(n, len(ROLES)))
    counts[:, cm] = rng.integers(0, most_cms, size=n)
    return counts, np.minimum(counts[:, cm], rng.integers(0, most_cms, size=n))
