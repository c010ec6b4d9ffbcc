"""Random streams are keyed by name: pinned draws guard against any change of existing streams."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.streams import STREAMS, stream_key, streams
from tests.conftest import SCENARIOS

# Draws pinned when streams became keyed by name. If one of these changes, every
# result of every seed changes with it: add a new stream instead of renaming one.
PINNED = {
    "arrivals": [0.7686938555211428, 0.46522964134220335],
    "patience": [0.9125720814414093, 0.5061715556611306],
    "service_cash": [0.5982624714193666, 0.7109251996173862],
    "sales": [0.41947916347939374, 0.38143962008249455],
}


@pytest.mark.parametrize("name", list(PINNED))
def test_pinned_draws(name: str) -> None:
    assert streams(7, 2)[name].random(2).tolist() == PINNED[name]


def test_keys_are_distinct_and_depend_on_the_name_only() -> None:
    assert len({stream_key(n) for n in STREAMS}) == len(STREAMS)
    assert stream_key("arrivals") == 3612958146  # CRC-32 of b"arrivals"


def test_replications_and_seeds_give_independent_streams() -> None:
    draws = {(seed, rep): streams(seed, rep)["arrivals"].random() for seed in (0, 1) for rep in (0, 1)}
    assert len(set(draws.values())) == 4


def test_customers_of_a_seed_are_pinned() -> None:
    log = sim.simulate(sim.load_scenario(SCENARIOS / "mmc_cash_only.toml"), seed=7, replication=2)
    rng = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(2, stream_key("arrivals"))))
    first_hour = rng.poisson(2.7 * 60.0)
    assert np.sum(log.customers.arrival_min < 60.0) == first_hour
