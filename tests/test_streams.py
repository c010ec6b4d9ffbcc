"""Random streams are keyed by name: pinned draws guard against any change of existing streams."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.streams import MAX_SEED, STREAMS, stream_key, streams
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


def test_every_stream_is_numpys_seed_sequence_word_for_word() -> None:
    """The streams' generators are seeded from a pool mixed seed first, then replication, then key (kept part
    way): over seeds of one and two words, the largest accepted, replications past 32 bits and every stream,
    the generator state and the first draws equal those of ``SeedSequence(seed, spawn_key=(r, key))``."""
    rng = np.random.default_rng(11)
    seeds = [0, 1, 2**32 - 1, 2**32, MAX_SEED, *map(int, rng.integers(0, MAX_SEED, 20)),
             *map(int, rng.integers(0, 2**32, 20))]
    for i, seed in enumerate(seeds):
        for rep in (0, 1, 29, 2**32 + 5) if i < 5 else (int(rng.integers(0, 1000)),):
            ours = streams(seed, rep)
            for name in STREAMS:
                theirs = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(rep, stream_key(name))))
                assert ours[name].bit_generator.state == theirs.bit_generator.state, (seed, rep, name)
                assert ours[name].random(3).tolist() == theirs.random(3).tolist()


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_the_pool_hands_out_the_words_seed_sequence_would(dtype: type) -> None:
    """Any number of words of either width (PCG64 asks for 4 of 64 bits; other generators ask otherwise)."""
    from sim.streams import _absorb, _Pool, _seed_pool, _words

    for seed, rep, key in ((5, 3, 77), (MAX_SEED, 0, 2**32 - 1)):
        mixing = _seed_pool(seed)
        for word in [*_words(rep), *_words(key)]:
            mixing = _absorb(mixing, word)
        reference = np.random.SeedSequence(seed, spawn_key=(rep, key))
        for n in (1, 2, 4, 5, 9, 17):
            got = _Pool(mixing[0]).generate_state(n, dtype)
            assert got.dtype == np.dtype(dtype)
            assert got.tolist() == reference.generate_state(n, dtype).tolist()
    with pytest.raises(TypeError):
        _Pool(mixing[0]).generate_state(2, np.int64)


def test_numpy_integers_give_the_streams_of_their_python_int() -> None:
    for seed, rep in ((np.int64(5), np.uint64(1)), (np.uint32(5), np.int32(1)), (5, 1)):
        assert streams(seed, rep)["arrivals"].random(2).tolist() == streams(5, 1)["arrivals"].random(2).tolist()
    with pytest.raises(TypeError):
        streams(1.0, 0)  # type: ignore[arg-type]
