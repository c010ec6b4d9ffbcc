"""Generate a province: a region file of N outlets built on the four tier scenarios, seeded.

    python benchmarks/make_province.py 200 --out /tmp/province_200/region.toml            # seed 0
    python benchmarks/make_province.py 2000 --seed 7 --mix flagship=1,backbone=2,advancing=3,potential=4 \\
        --out /tmp/p2000/region.toml

Each outlet is one of ``scenarios/{flagship,backbone,advancing,potential}_outlet.toml``
(tier drawn with the ``--mix`` weights; default 10 / 25 / 30 / 35%) with overrides, all
drawn from one ``numpy.random.default_rng(seed)`` (no global RNG), outlet by outlet:

- **volume**: ``arrivals.daily_customers`` = the tier's × a lognormal factor (median 1,
  sd of the log 0.12, clipped to 0.8 … 1.25);
- **segment mix**: ``segments.vip.share`` uniform in 0.07 … 0.13, ``segments.mass.share``
  the rest of the two's shipped 0.82 (the loan segments keep their shares);
- **field market**: ``field.prospect_pool`` = the tier's × uniform 0.6 … 1.6;
- **today's plan**: cash tellers the tier's −1 … +1 (at least 2, so the cash windows
  stay covered at lunch), low-counter tellers −1 … +1 (at least 1), customer managers
  the tier's or one more (never below 5, so the minimum-CM rule holds today), of whom
  from the fewest meeting the inside : outside band's low side to all inside (as many as
  the tier's staggered lunches fit in the shift; some outlets keep every CM inside, as
  planners find, breaking the band's high side today); potential
  outlets have no wealth manager today but one may be placed
  (``staff.wealth_manager.zones``);
- **VIP book**: the tier's book × volume × VIP share / 0.10, at most what today's
  customer and wealth managers can maintain under the 2-to-1 rule (so today's plan meets it).

**Service limits reachable** (the volume cap): after an outlet is drawn, today's plan is
simulated for :data:`CHECK_DAYS` days (``sim.model.simulate`` and the optimiser's own
per-day metrics, :func:`optimize.evaluate.run_task`) on the generator's own seeds
(``sim.seeds.derived(seed, CHECK_KEY, outlet)``: not the optimiser's evaluation or
verification seeds, so a run judges it on days the generator never saw). Its mean
walk-out rate must be at most the region's :data:`WALKOUT_LIMIT` less
:data:`WALKOUT_MARGIN` (0.10 − 0.02) and its mean cash service level at least
:data:`CASH_FLOOR` plus :data:`CASH_MARGIN` (0.80 + 0.05). While it is not, the volume
factor is multiplied by :data:`VOLUME_STEP` (0.95) and the outlet checked again (its VIP
book follows the volume); no random number is drawn for this, so every other outlet is
drawn exactly as without the cap and the file is the same for the same seed. Below
:data:`MIN_VOLUME` (half the tier's volume) generation stops with an error naming the
outlet. So today's plan itself meets every service limit with a margin of about two
standard errors of an 8-day mean (an outlet's daily walk-out rate varies by up to 0.03),
and today's plan is always among the optimiser's candidates: the region is feasible.
Without the cap, ``make_province.py 1000 --seed 0`` drew two outlets (00496, 00664)
whose today's walk-out was 10.1% and 10.7% and for which no pattern within one person
of today's came under 10%: the whole province had no plan. ``--check-days 0`` turns the
cap off (the uncapped draw, for comparison).

The region's rules are the shipped 12-outlet region's (``scenarios/region_12_outlets.toml``)
but for its wealth-room service floor (0.45), left out: with more VIPs and customers than
the shipped outlets, one room cannot reach it whatever the staff (the shipped file says
so: rooms, not people, bind), and one such outlet in 2,000 makes the whole province
infeasible (seen at 200 outlets); scaled to N: head-count pools are today's totals by role (``keep_roles``), plus one
wealth manager the region can place per 12 outlets; no transfer limit. Today's plan meets
every head-count rule by construction (pools, minimum CMs, the VIP rule, the tier
monotone rule holds for the tiers' typical plans) and, by the volume cap, the simulated
service limits with a margin, so the region is feasible.

Paths to the tier scenarios are written relative to the region file, so the folder can
be moved with ``scenarios/``. Bad input stops with one line naming the option.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
TIERS = ("flagship", "backbone", "advancing", "potential")
#: Default share of each tier among the outlets.
DEFAULT_MIX = {"flagship": 0.10, "backbone": 0.25, "advancing": 0.30, "potential": 0.35}
#: Most outlets a region file may list (``optimize.region``'s limit).
MAX_OUTLETS = 10_000
MAX_SEED = 2**63 - 1
#: Each tier's VIP book at 10% VIP share (the shipped region's middle outlet of the tier).
VIP_BOOK = {"flagship": 1500, "backbone": 800, "advancing": 500, "potential": 300}
#: The shipped region's VIP rule: (CM + WM) x BOOK_SIZE >= MAINTAINERS x VIPs.
BOOK_SIZE, MAINTAINERS = 300, 2
#: Shipped vip + mass share, split anew per outlet.
VIP_MASS = 0.82
#: The region's service limits (written into the file's ``[rules.service]``): the walk-out ceiling
#: (share of arrivals) and the cash zone's service-level floor (share served within its target wait).
WALKOUT_LIMIT, CASH_FLOOR = 0.10, 0.80
#: Days today's plan of each outlet is simulated to check the limits (the volume cap; 0: no check).
CHECK_DAYS = 24
#: What today's plan must clear the limits by, in the same units (walk-out share; service-level share).
WALKOUT_MARGIN, CASH_MARGIN = 0.03, 0.05
#: The volume factor's multiplier per failed check, and the least factor allowed (of the tier's volume).
VOLUME_STEP, MIN_VOLUME = 0.95, 0.5
#: Seed key of the check's days: ``sim.seeds.derived(seed, CHECK_KEY, outlet)`` (the optimiser's are 0, 1).
CHECK_KEY = 7919
#: Most days the check may simulate per outlet (``--check-days``).
MAX_CHECK_DAYS = 1000


class ProvinceError(ValueError):
    """Bad generator input; one line naming the option and what is allowed."""


@dataclass(frozen=True)
class TierBase:
    """What the generator varies, read from a tier scenario file."""

    file: str
    daily_customers: float
    prospect_pool: int
    cash_teller: int
    low_counter_teller: int
    customer_manager: int
    wealth_manager: int
    max_inside: int  # most CMs inside whose staggered lunches still fit the shift
    scenario: Any = None  # the loaded tier scenario (sim.scenario_types.Scenario), for the service check


def _max_inside(sc: object, cms: int) -> int:
    """The most customer managers the tier's scenario lets work inside (staggered lunches within the shift)."""
    import sim
    from sim.errors import ScenarioError

    best = 1
    for k in range(1, cms + 3):
        try:
            sim.with_overrides(sc, {"staff.customer_manager.count": max(k, cms),  # type: ignore[arg-type]
                                    "staff.customer_manager.inside": k})
        except ScenarioError:
            break
        best = k
    return best


def _tier_bases(scenarios: Path) -> dict[str, TierBase]:
    import sim
    from sim.scenario import file_form

    out = {}
    for tier in TIERS:
        path = scenarios / f"{tier}_outlet.toml"
        if not path.is_file():
            raise ProvinceError(f"--scenarios: {scenarios} has no {path.name} (needs the four tier scenarios)")
        sc = sim.load_scenario(path)
        daily = file_form(sc, "the province generator").get("arrivals", {}).get("daily_customers")
        if daily is None:
            raise ProvinceError(f"{path}: arrivals.daily_customers is not set; the generator scales it")
        plan = sc.staffing_plan()
        cms = plan.count("customer_manager")
        out[tier] = TierBase(path.name, float(daily), int(sc.field_marketing.prospect_pool),
                             plan.count("cash_teller"), plan.count("low_counter_teller"), cms,
                             plan.count("wealth_manager"), _max_inside(sc, cms + 1), sc)
    return out


@dataclass(frozen=True)
class Draw:
    """One outlet's draw but its volume: the tier's daily customers, the VIP share, the prospect pool and
    today's tellers, CMs (of whom ``inside``) and wealth managers."""

    daily_customers: float
    vip: float
    pool: int
    cash: int
    low: int
    cms: int
    inside: int
    wms: int

    def overrides(self, volume: float) -> dict[str, Any]:
        """The outlet's dotted scenario overrides at volume factor ``volume`` (× the tier's daily customers)."""
        out: dict[str, Any] = {
            "arrivals.daily_customers": round(self.daily_customers * volume), "segments.vip.share": self.vip,
            "segments.mass.share": round(VIP_MASS - self.vip, 3), "field.prospect_pool": self.pool,
            "staff.cash_teller.count": self.cash, "staff.low_counter_teller.count": self.low,
            "staff.customer_manager.count": self.cms, "staff.customer_manager.inside": self.inside}
        if self.wms == 0:
            out["staff.wealth_manager.zones"] = ["wealth"]
        return out


def parse_mix(text: str) -> dict[str, float]:
    """``flagship=1,backbone=2,...`` → weights by tier (missing tiers weigh 0); one-line errors."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, eq, value = part.strip().partition("=")
        if not eq or name not in TIERS:
            raise ProvinceError(f"--mix: {part.strip()!r} is not TIER=WEIGHT; tiers: {', '.join(TIERS)}")
        if name in mix:
            raise ProvinceError(f"--mix: {name} is given twice")
        try:
            weight = float(value)
        except ValueError:
            raise ProvinceError(f"--mix: {name}={value!r} is not a number") from None
        if not math.isfinite(weight) or weight < 0:
            raise ProvinceError(f"--mix: {name}={value} must be a finite number >= 0")
        mix[name] = weight
    if sum(mix.values()) <= 0:
        raise ProvinceError("--mix: the weights must not all be 0")
    return mix


def _check(n: int, seed: int, mix: dict[str, float], check_days: int = CHECK_DAYS) -> None:
    if isinstance(check_days, bool) or not isinstance(check_days, int) or not 0 <= check_days <= MAX_CHECK_DAYS:
        raise ProvinceError(f"--check-days: must be a whole number from 0 to {MAX_CHECK_DAYS}, got {check_days!r}")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_OUTLETS:
        raise ProvinceError(f"N: must be a whole number from 1 to {MAX_OUTLETS:,}, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ProvinceError(f"--seed: must be a whole number from 0 to 2**63 - 1, got {seed!r}")
    unknown = sorted(set(mix) - set(TIERS))
    if unknown:
        raise ProvinceError(f"--mix: unknown tier {unknown[0]!r}; tiers: {', '.join(TIERS)}")
    if any(not math.isfinite(w) or w < 0 for w in mix.values()) or sum(mix.values()) <= 0:
        raise ProvinceError("--mix: weights must be finite, >= 0 and not all 0")


def province_toml(n: int, seed: int = 0, *, mix: dict[str, float] | None = None, scenario_dir: str = "",
                  scenarios: Path = SCENARIOS, check_days: int = CHECK_DAYS) -> str:
    """The region file's text for ``n`` outlets drawn with ``seed`` (see the module docstring).

    ``scenario_dir`` is the tier scenarios' folder as written in the file (relative to
    where the region file will be; ``""``: beside it). ``check_days``: days of today's plan
    simulated per outlet for the volume cap (0: no cap, the raw draw).
    """
    weights = dict(DEFAULT_MIX if mix is None else mix)
    _check(n, seed, weights, check_days)
    bases = _tier_bases(scenarios)
    rng = np.random.default_rng(seed)
    p = np.array([weights.get(t, 0.0) for t in TIERS])
    tiers = rng.choice(len(TIERS), size=n, p=p / p.sum())
    prefix = f"{scenario_dir.rstrip('/')}/" if scenario_dir else ""
    lines = _header(n, seed, weights)
    today: dict[str, int] = {"wealth_manager": 0}
    for o in range(n):
        tier = TIERS[int(tiers[o])]
        b = bases[tier]
        volume = float(np.clip(rng.lognormal(0.0, 0.12), 0.8, 1.25))
        vip = round(float(rng.uniform(0.07, 0.13)), 3)
        pool = round(b.prospect_pool * float(rng.uniform(0.6, 1.6)))
        cash = max(2, b.cash_teller + int(rng.integers(-1, 2)))
        low = max(1, b.low_counter_teller + int(rng.integers(-1, 2)))
        cms = max(5, b.customer_manager + int(rng.integers(0, 2)))
        inside = int(rng.integers(_least_inside(cms), min(cms, b.max_inside) + 1))
        wms = b.wealth_manager

        draw = Draw(b.daily_customers, vip, pool, cash, low, cms, inside, wms)
        volume = capped_volume(b.scenario, draw.overrides, volume, seeds_derived(seed, o), check_days, o)
        book = min(round(VIP_BOOK[tier] * volume * vip / 0.10), (cms + wms) * BOOK_SIZE // MAINTAINERS)
        today["wealth_manager"] += wms
        lines += ["", "[[outlets]]", f'name = "Outlet {o + 1:05d}"', f'scenario = "{prefix}{b.file}"',
                  f"vip_customers = {book}", "[outlets.overrides]",
                  *(f'"{k}" = {_toml(v)}' for k, v in draw.overrides(volume).items())]
    extra = math.ceil(n / 12)
    at = lines.index("[headcount.pools]")
    lines.insert(at + 1, f"wealth_manager = {today['wealth_manager'] + extra}"
                         f"   # {today['wealth_manager']} today + {extra} the region can place (one per 12 outlets)")
    return "\n".join(lines) + "\n"


def seeds_derived(seed: int, outlet: int) -> int:
    """The seed of outlet ``outlet``'s check days: ``sim.seeds.derived(seed, CHECK_KEY, outlet)`` (0 … 2**32 − 1)."""
    from sim import seeds

    return seeds.derived(seed, CHECK_KEY, outlet)


def today_service(scenario: Any, seed: int, days: int) -> tuple[float, float]:
    """Today's plan of ``scenario`` simulated ``days`` days on ``seed`` (replications 0 … days − 1):
    the mean walk-out rate (share of arrivals who left unserved) and the mean cash service level
    (share of cash customers served within the zone's target wait; NaN days, without cash
    customers, left out), as the optimiser computes them per day (:func:`optimize.evaluate.run_task`)."""
    from optimize.evaluate import METRICS, Task, run_task

    _, reps = run_task(Task("check", scenario, seed, tuple(range(days))))
    rows = np.asarray([reps[r] for r in range(days)])
    walkout = rows[:, METRICS.index("walkout_rate")]
    cash = rows[:, METRICS.index("cash.service_level")]
    return float(np.nanmean(walkout)), float(np.nanmean(cash)) if np.isfinite(cash).any() else 1.0


def meets_limits(walkout: float, cash: float) -> bool:
    """Today's plan clears the region's limits by the margins: walk-out <= 0.10 − 0.02, cash level >= 0.80 + 0.05."""
    return walkout <= WALKOUT_LIMIT - WALKOUT_MARGIN and cash >= CASH_FLOOR + CASH_MARGIN


def capped_volume(base: Any, overrides: Callable[[float], dict[str, Any]], volume: float, seed: int, days: int,
                  outlet: int) -> float:
    """The volume factor (× the tier's daily customers) at which today's plan clears the limits (the volume cap).

    ``overrides(volume)`` gives the outlet's dotted overrides at a volume factor; the
    scenario is ``sim.with_overrides(base, overrides(volume))`` as the region reader builds
    it. While :func:`meets_limits` fails on ``days`` simulated days (seed ``seed``) the
    factor is multiplied by :data:`VOLUME_STEP`; ``days == 0`` returns ``volume`` unchecked.

    Raises:
        ProvinceError: the factor would fall below :data:`MIN_VOLUME` (names the outlet).
    """
    import sim

    while days > 0:
        walkout, cash = today_service(sim.with_overrides(base, overrides(volume), quiet=True), seed, days)
        if meets_limits(walkout, cash):
            break
        if volume * VOLUME_STEP < MIN_VOLUME:
            raise ProvinceError(f"outlet {outlet + 1:05d}: today's plan breaks the service limits even at "
                                f"{volume:.2f} x the tier's volume (walk-out {walkout:.3f}, cash level {cash:.3f}); "
                                "try another --seed")
        volume *= VOLUME_STEP
    return volume


def _toml(value: Any) -> str:
    """A TOML value as this file writes it: a string quoted, a list of strings, a number as Python shows it."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _least_inside(cms: int) -> int:
    """The fewest CMs inside meeting the inside : outside band's low side today (inside >= 0.8 x outside - 1)."""
    return max(1, math.ceil((0.8 * cms - 1) / 1.8 - 1e-9))


def _header(n: int, seed: int, mix: dict[str, float]) -> list[str]:
    shown = ", ".join(f"{t}={mix.get(t, 0.0):g}" for t in TIERS)
    return [
        f"# A province of {n} outlets generated by benchmarks/make_province.py (seed {seed}; tier mix {shown}).",
        "# Rules as scenarios/region_12_outlets.toml; pools are today's totals by role.",
        "", "[region]", f'name = "Province, {n} outlets (seed {seed})"', 'objective = "value"',
        'movable = ["lobby_manager", "deputy_lobby_manager", "cash_teller", "low_counter_teller",',
        '           "customer_manager", "wealth_manager"]',
        "", "[headcount]", "keep_roles = true", "[headcount.pools]",
        "", "[rules.inside_outside]", 'reading = "customer_managers"', "low = 0.8", "high = 1.25",
        "tolerance_people = 1", "symmetric = false",
        "[rules.min_customer_managers]", "count = 5",
        "[rules.tiers]", "monotone = true",
        "[rules.vip_maintenance]", f"book_size = {BOOK_SIZE}", f"maintainers_per_vip = {MAINTAINERS}",
        "[rules.service]", f"walkout_rate = {WALKOUT_LIMIT:.2f}",
        'not_worse = ["walkout_rate", "lobby.service_level", "cash.service_level"]',
        "[rules.service.service_level]", f"cash = {CASH_FLOOR:.2f}",
        "# no wealth-room floor: a one-room wealth zone at 13% VIPs and 1.25x volume cannot reach the",
        "# shipped 0.45 with any staff (rooms, not people, bind), which would make the province infeasible",
        "[rules.cover]", 'zones = ["cash"]',
        "", "[search]", "step = 2", "total_step = 3", "combos = 2", "screen_replications = 8",
    ]


def write_province(n: int, out: str | Path, seed: int = 0, *, mix: dict[str, float] | None = None,
                   scenarios: Path = SCENARIOS, check_days: int = CHECK_DAYS) -> Path:
    """Write the region file for ``n`` outlets to ``out`` (its folder is created); returns the path.
    ``check_days``: as :func:`province_toml`'s (0: no volume cap)."""
    path = Path(out)
    if path.suffix != ".toml":
        raise ProvinceError(f"--out: {str(path)!r} must name a .toml file")
    if path.is_dir():
        raise ProvinceError(f"--out: {str(path)!r} is a folder; name the region file inside it")
    rel = os.path.relpath(scenarios.resolve(), path.resolve().parent).replace(os.sep, "/")
    text = province_toml(n, seed, mix=mix, scenario_dir="" if rel == "." else rel, scenarios=scenarios,
                         check_days=check_days)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ProvinceError(f"--out: cannot write {str(path)!r}: {exc.strerror or exc}") from None
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", metavar="N", help=f"outlets, 1 to {MAX_OUTLETS:,}")
    parser.add_argument("--out", required=True, help="region file to write (.toml)")
    parser.add_argument("--seed", default="0", help="seed, 0 to 2**63 - 1 (default 0)")
    parser.add_argument("--mix", default=None, help="tier weights, e.g. flagship=1,backbone=2,advancing=3,potential=4")
    parser.add_argument("--check-days", default=str(CHECK_DAYS),
                        help=f"days of today's plan simulated per outlet for the volume cap (default {CHECK_DAYS}; "
                             "0: no cap)")
    args = parser.parse_args(argv)
    try:
        n, seed = _whole(args.n, "N"), _whole(args.seed, "--seed")
        path = write_province(n, args.out, seed, mix=None if args.mix is None else parse_mix(args.mix),
                              check_days=_whole(args.check_days, "--check-days"))
    except ProvinceError as exc:
        print(f"make_province: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _whole(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ProvinceError(f"{name}: {text!r} is not a whole number") from None


if __name__ == "__main__":
    raise SystemExit(main())
