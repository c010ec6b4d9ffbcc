"""The optimiser varies the flexible posts' thresholds (岗位弹性设置, issue 16): ``[search] flex_open_above``.

A flexible post (``[dispatch.flex.ZONE]``) calls staff of another post to a busy zone when more
than ``open_above`` customers wait. When that happens is part of the plan: the same people called
sooner may let a post be given up. The plan carries each post's thresholds
(:class:`sim.staffing.FlexThreshold`), the search tries each listed threshold alone and combined
with the head-count moves, and the exports say when each post's staff are called, today and
recommended.

A known model of two outlets (:class:`KnownDays`) gives the answer: at Busy a cash teller can be
given up only if its operations manager is called at the first customer waiting (threshold 0 or
1), and calling sooner costs 30 yuan/day per step below today's 4 (the manager's own work), while
a threshold of 8 earns 120; Quiet earns 5,000 yuan/day from one more cash teller and loses 20 per
step its threshold is away from 4 (today's 2). Brute force over every plan the pools allow gives
one best plan: Busy one teller fewer with the manager called above 1, Quiet one more with its
threshold at 4. On the simulator itself, with head-counts fixed, the chosen threshold is the one
whose simulated days are worth most, as brute force over the same days says.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from optimize import recommend
from optimize.evaluate import Evaluator, column
from optimize.patterns import flex_options, neighbourhood
from optimize.problem import Problem
from optimize.region import Region, load_region
from optimize.stages import derive_seed, refine, retune, screen, verify
from optimize.state import OutletState, Settings
from optimize.tables import SERVICE_COLUMNS, candidate_frame, flex_frame, plan_of_row
from sim import Scenario
from sim.errors import ScenarioError
from sim.executors import make_executor
from sim.staffing import FlexThreshold, StaffingPlan
from tests.known_model import metric_days

ROOT = Path(__file__).resolve().parents[1]
BACKBONE = ROOT / "scenarios" / "backbone_outlet.toml"
SEED = 5
THRESHOLDS = (0, 1, 2, 4, 8)


def region_text(search: str = f"flex_open_above = {list(THRESHOLDS)}", extra: str = "") -> str:
    """Two backbone outlets, cash tellers movable, each with the operations manager as a flexible post at cash."""
    return f"""
[region]
name = "Flex"
movable = ["cash_teller"]
[rules.service]
walkout_rate = 0.07
not_worse = []
[rules.service.service_level]
cash = 0.5
{extra}
[search]
step = 1
total_step = 1
combos = 1
screen_replications = 4
{search}
[[outlets]]
name = "Busy"
scenario = "{BACKBONE}"
vip_customers = 400
[outlets.overrides]
"arrivals.daily_customers" = 410
"dispatch.flex.cash.role" = "operations_manager"
"dispatch.flex.cash.open_above" = 4
"dispatch.flex.cash.close_below" = 2
[[outlets]]
name = "Quiet"
scenario = "{BACKBONE}"
vip_customers = 400
[outlets.overrides]
"dispatch.flex.cash.role" = "operations_manager"
"dispatch.flex.cash.open_above" = 2
"dispatch.flex.cash.close_below" = 1
"""


def threshold(plan: StaffingPlan) -> int:
    return plan.flex[0].open_above


def value(name: str, plan: StaffingPlan) -> float:
    """The known model's value over today's plan, yuan/day (see the module docstring)."""
    if name == "Busy":
        return 120.0 if threshold(plan) == 8 else -30.0 * (4 - threshold(plan))
    return 5000.0 * (plan.count("cash_teller") - 3) - 20.0 * abs(threshold(plan) - 4)


def walkout(name: str, plan: StaffingPlan) -> float:
    """Busy's walk-out rate rises above the 7% limit with a cash teller fewer unless the manager comes at once."""
    short = max(0, 3 - plan.count("cash_teller"))
    return 0.05 + (0.03 * short if name == "Busy" and threshold(plan) > 1 else 0.0)


class KnownDays:
    """An evaluator of the known model; the outlet is told apart by its expected customers (the region file
    gives Busy 410 a day, Quiet 400). Every plan sees the same noise on a seed (common random numbers, sd 50
    yuan) and a little of its own (sd 10), so paired differences have a spread to test."""

    def __init__(self, region: Region) -> None:
        self.names = {round(o.scenario.expected_customers): o.name for o in region.outlets}
        assert len(self.names) == 2
        self.simulated_days = 0

    def run(self, requests: Iterable[tuple[Scenario, int, int]]) -> list[np.ndarray]:
        out = []
        for sc, seed, n in requests:
            plan, name = sc.staffing_plan(), self.names[round(sc.expected_customers)]
            own = np.random.default_rng([seed, plan.count("cash_teller"), threshold(plan)]).normal(0.0, 10.0, n)
            common = np.random.default_rng(seed).normal(0.0, 50.0, n)
            out.append(metric_days(n, value_yuan=300_000 + value(name, plan) + own + common,
                                   walkout_rate=walkout(name, plan), cash__service_level=0.9))
            self.simulated_days += n
        return out


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Region:
    path = tmp_path_factory.mktemp("flex") / "region.toml"
    path.write_text(region_text(), encoding="utf-8")
    return load_region(path)


def brute_force(region: Region) -> list[StaffingPlan]:
    """The best pair of plans by the known model: every cash-teller count within the pool (today's 6) and
    every threshold tried at each outlet, Busy's walk-out limit kept; exactly one best."""
    options = []
    for o in region.outlets:
        today = o.scenario.staffing_plan()
        options.append([StaffingPlan.of({**dict(today.counts), "cash_teller": c}, today.cm_inside,
                                        (FlexThreshold("cash", t, min(o.scenario.dispatch.flex["cash"].close_below,
                                                                      max(t, 1))),))
                        for c in (2, 3, 4) for t in THRESHOLDS])
    pairs = [(a, b) for a, b in itertools.product(*options)
             if a.count("cash_teller") + b.count("cash_teller") <= 6 and walkout("Busy", a) <= 0.07]
    score = {p: value("Busy", p[0]) + value("Quiet", p[1]) for p in pairs}
    best = max(score.values())
    winners = [p for p, v in score.items() if v == best]
    assert len(winners) == 1
    return list(winners[0])


def test_the_search_finds_the_brute_force_best_thresholds_and_head_counts(region: Region) -> None:
    problem = Problem(region)
    states = [OutletState(spec=spec, seed=derive_seed(SEED, 0, o)) for o, spec in enumerate(region.outlets)]
    s = Settings(replications=6, verify_replications=6, seed=SEED, solver="highs", gap=1e-6, frontier=0, stage2=40)
    ev = KnownDays(region)
    screen(problem, states, ev, s)  # type: ignore[arg-type]  # the known model stands in for the simulator
    refine(problem, states, ev, s)  # type: ignore[arg-type]
    retune(problem, states, ev, s)  # type: ignore[arg-type]
    verified = verify(problem, states, ev, s)  # type: ignore[arg-type]
    chosen = verified.menu.plans(verified.sol)
    best = brute_force(region)
    assert [(p.count("cash_teller"), threshold(p)) for p in best] == [(2, 1), (4, 4)]
    assert chosen == best
    posts = flex_frame(region, chosen, pd.DataFrame(columns=list(SERVICE_COLUMNS)))
    assert posts[["outlet", "current_open_above", "recommended_open_above", "changed"]].values.tolist() == [
        ["Busy", 4, 1, True], ["Quiet", 2, 4, True]]
    # the candidates table names each pattern's thresholds, and a row gives its plan back
    table = candidate_frame(problem, states, chosen)
    assert [plan_of_row(r) for r in table.to_dict("records")] == [c.plan for st in states for c in st.candidates]


def test_without_the_list_the_thresholds_stay_and_the_answer_cannot_be_found(tmp_path: Path) -> None:
    path = tmp_path / "region.toml"
    path.write_text(region_text(search=""), encoding="utf-8")
    region = load_region(path)
    assert flex_options(region.outlets[0], region) == {}
    plans = neighbourhood(region.outlets[0], region)
    assert {p.flex for p in plans} == {(FlexThreshold("cash", 4, 2),)}
    problem = Problem(region)
    states = [OutletState(spec=spec, seed=derive_seed(SEED, 0, o)) for o, spec in enumerate(region.outlets)]
    s = Settings(replications=6, verify_replications=6, seed=SEED, solver="highs", gap=1e-6, frontier=0, stage2=40)
    ev = KnownDays(region)
    screen(problem, states, ev, s)  # type: ignore[arg-type]
    refine(problem, states, ev, s)  # type: ignore[arg-type]
    assert retune(problem, states, ev, s) == []  # type: ignore[arg-type]  # nothing to retune without the list
    verified = verify(problem, states, ev, s)  # type: ignore[arg-type]
    chosen = verified.menu.plans(verified.sol)
    assert [(p.count("cash_teller"), threshold(p)) for p in chosen] == [(3, 4), (3, 2)]


def test_a_threshold_alone_and_with_each_count_move_is_tried(region: Region) -> None:
    spec = region.outlets[0]
    assert flex_options(spec, region)["cash"] == [FlexThreshold("cash", 4, 2), FlexThreshold("cash", 0, 1),
                                                  FlexThreshold("cash", 1, 1), FlexThreshold("cash", 2, 2),
                                                  FlexThreshold("cash", 8, 2)]
    plans = neighbourhood(spec, region)
    today = spec.scenario.staffing_plan()
    alone = [p for p in plans if p.counts == today.counts]
    assert sorted(threshold(p) for p in alone) == sorted(THRESHOLDS)
    moved = [p for p in plans if p.counts != today.counts]
    assert moved
    assert all(p.flex == today.flex for p in moved)  # a count move keeps today's threshold


def test_a_plan_sets_the_threshold_as_the_dotted_override_does_draw_for_draw() -> None:
    base = sim.with_overrides(sim.load_scenario(BACKBONE), {"dispatch.flex.cash.role": "operations_manager",
                                                            "dispatch.flex.cash.open_above": 4,
                                                            "dispatch.flex.cash.close_below": 2,
                                                            "arrivals.daily_customers": 520})
    file_form = sim.with_overrides(base, {"dispatch.flex.cash.open_above": 0, "dispatch.flex.cash.close_below": 1})
    plan = base.staffing_plan().with_flex(FlexThreshold("cash", 0, 1))
    typed = base.with_staffing(plan)
    assert typed.content_key() == file_form.content_key()
    for seed in (1, 2, 3):
        a, b = sim.simulate(typed, seed=seed), sim.simulate(file_form, seed=seed)
        assert np.array_equal(a.flex_away, b.flex_away)
        assert np.array_equal(sim.day_kpis(a).outlet, sim.day_kpis(b).outlet)
    called = [len(sim.simulate(base.with_staffing(base.staffing_plan().with_flex(FlexThreshold("cash", k, 1))),
                               seed=4).flex_away) for k in (0, 8)]
    assert called[0] > called[1]  # called at the first customer waiting: more calls than at the ninth


def test_a_threshold_for_a_zone_without_a_post_is_refused() -> None:
    sc = sim.load_scenario(BACKBONE)
    with pytest.raises(ScenarioError, match=r"dispatch\.flex\.cash: .*no such post"):
        sc.with_staffing(sc.staffing_plan().with_flex(FlexThreshold("cash", 2, 1)))


@pytest.mark.parametrize(("flex", "message"), [
    ((FlexThreshold("cash", -1, 1),), "open_above a whole number"),
    ((FlexThreshold("cash", 2, 3),), "close_below one in 1..max"),
    ((FlexThreshold("cash", 2, 0),), "close_below one in 1..max"),
    ((FlexThreshold("cash", 2, 1), FlexThreshold("cash", 3, 1)), "given twice"),
])
def test_bad_thresholds_in_a_plan_are_refused(flex: tuple[FlexThreshold, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StaffingPlan.of({"cash_teller": 2}, 0, flex)


@pytest.mark.parametrize(("search", "message"), [
    ("flex_open_above = 3", "search.flex_open_above: expected a list of whole numbers"),
    ("flex_open_above = [1, -2]", r"search.flex_open_above\[1\]: must be >= 0"),
    ("flex_open_above = [1, 2.5]", r"search.flex_open_above\[1\]: expected a whole number"),
    ("flex_open_above = [1, 1001]", r"search.flex_open_above\[1\]: must be <= 1000"),
    ("flex_open_above = [2, 2]", "search.flex_open_above: each value at most once"),
    (f"flex_open_above = {list(range(11))}", "search.flex_open_above: at most 10 thresholds"),
])
def test_bad_search_lists_name_the_file_and_field(tmp_path: Path, search: str, message: str) -> None:
    path = tmp_path / "region.toml"
    path.write_text(region_text(search=search), encoding="utf-8")
    with pytest.raises(ScenarioError, match=message) as err:
        load_region(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_a_list_with_no_post_to_vary_is_refused(tmp_path: Path) -> None:
    text = region_text().replace('"dispatch.flex.cash.role" = "operations_manager"\n', "")
    text = "\n".join(line for line in text.splitlines() if not line.startswith('"dispatch.flex'))
    path = tmp_path / "region.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"search\.flex_open_above: no outlet's scenario has a flexible post"):
        load_region(path)


@pytest.mark.parametrize("seed", [0, 1])
def test_on_the_simulator_the_chosen_threshold_is_the_best_simulated_one(tmp_path: Path, seed: int) -> None:
    """Head-counts fixed (no moves allowed), one outlet with a pay-day queue at cash: the recommendation's
    threshold is the one whose evaluation days are worth most (raw means: no shrinkage, no fewest-moves
    stage), brute force over the same simulated days; the exported flex_posts.csv says so."""
    text = region_text(search="flex_open_above = [0, 2, 8]", extra="[rules.transfers]\nmax_moves = 0")
    text = text.split("[[outlets]]")[0] + "[[outlets]]" + text.split("[[outlets]]")[1].replace(
        '"arrivals.daily_customers" = 410', '"arrivals.daily_customers" = 560')
    text = text.replace("walkout_rate = 0.07", "walkout_rate = 0.5")
    path = tmp_path / "region.toml"
    path.write_text(text, encoding="utf-8")
    region = load_region(path)
    rec = recommend(region, replications=8, seed=seed, executor="serial", frontier=0, stage2=20, shrink=False,
                    stable=False)
    spec = region.outlets[0]
    today = spec.scenario.staffing_plan()
    ev = Evaluator(make_executor("serial"), None)
    worth = {}
    for t in flex_options(spec, region)["cash"]:
        days = ev.run([(spec.scenario.with_staffing(today.with_flex(t)), derive_seed(seed, 0, 0), 8)])[0]
        worth[t.open_above] = float((column(days, "value_yuan") - column(days, "value_lost_yuan")).mean())
    assert len(set(worth.values())) == len(worth)  # the thresholds do change the day
    assert rec.moves().empty
    assert int(rec.flex_posts["recommended_open_above"].iloc[0]) == max(worth, key=lambda k: worth[k])
    away = rec.flex_posts[["away_min_current", "away_min_recommended"]].iloc[0]
    assert away.notna().all()
    assert (away >= 0).all()
    files = rec.export(tmp_path / "out")
    assert tmp_path / "out" / "flex_posts.csv" in files
    assert pd.read_csv(tmp_path / "out" / "flex_posts.csv").equals(rec.flex_posts)


@pytest.mark.parametrize("seed", range(20))
def test_the_fewest_changes_stage_counts_a_retuned_post_as_one_change_against_brute_force(seed: int) -> None:
    """Random two-outlet menus where some patterns only retune a post (no one moves): among the choices within
    the tolerance of the best, the stage keeps the fewest moves plus retuned posts, then the most value — brute
    force over every choice; the transfer limit still counts people only (a retune passes ``max_moves = 0``)."""
    from optimize.milp import OutletOptions, Policy, solve, stabilise
    from sim.codes import ROLES

    rng = np.random.default_rng(seed)
    outlets = []
    for o in range(2):
        n = 5
        counts = np.tile(rng.integers(1, 4, len(ROLES)), (n, 1))
        moves = np.asarray([0.0, 0.0, 1.0, 1.0, 2.0])  # today, a retune alone, a move, a move and a retune, two
        retuned = np.asarray([0.0, 1.0, 0.0, 1.0, 0.0])
        outlets.append(OutletOptions(name=f"o{o}", tier="backbone", second_level=False, vip_customers=0.0,
                                     counts=counts, cm_inside=np.zeros(n, dtype=int),
                                     value=rng.normal(0.0, 100.0, n), moves=moves, retuned=retuned))
    policy = Policy(min_customer_managers=None, inside_outside=None, vip=None)
    best = solve(outlets, policy)
    tolerance = float(rng.uniform(0.0, 200.0))
    sol = stabilise(outlets, policy, best, tolerance)
    within = [c for c in itertools.product(range(5), range(5))
              if sum(outlets[o].value[p] for o, p in enumerate(c)) >= best.objective - tolerance - 1e-9]
    fewest = min(sum(moves[p] + retuned[p] for p in c) for c in within)  # by hand: each retune one change
    expect = max((c for c in within if sum(moves[p] + retuned[p] for p in c) <= fewest + 1e-9),
                 key=lambda c: sum(outlets[o].value[p] for o, p in enumerate(c)))
    assert sol.choice == expect
    fixed = solve(outlets, Policy(min_customer_managers=None, inside_outside=None, vip=None, max_moves=0))
    assert all(outlets[o].moves[p] == 0 for o, p in enumerate(fixed.choice))
    assert fixed.objective == max(outlets[0].value[:2]) + max(outlets[1].value[:2])


def test_patterns_differing_only_in_thresholds_are_never_pruned_as_dominated(region: Region) -> None:
    """Busy's threshold 8 is worth most at every head-count, yet its siblings stay: the one called at once is
    what lets a teller go (a sibling pruned for being worth less would be lost if the best one failed)."""
    problem = Problem(region)
    states = [OutletState(spec=spec, seed=derive_seed(SEED, 0, o)) for o, spec in enumerate(region.outlets)]
    s = Settings(replications=6, verify_replications=6, seed=SEED, solver="highs", gap=1e-6, frontier=0, stage2=40)
    screen(problem, states, KnownDays(region), s)  # type: ignore[arg-type]
    busy = states[0]
    for c in busy.candidates:
        if c.fate.reason.startswith("dominated by pattern "):
            other = busy.plan(int(c.fate.reason.rsplit(" ", 1)[1]))
            assert (other.counts, other.cm_inside) != (c.plan.counts, c.plan.cm_inside)
    kept = [c.plan for c in busy.candidates if c.fate.kept and c.plan.count("cash_teller") == 3]
    assert sorted(threshold(p) for p in kept) == sorted(THRESHOLDS)


def test_the_race_does_not_eliminate_a_pattern_by_its_threshold_sibling(region: Region) -> None:
    """The opt-in race (``[search] allocation = "race"``) keeps threshold siblings apart as dominance does, and
    still finds the brute-force plan."""
    from optimize.allocation import race

    problem = Problem(region)
    states = [OutletState(spec=spec, seed=derive_seed(SEED, 0, o)) for o, spec in enumerate(region.outlets)]
    s = Settings(replications=6, verify_replications=6, seed=SEED, solver="highs", gap=1e-6, frontier=0, stage2=40)
    ev = KnownDays(region)
    race(problem, states, ev, s)  # type: ignore[arg-type]
    for st in states:
        for c in st.candidates:
            if c.fate.reason.startswith("surely worse than pattern "):
                other = st.plan(int(c.fate.reason.split()[3]))
                assert (other.counts, other.cm_inside) != (c.plan.counts, c.plan.cm_inside)
    verified = verify(problem, states, ev, s)  # type: ignore[arg-type]
    assert verified.menu.plans(verified.sol) == brute_force(region)


def _shipped_with_posts(tmp_path: Path, names: tuple[str, ...] = ("Financial Street", "New District", "Harbour"),
                        zone: str = "non_cash") -> Path:
    """Outlets of the shipped region, each with the operations manager as a flexible post at ``zone`` (called
    above 4 waiting, back below 1), thresholds 0, 2, 8 searched; the wealth-manager pool cut to the outlets'."""
    text = (ROOT / "scenarios" / "region_12_outlets.toml").read_text(encoding="utf-8")
    text = text.replace('scenario = "', f'scenario = "{ROOT / "scenarios"}/')
    head, *blocks = text.split("[[outlets]]")
    head = head.replace("[search]", "[search]\nflex_open_above = [0, 2, 8]", 1)
    head = "\n".join("wealth_manager = 4" if line.startswith("wealth_manager = 12") else line
                     for line in head.splitlines()) + "\n"
    post = (f'"dispatch.flex.{zone}.role" = "operations_manager"\n"dispatch.flex.{zone}.open_above" = 4\n'
            f'"dispatch.flex.{zone}.close_below" = 1\n')
    kept = [b.replace("[outlets.overrides]\n", "[outlets.overrides]\n" + post, 1) for b in blocks
            if any(f'name = "{n}"' in b for n in names)]
    assert len(kept) == len(names)
    assert all(post in b for b in kept)
    path = tmp_path / "region.toml"
    path.write_text(head + "".join("[[outlets]]" + b for b in kept), encoding="utf-8")
    return path


def test_the_chosen_head_counts_are_tried_at_every_threshold(tmp_path: Path) -> None:
    """Three shipped outlets with a low-counter post, ``--quick``: the combined round does not pair every chosen
    head-count with every threshold, the retune step does (its patterns are in candidates.csv), and each
    outlet's chosen people have been simulated at every threshold tried."""
    region = load_region(_shipped_with_posts(tmp_path))
    rec = recommend(region, quick=True, executor="serial", seed=0)
    c = rec.candidates
    assert (c["origin"] == "retuned").any()
    people = [r for r in ("lobby_manager", "deputy_lobby_manager", "cash_teller", "low_counter_teller",
                          "customer_manager", "wealth_manager", "cm_inside") if r in c]
    for _, chosen in c[c["chosen"]].iterrows():
        same = c[(c["outlet"] == chosen["outlet"]) & (c[people] == chosen[people]).all(axis=1)]
        assert sorted(same["flex.non_cash.open_above"].tolist()) == [0, 2, 4, 8]
        assert (same["replications"] > 0).all()
    assert set(rec.flex_posts["tried_open_above"]) == {"0, 2, 4, 8"}


def test_the_analytic_screen_counts_a_posts_people_at_the_zone() -> None:
    """Optimistic as for the zone's own staff: one cash teller and the operations manager called to cash (a spare
    position) is the Erlang A value of two tellers without a post (same speeds, three windows)."""
    from optimize.patterns import AnalyticScreen

    base = sim.load_scenario(BACKBONE)
    posted = sim.with_overrides(base, {"dispatch.flex.cash.role": "operations_manager",
                                       "dispatch.flex.cash.open_above": 0, "dispatch.flex.cash.close_below": 1})
    one = base.staffing_plan()
    one = StaffingPlan.of({**dict(one.counts), "cash_teller": 1}, one.cm_inside)
    two = StaffingPlan.of({**dict(one.counts), "cash_teller": 2}, one.cm_inside)
    alone = AnalyticScreen(base, {"cash": 0.8}, 0.15)
    helped = AnalyticScreen(posted, {"cash": 0.8}, 0.15)
    assert helped.service_level(one.with_flex(FlexThreshold("cash", 0, 1)), "cash") == pytest.approx(
        alone.service_level(two, "cash"), rel=1e-12)
    assert alone.service_level(one, "cash") < alone.service_level(two, "cash") - 0.1
    assert helped.failures(one.with_flex(FlexThreshold("cash", 0, 1))) == []
    assert alone.failures(one) != []


def test_the_stress_test_checks_a_retuned_post_as_a_move() -> None:
    from optimize.stress import _change, _retuned
    from tests.fake_recommendation import make_recommendation

    posts = pd.DataFrame([{"outlet": "Harbour", "zone": "cash", "role": "operations_manager",
                           "current_open_above": 4, "current_close_below": 2, "recommended_open_above": 1,
                           "recommended_close_below": 1, "changed": True},
                          {"outlet": "Central Plaza", "zone": "cash", "role": "operations_manager",
                           "current_open_above": 4, "current_close_below": 2, "recommended_open_above": 4,
                           "recommended_close_below": 2, "changed": False}])
    rows = _retuned(make_recommendation(flex_posts=posts))
    assert rows.to_dict("records") == [{"outlet": "Harbour", "role": "operations_manager", "placement": "flex.cash",
                                        "change": -3}]
    now = StaffingPlan.of({"cash_teller": 2}, 0, (FlexThreshold("cash", 4, 2),))
    assert _change(now.with_flex(FlexThreshold("cash", 0, 1)), now, "operations_manager", "flex.cash") == -4
    assert _change(now, now, "operations_manager", "flex.cash") == 0
    assert _retuned(make_recommendation()).empty  # no posts: no rows


def test_the_evaluator_counts_the_minutes_at_the_posts_by_hand() -> None:
    """``flex_away_min``: each day's minutes the post's staff spent at it (the day log's intervals summed), more
    when called at the first customer waiting than at the ninth, 0 without a post."""
    from optimize.evaluate import METRICS, Task, run_task
    from sim.daylog import flex_away_min

    base = sim.with_overrides(sim.load_scenario(BACKBONE), {"dispatch.flex.cash.role": "operations_manager",
                                                            "dispatch.flex.cash.open_above": 0,
                                                            "dispatch.flex.cash.close_below": 1,
                                                            "arrivals.daily_customers": 520})
    col = METRICS.index("flex_away_min")
    _, rows = run_task(Task("k", base, 11, (0, 1, 2)))
    for r in (0, 1, 2):
        log = sim.simulate(base, seed=11, replication=r)
        assert rows[r][col] == pytest.approx(float(np.sum(log.flex_away[:, 2] - log.flex_away[:, 1])), abs=1e-9)
        assert rows[r][col] == pytest.approx(float(flex_away_min(log).sum()), abs=1e-9)
    late = base.with_staffing(base.staffing_plan().with_flex(FlexThreshold("cash", 8, 1)))
    _, later = run_task(Task("k", late, 11, (0, 1, 2)))
    assert sum(rows[r][col] for r in rows) > sum(later[r][col] for r in later)
    _, none = run_task(Task("k", sim.load_scenario(BACKBONE), 11, (0,)))
    assert none[0][col] == 0.0
