"""The province generator (benchmarks/make_province.py): seeded, loads, N outlets, feasible rules, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.make_province import (
    BOOK_SIZE,
    MAINTAINERS,
    MAX_OUTLETS,
    ProvinceError,
    main,
    parse_mix,
    province_toml,
    write_province,
)
from optimize.region import load_region
from sim.codes import TIERS


def test_same_seed_same_file_other_seed_other_file() -> None:
    assert province_toml(30, seed=3) == province_toml(30, seed=3)
    assert province_toml(30, seed=3) != province_toml(30, seed=4)


def test_the_region_loads_with_n_distinct_outlets_of_the_tiers(tmp_path: Path) -> None:
    region = load_region(write_province(40, tmp_path / "sub" / "province.toml", seed=1))
    assert len(region.outlets) == 40
    assert len({o.name for o in region.outlets}) == 40
    assert {o.tier for o in region.outlets} <= set(TIERS)
    volumes = {o.scenario.expected_customers for o in region.outlets}
    assert len(volumes) > 10  # volumes vary outlet by outlet


def test_todays_plans_meet_the_head_count_rules(tmp_path: Path) -> None:
    """Every outlet's plan today keeps 5 CMs, covers its VIP book under 2-to-1 and has two tellers."""
    region = load_region(write_province(60, tmp_path / "p.toml", seed=2))
    for o in region.outlets:
        plan = o.scenario.staffing_plan()
        maintainers = plan.count("customer_manager") + plan.count("wealth_manager")
        assert plan.count("customer_manager") >= 5
        assert maintainers * BOOK_SIZE >= MAINTAINERS * o.vip_customers
        assert plan.count("cash_teller") >= 2
    pools = region.policy.role_pools
    today_wm = sum(o.scenario.staffing_plan().count("wealth_manager") for o in region.outlets)
    assert pools["wealth_manager"] == today_wm + 5  # one placeable per 12 outlets, rounded up
    assert pools["customer_manager"] == sum(o.scenario.staffing_plan().count("customer_manager")
                                            for o in region.outlets)


def test_the_mix_chooses_the_tiers(tmp_path: Path) -> None:
    region = load_region(write_province(10, tmp_path / "p.toml", mix={"potential": 1.0}))
    assert {o.tier for o in region.outlets} == {"potential"}
    assert parse_mix("flagship=1, potential=3") == {"flagship": 1.0, "potential": 3.0}


@pytest.mark.slow
def test_the_rules_are_feasible_on_a_small_province(tmp_path: Path) -> None:
    """The optimiser finds and verifies a plan meeting every rule for 4 generated outlets (quick settings)."""
    from dataclasses import replace

    from optimize import recommend

    region = load_region(write_province(4, tmp_path / "p.toml", seed=5))
    region = replace(region, search=replace(region.search, total_step=1, combos=1, screen_replications=4))
    rec = recommend(region, replications=4, seed=0, executor="serial", frontier=0, stage2=3)
    assert len(rec.plan) > 0
    assert rec.status.lower().startswith("optimal")


@pytest.mark.parametrize(("argv", "words"), [
    (["0"], "N: must be a whole number from 1"),
    ([str(MAX_OUTLETS + 1)], "N: must be a whole number from 1"),
    (["ten"], "N: 'ten' is not a whole number"),
    (["5", "--seed", "-1"], "--seed: must be a whole number from 0"),
    (["5", "--mix", "capital=1"], "--mix: 'capital=1' is not TIER=WEIGHT"),
    (["5", "--mix", "flagship=0"], "--mix: the weights must not all be 0"),
    (["5", "--mix", "flagship=-1"], "--mix: flagship=-1 must be a finite number >= 0"),
    (["5", "--mix", "flagship=1,flagship=2"], "--mix: flagship is given twice"),
])
def test_bad_input_is_one_line(argv: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                               ) -> None:
    assert main([*argv, "--out", str(tmp_path / "p.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("make_province: ")
    assert words in err
    assert err.count("\n") == 1
    assert not (tmp_path / "p.toml").exists()


def test_bad_out_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ProvinceError, match=r"--out: .* must name a \.toml file"):
        write_province(3, tmp_path / "p.txt")
    (tmp_path / "d.toml").mkdir()
    with pytest.raises(ProvinceError, match="is a folder"):
        write_province(3, tmp_path / "d.toml")


def test_outlets_on_one_tier_file_share_what_they_do_not_override(tmp_path: Path) -> None:
    """Each scenario file is read once and an outlet's overrides copy only the tables they pass through: the
    outlets' scenarios are the ones built from the file one by one (same content key), and their file forms
    share the untouched tables (one object a tier, not one an outlet)."""
    import tomllib

    from sim.scenario import load_scenario, with_overrides

    path = write_province(30, tmp_path / "province.toml", seed=2)
    region = load_region(path)
    items = tomllib.loads(path.read_text(encoding="utf-8"))["outlets"]
    shared: dict[str, set[int]] = {}
    for spec, item in zip(region.outlets, items, strict=True):
        alone = with_overrides(load_scenario(path.parent / item["scenario"]), item.get("overrides", {}))
        assert spec.scenario.content_key() == alone.content_key()
        form = spec.scenario.file_form
        assert form is not None
        assert form == alone.file_form
        shared.setdefault(spec.scenario.source, set()).add(id(form["zones"]))
    assert all(len(ids) == 1 for ids in shared.values())
    assert len(shared) > 1
