"""Hardening round two: empty output paths, quarter outputs as one set, VIP books of 0,
'#' in outlet names (each failed before its fix)."""

from __future__ import annotations

from pathlib import Path

import pytest

from branchlab.cli import main
from optimize import quarter_report
from optimize.quarters import load_rules, load_study, run_quarters
from tests.conftest import SCENARIOS
from tests.test_quarters import BACKBONE, _cli, _short

RULES = "[horizon]\ndays_per_quarter = 2\n[ranking]\nexit_bottom = 1\n"


@pytest.mark.parametrize("command", [["quarter", str(BACKBONE)], ["sweep", str(SCENARIOS / "sweep_small.toml")]])
def test_an_empty_out_is_refused_before_any_work(command: list[str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "people.csv").write_text("mine\n")
    status = main([*command, "--out", "", "-q"] if command[0] == "quarter" else [*command, "--out", "", "--quiet"])
    assert status == 2
    assert "--out" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.csv"]
    assert (tmp_path / "people.csv").read_text() == "mine\n"


def _rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


def test_a_run_without_comparison_removes_the_old_comparison(tmp_path: Path) -> None:
    out, rules = tmp_path / "out", _rules(tmp_path)
    base = ["quarter", str(BACKBONE), "--quarters", "1", "--out", str(out), "--executor", "serial", "--rules",
            str(rules), "-q"]
    assert _cli([*base, "--compare-exit-rule"]) == 0
    assert (out / "comparison.csv").exists()
    assert _cli(base) == 0
    assert not (out / "comparison.csv").exists()
    assert "without" not in (out / "report.html").read_text(encoding="utf-8").lower().split("<h2>")[-1][:40]


def test_a_report_that_cannot_be_built_leaves_the_old_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, rules = tmp_path / "out", _rules(tmp_path)
    argv = ["quarter", str(BACKBONE), "--quarters", "1", "--out", str(out), "--executor", "serial", "--rules",
            str(rules), "-q"]
    assert _cli(argv) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args: object) -> str:
        raise ValueError("histogram of inf points")

    monkeypatch.setattr(quarter_report, "report_html", broken)
    with pytest.raises(ValueError, match="histogram"):
        _cli([*argv, "--seed", "5"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_region_outlet_with_no_vip_book_keeps_none(tmp_path: Path) -> None:
    region = tmp_path / "region.toml"
    region.write_text(f'[region]\nname = "r"\n[[outlets]]\nname = "Harbour"\nscenario = "{BACKBONE}"\n'
                      "vip_customers = 0\n", encoding="utf-8")
    study = load_study([region])
    assert study.vip_books == (0.0,)
    res = run_quarters(study, _short(days=2), quarters=1, seed=1)
    assert (res.outlets["vip_book_end"] == 0).all()
    assert load_study([BACKBONE]).vip_books == (None,)  # a plain scenario takes the rules' book
    book = load_rules(None).horizon.vip_book
    assert (run_quarters(load_study([BACKBONE]), _short(days=2), quarters=1, seed=1).outlets["vip_book_end"]
            > 0.5 * book).all()


def test_a_hash_in_an_outlet_name_survives_exits(tmp_path: Path) -> None:
    region = tmp_path / "region.toml"
    region.write_text(f'[region]\nname = "r"\n[[outlets]]\nname = "No.#2 Road"\nscenario = "{BACKBONE}"\n',
                      encoding="utf-8")
    res = run_quarters(load_study([region]), _short(days=3, exit_bottom=2), quarters=4, seed=2)
    cm = res.people[res.people["role"] == "customer_manager"]
    assert cm["exits"].any()
    hires = set(cm.loc[cm["person"].str.contains(r"#\d+$", regex=True), "person"])
    assert hires
    assert all(h.startswith("No.#2 Road/customer_manager_") and h.endswith("#2") for h in hires)
