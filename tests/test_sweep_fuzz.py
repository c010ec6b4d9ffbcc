"""Fuzzing sweep files: whatever the file, only a one-line ScenarioError comes out.

1,000 generated variants of a valid sweep file (a value replaced, a key or table header
inserted, the design switched, bytes damaged, the file cut). Each either loads as a
:class:`sim.Sweep` whose points are all valid scenarios, or raises
:class:`sim.ScenarioError` naming the sweep file (or the base scenario it names) on
one line; no other exception.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import sim
from sim import with_overrides
from sim.sweeps import load_sweep_file
from tests.test_scenario_fuzz import FUZZ, MINIMAL_TOML, damaged, edit_line, float_literal

VALID = """\
[sweep]
scenario = "minimal.toml"
design = "grid"
replications = 2
seed = 7
common_random_numbers = true
[fields."staff.cash_teller.count"]
values = [1, 2]
[fields."arrivals.rate_per_hour"]
low = 10.0
high = 30.0
steps = 3
"""
LINES = VALID.splitlines()
KEYS = ["scenario", "design", "points", "replications", "seed", "common_random_numbers", "values", "low", "high",
        "steps", "integer", "fields", "sweep", "x"]
HEADERS = ['[fields."zones.cash.positions"]', '[fields.""]', '[fields."a..b"]', "[fields]", "[sweep]", "[other]",
           '[fields."staff.cash_teller"]', '[fields."outlet.name"]', '[fields."service.cash.mean_min"]',
           '[fields."segments.mass.share"]', '[fields."outlet.close"]', "[[fields]]", '[fields."x".y]']


literals = st.one_of(
    st.integers(-10, 70).map(str),
    st.sampled_from(["100001", "9223372036854775807", "-9223372036854775808", "99999999999999999999"]),
    st.floats(allow_nan=True, allow_infinity=True).map(float_literal),
    st.text(max_size=8).map(json.dumps),
    st.sampled_from(['"grid"', '"lhs"', '"sobol"', '"minimal.toml"', '"../missing.toml"', '""', '"."', "true",
                     "false", "[]", "{}", "[1, 1]", "[1, 2.0]", '["a", "b"]', "[[1], [2]]", "[{ a = 1 }]",
                     "[1e308, -1e308]", "{ low = 1 }", "1979-05-27", "07:32:00", "[nan]", "0x10", '"\\u0000"']),
)


@st.composite
def sweep_files(draw: st.DrawFn) -> bytes:
    """A damaged variant of :data:`VALID`."""
    lines = list(LINES)
    how = draw(st.sampled_from(["value", "value", "insert", "header", "design", "bytes", "cut", "drop"]))
    k = draw(st.integers(0, len(lines) - 1))
    edit_line(draw, lines, k, how, KEYS, literals)
    if how == "header":
        lines.insert(k, draw(st.sampled_from(HEADERS)))
    elif how == "design":
        lines[2] = f'design = "{draw(st.sampled_from(["lhs", "sobol"]))}"\npoints = {draw(literals)}'
    elif how == "drop":
        del lines[k]
    return damaged(draw, lines, how)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sweep_fuzz")
    (path / "minimal.toml").write_text(MINIMAL_TOML)
    return path


def test_the_unmutated_file_loads(folder: Path) -> None:
    (folder / "valid.toml").write_text(VALID)
    assert len(load_sweep_file(folder / "valid.toml").points) == 6


@pytest.mark.parametrize("scenario", ["/", ".", "..", "sub"])
def test_a_folder_as_the_base_scenario_is_named_against_the_sweep_file(folder: Path, scenario: str) -> None:
    """Found by the fuzz test below (``scenario = "/"``): the error names the sweep file and its field."""
    (folder / "sub").mkdir(exist_ok=True)
    path = folder / "folder_sweep.toml"
    path.write_text(VALID.replace('scenario = "minimal.toml"', f'scenario = "{scenario}"'))
    assert f'scenario = "{scenario}"' in path.read_text()
    with pytest.raises(sim.ScenarioError) as err:
        load_sweep_file(path)
    assert str(err.value).startswith(f"{path}: sweep.scenario: ")
    assert "is a folder" in str(err.value)


@pytest.mark.parametrize("scenario", ["nope.toml", "sub/nope.toml"])
def test_a_missing_base_scenario_is_named_against_the_sweep_file(folder: Path, scenario: str) -> None:
    """The error names the sweep file, its ``sweep.scenario`` field and the path looked for."""
    (folder / "sub").mkdir(exist_ok=True)
    path = folder / "missing_sweep.toml"
    path.write_text(VALID.replace('scenario = "minimal.toml"', f'scenario = "{scenario}"'))
    with pytest.raises(sim.ScenarioError) as err:
        load_sweep_file(path)
    assert str(err.value).startswith(f"{path}: sweep.scenario: {folder / scenario} does not exist (a relative")
    path.write_text(VALID.replace('scenario = "minimal.toml"', f'scenario = "{folder / "gone" / scenario}"'))
    with pytest.raises(sim.ScenarioError) as err:
        load_sweep_file(path)
    assert str(err.value) == f"{path}: sweep.scenario: {folder / 'gone' / scenario} does not exist"


@FUZZ
@given(raw=sweep_files())
def test_bad_sweep_files_give_only_one_line_scenario_errors(folder: Path, raw: bytes) -> None:
    path = folder / "sweep.toml"
    path.write_bytes(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sim.ScenarioWarning)  # legal but suspect points may warn
        try:
            design = load_sweep_file(path)
        except sim.ScenarioError as exc:
            text = str(exc)
            assert text.startswith((f"{path}: ", f"{path.parent / 'minimal.toml'}: ", f"{path.parent}"))
            assert "\n" not in text
            event("refused")
            return
        event("loaded")
        assert 1 <= len(design.points) <= 100_000
        for point in design.points[:20]:  # what loads is a runnable scenario
            assert isinstance(with_overrides(design.base, point), sim.Scenario)
