"""Defects a hostile-input review of the region file, the scenario file and ``branchlab fit`` found; each test
failed before its fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import optimize
import sim
from sim.errors import ScenarioError
from tests.conftest import MINIMAL
from tests.test_optimize_hostile import region_text, write_region


def _load(tmp_path: Path, text: str) -> optimize.Region:
    return optimize.load_region(write_region(tmp_path, text))


@pytest.mark.parametrize(("volume", "share"), [(1e-300, 1.0), (1e9, 1.0), (0.01, 1.0)])
def test_day_type_volume_out_of_bounds_is_refused(tmp_path: Path, volume: float, share: float) -> None:
    text = region_text(tail=f"[day_types.types.odd]\nshare = {share}\nvolume = {volume}\n")
    with pytest.raises(ScenarioError, match=r"region\.toml: day_types\.types\.odd\.volume: must be"):
        _load(tmp_path, text)


def test_day_type_tiny_share_is_refused(tmp_path: Path) -> None:
    text = region_text(tail="[day_types.types.a]\nshare = 1.0\nvolume = 1.0\n"
                            "[day_types.types.b]\nshare = 1e-300\nvolume = 1.0\n")
    with pytest.raises(ScenarioError, match=r"day_types\.types\.b\.share: must be >= 0\.001"):
        _load(tmp_path, text)


@pytest.mark.parametrize("twice", [
    '"arrivals.daily_customers" = 100\narrivals.daily_customers = 200\n',
    '"staff.cash_teller" = {count = 3, zones = ["cash"]}\nstaff.cash_teller.count = 4\n',
])
def test_override_given_twice_is_refused_naming_both_spellings(tmp_path: Path, twice: str) -> None:
    text = region_text(outlet_b='[[outlets]]\nname = "B"\nscenario = "potential_outlet.toml"\n'
                                "[outlets.overrides]\n" + twice)
    with pytest.raises(ScenarioError, match=r"region\.toml: outlets\[1\]\.overrides: \".*\" and .* both set") as info:
        _load(tmp_path, text)
    assert "give each field once" in str(info.value)


def test_with_overrides_refuses_a_field_given_twice() -> None:
    base = sim.from_dict(copy.deepcopy(MINIMAL), "branch.toml")
    with pytest.raises(ScenarioError, match=r"branch\.toml: overrides: \"arrivals\.rate_per_hour\" and "
                                            r"arrivals\.rate_per_hour both set"):
        sim.with_overrides(base, {"arrivals.rate_per_hour": 5.0, "arrivals": {"rate_per_hour": 6.0}})


def test_min_staff_above_a_fixed_roles_count_is_refused_at_load(tmp_path: Path) -> None:
    text = region_text(region='name = "hostile"\nmovable = ["cash_teller", "customer_manager"]',
                       tail="[rules.min_staff]\nwealth_manager = 5\n")
    with pytest.raises(ScenarioError, match=r"rules\.min_staff\.wealth_manager: outlet 'A': at least 5 "
                                            r"wealth_manager but wealth_manager may not move"):
        _load(tmp_path, text)


def test_min_staff_above_the_pool_is_refused_at_load(tmp_path: Path) -> None:
    text = region_text(outlet_a="min_staff = { cash_teller = 40 }\n")
    with pytest.raises(ScenarioError, match=r"rules\.min_staff\.cash_teller: outlet 'A': at least 40 cash_teller "
                                            r"but the regional pool is \d+"):
        _load(tmp_path, text)


def test_min_staff_summing_above_the_pool_is_refused(tmp_path: Path) -> None:
    region = _load(tmp_path, region_text())
    pool = region.policy.role_pools["cash_teller"]
    least = pool // 2 + 1
    with pytest.raises(ScenarioError, match=rf"minimums add up to {2 * least} cash_teller, more than the "
                                            rf"regional pool of {pool}"):
        _load(tmp_path, region_text(tail=f"[rules.min_staff]\ncash_teller = {least}\n"))


CONVERSION = '[[conversions]]\nfrom = "{a}"\nto = "{b}"\nmax_people = {n}\n'


def test_conversion_above_the_from_roles_staff_is_refused(tmp_path: Path) -> None:
    text = region_text(tail=CONVERSION.format(a="cash_teller", b="customer_manager", n=500))
    with pytest.raises(ScenarioError, match=r"conversions\[0\]\.max_people: 500 is more than the \d+ cash_teller"):
        _load(tmp_path, text)


def test_opposite_conversions_warn(tmp_path: Path) -> None:
    text = region_text(tail=CONVERSION.format(a="cash_teller", b="low_counter_teller", n=1)
                       + CONVERSION.format(a="low_counter_teller", b="cash_teller", n=1))
    with pytest.warns(sim.ScenarioWarning, match=r"conversions\[1\]\.to: cash_teller -> low_counter_teller is "
                                                 r"declared too"):
        _load(tmp_path, text)


def test_conversion_without_keep_roles_warns(tmp_path: Path) -> None:
    text = region_text(top="[headcount]\nkeep_roles = false\n",
                       tail=CONVERSION.format(a="cash_teller", b="low_counter_teller", n=1))
    with pytest.warns(sim.ScenarioWarning, match=r"conversions\[0\]\.from: headcount\.keep_roles = false"):
        _load(tmp_path, text)


def _scenario(**edits: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data["segments"] = {"mass": {"share": 0.5, "needs": {"cash": 1.0}},
                        "vip": {"share": 0.5, "needs": {"cash": 1.0}}}
    data["staff"]["customer_manager"] = {"count": 1, "zones": ["cash"]}
    data.update(edits)
    return data


def test_segment_preferred_by_two_roles_is_refused() -> None:
    data = _scenario(dispatch={"rule": "by_customer", "prefer": {"cash": {"cash_teller": ["mass", "vip"],
                                                                          "customer_manager": ["vip"]}}})
    with pytest.raises(ScenarioError, match=r"dispatch\.prefer\.cash\.customer_manager: segment 'vip' is "
                                            r"preferred by both cash_teller and customer_manager at cash"):
        sim.from_dict(data, "b.toml")


def test_empty_preference_list_is_refused() -> None:
    data = _scenario(dispatch={"rule": "by_customer", "prefer": {"cash": {"cash_teller": ["mass"],
                                                                          "customer_manager": []}}})
    with pytest.raises(ScenarioError, match=r"dispatch\.prefer\.cash\.customer_manager: an empty list"):
        sim.from_dict(data, "b.toml")


def test_wait_under_staff_order_warns() -> None:
    with pytest.warns(sim.ScenarioWarning, match=r"dispatch\.wait_for_preferred_min: ignored"):
        sim.from_dict(_scenario(dispatch={"wait_for_preferred_min": 3.0}), "b.toml")


def test_duplicate_product_in_products_by_role_is_refused() -> None:
    data = _scenario(products={"fund": {"value_yuan": 10.0}},
                     sales={"cross_sale": {"cash": {"cash_teller": 0.1}},
                            "products_by_role": {"cash_teller": ["fund", "fund"]}})
    with pytest.raises(ScenarioError, match=r"sales\.products_by_role\.cash_teller: product 'fund' is listed twice"):
        sim.from_dict(data, "b.toml")


def test_products_by_role_for_a_role_that_sells_nothing_warns() -> None:
    data = _scenario(products={"fund": {"value_yuan": 10.0}},
                     sales={"cross_sale": {"cash": {"cash_teller": 0.1}},
                            "products_by_role": {"wealth_manager": ["fund"]}})
    with pytest.warns(sim.ScenarioWarning, match=r"sales\.products_by_role\.wealth_manager: wealth_manager sells "
                                                 "nothing"):
        sim.from_dict(data, "b.toml")


def test_fit_map_naming_a_column_not_in_the_log_is_refused() -> None:
    from sim import fit as F

    log = "Ticket,called_time,end_time,zone,vip\n09:00,09:01,09:03,cash,1\n"
    with pytest.raises(ScenarioError, match=r"x\.csv: row 1: --map names column\(s\) 'Tiket' that the log's header "
                                            r"does not have; its columns: Ticket, called_time"):
        F.parse_log(log, "x.csv", {"Tiket": "ticket_time"})


def test_fit_default_template_does_not_depend_on_the_working_folder(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from branchlab import fit_cmd

    monkeypatch.chdir(tmp_path)
    assert Path(fit_cmd.DEFAULT_TEMPLATE).is_absolute()
    assert Path(fit_cmd.DEFAULT_TEMPLATE).is_file()


def test_fit_warns_when_every_ticket_walked_out() -> None:
    from sim import fit as F

    rows = "".join(f"09:{m:02d}:00,09:{m:02d}:30,,cash,0\n" for m in range(55))
    log = F.parse_log("ticket_time,called_time,end_time,zone,vip\n" + rows, "gone.csv")
    template = sim.from_dict(copy.deepcopy(MINIMAL), "t.toml")
    fit = F.fit_log(log, template)
    assert any(n.startswith("segments.mass.patience: every non_vip ticket walked out") for n in fit.notes), fit.notes
