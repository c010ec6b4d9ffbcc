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


def test_unquoted_dotted_override_keys_change_one_field(tmp_path: Path) -> None:
    from optimize import load_region

    region = tmp_path / "region.toml"
    region.write_text(f'[region]\nname = "r"\n[[outlets]]\nname = "A"\nscenario = "{BACKBONE}"\n'
                      "[outlets.overrides]\narrivals.daily_customers = 470\nstaff.cash_teller.count = 4\n",
                      encoding="utf-8")
    sc = load_region(region).outlets[0].scenario
    import sim

    base = sim.load_scenario(BACKBONE)
    assert sc.roles["cash_teller"].count == 4
    assert set(sc.roles) == set(base.roles)  # every other role kept
    assert sc.expected_customers == pytest.approx(470)
    assert sc.file_form is not None
    assert base.file_form is not None
    assert sc.file_form["arrivals"]["hourly_profile"] == base.file_form["arrivals"]["hourly_profile"]  # profile kept
    same = sim.with_overrides(base, {"arrivals": {"daily_customers": 470}})
    assert same.rate_per_hour == sc.rate_per_hour
    with pytest.raises(sim.ScenarioError, match="overrides: expected a table"):
        sim.with_overrides(base, [("staff.cash_teller.count", 4)])  # type: ignore[arg-type]


@pytest.mark.parametrize(("option", "value", "allowed"), [
    ("--replications", "0", "1 to 1,000"), ("--replications", "-1", "1 to 1,000"), ("--seed", "-1", "2**63 - 1"),
    ("--seed", str(2**64), "2**63 - 1"), ("--workers", "0", "1 to 256"), ("--workers", "9999", "1 to 256"),
    ("--quarters", "1000", "1 to 100"), ("--quarters", "2.5", "1 to 100"),
])
def test_quarter_options_share_one_table(option: str, value: str, allowed: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["quarter", str(BACKBONE), "--out", str(out), option, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert option in err[0]
    assert allowed in err[0]
    assert not out.exists()


def test_optimize_workers_bound_is_the_executors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["optimize", str(SCENARIOS / "region_12_outlets.toml"), "--out", str(out), "--workers", "300"]) == 2
    assert "1 to 256" in capsys.readouterr().err
    assert not out.exists()  # refused before the folder is made


def test_ignored_options_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", str(BACKBONE), "-n", "2", "--executor", "serial", "--workers", "2", "-q"])
    assert status == 0
    assert "branchlab: warning: --workers is ignored with --executor serial" in capsys.readouterr().err


def test_empty_rewards_pay_nobody(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[horizon]\ndays_per_quarter = 2\n[ranking]\ntop_rewards_yuan = []\n", encoding="utf-8")
    res = run_quarters(load_study([BACKBONE]), load_rules(path), quarters=1, seed=1, executor="serial")
    assert (res.people["rank_reward_yuan"].fillna(0) == 0).all()


@pytest.mark.parametrize("damage", ["short", "string", "null", "folder", "not json", "reps not a table"])
def test_damaged_cache_files_are_simulated_again(damage: str, tmp_path: Path) -> None:
    import json

    import numpy as np

    import sim
    from optimize.evaluate import Evaluator, variant_key
    from sim.executors import make_executor

    scenario = sim.load_scenario(BACKBONE)
    cache = tmp_path / "cache"
    fresh = Evaluator(make_executor("serial", None, None), cache).run([(scenario, 3, 2)])[0]
    path = cache / f"{variant_key(scenario, 3)}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    if damage == "short":
        doc["reps"]["0"] = doc["reps"]["0"][:3]
    elif damage == "string":
        doc["reps"]["0"][0] = "many"
    elif damage == "null":
        doc["reps"]["1"][2] = None
    elif damage == "reps not a table":
        doc["reps"] = [1, 2]
    if damage == "folder":
        path.unlink()
        path.mkdir()
    elif damage == "not json":
        path.write_text("{oops", encoding="utf-8")
    else:
        path.write_text(json.dumps(doc), encoding="utf-8")
    again = Evaluator(make_executor("serial", None, None), cache)
    days = again.run([(scenario, 3, 2)])[0]
    np.testing.assert_array_equal(days, fresh)  # the same days, simulated again where damaged
    assert again.simulated_days >= 1


def test_a_huge_outlet_list_gives_a_short_error(tmp_path: Path) -> None:
    import sim
    from optimize import load_region

    region = tmp_path / "region.toml"
    one = f'[[outlets]]\nname = "o{{k}}"\nscenario = "{BACKBONE}"\n'
    region.write_text('[region]\nname = "r"\n' + "".join(one.format(k=k) for k in range(10_001)), encoding="utf-8")
    with pytest.raises(sim.ScenarioError) as err:
        load_region(region)
    assert len(str(err.value)) < 300
    assert "10,001 tables" in str(err.value)


@pytest.mark.parametrize("option", ["--seed=--", "-n=--", "--workers=--"])
def test_a_dash_dash_value_is_refused(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(BACKBONE), "-q", option]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "expected a value, got '--'" in err[0]
