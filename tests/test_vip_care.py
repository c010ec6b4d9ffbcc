"""VIP care: the "2 to 1" ratio read from the region's policy; contacts as work, the quarterly hazard, 四包.

Each mechanism against a hand computation on the rows of a short study.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from optimize.quarters import QuarterRules, load_study, run_quarters
from sim.horizon import Horizon, HorizonRules, run_days
from tests.conftest import SCENARIOS

REGION = SCENARIOS / "region_12_outlets.toml"


def _region(tmp_path: Path, ratio: float) -> Path:
    """The shipped region with ``maintainers_per_vip = ratio`` and its scenarios named by absolute path."""
    text = REGION.read_text(encoding="utf-8").replace("maintainers_per_vip = 2", f"maintainers_per_vip = {ratio}")
    text = text.replace('scenario = "', f'scenario = "{SCENARIOS.as_posix()}/')
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "region.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _short(days: int = 2) -> QuarterRules:
    rules = QuarterRules()
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=days))


@pytest.mark.parametrize("ratio", [1.5, 3.0])
def test_vip_ratio_is_the_policys(tmp_path: Path, ratio: float) -> None:
    """vips_per_maintainer = the policy's maintainers_per_vip x book / (CMs + WMs present), on every outlet-day."""
    study = load_study([_region(tmp_path, ratio)])
    assert study.maintainers_per_vip == ratio
    horizon = Horizon(study.scenarios[:3], HorizonRules(), seed=1, names=study.names[:3],
                      vip_books=[float(b or 0) for b in study.vip_books[:3]], maintainers_per_vip=ratio)
    [span] = run_days([horizon], 0, 2)
    staff = span.people[span.people["role"].isin(["customer_manager", "wealth_manager"])]
    present = staff.groupby(["outlet", "day"]).size()
    keys = list(zip(span.outlets["outlet"], span.outlets["day"], strict=True))
    want = ratio * span.outlets["vip_book"].to_numpy() / present.reindex(keys).to_numpy()
    assert span.outlets["vips_per_maintainer"].to_numpy() == pytest.approx(want)
    assert load_study([BACKBONE]).maintainers_per_vip == 2.0  # an outlet file: the default ratio


def test_the_study_carries_the_ratio_to_every_day(tmp_path: Path) -> None:
    """Ratio 3 against 1.5 on the same seeds: the load column doubles exactly, nothing else moves."""
    a = run_quarters(load_study([_region(tmp_path / "a", 1.5)]), _short(), quarters=1, seed=0).days
    b = run_quarters(load_study([_region(tmp_path / "b", 3.0)]), _short(), quarters=1, seed=0).days
    assert np.array_equal(b["vips_per_maintainer"].to_numpy(), 2 * a["vips_per_maintainer"].to_numpy())
    assert a.drop(columns="vips_per_maintainer").equals(b.drop(columns="vips_per_maintainer"))


BACKBONE = SCENARIOS / "backbone_outlet.toml"
