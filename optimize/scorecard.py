"""Outlet scorecards from simulated KPIs, quarterly outlet ranking, "mobile red flag" and penalties.

The essay's sub-branch inspects its outlets with a window-service score sheet
(窗口服务检查计分表) and each quarter gives the best outlets the "mobile red flag"
(流动红旗) and a one-off subsidy, the worst penalty points. Here the sheet is a list of
items, each reading one KPI of the quarter's simulated days:

    item score = weight × clip((kpi − worst) / (best − worst), 0, 1)

so an item earns its full weight at ``best`` or better and nothing at ``worst`` or
worse, linearly between (``best`` may be below ``worst``, for waits). The outlet score
is the sum over items (0…100 with the default weights). The KPIs a sheet can read are
:data:`SCORE_KPIS`, computed by :mod:`optimize.quarters` for each outlet and quarter.

Ranking: highest score first; ties by higher value per person, then by outlet name.

Inspections (``[inspection]``, off by default): the essay's sheet is filled in by people
who see a few days, not the quarter's means — "每位行级领导每半月带队对12个网点的执行情况进行
检查,并按照《窗口服务检查计分表》进行打分评价" (each leader inspects 12 outlets every half
month and scores them on the sheet). :func:`inspect` draws, for every half month
(``round_days`` working days) and every one of ``leaders``, ``outlets_per_round``
outlets without replacement and one day of the half month for each; the sheet is applied
to that outlet-day's KPIs and a noisy reading (normal, sd ``score_noise_sd`` sheet points,
*assumed*; clipped to 0…100) is recorded. An outlet's inspection score is the mean of its
readings in the quarter (an outlet nobody inspected gets the quarter's mean reading), and
the red flags, subsidies and penalties go by it; the perfect-information columns are kept
beside them (``perfect_rank``, ``perfect_red_flag``, ``perfect_penalty_points``) so that how
often the two differ can be counted (:func:`misplaced`).

Penalty points that accumulate (``[penalties]``, off by default): the essay gives the
poorly performing outlets penalty points ("对表现不良的网点给予积分处罚") and says "对评价排名
靠后的网点及负责人将进行相应的处罚" (outlets ranked low *and their heads* are punished
accordingly), tying the results to the head's assessment of duty ("与网点负责人的履职能力评价
挂钩"); it names no sizes. :func:`accumulate_penalties` carries each outlet's balance of points
from quarter to quarter (``carry_over`` of it, *assumed* 1: never forgotten) and adds the
quarter's; the head's pay loses ``head_yuan_per_point`` for every point on the balance, every
quarter it stays there (*assumed*), never below 0, and a balance at or above ``review_points``
puts the head under review (``head_review``: counted, no further consequence modelled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.horizon import MAX_DAYS_PER_QUARTER
from sim.scenario_types import MAX_YUAN
from sim.tomlio import Table

#: Most outlets a score sheet's red-flag and penalty cuts may name.
MAX_OUTLETS = 10_000

#: KPIs of an outlet-quarter that a score sheet may read (means over the quarter's days).
SCORE_KPIS = (
    "mean_wait_min",  # wait of everyone queueing at cash, non-cash and wealth (the waiting area)
    "walkout_rate",  # (abandoned + balked + no service) / arrived
    "service_level",  # share served within target, mean over the open cash, non-cash and wealth zones
    "sales_per_person_day",
    "points_per_person_day",
    "value_per_person_day_yuan",  # value_yuan (with field marketing) / head-count present
    "arrived_per_day",
    "value_per_day_yuan",
)


@dataclass(frozen=True, slots=True)
class ScoreItem:
    """One line of the score sheet: a KPI, its weight, and the values that earn all or nothing."""

    name: str
    kpi: str
    weight: float
    best: float
    worst: float


def _default_items() -> tuple[ScoreItem, ...]:
    # All assumed, modelled on the window-service score sheet's headings.
    return (
        ScoreItem("waiting", "mean_wait_min", 25.0, 2.0, 15.0),
        ScoreItem("walk_outs", "walkout_rate", 25.0, 0.0, 0.10),
        ScoreItem("service_level", "service_level", 20.0, 0.95, 0.50),
        ScoreItem("sales", "sales_per_person_day", 15.0, 6.0, 0.0),
        ScoreItem("value", "value_per_person_day_yuan", 15.0, 3000.0, 0.0),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreSheet:
    """Score items plus the quarterly awards: red flag and subsidy for the top, penalty for the bottom."""

    items: tuple[ScoreItem, ...] = field(default_factory=_default_items)
    red_flag_top: int = 2  # assumed ("名列前茅")
    subsidy_yuan: float = 5000.0  # assumed
    penalty_bottom: int = 2  # assumed
    penalty_points: float = 5.0  # assumed


def score(kpis: pd.DataFrame, sheet: ScoreSheet = ScoreSheet()) -> pd.DataFrame:
    """The sheet applied to each row of ``kpis``: one ``score_<item>`` column per item and ``score``.

    A missing KPI value (e.g. no wealth zone) earns the item nothing.
    """
    out = kpis.copy()
    total = np.zeros(len(out))
    for item in sheet.items:
        x = out[item.kpi].to_numpy(dtype=float)
        part = item.weight * np.clip((x - item.worst) / (item.best - item.worst), 0.0, 1.0)
        part = np.nan_to_num(part, nan=0.0)
        out[f"score_{item.name}"] = part
        total += part
    out["score"] = total
    return out


def rank_outlets(scored: pd.DataFrame, sheet: ScoreSheet = ScoreSheet(), by: str = "score") -> pd.DataFrame:
    """Rank outlets within each ``quarter`` and mark red flags, subsidies and penalty points.

    Needs columns ``quarter``, ``outlet``, ``by`` (the score ranked: ``score``, or
    ``inspection_score``) and ``value_per_person_day_yuan``. Adds (or replaces)
    ``outlet_rank`` (1 = best), ``red_flag``, ``subsidy_yuan``, ``penalty_points``.
    """
    ordered = scored.sort_values(["quarter", by, "value_per_person_day_yuan", "outlet"],
                                 ascending=[True, False, False, True], kind="stable").copy()
    ordered["outlet_rank"] = ordered.groupby("quarter").cumcount() + 1
    size = ordered.groupby("quarter")["outlet"].transform("size")
    ordered["red_flag"] = ordered["outlet_rank"] <= sheet.red_flag_top
    ordered["subsidy_yuan"] = np.where(ordered["red_flag"], sheet.subsidy_yuan, 0.0)
    bottom = ordered["outlet_rank"] > size - sheet.penalty_bottom
    ordered["penalty_points"] = np.where(bottom & ~ordered["red_flag"], sheet.penalty_points, 0.0)
    return ordered.reindex(scored.index)


#: Most inspecting leaders a rules file may give.
MAX_LEADERS = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class InspectionRules:
    """Leaders' inspections with the score sheet (see the module docstring); off by default.

    ``leaders`` (assumed 1) each inspect ``outlets_per_round`` outlets (seed: 12) every
    ``round_days`` working days (seed: half a month, 10 of a month's 20); each reading is
    the sheet on one outlet-day plus normal noise of sd ``score_noise_sd`` sheet points
    (assumed 5: two inspectors' marks on the same day differ by about 7 points).
    """

    enabled: bool = False
    leaders: int = 1  # assumed
    outlets_per_round: int = 12  # seed: "对12个网点"
    round_days: int = 10  # seed: "每半月" (half of a 20-working-day month)
    score_noise_sd: float = 5.0  # assumed


def inspect(scored: pd.DataFrame, days: pd.DataFrame, generator: np.random.Generator, sheet: ScoreSheet,
            rules: InspectionRules, day_kpis: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """One quarter's inspections: ``scored`` (ranked on perfect information) re-ranked on the readings.

    ``days``: the quarter's outlet-day rows (columns ``outlet``, ``day``); ``day_kpis``
    turns some of them into one row of :data:`SCORE_KPIS` per (``outlet``, ``day``).
    Draws, per half month in day order and per leader: the outlets (without replacement),
    then a day of the half month for each; then the noise of every reading. Adds
    ``inspections`` (readings of the outlet), ``inspection_score``, the perfect-information
    ``perfect_rank``, ``perfect_red_flag``, ``perfect_penalty_points``, and re-ranks by the
    inspection score (:func:`rank_outlets` with ``by="inspection_score"``).
    """
    names = list(scored["outlet"])
    first = int(days["day"].min())
    span = int(days["day"].max()) - first + 1
    picks: list[tuple[str, int]] = []
    for start in range(0, span, rules.round_days):
        length = min(rules.round_days, span - start)
        for _ in range(rules.leaders):
            chosen = generator.choice(len(names), min(rules.outlets_per_round, len(names)), replace=False)
            when = generator.integers(0, length, size=chosen.size)
            picks += [(names[o], first + start + int(d)) for o, d in zip(chosen, when, strict=True)]
    noise = generator.normal(0.0, rules.score_noise_sd, len(picks))
    seen = pd.DataFrame(picks, columns=["outlet", "day"])
    marks = score(day_kpis(days.merge(seen.drop_duplicates(), on=["outlet", "day"])), sheet)
    readings = seen.merge(marks[["outlet", "day", "score"]], on=["outlet", "day"], how="left")
    readings["reading"] = np.clip(readings["score"].to_numpy() + noise, 0.0, 100.0)
    by_outlet = readings.groupby("outlet")["reading"]
    out = scored.assign(inspections=scored["outlet"].map(by_outlet.size()).fillna(0).astype(int),
                        inspection_score=scored["outlet"].map(by_outlet.mean()).fillna(readings["reading"].mean()),
                        perfect_rank=scored["outlet_rank"], perfect_red_flag=scored["red_flag"],
                        perfect_penalty_points=scored["penalty_points"])
    return rank_outlets(out, sheet, by="inspection_score")


def misplaced(outlets: pd.DataFrame) -> dict[str, int]:
    """How often inspection awards differ from perfect information's, over outlet-quarter rows of :func:`inspect`.

    ``red_flags`` / ``penalties``: the awards given (outlet-quarters); ``red_flags_misplaced``
    / ``penalties_misplaced``: those given to an outlet that perfect information would not
    have given one (as many go missing from the outlets that should have had them).
    """
    flag, perfect = outlets["red_flag"].astype(bool), outlets["perfect_red_flag"].astype(bool)
    penalty, perfect_penalty = outlets["penalty_points"] > 0, outlets["perfect_penalty_points"] > 0
    return {"red_flags": int(flag.sum()), "red_flags_misplaced": int((flag & ~perfect).sum()),
            "penalties": int(penalty.sum()), "penalties_misplaced": int((penalty & ~perfect_penalty).sum())}


@dataclass(frozen=True, slots=True, kw_only=True)
class PenaltyRules:
    """Penalty points that accumulate over quarters and cost the head (see the module docstring); off by default.

    ``carry_over``: share of last quarter's balance kept (1: points never lapse; 0: today's
    one-quarter points). ``head_yuan_per_point``: yuan taken from the head's quarterly pay per
    point on the balance. ``review_points``: the balance that puts the head under review.
    """

    enabled: bool = False
    carry_over: float = 1.0  # assumed: the essay names no lapse
    head_yuan_per_point: float = 500.0  # assumed: one bottom quarter (5 points) costs 2,500 yuan a quarter
    review_points: float = 10.0  # assumed: two bottom quarters on the balance


def accumulate_penalties(balance: np.ndarray, points: np.ndarray, head_pay_yuan: np.ndarray,
                         rules: PenaltyRules) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One quarter of the penalty ledger for outlets, element by element.

    ``balance``: each outlet's balance before the quarter; ``points``: the quarter's penalty
    points; ``head_pay_yuan``: the head's pay before the penalty. Returns the new balance
    ``carry_over × balance + points``, the deduction ``min(head pay, head_yuan_per_point ×
    new balance)`` and whether the head is under review (new balance ≥ ``review_points``).
    """
    now = rules.carry_over * np.asarray(balance, dtype=float) + np.asarray(points, dtype=float)
    pay = np.asarray(head_pay_yuan, dtype=float)
    deduction = np.minimum(np.maximum(pay, 0.0), rules.head_yuan_per_point * now)
    return now, deduction, now >= rules.review_points


def penalty_rules(t: Table) -> PenaltyRules:
    """Read the ``[penalties]`` table (defaults from :class:`PenaltyRules`); errors name the file and field."""
    d = PenaltyRules()
    rules = PenaltyRules(enabled=t.boolean("enabled", d.enabled), carry_over=t.probability("carry_over", d.carry_over),
                         head_yuan_per_point=t.number("head_yuan_per_point", d.head_yuan_per_point, ge=0.0,
                                                      le=MAX_YUAN),
                         review_points=t.number("review_points", d.review_points, gt=0.0, le=MAX_YUAN))
    t.finish()
    return rules


def inspection_rules(t: Table) -> InspectionRules:
    """Read the ``[inspection]`` table (defaults from :class:`InspectionRules`); errors name the file and field."""
    d = InspectionRules()
    rules = InspectionRules(enabled=t.boolean("enabled", d.enabled),
                            leaders=t.integer("leaders", d.leaders, ge=1, le=MAX_LEADERS),
                            outlets_per_round=t.integer("outlets_per_round", d.outlets_per_round, ge=1,
                                                        le=MAX_OUTLETS),
                            round_days=t.integer("round_days", d.round_days, ge=1, le=MAX_DAYS_PER_QUARTER),
                            score_noise_sd=t.number("score_noise_sd", d.score_noise_sd, ge=0.0, le=100.0))
    t.finish()
    return rules


def _item(name: str, t: Table) -> ScoreItem:
    item = ScoreItem(name, t.string("kpi", choices=SCORE_KPIS), t.number("weight", ge=0.0, le=100.0),
                     t.number("best", ge=-MAX_YUAN, le=MAX_YUAN), t.number("worst", ge=-MAX_YUAN, le=MAX_YUAN))
    if item.best == item.worst:
        raise t.fail("worst", f"must differ from best ({item.best:g}): the item needs a range to score over")
    t.finish()
    return item


def score_sheet(t: Table) -> ScoreSheet:
    """Read the ``[scorecard]`` table; ``[scorecard.items.NAME]`` replace the default items when given."""
    d = ScoreSheet()
    items = tuple(_item(name, sub) for name, sub in t.subtables("items")) if t.has("items") else d.items
    total = sum(i.weight for i in items)
    if abs(total - 100.0) > 1e-6:
        raise t.fail("items", f"the items' weights must sum to 100 (the score is out of 100), got {total:g}")
    sheet = ScoreSheet(items=items, red_flag_top=t.integer("red_flag_top", d.red_flag_top, le=MAX_OUTLETS),
                       subsidy_yuan=t.number("subsidy_yuan", d.subsidy_yuan, ge=0.0, le=MAX_YUAN),
                       penalty_bottom=t.integer("penalty_bottom", d.penalty_bottom, le=MAX_OUTLETS),
                       penalty_points=t.number("penalty_points", d.penalty_points, ge=0.0, le=MAX_YUAN))
    t.finish()
    return sheet
