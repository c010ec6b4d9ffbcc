"""Pay and ranking rules of the sub-branch essay (绩效考核), as pure functions with parameters.

Every number is a parameter whose default is the essay's value (``seed``) or, where the
essay gives none, a stated assumption (``assumed``); ``scenarios/quarter_rules.toml``
lists them all. Amounts are yuan per quarter, points are the product points table's
(产品计分表) points earned in the quarter.

Customer managers at outlets (基层客户经理): 30% of pay follows the outlet's score, 70%
the person's product points, paid by bands — below 4,000 points at the full rate,
4,000–8,000 at 60% of the rate, above 8,000 at the full rate again. Three readings:

- ``marginal`` (default): each point is paid at the rate of the band it falls in, like
  income-tax brackets. Pay never falls when points rise. 8,000 points are paid as
  4,000 + 0.6 × 4,000 = 6,400 full-rate points.
- ``level``: the quarter's total decides one rate for all its points. A total exactly
  on a band edge takes the lower of the two adjoining rates (the essay's
  "4,000 to 8,000" includes both ends), so 3,999 points pay 3,999 but 4,000 pay 2,400:
  this reading has cliffs, which the planners should see before choosing it.
- ``rising``: the essay's words taken as two parts of pay — "得4000分以下的,按产品计价"
  (below 4,000: priced per product only), "4000分到8000分计价并按60%依率计发绩效" (4,000–
  8,000: priced, and performance pay (绩效) released at 60% of its rate), "8000分以上的计价
  并依率计发绩效" (above 8,000: priced, and performance pay released in full). Every point
  is priced at ``price_share`` of the full rate; the rest of the full rate is performance
  pay, released for *all* the quarter's points at ``performance_release[band]`` of the
  band the total falls in (0, 0.6, 1 by default: nothing extra below 4,000). The sentence
  sorts people by their total ("those who get ..."), so the band of the total decides the
  release, and "4,000 to 8,000" includes both ends: 4,000 and 8,000 points are released
  at 60%. With the assumed ``price_share = 0.5``: 3,999 points pay 1,999.5 full-rate
  points, 4,000 pay 3,200, 8,000 pay 6,400 (as the marginal reading) and 8,001 pay 8,001
  — two upward steps, so effort pays most just below an edge.

Outlet heads (网点主任): 70% from the target-responsibility score, 30% from growth; the
growth part is paid in full only when "deposit and customer growth beat plan by 20%",
pro rata below (or nothing below, as an option). Neither balances nor accounts are
simulated, so :func:`head_growth` derives both from what a quarter produces:

- customer growth = new customers won in the field − VIPs lost;
- deposit growth = new customers × ``new_customer_deposit_yuan`` + product sales ×
  ``deposit_per_sale_yuan`` − VIPs lost × ``vip_deposit_yuan`` (all assumed averages);

each is divided by its plan per outlet and quarter, and the gate reads the smaller of the
two attainments (``head_growth_gate = "both"``: deposit AND customer growth must reach
120%), or only one of them.

The head's pay in the essay's terms ("网点主任绩效考核70%与网点的年度经营目标责任制得分挂钩,
30%与存款、中间业务收入的增长和客户结构的调整挂钩,存款的增长和客户增长必须超计划20%才能拿全工资"),
each a switch whose default is today's reading:

- ``target_score``: ``window_service`` (today: the 70% — and the CMs' 30%, "基层客户经理
  绩效考核30%与网点的年度经营目标责任制得分挂钩" — read the quarter's window-service
  score) or ``target_responsibility``: :func:`target_responsibility_score`, plan
  attainment of net value and deposit growth, apart from the window-service score;
- ``head_growth_score``: ``fixed`` (today: 1) or ``fee_income``: intermediate income
  against plan (:func:`fee_income_score`) multiplies the 30%;
- ``head_gate_scope``: ``growth_part`` (today: the 120% gate scales the 30% only) or
  ``full_pay``: the gate scales the head's whole pay (全工资);
- ``head_premiums``: ``true`` (today: heads get the × 1.1 × 1.1 front-office and
  grassroots premiums) or ``false``.

Office customer managers (机关客户经理) are paid as a team by target completion, uncapped
(:func:`office_team_pay`; in a quarter study, :class:`OfficeTeamRules`: one target on the
whole study's net value contribution). Front office earns 10% over back office and
grassroots 10% over the same rank elsewhere (multiplicative: an outlet CM gets × 1.1 × 1.1).

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
from sim.scenario_types import MAX_HEADCOUNT, MAX_YUAN
from sim.tomlio import Table

BAND_READINGS = ("marginal", "level", "rising")
GROWTH_BELOW_FULL = ("pro_rata", "nothing")
GROWTH_GATES = ("both", "customers", "deposits")
#: What the head's 70% and the CMs' 30% read: the window-service score (today) or plan attainment.
TARGET_SCORES = ("window_service", "target_responsibility")
#: What multiplies the head's 30% growth part besides the gate: 1 (today) or intermediate income against plan.
HEAD_GROWTH_SCORES = ("fixed", "fee_income")
#: What the 120% gate scales: the growth part (today) or the whole of the head's pay (the essay's 全工资).
HEAD_GATE_SCOPES = ("growth_part", "full_pay")


@dataclass(frozen=True, slots=True, kw_only=True)
class PayRules:
    """Pay parameters (yuan per quarter unless named otherwise).

    ``band_edges_points`` split points into ``len(edges) + 1`` bands paid at
    ``band_rates`` (fractions of the full rate ``yuan_per_point``); the ``rising``
    reading instead prices every point at ``price_share`` of the full rate and releases
    the rest (performance pay) at ``performance_release`` of the total's band.
    ``cm_reference_pay_yuan`` is what the outlet-score part pays at a score of 100.
    ``head_growth_full_at`` is the growth attainment (actual growth / planned growth)
    that earns the full growth part; ``head_growth_gate`` which attainment it reads
    (``both``: the smaller of deposits' and customers'; ``customers``; ``deposits``).
    The deposit model's balances (``*_deposit_yuan``) are yuan per customer or sale.
    ``target_score``, ``head_growth_score``, ``head_gate_scope`` and ``head_premiums``
    choose how the head is paid (:func:`target_responsibility_score`,
    :func:`fee_income_score`, :func:`head_pay`); their defaults are today's numbers.
    """

    band_edges_points: tuple[float, ...] = (4000.0, 8000.0)  # seed
    band_rates: tuple[float, ...] = (1.0, 0.6, 1.0)  # seed
    band_reading: str = "marginal"
    price_share: float = 0.5  # assumed: rising reading, share of the full rate every point is priced at (计价)
    performance_release: tuple[float, ...] = (0.0, 0.6, 1.0)  # seed: rising reading, 绩效 released per band
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
    head_plan_deposit_growth_yuan: float = 2_000_000.0  # assumed: planned net deposit growth per outlet and quarter
    head_growth_gate: str = "both"  # seed: "deposit and customer growth must beat plan by 20%"
    new_customer_deposit_yuan: float = 50_000.0  # assumed: balance a new customer brings in its first quarter
    deposit_per_sale_yuan: float = 0.0  # assumed: most products sold are fee products that bring no balance
    vip_deposit_yuan: float = 200_000.0  # assumed: deposit balance a lost VIP takes away
    office_reference_pay_yuan: float = 8000.0  # assumed
    front_office_premium: float = 0.10  # seed
    grassroots_premium: float = 0.10  # seed
    target_score: str = "window_service"  # window_service (today) | target_responsibility (年度经营目标责任制得分)
    target_value_weight: float = 0.5  # assumed: share of the target score from net value against plan
    target_deposit_weight: float = 0.5  # assumed: share from deposit growth against plan
    head_plan_value_yuan: float = 1_500_000.0  # assumed: planned net value per outlet and quarter (shipped mean)
    head_growth_score: str = "fixed"  # fixed: 1 (today) | fee_income: 中间业务收入 against plan
    head_plan_fee_income_yuan: float = 1_500_000.0  # assumed: planned intermediate income per outlet and quarter
    head_gate_scope: str = "growth_part"  # growth_part (today) | full_pay ("才能拿全工资")
    head_premiums: bool = True  # today: heads get the front-office and grassroots premiums too


@dataclass(frozen=True, slots=True, kw_only=True)
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


def rising_band(points: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Band of each total for the rising reading: a total on the first edge is in the band above it
    ("4000分以下" is strictly below 4,000), on any later edge in the band below ("4,000 to 8,000"
    includes 8,000)."""
    band = np.searchsorted(edges, points, side="left")
    if edges.size:
        band = np.where(points == edges[0], 1, band)
    return np.asarray(band)


def paid_points(points: float | Sequence[float] | np.ndarray, rules: PayRules = PayRules()) -> np.ndarray:
    """Points after the bands: what the points part pays, in full-rate points.

    ``marginal``: Σ over bands of rate × points inside the band. ``level``: the whole
    total times the rate of the band it falls in. ``rising``: the total × (``price_share``
    + (1 − ``price_share``) × ``performance_release`` of the total's band) (see the module
    docstring).
    """
    p = np.asarray(points, dtype=float)
    edges = np.asarray(rules.band_edges_points, dtype=float)
    rates = np.asarray(rules.band_rates, dtype=float)
    if rules.band_reading == "level":
        return np.asarray(p * rates[_band_index(p, edges, rates)])
    if rules.band_reading == "rising":
        release = np.asarray(rules.performance_release, dtype=float)[rising_band(p, edges)]
        return np.asarray(p * (rules.price_share + (1.0 - rules.price_share) * release))
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


def head_growth(field_new_customers: float | Sequence[float] | np.ndarray,
                vip_lost: float | Sequence[float] | np.ndarray, sales: float | Sequence[float] | np.ndarray,
                rules: PayRules = PayRules()) -> pd.DataFrame:
    """Customer and deposit growth of outlets in a quarter, and the attainment the head's gate reads.

    Per outlet (one row each, inputs are the quarter's sums): ``net_new_customers`` =
    field customers − VIPs lost; ``deposits_in_yuan`` = field customers ×
    ``new_customer_deposit_yuan`` + sales × ``deposit_per_sale_yuan``;
    ``deposits_lost_yuan`` = VIPs lost × ``vip_deposit_yuan``; ``deposit_growth_yuan`` =
    in − lost. ``customer_attainment`` and ``deposit_attainment`` divide each growth by
    its plan (``head_plan_new_customers``, ``head_plan_deposit_growth_yuan``);
    ``growth_attainment`` is the smaller of the two (``head_growth_gate = "both"``) or the
    one the gate names, for :func:`growth_factor`.
    """
    won, lost, sold = (np.asarray(x, dtype=float) for x in (field_new_customers, vip_lost, sales))
    deposits_in = won * rules.new_customer_deposit_yuan + sold * rules.deposit_per_sale_yuan
    deposits_lost = lost * rules.vip_deposit_yuan
    customers = (won - lost) / rules.head_plan_new_customers
    deposits = (deposits_in - deposits_lost) / rules.head_plan_deposit_growth_yuan
    gated = {"both": np.minimum(customers, deposits), "customers": customers, "deposits": deposits}
    return pd.DataFrame({
        "net_new_customers": np.atleast_1d(won - lost), "deposits_in_yuan": np.atleast_1d(deposits_in),
        "deposits_lost_yuan": np.atleast_1d(deposits_lost),
        "deposit_growth_yuan": np.atleast_1d(deposits_in - deposits_lost),
        "customer_attainment": np.atleast_1d(customers), "deposit_attainment": np.atleast_1d(deposits),
        "growth_attainment": np.atleast_1d(gated[rules.head_growth_gate]),
    })


def head_pay(target_score: float, growth_attainment: float, rules: PayRules = PayRules(),
             growth_score: float = 1.0) -> float:
    """Quarterly pay of an outlet head (网点主任), before premiums.

    ``head_reference_pay_yuan × (0.7 × target_score / 100 + 0.3 × growth_score ×
    growth_factor(growth_attainment))``: ``target_score`` is the target-responsibility
    score (0…100), ``growth_score`` (0…1) how well intermediate income and customer mix
    grew, gated by deposit and customer growth through :func:`growth_factor`. With
    ``head_gate_scope = "full_pay"`` the gate scales the whole pay instead — the essay's
    "存款的增长和客户增长必须超计划20%才能拿全工资" (full pay only at 120% of plan):
    ``head_reference_pay_yuan × (0.7 × target_score / 100 + 0.3 × growth_score) ×
    growth_factor(growth_attainment)``.
    """
    gate = growth_factor(growth_attainment, rules)
    if rules.head_gate_scope == "full_pay":
        earned = rules.head_target_weight * target_score / 100.0 + rules.head_growth_weight * growth_score
        return rules.head_reference_pay_yuan * earned * gate
    growth = rules.head_growth_weight * growth_score * gate
    return rules.head_reference_pay_yuan * (rules.head_target_weight * target_score / 100.0 + growth)


def target_responsibility_score(net_value_yuan: float | Sequence[float] | np.ndarray,
                                deposit_growth_yuan: float | Sequence[float] | np.ndarray,
                                rules: PayRules = PayRules()) -> np.ndarray:
    """The target-responsibility score (年度经营目标责任制得分) of outlets, 0…100.

    ``100 × (target_value_weight × clip(net value / head_plan_value_yuan, 0, 1) +
    target_deposit_weight × clip(deposit growth / head_plan_deposit_growth_yuan, 0, 1))``:
    full marks at plan, nothing at or below zero (assumed shape; the essay names the
    score, not its sheet). The plans are per outlet and quarter (a year's plan over 4).
    """
    value = np.clip(np.asarray(net_value_yuan, dtype=float) / rules.head_plan_value_yuan, 0.0, 1.0)
    deposits = np.clip(np.asarray(deposit_growth_yuan, dtype=float) / rules.head_plan_deposit_growth_yuan, 0.0, 1.0)
    return np.asarray(100.0 * (rules.target_value_weight * value + rules.target_deposit_weight * deposits))


def fee_income_score(fee_income_yuan: float | Sequence[float] | np.ndarray,
                     rules: PayRules = PayRules()) -> np.ndarray:
    """The head's growth score from intermediate income (中间业务收入): clip(income / plan, 0, 1).

    ``fee_income_yuan`` is the quarter's value of product sales at the counters (fees;
    field customers' value is not fee income); the plan ``head_plan_fee_income_yuan``
    already holds the planned growth (assumed). Customer mix (客户结构) is not simulated
    and counts as met.
    """
    return np.asarray(np.clip(np.asarray(fee_income_yuan, dtype=float) / rules.head_plan_fee_income_yuan, 0.0, 1.0))


def head_premium(rules: PayRules = PayRules()) -> float:
    """The head's pay multiplier: the front-office and grassroots premiums (``head_premiums``) or 1."""
    return premium_factor(True, True, rules) if rules.head_premiums else 1.0


def office_team_pay(actual: Sequence[float], target: Sequence[float], weights: Sequence[float],
                    rules: PayRules = PayRules()) -> float:
    """Team pay of office customer managers (机关客户经理) from target completion, uncapped.

    Completion = Σ wᵢ · actualᵢ / targetᵢ over the team's indicators (weights summing
    to 1). Above-target completion counts only when every indicator is met (the essay:
    "on the basis that every indicator is completed, by actual completion, no cap");
    otherwise each indicator counts at most 100%. An indicator below 0 counts as 0.
    With one indicator, pay = ``office_reference_pay_yuan`` × completion, uncapped.
    """
    a, t, w = (np.asarray(x, dtype=float) for x in (actual, target, weights))
    ratio = np.maximum(a / t, 0.0)
    if np.any(ratio < 1.0):
        ratio = np.minimum(ratio, 1.0)
    return float(rules.office_reference_pay_yuan * np.sum(w * ratio))


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficeTeamRules:
    """One office (机关) customer-manager team, judged on the study's net value contribution.

    ``members`` people (0 = no team) share one quarterly target,
    ``target_net_value_yuan``: value − value lost, summed over every outlet of the study
    in the quarter (the whole sub-branch's value contribution). See
    :func:`office_team_quarter`.
    """

    members: int = 0
    target_net_value_yuan: float = 0.0  # required (> 0) when members > 0


def office_team_quarter(net_value_yuan: float, team: OfficeTeamRules, rules: PayRules = PayRules()) -> pd.DataFrame:
    """The office team's row for a quarter in which the study's net value was ``net_value_yuan``.

    ``completion`` = net value / target; each member gets ``office_reference_pay_yuan`` ×
    completion (no cap: 1.5 pays 1.5 ×; below 0 pays 0) × the front-office premium (office
    staff are not grassroots); ``team_pay_yuan`` = members × that. No team: no row.
    """
    columns = ["members", "target_net_value_yuan", "net_value_yuan", "completion", "pay_per_member_yuan",
               "team_pay_yuan"]
    if team.members == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    each = premium_factor(True, False, rules) * office_team_pay([net_value_yuan], [team.target_net_value_yuan],
                                                                [1.0], rules)
    row = [team.members, team.target_net_value_yuan, net_value_yuan, net_value_yuan / team.target_net_value_yuan,
           each, team.members * each]
    return pd.DataFrame([row], columns=columns)


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
    if rewards.size == 0:  # no rewards: nobody is paid one
        return pd.Series(np.zeros(len(r)), index=ranks.index, name="rank_reward_yuan")
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


@dataclass(frozen=True, slots=True, kw_only=True)
class ClubRules:
    """The marketing elite club (营销精英俱乐部), off by default; every number assumed.

    "俱乐部会员按照总量控制、严格准入、按季调整、动态管理的原则 ... 择优产生,给予专属会员待遇":
    after each quarter the best-ranked customer managers with at least ``entry_points``
    points, at most ``capacity`` of them, are the members of the next quarter (membership
    re-decided every quarter: one below the entry bar leaves). A member gets ``bonus_yuan``
    for the quarter and, with ``first_pick``, visits the prospect pool first on outside
    days (:attr:`sim.horizon.Horizon.first_pick`).
    """

    enabled: bool = False
    capacity: int = 10  # assumed: 总量控制
    entry_points: float = 6000.0  # assumed: 严格准入
    bonus_yuan: float = 1000.0  # assumed: 专属会员待遇, a quarter
    first_pick: bool = True  # assumed privilege


def club_members(cms: pd.DataFrame, rules: ClubRules) -> list[str]:
    """Next quarter's members from this quarter's CM rows (columns ``person``, ``points``, ``rank``).

    The best ranks first (the ranking's order, ties already broken), those with at least
    ``entry_points`` points, at most ``capacity``.
    """
    eligible = cms[cms["points"] >= rules.entry_points].sort_values("rank", kind="stable")
    return list(eligible["person"].head(rules.capacity))


@dataclass(frozen=True, slots=True, kw_only=True)
class LadderRules:
    """One-off ladder rewards for outlets (阶梯奖励), off by default; the rungs and amounts assumed.

    "对业绩达到一定标准的网点或团队,按不同阶梯标准一次性给予高额奖励": an outlet whose
    quarterly net value (value − value lost) reaches ``thresholds_yuan[k]`` for the first
    time in the study is paid ``rewards_yuan[k]`` once (every rung newly reached that
    quarter; a rung is never paid twice). See :func:`ladder_rewards`.

    Teams too ("网点或团队"): with ``teams`` each outlet's customer managers are one team (the
    essay's 基层营销团队, led by the head), and the team whose quarterly product points (the
    sum of its CMs' points) reach ``team_thresholds_points[k]`` for the first time is paid
    ``team_rewards_yuan[k]`` once, shared equally among the CMs who worked there that quarter
    (on top of their pay). Independent of ``enabled`` (the outlets' ladder); amounts assumed.
    """

    enabled: bool = False
    thresholds_yuan: tuple[float, ...] = (2_000_000.0, 3_000_000.0, 4_000_000.0)  # assumed
    rewards_yuan: tuple[float, ...] = (5000.0, 10000.0, 20000.0)  # assumed
    teams: bool = False
    team_thresholds_points: tuple[float, ...] = (60_000.0, 90_000.0, 120_000.0)  # assumed: 6-12 CMs' quarter
    team_rewards_yuan: tuple[float, ...] = (6000.0, 12000.0, 24000.0)  # assumed: 1,000-2,000 yuan a CM


def ladder_rewards(net_value_yuan: np.ndarray, reached: np.ndarray, rules: LadderRules, *,
                   teams: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Rewards of outlets (or, with ``teams``, of their CM teams) this quarter and the rungs reached since the start.

    ``net_value_yuan``: the measure the rungs read (a team's points with ``teams``);
    ``reached``: rungs reached before (0 = none). Rung count now = the larger of that and
    the number of thresholds at or below the measure; the reward is the sum of the rewards
    over the rungs newly reached.
    """
    rungs, rewards = ((rules.team_thresholds_points, rules.team_rewards_yuan) if teams
                      else (rules.thresholds_yuan, rules.rewards_yuan))
    now = np.maximum(reached, np.searchsorted(np.asarray(rungs), net_value_yuan, side="right"))
    paid = np.concatenate([[0.0], np.cumsum(rewards)])
    return paid[now] - paid[reached], now


def club_rules(t: Table) -> ClubRules:
    """Read the ``[club]`` table (defaults from :class:`ClubRules`); errors name the file and field."""
    d = ClubRules()
    rules = ClubRules(enabled=t.boolean("enabled", d.enabled),
                      capacity=t.integer("capacity", d.capacity, ge=1, le=MAX_HEADCOUNT),
                      entry_points=_yuan(t, "entry_points", d.entry_points),
                      bonus_yuan=_yuan(t, "bonus_yuan", d.bonus_yuan), first_pick=t.boolean("first_pick", d.first_pick))
    t.finish()
    return rules


def _rungs(t: Table, key: str, reward_key: str, default: tuple[float, ...],
           default_rewards: tuple[float, ...]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A ladder's rungs (strictly increasing, non-empty) and one reward each."""
    rungs = t.number_list(key, list(default), gt=0.0, le=MAX_YUAN)
    if not rungs or any(b <= a for a, b in itertools.pairwise(rungs)):
        raise t.fail(key, f"{list(rungs)}: a non-empty list, strictly increasing")
    rewards = t.number_list(reward_key, list(default_rewards), ge=0.0, le=MAX_YUAN)
    if len(rewards) != len(rungs):
        raise t.fail(reward_key, f"expected {len(rungs)} rewards (one per rung of {key}), got {len(rewards)}")
    return rungs, rewards


def ladder_rules(t: Table) -> LadderRules:
    """Read the ``[ladder]`` table: rungs strictly increasing, one reward each (the outlets' and the teams')."""
    d = LadderRules()
    rungs, rewards = _rungs(t, "thresholds_yuan", "rewards_yuan", d.thresholds_yuan, d.rewards_yuan)
    team_rungs, team_rewards = _rungs(t, "team_thresholds_points", "team_rewards_yuan", d.team_thresholds_points,
                                      d.team_rewards_yuan)
    rules = LadderRules(enabled=t.boolean("enabled", d.enabled), thresholds_yuan=rungs, rewards_yuan=rewards,
                        teams=t.boolean("teams", d.teams), team_thresholds_points=team_rungs,
                        team_rewards_yuan=team_rewards)
    t.finish()
    return rules


def _release(t: Table, edges: tuple[float, ...], reading: str) -> tuple[float, ...]:
    """``performance_release``: one share in [0, 1] per band (checked against the edges when the rising
    reading uses it or the file gives it)."""
    release = t.number_list("performance_release", list(PayRules().performance_release), ge=0.0, le=1.0)
    if (reading == "rising" or t.has("performance_release")) and len(release) != len(edges) + 1:
        raise t.fail("performance_release", f"expected {len(edges) + 1} shares (one per band of band_edges_points), "
                     f"got {len(release)}")
    return release


def _bands(t: Table) -> tuple[tuple[float, ...], tuple[float, ...]]:
    edges = t.number_list("band_edges_points", list(PayRules().band_edges_points), ge=0.0)
    if any(b <= a for a, b in itertools.pairwise(edges)) or (edges and edges[0] <= 0):
        raise t.fail("band_edges_points", f"{list(edges)} must be positive and strictly increasing")
    rates = t.number_list("band_rates", list(PayRules().band_rates), ge=0.0, le=1.0)
    if len(rates) != len(edges) + 1:
        raise t.fail("band_rates", f"expected {len(edges) + 1} rates (one per band), got {len(rates)}")
    return edges, rates


def pay_rules(t: Table) -> PayRules:
    """Read the ``[pay]`` table (defaults from :class:`PayRules`); errors name the file and field."""
    d = PayRules()
    edges, rates = _bands(t)
    reading = t.string("band_reading", d.band_reading, BAND_READINGS)
    rules = PayRules(
        band_edges_points=edges, band_rates=rates, band_reading=reading,
        price_share=t.probability("price_share", d.price_share),
        performance_release=_release(t, edges, reading),
        yuan_per_point=_yuan(t, "yuan_per_point", d.yuan_per_point),
        cm_outlet_weight=t.probability("cm_outlet_weight", d.cm_outlet_weight),
        cm_points_weight=t.probability("cm_points_weight", d.cm_points_weight),
        cm_reference_pay_yuan=_yuan(t, "cm_reference_pay_yuan", d.cm_reference_pay_yuan),
        head_target_weight=t.probability("head_target_weight", d.head_target_weight),
        head_growth_weight=t.probability("head_growth_weight", d.head_growth_weight),
        head_growth_full_at=t.number("head_growth_full_at", d.head_growth_full_at, gt=0.0, le=100.0),
        head_growth_below_full=t.string("head_growth_below_full", d.head_growth_below_full, GROWTH_BELOW_FULL),
        head_reference_pay_yuan=_yuan(t, "head_reference_pay_yuan", d.head_reference_pay_yuan),
        head_plan_new_customers=_plan(t, "head_plan_new_customers", d.head_plan_new_customers),
        head_plan_deposit_growth_yuan=_plan(t, "head_plan_deposit_growth_yuan", d.head_plan_deposit_growth_yuan),
        head_growth_gate=t.string("head_growth_gate", d.head_growth_gate, GROWTH_GATES),
        new_customer_deposit_yuan=_yuan(t, "new_customer_deposit_yuan", d.new_customer_deposit_yuan),
        deposit_per_sale_yuan=_yuan(t, "deposit_per_sale_yuan", d.deposit_per_sale_yuan),
        vip_deposit_yuan=_yuan(t, "vip_deposit_yuan", d.vip_deposit_yuan),
        office_reference_pay_yuan=_yuan(t, "office_reference_pay_yuan", d.office_reference_pay_yuan),
        front_office_premium=t.probability("front_office_premium", d.front_office_premium),
        grassroots_premium=t.probability("grassroots_premium", d.grassroots_premium),
        target_score=t.string("target_score", d.target_score, TARGET_SCORES),
        target_value_weight=t.probability("target_value_weight", d.target_value_weight),
        target_deposit_weight=t.probability("target_deposit_weight", d.target_deposit_weight),
        head_plan_value_yuan=_plan(t, "head_plan_value_yuan", d.head_plan_value_yuan),
        head_growth_score=t.string("head_growth_score", d.head_growth_score, HEAD_GROWTH_SCORES),
        head_plan_fee_income_yuan=_plan(t, "head_plan_fee_income_yuan", d.head_plan_fee_income_yuan),
        head_gate_scope=t.string("head_gate_scope", d.head_gate_scope, HEAD_GATE_SCOPES),
        head_premiums=t.boolean("head_premiums", d.head_premiums),
    )
    for a, b, whole in (("cm_outlet_weight", "cm_points_weight", "pay"), ("head_target_weight", "head_growth_weight",
                        "pay"), ("target_value_weight", "target_deposit_weight", "target score")):
        total = getattr(rules, a) + getattr(rules, b)
        if abs(total - 1.0) > 1e-9:
            raise t.fail(b, f"{a} + {b} must sum to 1 (the two parts of the {whole}), got {total:g}")
    t.finish()
    return rules


def _plan(t: Table, key: str, default: float) -> float:
    """A plan (customers or yuan per outlet and quarter): at least 1, at most :data:`sim.scenario.MAX_YUAN`."""
    return t.number(key, default, ge=1.0, le=MAX_YUAN)


def _yuan(t: Table, key: str, default: float) -> float:
    """An amount of money (or points) >= 0 and at most :data:`sim.scenario.MAX_YUAN`."""
    return t.number(key, default, ge=0.0, le=MAX_YUAN)


def office_team_rules(t: Table) -> OfficeTeamRules:
    """Read the ``[office_team]`` table (absent or ``members = 0``: no office team).

    Raises:
        ScenarioError: a target missing or not positive while ``members > 0``.
    """
    members = t.integer("members", OfficeTeamRules().members)
    target = _yuan(t, "target_net_value_yuan", OfficeTeamRules().target_net_value_yuan)
    if members > 0 and target <= 0.0:
        raise t.fail("target_net_value_yuan", f"must be > 0 when members > 0 (members = {members}), got {target:g}")
    if members > 0 and target < 1.0:
        raise t.fail("target_net_value_yuan", f"must be at least 1 yuan when members > 0, got {target:g}")
    t.finish()
    return OfficeTeamRules(members=members, target_net_value_yuan=target)


def ranking_rules(t: Table) -> RankingRules:
    """Read the ``[ranking]`` table (defaults from :class:`RankingRules`)."""
    d = RankingRules()
    rules = RankingRules(
        top_rewards_yuan=t.number_list("top_rewards_yuan", list(d.top_rewards_yuan), ge=0.0, le=MAX_YUAN),
        exit_bottom=t.integer("exit_bottom", d.exit_bottom, le=MAX_HEADCOUNT),
        exit_consecutive_quarters=t.integer("exit_consecutive_quarters", d.exit_consecutive_quarters, ge=1),
        exit_enabled=t.boolean("exit_enabled", d.exit_enabled),
    )
    rewards = rules.top_rewards_yuan
    if any(b > a for a, b in itertools.pairwise(rewards)):
        raise t.fail("top_rewards_yuan", f"{list(rewards)}: a higher rank must never get less; give the amounts "
                     "from the first rank down, each at most the one before")
    t.finish()
    return rules
