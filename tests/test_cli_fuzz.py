"""Fuzz of the command line: whatever the arguments, one ``branchlab: ...`` line and exit 2, or success.

Hypothesis builds argument lists from the real sub-commands and options, values that
are right, wrong or absurd (negative, huge, non-numeric, text with line breaks, paths
that are folders, missing or unwritable) and file arguments of every kind (a valid tiny
scenario, a bad one, a binary file, a folder, a missing file). Work that would take long
is kept short without bypassing the argument handling: ``simulate`` runs the real model
for at most two days in this process, and ``validate`` / ``sweep`` stop where their long
run would begin (the argument checks, output checks and file loading all run first).
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sim
import sim.sweeps
from branchlab import cli
from sim import validation
from sim.replicate import MAX_REPLICATIONS
from sim.streams import MAX_SEED
from tests.conftest import SCENARIOS

#: Per sub-command: each option and some good values for it (None: a switch without a value).
GOOD: dict[str, dict[str, list[str] | None]] = {
    "simulate": {"-n": ["1", "2", "30"], "--replications": ["3"], "--seed": ["0", "7", str(2**63 - 1)],
                 "--json": ["out"], "--show": ["zones", "by_hour", "by_role"], "--executor": ["serial", "processes"],
                 "--workers": ["1", "2"], "-q": None, "--quiet": None},
    "validate": {"--quick": None, "--seed": ["0", "2024"], "--json": ["out"], "--plot": ["png"], "-q": None},
    "sweep": {"--out": ["runs"], "--executor": ["serial", "processes", "dask"], "--workers": ["1", "2"],
              "--scheduler": ["tcp://127.0.0.1:1"], "--resume": None, "--flush-seconds": ["0", "2.5"], "-q": None},
}
POSITIONAL = {"simulate": ["tiny"] * 4 + ["backbone", "bad", "binary", "missing", "folder"],
              "sweep": ["sweep"] * 4 + ["tiny", "missing", "folder", "binary"], "validate": []}
OTHER_FLAGS = ["--bogus", "-x", "--", "-n", "--out", "--plot", "--quick", "--show"]
OTHER_COMMANDS = ["simulat", "bogus", "-q", "--seed"]


# One teller, one hour, about 20 customers: a day costs well under a millisecond.
TINY = """
[outlet]
name = "tiny"
tier = "potential"
open = "09:00"
close = "10:00"
[zones.cash]
positions = 1
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


class Reached(Exception):
    """The point where a long run would start: the arguments were accepted."""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Named paths: input files of every kind and output places good and bad.

    Everything writable lies in a temporary folder: any file may be named as an output,
    so the shipped scenarios are used through copies.
    """
    root = tmp_path_factory.mktemp("cli_fuzz")
    for shipped in ("backbone_outlet.toml", "sweep_small.toml"):  # the sweep names the backbone beside it
        shutil.copy(SCENARIOS / shipped, root / shipped)
    (root / "tiny.toml").write_text(TINY)
    (root / "bad.toml").write_text(TINY.replace("rate_per_hour = 20.0", "rate_per_hour = -3"))
    (root / "binary.toml").write_bytes(bytes(range(256)) * 4)
    (root / "a_file").write_text("x")
    return {
        "tiny": str(root / "tiny.toml"), "bad": str(root / "bad.toml"), "binary": str(root / "binary.toml"),
        "backbone": str(root / "backbone_outlet.toml"), "sweep": str(root / "sweep_small.toml"),
        "missing": str(root / "missing.toml"), "folder": str(root), "out": str(root / "out.json"),
        "png": str(root / "plot.png"), "under_file": str(root / "a_file" / "out.json"),
        "missing_parent": str(root / "no" / "out.json"), "device": "/dev/null", "proc": "/proc/out.json",
        "runs": str(root / "runs"),
    }


def _any_value(files: dict[str, str]) -> st.SearchStrategy[str]:
    """Option values that are wrong or absurd for most options (and right for a few)."""
    text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
    specials = ["0", "-1", "-0", "1e3", "2.5", "nan", "inf", "", " ", "1_000", "٣", str(2**63), str(10**40),
                "1" * 5000, "a\nb", "\x0c", "\x1b[2J", "--", "-"]
    return st.one_of(st.sampled_from(specials), st.integers(-10**6, 10**6).map(str), text,
                     st.sampled_from(sorted(files.values())))


def _mostly(data: st.DataObject, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
    """A draw from ``good`` seven times in eight, else from ``bad`` (explicit odds: hypothesis
    would otherwise favour the wider strategy, and almost no command line would be valid)."""
    return data.draw(bad if data.draw(st.sampled_from([False] * 7 + [True])) else good)


def _draw_argv(data: st.DataObject, files: dict[str, str]) -> list[str]:
    """Mostly well-formed command lines with some parts wrong: a sub-command, its file, options."""
    command = _mostly(data, st.sampled_from(list(GOOD)), st.sampled_from(OTHER_COMMANDS))
    good = GOOD.get(command, {})
    any_value = _any_value(files)
    argv = [command]
    if POSITIONAL.get(command):
        argv.append(_mostly(data, st.sampled_from(POSITIONAL[command]).map(files.__getitem__), any_value))
    if command == "sweep" and _mostly(data, st.just(True), st.just(False)):
        argv += ["--out", files["runs"]]
    for _ in range(data.draw(st.integers(0, 4))):
        flag = _mostly(data, st.sampled_from(list(good) or OTHER_FLAGS), st.sampled_from(OTHER_FLAGS))
        values = good.get(flag)
        right = st.sampled_from([files.get(v, v) for v in values]) if values else st.none()
        value = _mostly(data, right, any_value)
        if value is None:
            argv.append(flag)
        else:
            argv += data.draw(st.sampled_from([[flag, value], [f"{flag}={value}"]]))
    return argv


@contextlib.contextmanager
def _short_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """At most two simulated days in this process; stop validate and sweep where their run starts."""
    real = sim.replicate

    def short_replicate(scenario: sim.Scenario, n: int, seed: int, **kwargs: Any) -> sim.Replications:
        assert 1 <= n <= MAX_REPLICATIONS
        assert 0 <= seed <= MAX_SEED
        return real(scenario, min(n, 2), seed, progress=kwargs.get("progress"))

    def reached(*args: object, **kwargs: object) -> None:
        raise Reached

    with monkeypatch.context() as patch:
        patch.setattr("branchlab.cli.replicate", short_replicate)
        patch.setattr(validation, "run", reached)
        patch.setattr(sim.sweeps, "sweep", reached)
        yield


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_arguments_give_one_line_and_exit_2_or_success(data: st.DataObject, files: dict[str, str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(files["folder"])  # a drawn relative output path lands in the temporary folder
    argv = _draw_argv(data, files)
    out, err = io.StringIO(), io.StringIO()
    status: object
    with _short_runs(monkeypatch), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(argv)
        except Reached:
            status = 0
        except SystemExit as exc:  # only --help (or an abbreviation of it) leaves by SystemExit
            status = -1 if exc.code == 0 and out.getvalue().startswith("usage: ") else exc.code
    event(f"{argv[0]}: exit {status}")
    if status == 2:  # one error line (after any one-line warnings about options the run would ignore)
        lines = [line for line in err.getvalue().splitlines() if not line.startswith("branchlab: warning: ")]
        assert len(lines) == 1, (argv, err.getvalue())
        assert lines[0].startswith("branchlab: "), argv
        assert len(lines[0]) > len("branchlab: "), argv
    elif status != -1:
        assert status == 0, (argv, err.getvalue())
        assert "Traceback" not in err.getvalue()
