"""The planner's charts: one function per chart, each returning a matplotlib ``Figure``.

Every function builds its figure with the object API (:class:`matplotlib.figure.Figure`,
no ``pyplot`` state, never ``show()``), so it works the same in a notebook, a script,
the command line (``branchlab validate --plot``) and a headless test. In a notebook a
returned figure displays as the cell's value (after ``%matplotlib inline``); elsewhere
save it with :func:`save_figure`. matplotlib is imported on first use, not with ``sim``;
the first figure also registers the CJK fallback font (:mod:`sim.fonts`), so Chinese
outlet and person names draw in every chart while Latin text keeps its look.

Conventions: zone and role names and units label every axis (:func:`axis_label`);
each zone has one colour (:data:`ZONE_COLOURS`) and each role one colour
(:data:`ROLE_COLOURS`) in every chart; 95% intervals are Student-t intervals over
replications, drawn as bands or bars.

Charts of a day (from :mod:`sim.analysis` tables or a
:class:`~sim.replicate.Replications`): :func:`plot_queue_by_zone`,
:func:`plot_wait_ecdf`, :func:`plot_utilisation_heatmap`, :func:`plot_value_waterfall`,
:func:`plot_outlet_summary`, :func:`plot_variants`. Of many scenarios:
:func:`plot_sweep`, :func:`plot_sensitivity`. Of the engine against theory:
:func:`plot_validation`.
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis import paired_difference, per_day
from sim.replicate import SUMMARY_COLUMNS, Replications, interval, summarise
from sim.scenario import format_clock
from sim.scenario_types import Scenario

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: One colour per zone (``sim.ZONES``), used by every chart.
ZONE_COLOURS: dict[str, str] = {
    "lobby": "#9467bd", "waiting": "#7f7f7f", "cash": "#1f77b4", "non_cash": "#ff7f0e",
    "self_service": "#2ca02c", "wealth": "#d62728",
}
#: One colour per staff role (``sim.ROLES``), used by every chart.
ROLE_COLOURS: dict[str, str] = {
    "outlet_head": "#393b79", "operations_manager": "#637939", "lobby_manager": "#8c6d31",
    "deputy_lobby_manager": "#bd9e39", "cash_teller": "#3182bd", "low_counter_teller": "#e6550d",
    "customer_manager": "#31a354", "wealth_manager": "#a50f15", "security_guide": "#756bb1",
}
#: Colours of the two variants compared by :func:`plot_variants` (base, variant).
VARIANT_COLOURS: tuple[str, str] = ("#4d4d4d", "#1b9e77")
#: Value gained outside the outlet, and value lost (waterfall).
FIELD_COLOUR, LOSS_COLOUR, TOTAL_COLOUR = "#17becf", "#b2182b", "#252525"

#: Units of KPI and scenario field names, by name (the last part of a dotted path).
UNITS: dict[str, str] = {
    "mean_wait_min": "min", "p90_wait_min": "min", "service_level": "share of customers",
    "abandon_rate": "share of customers", "utilisation": "share of staffed time", "queue_len_mean": "customers",
    "arrived": "customers/day", "served": "customers/day", "abandoned": "customers/day", "balked": "customers/day",
    "no_service": "customers/day", "diverted_to_self_service": "customers/day", "referrals": "referrals/day",
    "sales": "products/day", "points": "points/day", "value_yuan": "yuan/day", "value_lost_yuan": "yuan/day",
    "field_new_customers": "customers/day", "count": "people", "inside": "people",
    "daily_customers": "customers/day", "surge_factor": "× base arrivals", "referral_conversion": "probability",
    "referral_probability": "probability", "conversion": "probability", "visits_per_day": "visits/person/day",
}


def axis_label(name: str) -> str:
    """A readable axis label with units for a KPI (``"cash.service_level"``) or a
    scenario field (``"staff.cash_teller.count"`` → ``"cash_teller count (people)"``)."""
    parts = name.split(".")
    last = parts[-1]
    unit = UNITS.get(last)
    if unit is None:
        suffixes = {"_min": "min", "_yuan": "yuan", "_per_hour": "customers/hour", "_probability": "probability"}
        unit = next((u for s, u in suffixes.items() if last.endswith(s)), None)
    words = " ".join(parts[1:] if parts[0] in ("staff", "arrivals", "sales", "field", "zones") else parts)
    return f"{words} ({unit})" if unit else words


def _figure(width: float, height: float) -> Figure:
    """A new figure, not registered with pyplot (imports matplotlib on first use), with the CJK
    fallback font in place so Chinese outlet names draw (:func:`sim.fonts.use_cjk_fallback`)."""
    from matplotlib.figure import Figure

    from sim.fonts import use_cjk_fallback

    use_cjk_fallback()
    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> None:
    """Save ``fig`` to ``path`` (format from the suffix: .png, .pdf, .svg …), whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def png_bytes(fig: Figure, dpi: int = 100, *, tight: bool = False) -> bytes:
    """The figure rendered as PNG bytes (for embedding; :func:`save_figure` writes files); ``dpi`` is
    dots per inch, ``tight`` trims the white margin."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    return buffer.getvalue()


def png_base64(fig: Figure, dpi: int = 100, *, tight: bool = False) -> str:
    """The figure as a base64 PNG for an ``<img src="data:image/png;base64,...">`` in a
    self-contained HTML report (the one encoder of every report: optimiser, quarters, fit)."""
    return base64.b64encode(png_bytes(fig, dpi, tight=tight)).decode("ascii")


def _clock_ticks(ax: Axes, scenario: Scenario, upto_min: float, step_min: float = 60.0) -> None:
    """Label the x axis with clock times every ``step_min`` from opening."""
    ticks = np.arange(0.0, upto_min + 1e-9, step_min)
    ax.set_xticks(ticks, [format_clock(scenario.outlet.open_min + t) for t in ticks])
    ax.set_xlabel("time of day (clock, hh:mm)")


def _band(frame: pd.DataFrame, index: str, value: str) -> pd.DataFrame:
    """Mean and 95% CI of ``value`` over replications at each ``index`` (columns mean, low, high)."""
    wide = frame.pivot_table(index="replication", columns=index, values=value, aggfunc="sum")
    stats = summarise(wide.to_numpy(dtype=float))
    column = SUMMARY_COLUMNS.index
    return pd.DataFrame({"mean": stats[:, column("mean")], "low": stats[:, column("ci95_low")],
                         "high": stats[:, column("ci95_high")]}, index=wide.columns)


def plot_queue_by_zone(profile: pd.DataFrame, scenario: Scenario) -> Figure:
    """Customers waiting in each zone's queue through the day: mean over replications with
    its 95% band (``profile`` from :func:`sim.analysis.queue_profile`)."""
    fig = _figure(9, 4)
    ax = fig.subplots()
    for zone, rows in profile.groupby("zone", sort=False):
        band = _band(rows, "start_min", "queue_len")
        x = band.index.to_numpy(dtype=float)
        ax.step(x, band["mean"], where="post", color=ZONE_COLOURS[str(zone)], label=str(zone))
        ax.fill_between(x, band["low"].fillna(band["mean"]), band["high"].fillna(band["mean"]), step="post",
                        color=ZONE_COLOURS[str(zone)], alpha=0.2)
    _clock_ticks(ax, scenario, float(profile["start_min"].max()))
    ax.set_ylabel("customers waiting (time average per bin)")
    ax.set_title(f"{scenario.outlet.name}: queue length by zone (mean, 95% CI band over "
                 f"{profile['replication'].nunique()} days)")
    ax.legend(title="zone")
    return fig


def plot_wait_ecdf(waits: pd.DataFrame, scenario: Scenario) -> Figure:
    """Distribution of waits in each zone (ECDF over all replications), with the zone's
    target wait and the share within it (``waits`` from :func:`sim.analysis.wait_samples`)."""
    zones = [z for z in pd.unique(waits["zone"]) if (waits["zone"] == z).any()]
    fig = _figure(3.2 * max(len(zones), 1), 3.6)
    axes = np.atleast_1d(fig.subplots(1, max(len(zones), 1), sharey=True))
    for ax, zone in zip(axes, zones, strict=False):
        wait = waits.loc[waits["zone"] == zone, "wait_min"].to_numpy(dtype=float)
        target = scenario.zones[zone].target_wait_min
        ax.ecdf(wait, color=ZONE_COLOURS[zone], label="wait")
        ax.axvline(target, color="black", linestyle="--", linewidth=1, label=f"target {target:g} min")
        ax.set_title(f"{zone}: {np.mean(wait <= target):.0%} within target")
        ax.set_xlabel(f"{zone} wait (min)")
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("share of customers who joined (cumulative)")
    return fig


def plot_utilisation_heatmap(profile: pd.DataFrame, scenario: Scenario) -> Figure:
    """Utilisation of each role inside the outlet by clock hour: busy minutes over on-duty
    minutes, pooled over replications (``profile`` from :func:`sim.analysis.utilisation_profile`)."""
    sums = profile.groupby(["role", "start_min"])[["busy_min", "duty_min"]].sum()
    share = (sums["busy_min"] / sums["duty_min"].where(sums["duty_min"] > 0)).unstack("start_min")
    share = share.reindex([r for r in ROLE_COLOURS if r in share.index]).dropna(axis=1, how="all")
    hours = share.columns.to_numpy(dtype=float)
    fig = _figure(9, 0.45 * len(share) + 1.8)
    ax = fig.subplots()
    image = ax.imshow(share.to_numpy(dtype=float), aspect="auto", cmap="magma", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(hours)), [format_clock(scenario.outlet.open_min + h) for h in hours])
    ax.set_xlabel("hour starting (clock, hh:mm)")
    ax.set_yticks(range(len(share)), list(share.index))
    for tick, role in zip(ax.get_yticklabels(), share.index, strict=True):
        tick.set_color(ROLE_COLOURS[str(role)])
    ax.set_ylabel("role (inside the outlet)")
    fig.colorbar(image, ax=ax, label="utilisation (busy / on-duty minutes)")
    ax.set_title(f"{scenario.outlet.name}: utilisation by role and hour")
    return fig


def _waterfall_steps(breakdown: pd.DataFrame) -> list[tuple[str, float, str]]:
    """(label, yuan per day, colour) of each waterfall step, sources first, then losses."""
    means = breakdown.groupby(["source", "item"], sort=False)["yuan"].mean().reset_index()
    means = means[means["yuan"].abs() >= 0.005]
    colour = {"fees": ZONE_COLOURS, "products": ROLE_COLOURS}
    steps = [(f"{source}: {item}", float(v), colour.get(source, {}).get(item, FIELD_COLOUR))
             for source, item, v in means.itertuples(index=False) if source != "lost"]
    losses = [(f"lost: {item}", float(v), LOSS_COLOUR) for source, item, v in means.itertuples(index=False)
              if source == "lost"]
    return [*steps, ("value earned", np.nan, TOTAL_COLOUR), *losses]


def plot_value_waterfall(breakdown: pd.DataFrame) -> Figure:
    """Where a day's value comes from and where it is lost (mean yuan per day): fees by
    zone, products by the role that sold them and field marketing build up the value
    earned; walk-outs, balks and unserved customers by segment take away the value lost
    (``breakdown`` from :func:`sim.analysis.value_breakdown`)."""
    steps = _waterfall_steps(breakdown)
    fig = _figure(max(8.0, 0.55 * len(steps) + 2), 4.8)
    ax = fig.subplots()
    level = 0.0
    for k, (_label, value, colour) in enumerate(steps):
        if np.isnan(value):  # the subtotal bar
            ax.bar(k, level, color=colour)
            ax.annotate(f"{level:,.0f}", (k, level), ha="center", va="bottom", fontsize=8)
            continue
        ax.bar(k, value, bottom=level, color=colour, edgecolor="black", linewidth=0.4)
        level += value
    ax.bar(len(steps), level, color=TOTAL_COLOUR, alpha=0.6)
    ax.annotate(f"{level:,.0f}", (len(steps), level), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(steps) + 1), [s[0] for s in steps] + ["earned − lost"], rotation=60, ha="right")
    ax.margins(y=0.08)
    ax.set_xlabel("source of value (fees by zone, products by role) and loss (by customer segment)")
    ax.set_ylabel("value (yuan/day, mean over days)")
    ax.set_title("Where value comes from and where it is lost")
    return fig


def plot_outlet_summary(result: Replications) -> Figure:
    """Service level by zone and the day's value earned and lost, each with its 95% CI:
    the what-if panel's chart."""
    fig = _figure(10, 3.6)
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))
    zones = result.zones[(result.zones["kpi"] == "service_level") & result.zones["mean"].notna()]
    zones = zones[zones["zone"] != "waiting"]
    names = list(zones["zone"])
    left.bar(names, zones["mean"], yerr=zones["ci95_half_width"].fillna(0.0), capsize=3,
             color=[ZONE_COLOURS[z] for z in names])
    left.set_ylim(0, 1.05)
    left.set_xlabel("zone")
    left.set_ylabel("service level (share within target wait)")
    outlet = result.outlet.set_index("kpi").loc[["value_yuan", "value_lost_yuan"]]
    right.bar(["earned", "lost"], outlet["mean"], yerr=outlet["ci95_half_width"].fillna(0.0), capsize=3,
              color=[TOTAL_COLOUR, LOSS_COLOUR])
    right.set_xlabel("value")
    right.set_ylabel("value (yuan/day)")
    fig.suptitle(f"{result.scenario.outlet.name}: {result.n} days, 95% CI")
    return fig


def plot_variants(base: Replications, variant: Replications, kpis: Sequence[str],
                  names: tuple[str, str] = ("current", "variant")) -> Figure:
    """Two staffing variants side by side, and their paired difference with its 95% CI.

    One row per KPI (an outlet KPI or ``"<zone>.<kpi>"``): the two means with their
    intervals, then ``variant − base`` per replication pair (:func:`sim.analysis.paired_difference`).
    Both must be replicated with the same seed and number of days (common random numbers).

    Raises:
        ValueError: the two results are not paired.
    """
    if (base.seed, base.n) != (variant.seed, variant.n):
        raise ValueError(f"plot_variants: not paired: seeds {base.seed}/{variant.seed}, days {base.n}/{variant.n}; "
                         "replicate both with the same seed and n")
    fig = _figure(10, 1.5 * len(kpis) + 1)
    axes = np.atleast_2d(fig.subplots(len(kpis), 2))
    for (left, right), kpi in zip(axes, kpis, strict=True):
        a, b = per_day(base, kpi), per_day(variant, kpi)
        for k, values in enumerate((a, b)):
            s = interval(values)
            left.barh(k, s.mean, xerr=np.nan_to_num(s.half_width), color=VARIANT_COLOURS[k], capsize=3)
        left.set_yticks([0, 1], list(names))
        left.set_xlabel(axis_label(kpi))
        d = paired_difference(a, b)
        right.errorbar([d.mean], [0], xerr=[[d.mean - d.ci95_low], [d.ci95_high - d.mean]], fmt="o",
                       color=VARIANT_COLOURS[1], capsize=4)
        right.axvline(0.0, color="grey", linewidth=0.8)
        right.set_yticks([])
        right.set_xlabel(f"{names[1]} − {names[0]}: {axis_label(kpi)}")
        right.set_title(f"{d.mean:+.3g} (95% CI {d.ci95_low:+.3g} … {d.ci95_high:+.3g})", fontsize=9)
    fig.suptitle(f"{names[1]} against {names[0]} on the same customers ({base.n} paired days)")
    return fig


def plot_sweep(summary: pd.DataFrame, kpi: str, x: str, y: str | None = None) -> Figure:
    """A KPI against one swept field (line with 95% CI band) or two (heatmap of means).

    ``summary`` has one row per design point with the fields as columns and
    ``<kpi>_mean``, ``<kpi>_ci95_low``, ``<kpi>_ci95_high`` (as :func:`sim.sweeps.load_sweep`
    gives); points sharing ``x`` (and ``y``) are averaged over the other fields.
    """
    fig = _figure(6, 4)
    ax = fig.subplots()
    if y is None:
        g = summary.groupby(x)[[f"{kpi}_mean", f"{kpi}_ci95_low", f"{kpi}_ci95_high"]].mean().sort_index()
        ax.plot(g.index, g[f"{kpi}_mean"], marker="o", color=TOTAL_COLOUR, label="mean")
        ax.fill_between(g.index, g[f"{kpi}_ci95_low"], g[f"{kpi}_ci95_high"], color=TOTAL_COLOUR, alpha=0.2,
                        label="95% CI")
        ax.set_ylabel(axis_label(kpi))
        ax.legend()
    else:
        grid = summary.pivot_table(index=y, columns=x, values=f"{kpi}_mean", aggfunc="mean").sort_index(ascending=False)
        image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        ax.set_ylabel(axis_label(y))
        fig.colorbar(image, ax=ax, label=f"{axis_label(kpi)}, mean")
    ax.set_xlabel(axis_label(x))
    ax.set_title(axis_label(kpi).split(" (")[0])
    return fig


def plot_sensitivity(indices: pd.DataFrame) -> Figure:
    """Which input matters most: first-order and total Sobol indices with 95% CIs, one
    panel per output (``indices`` from :func:`sim.analysis.sobol_sensitivity`)."""
    outputs = list(pd.unique(indices["output"]))
    fig = _figure(4.5 * len(outputs), 3.8)
    axes = np.atleast_1d(fig.subplots(1, len(outputs), sharey=True))
    for ax, out in zip(axes, outputs, strict=True):
        rows = indices[indices["output"] == out]
        inputs = list(pd.unique(rows["input"]))
        for k, (order, colour) in enumerate((("first", "#6baed6"), ("total", "#08519c"))):
            r = rows[rows["order"] == order].set_index("input").loc[inputs]
            err = np.nan_to_num(np.vstack([r["index"] - r["ci95_low"], r["ci95_high"] - r["index"]])).clip(min=0.0)
            ax.bar(np.arange(len(inputs)) + (k - 0.5) * 0.38, r["index"], width=0.38, yerr=err, capsize=3,
                   color=colour, label=f"{order} order")
        ax.set_xticks(range(len(inputs)), [axis_label(i).split(" (")[0] for i in inputs], rotation=20)
        ax.set_xlabel("input (varied over its range)")
        ax.set_title(axis_label(str(out)), fontsize=10)
        ax.axhline(0.0, color="grey", linewidth=0.8)
    axes[0].set_ylabel("Sobol index (share of output variance)")
    axes[0].legend()
    return fig


def plot_validation(frame: pd.DataFrame) -> Figure:
    """Simulated against analytic values (:func:`sim.validation.run`'s table): relative error
    per check with its 95% CI, and simulated against analytic on log axes."""
    fig = _figure(13, max(4.0, 0.28 * len(frame)))
    ax1, ax2 = fig.subplots(1, 2)
    labels = [f"{c} · {m}" for c, m in zip(frame["case"], frame["metric"], strict=True)]
    y = np.arange(len(frame))
    ax1.barh(y, frame["rel_error"].fillna(0.0) * 100, color=["#2ca02c" if p else "#d62728" for p in frame["passed"]])
    lo = (frame["ci95_low"] - frame["analytic"]) / frame["analytic"] * 100
    hi = (frame["ci95_high"] - frame["analytic"]) / frame["analytic"] * 100
    ax1.hlines(y, lo, hi, color="black", linewidth=1)
    ax1.axvline(0, color="grey", linewidth=0.8)
    ax1.set_yticks(y, labels, fontsize=7)
    ax1.invert_yaxis()
    ax1.set_xlabel("(simulated − analytic) / analytic (%; bar), 95% CI (line)")
    ax1.set_ylabel("case · check")
    ax1.set_title("Relative error per check (green: passed)")
    ax2.errorbar(frame["analytic"], frame["simulated"],
                 yerr=[frame["simulated"] - frame["ci95_low"], frame["ci95_high"] - frame["simulated"]],
                 fmt="o", ms=3, capsize=2)
    top = float(max(frame["analytic"].max(), frame["simulated"].max()) * 1.1)
    ax2.plot([1e-4, top], [1e-4, top], color="grey", linewidth=0.8)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("analytic value (min or probability, per check)")
    ax2.set_ylabel("simulated value, 95% CI (same unit)")
    ax2.set_title("Simulated against queueing theory")
    return fig

