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

The region's rules are the shipped 12-outlet region's (``scenarios/region_12_outlets.toml``)
but for its wealth-room service floor (0.45), left out: with more VIPs and customers than
the shipped outlets, one room cannot reach it whatever the staff (the shipped file says
so: rooms, not people, bind), and one such outlet in 2,000 makes the whole province
infeasible (seen at 200 outlets); scaled to N: head-count pools are today's totals by role (``keep_roles``), plus one
wealth manager the region can place per 12 outlets; no transfer limit. Today's plan meets
every head-count rule by construction (pools, minimum CMs, the VIP rule, the tier
monotone rule holds for the tiers' typical plans), so the region is feasible whenever
some pattern of each outlet meets the simulated service limits, as the shipped tiers do.

Paths to the tier scenarios are written relative to the region file, so the folder can
be moved with ``scenarios/``. Bad input stops with one line naming the option.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

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
                             plan.count("wealth_manager"), _max_inside(sc, cms + 1))
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


def _check(n: int, seed: int, mix: dict[str, float]) -> None:
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
                  scenarios: Path = SCENARIOS) -> str:
    """The region file's text for ``n`` outlets drawn with ``seed`` (see the module docstring).

    ``scenario_dir`` is the tier scenarios' folder as written in the file (relative to
    where the region file will be; ``""``: beside it).
    """
    weights = dict(DEFAULT_MIX if mix is None else mix)
    _check(n, seed, weights)
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
        book = min(round(VIP_BOOK[tier] * volume * vip / 0.10), (cms + wms) * BOOK_SIZE // MAINTAINERS)
        today["wealth_manager"] += wms
        lines += [
            "", "[[outlets]]", f'name = "Outlet {o + 1:05d}"', f'scenario = "{prefix}{b.file}"',
            f"vip_customers = {book}", "[outlets.overrides]",
            f'"arrivals.daily_customers" = {round(b.daily_customers * volume)}',
            f'"segments.vip.share" = {vip}', f'"segments.mass.share" = {round(VIP_MASS - vip, 3)}',
            f'"field.prospect_pool" = {pool}', f'"staff.cash_teller.count" = {cash}',
            f'"staff.low_counter_teller.count" = {low}', f'"staff.customer_manager.count" = {cms}',
            f'"staff.customer_manager.inside" = {inside}',
        ]
        if wms == 0:
            lines.append('"staff.wealth_manager.zones" = ["wealth"]')
    extra = math.ceil(n / 12)
    at = lines.index("[headcount.pools]")
    lines.insert(at + 1, f"wealth_manager = {today['wealth_manager'] + extra}"
                         f"   # {today['wealth_manager']} today + {extra} the region can place (one per 12 outlets)")
    return "\n".join(lines) + "\n"


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
        "[rules.service]", "walkout_rate = 0.10",
        'not_worse = ["walkout_rate", "lobby.service_level", "cash.service_level"]',
        "[rules.service.service_level]", "cash = 0.80",
        "# no wealth-room floor: a one-room wealth zone at 13% VIPs and 1.25x volume cannot reach the",
        "# shipped 0.45 with any staff (rooms, not people, bind), which would make the province infeasible",
        "[rules.cover]", 'zones = ["cash"]',
        "", "[search]", "step = 2", "total_step = 3", "combos = 2", "screen_replications = 8",
    ]


def write_province(n: int, out: str | Path, seed: int = 0, *, mix: dict[str, float] | None = None,
                   scenarios: Path = SCENARIOS) -> Path:
    """Write the region file for ``n`` outlets to ``out`` (its folder is created); returns the path."""
    path = Path(out)
    if path.suffix != ".toml":
        raise ProvinceError(f"--out: {str(path)!r} must name a .toml file")
    if path.is_dir():
        raise ProvinceError(f"--out: {str(path)!r} is a folder; name the region file inside it")
    rel = os.path.relpath(scenarios.resolve(), path.resolve().parent).replace(os.sep, "/")
    text = province_toml(n, seed, mix=mix, scenario_dir="" if rel == "." else rel, scenarios=scenarios)
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
    args = parser.parse_args(argv)
    try:
        n, seed = _whole(args.n, "N"), _whole(args.seed, "--seed")
        path = write_province(n, args.out, seed, mix=None if args.mix is None else parse_mix(args.mix))
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
