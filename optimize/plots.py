"""The optimiser's charts: what moves where, what it is worth, and what one more person would add.

One function per chart, each taking the :class:`~optimize.result.Recommendation`'s
tables and returning a matplotlib :class:`~matplotlib.figure.Figure` built with the
object API (no ``pyplot`` state, never ``show()``), so the same chart serves a notebook
cell, the HTML report (:func:`sim.plots.png_base64`) and a headless test:

- :func:`plot_moves`: people added (right) and removed (left) at each outlet, stacked
  by role, customer managers inside and outside apart (outside hatched);
- :func:`plot_value`: each outlet's daily objective today and under the recommendation,
  with the 95% CIs of the verification days;
- :func:`plot_frontier`: the optimal objective as the total head-count budget moves
  around today's, and the marginal value of each person;
- :func:`plot_candidates`: every simulated pattern per outlet (objective against
  head-count), today's plan ringed and the chosen one starred;
- :func:`plot_roster`: one outlet's roster as a Gantt chart, a bar per person over the
  day, the lunch left open, coloured by role.

Roles keep the colours of :data:`sim.plots.ROLE_COLOURS` in every chart. Regions with
more outlets than a chart can show plot the ``max_outlets`` that matter most and say so
in the title. Outlet names in Chinese draw with the CJK fallback font
(:func:`sim.fonts.use_cjk_fallback`, registered when this module is imported and again
for each figure); ``lang="zh"`` writes titles, axes, legends and role names in Chinese
(:mod:`sim.labels`), ``"en"`` (the default) as before.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.codes import ROLES
from sim.fonts import use_cjk_fallback
from sim.labels import check_lang, kpi_label
from sim.labels import label as label_of
from sim.plots import ROLE_COLOURS

use_cjk_fallback()

#: Colours of today's plan and the recommended one, in every chart.
CURRENT_COLOUR, RECOMMENDED_COLOUR = "#7f7f7f", "#1b9e77"
#: Colour of a head-count budget with no feasible plan, and of pruned patterns.
MUTED_COLOUR = "#c7c7c7"
#: Hatch marking customer managers working outside (field marketing).
OUTSIDE_HATCH = "//"
#: Default axis label of the objective.
OBJECTIVE_LABEL = "daily objective (yuan/day)"


def _new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure, with the CJK fallback font in place (a notebook may have reset rcParams)."""
    use_cjk_fallback()
    return Figure(figsize=(width, height), layout="constrained")


def _text(key: str, lang: str, **fields: object) -> str:
    """A chart's words: the ``chart.<key>`` label of :mod:`sim.labels` in ``lang``."""
    return label_of(f"chart.{key}", check_lang(lang), **fields)


def series_label(role: str, placement: str, lang: str = "en") -> str:
    """Legend label of one plan row: the role, with ``(inside)``/``(outside)`` for customer managers.

    English keeps the ids (``customer_manager (outside)``); Chinese the labels (``个人客户经理（外勤）``).
    """
    if check_lang(lang) == "en":
        return role if placement == "all" else f"{role} ({placement})"
    name = label_of(f"role.{role}", lang)
    return name if placement == "all" else f"{name}（{label_of(f'placement.{placement}', lang)}）"


def _top_outlets(order: list[str], score: pd.Series, limit: int, lang: str = "en") -> tuple[list[str], str]:
    """The ``limit`` outlets with the highest ``score`` (in ``order``), and a title note if some were left out."""
    if len(order) <= limit:
        return order, ""
    keep = set(score.reindex(order).fillna(0.0).sort_values(ascending=False, kind="stable").index[:limit])
    return [o for o in order if o in keep], _text("shown", lang, limit=limit, total=len(order))


def _series_order(changed: pd.DataFrame) -> list[tuple[str, str]]:
    """(role, placement) pairs with a change, in :data:`sim.codes.ROLES` order, inside before outside."""
    pairs = set(zip(changed["role"], changed["placement"], strict=True))
    rank = {"inside": 0, "all": 1, "outside": 2}
    return sorted(pairs, key=lambda p: (ROLES.index(p[0]) if p[0] in ROLES else len(ROLES), rank.get(p[1], 3), p))


def plot_moves(plan: pd.DataFrame, max_outlets: int = 40, lang: str = "en") -> Figure:
    """Diverging stacked bars of the head-count change at each outlet, one colour per role.

    ``plan`` is :attr:`Recommendation.plan` (outlet, role, placement, change). Bars right
    of zero are people added, left of zero people removed; each (role, placement) is one
    bar container labelled :func:`series_label`, so an outlet's bars sum to its net change.
    """
    order = list(dict.fromkeys(plan["outlet"]))
    moved = plan.assign(size=plan["change"].abs()).groupby("outlet")["size"].sum()
    outlets, note = _top_outlets(order, moved, max_outlets, lang)
    changed = plan[(plan["change"] != 0) & plan["outlet"].isin(outlets)]
    fig = _new_figure(8.5, 1.8 + 0.38 * len(outlets))
    ax = fig.subplots()
    y = np.arange(len(outlets))
    right, left = np.zeros(len(outlets)), np.zeros(len(outlets))
    for role, placement in _series_order(changed):
        rows = changed[(changed["role"] == role) & (changed["placement"] == placement)]
        change = rows.groupby("outlet")["change"].sum().reindex(outlets, fill_value=0).to_numpy(dtype=float)
        base = np.where(change > 0, right, left)
        ax.barh(y, change, left=base, color=ROLE_COLOURS.get(role, MUTED_COLOUR), edgecolor="white",
                hatch=OUTSIDE_HATCH if placement == "outside" else None, label=series_label(role, placement, lang))
        right += np.clip(change, 0, None)
        left += np.clip(change, None, 0)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, outlets)
    ax.set_ylim(len(outlets) - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_text("moves_x", lang))
    ax.set_title(_text("moves_title", lang, note=note))
    if changed.empty:
        ax.text(0.5, 0.5, _text("no_moves", lang), transform=ax.transAxes, ha="center")
    else:
        ax.legend(title=_text("role", lang), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return fig


def _interval(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Means and the (below, above) error lengths of their 95% CIs (0 where a CI is unknown)."""
    mean = rows["mean"].to_numpy(dtype=float)
    below = np.nan_to_num(mean - rows["ci95_low"].to_numpy(dtype=float), nan=0.0)
    above = np.nan_to_num(rows["ci95_high"].to_numpy(dtype=float) - mean, nan=0.0)
    return mean, np.vstack([np.clip(below, 0, None), np.clip(above, 0, None)])


def _region_note(kpis: pd.DataFrame, kpi: str, lang: str = "en") -> str:
    """``region: today X [lo, hi] → recommended Y [lo, hi]`` for the title, if the region row exists."""
    parts = []
    for plan_name in ("current", "recommended"):
        row = kpis[(kpis["kpi"] == kpi) & (kpis["outlet"] == "region") & (kpis["plan"] == plan_name)]
        if row.empty or math.isnan(float(row["mean"].iloc[0])):
            return ""
        r = row.iloc[0]
        name = plan_name if lang == "en" else label_of(f"plan.{plan_name}", lang)
        parts.append(f"{name} {r['mean']:,.0f} [{r['ci95_low']:,.0f}, {r['ci95_high']:,.0f}]")
    return _text("region", lang, parts=" → ".join(parts))


def plot_value(kpis: pd.DataFrame, kpi: str = "objective", label: str | None = None,
               max_outlets: int = 40, lang: str = "en") -> Figure:
    """Each outlet's ``kpi`` under today's and the recommended plan: verification means with 95% CIs.

    ``kpis`` is :attr:`Recommendation.kpis` (plan, outlet, kpi, mean, ci95_low,
    ci95_high); the ``region`` row goes in the title. Two error-bar series, labelled
    ``current`` and ``recommended``, one point per outlet. ``label`` names the x axis
    (default: the daily objective's, :data:`OBJECTIVE_LABEL` in English).
    """
    rows = kpis[(kpis["kpi"] == kpi) & (kpis["outlet"] != "region")]
    order = list(dict.fromkeys(rows["outlet"]))
    wide = rows.pivot_table(index="outlet", columns="plan", values="mean", aggfunc="first")
    gain = wide.reindex(columns=["current", "recommended"]).diff(axis=1)["recommended"].abs()
    outlets, note = _top_outlets(order, gain, max_outlets, lang)
    fig = _new_figure(8.5, 1.8 + 0.38 * len(outlets))
    ax = fig.subplots()
    y = np.arange(len(outlets))
    for offset, plan_name, colour in ((-0.15, "current", CURRENT_COLOUR), (0.15, "recommended", RECOMMENDED_COLOUR)):
        sub = rows[rows["plan"] == plan_name].drop_duplicates("outlet").set_index("outlet").reindex(outlets)
        mean, err = _interval(sub)
        name = plan_name if lang == "en" else label_of(f"plan.{plan_name}", lang)
        ax.errorbar(mean, y + offset, xerr=err, fmt="o", color=colour, capsize=3, label=name)
    ax.set_yticks(y, outlets)
    ax.set_ylim(len(outlets) - 0.5, -0.5)
    ax.set_xlabel(_text("objective", lang) if label is None else label)
    ax.set_title(_text("value_title", lang, kpi=kpi if lang == "en" else kpi_label(kpi, lang), note=note,
                       region=_region_note(kpis, kpi, lang)), fontsize="medium")
    ax.legend(title=_text("plan", lang), loc="best")
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_frontier(frontier: pd.DataFrame, budget: int | None = None, label: str | None = None,
                  lang: str = "en") -> Figure:
    """The optimal objective against the total head-count budget, and each person's marginal value.

    ``frontier`` is :attr:`Recommendation.frontier` (budget, status, objective,
    marginal_yuan); ``budget`` is today's, drawn as a dashed vertical line. Top axes:
    the optimum (one line over the feasible budgets; infeasible budgets as crosses on
    the axis). Bottom axes: bars of ``marginal_yuan`` = optimum(b) − optimum(b − 1), the
    value of the b-th person.
    """
    fig = _new_figure(8, 6)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    feasible = frontier[np.isfinite(frontier["objective"].to_numpy(dtype=float))]
    top.plot(feasible["budget"], feasible["objective"], "o-", color=RECOMMENDED_COLOUR, label=_text("optimal", lang))
    infeasible = frontier.loc[~frontier.index.isin(feasible.index), "budget"]
    if len(infeasible):
        top.plot(infeasible, np.zeros(len(infeasible)), "x", color=MUTED_COLOUR, markersize=9,
                 transform=top.get_xaxis_transform(), clip_on=False, label=_text("infeasible", lang))
    marginal = frontier["marginal_yuan"].to_numpy(dtype=float)
    bars = np.isfinite(marginal)
    bottom.bar(frontier["budget"][bars], marginal[bars], color=np.where(marginal[bars] >= 0, RECOMMENDED_COLOUR,
                                                                         "#b2182b"), width=0.6)
    bottom.axhline(0.0, color="black", linewidth=0.8)
    for ax in (top, bottom):
        if budget is not None:
            ax.axvline(budget, color="black", linestyle="--", linewidth=1.0,
                       label=_text("today_budget", lang, budget=budget) if ax is top else None)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    top.set_ylabel(_text("objective", lang) if label is None else label)
    top.set_title(_text("frontier_title", lang))
    bottom.set_ylabel(_text("marginal", lang))
    bottom.set_xlabel(_text("budget_x", lang))
    if frontier.empty:
        top.text(0.5, 0.5, _text("no_frontier", lang), transform=top.transAxes, ha="center")
    else:
        top.legend(loc="best")
    return fig


def _candidate_axes(ax: Axes, rows: pd.DataFrame, outlet: str, lang: str = "en") -> None:
    """One outlet's cloud: kept and pruned patterns, today's plan ringed, the chosen one starred."""
    kept = rows["status"] == "kept"
    ax.scatter(rows.loc[~kept, "total"], rows.loc[~kept, "objective_mean"], s=14, color=MUTED_COLOUR,
               label=_text("pruned", lang))
    ax.scatter(rows.loc[kept, "total"], rows.loc[kept, "objective_mean"], s=18, color=CURRENT_COLOUR,
               label=_text("kept", lang))
    today = rows[rows["origin"] == "current"]
    ax.scatter(today["total"], today["objective_mean"], s=90, facecolors="none", edgecolors="black",
               label=_text("today", lang))
    chosen = rows[rows["chosen"].astype(bool)]
    ax.scatter(chosen["total"], chosen["objective_mean"], s=110, marker="*", color=RECOMMENDED_COLOUR,
               label=_text("chosen", lang))
    ax.set_title(outlet, fontsize="small")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize="x-small")


def plot_candidates(candidates: pd.DataFrame, max_outlets: int = 16, label: str | None = None,
                    lang: str = "en") -> Figure:
    """Every simulated pattern of each outlet: estimated objective against total head-count.

    ``candidates`` is :attr:`Recommendation.candidates`; patterns never simulated
    (dropped by the analytic screen) have no estimate and are not drawn. One small
    axes per outlet (the first ``max_outlets``), each with four scatter series:
    ``pruned``, ``kept``, ``today's plan``, ``chosen``.
    """
    simulated = candidates[np.isfinite(candidates["objective_mean"].to_numpy(dtype=float))]
    order = list(dict.fromkeys(candidates["outlet"]))
    outlets = order[:max_outlets]
    note = _text("first", lang, shown=len(outlets), total=len(order)) if len(order) > len(outlets) else ""
    cols = min(4, max(1, len(outlets)))
    nrows = max(1, math.ceil(len(outlets) / cols))
    fig = _new_figure(2.6 * cols + 0.8, 2.2 * nrows + 1.0)
    grid = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False).ravel())
    for ax, outlet in zip(grid, outlets, strict=False):
        _candidate_axes(ax, simulated[simulated["outlet"] == outlet], outlet, lang)
    for ax in grid[len(outlets):]:
        ax.set_axis_off()
    fig.supxlabel(_text("candidates_x", lang))
    fig.supylabel(_text("objective", lang) if label is None else label)
    fig.suptitle(_text("candidates_title", lang, note=note))
    if outlets:
        handles, labels = grid[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", fontsize="small")
    return fig


def plot_holds(stress: pd.DataFrame, lang: str = "en") -> Figure:
    """Moves that hold: one row per move of the plan, one column per scaled assumption; green where
    the variant's plan moves the same way, grey where it drops the move, red where it reverses it."""
    variants = [c for c in stress.columns if " x" in c]
    sign = np.sign(stress[variants].to_numpy(dtype=float)) * np.sign(stress["change"].to_numpy(dtype=float))[:, None]
    fig = _new_figure(1.2 + 0.9 * max(len(variants), 1), 1.0 + 0.28 * max(len(stress), 1))
    ax = fig.add_subplot()
    ax.imshow(sign + 1, cmap=ListedColormap(["#d62728", "#cccccc", "#2ca02c"]), vmin=0, vmax=2, aspect="auto")
    labels = [f"{r['outlet']}: {series_label(str(r['role']), str(r['placement']), lang)} {int(r['change']):+d}"
              for r in stress.to_dict("records")]
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xticks(range(len(variants)), variants, rotation=40, ha="right", fontsize=8)
    ax.set_title(_text("holds_title", lang), fontsize=9)
    return fig


def _clock_hours(clock: str) -> float:
    """``"HH:MM"`` as hours after midnight."""
    h, m = clock.split(":")
    return int(h) + int(m) / 60.0


def plot_roster(roster: pd.DataFrame, outlet: str, lang: str = "en") -> Figure:
    """One outlet's roster (rows of :func:`optimize.tables.roster_frame`) as a Gantt chart: a bar per person
    from shift start to end with the lunch left open, coloured by role, people in roster order."""
    rows = roster[roster["outlet"] == outlet].reset_index(drop=True)
    fig = _new_figure(9.0, 0.8 + 0.28 * max(len(rows), 1))
    ax = fig.add_subplot()
    for y, r in rows.iterrows():
        start, end = _clock_hours(str(r["shift_start"])), _clock_hours(str(r["shift_end"]))
        spans = [(start, end)]
        if r["lunch_start"]:
            lunch_start, lunch_end = _clock_hours(str(r["lunch_start"])), _clock_hours(str(r["lunch_end"]))
            spans = [(start, lunch_start), (lunch_end, end)]
        ax.broken_barh([(a, b - a) for a, b in spans if b > a], (int(str(y)) - 0.4, 0.8),
                       color=ROLE_COLOURS.get(str(r["role"]), MUTED_COLOUR))
    ax.set_yticks(range(len(rows)), [str(p) for p in rows["person"]])
    ax.invert_yaxis()
    ax.set_xlabel(_text("chart.clock", lang))
    ax.set_title(_text("chart.roster", lang, outlet=outlet))
    ax.grid(axis="x", alpha=0.3)
    return fig
