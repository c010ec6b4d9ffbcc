"""Sweeps: designs, identical rows on every executor, kill-and-resume, failures, bad files."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.sweeps import load_sweep, load_sweep_file, sweep
from tests.conftest import SCENARIOS

SMALL = SCENARIOS / "sweep_small.toml"


def write_sweep(tmp_path: Path, body: str, name: str = "sweep.toml") -> Path:
    (tmp_path / "backbone_outlet.toml").write_text((SCENARIOS / "backbone_outlet.toml").read_text())
    path = tmp_path / name
    path.write_text('[sweep]\nscenario = "backbone_outlet.toml"\n' + body)
    return path


def test_grid_is_the_full_product() -> None:
    design = load_sweep_file(SMALL)
    assert len(design.points) == 12
    assert {p["staff.cash_teller.count"] for p in design.points} == {2, 3, 4}
    assert len({tuple(p.values()) for p in design.points}) == 12


def test_grid_range_with_steps(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, 'replications = 1\n[fields."sales.referral_probability"]\nlow = 0.1\nhigh = 0.3\n'
                                 'steps = 3\n[fields."arrivals.daily_customers"]\nvalues = [300, 400]\n')
    points = load_sweep_file(path).points
    assert len(points) == 6
    assert sorted({p["sales.referral_probability"] for p in points}) == pytest.approx([0.1, 0.2, 0.3])


@pytest.mark.parametrize("design", ["lhs", "sobol"])
def test_space_filling_designs_respect_bounds_and_round_integers(tmp_path: Path, design: str) -> None:
    path = write_sweep(tmp_path, f'design = "{design}"\npoints = 32\nseed = 3\n'
                                 '[fields."staff.cash_teller.count"]\nlow = 2\nhigh = 5\n'
                                 '[fields."sales.referral_conversion"]\nlow = 0.2\nhigh = 0.6\n')
    points = load_sweep_file(path).points
    tellers = np.array([p["staff.cash_teller.count"] for p in points])
    conv = np.array([p["sales.referral_conversion"] for p in points])
    assert len(points) == 32
    assert all(isinstance(t, int) for t in tellers.tolist())
    assert tellers.min() >= 2
    assert tellers.max() <= 5
    assert set(tellers.tolist()) == {2, 3, 4, 5}
    assert conv.min() >= 0.2
    assert conv.max() <= 0.6
    if design == "lhs":  # one point in each of the 32 strata of every dimension
        strata = np.floor((conv - 0.2) / 0.4 * 32).astype(int)
        assert sorted(strata.tolist()) == list(range(32))
    assert load_sweep_file(path).points == points  # the design is reproducible


@pytest.mark.parametrize(("body", "field", "message"), [
    ('[fields."staff.cash_teller.cnt"]\nvalues = [2, 3]\n', "fields.staff.cash_teller.cnt", "unknown key"),
    ('[fields."staff.cash_teller.count"]\nvalues = [2, -1]\n', "fields.staff.cash_teller.count", "must be >= 0"),
    ('[fields."arrivals.daily_customers"]\nlow = 500\nhigh = 300\nsteps = 2\n', "fields.arrivals.daily_customers.high",
     "must be >= low"),
    ('design = "random"\n', "sweep.design", "allowed: grid, lhs, sobol"),
    ('replications = 0\n', "sweep.replications", "must be >= 1"),
    ('', "fields", "at least one field"),
])
def test_bad_sweep_files_are_rejected_naming_the_field(tmp_path: Path, body: str, field: str, message: str) -> None:
    header, _, fields = body.partition("[fields")
    path = write_sweep(tmp_path, header + ("[fields" + fields if fields else ""))
    with pytest.raises(sim.ScenarioError) as info:
        load_sweep_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {field}: ")
    assert message in text


def test_every_executor_gives_identical_rows(tmp_path: Path) -> None:
    design = load_sweep_file(SMALL)
    frames = {}
    for name in ("serial", "processes", "dask"):
        sweep(design, tmp_path / name, executor=name, workers=2, progress=False)
        frames[name] = load_sweep(tmp_path / name, rows=True)
    assert len(frames["serial"]) == 24
    pd.testing.assert_frame_equal(frames["serial"], frames["processes"])
    pd.testing.assert_frame_equal(frames["serial"], frames["dask"])


def test_common_random_numbers_and_per_point_seeds(tmp_path: Path) -> None:
    crn = load_sweep_file(SMALL)
    sweep(crn, tmp_path / "crn", executor="serial", progress=False)
    rows = load_sweep(tmp_path / "crn", rows=True)
    # With common random numbers every point sees the same customers.
    assert rows.groupby("replication")["arrived"].nunique().eq(1).all()
    independent = dataclasses.replace(crn, common_random_numbers=False)
    sweep(independent, tmp_path / "ind", executor="serial", progress=False, points=[0, 1, 2])
    ind = load_sweep(tmp_path / "ind", rows=True)
    assert ind["seed"].nunique() == 3
    assert not ind.groupby("replication")["arrived"].nunique().eq(1).all()


def test_failing_point_is_recorded_and_the_rest_run(tmp_path: Path) -> None:
    design = load_sweep_file(SMALL)
    bad_point = {"staff.cash_teller.count": -4, "staff.customer_manager.inside": 1}
    broken = dataclasses.replace(design, points=(*design.points[:2], bad_point))
    report = sweep(broken, tmp_path / "out", executor="serial", progress=False)
    assert (report.ran, report.failed) == (3, 1)
    rows = load_sweep(tmp_path / "out", rows=True)
    bad = rows[rows["point"] == 2]
    assert len(bad) == 2
    assert bad["error"].str.contains("ScenarioError").all()
    assert bad["arrived"].isna().all()
    assert rows[rows["point"] < 2]["error"].eq("").all()
    summary = load_sweep(tmp_path / "out")
    assert summary["failed"].tolist() == [0, 0, 2]


def test_cli_exit_status_counts_failures_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, 'replications = 1\n[fields."staff.cash_teller.count"]\nvalues = [3]\n')
    cmd = [sys.executable, "-m", "branchlab.cli", "sweep", str(path), "--out", str(tmp_path / "o"), "-q",
           "--executor", "serial"]
    assert subprocess.run(cmd, check=False).returncode == 0
    again = subprocess.run(cmd, check=False, capture_output=True, text=True)
    assert again.returncode == 2
    assert "already holds a sweep" in again.stderr


def test_killed_sweep_resumes_to_exactly_the_uninterrupted_rows(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, 'replications = 3\nseed = 5\n[fields."arrivals.daily_customers"]\n'
                                 'low = 300\nhigh = 500\nsteps = 25\n'
                                 '[fields."staff.cash_teller.count"]\nvalues = [2, 3]\n')
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "branchlab.cli", "sweep", str(path), "--out", str(killed), "-q",
           "--executor", "serial", "--flush-seconds", "0.05"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((killed / "results").glob("part-*"))) < 3:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = load_sweep(killed, rows=True)
    assert 0 < partial["point"].nunique() < 50  # it really was stopped mid-way
    resumed = subprocess.run([*cmd, "--resume"], check=False)
    assert resumed.returncode == 0
    sweep(load_sweep_file(path), tmp_path / "clean", executor="serial", progress=False)
    pd.testing.assert_frame_equal(load_sweep(killed, rows=True), load_sweep(tmp_path / "clean", rows=True))


def test_public_api_lists_what_it_exports() -> None:
    assert sim.sweep is sweep
    for name in sim.__all__:
        assert hasattr(sim, name)
