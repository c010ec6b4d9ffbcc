"""Sweeps: designs, identical rows on every executor, kill-and-resume, failures, bad files."""

from __future__ import annotations

import dataclasses
import itertools
import json
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
from sim import with_overrides
from sim.executors import ExecutorError
from sim.fileio import FolderBusyError, FolderLock
from sim.metrics import OUTLET_KPIS
from sim.replicate import run_days
from sim.sweeps import Sweep, load_sweep, load_sweep_file, sweep
from tests.conftest import SCENARIOS

SMALL = SCENARIOS / "sweep_small.toml"


def write_sweep(tmp_path: Path, body: str, name: str = "sweep.toml") -> Path:
    (tmp_path / "backbone_outlet.toml").write_text((SCENARIOS / "backbone_outlet.toml").read_text())
    path = tmp_path / name
    path.write_text('[sweep]\nscenario = "backbone_outlet.toml"\n' + body)
    return path


def test_grid_is_the_full_product() -> None:
    design = load_sweep_file(SMALL)
    expected = [{"staff.cash_teller.count": t, "staff.customer_manager.inside": m}
                for t, m in itertools.product([2, 3, 4], [1, 2, 3, 4])]
    assert list(design.points) == expected  # every combination once, the last field varying fastest


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


def _direct(design: Sweep, k: int) -> list[float]:
    """Customers arrived in each replication of point ``k``, simulated directly (no sweep)."""
    scenario = with_overrides(design.base, design.points[k])
    return [kpis.outlet[OUTLET_KPIS.index("arrived")] for kpis in run_days(scenario, design.seed_of(k),
                                                                           design.replications)]


def test_common_random_numbers_and_per_point_seeds(tmp_path: Path) -> None:
    crn = load_sweep_file(SMALL)
    sweep(crn, tmp_path / "crn", executor="serial", progress=False)
    rows = load_sweep(tmp_path / "crn", rows=True)
    # With common random numbers every point sees the same customers: its rows are the
    # days simulated directly from the sweep seed.
    assert rows["seed"].eq(crn.seed).all()
    for k in (0, 5, 11):
        assert rows.loc[rows["point"] == k, "arrived"].tolist() == _direct(crn, k)
    independent = dataclasses.replace(crn, common_random_numbers=False)
    sweep(independent, tmp_path / "ind", executor="serial", progress=False, points=[0, 1, 2])
    ind = load_sweep(tmp_path / "ind", rows=True)
    seeds = [int(np.random.SeedSequence([crn.seed, k]).generate_state(1)[0]) for k in range(3)]
    assert ind.groupby("point")["seed"].first().tolist() == seeds
    for k in range(3):  # each point's days come from its own seed
        assert ind.loc[ind["point"] == k, "arrived"].tolist() == _direct(independent, k)
    assert len({tuple(_direct(independent, k)) for k in range(3)}) == 3


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


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "branchlab.cli", "sweep", *args], check=False, capture_output=True,
                          text=True)


def test_second_writer_is_refused_while_the_first_holds_the_folder(tmp_path: Path) -> None:
    design = load_sweep_file(SMALL)
    out = tmp_path / "out"
    sweep(design, out, executor="serial", progress=False, points=[0])
    with FolderLock(out):  # a run still writing here
        with pytest.raises(FolderBusyError, match=f"another process is writing here \\(pid {os.getpid()} "):
            sweep(design, out, executor="serial", progress=False, resume=True)
        again = _cli(str(SMALL), "--out", str(out), "-q", "--executor", "serial", "--resume")
    assert again.returncode == 2
    assert again.stderr.startswith(f"branchlab: {out}: another process is writing here (pid {os.getpid()} ")
    assert again.stderr.count("\n") == 1
    assert load_sweep(out, rows=True)["point"].tolist() == [0, 0]  # nothing added by the refused runs
    report = sweep(design, out, executor="serial", progress=False, resume=True)  # free again: resumes
    assert (report.ran, report.skipped) == (11, 1)


def test_load_sweep_refuses_repeated_point_replication_rows(tmp_path: Path) -> None:
    design = load_sweep_file(SMALL)
    out = tmp_path / "out"
    sweep(design, out, executor="serial", progress=False, points=[0, 1])
    (part,) = (out / "results").glob("part-*")
    (out / "results" / f"part-copy{part.suffix}").write_bytes(part.read_bytes())  # as a second writer would
    with pytest.raises(sim.ScenarioError) as info:
        load_sweep(out)
    assert str(info.value).startswith(f"{out}: results: 4 rows repeat a (point, replication) pair "
                                      "(e.g. point 0, replication 0)")


def test_resume_runs_failed_points_again_and_counts_final_failures(tmp_path: Path) -> None:
    design = load_sweep_file(SMALL)
    bad_point = {"staff.cash_teller.count": -4, "staff.customer_manager.inside": 1}
    broken = dataclasses.replace(design, points=(*design.points[:2], bad_point))
    out = tmp_path / "out"
    assert sweep(broken, out, executor="serial", progress=False).failed == 1
    still = sweep(broken, out, executor="serial", progress=False, resume=True)
    assert (still.ran, still.skipped, still.failed) == (1, 2, 1)  # retried, failed again: still counted
    fixed = dataclasses.replace(design, points=design.points[:3])  # same digest: the fault was outside the files
    report = sweep(fixed, out, executor="serial", progress=False, resume=True)
    assert (report.ran, report.skipped, report.failed) == (1, 2, 0)
    sweep(fixed, tmp_path / "clean", executor="serial", progress=False)
    pd.testing.assert_frame_equal(load_sweep(out, rows=True), load_sweep(tmp_path / "clean", rows=True))


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"executor": "bogus"}, ExecutorError, "executor: 'bogus' is not allowed; allowed: serial, processes, dask"),
    ({"executor": "processes", "workers": -1}, ExecutorError, "workers: must be a whole number from 1 to 256"),
    ({"points": [99]}, ValueError, "points: 99 is not a point of this sweep; allowed: whole numbers 0 to 11"),
    ({"points": [-1]}, ValueError, "points: -1 is not a point of this sweep"),
    ({"points": [True]}, ValueError, "points: True is not a point of this sweep"),
    ({"points": "1"}, ValueError, "points: expected a list of point indices"),
])
def test_bad_run_arguments_write_nothing(tmp_path: Path, kwargs: dict[str, object], error: type[Exception],
                                         message: str) -> None:
    with pytest.raises(error) as info:
        sweep(load_sweep_file(SMALL), tmp_path / "out", progress=False, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)
    assert not (tmp_path / "out").exists()


def test_dead_scheduler_is_one_line_and_leaves_the_folder_usable(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, 'replications = 1\n[fields."staff.cash_teller.count"]\nvalues = [3]\n')
    out = tmp_path / "out"
    start = time.monotonic()
    dead = _cli(str(path), "--out", str(out), "-q", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert time.monotonic() - start < 20
    assert dead.returncode == 2
    assert dead.stderr.startswith("branchlab: scheduler 'tcp://127.0.0.1:9': cannot connect to a Dask scheduler")
    assert dead.stderr.count("\n") == 1
    assert not (out / "manifest.json").exists()
    assert _cli(str(path), "--out", str(out), "-q", "--executor", "serial").returncode == 0  # plain rerun works


def test_repeated_points_and_duplicate_indices(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, '[fields."staff.cash_teller.count"]\nlow = 2\nhigh = 3\nsteps = 5\n')
    with pytest.raises(sim.ScenarioError) as info:
        load_sweep_file(path)
    assert str(info.value) == (f"{path}: fields.staff.cash_teller.count.steps: 5 steps from 2 to 3 repeat values "
                               "after rounding to whole numbers (2, 2, 2, 3, 3); use fewer steps or list the values")
    path = write_sweep(tmp_path, '[fields."staff.cash_teller.count"]\nvalues = [2, 3, 2.0]\n')
    with pytest.raises(sim.ScenarioError, match=r"fields.staff.cash_teller.count.values: values repeat \(2, 3, 2.0\)"):
        load_sweep_file(path)
    report = sweep(load_sweep_file(SMALL), tmp_path / "o", executor="serial", progress=False, points=[3, 1, 3])
    assert report.ran == 2
    assert load_sweep(tmp_path / "o")["point"].tolist() == [1, 3]


def test_load_sweep_of_a_folder_without_a_sweep(tmp_path: Path) -> None:
    with pytest.raises(sim.ScenarioError, match=r"holds no sweep \(no manifest\.json\)"):
        load_sweep(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"fields": ["staff.cash_teller.count"]}))
    assert load_sweep(tmp_path, rows=True).empty  # started, nothing finished yet: empty, with the columns
    summary = load_sweep(tmp_path)
    assert summary.empty
    assert {"point", "staff.cash_teller.count", "arrived_mean", "failed"} <= set(summary.columns)


def test_resume_while_the_sweep_runs_is_refused_and_rows_stay_exact(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, 'replications = 2\nseed = 5\n[fields."arrivals.daily_customers"]\n'
                                 'low = 300\nhigh = 500\nsteps = 200\n')
    out = tmp_path / "out"
    cmd = [str(path), "--out", str(out), "-q", "--executor", "serial", "--flush-seconds", "0.05"]
    first = subprocess.Popen([sys.executable, "-m", "branchlab.cli", "sweep", *cmd], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((out / "results").glob("part-*")):
        time.sleep(0.02)
    second = _cli(*cmd, "--resume")
    assert first.poll() is None  # the first run was still writing all along
    _, first_err = first.communicate()
    assert first.returncode == 0, first_err
    assert second.returncode == 2
    assert "another process is writing here" in second.stderr
    rows = load_sweep(out, rows=True)
    assert list(zip(rows["point"], rows["replication"], strict=True)) == [(k, r) for k in range(200) for r in (0, 1)]
