"""The per-day fixed-cost cuts change no draw: lazy streams, the cached draw plan, the one-pass need pick."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.customers import draw_customers, service_times
from sim.streams import STREAMS, stream_key, streams
from tests.conftest import SCENARIOS, TIER_FILES


def _eager(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """The streams as they were made before: every one at once."""
    return {name: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, stream_key(name))))
            for name in STREAMS}


def test_lazy_streams_draw_what_eager_ones_drew() -> None:
    lazy, eager = streams(11, 4), _eager(11, 4)
    for name in reversed(STREAMS):  # the order of first use does not matter
        assert lazy[name].random(3).tolist() == eager[name].random(3).tolist()
    assert len(lazy) == len(STREAMS)


def test_an_unknown_stream_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        streams(0, 0)["no_such_stream"]


@pytest.mark.parametrize("path", [*TIER_FILES, SCENARIOS / "mmc_cash_only.toml"], ids=lambda p: p.stem)
def test_customers_match_a_segment_by_segment_reference(path: object) -> None:
    """Segments and needs picked as the per-segment ``searchsorted`` did, patience and uniforms alike."""
    sc = sim.load_scenario(path)  # type: ignore[arg-type]
    for rep in range(3):
        got = draw_customers(sc, streams(5, rep))
        rngs = _eager(5, rep)
        rng = rngs["arrivals"]
        times = [60.0 * h + length * rng.random(rng.poisson(rate * length / 60.0))
                 for h, (rate, length) in enumerate(zip(sc.rate_per_hour, sc.outlet.slot_min, strict=True))]
        arrival = np.sort(np.concatenate(times))
        segments = list(sc.segments.values())

        def pick(weights: list[float] | tuple[float, ...], u: np.ndarray) -> np.ndarray:
            cum = np.cumsum(weights)
            return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), cum.size - 1)

        seg = pick([s.share for s in segments], rng.random(arrival.size))
        u_need = rng.random(arrival.size)
        need = np.empty(arrival.size, dtype=np.int64)
        for k, s in enumerate(segments):
            need[seg == k] = pick(s.needs, u_need[seg == k])
        np.testing.assert_array_equal(got.arrival_min, arrival)
        np.testing.assert_array_equal(got.segment, seg)
        np.testing.assert_array_equal(got.need, need)
        assert got.need.dtype == np.int64


def test_a_day_is_the_same_whichever_scenario_object_warmed_the_caches() -> None:
    """The per-scenario caches are keyed by identity: an equal scenario loaded again gives the same day."""
    path = SCENARIOS / "potential_outlet.toml"
    a, b = sim.load_scenario(path), sim.load_scenario(path)
    la, lb = sim.simulate(a, 3, 1), sim.simulate(b, 3, 1)
    np.testing.assert_array_equal(la.visit_end_min, lb.visit_end_min)
    np.testing.assert_array_equal(la.visit_status, lb.visit_status)
    rngs = streams(3, 1)
    cust = draw_customers(a, rngs)
    for (p1, r1), (p2, r2) in zip(service_times(a, cust, rngs), service_times(b, cust, streams(3, 1)), strict=True):
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(r1, r2)
