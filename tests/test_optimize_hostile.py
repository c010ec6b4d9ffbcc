"""Hostile input to ``branchlab optimize``, ``optimize.load_region`` and ``optimize.recommend``.

The README promises: exit 0 a verified plan, exit 2 bad input with ONE line
``branchlab: <file>: <field>: <problem>; allowed …`` and nothing written, exit 3 no plan
meets every rule with a diagnosis naming the conflicting rules. Each case below states
that expectation; each began as a defect found by a review and now guards its fix.

Runs are kept cheap: two or three small outlets on ``potential_outlet.toml`` with the
smallest search, ``--quick --executor serial --frontier 0 -n 2``.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import optimize
from branchlab.cli import main
from optimize.export import FILES
from sim.errors import ScenarioError
from tests.conftest import SCENARIOS

SERVICE = "[rules.service]\nwalkout_rate = 0.5\n[rules.service.service_level]\ncash = 0.3\nwealth = 0.1\n"
SEARCH = "[search]\nstep = 1\ntotal_step = 1\ncombos = 1\nscreen_replications = 2\n"
OUTLET_A = '[[outlets]]\nname = "A"\nscenario = "potential_outlet.toml"\n'
OUTLET_B = ('[[outlets]]\nname = "B"\nscenario = "potential_outlet.toml"\n'
            '[outlets.overrides]\n"arrivals.daily_customers" = 200\n')
#: A small region the optimiser solves in seconds: loose service limits, smallest search.
BASE = '[region]\nname = "hostile"\n' + SERVICE + SEARCH + OUTLET_A + OUTLET_B
FAST = ["--quick", "--executor", "serial", "--frontier", "0", "-n", "2", "-q"]


def region_text(*, region: str | None = None, top: str = "", service: str | None = None,
                outlet_a: str = "", outlet_b: str | None = None, outlets: str | None = None, tail: str = "") -> str:
    """``BASE`` with one part replaced or extended (each argument names the part; ``outlets`` replaces both)."""
    head = '[region]\nname = "hostile"\n' if region is None else "[region]\n" + region + "\n"
    second = OUTLET_B if outlet_b is None else outlet_b
    both = OUTLET_A + outlet_a + "\n" + second if outlets is None else outlets
    return top + head + (SERVICE if service is None else service) + SEARCH + both + "\n" + tail


def write_region(folder: Path, text: str) -> Path:
    """The region file ``text`` in ``folder`` beside a copy of the potential outlet scenario."""
    shutil.copy(SCENARIOS / "potential_outlet.toml", folder / "potential_outlet.toml")
    path = folder / "region.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | str, list[str]]:
    """Exit status (or ``"traceback <Exception>"``) and the non-blank stderr lines of ``branchlab``."""
    try:
        status: int | str = main(args)
    except Exception as exc:
        status = f"traceback {type(exc).__name__}: {exc}"
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return status, err


def recommendation_files(out: Path) -> list[str]:
    """Recommendation files present in ``out`` (the cache folder does not count)."""
    return sorted(name for name in FILES if (out / name).exists())


def assert_one_line(status: int | str, err: list[str], prefix: str, field: str = "") -> None:
    """Exit 2 and one stderr line starting ``prefix`` and naming ``field``."""
    assert status == 2, (status, err)
    assert len(err) == 1, err
    assert err[0].startswith(prefix), err
    assert field in err[0], err


def assert_bad_input(status: int | str, err: list[str], source: str, field: str, out: Path) -> None:
    """Exit 2, one line ``branchlab: <source>: … <field> …``, no recommendation written."""
    assert_one_line(status, err, f"branchlab: {source}", field)
    assert recommendation_files(out) == []


# ---- region file fields: exit 2 naming the field -------------------------------------------------

def case(case_id: str, edit: dict[str, str], field: str) -> Any:
    """One region-field case: the edit to ``BASE`` and the field the error must name."""
    return pytest.param(edit, field, id=case_id)


REGION_CASES = [
    # case(id, region_text keyword arguments, field named in the message)
    case("region.name-int", {"region": "name = 5"}, "region.name"),
    case("region.objective-bogus", {"region": 'objective = "profit"'}, "region.objective"),
    case("region.objective-cost-without-costs", {"region": 'objective = "value_minus_cost"'}, "cost_yuan_per_day"),
    case("region.movable-string", {"region": 'movable = "cash_teller"'}, "region.movable"),
    case("region.movable-duplicate", {"region": 'movable = ["cash_teller", "cash_teller"]'}, "region.movable"),
    case("region.movable-unknown-role", {"region": 'movable = ["janitor"]'}, "region.movable"),
    case("region.unknown-key", {"region": 'nmae = "x"'}, "region.nmae"),
    case("top-level-unknown-key", {"top": "bogus = 1\n"}, "bogus"),
    case("headcount-not-a-table", {"top": "headcount = 5\n"}, "headcount"),
    case("headcount.total-negative", {"tail": "[headcount]\ntotal = -1"}, "headcount.total"),
    case("headcount.total-1e308", {"tail": "[headcount]\ntotal = 1e308"}, "headcount.total"),
    case("headcount.total-10**20", {"tail": "[headcount]\ntotal = 100000000000000000000"}, "headcount.total"),
    case("headcount.total-string", {"tail": '[headcount]\ntotal = "24"'}, "headcount.total"),
    case("headcount.total-below-fixed-staff", {"tail": "[headcount]\ntotal = 0"}, "headcount.total"),
    case("pools-negative", {"tail": "[headcount.pools]\ncash_teller = -1"}, "headcount.pools.cash_teller"),
    case("pools-10**20", {"tail": "[headcount.pools]\ncash_teller = 100000000000000000000"},
         "headcount.pools.cash_teller"),
    case("pools-fraction", {"tail": "[headcount.pools]\ncash_teller = 2.5"}, "headcount.pools.cash_teller"),
    case("pools-unknown-role", {"tail": "[headcount.pools]\njanitor = 3"}, "headcount.pools.janitor"),
    case("pools-below-fixed-staff", {"tail": "[headcount.pools]\noutlet_head = 1"}, "headcount.pools.outlet_head"),
    case("cost-unknown-role", {"tail": "[cost_yuan_per_day]\njanitor = 100"}, "cost_yuan_per_day.janitor"),
    case("cost-negative", {"tail": "[cost_yuan_per_day]\ncash_teller = -100"}, "cost_yuan_per_day.cash_teller"),
    case("cost-nan", {"tail": "[cost_yuan_per_day]\ncash_teller = nan"}, "cost_yuan_per_day.cash_teller"),
    case("cost-inf", {"tail": "[cost_yuan_per_day]\ncash_teller = inf"}, "cost_yuan_per_day.cash_teller"),
    case("cost-1e308", {"tail": "[cost_yuan_per_day]\ncash_teller = 1e308"}, "cost_yuan_per_day.cash_teller"),
    case("inside_outside.low-negative", {"tail": "[rules.inside_outside]\nlow = -1"}, "rules.inside_outside.low"),
    case("inside_outside.high-zero", {"tail": "[rules.inside_outside]\nhigh = 0"}, "rules.inside_outside.high"),
    case("inside_outside.high-below-low", {"tail": "[rules.inside_outside]\nlow = 2\nhigh = 1"},
         "rules.inside_outside.high"),
    case("inside_outside.tolerance-negative", {"tail": "[rules.inside_outside]\ntolerance_people = -1"},
         "rules.inside_outside.tolerance_people"),
    case("inside_outside.enabled-yes", {"tail": '[rules.inside_outside]\nenabled = "yes"'},
         "rules.inside_outside.enabled"),
    case("inside_outside.bad-while-disabled", {"tail": "[rules.inside_outside]\nenabled = false\nlow = -5"},
         "rules.inside_outside.low"),
    case("inside_outside.unknown-key", {"tail": "[rules.inside_outside]\nratio = 1"}, "rules.inside_outside.ratio"),
    pytest.param({"tail": "[rules.inside_outside]\nlow = 1e308\nhigh = 1e308"},
                 "rules.inside_outside.low",
                 id="inside_outside.low-1e308"),
    pytest.param({"tail": "[rules.inside_outside]\nlow = 1e20\nhigh = 1e20"},
                 "rules.inside_outside.low",
                 id="inside_outside.low-1e20"),
    case("min_cms.count-negative", {"tail": "[rules.min_customer_managers]\ncount = -1"},
         "rules.min_customer_managers.count"),
    case("min_cms.count-1e308", {"tail": "[rules.min_customer_managers]\ncount = 1e308"},
         "rules.min_customer_managers.count"),
    case("min_cms.count-10**20", {"tail": "[rules.min_customer_managers]\ncount = 100000000000000000000"},
         "rules.min_customer_managers.count"),
    case("min_cms.enabled-yes", {"tail": '[rules.min_customer_managers]\nenabled = "yes"'},
         "rules.min_customer_managers.enabled"),
    case("tiers.monotone-yes", {"tail": '[rules.tiers]\nmonotone = "yes"'}, "rules.tiers.monotone"),
    case("tiers.bounds-unknown-tier", {"tail": "[rules.tiers.bounds.mega]\nmin = 1"}, "rules.tiers.bounds.mega"),
    case("tiers.bounds-min-above-max", {"tail": "[rules.tiers.bounds.potential]\nmin = 14\nmax = 9"},
         "rules.tiers.bounds.potential.max"),
    case("tiers.bounds-min-negative", {"tail": "[rules.tiers.bounds.potential]\nmin = -1"},
         "rules.tiers.bounds.potential.min"),
    case("tiers.bounds-max-1e308", {"tail": "[rules.tiers.bounds.potential]\nmax = 1e308"},
         "rules.tiers.bounds.potential.max"),
    case("tiers.bounds-unknown-key", {"tail": "[rules.tiers.bounds.potential]\nminimum = 3"},
         "rules.tiers.bounds.potential.minimum"),
    case("vip.book_size-zero", {"tail": "[rules.vip_maintenance]\nbook_size = 0"}, "rules.vip_maintenance.book_size"),
    case("vip.book_size-nan", {"tail": "[rules.vip_maintenance]\nbook_size = nan"}, "rules.vip_maintenance.book_size"),
    case("vip.maintainers-zero", {"tail": "[rules.vip_maintenance]\nmaintainers_per_vip = 0"},
         "rules.vip_maintenance.maintainers_per_vip"),
    case("vip.enabled-int", {"tail": "[rules.vip_maintenance]\nenabled = 1"}, "rules.vip_maintenance.enabled"),
    case("service.walkout-zero", {"service": "[rules.service]\nwalkout_rate = 0\n"}, "rules.service.walkout_rate"),
    case("service.walkout-two", {"service": "[rules.service]\nwalkout_rate = 2\n"}, "rules.service.walkout_rate"),
    case("service.walkout-string", {"service": '[rules.service]\nwalkout_rate = "5%"\n'}, "rules.service.walkout_rate"),
    case("service.level-unknown-zone", {"service": "[rules.service.service_level]\nvault = 0.8\n"},
         "rules.service.service_level.vault"),
    case("service.level-1.5", {"service": "[rules.service.service_level]\ncash = 1.5\n"},
         "rules.service.service_level.cash"),
    case("service.level-nan", {"service": "[rules.service.service_level]\ncash = nan\n"},
         "rules.service.service_level.cash"),
    case("service.level-not-a-table", {"service": "[rules.service]\nservice_level = 0.8\n"},
         "rules.service.service_level"),
    case("service.enabled-yes", {"service": '[rules.service]\nenabled = "yes"\n'}, "rules.service.enabled"),
    case("transfers.max_moves-negative", {"tail": "[rules.transfers]\nmax_moves = -1"}, "rules.transfers.max_moves"),
    case("transfers.max_moves-fraction", {"tail": "[rules.transfers]\nmax_moves = 1.5"}, "rules.transfers.max_moves"),
    case("transfers.max_moves-10**20", {"tail": "[rules.transfers]\nmax_moves = 100000000000000000000"},
         "rules.transfers.max_moves"),
    case("rules-unknown-table", {"tail": "[rules.bogus]\nx = 1"}, "rules.bogus"),
    case("outlets-empty-list", {"top": "outlets = []\n", "outlets": ""}, "outlets"),
    case("outlets-missing", {"outlets": ""}, "outlets"),
    case("outlets-string", {"top": 'outlets = "A"\n', "outlets": ""}, "outlets"),
    case("outlets-not-tables", {"top": "outlets = [1, 2]\n", "outlets": ""}, "outlets[0]"),
    case("outlet.name-int", {"outlet_b": '[[outlets]]\nname = 7\nscenario = "potential_outlet.toml"\n'},
         "outlets[1].name"),
    case("outlet.name-duplicate", {"outlet_b": OUTLET_A}, "outlets"),
    case("outlet.scenario-missing", {"outlet_b": '[[outlets]]\nname = "B"\nscenario = "nope.toml"\n'},
         "outlets[1].scenario"),
    case("outlet.scenario-directory", {"outlet_b": '[[outlets]]\nname = "B"\nscenario = "."\n'}, "outlets[1].scenario"),
    case("outlet.scenario-is-the-region", {"outlet_b": '[[outlets]]\nname = "B"\nscenario = "region.toml"\n'},
         "outlets[1].scenario"),
    case("outlet.tier-unknown", {"outlet_a": 'tier = "mega"'}, "outlets[0].tier"),
    case("outlet.second_level-yes", {"outlet_a": 'second_level = "yes"'}, "outlets[0].second_level"),
    case("outlet.vip-negative", {"outlet_a": "vip_customers = -1"}, "outlets[0].vip_customers"),
    case("outlet.vip-nan", {"outlet_a": "vip_customers = nan"}, "outlets[0].vip_customers"),
    case("outlet.vip-1e308", {"outlet_a": "vip_customers = 1e308"}, "outlets[0].vip_customers"),
    case("outlet.unknown-key", {"outlet_a": "capacity = 3"}, "outlets[0].capacity"),
    case("outlet.overrides-not-a-table", {"outlet_a": "overrides = 3"}, "outlets[0].overrides"),
    case("outlet.overrides-unknown-path", {"outlet_a": '[outlets.overrides]\n"arrivals.bogus" = 3'},
         "outlets[0].overrides"),
    case("outlet.overrides-inside-above-count",
         {"outlet_a": '[outlets.overrides]\n"staff.customer_manager.inside" = 99'}, "outlets[0].overrides"),
    case("outlet.overrides-negative-count", {"outlet_a": '[outlets.overrides]\n"staff.cash_teller.count" = -1'},
         "outlets[0].overrides"),
    case("outlet.overrides-empty-key", {"outlet_a": '[outlets.overrides]\n"" = 3'}, "outlets[0].overrides"),
    case("outlet.overrides-1e308-customers", {"outlet_a": '[outlets.overrides]\n"arrivals.daily_customers" = 1e308'},
         "outlets[0].overrides"),
    pytest.param({"region": 'name = ""'}, "region.name",
                 id="region.name-empty"),
    pytest.param({"outlet_b": '[[outlets]]\nname = ""\nscenario = "potential_outlet.toml"\n'}, "outlets[1].name",
                 id="outlet.name-empty"),
    pytest.param({"outlet_b": '[[outlets]]\nname = "   "\nscenario = "potential_outlet.toml"\n'}, "outlets[1].name",
                 id="outlet.name-blank"),
    pytest.param({"outlet_b": '[[outlets]]\nname = "A\\nB"\nscenario = "potential_outlet.toml"\n'},
                 "outlets[1].name",
                 id="outlet.name-newline"),
    pytest.param({"outlet_b": '[[outlets]]\nname = "A "\nscenario = "potential_outlet.toml"\n'}, "outlets",
                 id="outlet.name-duplicate-but-for-space"),
    pytest.param({"outlet_b": '[[outlets]]\nname = "\\u001b[31mB"\nscenario = "potential_outlet.toml"\n'},
                 "outlets[1].name",
                 id="outlet.name-control-character"),
    pytest.param({"region": 'name = "R\\u0007"'}, "region.name",
                 id="region.name-control-character"),
    pytest.param({"outlet_a": "vip_customers = 10.5"}, "outlets[0].vip_customers",
                 id="outlet.vip-fraction"),
]


@pytest.mark.parametrize(("edit", "field"), REGION_CASES)
def test_bad_region_field_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                edit: dict[str, str], field: str) -> None:
    region = write_region(tmp_path, region_text(**edit))
    out = tmp_path / "out"
    status, err = run_cli(["optimize", str(region), "--out", str(out), *FAST], capsys)
    assert_bad_input(status, err, str(region), field, out)


# ---- the region file itself ----------------------------------------------------------------------

def _binary(folder: Path) -> Path:
    path = folder / "binary.toml"
    path.write_bytes(bytes(range(256)) * 4)
    return path


def _directory(folder: Path) -> Path:
    path = folder / "folder.toml"
    path.mkdir()
    return path


def _empty(folder: Path) -> Path:
    path = folder / "empty.toml"
    path.write_bytes(b"")
    return path


def _invalid(folder: Path) -> Path:
    path = folder / "invalid.toml"
    path.write_text(BASE + "\n[[[\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("make", [
    pytest.param(lambda folder: folder / "missing.toml", id="missing"),
    pytest.param(_binary, id="binary"),
    pytest.param(_directory, id="directory"),
    pytest.param(_empty, id="empty"),
    pytest.param(_invalid, id="invalid-toml"),
])
def test_unusable_region_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      make: Callable[[Path], Path]) -> None:
    region = make(tmp_path)
    out = tmp_path / "out"
    status, err = run_cli(["optimize", str(region), "--out", str(out), *FAST], capsys)
    assert_bad_input(status, err, str(region), "", out)
    assert not out.exists()


def _limit_memory() -> None:
    """In the child: at most 1.2 GB of address space, so an endless read fails fast instead of eating RAM."""
    resource.setrlimit(resource.RLIMIT_AS, (1_200_000_000, 1_200_000_000))


def _run_cli_process(region: str, out: Path) -> tuple[int | str, list[str]]:
    """``branchlab optimize`` in a child process with a 15 s wall-clock limit and capped memory."""
    command = [sys.executable, "-m", "branchlab.cli", "optimize", region, "--out", str(out), *FAST]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=15, preexec_fn=_limit_memory,
                              check=False)
    except subprocess.TimeoutExpired:
        return "hang (killed after 15 s)", []
    return done.returncode, [line for line in done.stderr.splitlines() if line.strip()]


def test_fifo_region_exits_2_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "region.toml"
    os.mkfifo(fifo)
    status, err = _run_cli_process(str(fifo), tmp_path / "out")
    assert_one_line(status, err, f"branchlab: {fifo}")


def test_endless_region_file_exits_2(tmp_path: Path) -> None:
    status, err = _run_cli_process("/dev/zero", tmp_path / "out")
    assert_one_line(status, err, "branchlab: /dev/zero")


def test_region_with_byte_order_mark_loads(tmp_path: Path) -> None:
    region = write_region(tmp_path, "\ufeff" + BASE)
    assert [o.name for o in optimize.load_region(region).outlets] == ["A", "B"]


@pytest.mark.parametrize(("table", "absent"), [
    pytest.param("[rules.tiers]\nenabled = false\n[rules.tiers.bounds.potential]\nmin = 100",
                 lambda r: r.policy.tier_bounds == {} and not r.policy.tier_monotone,
                 id="tiers"),
    pytest.param("[rules.transfers]\nenabled = false\nmax_moves = 0", lambda r: r.policy.max_moves is None,
                 id="transfers"),
    pytest.param("[rules.min_customer_managers]\nenabled = false\ncount = 50",
                 lambda r: r.policy.min_customer_managers is None, id="min_customer_managers"),
    pytest.param("[rules.vip_maintenance]\nenabled = false", lambda r: r.policy.vip is None, id="vip_maintenance"),
])
def test_every_rule_switches_off_with_enabled_false(tmp_path: Path, table: str,
                                                    absent: Callable[[Any], bool]) -> None:
    region = optimize.load_region(write_region(tmp_path, region_text(tail=table)))
    assert absent(region)


# ---- infeasible rules: exit 3 with a diagnosis ----------------------------------------------------

MONOTONE_BROKEN_TODAY = region_text(
    outlet_a='tier = "flagship"\n[outlets.overrides]\n"staff.cash_teller.count" = 1',
    tail="[rules.transfers]\nmax_moves = 0")


@pytest.mark.parametrize(("text", "named", "not_named"), [
    pytest.param(region_text(tail="[headcount]\ntotal = 10"), "total head-count pool 10", None, id="total-too-small"),
    pytest.param(region_text(tail="[headcount.pools]\ncash_teller = 0"), "cash_teller pool 0", None, id="pool-zero"),
    pytest.param(region_text(tail="[rules.min_customer_managers]\ncount = 50"), "at least 50 customer managers",
                 None, id="min-cms-50"),
    pytest.param(region_text(tail="[rules.tiers.bounds.potential]\nmin = 100"), "at least 100 people", None,
                 id="tier-min-100"),
    pytest.param(region_text(tail="[rules.tiers.bounds.potential]\nmax = 0"), "at most 0 people", None,
                 id="tier-max-0"),
    pytest.param(region_text(service="[rules.service]\nwalkout_rate = 1e-9\n"), "walkout_rate", None,
                 id="walkout-1e-9"),
    pytest.param(region_text(tail="[rules.inside_outside]\nlow = 10\nhigh = 10\ntolerance_people = 0"),
                 "inside <= 10 x outside", None, id="ratio-10-to-1"),
    pytest.param(region_text(outlet_a='[outlets.overrides]\n"staff.customer_manager.count" = 0\n'
                             '"staff.customer_manager.inside" = 0'), "at least 5 customer managers", None,
                 id="no-cms-at-outlet"),
    pytest.param(region_text(outlet_a="vip_customers = 100000"), "VIP", "inside >=",
                 id="vip-100000-spurious-ratio-blame"),
    pytest.param(MONOTONE_BROKEN_TODAY, "mean head-count", None,
                 id="monotone-vs-no-moves-names-both"),
])
def test_infeasible_region_exits_3_with_diagnosis(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                                   named: str, not_named: str | None) -> None:
    region = write_region(tmp_path, text)
    out = tmp_path / "out"
    status, err = run_cli(["optimize", str(region), "--out", str(out), *FAST], capsys)
    assert status == 3, (status, err)
    assert err[0].startswith(f"branchlab: {region}: no staffing plan satisfies every rule"), err
    diagnosis = "\n".join(err[1:])
    assert named in diagnosis, err
    if not_named is not None:
        assert not_named not in diagnosis, err
    assert recommendation_files(out) == []


# ---- command-line options -------------------------------------------------------------------------

@pytest.mark.parametrize(("options", "field"), [
    pytest.param(["-n", "0"], "--replications", id="replications-0"),
    pytest.param(["-n", "1"], "--replications", id="replications-1"),
    pytest.param(["-n", "-5"], "--replications", id="replications-negative"),
    pytest.param(["-n", "100000000000000000000"], "--replications", id="replications-huge"),
    pytest.param(["-n", "ten"], "--replications", id="replications-text"),
    pytest.param(["--seed", "-1"], "--seed", id="seed-negative"),
    pytest.param(["--workers", "0"], "--workers", id="workers-0"),
    pytest.param(["--executor", "bogus"], "--executor", id="executor-bogus"),
    pytest.param(["--frontier", "-1"], "--frontier", id="frontier-negative"),
    pytest.param(["--frontier", "100000"], "--frontier", id="frontier-huge"),
    pytest.param(["--gap", "-1"], "--gap", id="gap-negative"),
    pytest.param(["--gap", "2"], "--gap", id="gap-2"),
    pytest.param(["--gap", "nan"], "--gap", id="gap-nan"),
    pytest.param(["--solver", "bogus"], "--solver", id="solver-bogus"),
    pytest.param(["--seed", str(10**29)], "--seed",
                 id="seed-10**29"),
    pytest.param(["--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"], "scheduler",
                 id="dask-scheduler-unreachable"),
])
def test_bad_option_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str],
                                          field: str) -> None:
    region = write_region(tmp_path, BASE)
    out = tmp_path / "out"
    status, err = run_cli(["optimize", str(region), "--out", str(out), *FAST, *options], capsys)
    assert_one_line(status, err, "branchlab: ", field)
    assert recommendation_files(out) == []


def _a_file(folder: Path) -> Path:
    path = folder / "a_file"
    path.write_text("keep me\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("make_out", [
    pytest.param(_a_file, id="onto-a-file"),
    pytest.param(lambda folder: _a_file(folder) / "below", id="below-a-file"),
    pytest.param(lambda folder: Path("/proc/version/below"), id="below-a-proc-file"),
    pytest.param(lambda folder: folder / "region.toml", id="onto-the-region-file"),
])
def test_unusable_out_exits_2_and_touches_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  make_out: Callable[[Path], Path]) -> None:
    region = write_region(tmp_path, BASE)
    out = make_out(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    status, err = run_cli(["optimize", str(region), "--out", str(out), *FAST], capsys)
    assert_one_line(status, err, f"branchlab: {out}")
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def _cache_is_a_file(folder: Path) -> Path:
    out = folder / "out"
    out.mkdir()
    (out / "cache").write_text("not a folder\n", encoding="utf-8")
    return out


def _output_name_is_a_folder(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        out = folder / "out"
        (out / name).mkdir(parents=True)
        return out
    return make


@pytest.mark.parametrize("make_out", [
    pytest.param(_cache_is_a_file, id="cache-is-a-file"),
    pytest.param(_output_name_is_a_folder("recommendation.csv"),
                 id="csv-name-is-a-folder"),
    pytest.param(_output_name_is_a_folder("report.html"),
                 id="report-name-is-a-folder"),
])
def test_blocked_output_names_exit_2_before_work_and_publish_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], make_out: Callable[[Path], Path]) -> None:
    region = write_region(tmp_path, BASE)
    out = make_out(tmp_path)
    status, err = run_cli(["optimize", str(region), "--out", str(out), *FAST], capsys)
    assert_one_line(status, err, f"branchlab: {out}")
    assert [name for name in recommendation_files(out) if (out / name).is_file()] == []


def test_empty_out_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    region = write_region(tmp_path, BASE)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    status, err = run_cli(["optimize", str(region), "--out", "", *FAST], capsys)
    assert_one_line(status, err, "branchlab: ", "--out")
    assert list(work.iterdir()) == []


# ---- Python API: optimize.recommend arguments ------------------------------------------------------

@pytest.fixture(scope="module")
def small_region(tmp_path_factory: pytest.TempPathFactory) -> optimize.Region:
    """The small region, loaded once for the API cases."""
    return optimize.load_region(write_region(tmp_path_factory.mktemp("api"), BASE))


@pytest.mark.parametrize("path", [None, 3, b"region.toml", ""])
def test_load_region_refuses_non_paths(path: Any) -> None:
    with pytest.raises(ScenarioError):
        optimize.load_region(path)


@pytest.mark.parametrize(("kwargs", "name"), [
    pytest.param({"executor": "bogus"}, "executor", id="executor-bogus"),
    pytest.param({"executor": "processes", "workers": 0}, "workers", id="workers-0"),
    pytest.param({"replications": 0}, "replications",
                 id="replications-0"),
    pytest.param({"replications": -5}, "replications",
                 id="replications-negative"),
    pytest.param({"replications": 1}, "replications",
                 id="replications-1"),
    pytest.param({"seed": -1}, "seed",
                 id="seed-negative"),
    pytest.param({"gap": float("nan")}, "gap", id="gap-nan"),
    pytest.param({"gap": -1.0}, "gap", id="gap-negative"),
    pytest.param({"gap": 2.0}, "gap", id="gap-2"),
    pytest.param({"frontier": -1}, "frontier", id="frontier-negative"),
    pytest.param({"stage2": 0}, "stage2", id="stage2-0"),
    pytest.param({"verify_replications": 0}, "verify_replications",
                 id="verify_replications-0"),
])
def test_recommend_refuses_bad_arguments(small_region: optimize.Region, kwargs: dict[str, Any], name: str) -> None:
    args: dict[str, Any] = {"replications": 2, "seed": 0, "executor": "serial", "frontier": 0, "stage2": 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        optimize.recommend(small_region, **args)


def test_recommend_refuses_unknown_solver_before_simulating(small_region: optimize.Region) -> None:
    ticks: list[int] = []
    with pytest.raises(ValueError, match="solver"):
        optimize.recommend(small_region, replications=2, executor="serial", frontier=0, stage2=2, solver="bogus",
                           progress=lambda stage, done, total: ticks.append(done))
    assert ticks == []


def test_frontier_never_reports_negative_budgets(small_region: optimize.Region) -> None:
    rec = optimize.recommend(small_region, replications=2, executor="serial", frontier=30, stage2=2)
    assert rec.frontier["budget"].min() >= 0
