"""The optimiser end to end on a small region: reproducible, cached, K = 0, bad region files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optimize import InfeasibleError, load_region, recommend
from optimize.method import moves
from sim.errors import ScenarioError
from sim.staffing import StaffingPlan

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

SMALL = f"""
[region]
name = "three outlets"
[headcount.pools]
wealth_manager = 3
[rules.service]
walkout_rate = 0.2
[rules.service.service_level]
cash = 0.5
[search]
step = 1
total_step = 1
combos = 1
screen_replications = 3

[[outlets]]
name = "Hill"
scenario = "{SCENARIOS / 'potential_outlet.toml'}"
vip_customers = 300
[outlets.overrides]
"staff.customer_manager.inside" = 5
[[outlets]]
name = "Lake"
scenario = "{SCENARIOS / 'potential_outlet.toml'}"
vip_customers = 200
[outlets.overrides]
"staff.cash_teller.count" = 3
[[outlets]]
name = "Park"
scenario = "{SCENARIOS / 'advancing_outlet.toml'}"
vip_customers = 400
"""


def _region(tmp_path: Path, extra: str = "", text: str = SMALL) -> Path:
    path = tmp_path / "region.toml"
    path.write_text(text + "\n" + extra if extra else text)
    return path


def _run(path: Path, **kw: Any) -> Any:
    options: dict[str, Any] = {"replications": 5, "seed": 3, "executor": "serial", "frontier": 1, "stage2": 3}
    options.update(kw)
    return recommend(load_region(path), **options)


def test_same_seed_same_recommendation_on_any_executor(tmp_path: Path) -> None:
    path = _region(tmp_path)
    a = _run(path)
    b = _run(path, executor="processes", workers=2)
    pd.testing.assert_frame_equal(a.plan, b.plan)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    assert a.uplift == b.uplift
    c = _run(path, seed=4)
    assert not c.kpis["mean"].equals(a.kpis["mean"])  # another seed: other customers


def test_recommendation_is_consistent(tmp_path: Path) -> None:
    rec = _run(_region(tmp_path))
    assert rec.status == "Optimal"
    assert rec.gap is not None
    assert rec.gap <= 1e-6
    chosen = rec.candidates[rec.candidates["chosen"]]
    assert sorted(chosen["outlet"]) == ["Hill", "Lake", "Park"]
    assert (chosen["status"] == "kept").all()
    assert rec.objective == pytest.approx(chosen["estimate_yuan"].sum())  # the shrunk estimates the MILP ranks by
    # the plan table is the chosen patterns' counts, today's counts beside them
    for _, row in chosen.iterrows():
        part = rec.plan[rec.plan["outlet"] == row["outlet"]].set_index(["role", "placement"])
        assert part.loc[("customer_manager", "inside"), "recommended"] == row["cm_inside"]
        assert part.loc[("cash_teller", "all"), "recommended"] == row["cash_teller"]
    assert (rec.plan["change"] == rec.plan["recommended"] - rec.plan["current"]).all()
    # counts: every generated pattern is accounted for
    assert rec.counts["generated"] == len(rec.candidates)
    assert rec.counts["simulated"] + rec.counts["dropped_analytic"] == rec.counts["generated"]
    # head-count within the budget (today's total)
    assert rec.headcount["recommended"] <= rec.headcount["budget"] == rec.headcount["current"]
    # the uplift interval is a paired one around its mean
    u = rec.uplift
    assert u["ci95_low"] <= u["mean"] <= u["ci95_high"]


def test_without_shrinkage_the_milp_ranks_by_the_raw_means(tmp_path: Path) -> None:
    rec = _run(_region(tmp_path), shrink=False)
    chosen = rec.candidates[rec.candidates["chosen"]]
    assert rec.objective == pytest.approx(chosen["objective_mean"].sum())
    assert (rec.candidates["estimate_yuan"].dropna() == rec.candidates["objective_mean"].dropna()).all()
    assert rec.candidates["prior_sd_yuan"].isna().all()


def test_cached_rerun_simulates_nothing(tmp_path: Path) -> None:
    path = _region(tmp_path)
    first = _run(path, cache_dir=tmp_path / "cache")
    assert first.counts["simulated_days"] > 0
    again = _run(path, cache_dir=tmp_path / "cache")
    assert again.counts["simulated_days"] == 0
    pd.testing.assert_frame_equal(first.plan, again.plan)


def test_no_transfers_returns_the_current_plan(tmp_path: Path) -> None:
    # today's plan meets every rule once Hill's customer managers are not all inside
    feasible_today = SMALL.replace('"staff.customer_manager.inside" = 5', '"staff.customer_manager.inside" = 2')
    path = _region(tmp_path, text=feasible_today.replace("[search]", "[rules.transfers]\nmax_moves = 0\n[search]"))
    rec = _run(path)
    assert (rec.plan["change"] == 0).all()
    assert rec.uplift["mean"] == 0.0  # same plan, same fresh seeds: identical days
    free = _run(_region(tmp_path, text=feasible_today))
    assert (free.plan["change"] != 0).any()  # without the limit, the optimiser does move people


def test_moves_count_people_placed_differently() -> None:
    now = StaffingPlan.of({"cash_teller": 3, "customer_manager": 6}, 6)
    assert moves(now, now) == 0
    assert moves(now, StaffingPlan.of({"cash_teller": 2, "customer_manager": 7}, 6)) == 1
    assert moves(now, StaffingPlan.of({"cash_teller": 3, "customer_manager": 6}, 3)) == 3


def test_infeasible_region_is_diagnosed(tmp_path: Path) -> None:
    path = _region(tmp_path, text=SMALL.replace("wealth_manager = 3", "customer_manager = 12"))
    with pytest.raises(InfeasibleError) as err:
        _run(path, frontier=0)
    text = "\n".join(err.value.diagnosis)
    assert "customer_manager pool 12" in text
    assert "3 over" in text  # three outlets x at least 5 = 15 > 12


@pytest.mark.parametrize(("edit", "field"), [
    (("[search]", "[search]\ncolour = 1"), "search.colour"),
    (("potential_outlet.toml", "missing_outlet.toml"), "outlets[0].scenario"),
    (("wealth_manager = 3", "outlet_head = 1"), "headcount.pools.outlet_head"),
    (("wealth_manager = 3", "chief = 2"), "headcount.pools.chief"),
    (("[search]", "[rules.transfers]\nmax_moves = -1\n[search]"), "rules.transfers.max_moves"),
    (("[search]", "[rules.tiers.bounds.potential]\nmin = 12\nmax = 9\n[search]"), "rules.tiers.bounds.potential.max"),
    (("cash = 0.5", "vault = 0.5"), "rules.service.service_level.vault"),
    (('name = "Lake"', 'name = "Hill"'), "outlets"),
    (("[search]", "[rules.inside_outside]\nlow = 2\nhigh = 1\n[search]"), "rules.inside_outside.high"),
])
def test_bad_region_names_file_and_field(tmp_path: Path, edit: tuple[str, str], field: str) -> None:
    path = _region(tmp_path, text=SMALL.replace(*edit, 1))
    with pytest.raises(ScenarioError) as err:
        load_region(path)
    assert str(path) in str(err.value)
    assert field in str(err.value)
    assert "\n" not in str(err.value)


def test_region_defaults_follow_the_domain_notes(tmp_path: Path) -> None:
    region = load_region(_region(tmp_path))
    assert region.policy.min_customer_managers == 5
    assert region.policy.inside_outside is not None
    assert (region.policy.inside_outside.low, region.policy.inside_outside.high) == (0.8, 1.25)
    assert region.policy.vip is not None
    assert region.policy.vip.maintainers_per_vip == 2
    assert region.policy.total_headcount == region.current_total
    assert "outlet_head" not in region.movable
    shipped = load_region(SCENARIOS / "region_12_outlets.toml")
    assert len(shipped.outlets) == 12
    assert {o.tier for o in shipped.outlets} == {"flagship", "backbone", "advancing", "potential"}
    assert np.mean([o.vip_customers for o in shipped.outlets]) > 0


def test_auto_tier_is_classified_from_simulated_results(tmp_path: Path) -> None:
    # Hill: a flagship scenario with a potential outlet's traffic; Park: a real flagship
    text = SMALL.replace(f'name = "Hill"\nscenario = "{SCENARIOS / "potential_outlet.toml"}"',
                         f'name = "Hill"\nscenario = "{SCENARIOS / "flagship_outlet.toml"}"\ntier = "auto"')
    text = text.replace('"staff.customer_manager.inside" = 5', '"staff.customer_manager.inside" = 5\n'
                        '"arrivals.daily_customers" = 150')
    text = text.replace(f'scenario = "{SCENARIOS / "advancing_outlet.toml"}"',
                        f'scenario = "{SCENARIOS / "flagship_outlet.toml"}"\ntier = "auto"')
    text = text.replace("wealth_manager = 3", "wealth_manager = 6")
    # Lake carries a tier its simulated results do not support: kept, and reported
    text = text.replace('name = "Lake"\n', 'name = "Lake"\ntier = "advancing"\n')
    text = text.replace("[search]", "[rules.tiers]\nmonotone = false\n[search]")  # Lake is no real advancing outlet
    assert text.count('tier = "auto"') == 2
    assert 'tier = "advancing"' in text
    rec = _run(_region(tmp_path, text=text), frontier=0)
    tiers = rec.plan.groupby("outlet")["tier"].first().to_dict()
    # ~650 customers and ~50,000 yuan a day pass the flagship thresholds (500, 40,000);
    # 150 customers a day pass none, whatever the scenario file calls itself
    assert tiers == {"Hill": "potential", "Lake": "advancing", "Park": "flagship"}
    assert rec.tier_moves == (("Lake", "advancing", "potential"),)
    assert rec.summary()["tier_moves"] == [{"outlet": "Lake", "tier": "advancing", "simulated_tier": "potential"}]
