"""What :func:`optimize.recommend` returns: the plan, the evidence behind it, and how it was found."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    """A verified staffing recommendation for a region, as tables planners can read and export.

    Attributes:
        region: the region's name; ``source`` its file.
        status, objective, bound, gap, gap_limit, solver: the MILP's final solve
            (objective in yuan/day: the chosen patterns' estimated value).
        seed, replications: the base seed and verification days per plan.
        plan: one row per (outlet, tier, role, placement) with ``current``,
            ``recommended`` and ``change`` head-counts; placement is ``inside`` or
            ``outside`` (customer managers doing field marketing) or ``all``.
        candidates: every pattern generated, one row each: outlet, pattern id, role
            counts, ``cm_inside``/``cm_outside``, ``objective_mean``/``_ci95_low``/``_ci95_high``,
            service KPIs, ``replications``, ``status`` (``kept`` or why pruned) and ``chosen``.
        kpis: verification results, one row per (plan, outlet, kpi) with ``mean``,
            ``ci95_low``, ``ci95_high``; ``plan`` is ``current`` or ``recommended``, outlet
            ``region`` holds the sums.
        uplift: the paired difference recommended − current of daily region value
            (``mean``, ``ci95_low``, ``ci95_high``, ``predicted``, ``share_realised``).
        constraints: every policy rule with its ``group``, ``rule`` text, ``sense``,
            ``limit``, ``value`` in the recommended plan and ``binding``.
        frontier: optimal objective by total head-count budget (``budget``, ``delta``,
            ``status``, ``objective``, ``marginal_yuan``).
        counts: patterns ``generated``, ``dropped_analytic``, ``simulated``, ``kept``, and
            ``simulated_days`` (days simulated in this run; 0 when all came from the cache); with
            ``repaired_outlets`` the outlets :func:`optimize.stages.repair` gave one more round.
        timings: seconds per step (``evaluate``, ``solve_and_verify``, ``frontier``).
        verification_rounds: solves needed until the chosen plan met every service limit.
        headcount: ``{"current": n, "recommended": m, "budget": b}``.
        binding: the rules that bind in the chosen plan, as text.
        tier_moves: ``(outlet, tier, simulated_tier)`` for each outlet whose simulated
            customers and value today put it in another tier than the one it carries.
        service: today's and the recommended walk-out rate and service levels per outlet
            and for the region, with the paired change and ``worse`` beyond noise
            (:func:`optimize.tables.service_frame`).
        transfers: who goes where (:func:`optimize.transfers.transfer_list`): ``from_outlet``,
            ``to_outlet``, ``role``, ``placement``, ``people``, ``kind`` (transfer, surplus, hire).
        stability: the stable-plan stage: ``tolerance_yuan`` (the noise half-width of the
            best plan's estimate), ``best_estimate_yuan``, ``chosen_estimate_yuan``,
            ``moves_best`` and ``moves_chosen`` (0 tolerance: the stage was off).
        conversions: people turned from one role into another (``from_role``, ``to_role``,
            ``people``, ``max_people``, ``training_cost_yuan``, ``cost_yuan_per_day``;
            empty without ``[[conversions]]``).
        day_types: the region's verified value and service on each day type, today's and the
            recommended plan (``day_type``, ``share``, ``volume``, ``plan``, ``kpi``, ``mean``,
            ``ci95_low``, ``ci95_high``; empty without ``[day_types]``).
        robustness: with day types, the average-day plan (what :func:`optimize.recommend` chooses
            without them) against the recommended robust plan on the simulated month and on each
            day type, paired (:func:`optimize.tables.robustness_frame`; empty without day types).
        robust_vs_average: its headline (:func:`optimize.tables.robust_vs_average`): the value the
            robustness costs, the worst day type's service, the simulated days of each run.
        roster: with ``[roster]`` (``--roster``), every inside person's shift and lunch
            (:data:`optimize.tables.ROSTER_COLUMNS`; ``roster.csv``); ``roster_iterations`` the
            simulate-and-correct rounds per outlet; ``roster_kpis`` and ``roster_hourly`` the
            rosters' verified value and service by day and by zone and hour against today's
            shifts, paired (all empty without a roster).
        flex_posts: each outlet's flexible posts (``[dispatch.flex.ZONE]``) with the queue at which
            their staff are called and go back, today and recommended
            (:data:`optimize.tables.FLEX_COLUMNS`; ``flex_posts.csv``; empty when no outlet has one).
        stress: the moves that hold under scaled assumptions (:func:`optimize.stress.stress_test`;
            empty unless it was run).
    """

    region: str
    source: str
    status: str
    objective: float
    bound: float | None
    gap: float | None
    gap_limit: float
    solver: str
    seed: int
    replications: int
    plan: pd.DataFrame
    candidates: pd.DataFrame
    kpis: pd.DataFrame
    uplift: dict[str, float]
    constraints: pd.DataFrame
    frontier: pd.DataFrame
    counts: dict[str, int]
    timings: dict[str, float]
    verification_rounds: int
    headcount: dict[str, int]
    binding: tuple[str, ...] = field(default=())
    tier_moves: tuple[tuple[str, str, str], ...] = field(default=())
    service: pd.DataFrame = field(default_factory=pd.DataFrame)
    transfers: pd.DataFrame = field(default_factory=pd.DataFrame)
    stability: dict[str, float] = field(default_factory=dict)
    stress: pd.DataFrame = field(default_factory=pd.DataFrame)
    conversions: pd.DataFrame = field(default_factory=pd.DataFrame)
    day_types: pd.DataFrame = field(default_factory=pd.DataFrame)
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)
    robust_vs_average: dict[str, Any] = field(default_factory=dict)
    roster: pd.DataFrame = field(default_factory=pd.DataFrame)
    roster_iterations: pd.DataFrame = field(default_factory=pd.DataFrame)
    roster_kpis: pd.DataFrame = field(default_factory=pd.DataFrame)
    roster_hourly: pd.DataFrame = field(default_factory=pd.DataFrame)
    flex_posts: pd.DataFrame = field(default_factory=pd.DataFrame)

    def verified(self, plan: str) -> dict[str, float]:
        """The region's verified daily objective of ``plan`` (``current`` or ``recommended``): mean and 95% CI."""
        row = self.kpis[(self.kpis["plan"] == plan) & (self.kpis["outlet"] == "region")
                        & (self.kpis["kpi"] == "objective")]
        if row.empty:
            return {"mean": math.nan, "ci95_low": math.nan, "ci95_high": math.nan}
        r = row.iloc[0]
        return {"mean": float(r["mean"]), "ci95_low": float(r["ci95_low"]), "ci95_high": float(r["ci95_high"])}

    def headline(self) -> dict[str, Any]:
        """What the plan is worth and what it does to service, as verified on fresh days.

        ``value_today`` and ``value_recommended`` (yuan/day, mean and 95% CI), the paired
        ``uplift``, the region's service KPIs today and recommended, the outlets whose
        service gets worse beyond noise, the people left without a post, and the screening
        estimate the MILP optimised (``screening_estimate``: *not* a verified number).
        """
        region = self.service[self.service["outlet"] == "region"] if not self.service.empty else self.service
        worse = self.service[self.service["worse"] & (self.service["outlet"] != "region")] \
            if not self.service.empty else self.service
        placed = self.transfers if not self.transfers.empty else pd.DataFrame(columns=["kind", "people"])
        return {
            "value_today": self.verified("current"), "value_recommended": self.verified("recommended"),
            "uplift": self.uplift,
            "service_region": {str(r["kpi"]): {"today": r["current"], "recommended": r["recommended"],
                                               "change_ci95": [r["change_ci95_low"], r["change_ci95_high"]],
                                               "worse": bool(r["worse"])} for _, r in region.iterrows()},
            "worse_outlets": [f"{r['outlet']} {r['kpi']}" for _, r in worse.iterrows()],
            "surplus_people": int(placed.loc[placed["kind"] == "surplus", "people"].sum()),
            "hired_people": int(placed.loc[placed["kind"] == "hire", "people"].sum()),
            "converted_people": int(placed.loc[placed["kind"] == "conversion", "people"].sum()),
            "screening_estimate": self.objective,
        }

    def moves(self) -> pd.DataFrame:
        """Rows of :attr:`plan` whose head-count changes."""
        return self.plan[self.plan["change"] != 0].reset_index(drop=True)

    def flex_changes(self) -> pd.DataFrame:
        """Rows of :attr:`flex_posts` whose thresholds change."""
        if self.flex_posts.empty:
            return self.flex_posts
        return self.flex_posts[self.flex_posts["changed"]].reset_index(drop=True)

    def export(self, out: str | Path) -> list[Path]:
        """Write CSV, JSON, Excel and an HTML report into folder ``out``, all or none (see :mod:`optimize.export`)."""
        from optimize.export import export

        return export(self, out)

    def summary(self) -> dict[str, Any]:
        """The JSON-ready top level: status, objective, gap, solver, seed, head-count, uplift, binding rules."""
        return {
            "headline": self.headline(),
            "status": self.status, "objective": self.objective, "bound": self.bound, "gap": self.gap,
            "gap_limit": self.gap_limit, "solver": self.solver, "seed": self.seed,
            "replications": self.replications, "headcount": self.headcount, "uplift": self.uplift,
            "binding": list(self.binding), "counts": self.counts, "timings": self.timings,
            "verification_rounds": self.verification_rounds,
            "tier_moves": [{"outlet": o, "tier": t, "simulated_tier": s} for o, t, s in self.tier_moves],
            "conversions": self.conversions.to_dict("records"),
            "day_types": self.day_types.to_dict("records"),
            **({"robust_vs_average": self.robust_vs_average} if self.robust_vs_average else {}),
            **({"roster_status": {str(o): str(s) for o, s in self.roster_iterations.groupby("outlet", sort=False)[
                "status"].last().items()}} if not self.roster.empty else {}),
        }
