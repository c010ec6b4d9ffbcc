"""End to end: the console script as a planner runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from branchlab import cli
from branchlab.cli import main
from sim import OUTLET_KPIS, ZONE_KPIS, ZONES, validation
from sim.replicate import MAX_REPLICATIONS
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


def test_json_has_the_hour_segment_and_role_tables(tmp_path: Path) -> None:
    out = tmp_path / "kpis.json"
    assert main(["simulate", str(SCENARIOS / "backbone_outlet.toml"), "-n", "3", "--json", str(out), "-q"]) == 0
    doc = json.loads(out.read_text())
    scenario = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    assert list(doc["by_hour"]) == [f"{9 + h:02d}:00" for h in range(8)]
    assert list(doc["by_segment"]) == list(scenario.segments)
    assert list(doc["by_role"]) == [r for r in sim.ROLES if r in scenario.roles]
    for table in ("by_hour", "by_segment", "by_role"):
        for kpis in doc[table].values():
            for cell in kpis.values():
                assert set(cell) == {"mean", "ci95"}
                assert len(cell["ci95"]) == 2


def test_workers_give_the_serial_json(tmp_path: Path) -> None:
    scenario = str(SCENARIOS / "advancing_outlet.toml")
    serial, parallel = tmp_path / "serial.json", tmp_path / "parallel.json"
    assert main(["simulate", scenario, "-n", "9", "--seed", "3", "--json", str(serial), "-q"]) == 0
    assert main(["simulate", scenario, "-n", "9", "--seed", "3", "--json", str(parallel), "-q", "--workers", "2"]) == 0
    assert serial.read_bytes() == parallel.read_bytes()


def _one_error_line(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("branchlab: ")
    for word in words:
        assert word in lines[0]


BAD_VALUES = [
    (["--seed", "-1"], "--seed"), (["--seed", "x"], "--seed"), (["--seed", str(2**63)], "--seed"),
    (["-n", "0"], "--replications"), (["-n", str(MAX_REPLICATIONS + 1)], "--replications"),
    (["-n", "2.5"], "--replications"), (["--workers", "0"], "--workers"), (["--workers", "-1"], "--workers"),
    (["--executor", "bogus"], "--executor"),
]


@pytest.mark.parametrize(("extra", "word"), BAD_VALUES)
def test_bad_simulate_values_give_one_line_and_exit_2(extra: list[str], word: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(SCENARIOS / "potential_outlet.toml"), *extra]) == 2
    _one_error_line(capsys, word)


@pytest.mark.parametrize("seed", ["-1", "abc", str(2**63)])
def test_bad_validate_seed_gives_one_line_and_exit_2(seed: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--quick", "--seed", seed]) == 2
    _one_error_line(capsys, "--seed", "2**63 - 1")


def _unwritable_paths(tmp_path: Path) -> list[tuple[str, str]]:
    """(path, words in the error) that cannot take an output file."""
    (tmp_path / "a_file").write_text("x")
    paths = [(str(tmp_path), "folder"), (str(tmp_path / "missing" / "out.json"), "does not exist"),
             (str(tmp_path / "a_file" / "out.json"), "is a file, not a folder"),
             (str(tmp_path / "a_file" / "deeper" / "out.json"), "is a file, not a folder"),
             ("/dev/null", "not a regular file"),
             (str(tmp_path / ("x" * 300 + ".json")), "cannot write")]
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes anywhere; a read-only mount stands in below
        paths.append((str(locked / "out.json"), "cannot write"))
    if Path("/proc/self").is_dir():
        paths.append(("/proc/branchlab-out.json", "cannot write"))
    return paths


@pytest.mark.parametrize("command", ["simulate", "validate-json", "validate-plot"])
def test_output_paths_are_checked_before_any_work(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started before the output path was checked")

    monkeypatch.setattr(validation, "run", no_work)
    monkeypatch.setattr(cli, "load_scenario", no_work)
    for path, words in _unwritable_paths(tmp_path):
        argv = {"simulate": ["simulate", str(SCENARIOS / "potential_outlet.toml"), "--json", path],
                "validate-json": ["validate", "--quick", "--json", path],
                "validate-plot": ["validate", "--quick", "--plot", path]}[command]
        if command == "validate-plot":
            argv[-1] = path.removesuffix(".json") + ".png" if path.endswith(".json") else path
        assert main(argv) == 2, path
        _one_error_line(capsys, words)


def test_plot_needs_an_image_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--plot", str(tmp_path / "plot.txt")]) == 2
    _one_error_line(capsys, ".png", ".pdf", ".svg")


@pytest.mark.parametrize("command", [[], ["simulate"], ["validate"], ["sweep"], ["optimize"], ["quarter"]])
def test_help_prints_usage_and_exits_0(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([*command, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("usage: branchlab")


@pytest.mark.parametrize("command", ["sweep", "quarter", "optimize"])
@pytest.mark.parametrize("under", ["", "sub/deeper"])
def test_an_output_folder_on_a_file_is_refused_naming_the_file(command: str, under: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """``--out`` on a file, or under one, stops before any work with one line naming the file in the way."""
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    out = str(blocker / under) if under else str(blocker)
    inputs = {"sweep": [str(SCENARIOS / "sweep_small.toml")], "quarter": [str(SCENARIOS / "region_12_outlets.toml")],
              "optimize": [str(SCENARIOS / "region_12_outlets.toml")]}[command]
    assert main([command, *inputs, "--out", out, "-q"]) == 2
    _one_error_line(capsys, "--out" if command != "optimize" else str(blocker), str(blocker), "is a file")
    assert blocker.read_text() == "x"
