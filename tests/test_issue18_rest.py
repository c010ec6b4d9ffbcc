"""Issue 18's last code items; each test failed before its fix.

- item 9: ``tier = "auto"`` reached the quarter study unresolved (``outlets.csv`` carried ``auto``);
- a day type's volume times an outlet's own ``arrivals.surge_factor`` passed the scenario's limits and
  failed late, in the optimiser's state, instead of at region load;
- ``optimize.region`` imported the private ``sim.scenario._field_by_field``.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest

from branchlab.cli import main
from optimize.quarters import QuarterRules, load_study, run_quarters
from optimize.region import load_region
from optimize.tiers import classify
from sim.codes import TIERS
from sim.errors import ScenarioError
from sim.scenario import flatten_overrides
from tests.conftest import ROOT
from tests.test_optimize_hostile import OUTLET_A, region_text, write_region

AUTO_B = ('[[outlets]]\nname = "B"\nscenario = "potential_outlet.toml"\ntier = "auto"\n'
          '[outlets.overrides]\n"arrivals.daily_customers" = 200\n')
GIVEN_A = OUTLET_A + 'tier = "flagship"\n'  # a tier its simulation does not support: kept, as given


def _short_rules() -> QuarterRules:
    rules = QuarterRules()
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=2))


def test_auto_tier_is_resolved_from_the_first_quarter(tmp_path: Path) -> None:
    path = write_region(tmp_path, region_text(outlets=GIVEN_A + AUTO_B))
    study = load_study([path])
    assert study.tiers == ("flagship", "auto")
    rules = _short_rules()
    res = run_quarters(study, rules, quarters=2, replications=2, seed=1)
    tiers = res.outlets.groupby("outlet")["tier"].unique()
    assert list(tiers["A"]) == ["flagship"]
    assert len(tiers["B"]) == 1  # one carried tier, every quarter and replication
    assert tiers["B"][0] in TIERS
    first = res.outlets[res.outlets["quarter"] == 1].groupby("outlet")[["arrived_per_day", "value_per_day_yuan"]]
    expected = classify(first.mean().loc[["B"]], rules.tiers).iloc[0]
    assert tiers["B"][0] == expected


def test_auto_tier_never_reaches_outlets_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_region(tmp_path, region_text(outlets=GIVEN_A + AUTO_B))
    rules = tmp_path / "rules.toml"
    rules.write_text("[horizon]\ndays_per_quarter = 2\n", encoding="utf-8")
    out = tmp_path / "out"
    status = main(["quarter", str(path), "--out", str(out), "--quarters", "1", "--rules", str(rules),
                   "--executor", "serial", "-q"])
    assert status == 0, capsys.readouterr().err
    outlets = pd.read_csv(out / "outlets.csv")
    assert "auto" not in set(outlets["tier"])
    assert set(outlets.loc[outlets["outlet"] == "B", "tier"]) <= set(TIERS)


@pytest.mark.parametrize(("surge", "daily", "volume", "what"), [
    (10.0, 200, 15.0, r"surge_factor 10 = 150; .* at most 100, so at most 10 here"),
    (1.0, 100_000, 15.0, r"about 1\.5e\+06 expected customers a day; .* at most 1,000,000"),
])
def test_day_type_volume_times_outlet_surge_is_refused_at_load(tmp_path: Path, surge: float, daily: int,
                                                               volume: float, what: str) -> None:
    outlet = ('[[outlets]]\nname = "busy"\nscenario = "potential_outlet.toml"\n[outlets.overrides]\n'
              f'"arrivals.surge_factor" = {surge}\n"arrivals.daily_customers" = {daily}\n')
    tail = ("[day_types.types.quiet]\nshare = 0.5\nvolume = 1.0\n"
            f"[day_types.types.peak]\nshare = 0.5\nvolume = {volume}\n")
    path = write_region(tmp_path, region_text(outlets=OUTLET_A + outlet, tail=tail))
    with pytest.raises(ScenarioError, match=r"region\.toml: day_types\.types\.peak\.volume: volume 15 .*'busy'") as e:
        load_region(path)
    assert "\n" not in str(e.value)
    assert re.search(what, str(e.value)), str(e.value)


def test_day_types_within_the_limits_still_load(tmp_path: Path) -> None:
    outlet = ('[[outlets]]\nname = "busy"\nscenario = "potential_outlet.toml"\n[outlets.overrides]\n'
              '"arrivals.surge_factor" = 10.0\n')
    tail = "[day_types.types.peak]\nshare = 1.0\nvolume = 10.0\n"
    region = load_region(write_region(tmp_path, region_text(outlets=OUTLET_A + outlet, tail=tail)))
    assert [d.volume for d in region.day_types] == [10.0]


def test_flatten_overrides_is_public_and_no_module_imports_a_private_sim_name() -> None:
    assert flatten_overrides({"arrivals": {"daily_customers": 5}, "segments.vip.patience": {"mean_min": 1}}) == {
        "arrivals.daily_customers": 5, "segments.vip.patience": {"mean_min": 1}}
    with pytest.raises(ScenarioError, match=r"region\.toml: outlets\[0\]\.overrides: .*give each field once"):
        flatten_overrides({"arrivals.daily_customers": 1, "arrivals": {"daily_customers": 2}}, "region.toml",
                          "outlets[0].overrides")
    private = []
    for package in ("optimize", "branchlab"):
        for path in sorted((ROOT / package).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                    private += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert private == []


def test_quarter_report_tables_read_as_a_planner_reads_them(tmp_path: Path) -> None:
    from optimize.quarter_report import report_html

    study = load_study([write_region(tmp_path, region_text(outlets=GIVEN_A + AUTO_B))])
    res = run_quarters(study, _short_rules(), quarters=1, replications=1, seed=2)
    page = report_html(res, None, {"study": study.source, "rules": "<defaults>", "quarters": 1, "replications": 1,
                                   "seed": 2, "seconds": 1.0})
    assert "1 quarter × 1 replication," in page  # not "1 quarters × 1 replications"
    assert "rules: the defaults (scenarios/quarter_rules.toml)" in page
    scorecard = page.split("<h2>Scorecards</h2>")[1].split("<h2>")[0]
    assert "<th>walkout rate</th>" in scorecard
    assert "walkout_rate" not in scorecard
    assert re.search(r"<td>\d+\.\d%</td>", scorecard)  # a rate as a percentage
    assert '<div class="wide">' in scorecard  # scrolls sideways instead of running off the page


def test_day_types_option_checks_the_month_profile_against_each_outlets_surge(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The sibling of the region file's check: ``--day-types`` adds the month's day types after the load."""
    outlet = ('[[outlets]]\nname = "busy"\nscenario = "potential_outlet.toml"\n[outlets.overrides]\n'
              '"arrivals.surge_factor" = 90.0\n')
    path = write_region(tmp_path, region_text(outlets=OUTLET_A + outlet))
    load_region(path)  # without day types the outlet is fine
    out = tmp_path / "out"
    status = main(["optimize", str(path), "--out", str(out), "--day-types", "--quick", "--executor", "serial",
                   "--frontier", "0", "-n", "2", "-q"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert status == 2
    assert len(err) == 1
    assert re.search(r"region\.toml: --day-types: the month's \w+ day: volume [\d.]+ x outlet 'busy'", err[0])
    assert not out.exists()
