"""Verification keeps what passed: an outlet whose chosen plan passed on the fresh days keeps it (issue 19).

:func:`optimize.stages.verify` solves, simulates the chosen plans on fresh verification days,
excludes the plans that break a limit there and solves again. Re-solving everything each round
let a region of 2,000 outlets move hundreds of outlets that had passed, some of whose new plans
then failed by chance, in every one of ten rounds. Now, from round
:data:`optimize.stages.HOLD_FROM_ROUND` on, the outlets that passed are held at their verified
plan; when the region's rules (here today's total head-count, which every move must balance)
leave no plan with every hold, the fewest holds are released
(:func:`optimize.stages.keepable`), the most valuable such release among equals. The rounds
before are free: re-choosing everything finds better plans when few outlets fail (the tests
hold from round 2 to show the mechanism on few outlets). From the round before the holds, an
outlet whose choice failed has all its live candidates verified on the same fresh days
(:func:`optimize.stages.verify_ahead`), and verification that gives up names the outlets.

A known model stands in for the simulator (:class:`KnownDays`): an outlet's value is fixed by
its cash tellers (one more or one fewer than today, known gains and losses), every plan passes
the walk-out limit on the days the optimiser estimates with, and on the verification days the
plans listed in ``fails`` break it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest

from optimize import stages
from optimize.milp import InfeasibleError, Solution
from optimize.problem import Problem
from optimize.region import Region, load_region
from optimize.stages import derive_seed, refine, screen, verify
from optimize.state import Menu, OutletState, Settings
from sim import Scenario
from tests.known_model import metric_days

ROOT = Path(__file__).resolve().parents[1]
BACKBONE = ROOT / "scenarios" / "backbone_outlet.toml"


def region_of(path: Path, n: int, step: int = 1) -> Region:
    """``n`` backbone outlets told apart by their customers a day (400 + position), cash tellers movable by up
    to ``step`` within today's total head-count."""
    outlets = "".join(f"""
[[outlets]]
name = "O{o:02d}"
scenario = "{BACKBONE}"
vip_customers = 400
[outlets.overrides]
"arrivals.daily_customers" = {400 + o}
""" for o in range(n))
    path.write_text(f"""
[region]
name = "Holds"
movable = ["cash_teller"]
[rules.service]
walkout_rate = 0.10
not_worse = []
[rules.service.service_level]
cash = 0.5
[search]
step = {step}
total_step = {step}
combos = 1
screen_replications = 4
{outlets}""", encoding="utf-8")
    return load_region(path)


class KnownDays:
    """Days of the known model: ``gain[o][change]`` yuan/day for a cash-teller change of -1, 0 or +1 at outlet
    ``o``, plus noise of the pattern's own (sd ``sd``) and of the day, common to every pattern (sd 3 ``sd``);
    walk-outs 5%, but 20% on outlet ``o``'s verification seed for a change in ``fails(o)``."""

    def __init__(self, region: Region, gain: list[dict[int, float]], fails: Callable[[int], set[int]],
                 verify_seeds: dict[int, int], sd: float = 1.0) -> None:
        self.outlet = {round(o.scenario.expected_customers): k for k, o in enumerate(region.outlets)}
        self.today = region.outlets[0].scenario.staffing_plan().count("cash_teller")
        self.gain, self.fails, self.verify_seeds, self.sd = gain, fails, verify_seeds, sd

    def run(self, requests: Iterable[tuple[Scenario, int, int]]) -> list[np.ndarray]:
        out = []
        for sc, seed, n in requests:
            o = self.outlet[round(sc.expected_customers)]
            change = sc.staffing_plan().count("cash_teller") - self.today
            noise = (np.random.default_rng([seed, change + 5]).normal(0.0, self.sd, n)
                     + np.random.default_rng(seed).normal(0.0, 3 * self.sd, n))
            bad = seed == self.verify_seeds[o] and change in self.fails(o)
            out.append(metric_days(n, value_yuan=100_000 + self.gain[o][change] + noise,
                                   walkout_rate=0.20 if bad else 0.05, cash__service_level=0.9))
        return out


def run_rounds(region: Region, ev: KnownDays, seed: int, monkeypatch: pytest.MonkeyPatch, hold_from: int = 2
               ) -> tuple[stages.Verified, list[list[int]]]:
    """Screen, refine and verify, outlets held from round ``hold_from``; per round, each outlet's cash-teller
    change as chosen."""
    monkeypatch.setattr(stages, "HOLD_FROM_ROUND", hold_from)
    rounds: list[list[int]] = []
    inner = stages.choose

    def recording(*args: object) -> tuple[Solution, Menu, dict[str, float]]:
        sol, menu, stability = inner(*args)  # type: ignore[arg-type]
        rounds.append([p.count("cash_teller") - ev.today for p in menu.plans(sol)])
        return sol, menu, stability

    monkeypatch.setattr(stages, "choose", recording)
    problem = Problem(region)
    states = [OutletState(spec=spec, seed=derive_seed(seed, 0, o)) for o, spec in enumerate(region.outlets)]
    s = Settings(replications=6, verify_replications=6, seed=seed, solver="highs", gap=1e-9, frontier=0, stage2=40)
    screen(problem, states, ev, s)  # type: ignore[arg-type]  # the known model stands in for the simulator
    refine(problem, states, ev, s)  # type: ignore[arg-type]
    return verify(problem, states, ev, s), rounds  # type: ignore[arg-type]


def verify_seeds(region: Region, seed: int) -> dict[int, int]:
    return {o: derive_seed(seed, 1, o) for o in range(len(region.outlets))}


@pytest.mark.parametrize(("d_gain", "round_2"), [(700.0, [1, 0, -1, 0]), (1100.0, [0, 0, -1, 1])])
def test_a_failed_move_releases_the_hold_whose_release_costs_least(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, d_gain: float, round_2: list[int]) -> None:
    """Four outlets, by hand: A +1 is worth 1,000, B -1 costs 100, C -1 costs 300, D +1 is worth 700 (every
    other change loses 5,000). Round 1 takes the best two pairs, A+1 with B-1 and D+1 with C-1 (1,300).
    B-1 fails on the fresh days. With A, C and D held, B back at today leaves one person too many: one hold
    must go. Releasing A leaves D+1 with C-1 (400), releasing D leaves A+1 with C-1 (700): D is released,
    and round 2 passes with A+1, C-1 and B, D as today. With D's gain 1,100 releasing A (800) beats
    releasing D (700): the release is chosen by value, not by position."""
    region = region_of(tmp_path / "region.toml", 4)
    no = -5000.0
    gain = [{-1: no, 0: 0.0, 1: 1000.0}, {-1: -100.0, 0: 0.0, 1: no}, {-1: -300.0, 0: 0.0, 1: no},
            {-1: no, 0: 0.0, 1: d_gain}]
    seed = 4
    ev = KnownDays(region, gain, lambda o: {-1} if o == 1 else set(), verify_seeds(region, seed))
    verified, rounds = run_rounds(region, ev, seed, monkeypatch)
    assert rounds == [[1, -1, -1, 1], round_2]
    assert verified.rounds == 2


def test_the_first_rounds_choose_every_outlet_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why holds wait (:data:`optimize.stages.HOLD_FROM_ROUND`): three outlets, A +1 worth 1,000, B -1 costing
    100 and failing on its fresh days, C -1 costing 300 or C +1 worth 1,150 (every other change loses 5,000).
    Round 1: C+1 with B-1 (1,050). Chosen again freely, round 2 is A+1 with C-1 (700): C, which passed,
    changes. Held from round 2, C+1 has nobody to fund it and A at today must stay: everyone stays (0)."""
    region = region_of(tmp_path / "region.toml", 3)
    no = -5000.0
    gain = [{-1: no, 0: 0.0, 1: 1000.0}, {-1: -100.0, 0: 0.0, 1: no}, {-1: -300.0, 0: 0.0, 1: 1150.0}]
    seed = 2
    ev = KnownDays(region, gain, lambda o: {-1} if o == 1 else set(), verify_seeds(region, seed))
    assert stages.HOLD_FROM_ROUND > 2
    _, free = run_rounds(region, ev, seed, monkeypatch, hold_from=stages.HOLD_FROM_ROUND)
    assert free == [[0, -1, 1], [1, 0, -1]]
    _, held = run_rounds(region, ev, seed, monkeypatch, hold_from=2)
    assert held == [[0, -1, 1], [0, 0, 0]]


def many_outlets(tmp_path: Path, seed: int, n: int) -> tuple[Region, KnownDays, set[int]]:
    """``n`` outlets where every +1 is worth 250-270 and every -1 costs 200-220 (so pairs are worth a little,
    within the days' noise: sd 100 of the pattern's own, 300 common) and each -1 fails on its outlet's fresh
    days with probability 0.3, all drawn from ``seed``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    region = region_of(tmp_path / "region.toml", n)
    rng = np.random.default_rng([seed, 19])
    gain = [{-1: -200.0 - float(rng.integers(0, 3)) * 10, 0: 0.0, 1: 250.0 + float(rng.integers(0, 3)) * 10}
            for _ in range(n)]
    failing = set(np.flatnonzero(rng.random(n) < 0.3).tolist())
    ev = KnownDays(region, gain, lambda o: {-1} if o in failing else set(), verify_seeds(region, seed), sd=100.0)
    return region, ev, failing


def changes_beyond_failures(rounds: list[list[int]], failing: set[int]) -> list[int]:
    """Per round after the first, the outlets changed that had not failed in the round before, less one per
    outlet that failed (the hold a failure may release: the partner whose person it needs back)."""
    out = []
    for before, after in itertools.pairwise(rounds):
        failed = {o for o, c in enumerate(before) if c == -1 and o in failing}
        changed = {o for o, (b, a) in enumerate(zip(before, after, strict=True)) if b != a}
        assert failed <= changed  # a failed plan is never chosen again
        out.append(len(changed - failed) - len(failed))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_held_outlets_change_only_where_a_plan_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     seed: int) -> None:
    """60 such outlets, held from round 2: each round changes the outlets whose plan failed in the round
    before and at most one released hold per failure, and verification ends within its rounds with no
    failing plan chosen."""
    region, ev, failing = many_outlets(tmp_path, seed, 60)
    verified, rounds = run_rounds(region, ev, seed, monkeypatch)
    assert verified.rounds == len(rounds) <= stages.MAX_VERIFY_ROUNDS
    assert sum(c == -1 for c in rounds[0]) > 5  # the first round moves many outlets
    assert all(extra <= 0 for extra in changes_beyond_failures(rounds, failing))
    assert not any(c == -1 and o in failing for o, c in enumerate(rounds[-1]))


def test_chosen_freely_outlets_that_passed_change_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same outlets never held: over the four seeds, some round changes more outlets that had passed than
    its failures release — what, over 2,000 outlets, kept a new choice failing in every round (150 such
    outlets took 3-7 rounds free, 2-4 held, in a run of six seeds; too slow to repeat here)."""
    extra = []
    for seed in range(4):
        region, ev, failing = many_outlets(tmp_path / str(seed), seed, 60)
        extra += changes_beyond_failures(run_rounds(region, ev, seed, monkeypatch,
                                                    hold_from=stages.MAX_VERIFY_ROUNDS + 1)[1], failing)
    assert max(extra) > 0


def todays_plan_fails(tmp_path: Path, seed: int) -> tuple[Region, KnownDays]:
    """Two outlets: A -1 is worth 500, A +1 costs 300, B -1 costs 100 (B +1 loses 5,000); on A's fresh days
    its -1 and today's plan both break the walk-out limit (today's staffing too thin for those days)."""
    region = region_of(tmp_path / "region.toml", 2)
    gain = [{-1: 500.0, 0: 0.0, 1: -300.0}, {-1: -100.0, 0: 0.0, 1: -5000.0}]
    return region, KnownDays(region, gain, lambda o: {-1, 0} if o == 0 else set(), verify_seeds(region, seed))


@pytest.mark.parametrize("seed", range(3))
def test_a_failed_outlet_has_its_alternatives_verified_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               seed: int) -> None:
    """From the round before the holds, an outlet whose choice failed has every live candidate verified on the
    same fresh days (:func:`optimize.stages.verify_ahead`). Round 1 chooses A -1, which fails. Free, round 2
    tries A as today, which fails too, and round 3 finds A +1 with B -1. Verified ahead, A's today is found
    failing in round 1, never chosen, and round 2 is the plan that passes: one round fewer, the same plan."""
    region, ev = todays_plan_fails(tmp_path, seed)
    _, free = run_rounds(region, ev, seed, monkeypatch, hold_from=stages.MAX_VERIFY_ROUNDS + 1)
    assert free == [[-1, 0], [0, 0], [1, -1]]
    verified, ahead = run_rounds(region, ev, seed, monkeypatch, hold_from=2)
    assert ahead == [[-1, 0], [1, -1]]
    assert verified.rounds == 2


def test_verification_that_gives_up_names_the_outlets_and_reasons(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With one round allowed, the same region gives up after A's -1 fails: the error counts the outlets that
    failed in the last round and names A with the limit its plan broke."""
    region, ev = todays_plan_fails(tmp_path, 0)
    monkeypatch.setattr(stages, "MAX_VERIFY_ROUNDS", 1)
    with pytest.raises(InfeasibleError) as info:
        run_rounds(region, ev, 0, monkeypatch)
    assert info.value.diagnosis[0].endswith("after 1 rounds: 1 outlet(s) failed in the last round")
    assert info.value.diagnosis[1].startswith("O00: ")
    assert "walkout_rate 0.200 > 0.1 (mean)" in info.value.diagnosis[1]
    assert len(info.value.diagnosis) == 2
