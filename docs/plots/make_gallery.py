"""Draw one PNG of each chart of ``sim.plots`` into this folder (the README's gallery).

Run from the repository root: ``python docs/plots/make_gallery.py`` (about twelve minutes,
most of it the full validation set). Seeds are fixed, so the charts are reproducible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import sim
from sim import analysis, plots, validation
from sim.replicate import interval

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parents[1] / "scenarios"
SEED = 7


def day_charts(scenario: sim.Scenario, days: int) -> None:
    """The charts of one outlet's day, and two staffing variants compared."""
    logs = [sim.simulate(scenario, seed=SEED, replication=r) for r in range(days)]
    result = sim.replicate(scenario, n=days, seed=SEED)
    plots.save_figure(plots.plot_queue_by_zone(analysis.queue_profile(logs), scenario), HERE / "queue_by_zone.png")
    plots.save_figure(plots.plot_wait_ecdf(analysis.wait_samples(logs), scenario), HERE / "wait_ecdf.png")
    plots.save_figure(plots.plot_utilisation_heatmap(analysis.utilisation_profile(logs), scenario),
                      HERE / "utilisation_heatmap.png")
    plots.save_figure(plots.plot_value_waterfall(analysis.value_breakdown(logs)), HERE / "value_waterfall.png")
    plots.save_figure(plots.plot_outlet_summary(result), HERE / "outlet_summary.png")
    plan = scenario.staffing_plan()
    more = sim.StaffingPlan.of(dict(plan.counts), cm_inside=plan.cm_inside + 1)
    alt = sim.replicate(scenario.with_staffing(more), n=days, seed=SEED)
    kpis = ["value_yuan", "field_new_customers", "non_cash.mean_wait_min", "wealth.service_level"]
    fig = plots.plot_variants(result, alt, kpis, names=(f"{plan.cm_inside} CMs inside", f"{more.cm_inside} CMs inside"))
    plots.save_figure(fig, HERE / "variants.png")


def sweep_charts(days: int) -> None:
    """Sweep heatmap and line over the surge x tellers x referral-conversion grid."""
    design = sim.load_sweep_file(SCENARIOS / "sweep_surge_tellers_referrals.toml")
    rows = []
    for i, point in enumerate(design.points):
        result = sim.replicate(sim.with_overrides(design.base, point), n=days, seed=design.seed_of(i))
        row: dict[str, Any] = dict(point)
        for kpi in ("cash.service_level", "value_yuan"):
            ci = interval(analysis.per_day(result, kpi))
            row |= {f"{kpi}_mean": ci.mean, f"{kpi}_ci95_low": ci.low, f"{kpi}_ci95_high": ci.high}
        rows.append(row)
    summary = pd.DataFrame(rows)
    plots.save_figure(plots.plot_sweep(summary, "cash.service_level", "arrivals.surge_factor",
                                       "staff.cash_teller.count"), HERE / "sweep_heatmap.png")
    plots.save_figure(plots.plot_sweep(summary, "value_yuan", "sales.referral_conversion"), HERE / "sweep_line.png")


def sensitivity_chart(base: sim.Scenario, n: int, days: int) -> None:
    """Sobol indices of surge, cash tellers and referral conversion."""
    names = ["arrivals.surge_factor", "staff.cash_teller.count", "sales.referral_conversion"]
    outputs = ["cash.service_level", "value_yuan"]

    def outcomes(x: np.ndarray) -> np.ndarray:
        out = np.empty((len(outputs), x.shape[1]))
        for j, (surge, tellers, conversion) in enumerate(x.T):
            point = dict(zip(names, (float(surge), int(tellers), float(conversion)), strict=True))
            result = sim.replicate(sim.with_overrides(base, point), n=days, seed=SEED)
            out[:, j] = [np.nanmean(analysis.per_day(result, kpi)) for kpi in outputs]
        return out

    dists = [stats.uniform(0.8, 1.2), stats.randint(1, 5), stats.uniform(0.2, 0.4)]
    indices = analysis.sobol_sensitivity(outcomes, dists, names, outputs, n=n, seed=1)
    plots.save_figure(plots.plot_sensitivity(indices), HERE / "sensitivity.png")


def main() -> None:
    backbone = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    day_charts(backbone, 30)
    sweep_charts(5)
    sensitivity_chart(backbone, 128, 3)
    # The full set (about 9 minutes): the README's Validation section describes this chart.
    plots.save_figure(plots.plot_validation(validation.run(quick=False)), HERE / "validation.png")


if __name__ == "__main__":
    main()
