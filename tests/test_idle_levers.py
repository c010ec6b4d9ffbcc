"""A lever set so that it cannot act is warned about, naming the field (hostile review: each was accepted
silently and gave byte-identical output). Warnings, not errors: a sweep may legitimately set a lever idle."""

from __future__ import annotations

from typing import Any

import pytest

import sim
from tests.conftest import TIER_FILES

BACKBONE = next(p for p in TIER_FILES if p.stem == "backbone_outlet")
ONE_MIN = {"distribution": "deterministic", "value_min": 1}


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"sales.lobby_pitch.rate_per_min": 0.5}, "sales.lobby_pitch.rate_per_min", "without conversion"),
    ({"sales.lobby_pitch.conversion": 0.1}, "sales.lobby_pitch.conversion", "without rate_per_min"),
    ({"sales.lobby_pitch.rate_per_min": 0.5, "sales.lobby_pitch.conversion": 0.1, "zones.lobby.positions": 0},
     "sales.lobby_pitch.rate_per_min", "nobody pitches"),
    ({"sales.walk_in.prospect_share": 0.5}, "sales.walk_in.prospect_share", "give both"),
    ({"sales.walk_in.conversion.customer_manager": 0.5}, "sales.walk_in.conversion", "give both"),
    ({"selling_time.cash.cash_teller.pitch": ONE_MIN}, "selling_time.cash.cash_teller", "no cross-sale chance"),
    ({"selling_time.cash.cash_teller.sale": ONE_MIN, "sales.referral_probability": 0.0},
     "selling_time.cash.cash_teller", "never pitches"),
    ({"selling_time.cash.cash_teller.referral": ONE_MIN, "sales.referral_probability": 0.0},
     "selling_time.cash.cash_teller.referral", "no referrals are made"),
])
def test_an_idle_lever_is_warned_about(overrides: dict[str, Any], field: str, message: str) -> None:
    base = sim.load_scenario(BACKBONE)
    with pytest.warns(sim.ScenarioWarning) as caught:
        sim.with_overrides(base, overrides)
    texts = [str(w.message) for w in caught]
    assert any(f"{field}: " in t and message in t for t in texts), texts


def test_a_working_lever_is_not_warned_about() -> None:
    """The same levers given whole (both halves, a role that sells there) load without a warning."""
    base = sim.load_scenario(BACKBONE)
    sim.with_overrides(base, {"sales.lobby_pitch.rate_per_min": 0.02, "sales.lobby_pitch.conversion": 0.05,
                              "sales.walk_in.prospect_share": 0.1, "sales.walk_in.conversion.customer_manager": 0.3,
                              "selling_time.cash.cash_teller.referral": ONE_MIN,
                              "selling_time.non_cash.customer_manager.pitch": ONE_MIN})
