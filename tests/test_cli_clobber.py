"""No ``branchlab`` command may overwrite one of its own input files (or another of its outputs).

Each case points an output option at an input — the same path, spelled through ``./``, a
symbolic link or a hard link, or a file the command writes inside its ``--out`` folder —
and expects one ``branchlab: ...`` line naming the option and the input, exit status 2,
the input unchanged and no work started.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import optimize
import optimize.quarters
import sim.sweeps
from branchlab import cli
from branchlab.cli import main
from optimize.export import FILES
from optimize.quarter_report import FILES as QUARTER_FILES
from sim import validation
from sim.sweeps import SWEEP_FILES
from tests.conftest import SCENARIOS

POTENTIAL = SCENARIOS / "potential_outlet.toml"


def no_work(*args: object, **kwargs: object) -> None:
    """Stands in for the command's work: reaching it means the check came too late (or never)."""
    raise AssertionError("work started although an output would overwrite an input")


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], option: str, what: str, source: Path) -> str:
    """Run ``argv``; it must exit 2 with one line naming ``option`` and the input ``source`` (a ``what``)."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"branchlab: {option} "), err[0]
    assert f" the input {what} {source}" in err[0], err[0]
    return err[0]


def spellings(target: Path) -> dict[str, Callable[[], str]]:
    """Ways to name ``target`` again: itself, through ``./`` and ``..``, a symbolic link, a hard link."""
    def link(make: Callable[[Path, Path], None], name: str) -> str:
        alias = target.parent / name
        make(target, alias)
        return str(alias)
    return {
        "same": lambda: str(target),
        "dotted": lambda: str(target.parent / "." / ".." / target.parent.name / target.name),
        "symlink": lambda: link(lambda t, a: a.symlink_to(t), "alias.toml"),
        "hardlink": lambda: link(lambda t, a: os.link(t, a), "hard.toml"),
    }


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink"])
def test_simulate_json_never_overwrites_the_scenario(tmp_path: Path, spelling: str, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "outlet.toml"
    shutil.copy(POTENTIAL, scenario)
    before = scenario.read_bytes()
    monkeypatch.setattr(cli, "replicate", no_work)
    out = spellings(scenario)[spelling]()
    line = refused(capsys, ["simulate", str(scenario), "-n", "2", "--json", out, "-q"], "--json", "scenario", scenario)
    assert line == f"branchlab: --json {out}: would overwrite the input scenario {scenario}; give another file name"
    assert scenario.read_bytes() == before


def test_simulate_json_relative_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(POTENTIAL, tmp_path / "outlet.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "replicate", no_work)
    refused(capsys, ["simulate", "outlet.toml", "--json", "./outlet.toml", "-q"], "--json", "scenario",
            Path("outlet.toml"))
    assert (tmp_path / "outlet.toml").read_bytes() == POTENTIAL.read_bytes()


def test_validate_json_and_plot_must_differ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(validation, "run", no_work)
    out = tmp_path / "checks.svg"
    assert main(["validate", "--quick", "--json", str(out), "--plot", str(tmp_path / "." / "checks.svg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"branchlab: --plot {tmp_path / '.' / 'checks.svg'}: is the file --json writes; "
                   "give another file name"]


def write_sweep(folder: Path) -> Path:
    """A one-point sweep file in ``folder`` over a copy of the potential outlet there."""
    shutil.copy(POTENTIAL, folder / "outlet.toml")
    path = folder / "sweep.toml"
    path.write_text('[sweep]\nscenario = "outlet.toml"\ndesign = "grid"\nreplications = 1\n'
                    '[fields."staff.cash_teller.count"]\nvalues = [2]\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("layout", ["out-is-the-sweep-file", "points-csv-links-the-scenario",
                                    "manifest-links-the-sweep-file", "scenario-in-results"])
def test_sweep_out_never_overwrites_its_inputs(tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    links_sweep = layout in ("out-is-the-sweep-file", "manifest-links-the-sweep-file")
    what, source = ("sweep file", path) if links_sweep else ("scenario", tmp_path / "outlet.toml")
    if layout == "out-is-the-sweep-file":
        out = path
    elif layout == "scenario-in-results":
        (out / "results").mkdir(parents=True)
        (tmp_path / "outlet.toml").rename(out / "results" / "outlet.toml")
        path.write_text(path.read_text().replace('"outlet.toml"', '"out/results/outlet.toml"'))
        source = out / "results" / "outlet.toml"
    else:
        out.mkdir()
        (out / ("points.csv" if layout.startswith("points") else "manifest.json")).symlink_to(source)
    before = source.read_bytes()
    monkeypatch.setattr(sim.sweeps, "sweep", no_work)
    line = refused(capsys, ["sweep", str(path), "--out", str(out), "--executor", "serial", "-q"], "--out", what,
                   source)
    assert ("results/" in line) == (layout == "scenario-in-results")
    assert source.read_bytes() == before


def write_region(folder: Path) -> Path:
    """A two-outlet region file in ``folder`` over a copy of the potential outlet there."""
    shutil.copy(POTENTIAL, folder / "outlet.toml")
    path = folder / "region.toml"
    path.write_text('[region]\nname = "two"\n' + "".join(
        f'[[outlets]]\nname = "{name}"\nscenario = "outlet.toml"\n' for name in ("A", "B")), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", [*FILES, "cache"])
def test_optimize_out_never_overwrites_the_region_or_its_scenarios(
        tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    region = write_region(tmp_path)
    out, source = tmp_path / "out", tmp_path / "outlet.toml"
    if name == "cache":  # the outlet's scenario kept in the simulation cache folder
        (out / "cache").mkdir(parents=True)
        source = source.rename(out / "cache" / "outlet.toml")
        region.write_text(region.read_text().replace('"outlet.toml"', '"out/cache/outlet.toml"'))
    else:
        out.mkdir()
        (out / name).symlink_to(source)
    monkeypatch.setattr(optimize, "recommend", no_work)
    line = refused(capsys, ["optimize", str(region), "--out", str(out), "-q"], "--out", "scenario", source)
    assert ("cache/" in line) == (name == "cache")
    assert source.read_bytes() == POTENTIAL.read_bytes()
    if name == "cache":  # with --no-cache the cache folder is not written: the check lets the run start
        with pytest.raises(AssertionError, match="work started"):
            main(["optimize", str(region), "--out", str(out), "--no-cache", "-q"])


def test_optimize_out_may_hold_an_input_it_does_not_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A region file kept in its own results folder is fine: no export has its name."""
    region = write_region(tmp_path)
    monkeypatch.setattr(optimize, "recommend", no_work)
    with pytest.raises(AssertionError, match="work started"):  # the check let it through to the work
        main(["optimize", str(region), "--out", str(tmp_path), "-q"])


@pytest.mark.parametrize(("name", "what"), [("people.csv", "rules file"), ("days.csv", "scenario"),
                                            ("results.json", "file"), ("comparison.csv", "scenario")])
def test_quarter_out_never_overwrites_its_inputs(tmp_path: Path, name: str, what: str,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    region = write_region(tmp_path)
    rules = tmp_path / "rules.toml"
    rules.write_text("[horizon]\ndays_per_quarter = 3\n", encoding="utf-8")
    source = {"rules file": rules, "scenario": tmp_path / "outlet.toml", "file": region}[what]
    out = tmp_path / "out"
    out.mkdir()
    os.link(source, out / name)
    before = source.read_bytes()
    monkeypatch.setattr(optimize.quarters, "run_quarters", no_work)
    monkeypatch.setattr(optimize.quarters, "compare_rules", no_work)
    refused(capsys, ["quarter", str(region), "--out", str(out), "--rules", str(rules), "-q"], "--out", what, source)
    assert source.read_bytes() == before


def test_folder_names_checked_are_the_names_written(tmp_path: Path) -> None:
    """The guard's lists of what ``sweep`` and ``quarter`` write in ``--out`` match a real run of each."""
    path = write_sweep(tmp_path)
    assert main(["sweep", str(path), "--out", str(tmp_path / "sweep"), "--executor", "serial", "-q"]) == 0
    lock = SWEEP_FILES[-1]
    assert sorted(p.name for p in (tmp_path / "sweep").iterdir()) == sorted({*SWEEP_FILES, "results"} - {lock})
    rules = tmp_path / "rules.toml"
    rules.write_text("[horizon]\ndays_per_quarter = 2\n", encoding="utf-8")
    assert main(["quarter", str(POTENTIAL), "--quarters", "1", "--out", str(tmp_path / "q"), "--rules", str(rules),
                 "--compare-exit-rule", "--executor", "serial", "-q"]) == 0
    written = sorted(p.name for p in (tmp_path / "q").iterdir())
    # rules_comparison.csv is written only with --compare (checked in tests/test_incentives.py)
    assert written == sorted(set(QUARTER_FILES) - {".write-test", "rules_comparison.csv"})
