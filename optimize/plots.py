"""The optimiser's charts: what moves where, what it is worth, and what one more person would add.

One function per chart, each taking the :class:`~optimize.result.Recommendation`'s
tables and returning a matplotlib :class:`~matplotlib.figure.Figure` built with the
object API (no ``pyplot`` state, never ``show()``), so the same chart serves a notebook
cell, the HTML report (:func:`png_bytes`) and a headless test:

- :func:`plot_moves`: people added (right) and removed (left) at each outlet, stacked
  by role, customer managers inside and outside apart (outside hatched);
- :func:`plot_value`: each outlet's daily objective today and under the recommendation,
  with the 95% CIs of the verification days;
- :func:`plot_frontier`: the optimal objective as the total head-count budget moves
  around today's, and the marginal value of each person;
- :func:`plot_candidates`: every simulated pattern per outlet (objective against
  head-count), today's plan ringed and the chosen one starred.

Roles keep the colours of :data:`sim.plots.ROLE_COLOURS` in every chart. Regions with
more outlets than a chart can show plot the ``max_outlets`` that matter most and say so
in the title.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.plots import ROLE_COLOURS
from sim.scenario import ROLES

#: Colours of today's plan and the recommended one, in every chart.
CURRENT_COLOUR, RECOMMENDED_COLOUR = "#7f7f7f", "#1b9e77"
#: Colour of a head-count budget with no feasible plan, and of pruned patterns.
MUTED_COLOUR = "#c7c7c7"
#: Hatch marking customer managers working outside (field marketing).
OUTSIDE_HATCH = "//"
#: Default axis label of the objective.
OBJECTIVE_LABEL = "daily objective (yuan/day)"


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure rendered as PNG bytes (for embedding; :func:`sim.plots.save_figure` writes files)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def series_label(role: str, placement: str) -> str:
    """Legend label of one plan row: the role, with ``(inside)``/``(outside)`` for customer managers."""
    return role if placement == "all" else f"{role} ({placement})"


def _top_outlets(order: list[str], score: pd.Series, limit: int) -> tuple[list[str], str]:
    """The ``limit`` outlets with the highest ``score`` (in ``order``), and a title note if some were left out."""
    if len(order) <= limit:
        return order, ""
    keep = set(score.reindex(order).fillna(0.0).sort_values(ascending=False, kind="stable").index[:limit])
    return [o for o in order if o in keep], f" ({limit} of {len(order)} outlets shown)"


def _series_order(changed: pd.DataFrame) -> list[tuple[str, str]]:
    """(role, placement) pairs with a change, in :data:`sim.scenario.ROLES` order, inside before outside."""
    pairs = set(zip(changed["role"], changed["placement"], strict=True))
    rank = {"inside": 0, "all": 1, "outside": 2}
    return sorted(pairs, key=lambda p: (ROLES.index(p[0]) if p[0] in ROLES else len(ROLES), rank.get(p[1], 3), p))


def plot_moves(plan: pd.DataFrame, max_outlets: int = 40) -> Figure:
    """Diverging stacked bars of the head-count change at each outlet, one colour per role.

    ``plan`` is :attr:`Recommendation.plan` (outlet, role, placement, change). Bars right
    of zero are people added, left of zero people removed; each (role, placement) is one
    bar container labelled :func:`series_label`, so an outlet's bars sum to its net change.
    """
    order = list(dict.fromkeys(plan["outlet"]))
    moved = plan.assign(size=plan["change"].abs()).groupby("outlet")["size"].sum()
    outlets, note = _top_outlets(order, moved, max_outlets)
    changed = plan[(plan["change"] != 0) & plan["outlet"].isin(outlets)]
    fig = Figure(figsize=(8.5, 1.8 + 0.38 * len(outlets)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(outlets))
    right, left = np.zeros(len(outlets)), np.zeros(len(outlets))
    for role, placement in _series_order(changed):
        rows = changed[(changed["role"] == role) & (changed["placement"] == placement)]
        change = rows.groupby("outlet")["change"].sum().reindex(outlets, fill_value=0).to_numpy(dtype=float)
        base = np.where(change > 0, right, left)
        ax.barh(y, change, left=base, color=ROLE_COLOURS.get(role, MUTED_COLOUR), edgecolor="white",
                hatch=OUTSIDE_HATCH if placement == "outside" else None, label=series_label(role, placement))
        right += np.clip(change, 0, None)
        left += np.clip(change, None, 0)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, outlets)
    ax.set_ylim(len(outlets) - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("change in head-count (people): removed ← 0 → added")
    ax.set_title(f"Moves by outlet and role{note}")
    if changed.empty:
        ax.text(0.5, 0.5, "no moves: the recommendation is today's plan", transform=ax.transAxes, ha="center")
    else:
        ax.legend(title="role", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return fig


def _interval(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Means and the (below, above) error lengths of their 95% CIs (0 where a CI is unknown)."""
    mean = rows["mean"].to_numpy(dtype=float)
    below = np.nan_to_num(mean - rows["ci95_low"].to_numpy(dtype=float), nan=0.0)
    above = np.nan_to_num(rows["ci95_high"].to_numpy(dtype=float) - mean, nan=0.0)
    return mean, np.vstack([np.clip(below, 0, None), np.clip(above, 0, None)])


def _region_note(kpis: pd.DataFrame, kpi: str) -> str:
    """``region: today X [lo, hi] → recommended Y [lo, hi]`` for the title, if the region row exists."""
    parts = []
    for plan_name in ("current", "recommended"):
        row = kpis[(kpis["kpi"] == kpi) & (kpis["outlet"] == "region") & (kpis["plan"] == plan_name)]
        if row.empty or math.isnan(float(row["mean"].iloc[0])):
            return ""
        r = row.iloc[0]
        parts.append(f"{plan_name} {r['mean']:,.0f} [{r['ci95_low']:,.0f}, {r['ci95_high']:,.0f}]")
    return "\nregion total: " + " → ".join(parts)


def plot_value(kpis: pd.DataFrame, kpi: str = "objective", label: str = OBJECTIVE_LABEL,
               max_outlets: int = 40) -> Figure:
    """Each outlet's ``kpi`` under today's and the recommended plan: verification means with 95% CIs.

    ``kpis`` is :attr:`Recommendation.kpis` (plan, outlet, kpi, mean, ci95_low,
    ci95_high); the ``region`` row goes in the title. Two error-bar series, labelled
    ``current`` and ``recommended``, one point per outlet.
    """
    rows = kpis[(kpis["kpi"] == kpi) & (kpis["outlet"] != "region")]
    order = list(dict.fromkeys(rows["outlet"]))
    wide = rows.pivot_table(index="outlet", columns="plan", values="mean", aggfunc="first")
    gain = wide.reindex(columns=["current", "recommended"]).diff(axis=1)["recommended"].abs()
    outlets, note = _top_outlets(order, gain, max_outlets)
    fig = Figure(figsize=(8.5, 1.8 + 0.38 * len(outlets)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(outlets))
    for offset, plan_name, colour in ((-0.15, "current", CURRENT_COLOUR), (0.15, "recommended", RECOMMENDED_COLOUR)):
        sub = rows[rows["plan"] == plan_name].drop_duplicates("outlet").set_index("outlet").reindex(outlets)
        mean, err = _interval(sub)
        ax.errorbar(mean, y + offset, xerr=err, fmt="o", color=colour, capsize=3, label=plan_name)
    ax.set_yticks(y, outlets)
    ax.set_ylim(len(outlets) - 0.5, -0.5)
    ax.set_xlabel(label)
    ax.set_title(f"{kpi} per outlet, mean and 95% CI over verification days{note}{_region_note(kpis, kpi)}",
                 fontsize="medium")
    ax.legend(title="plan", loc="best")
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_frontier(frontier: pd.DataFrame, budget: int | None = None, label: str = OBJECTIVE_LABEL) -> Figure:
    """The optimal objective against the total head-count budget, and each person's marginal value.

    ``frontier`` is :attr:`Recommendation.frontier` (budget, status, objective,
    marginal_yuan); ``budget`` is today's, drawn as a dashed vertical line. Top axes:
    the optimum (one line over the feasible budgets; infeasible budgets as crosses on
    the axis). Bottom axes: bars of ``marginal_yuan`` = optimum(b) − optimum(b − 1), the
    value of the b-th person.
    """
    fig = Figure(figsize=(8, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    feasible = frontier[np.isfinite(frontier["objective"].to_numpy(dtype=float))]
    top.plot(feasible["budget"], feasible["objective"], "o-", color=RECOMMENDED_COLOUR, label="optimal objective")
    infeasible = frontier.loc[~frontier.index.isin(feasible.index), "budget"]
    if len(infeasible):
        top.plot(infeasible, np.zeros(len(infeasible)), "x", color=MUTED_COLOUR, markersize=9,
                 transform=top.get_xaxis_transform(), clip_on=False, label="no feasible plan")
    marginal = frontier["marginal_yuan"].to_numpy(dtype=float)
    bars = np.isfinite(marginal)
    bottom.bar(frontier["budget"][bars], marginal[bars], color=np.where(marginal[bars] >= 0, RECOMMENDED_COLOUR,
                                                                         "#b2182b"), width=0.6)
    bottom.axhline(0.0, color="black", linewidth=0.8)
    for ax in (top, bottom):
        if budget is not None:
            ax.axvline(budget, color="black", linestyle="--", linewidth=1.0,
                       label=f"today's budget ({budget} people)" if ax is top else None)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    top.set_ylabel(label)
    top.set_title("Head-count frontier: the optimum as the total budget moves")
    bottom.set_ylabel("marginal value\n(yuan/day per person)")
    bottom.set_xlabel("total head-count budget (people)")
    if frontier.empty:
        top.text(0.5, 0.5, "no frontier computed", transform=top.transAxes, ha="center")
    else:
        top.legend(loc="best")
    return fig


def _candidate_axes(ax: Axes, rows: pd.DataFrame, outlet: str) -> None:
    """One outlet's cloud: kept and pruned patterns, today's plan ringed, the chosen one starred."""
    kept = rows["status"] == "kept"
    ax.scatter(rows.loc[~kept, "total"], rows.loc[~kept, "objective_mean"], s=14, color=MUTED_COLOUR,
               label="pruned or failed")
    ax.scatter(rows.loc[kept, "total"], rows.loc[kept, "objective_mean"], s=18, color=CURRENT_COLOUR, label="kept")
    today = rows[rows["origin"] == "current"]
    ax.scatter(today["total"], today["objective_mean"], s=90, facecolors="none", edgecolors="black",
               label="today's plan")
    chosen = rows[rows["chosen"].astype(bool)]
    ax.scatter(chosen["total"], chosen["objective_mean"], s=110, marker="*", color=RECOMMENDED_COLOUR,
               label="chosen")
    ax.set_title(outlet, fontsize="small")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize="x-small")


def plot_candidates(candidates: pd.DataFrame, max_outlets: int = 16, label: str = OBJECTIVE_LABEL) -> Figure:
    """Every simulated pattern of each outlet: estimated objective against total head-count.

    ``candidates`` is :attr:`Recommendation.candidates`; patterns never simulated
    (dropped by the analytic screen) have no estimate and are not drawn. One small
    axes per outlet (the first ``max_outlets``), each with four scatter series:
    ``pruned``, ``kept``, ``today's plan``, ``chosen``.
    """
    simulated = candidates[np.isfinite(candidates["objective_mean"].to_numpy(dtype=float))]
    order = list(dict.fromkeys(candidates["outlet"]))
    outlets = order[:max_outlets]
    note = f" (first {len(outlets)} of {len(order)} outlets)" if len(order) > len(outlets) else ""
    cols = min(4, max(1, len(outlets)))
    nrows = max(1, math.ceil(len(outlets) / cols))
    fig = Figure(figsize=(2.6 * cols + 0.8, 2.2 * nrows + 1.0), layout="constrained")
    grid = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False).ravel())
    for ax, outlet in zip(grid, outlets, strict=False):
        _candidate_axes(ax, simulated[simulated["outlet"] == outlet], outlet)
    for ax in grid[len(outlets):]:
        ax.set_axis_off()
    fig.supxlabel("total head-count of the pattern (people)")
    fig.supylabel(label)
    fig.suptitle(f"Candidate patterns per outlet: estimated objective against head-count{note}")
    if outlets:
        handles, labels = grid[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", fontsize="small")
    return fig


def plot_holds(stress: pd.DataFrame) -> Figure:
    """Moves that hold: one row per move of the plan, one column per scaled assumption; green where
    the variant's plan moves the same way, grey where it drops the move, red where it reverses it."""
    variants = [c for c in stress.columns if " x" in c]
    sign = np.sign(stress[variants].to_numpy(dtype=float)) * np.sign(stress["change"].to_numpy(dtype=float))[:, None]
    fig = Figure(figsize=(1.2 + 0.9 * max(len(variants), 1), 1.0 + 0.28 * max(len(stress), 1)), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(sign + 1, cmap=ListedColormap(["#d62728", "#cccccc", "#2ca02c"]), vmin=0, vmax=2, aspect="auto")
    labels = [f"{r['outlet']}: {series_label(str(r['role']), str(r['placement']))} {int(r['change']):+d}"
              for r in stress.to_dict("records")]
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xticks(range(len(variants)), variants, rotation=40, ha="right", fontsize=8)
    ax.set_title("Moves that hold when an assumption is scaled (green holds, grey drops, red reverses)",
                 fontsize=9)
    return fig
