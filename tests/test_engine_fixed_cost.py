"""The per-day fixed-cost cuts change no number: lazy streams, the cached draw plan, the one-pass need pick,
the KPIs' group sorts and sales table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import sim
from sim.customers import draw_customers, service_times
from sim.layout import compile_layout
from sim.metrics import _capped_area, _constants, group_order
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


# --- the KPIs' sorts and the sales table (sim.metrics) ------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_group_order_sorts_as_lexsort_did(seed: int) -> None:
    """By group, then value, as ``np.lexsort((values, groups))``: equal values (ties are frequent here:
    waits of 0, rounded minutes) may come in another order, so the sorted values are compared, and
    each group holds the same positions. Groups past the 16-bit range take the plain stable sort."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3_000))
    top = 40 if seed % 2 else 70_000
    groups = rng.integers(0, top, n)
    values = np.round(rng.exponential(3.0, n), 1) * (rng.random(n) < 0.7)
    got, ref = group_order(groups, values), np.lexsort((values, groups))
    np.testing.assert_array_equal(values[got], values[ref])
    np.testing.assert_array_equal(groups[got], groups[ref])
    assert sorted(got.tolist()) == list(range(n))


def _capped_area_by_hand(starts: list[float], ends: list[float], cap: float) -> float:
    """The area under min(open intervals, cap), minute edge by minute edge, for one day."""
    edges = sorted({*starts, *ends})
    area = 0.0
    for a, b in itertools.pairwise(edges):
        open_ = sum(1 for s, e in zip(starts, ends, strict=True) if s <= a and e >= b)
        area += min(open_, cap) * (b - a)
    return area


def test_capped_area_with_tied_times_matches_a_hand_count() -> None:
    """Intervals that start where others end (tied times, in either order) count as the hand sum does."""
    starts = [[0.0, 0.0, 5.0, 5.0, 7.5], [1.0, 2.0, 2.0]]
    ends = [[5.0, 10.0, 7.5, 12.0, 12.0], [2.0, 4.0, 3.0]]
    days = np.concatenate([np.full(len(s), d) for d, s in enumerate(starts)])
    got = _capped_area(days, np.concatenate(starts), np.concatenate(ends), 2.0, 3)
    want = [_capped_area_by_hand(s, e, 2.0) for d, (s, e) in enumerate(zip(starts, ends, strict=True))] + [0.0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    # by hand, day 0: 2 open on [0, 5], 3 (capped 2) on [5, 10], 2 on [10, 12]; day 1: 1, 2, 1 on [1, 2, 3, 4]
    assert want[:2] == [24.0, 4.0]


@pytest.mark.parametrize("path", TIER_FILES, ids=lambda p: p.stem)
def test_sellable_table_is_the_bundle_and_role_rule(path: object) -> None:
    """``sellable[role, segment, slot]`` is what the sales credit tested per visit before: the slot holds a
    product (not −1) and the role may sell it — here with products_by_role restricting two roles."""
    base = sim.load_scenario(path)  # type: ignore[arg-type]
    products = list(base.products)
    tables: list[np.ndarray] = []
    for sc in (base, sim.with_overrides(base, {"sales.products_by_role": {"customer_manager": products[:1],
                                                                              "wealth_manager": []}})):
        chances = compile_layout(sc).sales
        table = _constants(sc).sellable
        tables.append(table)
        for role in range(chances.may_sell.shape[0]):
            for seg in range(chances.bundle.shape[0]):
                for slot in range(chances.bundle.shape[1]):
                    product = chances.bundle[seg, slot]
                    assert table[role, seg, slot] == (product >= 0 and bool(chances.may_sell[role, product]))
    assert tables[0].sum() > tables[1].sum()  # the restriction took products away


@pytest.mark.parametrize("path", [*TIER_FILES, SCENARIOS / "mmc_cash_only.toml"], ids=lambda p: p.stem)
def test_a_days_event_count_is_the_events_simpy_processed(path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The timers push themselves on SimPy's queue and the day's ``events`` is read off the environment's
    event-id counter: it must equal the events SimPy's own loop stepped through, day after day."""
    import simpy

    from sim.model import run_events

    stepped = [0]
    step = simpy.Environment.step

    def counting(env: simpy.Environment) -> None:
        step(env)  # the last call finds the queue empty and raises before counting
        stepped[0] += 1

    monkeypatch.setattr(simpy.Environment, "step", counting)
    sc = sim.load_scenario(path)  # type: ignore[arg-type]
    for replication in range(4):
        stepped[0] = 0
        day, _ = run_events(sc, 3, replication)
        assert day.events == stepped[0] > day.n
