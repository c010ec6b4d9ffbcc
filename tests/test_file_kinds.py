"""A branchlab file given where another kind is expected: one line saying which kind it is and what reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from branchlab.cli import main
from tests.conftest import SCENARIOS

SCENARIO = str(SCENARIOS / "backbone_outlet.toml")
REGION = str(SCENARIOS / "region_12_outlets.toml")
SWEEP = str(SCENARIOS / "sweep_small.toml")
RULES = str(SCENARIOS / "quarter_rules.toml")


@pytest.mark.parametrize(("args", "expected"), [
    (["simulate", REGION], f"{REGION}: outlet: missing: this is a region file, not an outlet scenario"),
    (["simulate", SWEEP], f"{SWEEP}: outlet: missing: this is a sweep file, not an outlet scenario"),
    (["simulate", RULES], f"{RULES}: outlet: missing: this is a quarter rules file, not an outlet scenario"),
    (["optimize", SCENARIO, "--out", "{out}"], f"{SCENARIO}: outlets: missing: this is an outlet scenario, not a "
                                               "region file"),
    (["sweep", SCENARIO, "--out", "{out}"], f"{SCENARIO}: sweep: missing: this is an outlet scenario, not a sweep"),
    (["quarter", RULES, "--out", "{out}"], f"{RULES}: outlet: missing: this is a quarter rules file"),
    (["quarter", REGION, SCENARIO, "--out", "{out}"], f"{REGION}: region: a region file names its own outlets: "
                                                      "give it alone"),
    (["quarter", SCENARIO, "--rules", SCENARIO, "--out", "{out}"], f"{SCENARIO}: outlet: this is an outlet "
                                                                   "scenario, not a quarter rules file"),
    (["quarter", SCENARIO, "--rules", REGION, "--out", "{out}"], f"{REGION}: region: this is a region file, not a "
                                                                 "quarter rules file (it is read by branchlab "
                                                                 "optimize or branchlab quarter, alone)"),
])
def test_the_wrong_kind_of_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                         expected: str) -> None:
    out = tmp_path / "out"
    assert main([a.replace("{out}", str(out)) for a in args] + ["-q"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"branchlab: {expected}")
    assert not out.exists()      # refused before anything was written
