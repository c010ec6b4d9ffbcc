"""Turning the optimiser's working state into the :class:`~optimize.result.Recommendation` tables."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from optimize.candidates import FateKind
from optimize.evaluate import column
from optimize.milp import Solution, binds, rule_value
from optimize.patterns import flex_options
from optimize.problem import Problem, combine_days, moves
from optimize.region import Region
from optimize.result import Recommendation
from optimize.roster import hourly_levels, lunch_hours
from optimize.roster_run import RosterRun
from optimize.stages import AverageDay, Run
from optimize.state import OutletState
from optimize.transfers import transfer_list
from sim.codes import ROLES, SERVICE_ZONES
from sim.layout import compile_layout
from sim.replicate import interval
from sim.scenario import format_clock
from sim.staffing import FlexThreshold, StaffingPlan

#: KPIs reported for the current and recommended plans.
#: Zones whose service level is reported (pooled over customers for the region): every zone with a
#: queue (the waiting area has none).
SERVICE_LEVEL_ZONES = ("lobby", "cash", "non_cash", "self_service", "wealth")
#: The service KPIs shown beside value everywhere: walk-out rate, then each zone's service level.
SERVICE_KPIS = ("walkout_rate", *(f"{z}.service_level" for z in SERVICE_LEVEL_ZONES))
REPORT_KPIS = ("objective", "value_yuan", "value_lost_yuan", "walkout_rate", "sales", "field_new_customers",
               *SERVICE_KPIS[1:])
_ADDITIVE = ("objective", "value_yuan", "value_lost_yuan", "sales", "field_new_customers", "arrived", "lost",
             *(f"{z}.on_time" for z in SERVICE_LEVEL_ZONES), *(f"{z}.customers" for z in SERVICE_LEVEL_ZONES))
#: Columns of :func:`service_frame`.
SERVICE_COLUMNS = ("outlet", "kpi", "current", "current_ci95_low", "current_ci95_high", "recommended",
                   "recommended_ci95_low", "recommended_ci95_high", "change", "change_ci95_low", "change_ci95_high",
                   "worse")


def _placements(plan: StaffingPlan) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for role, count in plan.counts:
        if role == "customer_manager":
            out[(role, "inside")] = plan.cm_inside
            out[(role, "outside")] = plan.cm_outside
        else:
            out[(role, "all")] = count
    return out


def plan_frame(region: Region, chosen: Sequence[StaffingPlan]) -> pd.DataFrame:
    """One row per (outlet, role, placement) with today's, the recommended head-count and the change."""
    rows = []
    for spec, plan in zip(region.outlets, chosen, strict=True):
        now, rec = _placements(spec.scenario.staffing_plan()), _placements(plan)
        for role, place in now:
            a, b = now[(role, place)], rec[(role, place)]
            if a or b or role in spec.scenario.roles:
                rows.append({"outlet": spec.name, "tier": spec.tier, "role": role, "placement": place,
                             "current": a, "recommended": b, "change": b - a})
    return pd.DataFrame(rows)


#: Columns of :func:`flex_frame`.
FLEX_COLUMNS = ("outlet", "zone", "role", "current_open_above", "current_close_below", "recommended_open_above",
                "recommended_close_below", "changed", "tried_open_above", "service_level_current",
                "service_level_recommended", "service_level_change", "service_level_change_ci95_low",
                "service_level_change_ci95_high", "worse", "away_min_current", "away_min_recommended")


def flex_frame(region: Region, chosen: Sequence[StaffingPlan], service: pd.DataFrame,
               days: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None) -> pd.DataFrame:
    """One row per flexible post (岗位弹性设置, ``[dispatch.flex.ZONE]``) of each outlet: its role, when its staff
    are called today and in the recommended plan (more than ``open_above`` customers waiting) and go back
    (fewer than ``close_below``), the ``open_above`` values the search tried (``[search] flex_open_above``;
    today's alone: not searched), and the zone's verified service level beside them — both plans, the paired
    change and ``worse`` beyond noise, from ``service`` (:func:`service_frame`) — and the minutes a day the
    outlet's flexible staff spent at their posts, away from their own work, under today's and the recommended
    plan (the mean over the verification ``days``: today's, then the recommended, per outlet; all the outlet's
    posts together). Empty when no outlet has one."""
    rows = []
    by_kpi = {(r["outlet"], r["kpi"]): r for r in service.to_dict("records")}
    for o, (spec, plan) in enumerate(zip(region.outlets, chosen, strict=True)):
        now = {t.zone: t for t in spec.scenario.staffing_plan().flex}
        rec = {t.zone: t for t in plan.flex}
        tried = flex_options(spec, region)
        away = [float(column(d[o], "flex_away_min").mean()) for d in days] if days is not None else [math.nan] * 2
        for zone, post in spec.scenario.dispatch.flex.items():
            a, b = now[zone], rec.get(zone, now[zone])
            sl = by_kpi.get((spec.name, f"{zone}.service_level"), {})
            values = sorted({t.open_above for t in tried.get(zone, [a])})
            rows.append(dict(zip(FLEX_COLUMNS, (
                spec.name, zone, post.role, a.open_above, a.close_below, b.open_above, b.close_below, a != b,
                ", ".join(map(str, values)), sl.get("current", math.nan), sl.get("recommended", math.nan),
                sl.get("change", math.nan), sl.get("change_ci95_low", math.nan), sl.get("change_ci95_high", math.nan),
                bool(sl.get("worse", False)), *away), strict=True)))
    return pd.DataFrame(rows, columns=list(FLEX_COLUMNS))


def flex_columns(plan: StaffingPlan) -> dict[str, int]:
    """A plan's flexible-post thresholds as columns, ``flex.ZONE.open_above`` and ``flex.ZONE.close_below``
    (``candidates.csv``; none without flexible posts)."""
    out: dict[str, int] = {}
    for t in plan.flex:
        out[f"flex.{t.zone}.open_above"], out[f"flex.{t.zone}.close_below"] = t.open_above, t.close_below
    return out


def plan_of_row(row: Mapping[Any, Any]) -> StaffingPlan:
    """The plan a ``candidates.csv`` row describes: role counts, ``cm_inside`` and the flexible posts'
    thresholds (:func:`flex_columns`; the cells of posts another outlet has are empty)."""
    zones = [str(c).split(".")[1] for c in row if str(c).startswith("flex.") and str(c).endswith(".open_above")]
    flex = tuple(FlexThreshold(z, int(row[f"flex.{z}.open_above"]), int(row[f"flex.{z}.close_below"]))
                 for z in zones if pd.notna(row[f"flex.{z}.open_above"]))
    return StaffingPlan.of({r: int(row[r]) for r in ROLES if r in row}, int(row["cm_inside"]), flex)


def _metric_days(problem: Problem, plan: StaffingPlan, days: np.ndarray) -> dict[str, np.ndarray]:
    out = {k: column(days, k) for k in REPORT_KPIS if k != "objective"}
    out["objective"] = problem.objective(plan, days)
    out["arrived"] = column(days, "arrived")
    out["lost"] = column(days, "walkout_rate") * out["arrived"]
    for z in SERVICE_LEVEL_ZONES:  # counts, so that the region's service level pools customers
        customers = np.nan_to_num(column(days, f"{z}.customers"))
        out[f"{z}.customers"] = customers
        out[f"{z}.on_time"] = np.nan_to_num(column(days, f"{z}.service_level")) * customers
    return out


def _summary_rows(plan_name: str, outlet: str, metrics: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    rows = []
    for kpi in REPORT_KPIS:
        s = interval(metrics[kpi])
        low, high = (_share(s.low), _share(s.high)) if kpi in SERVICE_KPIS else (s.low, s.high)
        rows.append({"plan": plan_name, "outlet": outlet, "kpi": kpi, "mean": s.mean, "ci95_low": low,
                     "ci95_high": high, "n": s.n})
    return rows


def kpi_frame(problem: Problem, chosen: Sequence[StaffingPlan], rec: Sequence[np.ndarray],
              cur: Sequence[np.ndarray]) -> tuple[pd.DataFrame, dict[str, dict[str, dict[str, np.ndarray]]]]:
    """Verification KPIs per plan and outlet, plus region totals (walk-out rate and service levels
    pooled over the outlets' customers); and the per-day metrics ``{plan: {outlet or "region": {kpi: days}}}``."""
    region = problem.region
    rows: list[dict[str, Any]] = []
    daily: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    for name, plans, days in (("current", [o.scenario.staffing_plan() for o in region.outlets], cur),
                              ("recommended", list(chosen), rec)):
        per = [_metric_days(problem, p, d) for p, d in zip(plans, days, strict=True)]
        for spec, m in zip(region.outlets, per, strict=True):
            rows += _summary_rows(name, spec.name, m)
        total = _pooled(per)
        rows += _summary_rows(name, "region", total)
        daily[name] = {**{spec.name: m for spec, m in zip(region.outlets, per, strict=True)}, "region": total}
    return pd.DataFrame(rows), daily


def _pooled(per: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The region's per-day metrics from its outlets' (:func:`_metric_days`): sums, the walk-out rate and
    the service levels pooled over the outlets' customers."""
    total = {k: np.sum([m[k] for m in per], axis=0) for k in _ADDITIVE}
    total["walkout_rate"] = total["lost"] / np.maximum(total["arrived"], 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for z in SERVICE_LEVEL_ZONES:
            total[f"{z}.service_level"] = np.where(total[f"{z}.customers"] > 0, total[f"{z}.on_time"]
                                                   / total[f"{z}.customers"], math.nan)
    return total


def region_days(problem: Problem, plans: Sequence[StaffingPlan], days: Sequence[np.ndarray]
                ) -> dict[str, np.ndarray]:
    """The region's per-day KPIs (:data:`REPORT_KPIS` and the pooled counts) of ``plans`` (one per outlet)
    on ``days`` (one array per outlet, the same seeds across outlets' days ``r``)."""
    return _pooled([_metric_days(problem, p, d) for p, d in zip(plans, days, strict=True)])


def _share(x: float) -> float:
    """A bound of a share's interval kept within 0 and 1 (the Student-t interval can pass 100%)."""
    return min(1.0, max(0.0, x)) if math.isfinite(x) else x


def service_frame(daily: dict[str, dict[str, dict[str, np.ndarray]]]) -> pd.DataFrame:
    """Today's and the recommended service per outlet and for the region, with the paired change.

    One row per (outlet or ``region``, KPI of :data:`SERVICE_KPIS`): both plans' means and
    95% CIs on the verification days, the mean change recommended − today with its paired
    95% CI (both plans ran on the same days), and ``worse``: the change's whole interval
    lies on the bad side (walk-out rate up, a service level down), i.e. worse beyond noise.
    """
    rows = []
    for outlet in daily["current"]:
        for kpi in SERVICE_KPIS:
            a, b = daily["current"][outlet][kpi], daily["recommended"][outlet][kpi]
            if not (np.isfinite(a).any() or np.isfinite(b).any()):
                continue  # the zone is closed at this outlet under both plans
            sa, sb, d = (interval(v) for v in (a, b, b - a))
            lo, hi = d.low, d.high
            worse = bool(lo > 0) if kpi == "walkout_rate" else bool(hi < 0)
            rows.append(dict(zip(SERVICE_COLUMNS, (outlet, kpi, sa.mean, _share(sa.low), _share(sa.high), sb.mean,
                                                   _share(sb.low), _share(sb.high), d.mean, lo, hi, worse),
                                 strict=True)))
    return pd.DataFrame(rows, columns=list(SERVICE_COLUMNS))


def uplift(totals: dict[str, dict[str, np.ndarray]], predicted: float) -> dict[str, float]:
    """Paired difference recommended − current of the region's daily objective, and the share predicted."""
    diff = totals["recommended"]["objective"] - totals["current"]["objective"]
    s = interval(diff)
    return {"mean": s.mean, "ci95_low": s.low, "ci95_high": s.high, "predicted": predicted,
            "share_realised": s.mean / predicted if predicted else math.nan}


def candidate_frame(problem: Problem, states: Sequence[OutletState], chosen: Sequence[StaffingPlan]) -> pd.DataFrame:
    """Every generated pattern: its counts, objective with CI, service KPIs, fate and whether it was chosen."""
    rows = []
    for st, pick in zip(states, chosen, strict=True):
        current = st.today
        for i, cand in enumerate(st.candidates):
            plan = cand.plan
            row: dict[str, Any] = {"outlet": st.spec.name, "pattern": i, "origin": cand.origin.value,
                                   **{r: c for r, c in plan.counts}, "cm_inside": plan.cm_inside,
                                   "cm_outside": plan.cm_outside, "total": plan.total,
                                   "moves": moves(current, plan), **flex_columns(plan)}
            days = st.days.get(plan)
            if days is not None:
                s = interval(problem.objective(plan, days))
                row.update({"objective_mean": s.mean, "objective_ci95_low": s.low, "objective_ci95_high": s.high,
                            "estimate_yuan": st.estimate(problem, plan), "replications": s.n,
                            "prior_sd_yuan": math.sqrt(st.prior_var) if st.prior_var is not None else math.nan})
                for kpi, _, _ in problem.region.limits(st.spec).checks():
                    row[kpi] = float(np.nanmean(column(days, kpi))) if np.isfinite(column(days, kpi)).any() \
                        else math.nan
            else:
                row["replications"] = 0
            row["status"] = str(cand.fate)
            row["chosen"] = plan == pick
            rows.append(row)
    frame = pd.DataFrame(rows)
    for c in frame.columns:  # whole numbers, empty where an outlet has no such post (not 4.0 beside NaN)
        if str(c).startswith("flex."):
            frame[c] = frame[c].astype("Int64")
    return frame


def constraint_frame(sol: Solution) -> pd.DataFrame:
    """Every policy rule with its limit, its value in the recommended plan and whether it binds (the rows
    the solve used, :attr:`Solution.rows`)."""
    rows = [{"group": row.group, "rule": row.text, "sense": row.sense, "limit": row.rhs,
             "value": rule_value(row, sol.choice), "binding": binds(row, sol.choice)} for row in sol.rows]
    return pd.DataFrame(rows, columns=["group", "rule", "sense", "limit", "value", "binding"])


#: Columns of :func:`day_type_frame`.
DAY_TYPE_COLUMNS = ("day_type", "share", "volume", "plan", "kpi", "mean", "ci95_low", "ci95_high", "n")
#: KPIs reported per day type.
DAY_TYPE_KPIS = ("objective", *SERVICE_KPIS)


def day_type_frame(problem: Problem, chosen: Sequence[StaffingPlan], rec: list[list[np.ndarray]],
                   cur: list[list[np.ndarray]]) -> pd.DataFrame:
    """The region's verified value and service on each day type, today's and the recommended plan:
    one row per (day type, plan, KPI of :data:`DAY_TYPE_KPIS`) with mean and 95% CI."""
    rows = []
    for d, dt in enumerate(problem.region.day_types):
        kpis, _ = kpi_frame(problem, chosen, [r[d] for r in rec], [c[d] for c in cur])
        part = kpis[(kpis["outlet"] == "region") & kpis["kpi"].isin(DAY_TYPE_KPIS)]
        for r in part.to_dict("records"):
            rows.append({"day_type": dt.name, "share": dt.share, "volume": dt.volume, "plan": r["plan"],
                         "kpi": r["kpi"], "mean": r["mean"], "ci95_low": r["ci95_low"], "ci95_high": r["ci95_high"],
                         "n": r["n"]})
    return pd.DataFrame(rows, columns=list(DAY_TYPE_COLUMNS))


#: Columns of :func:`robustness_frame`.
ROBUSTNESS_COLUMNS = ("scope", "share", "kpi", "average_day", "average_day_ci95_low", "average_day_ci95_high",
                      "robust", "robust_ci95_low", "robust_ci95_high", "change", "change_ci95_low",
                      "change_ci95_high", "n")


def robustness_frame(problem: Problem, average: AverageDay, robust: Sequence[StaffingPlan],
                     robust_types: list[list[np.ndarray]]) -> pd.DataFrame:
    """The average-day plan against the robust (day-type) plan on the simulated month, region totals.

    One row per (scope, KPI of :data:`DAY_TYPE_KPIS`): scope ``month`` is the month's
    share-weighted day, then each day type; both plans' means and 95% CIs and the paired
    change robust − average day with its 95% CI (both plans ran on the same seeds and
    days: common random numbers). ``n``: days.
    """
    region = problem.region
    scopes = [("month", 1.0, [combine_days(region, t) for t in average.month],
               [combine_days(region, t) for t in robust_types])]
    scopes += [(d.name, d.share, [m[i] for m in average.month], [t[i] for t in robust_types])
               for i, d in enumerate(region.day_types)]
    rows = []
    for scope, share, a_days, b_days in scopes:
        a, b = region_days(problem, average.plans, a_days), region_days(problem, robust, b_days)
        rows += [dict(zip(ROBUSTNESS_COLUMNS, (scope, share, kpi, *cells), strict=True))
                 for kpi, cells in _paired(a, b, DAY_TYPE_KPIS)]
    return pd.DataFrame(rows, columns=list(ROBUSTNESS_COLUMNS))


def _paired(a: dict[str, np.ndarray], b: dict[str, np.ndarray], kpis: Sequence[str]
            ) -> list[tuple[str, tuple[float, ...]]]:
    """Per KPI of ``kpis`` open somewhere: mean, 95% CI low and high of ``a`` and of ``b`` (shares kept within
    0 and 1), the paired change ``b − a`` with its 95% CI, and the days (the two ran on the same days)."""
    out: list[tuple[str, tuple[float, ...]]] = []
    for kpi in kpis:
        if not (np.isfinite(a[kpi]).any() or np.isfinite(b[kpi]).any()):
            continue  # a zone closed everywhere under both
        sa, sb, d = interval(a[kpi]), interval(b[kpi]), interval(b[kpi] - a[kpi])
        bound = _share if kpi != "objective" else float
        out.append((kpi, (sa.mean, bound(sa.low), bound(sa.high), sb.mean, bound(sb.low), bound(sb.high), d.mean,
                          d.low, d.high, d.n)))
    return out


def robust_vs_average(frame: pd.DataFrame, average: AverageDay, robust_days: int) -> dict[str, Any]:
    """The comparison's headline from :func:`robustness_frame`: what the robustness costs in the month's value
    (average-day plan − robust plan, yuan/day, paired 95% CI), the worst day type (the highest walk-out rate
    of the average-day plan) with both plans' walk-out rate and service levels on it, and the simulated
    days each run took (the month comparison's own days apart)."""
    def pair(row: pd.Series) -> dict[str, Any]:
        return {"average_day": row["average_day"], "robust": row["robust"], "change": row["change"],
                "change_ci95": [row["change_ci95_low"], row["change_ci95_high"]]}

    month = frame[(frame["scope"] == "month") & (frame["kpi"] == "objective")].iloc[0]
    walkout = frame[(frame["scope"] != "month") & (frame["kpi"] == "walkout_rate")]
    worst = str(walkout["scope"].iloc[int(np.argmax(walkout["average_day"].to_numpy()))])
    on_worst = frame[(frame["scope"] == worst) & (frame["kpi"] != "objective")]
    cost = [0.0 - month[k] for k in ("change", "change_ci95_high", "change_ci95_low")]  # 0.0 - 0.0 is not -0.0
    return {"value_cost": {"mean": cost[0], "ci95": cost[1:]},
            "value_month": pair(month), "worst_day": worst,
            "worst_day_service": {str(r["kpi"]): pair(r) for _, r in on_worst.iterrows()},
            "simulated_days": {"average_day": average.simulated_days, "robust": robust_days,
                               "month_comparison": average.month_simulated_days}}


#: Columns of :func:`roster_frame` (``roster.csv``): clock times ``HH:MM``; ``zones`` joined by ``;``.
ROSTER_COLUMNS = ("outlet", "person", "role", "zones", "shift_start", "shift_end", "lunch_start", "lunch_end")
#: Columns of the rosters' verified comparison with today's shifts, by day and by hour.
ROSTER_KPI_COLUMNS = ("outlet", "kpi", "today_shifts", "today_shifts_ci95_low", "today_shifts_ci95_high", "roster",
                      "roster_ci95_low", "roster_ci95_high", "change", "change_ci95_low", "change_ci95_high", "n")
ROSTER_HOURLY_COLUMNS = ("outlet", "hour", *ROSTER_KPI_COLUMNS[1:])
#: The ``hour`` of the rows pooling the hours that overlap the template's lunch window.
LUNCH_HOURS = "lunch"


def roster_frame(rr: RosterRun) -> pd.DataFrame:
    """Every inside person of every outlet under its roster, as the engine runs them (:func:`sim.layout.staffing`):
    shift start and end, and the lunch (the break between the two duty intervals; empty without one)."""
    rows = []
    for r in rr.outlets:
        layout = compile_layout(r.scenario)
        clock = r.scenario.outlet.open_min
        for k, pid in enumerate(layout.staff.ids):
            duty = layout.staff.duty[k]
            lunch = (format_clock(clock + duty[0][1]), format_clock(clock + duty[1][0])) if len(duty) > 1 else ("", "")
            rows.append(dict(zip(ROSTER_COLUMNS, (r.outlet, pid, ROLES[layout.staff.roles[k]],
                                                  ";".join(SERVICE_ZONES[z] for z in layout.staff.zones[k]),
                                                  format_clock(clock + duty[0][0]), format_clock(clock + duty[-1][1]),
                                                  *lunch), strict=True)))
    return pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))


def roster_iteration_frame(rr: RosterRun) -> pd.DataFrame:
    """The simulate-and-correct rounds of every outlet, with each outlet's final status."""
    rows = [{**it, "status": r.status} for r in rr.outlets for it in r.iterations]
    return pd.DataFrame(rows, columns=["outlet", "iteration", "hours_below_floor", "below", "hours_worse_than_today",
                                       "worse", "lunch_worse", "requirement_raised", "shortfall_slots", "status"])


def roster_kpi_frame(problem: Problem, rr: RosterRun) -> pd.DataFrame:
    """The rosters' verified value and service per outlet and for the region against today's shifts of the same
    head-counts, on the same fresh days: means, 95% CIs and the paired change roster − today's shifts."""
    region = problem.region
    today = [_metric_days(problem, p, d) for p, d in zip(rr.plans, rr.daily_today, strict=True)]
    roster = [_metric_days(problem, p, d) for p, d in zip(rr.plans, rr.daily_roster, strict=True)]
    rows = []
    for name, a, b in [*((o.name, x, y) for o, x, y in zip(region.outlets, today, roster, strict=True)),
                       ("region", _pooled(today), _pooled(roster))]:
        rows += [dict(zip(ROSTER_KPI_COLUMNS, (name, kpi, *cells), strict=True))
                 for kpi, cells in _paired(a, b, DAY_TYPE_KPIS)]
    return pd.DataFrame(rows, columns=list(ROSTER_KPI_COLUMNS))


def roster_hourly_frame(problem: Problem, rr: RosterRun) -> pd.DataFrame:
    """Service level by zone and hour under the rosters against today's shifts, paired over the same fresh days:
    per outlet, and for the region pooled over the outlets' customers (when every outlet opens at the same
    time, so that an hour is the same clock hour everywhere); the hours overlapping the template's lunch
    window pooled too (``hour`` :data:`LUNCH_HOURS`)."""
    template = problem.region.roster
    assert template is not None
    hours = max(h.shape[2] for h in rr.hourly_today)
    opens = [o.scenario.outlet.open_min for o in problem.region.outlets]

    def padded(h: np.ndarray) -> np.ndarray:
        return np.pad(h, ((0, 0), (0, 0), (0, hours - h.shape[2]), (0, 0)))

    pairs = [(o.name, opened, padded(a), padded(b)) for o, opened, a, b
             in zip(problem.region.outlets, opens, rr.hourly_today, rr.hourly_roster, strict=True)]
    if len(set(opens)) == 1:
        pairs.append(("region", opens[0], np.sum([p[2] for p in pairs], axis=0), np.sum([p[3] for p in pairs], axis=0)))
    rows = []
    for name, opened, a, b in pairs:
        starts = opened + 60 * np.arange(hours)
        lunch = lunch_hours(template, opened, hours)
        a, b = (np.concatenate([h, h[:, :, lunch].sum(axis=2, keepdims=True)], axis=2) for h in (a, b))
        labels = [*(format_clock(t) for t in starts), LUNCH_HOURS]
        for z in (z for z in SERVICE_LEVEL_ZONES if a[:, SERVICE_ZONES.index(z), :, 1].sum() > 0):
            la, lb = hourly_levels(a, z), hourly_levels(b, z)
            kpi = f"{z}.service_level"
            for h, hour in enumerate(labels):
                for _, cells in _paired({kpi: la[:, h]}, {kpi: lb[:, h]}, (kpi,)):
                    rows.append(dict(zip(ROSTER_HOURLY_COLUMNS, (name, hour, kpi, *cells), strict=True)))
    return pd.DataFrame(rows, columns=list(ROSTER_HOURLY_COLUMNS))


#: Columns of :func:`conversion_frame`.
CONVERSION_COLUMNS = ("from_role", "to_role", "people", "max_people", "training_cost_yuan", "cost_yuan_per_day")


def conversion_frame(region: Region, converted: tuple[int, ...]) -> pd.DataFrame:
    """The people the plan converts (``converted``: per ``[[conversions]]`` row), none without conversions."""
    if not region.conversions or not converted:
        return pd.DataFrame(columns=list(CONVERSION_COLUMNS))
    return pd.DataFrame([{"from_role": c.from_role, "to_role": c.to_role, "people": y, "max_people": c.max_people,
                          "training_cost_yuan": y * c.training_cost_yuan, "cost_yuan_per_day": y * c.cost_yuan_per_day}
                         for c, y in zip(region.conversions, converted, strict=True)], columns=list(CONVERSION_COLUMNS))


def build(run: Run) -> Recommendation:
    """Assemble the recommendation from one run's solved, verified state."""
    problem, states, s, v = run.problem, run.states, run.settings, run.verified
    region, sol = problem.region, v.sol
    chosen = v.menu.plans(sol)
    kpis, daily = kpi_frame(problem, chosen, v.rec(problem), v.cur(problem))
    totals = {plan: days["region"] for plan, days in daily.items()}
    predicted = 0.0
    for st, plan in zip(states, chosen, strict=True):
        if st.today in st.days:
            predicted += st.estimate(problem, plan) - st.estimate(problem, st.today)
    candidates = candidate_frame(problem, states, chosen)
    fates = [c.fate.kind for st in states for c in st.candidates]
    counts = {"generated": len(candidates),
              "dropped_analytic": fates.count(FateKind.DROPPED),
              "simulated": int((candidates["replications"] > 0).sum()),
              "kept": fates.count(FateKind.KEPT),
              "simulated_days": run.simulated_days,
              **({"repaired_outlets": len(run.repaired)} if run.repaired else {})}
    headcount = {"current": region.current_total, "recommended": sum(p.total for p in chosen),
                 "budget": region.policy.total_headcount or region.current_total}
    plan_table = plan_frame(region, chosen)
    service = service_frame(daily)
    converted = conversion_frame(region, v.menu.converted(sol))
    by_type = day_type_frame(problem, chosen, v.rec_types, v.cur_types) if region.day_types else \
        pd.DataFrame(columns=list(DAY_TYPE_COLUMNS))
    robustness = pd.DataFrame(columns=list(ROBUSTNESS_COLUMNS))
    compared: dict[str, Any] = {}
    if run.average is not None:
        robustness = robustness_frame(problem, run.average, chosen, v.rec_types)
        compared = robust_vs_average(robustness, run.average, run.simulated_days)
    rosters: dict[str, pd.DataFrame] = {}
    if run.roster is not None:
        rosters = {"roster": roster_frame(run.roster), "roster_iterations": roster_iteration_frame(run.roster),
                   "roster_kpis": roster_kpi_frame(problem, run.roster),
                   "roster_hourly": roster_hourly_frame(problem, run.roster)}
    return Recommendation(
        region=region.name, source=region.source, status=sol.status, objective=sol.objective, bound=sol.bound,
        gap=sol.gap, gap_limit=sol.gap_limit, solver=sol.solver, seed=s.seed, replications=s.verify_replications,
        plan=plan_table, candidates=candidates, kpis=kpis, uplift=uplift(totals, predicted),
        constraints=constraint_frame(sol), frontier=run.frontier, counts=counts,
        timings={k: round(x, 2) for k, x in run.timings.items()}, verification_rounds=v.rounds, headcount=headcount,
        binding=sol.binding,
        tier_moves=tuple((o.name, o.tier, o.simulated_tier) for o in region.outlets
                         if o.simulated_tier not in ("", o.tier)),
        service=service, stability=v.stability, conversions=converted, day_types=by_type,
        robustness=robustness, robust_vs_average=compared, **rosters,
        flex_posts=flex_frame(region, chosen, service, (v.cur(problem), v.rec(problem))),
        transfers=transfer_list(plan_table, [(str(r["from_role"]), str(r["to_role"]), int(r["people"]))
                                             for r in converted.to_dict("records")]))
