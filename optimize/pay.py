"""Pay and ranking rules of the sub-branch essay (绩效考核), as pure functions with parameters.

Every number is a parameter whose default is the essay's value (``seed``) or, where the
essay gives none, a stated assumption (``assumed``); ``scenarios/quarter_rules.toml``
lists them all. Amounts are yuan per quarter, points are the product points table's
(产品计分表) points earned in the quarter.

Customer managers at outlets (基层客户经理): 30% of pay follows the outlet's score, 70%
the person's product points, paid by bands — below 4,000 points at the full rate,
4,000–8,000 at 60% of the rate, above 8,000 at the full rate again. Two readings:

- ``marginal`` (default): each point is paid at the rate of the band it falls in, like
  income-tax brackets. Pay never falls when points rise. 8,000 points are paid as
  4,000 + 0.6 × 4,000 = 6,400 full-rate points.
- ``level``: the quarter's total decides one rate for all its points. A total exactly
  on a band edge takes the lower of the two adjoining rates (the essay's
  "4,000 to 8,000" includes both ends), so 3,999 points pay 3,999 but 4,000 pay 2,400:
  this reading has cliffs, which the planners should see before choosing it.

Outlet heads (网点主任): 70% from the target-responsibility score, 30% from growth; the
growth part is paid in full only when growth reaches 120% of plan, pro rata below
(or nothing below, as an option). Office customer managers (机关客户经理) are paid as a
team by weighted target completion, uncapped once every indicator is met. Front office
earns 10% over back office and grassroots 10% over the same rank elsewhere
(multiplicative: an outlet CM gets × 1.1 × 1.1).

Ranking (排队): customer managers are ranked by points, highest first. Ties are broken
by value contributed (higher first), then by person id (alphabetical), so a ranking is
always the same for the same results. The top 3 get rewards by rank; anyone in the
bottom 5 for two consecutive quarters leaves the role (退出机制) and is replaced.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.tomlio import Table

BAND_READINGS = ("marginal", "level")
GROWTH_BELOW_FULL = ("pro_rata", "nothing")


@dataclass(frozen=True, slots=True)
class PayRules:
    """Pay parameters (yuan per quarter unless named otherwise).

    ``band_edges_points`` split points into ``len(edges) + 1`` bands paid at
    ``band_rates`` (fractions of the full rate ``yuan_per_point``).
    ``cm_reference_pay_yuan`` is what the outlet-score part pays at a score of 100.
    ``head_growth_full_at`` is the growth attainment (actual growth / planned growth)
    that earns the full growth part.
    """

    band_edges_points: tuple[float, ...] = (4000.0, 8000.0)  # seed
    band_rates: tuple[float, ...] = (1.0, 0.6, 1.0)  # seed
    band_reading: str = "marginal"
    yuan_per_point: float = 1.0  # assumed
    cm_outlet_weight: float = 0.30  # seed
    cm_points_weight: float = 0.70  # seed
    cm_reference_pay_yuan: float = 6000.0  # assumed
    head_target_weight: float = 0.70  # seed
    head_growth_weight: float = 0.30  # seed
    head_growth_full_at: float = 1.20  # seed: beat plan by 20%
    head_growth_below_full: str = "pro_rata"
    head_reference_pay_yuan: float = 30000.0  # assumed
    head_plan_new_customers: float = 40.0  # assumed: planned net customer growth per outlet and quarter
    office_reference_pay_yuan: float = 8000.0  # assumed
    front_office_premium: float = 0.10  # seed
    grassroots_premium: float = 0.10  # seed


@dataclass(frozen=True, slots=True)
class RankingRules:
    """Forced ranking: rewards for the top ranks, exit for a repeated bottom rank.

    ``top_rewards_yuan[r]`` is paid to rank ``r + 1``. A person in the bottom
    ``exit_bottom`` for ``exit_consecutive_quarters`` quarters in a row leaves the role
    (when ``exit_enabled``).
    """

    top_rewards_yuan: tuple[float, ...] = (3000.0, 2000.0, 1000.0)  # seed: top 3; amounts assumed
    exit_bottom: int = 5  # seed
    exit_consecutive_quarters: int = 2  # seed
    exit_enabled: bool = True


def _band_index(points: np.ndarray, edges: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Band of each total for the level reading; a total on an edge takes the lower adjoining rate."""
    below = np.searchsorted(edges, points, side="left")  # edge == points counts as the band below
    above = np.searchsorted(edges, points, side="right")
    on_edge = above != below
    lower_rate_is_above = rates[np.minimum(above, rates.size - 1)] < rates[below]
    return np.where(on_edge & lower_rate_is_above, above, below)


def paid_points(points: float | Sequence[float] | np.ndarray, rules: PayRules = PayRules()) -> np.ndarray:
    """Points after the bands: what the points part pays, in full-rate points.

    ``marginal``: Σ over bands of rate × points inside the band. ``level``: the whole
    total times the rate of the band it falls in (see the module docstring).
    """
    p = np.asarray(points, dtype=float)
    edges = np.asarray(rules.band_edges_points, dtype=float)
    rates = np.asarray(rules.band_rates, dtype=float)
    if rules.band_reading == "level":
        return np.asarray(p * rates[_band_index(p, edges, rates)])
    lows = np.concatenate([[0.0], edges])
    highs = np.concatenate([edges, [np.inf]])
    inside = np.clip(p[..., None], lows, highs) - lows
    return np.asarray(inside @ rates)


def cm_pay(points: float | Sequence[float] | np.ndarray, outlet_score: float | Sequence[float] | np.ndarray,
           rules: PayRules = PayRules()) -> np.ndarray:
    """Quarterly pay of outlet customer managers (before premiums and ranking rewards).

    ``cm_outlet_weight × cm_reference_pay_yuan × outlet_score / 100`` plus
    ``cm_points_weight × yuan_per_point × paid_points(points)``; ``outlet_score`` is the
    outlet's scorecard score in 0…100.
    """
    score = np.asarray(outlet_score, dtype=float)
    outlet_part = rules.cm_outlet_weight * rules.cm_reference_pay_yuan * score / 100.0
    return np.asarray(outlet_part + rules.cm_points_weight * rules.yuan_per_point * paid_points(points, rules))


def growth_factor(attainment: float, rules: PayRules = PayRules()) -> float:
    """Share of the head's growth part paid, for growth attainment = actual growth / planned growth.

    1 from ``head_growth_full_at`` (1.20) up; below it ``attainment / full_at`` (pro rata)
    or 0 (``nothing``); never below 0.
    """
    if attainment >= rules.head_growth_full_at:
        return 1.0
    if rules.head_growth_below_full == "nothing":
        return 0.0
    return max(attainment, 0.0) / rules.head_growth_full_at


def head_pay(target_score: float, growth_attainment: float, rules: PayRules = PayRules(),
             growth_score: float = 1.0) -> float:
    """Quarterly pay of an outlet head (网点主任), before premiums.

    ``head_reference_pay_yuan × (0.7 × target_score / 100 + 0.3 × growth_score ×
    growth_factor(growth_attainment))``: ``target_score`` is the target-responsibility
    score (0…100), ``growth_score`` (0…1) how well intermediate income and customer mix
    grew, gated by deposit and customer growth through :func:`growth_factor`.
    """
    growth = rules.head_growth_weight * growth_score * growth_factor(growth_attainment, rules)
    return rules.head_reference_pay_yuan * (rules.head_target_weight * target_score / 100.0 + growth)


def office_team_pay(actual: Sequence[float], target: Sequence[float], weights: Sequence[float],
                    rules: PayRules = PayRules()) -> float:
    """Team pay of office customer managers (机关客户经理) from target completion, uncapped.

    Completion = Σ wᵢ · actualᵢ / targetᵢ over the team's indicators (weights summing
    to 1). Above-target completion counts only when every indicator is met (the essay:
    "on the basis that every indicator is completed, by actual completion, no cap");
    otherwise each indicator counts at most 100%.
    """
    a, t, w = (np.asarray(x, dtype=float) for x in (actual, target, weights))
    ratio = a / t
    if np.any(ratio < 1.0):
        ratio = np.minimum(ratio, 1.0)
    return float(rules.office_reference_pay_yuan * np.sum(w * ratio))


def premium_factor(front_office: bool, grassroots: bool, rules: PayRules = PayRules()) -> float:
    """Pay multiplier: × (1 + 10%) for front office, × (1 + 10%) for grassroots (outlet) staff."""
    return (1.0 + rules.front_office_premium * front_office) * (1.0 + rules.grassroots_premium * grassroots)


def rank(results: pd.DataFrame) -> pd.Series:
    """Rank (1 = best) of each person from columns ``person``, ``points``, ``value_yuan``.

    Highest points first; ties by higher ``value_yuan``, then by ``person`` id
    (alphabetical). Returns a Series aligned with ``results``' index.
    """
    order = results.sort_values(["points", "value_yuan", "person"], ascending=[False, False, True], kind="stable")
    return pd.Series(np.arange(1, len(order) + 1), index=order.index, name="rank").reindex(results.index)


def rank_rewards(ranks: pd.Series, rules: RankingRules = RankingRules()) -> pd.Series:
    """Reward (yuan) by rank: ``top_rewards_yuan[rank - 1]`` for the top ranks, else 0."""
    rewards = np.asarray(rules.top_rewards_yuan, dtype=float)
    r = ranks.to_numpy()
    paid = np.where(r <= rewards.size, rewards[np.minimum(r, rewards.size) - 1], 0.0)
    return pd.Series(paid, index=ranks.index, name="rank_reward_yuan")


def bottom_streaks(previous: pd.Series, ranks: pd.Series, rules: RankingRules = RankingRules()) -> pd.Series:
    """Consecutive bottom-quarter counts after this quarter's ranking.

    ``previous`` maps person → streak before this quarter (missing = 0, e.g. a new
    hire). A person ranked in the bottom ``exit_bottom`` extends their streak; anyone
    else restarts at 0, so two bottom quarters with a better one between do not add up.
    """
    in_bottom = ranks.to_numpy() > len(ranks) - rules.exit_bottom
    before = previous.reindex(ranks.index, fill_value=0).to_numpy()
    return pd.Series(np.where(in_bottom, before + 1, 0), index=ranks.index, name="bottom_streak")


def leaving(streaks: pd.Series, rules: RankingRules = RankingRules()) -> pd.Series:
    """True for people whose bottom streak reached ``exit_consecutive_quarters`` (when the rule is on)."""
    due = (streaks >= rules.exit_consecutive_quarters) & rules.exit_enabled
    return due.rename("exits")


def check_ranking_cut(people: int, rules: RankingRules, source: str) -> None:
    """Refuse a ranking cut larger than the number of people ranked.

    Raises:
        ScenarioError: naming ``source`` and the field ``ranking.exit_bottom`` or
            ``ranking.top_rewards_yuan``.
    """
    if rules.exit_bottom > people:
        raise ScenarioError(source, "ranking.exit_bottom", f"{rules.exit_bottom} is more than the {people} "
                            "customer managers ranked; allowed: 0 … number of customer managers")
    if len(rules.top_rewards_yuan) > people:
        raise ScenarioError(source, "ranking.top_rewards_yuan", f"{len(rules.top_rewards_yuan)} rewarded ranks "
                            f"but only {people} customer managers ranked; allowed: at most one amount per person")


def _number_list(t: Table, key: str, default: tuple[float, ...], *, ge: float = 0.0,
                 le: float | None = None) -> tuple[float, ...]:
    value = t.raw(key, list(default))
    if not isinstance(value, list):
        raise t.fail(key, f"expected a list of numbers, got {value!r}")
    item = Table(t.source, t.where(key), {f"[{i}]": v for i, v in enumerate(value)})
    return tuple(item.number(f"[{i}]", ge=ge, le=le) for i in range(len(value)))


def _bands(t: Table) -> tuple[tuple[float, ...], tuple[float, ...]]:
    edges = _number_list(t, "band_edges_points", PayRules().band_edges_points)
    if any(b <= a for a, b in itertools.pairwise(edges)) or (edges and edges[0] <= 0):
        raise t.fail("band_edges_points", f"{list(edges)} must be positive and strictly increasing")
    rates = _number_list(t, "band_rates", PayRules().band_rates, le=1.0)
    if len(rates) != len(edges) + 1:
        raise t.fail("band_rates", f"expected {len(edges) + 1} rates (one per band), got {len(rates)}")
    return edges, rates


def pay_rules(t: Table) -> PayRules:
    """Read the ``[pay]`` table (defaults from :class:`PayRules`); errors name the file and field."""
    d = PayRules()
    edges, rates = _bands(t)
    rules = PayRules(
        edges, rates, t.string("band_reading", d.band_reading, BAND_READINGS),
        t.number("yuan_per_point", d.yuan_per_point, ge=0.0),
        t.probability("cm_outlet_weight", d.cm_outlet_weight), t.probability("cm_points_weight", d.cm_points_weight),
        t.number("cm_reference_pay_yuan", d.cm_reference_pay_yuan, ge=0.0),
        t.probability("head_target_weight", d.head_target_weight),
        t.probability("head_growth_weight", d.head_growth_weight),
        t.number("head_growth_full_at", d.head_growth_full_at, gt=0.0),
        t.string("head_growth_below_full", d.head_growth_below_full, GROWTH_BELOW_FULL),
        t.number("head_reference_pay_yuan", d.head_reference_pay_yuan, ge=0.0),
        t.number("head_plan_new_customers", d.head_plan_new_customers, gt=0.0),
        t.number("office_reference_pay_yuan", d.office_reference_pay_yuan, ge=0.0),
        t.probability("front_office_premium", d.front_office_premium),
        t.probability("grassroots_premium", d.grassroots_premium),
    )
    t.finish()
    return rules


def ranking_rules(t: Table) -> RankingRules:
    """Read the ``[ranking]`` table (defaults from :class:`RankingRules`)."""
    d = RankingRules()
    rules = RankingRules(
        _number_list(t, "top_rewards_yuan", d.top_rewards_yuan), t.integer("exit_bottom", d.exit_bottom),
        t.integer("exit_consecutive_quarters", d.exit_consecutive_quarters, ge=1),
        t.boolean("exit_enabled", d.exit_enabled),
    )
    t.finish()
    return rules
