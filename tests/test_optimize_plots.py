"""The optimiser's charts draw exactly the recommendation's numbers, with labelled units, and save to PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure

from optimize.plots import (
    OUTSIDE_HATCH,
    plot_candidates,
    plot_frontier,
    plot_moves,
    plot_value,
    series_label,
)
from sim.plots import ROLE_COLOURS, png_bytes, save_figure
from tests.fake_recommendation import OUTLETS, make_recommendation

REC = make_recommendation()
NAMES = [o for o, _ in OUTLETS]


def _bars(fig: Figure) -> dict[str, BarContainer]:
    return {c.get_label(): c for c in fig.axes[0].containers if isinstance(c, BarContainer)}


def test_moves_one_series_per_changed_role_with_the_plan_changes() -> None:
    fig = plot_moves(REC.plan)
    ax = fig.axes[0]
    bars = _bars(fig)
    # by hand from the fixture: cash -1 at Central Plaza; low counter +1 at Old Town; CMs moved outside
    assert list(bars) == ["cash_teller", "low_counter_teller", "customer_manager (inside)",
                          "customer_manager (outside)"]
    widths = {label: [p.get_width() for p in c.patches] for label, c in bars.items()}
    assert widths["customer_manager (inside)"] == [-2, -2, -1]
    assert widths["customer_manager (outside)"] == [3, 2, 1]
    net = np.sum(list(widths.values()), axis=0)
    expected = REC.plan.groupby("outlet", sort=False)["change"].sum().reindex(NAMES).to_numpy()
    assert net.tolist() == expected.tolist()
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES
    assert "people" in ax.get_xlabel()


def test_moves_stack_without_overlap_and_use_role_colours() -> None:
    bars = _bars(plot_moves(REC.plan))
    # Central Plaza (row 0): cash -1 from 0, CMs inside -2 from -1; outside +3 from 0
    row0 = {label: (c.patches[0].get_x(), c.patches[0].get_width()) for label, c in bars.items()}
    assert row0["cash_teller"] == (0, -1)
    assert row0["customer_manager (inside)"] == (-1, -2)
    assert row0["customer_manager (outside)"] == (0, 3)
    for label, c in bars.items():
        role = label.split(" ")[0]
        assert to_hex(c.patches[0].get_facecolor()) == ROLE_COLOURS[role]
        assert (c.patches[0].get_hatch() == OUTSIDE_HATCH) == label.endswith("(outside)")


def test_moves_of_an_unchanged_plan_say_so() -> None:
    plan = REC.plan.assign(recommended=REC.plan["current"], change=0)
    fig = plot_moves(plan)
    assert _bars(fig) == {}
    assert any("no one moves" in t.get_text() for t in fig.axes[0].texts)


def test_moves_of_a_large_region_show_the_outlets_that_move_most() -> None:
    fig = plot_moves(REC.plan, max_outlets=2)
    ax = fig.axes[0]
    # people moved (|change| summed): Central Plaza 6, Old Town 5, Harbour 2
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES[:2]
    assert "2 of 3 outlets shown" in ax.get_title()


def test_series_label() -> None:
    assert series_label("cash_teller", "all") == "cash_teller"
    assert series_label("customer_manager", "outside") == "customer_manager (outside)"


def _segments(container: ErrorbarContainer) -> list[tuple[float, float]]:
    cols = [c for c in container.lines[2] if isinstance(c, LineCollection)]
    return [(float(s[0][0]), float(s[1][0])) for s in cols[0].get_segments()]


def test_value_points_and_intervals_are_the_verification_kpis() -> None:
    fig = plot_value(REC.kpis)
    ax = fig.axes[0]
    series = {c.get_label(): c for c in ax.containers if isinstance(c, ErrorbarContainer)}
    assert set(series) == {"current", "recommended"}
    for plan, container in series.items():
        rows = REC.kpis[(REC.kpis["plan"] == plan) & (REC.kpis["kpi"] == "objective")].set_index("outlet")
        x = container.lines[0].get_xdata()
        assert list(x) == rows.loc[NAMES, "mean"].tolist()
        assert _segments(container) == list(zip(rows.loc[NAMES, "ci95_low"], rows.loc[NAMES, "ci95_high"],
                                                strict=True))
    assert "yuan/day" in ax.get_xlabel()
    assert "current 9,000 [8,945, 9,055] → recommended 9,450 [9,395, 9,505]" in ax.get_title()


def test_value_of_a_large_region_shows_the_outlets_that_change_most() -> None:
    bump = (REC.kpis["plan"] == "recommended") & (REC.kpis["outlet"] == NAMES[2]) & (REC.kpis["kpi"] == "objective")
    kpis = REC.kpis.assign(mean=REC.kpis["mean"].where(~bump, REC.kpis["mean"] + 500.0))  # Harbour gains 650
    ax = plot_value(kpis, max_outlets=1).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [NAMES[2]]
    assert "1 of 3 outlets shown" in ax.get_title()


def test_value_of_another_kpi_with_unknown_intervals_draws_no_whisker() -> None:
    kpis = REC.kpis.assign(ci95_low=np.nan, ci95_high=np.nan)
    fig = plot_value(kpis, kpi="walkout_rate", label="walk-out rate (share of arrivals)")
    ax = fig.axes[0]
    for container in ax.containers:
        assert all(lo == hi for lo, hi in _segments(container))
    assert ax.get_xlabel() == "walk-out rate (share of arrivals)"
    assert "region total" not in ax.get_title()  # the region's walk-out rate is NaN in the fixture


def test_frontier_line_budget_marker_and_marginal_bars() -> None:
    fig = plot_frontier(REC.frontier, budget=37)
    top, bottom = fig.axes
    line = next(ln for ln in top.get_lines() if ln.get_label() == "optimal objective")
    assert list(line.get_xdata()) == [36, 37, 38, 39]
    assert list(line.get_ydata()) == [6200.0, 6450.0, 6600.0, 6650.0]
    crosses = next(ln for ln in top.get_lines() if ln.get_label() == "no feasible plan")
    assert list(crosses.get_xdata()) == [35]
    for ax in (top, bottom):
        assert any(list(ln.get_xdata()) == [37, 37] for ln in ax.get_lines())
    heights = [p.get_height() for p in bottom.patches]
    assert heights == [250.0, 150.0, 50.0]  # 6450 − 6200, 6600 − 6450, 6650 − 6600; 36 follows an infeasible 35
    assert "people" in bottom.get_xlabel()
    assert "yuan/day" in top.get_ylabel()
    assert "yuan/day per person" in bottom.get_ylabel()


def test_frontier_when_none_was_computed() -> None:
    empty = pd.DataFrame(columns=["budget", "delta", "status", "objective", "marginal_yuan"], dtype=float)
    fig = plot_frontier(empty, budget=37)
    assert any("no frontier" in t.get_text() for t in fig.axes[0].texts)


def test_candidates_one_axes_per_outlet_with_the_chosen_pattern_starred() -> None:
    fig = plot_candidates(REC.candidates)
    shown = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in shown] == NAMES
    for ax, name in zip(shown, NAMES, strict=True):
        rows = REC.candidates[REC.candidates["outlet"] == name]
        by_label = {c.get_label(): c.get_offsets() for c in ax.collections}
        chosen = rows[rows["chosen"]]
        assert by_label["chosen"].tolist() == chosen[["total", "objective_mean"]].to_numpy().tolist()
        today = rows[rows["origin"] == "current"]
        assert by_label["today's plan"].tolist() == today[["total", "objective_mean"]].to_numpy().tolist()
        # the dropped pattern has no estimate: 3 of the 4 patterns drawn (2 kept, 1 pruned)
        assert len(by_label["kept"]) == 2
        assert len(by_label["pruned or failed"]) == 1
    assert "people" in fig.get_supxlabel()
    assert "yuan/day" in fig.get_supylabel()


def test_candidates_of_a_large_region_show_the_first_outlets() -> None:
    fig = plot_candidates(REC.candidates, max_outlets=2)
    assert [ax.get_title() for ax in fig.axes if ax.axison] == NAMES[:2]
    assert "first 2 of 3 outlets" in fig.get_suptitle()


@pytest.mark.parametrize("chart", ["moves", "value", "frontier", "candidates"])
def test_every_chart_saves_to_png(chart: str, tmp_path: Path) -> None:
    figs = {"moves": lambda: plot_moves(REC.plan), "value": lambda: plot_value(REC.kpis),
            "frontier": lambda: plot_frontier(REC.frontier, 37), "candidates": lambda: plot_candidates(REC.candidates)}
    fig = figs[chart]()
    assert png_bytes(fig, dpi=40).startswith(b"\x89PNG\r\n\x1a\n")
    save_figure(fig, tmp_path / f"{chart}.png", dpi=40)
    assert (tmp_path / f"{chart}.png").read_bytes().startswith(b"\x89PNG")
