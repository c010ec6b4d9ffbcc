"""The province generator keeps the service limits reachable (issue 19: a province with no plan).

``make_province.py`` lowers an outlet's volume until today's plan clears the region's walk-out ceiling
and cash service-level floor by a margin on its own check days (the volume cap); here on the 6-outlet
advancing-tier province of seed 2, whose fifth outlet drawn without the cap has a walk-out rate over the
region's 10% on the optimiser's own evaluation days (seed 0), so no plan keeping today's staff meets it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from benchmarks.make_province import (
    CASH_FLOOR,
    CHECK_DAYS,
    VOLUME_STEP,
    WALKOUT_LIMIT,
    WALKOUT_MARGIN,
    ProvinceError,
    main,
    meets_limits,
    province_toml,
    seeds_derived,
    today_service,
    write_province,
)
from optimize.region import load_region
from optimize.stages import derive_seed

MIX = {"advancing": 1.0}
N, SEED = 6, 2


def _outlets(text: str) -> list[dict[str, object]]:
    outlets: list[dict[str, object]] = tomllib.loads(text)["outlets"]
    return outlets


def test_the_uncapped_draw_breaks_the_walkout_limit_on_the_optimisers_days(tmp_path: Path) -> None:
    region = load_region(write_province(N, tmp_path / "raw.toml", SEED, mix=MIX, check_days=0))
    fifth = region.outlets[4].scenario
    walkout, _ = today_service(fifth, seeds_derived(SEED, 4), CHECK_DAYS)
    assert walkout > WALKOUT_LIMIT - WALKOUT_MARGIN  # the cap's check fails ...
    assert today_service(fifth, derive_seed(0, 0, 4), 8)[0] > WALKOUT_LIMIT  # ... and the run's 8 days break 10%


def test_every_generated_outlet_clears_the_limits_and_only_capped_outlets_change(tmp_path: Path) -> None:
    region = load_region(write_province(N, tmp_path / "p.toml", SEED, mix=MIX))
    for o, spec in enumerate(region.outlets):
        walkout, cash = today_service(spec.scenario, seeds_derived(SEED, o), CHECK_DAYS)
        assert meets_limits(walkout, cash), spec.name
        assert cash >= CASH_FLOOR
        # on days the generator never saw (the optimiser's evaluation and verification seeds of run seed 0)
        for stage in (0, 1):
            assert today_service(spec.scenario, derive_seed(0, stage, o), 8)[0] <= WALKOUT_LIMIT, spec.name
    raw = _outlets(province_toml(N, SEED, mix=MIX, check_days=0))
    capped = _outlets(province_toml(N, SEED, mix=MIX))
    changed = [o for o, (a, b) in enumerate(zip(raw, capped, strict=True)) if a != b]
    assert 4 in changed  # the outlet breaking the limit was capped
    for o in changed:  # by its volume (and the VIP book that follows it) only, a whole number of steps lower
        a, b = raw[o]["overrides"], capped[o]["overrides"]
        assert isinstance(a, dict)
        assert isinstance(b, dict)
        assert {k for k in a if a[k] != b[k]} == {"arrivals.daily_customers"}
        assert b["arrivals.daily_customers"] <= round(a["arrivals.daily_customers"] * VOLUME_STEP) + 1
        assert int(str(capped[o]["vip_customers"])) <= int(str(raw[o]["vip_customers"]))


def test_the_cap_is_deterministic() -> None:
    assert province_toml(N, SEED, mix=MIX) == province_toml(N, SEED, mix=MIX)


@pytest.mark.parametrize(("value", "words"), [("-1", "--check-days: must be a whole number from 0 to 1000"),
                                               ("x", "--check-days: 'x' is not a whole number")])
def test_bad_check_days_is_one_line(value: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    assert main(["3", "--check-days", value, "--out", str(tmp_path / "p.toml")]) == 2
    err = capsys.readouterr().err
    assert words in err
    assert err.count("\n") == 1
    with pytest.raises(ProvinceError, match="--check-days"):
        province_toml(3, check_days=True)
