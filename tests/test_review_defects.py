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
