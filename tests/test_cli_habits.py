"""Command-line habits: ``--version``, help text without docstring markup, and ``quarter`` naming what it wrote."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from branchlab.cli import main, plain

ROOT = Path(__file__).resolve().parents[1]
POTENTIAL = ROOT / "scenarios" / "potential_outlet.toml"
#: What reStructuredText markup looks like in a terminal: ``literal`` or :role:`target`.
MARKUP = re.compile(r"``|:[a-z]+:`")


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"branchlab {metadata.version('branchlab')}\n"


@pytest.mark.parametrize("command", [[], ["simulate"], ["validate"], ["sweep"], ["optimize"], ["quarter"]])
def test_help_has_no_markup(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert not MARKUP.search(out), MARKUP.search(out)
    if not command:
        assert "The branchlab command line" in out
        assert "--version" in out


@pytest.mark.parametrize(("text", "shown"), [
    ("The ``branchlab`` command line", "The branchlab command line"),
    ("see :func:`sim.replicate`", "see sim.replicate"),
    ("see :mod:`~optimize.export`", "see export"),
    (":class:`the plan <optimize.result.Recommendation>`", "the plan"),
    (":py:meth:`Recommendation.headline`", "Recommendation.headline"),
    ("0 to 2**63 - 1 (default 0)", "0 to 2**63 - 1 (default 0)"),  # not markup: left alone
])
def test_plain_strips_the_markup_a_docstring_uses(text: str, shown: str) -> None:
    assert plain(text) == shown


def test_quarter_ends_with_every_file_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[horizon]\ndays_per_quarter = 2\n", encoding="utf-8")
    out = tmp_path / "q"
    assert main(["quarter", str(POTENTIAL), "--quarters", "1", "--out", str(out), "--rules", str(rules),
                 "--compare-exit-rule", "--executor", "serial", "-q"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("wrote: ")
    listed = last.removeprefix("wrote: ").split(", ")
    assert sorted(listed) == sorted(str(p) for p in out.iterdir())  # every file, and only files it wrote
    assert str(out / "comparison.csv") in listed
    assert str(out / "report.html") in listed
