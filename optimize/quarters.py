"""Simulated quarters: points, pay, forced ranking, exits, outlet scorecards and tiers.

:func:`run_quarters` runs outlets (one scenario, several, or a region file) over
``quarters`` × ``days_per_quarter`` working days with :mod:`sim.horizon`, and after each
quarter applies the rules of :mod:`optimize.pay`, :mod:`optimize.scorecard` and
:mod:`optimize.tiers`:

1. each outlet's quarter KPIs → score sheet → outlet ranking, red flag, penalty; its
   simulated tier beside the tier it carries; the head's pay (target score = the
   outlet's score; growth attainment = the smaller of customer growth — field
   conversions minus VIPs lost — and deposit growth — new customers' assumed balances
   minus lost VIPs' — each over its plan: :func:`optimize.pay.head_growth`);
2. customer managers (all outlets together, as the sub-branch ranks them) → rank by
   points (ties: value, then id) → pay = banded points + outlet-score part, × the
   front-office and grassroots premiums, + rank reward;
3. bottom-streaks; anyone at ``exit_consecutive_quarters`` leaves at the quarter's end
   and a new hire takes the post after the vacancy (:meth:`sim.horizon.Horizon.replace`);
4. an office (机关) CM team, when the rules have one (``[office_team]``): paid by the
   completion of a target on the study's net value (value − value lost), uncapped.

With ``[inspection] enabled = true`` (:func:`optimize.scorecard.inspect`) the outlet
ranking, red flags, subsidies and penalties of step 1 go by leaders' sampled, noisy
readings of the score sheet (每半月 12 个网点) instead of the quarter's means; the
perfect-information awards stay beside them and ``summary`` counts how often they differ.
The head's pay reads the window-service score or, with ``[pay] target_score =
"target_responsibility"``, a target-responsibility score (:mod:`optimize.pay`).

With ``[vip_care] enabled = true`` (:class:`sim.horizon.VipCareRules`) the CMs' and WMs'
contacts with their VIPs (2对1, by grade) take a share of their day from selling for the
quarter (skill × (1 − share), like effort), a quarterly hazard that falls with the contacts
made and rises with VIP walk-outs takes VIPs off the books, and every lost VIP costs its
maintainers points before the ranking (四包: ``vip_points_deducted``).

With ``[club] enabled = true`` the best-ranked CMs over the entry bar (at most the
club's capacity) are the next quarter's club members: a bonus, and the first pick of the
prospect pool (:class:`optimize.pay.ClubRules`); with ``[ladder] enabled = true`` an
outlet is paid a one-off reward for every rung of net value it reaches for the first time
(:class:`optimize.pay.LadderRules`).

With ``[penalties] enabled = true`` (:class:`optimize.scorecard.PenaltyRules`) each
outlet's penalty points accumulate from quarter to quarter (积分处罚, ``penalty_balance``) and
cost its head ``head_yuan_per_point`` for every point on the balance, each quarter
(``head_penalty_yuan``, taken off ``head_pay_yuan``); a balance at ``review_points`` marks the
head for review (``head_review``; ``summary`` counts ``head_reviews``). With ``[training]``
and ``[exchange]`` (:mod:`optimize.careers`) people spend days away training and gain skill,
and the best-scoring inside staff move into CM posts between quarters; with ``[ladder] teams``
each outlet's CM team has a ladder of its own.

With ``[effort] response = "best_response"`` (:mod:`optimize.effort`) each customer
manager first chooses the quarter's effort, a myopic best response to the marginal pay of
the next point under the bands in force; effort multiplies their skill for the quarter
(pitch conversion and field-visit conversion) and ``people`` gains ``effort`` and
``effort_capped``. With ``response = "none"`` (the default) nothing of this runs and
every table is as it was before the effort model existed.

:func:`run_rule_sets` runs several rule sets in one pass on the same seeds, and
:func:`compare_rules` two of them (common random numbers: the
same customers, volumes and initial staff) over replications and reports paired 95%
intervals of the differences — e.g. with and without the exit rule
(:func:`summary_comparison`), or any two pay schemes per quarter
(:func:`optimize.pay_compare.paired_comparison`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.careers import (
    ExchangeRules,
    TrainingRules,
    assessment_order,
    exchange_rules,
    moved,
    trained,
    training_days,
    training_rules,
)
from optimize.effort import EffortRules, apply_efforts, choose_efforts, effort_rules, restore_skills
from optimize.pay import (
    ClubRules,
    LadderRules,
    OfficeTeamRules,
    PayRules,
    RankingRules,
    bottom_streaks,
    check_ranking_cut,
    club_members,
    club_rules,
    cm_pay,
    fee_income_score,
    head_growth,
    head_pay,
    head_premium,
    ladder_rewards,
    ladder_rules,
    leaving,
    office_team_quarter,
    office_team_rules,
    paid_points,
    pay_rules,
    premium_factor,
    rank,
    rank_rewards,
    ranking_rules,
    target_responsibility_score,
)
from optimize.region import AUTO_TIER, load_region
from optimize.scorecard import (
    InspectionRules,
    PenaltyRules,
    ScoreSheet,
    accumulate_penalties,
    inspect,
    inspection_rules,
    misplaced,
    penalty_rules,
    rank_outlets,
    score,
    score_sheet,
)
from optimize.tiers import TierRules, classify, tier_rules
from sim.errors import ScenarioError
from sim.executors import make_executor
from sim.horizon import (
    MAINTAINER_ROLES,
    TAG_INSPECTION,
    TAG_VIP_CARE,
    Horizon,
    HorizonDays,
    HorizonRules,
    Person,
    VipCareRules,
    care_hazard,
    care_load,
    hire_rules,
    horizon_rules,
    rng,
    run_days,
    vip_care_rules,
)
from sim.metrics import walkout_rate
from sim.replicate import summarise
from sim.scenario import load_scenario
from sim.scenario_types import MAINTAINERS_PER_VIP, Scenario
from sim.tomlio import Table, read_toml

CM = "customer_manager"


@dataclass(frozen=True, kw_only=True)
class QuarterRules:
    """Every rule of a quarter study, read from one TOML file (``scenarios/quarter_rules.toml``)."""

    source: str = "<defaults>"
    pay: PayRules = field(default_factory=PayRules)
    ranking: RankingRules = field(default_factory=RankingRules)
    scorecard: ScoreSheet = field(default_factory=ScoreSheet)
    tiers: TierRules = field(default_factory=TierRules)
    horizon: HorizonRules = field(default_factory=HorizonRules)
    office: OfficeTeamRules = field(default_factory=OfficeTeamRules)
    effort: EffortRules = field(default_factory=EffortRules)
    inspection: InspectionRules = field(default_factory=InspectionRules)
    vip_care: VipCareRules = field(default_factory=VipCareRules)
    club: ClubRules = field(default_factory=ClubRules)
    ladder: LadderRules = field(default_factory=LadderRules)
    penalties: PenaltyRules = field(default_factory=PenaltyRules)
    training: TrainingRules = field(default_factory=TrainingRules)
    exchange: ExchangeRules = field(default_factory=ExchangeRules)

    def without_exits(self) -> QuarterRules:
        """The same rules with the forced-ranking exit switched off."""
        return replace(self, ranking=replace(self.ranking, exit_enabled=False))


def load_rules(path: str | Path | None = None) -> QuarterRules:
    """Read a rules file (sections ``pay``, ``ranking``, ``hiring``, ``horizon``, ``scorecard``, ``tiers``,
    ``office_team``, ``effort``, ``inspection``, ``vip_care``, ``club``, ``ladder``, ``penalties``,
    ``training``, ``exchange``).

    Missing sections and fields take the defaults. ``None`` gives the defaults.

    Raises:
        ScenarioError: one line naming the file, the field and what is allowed.
    """
    if path is None:
        return QuarterRules()
    root = Table(str(path), "", read_toml(path))
    root.require_kind("a quarter rules file")
    pay, ranking = pay_rules(root.table("pay")), ranking_rules(root.table("ranking"))
    horizon = horizon_rules(root.table("horizon"), hire_rules(root.table("hiring")))
    rules = QuarterRules(source=str(path), pay=pay, ranking=ranking, scorecard=score_sheet(root.table("scorecard")),
                         tiers=tier_rules(root.table("tiers")), horizon=horizon,
                         office=office_team_rules(root.table("office_team")), effort=effort_rules(root.table("effort")),
                         inspection=inspection_rules(root.table("inspection")),
                         vip_care=vip_care_rules(root.table("vip_care")), club=club_rules(root.table("club")),
                         ladder=ladder_rules(root.table("ladder")), penalties=penalty_rules(root.table("penalties")),
                         training=training_rules(root.table("training"), horizon),
                         exchange=exchange_rules(root.table("exchange")))
    root.finish()
    return rules


@dataclass(frozen=True, kw_only=True)
class Study:
    """The outlets a quarter study runs: scenarios, display names, carried tiers, VIP books.

    A region file's outlets carry their ``vip_customers`` (0: no VIP book); outlet scenario
    files have none (``None``: the rules' ``horizon.vip_book``). A region outlet's
    ``tier = "auto"`` stays ``"auto"`` here; the run resolves it (:func:`resolve_auto_tiers`).
    ``maintainers_per_vip`` is the "2 to 1" maintenance ratio of the region's policy
    (``[rules.vip_maintenance]``; the default ratio for outlet files and regions without the rule).
    """

    source: str
    scenarios: tuple[Scenario, ...]
    names: tuple[str, ...]
    tiers: tuple[str, ...]
    vip_books: tuple[float | None, ...]
    maintainers_per_vip: float = MAINTAINERS_PER_VIP


def load_study(paths: Sequence[str | Path]) -> Study:
    """Outlet scenario files, or one region file (a TOML file with a ``[region]`` table)."""
    regions = [p for p in paths if "region" in read_toml(p)]
    if regions and len(paths) > 1:
        raise ScenarioError(str(regions[0]), "region", "a region file names its own outlets: give it alone, "
                            "or give outlet scenario files only")
    if regions:
        region = load_region(paths[0])
        outlets = region.outlets
        vip = region.policy.vip
        return Study(source=str(paths[0]), scenarios=tuple(o.scenario for o in outlets),
                     names=tuple(o.name for o in outlets), tiers=tuple(o.tier for o in outlets),
                     vip_books=tuple(float(o.vip_customers) for o in outlets),
                     maintainers_per_vip=MAINTAINERS_PER_VIP if vip is None else vip.maintainers_per_vip)
    scenarios = tuple(load_scenario(p) for p in paths)
    return Study(source=", ".join(map(str, paths)), scenarios=scenarios, names=tuple(s.outlet.name for s in scenarios),
                 tiers=tuple(s.outlet.tier for s in scenarios), vip_books=(None,) * len(scenarios))


@dataclass(frozen=True, kw_only=True)
class QuarterResults:
    """Tables of a quarter study (one row per replication × quarter × person / outlet, and per day).

    ``people``: points, value, sales, field customers, days present, and for customer
    managers rank, paid points, pay, rank reward, bottom streak and ``exits``.
    ``outlets``: quarter KPIs, score sheet items, ``score``, ``outlet_rank``,
    ``red_flag``, ``subsidy_yuan``, ``penalty_points``, ``tier``, ``simulated_tier``, the
    head's growth gate (``sales``, ``net_new_customers``, ``deposits_in_yuan``,
    ``deposits_lost_yuan``, ``deposit_growth_yuan``, ``customer_attainment``,
    ``deposit_attainment``, ``growth_attainment``) and ``head_pay_yuan`` (with the head-pay
    switches ``target_score``, ``fee_income_yuan``, ``fee_income_score``; with inspections
    ``inspections``, ``inspection_score``, ``perfect_rank``, ``perfect_red_flag``,
    ``perfect_penalty_points``, and ``summary`` gains the counts of
    :func:`optimize.scorecard.misplaced`; with VIP care ``vip_care_share``,
    ``vip_care_coverage``, ``vip_care_hazard``, ``vip_care_lost``, and ``people`` gains
    ``vip_points_deducted``; with penalties ``penalty_balance``, ``head_penalty_yuan``,
    ``head_review``; with the team ladder ``team_points``, ``team_rungs``, ``team_ladder_yuan``
    and ``people`` ``team_ladder_yuan``; with the exchange ``exchanged_out``,
    ``exchange_cost_yuan`` and ``people`` ``exchanged``; with training ``people`` gains
    ``training_days`` and ``skill_after``). ``office``: the
    office team's row per replication × quarter (none without a team; columns of
    :func:`optimize.pay.office_team_quarter`). ``days``: outlet-day rows. ``summary``: one
    row per replication.
    """

    rules: QuarterRules
    people: pd.DataFrame
    outlets: pd.DataFrame
    office: pd.DataFrame
    days: pd.DataFrame
    summary: pd.DataFrame
    seconds: float


def _outlet_quarter(days: pd.DataFrame, keys: str | list[str] = "outlet") -> pd.DataFrame:
    """The score sheet's KPIs (and sums) of each outlet over ``days``; one row per ``keys`` (``["outlet", "day"]``:
    per outlet-day, for inspections)."""
    g = days.groupby(keys, sort=False)
    s = g[["arrived", "abandoned", "balked", "no_service", "sales", "points", "value_yuan", "value_lost_yuan",
           "field_new_customers", "vip_lost", "staff_present"]].sum()
    out = pd.DataFrame({
        "days": g["day"].size(), "mean_wait_min": g["mean_wait_min"].mean(), "service_level": g["service_level"].mean(),
        "walkout_rate": walkout_rate(s["arrived"], s["abandoned"], s["balked"], s["no_service"]),
        "sales_per_person_day": s["sales"] / s["staff_present"],
        "points_per_person_day": s["points"] / s["staff_present"],
        "value_per_person_day_yuan": s["value_yuan"] / s["staff_present"],
        "arrived_per_day": s["arrived"] / g["day"].size(), "value_per_day_yuan": s["value_yuan"] / g["day"].size(),
    })
    out = out.join(s[["value_yuan", "value_lost_yuan", "sales", "field_new_customers", "vip_lost"]])
    out["vip_book_end"] = g["vip_book"].last()
    return out.reset_index()


def _outlet_days(days: pd.DataFrame) -> pd.DataFrame:
    """The score sheet's KPIs of each outlet-day (one row per ``outlet``, ``day``)."""
    return _outlet_quarter(days, ["outlet", "day"])


def _score_outlets(days: pd.DataFrame, quarter: int, study: Study, rules: QuarterRules,
                   inspector: np.random.Generator | None = None, care: pd.DataFrame | None = None) -> pd.DataFrame:
    out = _outlet_quarter(days).assign(quarter=quarter)
    if care is not None:  # VIP care: the quarter's leavers count as lost VIPs (head growth, 四包)
        out = out.join(care, on="outlet")
        out["vip_lost"] += out["vip_care_lost"]
        out["vip_book_end"] -= out["vip_care_lost"]
    out = rank_outlets(score(out, rules.scorecard), rules.scorecard)
    if inspector is not None:
        out = inspect(out, days, inspector, rules.scorecard, rules.inspection, _outlet_days)
    out["tier"] = out["outlet"].map(dict(zip(study.names, study.tiers, strict=True)))
    out["simulated_tier"] = classify(out, rules.tiers)
    growth = head_growth(out["field_new_customers"].to_numpy(), out["vip_lost"].to_numpy(), out["sales"].to_numpy(),
                         rules.pay)
    out = _head_scores(out.join(growth.set_axis(out.index)), study, rules.pay)
    premium = head_premium(rules.pay)
    growth_scores = out["fee_income_score"] if rules.pay.head_growth_score == "fee_income" else [1.0] * len(out)
    scores = out[pay_score_column(rules.pay)]
    out["head_pay_yuan"] = [premium * head_pay(s, a, rules.pay, g)
                            for s, a, g in zip(scores, out["growth_attainment"], growth_scores, strict=True)]
    return out


def pay_score_column(pay: PayRules) -> str:
    """The outlets column the head's 70% and the CMs' 30% read: ``score`` (window service) or ``target_score``."""
    return "target_score" if pay.target_score == "target_responsibility" else "score"


def _head_scores(out: pd.DataFrame, study: Study, pay: PayRules) -> pd.DataFrame:
    """Add ``target_score`` (target responsibility on) and ``fee_income_yuan``, ``fee_income_score`` (fee income on).

    Fee income is the quarter's value less what field customers brought
    (``field_new_customers`` × the outlet scenario's ``field.value_per_new_customer_yuan``).
    Both off: ``out`` unchanged (no new columns).
    """
    if pay.target_score == "target_responsibility":
        net = out["value_yuan"] - out["value_lost_yuan"]
        out["target_score"] = target_responsibility_score(net.to_numpy(), out["deposit_growth_yuan"].to_numpy(), pay)
    if pay.head_growth_score == "fee_income":
        per_customer = dict(zip(study.names, (sc.field_marketing.value_per_new_customer_yuan
                                              for sc in study.scenarios), strict=True))
        fees = out["value_yuan"] - out["field_new_customers"] * out["outlet"].map(per_customer)
        out["fee_income_yuan"] = fees
        out["fee_income_score"] = fee_income_score(fees.to_numpy(), pay)
    return out


def resolve_auto_tiers(study: Study, rules: TierRules, first_quarter: Sequence[pd.DataFrame]) -> Study:
    """``study`` with each ``tier = "auto"`` outlet carrying the tier its first quarter's simulation shows.

    As the optimiser classifies today's plan (:func:`optimize.method.resolve_tiers`), the
    quarter study classifies each such outlet once, before anyone has left, by
    :func:`optimize.tiers.classify` under the rules' ``[tiers]`` on its first quarter's
    KPIs averaged over the replications (``first_quarter``: one replication's outlet-day
    rows each), and carries that tier through every quarter, so ``outlets.csv`` and the
    report never show ``auto``. Outlets with a given tier keep it.
    """
    if AUTO_TIER not in study.tiers:
        return study
    kpis = pd.concat([_outlet_quarter(days) for days in first_quarter], ignore_index=True)
    means = kpis.groupby("outlet", sort=False)[[rules.scale_kpi, rules.results_kpi]].mean()
    means = means.reindex(list(study.names))
    found = dict(zip(study.names, classify(means.reset_index(drop=True), rules), strict=True))
    tiers = tuple(str(found[name]) if tier == AUTO_TIER else tier for name, tier in zip(study.names, study.tiers,
                                                                                          strict=True))
    return replace(study, tiers=tiers)


def _pay_people(people: pd.DataFrame, outlets: pd.DataFrame, rules: QuarterRules, streak: pd.Series,
                maintainers_per_vip: float = MAINTAINERS_PER_VIP) -> tuple[pd.DataFrame, pd.Series]:
    g = people.groupby(["outlet", "person", "role"], sort=False)
    q = g[["points", "value_yuan", "sales", "field_customers"]].sum()
    q["days_present"] = g["day"].size()
    q["inside_days"] = g["inside"].sum()
    q["skill"] = g["skill"].mean()
    q["speed"] = g["speed"].mean()  # service speed on the days inside (1 outside)
    q = q.reset_index()
    if rules.vip_care.enabled:
        q = _four_guarantees(q, outlets, maintainers_per_vip, rules.vip_care)
    cms = q[q["role"] == CM].set_index("person")
    ranks = rank(cms.reset_index()).set_axis(cms.index)
    cut = replace(rules.ranking, exit_bottom=min(rules.ranking.exit_bottom, len(cms)))
    streak = bottom_streaks(streak, ranks, cut)
    scores = cms["outlet"].map(outlets.set_index("outlet")[pay_score_column(rules.pay)])
    premium = premium_factor(True, True, rules.pay)
    reward = rank_rewards(ranks, rules.ranking)
    cms = cms.assign(rank=ranks, paid_points=paid_points(cms["points"].to_numpy(), rules.pay),
                     rank_reward_yuan=reward,
                     pay_yuan=premium * cm_pay(cms["points"].to_numpy(), scores.to_numpy(), rules.pay) + reward,
                     bottom_streak=streak, exits=leaving(streak, cut))
    extra = ["rank", "paid_points", "rank_reward_yuan", "pay_yuan", "bottom_streak", "exits"]
    q = q.join(cms[extra], on="person")
    q["exits"] = q["exits"].astype("boolean").fillna(False).astype(bool)
    return q, streak


def _four_guarantees(q: pd.DataFrame, outlets: pd.DataFrame, ratio: float, care: VipCareRules) -> pd.DataFrame:
    """The 四包 responsibility ("包客户不流失"): every VIP an outlet lost in the quarter costs each of its
    ``ratio`` maintainers ``points_per_lost_vip`` points; the book being spread evenly, each CM or WM who
    worked there loses ``vip_lost × ratio × points_per_lost_vip / maintainers`` (``vip_points_deducted``)."""
    maintains = q["role"].isin(MAINTAINER_ROLES)
    per_outlet = q[maintains].groupby("outlet").size()
    lost = outlets.set_index("outlet")["vip_lost"]
    each = (lost * ratio * care.points_per_lost_vip / per_outlet).reindex(q["outlet"]).fillna(0.0).to_numpy()
    deducted = np.where(maintains, each, 0.0)
    return q.assign(points=q["points"] - deducted, vip_points_deducted=deducted)


@dataclass
class _Arm:
    """One rule set: a horizon per replication and its growing tables."""

    rules: QuarterRules
    horizons: list[Horizon]
    streaks: list[pd.Series]
    people: list[pd.DataFrame] = field(default_factory=list)
    outlets: list[pd.DataFrame] = field(default_factory=list)
    office: list[pd.DataFrame] = field(default_factory=list)
    days: list[pd.DataFrame] = field(default_factory=list)
    efforts: list[dict[str, float]] = field(default_factory=list)
    last: list[pd.DataFrame | None] = field(default_factory=list)
    care: list[list[tuple[float, float, float]]] = field(default_factory=list)
    care_factors: list[dict[str, float]] = field(default_factory=list)
    members: dict[int, list[str]] = field(default_factory=dict)
    rungs: dict[int, dict[str, int]] = field(default_factory=dict)
    team_rungs: dict[int, dict[str, int]] = field(default_factory=dict)
    penalty_balance: dict[int, dict[str, float]] = field(default_factory=dict)
    #: Per replication: CM post-days added (+) or removed (-) by the exchange, and CM days spent training.
    cm_post_days: dict[int, float] = field(default_factory=dict)
    cm_training_days: dict[int, float] = field(default_factory=dict)
    exchanged: dict[int, set[str]] = field(default_factory=dict)
    quarters: int = 0

    def set_skills(self, q: int) -> list[list[tuple[int, int, Person]]]:
        """The quarter's efforts, then VIP care's time, applied to the rosters: who was replaced, to restore.

        The club's members (chosen after the last quarter) get the first pick of prospects."""
        if self.rules.club.enabled and self.rules.club.first_pick:
            for r, h in enumerate(self.horizons):
                h.first_pick = frozenset(self.members.get(r, []))
        replaced = self.set_efforts()
        if self.rules.training.enabled:
            self.set_training(q)
        if not self.rules.vip_care.enabled:
            return replaced
        day = q * self.rules.horizon.days_per_quarter
        month = len(self.rules.horizon.day_of_month_profile)
        self.care, self.care_factors = [], []
        for h, rep in zip(self.horizons, replaced, strict=True):
            loads: list[tuple[float, float, float]] = []
            factors: dict[str, float] = {}
            for o in range(len(h.outlets)):
                people = h.maintainers_on(o, day)
                book = h.vip_book(o)
                share, coverage = care_load(book, len(people), h.maintainers_per_vip, month, self.rules.vip_care)
                loads.append((share, coverage, book))
                factors |= {p.id: 1.0 - share for p in h.outlets[o].roster if p.role in MAINTAINER_ROLES}
            self.care.append(loads)
            self.care_factors.append(factors)
            rep += apply_efforts(h, factors)  # care's time is taken from selling: skill x (1 - share)
        return replaced

    def care_leavers(self, r: int, q: int, span: HorizonDays) -> pd.DataFrame:
        """VIP care's leavers of the quarter, per outlet, taken off the books (see :func:`sim.horizon.care_hazard`)."""
        h = self.horizons[r]
        walkouts = span.outlets.groupby("outlet", sort=False)["vip_walkouts"].sum()
        rows = []
        for o, (share, coverage, book_start) in enumerate(self.care[r]):
            name = h.outlets[o].name
            hazard = care_hazard(coverage, float(walkouts.get(name, 0.0)), book_start, self.rules.vip_care)
            lost = int(rng(h.seed, h.replication, TAG_VIP_CARE, q, o).binomial(int(h.vip_book(o)), hazard))
            h.lose_vips(o, lost)
            rows.append((name, share, coverage, hazard, lost))
        columns = ["outlet", "vip_care_share", "vip_care_coverage", "vip_care_hazard", "vip_care_lost"]
        return pd.DataFrame(rows, columns=columns).set_index("outlet")

    def _club(self, r: int, people: pd.DataFrame) -> pd.DataFrame:
        """Mark this quarter's club members, pay them the bonus, choose next quarter's (leavers cannot stay)."""
        club = self.rules.club
        member = people["person"].isin(self.members.get(r, [])) & (people["role"] == CM)
        people = people.assign(club_member=member, pay_yuan=people["pay_yuan"] + member * club.bonus_yuan)
        cms = people[(people["role"] == CM) & ~people["exits"]]
        self.members[r] = club_members(cms, club)
        return people

    def _ladder(self, r: int, outlets: pd.DataFrame) -> pd.DataFrame:
        """Each outlet's one-off ladder reward for the rungs its net value reaches for the first time."""
        reached = self.rungs.setdefault(r, {})
        before = outlets["outlet"].map(reached).fillna(0).astype(int).to_numpy()
        net = (outlets["value_yuan"] - outlets["value_lost_yuan"]).to_numpy()
        reward, now = ladder_rewards(net, before, self.rules.ladder)
        reached.update(zip(outlets["outlet"], (int(n) for n in now), strict=True))
        return outlets.assign(ladder_reward_yuan=reward, ladder_rungs=now)

    def set_training(self, q: int) -> None:
        """Each trainee's days away in quarter ``q`` (staggered by their place among the outlet's trainees)."""
        days = self.rules.horizon.days_per_quarter
        for h in self.horizons:
            h.away = {}
            for out in h.outlets:
                trainees = [p for p in out.roster if p.role in self.rules.training.roles]
                h.away |= {p.id: training_days(j, q * days, days, self.rules.training) for j, p in enumerate(trainees)}

    def _training(self, r: int, people: pd.DataFrame) -> pd.DataFrame:
        """The skill each trainee gained in the quarter, kept on the roster from the next quarter on."""
        h = self.horizons[r]
        days: dict[str, int] = {}
        for out in h.outlets:
            for slot, person in enumerate(out.roster):
                if person.id in h.away:
                    days[person.id], out.roster[slot] = trained(person, h.away[person.id], self.rules.training)
        skills = {p.id: p.skill for _, p in h.people}
        cms = set(people.loc[people["role"] == CM, "person"])
        cm_days = sum(n for pid, n in days.items() if pid in cms)
        self.cm_training_days[r] = self.cm_training_days.get(r, 0.0) + cm_days
        h.away = {}
        return people.assign(training_days=people["person"].map(days).fillna(0).astype(int),
                             skill_after=people["person"].map(skills))

    def _exchange(self, r: int, q: int, people: pd.DataFrame,
                  outlets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Move the assessment's best ``from`` people into ``to`` posts from the next quarter (see
        :mod:`optimize.careers`); every outlet keeps one ``from``; the training cost is charged at their outlet."""
        rules, h = self.rules.exchange, self.horizons[r]
        days = self.rules.horizon.days_per_quarter
        left = min(rules.per_quarter, rules.max_people - len(self.exchanged.get(r, set())))
        where = {p.id: (o, slot) for o, out in enumerate(h.outlets) for slot, p in enumerate(out.roster)
                 if p.role == rules.from_role and rules.to_role in out.base.roles}
        keep = {o: sum(p.role == rules.from_role for p in out.roster) for o, out in enumerate(h.outlets)}
        staying = set(people.loc[~people["exits"], "person"])
        chosen: list[str] = []
        for pid in assessment_order(people, set(where) & staying):
            if len(chosen) >= left:
                break
            o, slot = where[pid]
            if keep[o] > 1:
                keep[o] -= 1
                chosen.append(pid)
                h.outlets[o].roster[slot] = moved(h.outlets[o].roster[slot], (q + 1) * days, rules, self.rules.horizon)
        self.exchanged.setdefault(r, set()).update(chosen)
        sign = (rules.to_role == CM) - (rules.from_role == CM)
        self.cm_post_days[r] = self.cm_post_days.get(r, 0.0) + sign * len(chosen) * days * (self.quarters - q - 1)
        by_outlet = people[people["person"].isin(chosen)].groupby("outlet").size()
        out_count = outlets["outlet"].map(by_outlet).fillna(0).astype(int)
        return (people.assign(exchanged=people["person"].isin(chosen)),
                outlets.assign(exchanged_out=out_count, exchange_cost_yuan=out_count * rules.training_cost_yuan))

    def _penalties(self, r: int, outlets: pd.DataFrame) -> pd.DataFrame:
        """Each outlet's accumulated penalty points after the quarter, and what they take from the head's pay."""
        ledger = self.penalty_balance.setdefault(r, {})
        before = outlets["outlet"].map(ledger).fillna(0.0).to_numpy(dtype=float)
        balance, deduction, review = accumulate_penalties(before, outlets["penalty_points"].to_numpy(),
                                                          outlets["head_pay_yuan"].to_numpy(), self.rules.penalties)
        ledger.update(zip(outlets["outlet"], (float(b) for b in balance), strict=True))
        return outlets.assign(penalty_balance=balance, head_penalty_yuan=deduction,
                              head_pay_yuan=outlets["head_pay_yuan"] - deduction, head_review=review)

    def _team_ladder(self, r: int, people: pd.DataFrame,
                     outlets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Each outlet's CM team's one-off ladder reward for the rungs its points reach for the first time,
        shared equally among the team's CMs of the quarter (added to their pay)."""
        cm = people["role"] == CM
        points = people[cm].groupby("outlet")["points"].sum()
        team = outlets["outlet"].map(points).fillna(0.0).to_numpy(dtype=float)
        reached = self.team_rungs.setdefault(r, {})
        before = outlets["outlet"].map(reached).fillna(0).astype(int).to_numpy()
        reward, now = ladder_rewards(team, before, self.rules.ladder, teams=True)
        reached.update(zip(outlets["outlet"], (int(n) for n in now), strict=True))
        members = people[cm].groupby("outlet").size()
        each = pd.Series(reward, index=outlets["outlet"].to_numpy()) / members.reindex(outlets["outlet"]).to_numpy()
        share = np.where(cm, people["outlet"].map(each).fillna(0.0), 0.0)
        return (people.assign(team_ladder_yuan=share, pay_yuan=people["pay_yuan"] + share),
                outlets.assign(team_points=team, team_rungs=now, team_ladder_yuan=reward))

    def set_efforts(self) -> list[list[tuple[int, int, Person]]]:
        """Each replication's best-response efforts for the coming quarter, applied to its rosters (effort on)."""
        if not self.rules.effort.on:
            return [[] for _ in self.horizons]
        premium = premium_factor(True, True, self.rules.pay)
        days = self.rules.horizon.days_per_quarter
        if not self.last:
            self.last = [None] * len(self.horizons)
        self.efforts = [choose_efforts(h, last, self.rules.pay, self.rules.effort, days, premium)
                        for h, last in zip(self.horizons, self.last, strict=True)]
        return [apply_efforts(h, e) for h, e in zip(self.horizons, self.efforts, strict=True)]

    def restore(self, replaced: list[list[tuple[int, int, Person]]]) -> None:
        """Give people back their own skill after the quarter's days (effort on)."""
        for h, rep in zip(self.horizons, replaced, strict=True):
            restore_skills(h, rep[::-1])  # care's replacements first, then effort's: each person's own skill

    def _own_skill(self, r: int, people_days: pd.DataFrame) -> pd.DataFrame:
        factor = people_days["person"].map(self.efforts[r]).fillna(1.0) if self.rules.effort.on else 1.0
        if self.rules.vip_care.enabled:
            factor = factor * people_days["person"].map(self.care_factors[r]).fillna(1.0)
        return people_days.assign(skill=people_days["skill"] / factor)  # the person's own skill, effort and care apart

    def _effort_columns(self, r: int, people: pd.DataFrame) -> pd.DataFrame:
        effort = people["person"].map(self.efforts[r]).fillna(1.0)
        cap = self.rules.horizon.hire.skill_max
        people = people.assign(effort=effort, effort_capped=people["skill"] * effort > cap + 1e-12)
        self.last[r] = people[["person", "points", "effort", "days_present"]]
        return people

    def absorb(self, r: int, q: int, span: HorizonDays, study: Study) -> None:
        """Score, pay and rank one replication's quarter; replace who leaves."""
        h = self.horizons[r]
        inspector = rng(h.seed, h.replication, TAG_INSPECTION, q) if self.rules.inspection.enabled else None
        care_on = self.rules.vip_care.enabled
        care = self.care_leavers(r, q, span) if care_on else None
        outlets = _score_outlets(span.outlets, q, study, self.rules, inspector, care)
        effort_on = self.rules.effort.on
        people_days = self._own_skill(r, span.people) if effort_on or care_on else span.people
        people, self.streaks[r] = _pay_people(people_days, outlets, self.rules, self.streaks[r], h.maintainers_per_vip)
        if effort_on:
            people = self._effort_columns(r, people)
        if self.rules.club.enabled:
            people = self._club(r, people)
        if self.rules.ladder.enabled:
            outlets = self._ladder(r, outlets)
        if self.rules.ladder.teams:
            people, outlets = self._team_ladder(r, people, outlets)
        if self.rules.penalties.enabled:
            outlets = self._penalties(r, outlets)
        if self.rules.training.enabled:
            people = self._training(r, people)
        if self.rules.exchange.enabled:
            people, outlets = self._exchange(r, q, people, outlets)
        next_day = (q + 1) * self.rules.horizon.days_per_quarter
        for pid in people.loc[people["exits"], "person"]:
            self.horizons[r].replace(pid, next_day)
        self.people.append(people.assign(replication=r, quarter=q + 1))
        self.outlets.append(outlets.assign(replication=r, quarter=q + 1))
        net_value = float((outlets["value_yuan"] - outlets["value_lost_yuan"]).sum())
        office = office_team_quarter(net_value, self.rules.office, self.rules.pay)
        self.office.append(office.assign(replication=r, quarter=q + 1))
        self.days.append(span.outlets.assign(replication=r, quarter=q + 1))


def _arm(study: Study, rules: QuarterRules, replications: int, seed: int, quarters: int) -> _Arm:
    cms = sum(sc.roles[CM].count for sc in study.scenarios if CM in sc.roles)
    check_ranking_cut(cms, rules.ranking, rules.source)
    books = [rules.horizon.vip_book if b is None else b for b in study.vip_books]
    horizons = [Horizon(study.scenarios, rules.horizon, seed=seed, replication=r, names=study.names, vip_books=books,
                        maintainers_per_vip=study.maintainers_per_vip)
                for r in range(replications)]
    for horizon in horizons:
        horizon.check_volumes(quarters * rules.horizon.days_per_quarter, rules.source)
    return _Arm(rules, horizons, [pd.Series(dtype=int) for _ in range(replications)], quarters=quarters)


def _summary(arm: _Arm, quarters: int) -> pd.DataFrame:
    outlets = pd.concat(arm.outlets, ignore_index=True)
    people = pd.concat(arm.people, ignore_index=True)
    net = outlets.assign(net=outlets["value_yuan"] - outlets["value_lost_yuan"])
    by_rep = net.groupby("replication")
    last = net[net["quarter"] == quarters].groupby("replication")["net"].sum()
    cm = people[people["role"] == CM]
    frame = pd.DataFrame({
        "net_value_yuan": by_rep["net"].sum(), "net_value_final_quarter_yuan": last,
        "exits": cm.groupby("replication")["exits"].sum(),
        "cm_vacancy_days": _vacancy_days(cm, arm.rules.horizon.days_per_quarter, quarters),
        "vip_lost": by_rep["vip_lost"].sum(),
        "cm_pay_yuan": cm.groupby("replication")["pay_yuan"].sum(),
    })
    if arm.rules.inspection.enabled:
        counts = pd.DataFrame({r: misplaced(rows) for r, rows in outlets.groupby("replication")}).T
        frame = frame.join(counts)
    if arm.rules.training.enabled or arm.rules.exchange.enabled:  # posts moved in or out, days away training
        moved_days = frame.index.map(lambda r: arm.cm_post_days.get(r, 0.0) - arm.cm_training_days.get(r, 0.0))
        frame["cm_vacancy_days"] += np.asarray(moved_days, dtype=float)
    if arm.rules.training.enabled:
        frame["training_days"] = people.groupby("replication")["training_days"].sum()
    if arm.rules.exchange.enabled:
        frame["exchanged"] = people.groupby("replication")["exchanged"].sum()
    if arm.rules.ladder.teams:
        frame["team_ladder_yuan"] = by_rep["team_ladder_yuan"].sum()
    if arm.rules.penalties.enabled:
        frame["head_reviews"] = by_rep["head_review"].sum()
        frame["head_penalty_yuan"] = by_rep["head_penalty_yuan"].sum()
    return frame.reset_index()


def _vacancy_days(cm: pd.DataFrame, days_per_quarter: int, quarters: int) -> pd.Series:
    posts = cm[cm["quarter"] == 1].groupby("replication")["person"].size()
    worked = cm.groupby("replication")["days_present"].sum()
    return posts * days_per_quarter * quarters - worked


def _run(study: Study, arms_rules: Sequence[QuarterRules], quarters: int, replications: int, seed: int,
         executor: str, workers: int | None, progress: Callable[[int], None] | None) -> list[QuarterResults]:
    if quarters < 1:
        raise ScenarioError(study.source, "quarters", f"must be >= 1, got {quarters}")
    days = {r.horizon.days_per_quarter for r in arms_rules}
    if len(days) != 1:
        raise ScenarioError(arms_rules[-1].source, "horizon.days_per_quarter", "rule sets compared must agree")
    d = days.pop()
    arms = [_arm(study, rules, replications, seed, quarters) for rules in arms_rules]
    studies = [study] * len(arms)
    started = time.perf_counter()
    pool = make_executor(executor, workers)
    try:
        for q in range(quarters):
            horizons = [h for arm in arms for h in arm.horizons]
            replaced = [arm.set_skills(q) for arm in arms]
            spans = run_days(horizons, q * d, d, pool, progress)
            for arm, rep in zip(arms, replaced, strict=True):
                arm.restore(rep)
            if q == 0:  # "auto" tiers: classified once, on today's staff (each rule set's own [tiers])
                studies = [resolve_auto_tiers(study, arm.rules.tiers,
                                              [s.outlets for s in spans[a * replications:(a + 1) * replications]])
                           for a, arm in enumerate(arms)]
            for a, arm in enumerate(arms):
                for r in range(replications):
                    arm.absorb(r, q, spans[a * replications + r], studies[a])
    finally:
        pool.close()
    seconds = time.perf_counter() - started
    return [QuarterResults(rules=arm.rules, people=pd.concat(arm.people, ignore_index=True),
                           outlets=pd.concat(arm.outlets, ignore_index=True),
                           office=pd.concat(arm.office, ignore_index=True), days=pd.concat(arm.days, ignore_index=True),
                           summary=_summary(arm, quarters), seconds=seconds) for arm in arms]


def tasks_per_run(study: Study, quarters: int, replications: int, arms: int = 1) -> int:
    """How many executor tasks (outlet-quarters) a run submits: the progress bar's total."""
    return len(study.scenarios) * quarters * replications * arms


def run_quarters(study: Study, rules: QuarterRules = QuarterRules(), *, quarters: int = 4, replications: int = 1,
                 seed: int = 0, executor: str = "serial", workers: int | None = None,
                 progress: Callable[[int], None] | None = None) -> QuarterResults:
    """Run ``quarters`` quarters of ``study`` under ``rules``; tables as :class:`QuarterResults`.

    The same seed gives the same tables on every executor (``serial``, ``processes``, ``dask``).
    """
    return _run(study, [rules], quarters, replications, seed, executor, workers, progress)[0]


def run_rule_sets(study: Study, rule_sets: Sequence[QuarterRules], *, quarters: int = 8, replications: int = 10,
                  seed: int = 0, executor: str = "serial", workers: int | None = None,
                  progress: Callable[[int], None] | None = None) -> list[QuarterResults]:
    """Run several rule sets on common random numbers (one pass, one executor); one result per rule set.

    Every rule set sees the same customers, volumes and initial staff (the same seeds), so
    differences between them are paired (:mod:`optimize.pay_compare`).
    """
    return _run(study, list(rule_sets), quarters, replications, seed, executor, workers, progress)


def summary_comparison(res_a: QuarterResults, res_b: QuarterResults) -> pd.DataFrame:
    """Paired 95% CIs of ``b − a`` per whole-run summary metric (the columns of ``summary``, one row each).

    Columns: metric, mean_a, mean_b, diff_mean, diff_ci95_low, diff_ci95_high, n
    (replications). Rule set B's replication *r* is paired with A's (common random numbers).
    """
    metrics = [c for c in res_a.summary.columns if c != "replication"]
    diff = res_b.summary[metrics].to_numpy(float) - res_a.summary[metrics].to_numpy(float)
    s = summarise(diff)
    return pd.DataFrame({"metric": metrics, "mean_a": res_a.summary[metrics].mean().to_numpy(),
                         "mean_b": res_b.summary[metrics].mean().to_numpy(), "diff_mean": s[:, 0],
                         "diff_ci95_low": s[:, 2], "diff_ci95_high": s[:, 3], "n": s[:, 5].astype(int)})


#: A paired table of two results of the same seeds: rule set A's, then B's.
PairedTable = Callable[[QuarterResults, QuarterResults], pd.DataFrame]


def compare_rules(study: Study, a: QuarterRules, b: QuarterRules, *, quarters: int = 8, replications: int = 10,
                  seed: int = 0, executor: str = "serial", workers: int | None = None,
                  progress: Callable[[int], None] | None = None,
                  table: PairedTable = summary_comparison) -> tuple[pd.DataFrame, QuarterResults, QuarterResults]:
    """Run rule sets ``a`` and ``b`` on common random numbers (:func:`run_rule_sets`); ``table`` of the pair.

    ``table`` turns the two results into the paired table returned first:
    :func:`summary_comparison` (default: whole-run summary metrics, ``--compare-exit-rule``)
    or :func:`optimize.pay_compare.paired_comparison` (value, pay cost, value per yuan of
    pay, exits, VIPs lost per quarter and overall, ``--compare``). Returns the table and both results.
    """
    res_a, res_b = run_rule_sets(study, [a, b], quarters=quarters, replications=replications, seed=seed,
                                 executor=executor, workers=workers, progress=progress)
    return table(res_a, res_b), res_a, res_b


__all__ = ["PairedTable", "QuarterResults", "QuarterRules", "Study", "compare_rules", "load_rules", "load_study",
           "pay_score_column", "resolve_auto_tiers", "run_quarters", "run_rule_sets", "summary_comparison",
           "tasks_per_run"]
