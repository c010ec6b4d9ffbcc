"""One description of a scenario: typed replacement gives what the file form would, the cache key follows
the typed fields, and a changed scenario carries no stale file form (issue 15)."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.scenario import file_form, from_dict, load_scenario, with_overrides
from sim.scenario_types import MAX_SPEED, MAX_SURGE, Scenario
from sim.staffing import StaffingPlan
from tests.conftest import SCENARIOS

SHIPPED = sorted(p for p in SCENARIOS.glob("*_outlet.toml"))


@pytest.fixture(scope="module", params=[p.name for p in SHIPPED])
def shipped(request: pytest.FixtureRequest) -> Scenario:
    return load_scenario(SCENARIOS / request.param)


def _as_file(scenario: Scenario, overrides: dict[str, object]) -> Scenario:
    return with_overrides(scenario, overrides, quiet=True)


def test_typed_day_changes_equal_the_file_form_overrides(shipped: Scenario) -> None:
    """Surge, shares and speeds by typed replacement are the scenario the dotted overrides would read, on 20
    random draws per outlet (so the horizon's days, now typed, are the days they were)."""
    rng = np.random.default_rng(5)
    segments = list(shipped.segments.values())
    role = next(r for r in shipped.roles.values() if r.zones and r.inside)
    for _ in range(20):
        factor = float(rng.uniform(0.2, 3.0))
        raw_shares = rng.uniform(0.1, 1.0, len(segments))
        shares = {s.id: float(v / raw_shares.sum()) for s, v in zip(segments, raw_shares, strict=True)}
        speeds = [float(v) for v in rng.uniform(0.5, 2.0, role.inside)]
        typed = shipped.with_surge(factor).with_shares(shares).with_speeds({role.id: speeds})
        dotted = _as_file(shipped, {"arrivals.surge_factor": factor, f"staff.{role.id}.speed": speeds,
                                    **{f"segments.{k}.share": v for k, v in shares.items()}})
        assert typed == dotted
        assert typed.rate_per_hour == dotted.rate_per_hour  # the same floats, not merely close
        assert typed.content_key() == dotted.content_key()


def test_with_staffing_equals_the_file_that_says_so(shipped: Scenario) -> None:
    rng = np.random.default_rng(8)
    for _ in range(10):
        counts = {r.id: int(rng.integers(0, 6)) for r in shipped.roles.values()}
        cms = counts.get("customer_manager", 0)
        inside = int(rng.integers(0, cms + 1))
        plan = StaffingPlan.of(counts, inside)
        assert shipped.file_form is not None
        data = copy.deepcopy(dict(shipped.file_form))
        for rid, n in counts.items():
            data["staff"][rid]["count"] = n
        if "customer_manager" in counts:
            data["staff"]["customer_manager"]["inside"] = inside
        staffed = shipped.with_staffing(plan)
        with_file = from_dict(data, shipped.source)
        # the file form has the role's lunch stagger, which with_staffing shortens when the lunches overrun
        with_file = replace(with_file, roles={rid: replace(r, lunch_stagger_min=staffed.roles[rid].lunch_stagger_min)
                                              for rid, r in with_file.roles.items()})
        assert staffed == with_file
        assert staffed.content_key() == with_file.content_key()


def test_the_key_tells_every_typed_change_apart_and_ignores_the_source(shipped: Scenario) -> None:
    again = load_scenario(Path(shipped.source))
    assert again is not shipped
    assert again.content_key() == shipped.content_key()
    assert replace(shipped, source="elsewhere.toml").content_key() == shipped.content_key()
    plan = shipped.staffing_plan()
    more = StaffingPlan.of({**dict(plan.counts), "cash_teller": plan.count("cash_teller") + 1}, plan.cm_inside)
    segment = next(iter(shipped.segments.values()))
    variants = [shipped.with_surge(shipped.surge_factor * 1.01), shipped.with_staffing(more),
                replace(shipped, segments={**shipped.segments, segment.id: replace(segment, propensity=0.5)}),
                replace(shipped, outlet=replace(shipped.outlet, warmup_min=shipped.outlet.warmup_min + 1)),
                shipped.with_surge(shipped.surge_factor + 5e-16 * shipped.surge_factor)]  # one ulp or so
    keys = {v.content_key() for v in variants if v != shipped}
    assert len(keys) == sum(v != shipped for v in variants)
    assert shipped.content_key() not in keys


def _documented_form(value: object) -> object:
    """The key's canonical form as documented, built as nested lists for ``json.dumps``."""
    if isinstance(value, float):
        return ["f", value.hex()]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Mapping):
        return ["m", [[str(k), _documented_form(v)] for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]]
    if isinstance(value, (tuple, list)):
        return ["s", [_documented_form(v) for v in value]]
    assert is_dataclass(value)
    assert not isinstance(value, type)
    return [type(value).__name__, [[f.name, _documented_form(getattr(value, f.name))] for f in fields(value)
                                   if f.name not in {"source", "file_form", "_key", "_plan"}]]


def test_the_key_is_the_documented_form_for_variants_sharing_their_parts(shipped: Scenario) -> None:
    """The key is built from the fields' JSON cached by identity; chains of staffing, surge and segment changes
    share most parts with their parents, so a stale or misplaced part would show against the form built whole."""
    rng = np.random.default_rng(15)
    current = shipped
    for _ in range(25):
        counts = {r.id: max(0, r.count + int(rng.integers(-1, 2))) for r in current.roles.values()}
        cms = counts.get("customer_manager", 0)
        step = int(rng.integers(3))
        if step == 0:
            current = current.with_staffing(StaffingPlan.of(counts, int(rng.integers(0, cms + 1))))
        elif step == 1:
            current = current.with_surge(float(rng.uniform(0.5, 1.5)))
        else:
            segment = next(iter(current.segments.values()))
            current = replace(current, segments={**current.segments,
                                                 segment.id: replace(segment, propensity=float(rng.uniform()))})
        text = json.dumps(_documented_form(current), separators=(",", ":"))
        assert current.content_key() == hashlib.sha256(text.encode()).hexdigest()


def test_the_key_is_the_same_in_another_process() -> None:
    """No per-process hashing (PYTHONHASHSEED, ids): a worker or another machine keys the same scenario alike."""
    code = ("import json, sys; from sim.scenario import load_scenario; "
            "print(json.dumps([load_scenario(p).content_key() for p in sys.argv[1:]]))")
    env_keys = []
    for hash_seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code, *map(str, SHIPPED)], check=True, capture_output=True,
                             text=True, env={"PYTHONHASHSEED": hash_seed, "PATH": ""}, cwd=Path(__file__).parents[1])
        env_keys.append(json.loads(out.stdout))
    here = [load_scenario(p).content_key() for p in SHIPPED]
    assert env_keys[0] == env_keys[1] == here


def test_a_changed_scenario_has_no_file_form_and_overrides_refuse_it(shipped: Scenario) -> None:
    changed = [shipped.with_staffing(shipped.staffing_plan()), shipped.with_surge(1.5),
               replace(shipped, source="x")]
    for sc in changed:
        assert sc.file_form is None
        with pytest.raises(sim.ScenarioError, match="changed by typed replacement") as info:
            with_overrides(sc, {"arrivals.surge_factor": 2.0})
        assert "\n" not in str(info.value)
        with pytest.raises(sim.ScenarioError, match="a sweep cannot start from its file"):
            file_form(sc, "a sweep")
    assert with_overrides(shipped, {"arrivals.surge_factor": 2.0}).file_form is not None  # overrides keep one


@pytest.mark.parametrize(("change", "field", "allowed"), [
    (lambda s: s.with_surge(0.0), "arrivals.surge_factor", "must be > 0"),
    (lambda s: s.with_surge(MAX_SURGE * 1.5), "arrivals.surge_factor", f"<= {MAX_SURGE:g}"),
    (lambda s: s.with_surge(float("nan")), "arrivals.surge_factor", "must be > 0"),
    (lambda s: s.with_shares({next(iter(s.segments)): 1e-3}), "segments", "must sum to 1"),
    (lambda s: s.with_shares({"nobody": 0.5}), "segments.nobody", "unknown segment"),
    (lambda s: s.with_shares({next(iter(s.segments)): 0.0}), ".share", "must be > 0"),
    (lambda s: s.with_speeds({"cash_teller": [MAX_SPEED * 2]}), "staff.cash_teller.speed", "each speed must be"),
    (lambda s: s.with_speeds({"cash_teller": [float("nan")]}), "staff.cash_teller.speed", "each speed must be"),
    (lambda s: s.with_speeds({"nobody": [1.0]}), "staff.nobody", "no such role"),
])
def test_typed_replacements_refuse_what_the_file_would(change: object, field: str, allowed: str) -> None:
    backbone = load_scenario(SCENARIOS / "backbone_outlet.toml")
    with pytest.raises(sim.ScenarioError) as info:
        change(backbone)  # type: ignore[operator]
    message = str(info.value)
    assert field in message
    assert allowed in message
    assert "\n" not in message
