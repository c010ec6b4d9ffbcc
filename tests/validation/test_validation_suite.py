"""The quick validation set: the outlet model against Erlang C, Erlang A, Cobham and PSA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from branchlab.cli import main
from sim import validation
from tests.conftest import SCENARIOS


def test_shipped_mmc_scenario_is_the_validation_queue() -> None:
    shipped = sim.load_scenario(SCENARIOS / "mmc_cash_only.toml")
    built = sim.from_dict(validation.queue_scenario(2.7, 1.0, 3, day_min=6000, warmup_min=300,
                                                        target_wait_min=2.0))
    for attr in ("zones", "roles", "rate_per_hour", "segments", "service", "triage", "sales"):
        assert getattr(shipped, attr) == getattr(built, attr)


@pytest.mark.slow
def test_quick_validation_passes_every_check(tmp_path: Path) -> None:
    out, png = tmp_path / "validation.json", tmp_path / "validation.png"
    status = main(["validate", "--quick", "--json", str(out), "--plot", str(png), "--quiet"])
    doc = json.loads(out.read_text())
    failed = [c for c in doc["checks"] if not c["passed"]]
    assert failed == []
    assert status == 0
    kinds = {c["case"].split(" ")[0] for c in doc["checks"]}
    assert {"M/M/1", "M/M/3", "M/M/10", "M/M/50+M", "M/M/10+M", "M(t)/M/3"} <= kinds
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("quick", [True, False])
def test_case_sets(quick: bool) -> None:
    names = [c.name for c in validation.cases(quick)]
    mmc = [n for n in names if n.startswith("M/M/") and "rho=" in n and "priority" not in n]
    assert len(mmc) == (5 if quick else 12)
