"""The planner's charts (sim.plots) and the tables behind them (sim.analysis).

The tables are checked against the KPIs of sim.metrics, computed independently: a
queue profile's time average is the zone's queue_len_mean, hourly busy over duty is
the role's utilisation, and so on. Each chart is drawn on a small result and checked
for its artists, axis labels (with units) and colours, then saved as a PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import sim
from sim import analysis, plots
from sim.codes import ROLES, ZONES
from sim.metrics import OUTLET_KPIS, ROLE_KPIS, ZONE_KPIS
from sim.replicate import collect

BACKBONE = Path(__file__).resolve().parents[1] / "scenarios" / "backbone_outlet.toml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    # A warm-up, so the tables must leave early customers out as the KPIs do.
    return sim.with_overrides(sim.load_scenario(BACKBONE), {"outlet.warmup_min": 30})


@pytest.fixture(scope="module")
def logs(scenario: sim.Scenario) -> list[sim.DayLog]:
    return [sim.simulate(scenario, seed=11, replication=r) for r in range(4)]


@pytest.fixture(scope="module")
def result(scenario: sim.Scenario, logs: list[sim.DayLog]) -> sim.Replications:
    return collect(scenario, 11, sim.batch_kpis(logs))


def _colours(fig: Figure) -> set[str]:
    """Face colours of every bar and filled area, and colours of every line, in ``fig``."""
    found = {to_hex(line.get_color()) for ax in fig.axes for line in ax.lines}
    found |= {to_hex(p.get_facecolor(), keep_alpha=False) for ax in fig.axes for p in ax.patches}
    for ax in fig.axes:
        for coll in ax.collections:
            found |= {to_hex(c, keep_alpha=False) for c in coll.get_facecolor()}
    return found


def _saved(fig: Figure, tmp_path: Path) -> None:
    path = tmp_path / "chart.png"
    plots.save_figure(fig, path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


# --- the tables, against the KPIs ----------------------------------------------------------


def test_queue_profile_averages_to_the_zone_queue_length(scenario: sim.Scenario) -> None:
    # queue_len_mean averages from the warm-up on; the profile covers the whole day.
    scen = sim.with_overrides(scenario, {"outlet.warmup_min": 0})
    day = [sim.simulate(scen, seed=3, replication=r) for r in range(2)]
    profile = analysis.queue_profile(day, bin_min=20.0)
    kpis = sim.batch_kpis(day)
    for r, log in enumerate(day):
        end = max(scen.outlet.day_min, float(np.nanmax(log.visit_end_min)))
        rows = profile[profile["replication"] == r]
        for zone, got in (rows.groupby("zone")["queue_len"].sum() * 20.0 / end).items():
            want = kpis[r].zones[ZONES.index(str(zone)), ZONE_KPIS.index("queue_len_mean")]
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert set(profile["zone"]) == {"lobby", "cash", "non_cash", "self_service", "wealth"}
    with pytest.raises(ValueError, match="bin_min"):
        analysis.queue_profile(day, bin_min=0)


def test_utilisation_profile_sums_to_the_role_utilisation(logs: list[sim.DayLog]) -> None:
    profile = analysis.utilisation_profile(logs)
    kpis = sim.batch_kpis(logs)
    for r in range(len(logs)):
        sums = profile[profile["replication"] == r].groupby("role")[["busy_min", "duty_min"]].sum()
        for role, row in sums.iterrows():
            want = kpis[r].by_role[ROLES.index(str(role)), ROLE_KPIS.index("utilisation")]
            assert row["busy_min"] / row["duty_min"] == pytest.approx(want, rel=1e-9)
    assert (profile["utilisation"].dropna() >= 0).all()
    assert (profile["utilisation"].dropna() <= 1 + 1e-9).all()   # overtime past lunch or close is not counted


def test_wait_samples_are_the_waits_behind_mean_wait(logs: list[sim.DayLog]) -> None:
    waits = analysis.wait_samples(logs)
    kpis = sim.batch_kpis(logs)
    for r in range(len(logs)):
        means = waits[waits["replication"] == r].groupby("zone")["wait_min"].mean()
        for zone, got in means.items():
            assert got == pytest.approx(kpis[r].zones[ZONES.index(str(zone)), ZONE_KPIS.index("mean_wait_min")])
    assert (waits["wait_min"] >= 0).all()


def test_value_breakdown_adds_up_to_value_earned_and_lost(logs: list[sim.DayLog]) -> None:
    table = analysis.value_breakdown(logs)
    kpis = sim.batch_kpis(logs)
    for r in range(len(logs)):
        rows = table[table["replication"] == r]
        earned = rows.loc[rows["source"] != "lost", "yuan"].sum()
        lost = -rows.loc[rows["source"] == "lost", "yuan"].sum()
        assert earned == pytest.approx(kpis[r].outlet[OUTLET_KPIS.index("value_yuan")], rel=1e-12)
        assert lost == pytest.approx(kpis[r].outlet[OUTLET_KPIS.index("value_lost_yuan")], rel=1e-12)
    assert set(table["source"]) == {"fees", "products", "field", "lost"}


def test_paired_difference_matches_the_paired_t_test() -> None:
    from scipy import stats

    rng = np.random.default_rng(5)
    a = rng.normal(10, 3, 12)
    b = a + rng.normal(0.5, 0.4, 12)
    d = analysis.paired_difference(a, b)
    ci = stats.ttest_rel(b, a).confidence_interval(0.95)
    assert (d.mean, d.ci95_low, d.ci95_high, d.n) == pytest.approx((np.mean(b - a), ci.low, ci.high, 12), rel=1e-9)
    assert analysis.paired_difference([1.0, np.nan, 3.0, 4.0], [2.0, 5.0, 3.5, 6.0]).n == 3
    with pytest.raises(ValueError, match="equal-length"):
        analysis.paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least 2"):
        analysis.paired_difference([1.0], [2.0])


def test_common_random_numbers_narrow_the_difference(scenario: sim.Scenario, result: sim.Replications) -> None:
    plan = scenario.staffing_plan()
    more = scenario.with_staffing(sim.StaffingPlan.of(dict(plan.counts), plan.cm_inside + 1))
    paired = sim.replicate(more, n=result.n, seed=result.seed)
    other = sim.replicate(more, n=result.n, seed=result.seed + 1)
    a = analysis.per_day(result, "non_cash.mean_wait_min")
    crn = analysis.paired_difference(a, analysis.per_day(paired, "non_cash.mean_wait_min"))
    independent = analysis.paired_difference(a, analysis.per_day(other, "non_cash.mean_wait_min"))
    assert crn.std < independent.std


def test_per_day_reads_outlet_and_zone_kpis(result: sim.Replications) -> None:
    np.testing.assert_array_equal(analysis.per_day(result, "served"), result.days["served"].to_numpy())
    cash = result.zone_days[result.zone_days["zone"] == "cash"]["service_level"].to_numpy()
    np.testing.assert_array_equal(analysis.per_day(result, "cash.service_level"), cash)
    with pytest.raises(ValueError, match=r"'vault\.service_level' is neither"):
        analysis.per_day(result, "vault.service_level")


def test_sobol_indices_of_a_linear_function() -> None:
    from scipy import stats

    # y = 2 x1 + x2 with independent U(0, 1) inputs: first-order indices 4/5, 1/5 and 0.
    table = analysis.sobol_sensitivity(lambda x: np.atleast_2d(2 * x[0] + x[1]), [stats.uniform()] * 3,
                                       ["a", "b", "c"], ["y"], n=1024, seed=1, resamples=100)
    first = table[table["order"] == "first"].set_index("input")
    assert first["index"].to_numpy() == pytest.approx([0.8, 0.2, 0.0], abs=0.05)
    assert (first["ci95_low"] <= first["index"])[["a", "b"]].all()
    assert (first["index"] <= first["ci95_high"])[["a", "b"]].all()
    assert (first.loc["a", "ci95_low"] > first.loc["b", "ci95_high"])  # "a" matters more, beyond doubt


# --- the charts ------------------------------------------------------------------------------


def test_each_zone_and_role_has_its_own_colour() -> None:
    assert set(plots.ZONE_COLOURS) == set(ZONES)
    assert set(plots.ROLE_COLOURS) == set(ROLES)
    colours = [*plots.ZONE_COLOURS.values(), *plots.ROLE_COLOURS.values()]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize(("name", "label"), [
    ("staff.cash_teller.count", "cash_teller count (people)"),
    ("arrivals.surge_factor", "surge_factor (× base arrivals)"),
    ("cash.service_level", "cash service_level (share of customers)"),
    ("value_yuan", "value_yuan (yuan/day)"),
    ("zones.cash.target_wait_min", "cash target_wait_min (min)"),
])
def test_axis_labels_carry_units(name: str, label: str) -> None:
    assert plots.axis_label(name) == label


def test_queue_chart(logs: list[sim.DayLog], tmp_path: Path) -> None:
    profile = analysis.queue_profile(logs)
    fig = plots.plot_queue_by_zone(profile, logs[0].scenario)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(pd.unique(profile["zone"]))
    assert len(ax.lines) == len(ax.collections) == profile["zone"].nunique()
    assert {plots.ZONE_COLOURS[z] for z in profile["zone"]} <= _colours(fig)
    mean = profile[profile["zone"] == "non_cash"].groupby("start_min")["queue_len"].mean().to_numpy()
    line = ax.lines[list(pd.unique(profile["zone"])).index("non_cash")]
    np.testing.assert_allclose(line.get_ydata(), mean)
    assert "clock" in ax.get_xlabel()
    assert "customers" in ax.get_ylabel()
    _saved(fig, tmp_path)


def test_wait_chart(logs: list[sim.DayLog], tmp_path: Path) -> None:
    waits = analysis.wait_samples(logs)
    fig = plots.plot_wait_ecdf(waits, logs[0].scenario)
    zones = list(pd.unique(waits["zone"]))
    assert [ax.get_xlabel() for ax in fig.axes] == [f"{z} wait (min)" for z in zones]
    for ax, zone in zip(fig.axes, zones, strict=True):
        target = logs[0].scenario.zones[zone].target_wait_min
        ecdf, target_line = ax.lines
        assert target_line.get_xdata()[0] == target
        assert to_hex(ecdf.get_color()) == plots.ZONE_COLOURS[zone]
        assert ecdf.get_ydata().max() == pytest.approx(1.0)
        share = np.mean(waits.loc[waits["zone"] == zone, "wait_min"] <= target)
        assert ax.get_title() == f"{zone}: {share:.0%} within target"
    assert "share" in fig.axes[0].get_ylabel()
    _saved(fig, tmp_path)


def test_utilisation_heatmap(logs: list[sim.DayLog], tmp_path: Path) -> None:
    profile = analysis.utilisation_profile(logs)
    fig = plots.plot_utilisation_heatmap(profile, logs[0].scenario)
    ax = fig.axes[0]
    roles = [t.get_text() for t in ax.get_yticklabels()]
    assert roles == [r for r in ROLES if r in set(profile["role"])]
    assert [to_hex(t.get_color()) for t in ax.get_yticklabels()] == [plots.ROLE_COLOURS[r] for r in roles]
    grid = ax.images[0].get_array()
    teller = profile[profile["role"] == "cash_teller"]
    first = teller[teller["start_min"] == 0]
    assert grid[roles.index("cash_teller"), 0] == pytest.approx(first["busy_min"].sum() / first["duty_min"].sum())
    assert "hh:mm" in ax.get_xlabel()
    assert "role" in ax.get_ylabel()
    assert "minutes" in fig.axes[1].get_ylabel()  # the colour bar
    _saved(fig, tmp_path)


def test_value_waterfall(logs: list[sim.DayLog], tmp_path: Path) -> None:
    table = analysis.value_breakdown(logs)
    fig = plots.plot_value_waterfall(table)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "fees: cash" in labels
    assert "products: customer_manager" in labels
    assert labels[-1] == "earned − lost"
    bars = ax.patches
    earned = table.loc[table["source"] != "lost"].groupby("replication")["yuan"].sum().mean()
    net = table.groupby("replication")["yuan"].sum().mean()
    assert bars[labels.index("value earned")].get_height() == pytest.approx(earned)
    assert bars[-1].get_height() == pytest.approx(net)
    assert to_hex(bars[labels.index("fees: cash")].get_facecolor(), keep_alpha=False) == plots.ZONE_COLOURS["cash"]
    assert to_hex(bars[labels.index("products: customer_manager")].get_facecolor(),
                  keep_alpha=False) == plots.ROLE_COLOURS["customer_manager"]
    assert "yuan/day" in ax.get_ylabel()
    _saved(fig, tmp_path)


def test_outlet_summary(result: sim.Replications, tmp_path: Path) -> None:
    fig = plots.plot_outlet_summary(result)
    left, right = fig.axes
    names = [t.get_text() for t in left.get_xticklabels()]
    assert "cash" in names
    assert "waiting" not in names
    assert [to_hex(p.get_facecolor(), keep_alpha=False) for p in left.patches] == [plots.ZONE_COLOURS[z]
                                                                                     for z in names]
    value = result.outlet.set_index("kpi").loc["value_yuan", "mean"]
    assert right.patches[0].get_height() == pytest.approx(value)
    assert "share" in left.get_ylabel()
    assert "yuan/day" in right.get_ylabel()
    _saved(fig, tmp_path)


def test_variants_chart(scenario: sim.Scenario, result: sim.Replications, tmp_path: Path) -> None:
    plan = scenario.staffing_plan()
    more = sim.replicate(scenario.with_staffing(sim.StaffingPlan.of(dict(plan.counts), plan.cm_inside + 1)),
                         n=result.n, seed=result.seed)
    fig = plots.plot_variants(result, more, ["value_yuan", "non_cash.mean_wait_min"], names=("now", "one more"))
    assert len(fig.axes) == 4
    d = analysis.paired_difference(analysis.per_day(result, "value_yuan"), analysis.per_day(more, "value_yuan"))
    point = fig.axes[1].lines[0]
    assert point.get_xdata()[0] == pytest.approx(d.mean)
    assert fig.axes[1].get_xlabel() == "one more − now: value_yuan (yuan/day)"
    assert fig.axes[2].get_xlabel() == "non_cash mean_wait_min (min)"
    assert [to_hex(p.get_facecolor(), keep_alpha=False) for p in fig.axes[0].patches] == list(plots.VARIANT_COLOURS)
    _saved(fig, tmp_path)
    unpaired = sim.replicate(scenario, n=result.n, seed=result.seed + 1)
    with pytest.raises(ValueError, match="not paired"):
        plots.plot_variants(result, unpaired, ["value_yuan"])


def _summary() -> pd.DataFrame:
    """A sweep summary shaped like load_sweep's: 3 cash teller counts x 4 inside CMs."""
    rows = []
    for tellers in (2, 3, 4):
        for inside in (1, 2, 3, 4):
            mean = 1000.0 * inside + 10.0 * tellers
            rows.append({"staff.cash_teller.count": tellers, "staff.customer_manager.inside": inside,
                         "value_yuan_mean": mean, "value_yuan_ci95_low": mean - 50, "value_yuan_ci95_high": mean + 50})
    return pd.DataFrame(rows)


def test_sweep_line_with_ci_band(tmp_path: Path) -> None:
    fig = plots.plot_sweep(_summary(), "value_yuan", "staff.customer_manager.inside")
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1030.0, 2030.0, 3030.0, 4030.0])  # mean over tellers
    assert len(ax.collections) == 1  # the CI band
    assert ax.get_xlabel() == "customer_manager inside (people)"
    assert ax.get_ylabel() == "value_yuan (yuan/day)"
    _saved(fig, tmp_path)


def test_sweep_heatmap(tmp_path: Path) -> None:
    fig = plots.plot_sweep(_summary(), "value_yuan", "staff.cash_teller.count", "staff.customer_manager.inside")
    ax = fig.axes[0]
    grid = ax.images[0].get_array()
    assert grid.shape == (4, 3)
    assert grid[0, 2] == 4040.0  # top row = most CMs inside, right column = most tellers
    assert ax.get_xlabel() == "cash_teller count (people)"
    assert ax.get_ylabel() == "customer_manager inside (people)"
    assert fig.axes[1].get_ylabel() == "value_yuan (yuan/day), mean"
    _saved(fig, tmp_path)


def test_sensitivity_chart(tmp_path: Path) -> None:
    table = pd.DataFrame([(out, inp, order, v, v - 0.05, v + 0.05) for out in ("value_yuan", "cash.service_level")
                          for inp, v in (("arrivals.surge_factor", 0.6), ("staff.cash_teller.count", 0.3))
                          for order in ("first", "total")],
                         columns=["output", "input", "order", "index", "ci95_low", "ci95_high"])
    fig = plots.plot_sensitivity(table)
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == pytest.approx([0.6, 0.3, 0.6, 0.3])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["surge_factor", "cash_teller count"]
    assert ax.get_title() == "value_yuan (yuan/day)"
    assert "share of output variance" in ax.get_ylabel()
    _saved(fig, tmp_path)


def test_validation_chart(tmp_path: Path) -> None:
    frame = pd.DataFrame({"case": ["M/M/1", "M/M/3"], "metric": ["mean_wait_min", "P(wait<=t)"],
                          "simulated": [1.01, 0.52], "ci95_low": [0.98, 0.51], "ci95_high": [1.04, 0.53],
                          "analytic": [1.0, 0.56], "rel_error": [0.01, -0.0714], "passed": [True, False]})
    fig = plots.plot_validation(frame)
    bars, scatter = fig.axes
    assert [p.get_width() for p in bars.patches] == pytest.approx([1.0, -7.14])
    assert [to_hex(p.get_facecolor(), keep_alpha=False) for p in bars.patches] == ["#2ca02c", "#d62728"]
    assert "%" in bars.get_xlabel()
    assert "analytic value" in scatter.get_xlabel()
    _saved(fig, tmp_path)


def test_save_figure_leaves_nothing_on_failure(tmp_path: Path) -> None:
    fig = plots.plot_sweep(_summary(), "value_yuan", "staff.customer_manager.inside")
    with pytest.raises(ValueError, match="not supported"):
        plots.save_figure(fig, tmp_path / "chart.notaformat")
    assert list(tmp_path.iterdir()) == []
