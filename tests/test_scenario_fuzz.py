"""Fuzzing scenario input: whatever the file or dictionary, only a one-line ScenarioError comes out.

Two generators, 1,000 examples each: TOML text derived from a valid scenario (a value
replaced, a line inserted, bytes damaged or cut), and Python dictionaries with values
of any shape put anywhere in a valid scenario. An input either loads (perhaps with a
:class:`sim.ScenarioWarning`) or raises :class:`sim.ScenarioError` naming the source;
no other exception, and no traceback-sized message.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from tests.conftest import MINIMAL

MINIMAL_TOML = """\
[outlet]
name = "test"
tier = "potential"
open = "09:00"
close = "17:00"
[zones.cash]
positions = 1
target_wait_min = 5
[staff.cash_teller]
count = 1
zones = ["cash"]
[arrivals]
rate_per_hour = 20.0
[segments.mass]
share = 1.0
needs = { cash = 1.0 }
[service.cash]
distribution = "exponential"
mean_min = 2.0
"""
LINES = MINIMAL_TOML.splitlines()
KEYS = ["count", "positions", "seats", "rate_per_hour", "daily_customers", "hourly_profile", "shift", "lunch",
        "cv", "mean_min", "values_min", "bundle", "patience", "zones", "inside", "visits_per_day", "x"]
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def float_literal(x: float) -> str:
    """A float as TOML writes it (``nan``, ``inf``, ``-inf`` or its repr)."""
    if math.isnan(x):
        return "nan"
    return ("inf" if x > 0 else "-inf") if math.isinf(x) else repr(x)


toml_literals = st.one_of(
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(float_literal),
    st.text(max_size=8).map(json.dumps),
    st.sampled_from(["true", "[]", "{}", '["cash", "cash"]', '["09:00"]', '["12:00", "11:00"]', '"1500:00"',
                     '"99999:00"', '"none"', "1979-05-27", '{ distribution = "gamma", mean_min = 1, cv = 1e-300 }',
                     "[1e308, 1e308]", "1e18", '"\\ud800"', "0x10", "1_000_000_000_000", '[["cash"]]']),
)


def edit_line(draw: st.DrawFn, lines: list[str], k: int, how: str, keys: list[str],
              literals: st.SearchStrategy[str]) -> None:
    """In place: give line ``k`` a drawn value (``value``), or insert a ``key = value`` line there (``insert``)."""
    if how == "value":
        key = lines[k].split("=")[0].strip() if "=" in lines[k] else draw(st.sampled_from(keys))
        lines[k] = f"{key} = {draw(literals)}"
    elif how == "insert":
        lines.insert(k, f"{draw(st.sampled_from(keys))} = {draw(literals)}")


def damaged(draw: st.DrawFn, lines: list[str], how: str) -> bytes:
    """``lines`` as UTF-8 text, then with a few random bytes spliced in (``bytes``) or cut short (``cut``)."""
    raw = ("\n".join(lines) + "\n").encode()
    if how == "bytes":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=6)) + raw[at + draw(st.integers(0, 6)):]
    elif how == "cut":
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@st.composite
def toml_texts(draw: st.DrawFn) -> bytes:
    """A damaged variant of :data:`MINIMAL_TOML`."""
    lines = list(LINES)
    how = draw(st.sampled_from(["value", "insert", "bytes", "cut"]))
    edit_line(draw, lines, draw(st.integers(0, len(lines) - 1)), how, KEYS, toml_literals)
    raw = damaged(draw, lines, how)
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + raw


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), st.text(max_size=6),
    st.sampled_from([np.int64(3), np.float32(2.5), np.bool_(True), np.uint8(0), np.float64("nan"), "09:30", "none",
                     "cash", "lognormal", "25:61", "1500:00", b"cash", 1e308, 10**8, -1]),
)
python_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(min_size=1, max_size=6), st.integers(0, 3), st.none()), inner, max_size=3),
    ),
    max_leaves=8,
)


def _table_paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            out += _table_paths(child, (*prefix, key))
    return out


PATHS = _table_paths(MINIMAL)


@st.composite
def python_inputs(draw: st.DrawFn) -> Any:
    """:data:`MINIMAL` with one value (or a new key) anywhere replaced by any Python value, or no dict at all."""
    if draw(st.integers(0, 19)) == 0:
        return draw(python_values)
    data = copy.deepcopy(MINIMAL)
    path = draw(st.sampled_from(PATHS))
    node = data
    for key in path[:-1]:
        node = node[key]
    target = node[path[-1]] if path else node
    if isinstance(target, dict) and draw(st.booleans()):
        target[draw(st.one_of(st.sampled_from(KEYS), st.integers(0, 2)))] = draw(python_values)
    elif path:
        node[path[-1]] = draw(python_values)
    return data


def _only_scenario_errors(load: Callable[[], sim.Scenario], source: str) -> None:
    message = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            assert isinstance(load(), sim.Scenario)
        except sim.ScenarioError as exc:
            message = str(exc)
    if message:
        assert message.startswith(f"{source}: ")
        assert "\n" not in message
        assert len(message) < 2000
    assert all(issubclass(w.category, sim.ScenarioWarning) for w in caught), [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz.toml"


def test_minimal_toml_matches_the_minimal_dict() -> None:
    import tomllib

    assert tomllib.loads(MINIMAL_TOML) == MINIMAL


@FUZZ
@given(raw=toml_texts())
def test_damaged_toml_files_give_one_line_errors(fuzz_file: Path, raw: bytes) -> None:
    fuzz_file.write_bytes(raw)
    _only_scenario_errors(lambda: sim.load_scenario(fuzz_file), str(fuzz_file))


@FUZZ
@given(data=python_inputs())
def test_any_python_value_gives_one_line_errors(data: Any) -> None:
    _only_scenario_errors(lambda: sim.from_dict(data, "fuzz.toml"), "fuzz.toml")
