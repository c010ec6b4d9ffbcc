"""End to end: the console script as a planner runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from branchlab.cli import main
from sim import OUTLET_KPIS, ZONE_KPIS, ZONES
from tests.conftest import SCENARIOS


def test_simulate_prints_tables_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kpis.json"
    status = main(["simulate", str(SCENARIOS / "potential_outlet.toml"), "-n", "4", "--seed", "7",
                   "--json", str(out), "--quiet"])
    assert status == 0
    printed = capsys.readouterr().out
    for word in ("Potential outlet", "value_lost_yuan", "non_cash"):
        assert word in printed
    doc = json.loads(out.read_text())
    assert (doc["scenario"], doc["seed"], doc["replications"]) == ("Potential outlet", 7, 4)
    assert set(doc["zones"]) == set(ZONES)
    assert set(doc["zones"]["cash"]) == set(ZONE_KPIS)
    assert set(doc["outlet"]) == set(OUTLET_KPIS)
    arrived = doc["outlet"]["arrived"]
    assert arrived["ci95"][0] <= arrived["mean"] <= arrived["ci95"][1]
    assert doc["outlet"]["served"]["mean"] <= arrived["mean"]


def test_bad_scenario_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((SCENARIOS / "mmc_cash_only.toml").read_text().replace("rate_per_hour = 162.0",
                                                                          "rate_per_hour = -1"))
    proc = subprocess.run([sys.executable, "-m", "branchlab.cli", "simulate", str(bad), "-n", "2"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"branchlab: {bad}: arrivals.rate_per_hour: must be > 0, got -1"]
