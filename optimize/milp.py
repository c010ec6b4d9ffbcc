"""The staffing MILP: choose one candidate pattern per outlet to maximise value under the rules.

Decision variables are binaries ``x[o, p]`` = 1 when outlet ``o`` takes pattern ``p``
(a staffing vector already evaluated by simulation). Every policy rule is linear in
them, because each pattern's head-counts are constants:

* one pattern per outlet: ``Σ_p x[o, p] = 1`` (never relaxed);
* head-count pools: ``Σ_o Σ_p total[o, p] x[o, p] ≤ total`` and the same per role;
* per-tier bounds on an outlet's head-count, and the monotone rule: the mean head-count
  of flagship outlets ≥ backbone ≥ advancing ≥ potential;
* at least ``n`` customer managers at every second-level outlet;
* inside : outside customer managers within ``[low, high]``, widened by
  ``tolerance_people`` so odd head-counts can split as evenly as possible:
  ``low·outside − tol ≤ inside ≤ high·outside + tol``;
* VIP maintenance "2 to 1": ``(CM + WM) × book_size ≥ 2 × VIP customers``;
* transfers: ``Σ moves[o, p] x[o, p] ≤ K``, where ``moves`` counts people placed differently
  from today, half at each end (see :func:`optimize.problem.moves`).

The objective is the patterns' estimated daily value (``value_yuan − value_lost_yuan``,
optionally minus staff cost). :func:`solve` builds the model apart from solving it and
checks the solver status before reading any value; :func:`diagnose` solves an elastic
copy (a slack on every rule, minimise total slack) and names the rules that conflict.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pulp

from sim.codes import ROLES, TIERS
from sim.scenario_types import MAINTAINERS_PER_VIP

SOLVERS = ("highs", "cbc")
#: Relative MIP gap at which a solve counts as optimal (the solver's own tolerance on the objective).
DEFAULT_GAP = 1e-6
#: Floating-point slack of the rule checks: a rule's left side (sums of whole head-counts times shares or
#: costs) meets its right side within this, and a share of outlets rounds up only past it.
ROW_SLACK = 1e-9
#: Smallest magnitude a ratio divides by (a zero objective or a rule whose terms are all 0).
TINY = 1e-9
#: Status of a solve stopped at a MIP gap above :data:`DEFAULT_GAP` short of proving optimality.
FEASIBLE_WITHIN_GAP = "Feasible within gap"
_CM = ROLES.index("customer_manager")
_WM = ROLES.index("wealth_manager")


#: Readings of the essay's inside : outside rule (内、外勤1:1): who counts as inside.
RATIO_READINGS = ("customer_managers", "all_staff")


@dataclass(frozen=True)
class RatioRule:
    """Inside : outside (内勤 : 外勤) within ``[low, high]`` ± ``tolerance_people``.

    ``reading``: ``customer_managers`` compares customer managers inside with those
    outside; ``all_staff`` compares every person working inside the outlet with the
    customer managers outside (the only staff the model sends out). ``symmetric`` also
    applies the band with inside and outside swapped, so a split and its mirror (3:5 and
    5:3) are both allowed or both refused.
    """

    low: float = 0.8
    high: float = 1.25
    tolerance_people: float = 1.0
    reading: str = "customer_managers"
    symmetric: bool = False


@dataclass(frozen=True)
class OutsideRule:
    """At least ``share`` of the second-level outlets have at least ``min_people`` outside (the essay:
    a third of the outlets with 7 outside staff)."""

    min_people: int = 7
    share: float = 1 / 3


@dataclass(frozen=True)
class VipRule:
    """VIP maintenance "2 to 1": each VIP needs ``maintainers_per_vip`` maintainer slots.

    A customer or wealth manager keeps a book of at most ``book_size`` slots, so
    ``(CM + WM) × book_size ≥ maintainers_per_vip × VIP customers``.
    """

    book_size: float = 300.0
    maintainers_per_vip: float = MAINTAINERS_PER_VIP


@dataclass(kw_only=True, frozen=True)
class Policy:
    """The sub-branch's rules; ``None`` switches a rule off.

    Attributes:
        total_headcount: most people over all outlets (the budget).
        role_pools: most people of a role over all outlets.
        tier_bounds: ``{tier: (min, max)}`` head-count of each outlet of that tier.
        tier_monotone: mean head-count flagship ≥ backbone ≥ advancing ≥ potential.
        min_customer_managers: at every second-level outlet.
        inside_outside: ratio rule at second-level outlets.
        vip: the maintenance rule.
        max_moves: at most this many people placed differently from the current plan.
        outside_staff: a share of second-level outlets with a least number outside.
    """

    total_headcount: int | None = None
    role_pools: Mapping[str, int] = field(default_factory=dict)
    tier_bounds: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)
    tier_monotone: bool = False
    min_customer_managers: int | None = 5
    inside_outside: RatioRule | None = field(default_factory=RatioRule)
    vip: VipRule | None = field(default_factory=VipRule)
    max_moves: int | None = None
    outside_staff: OutsideRule | None = None


@dataclass(kw_only=True, frozen=True)
class OutletOptions:
    """One outlet's candidate patterns as numbers the MILP needs.

    ``counts[p, r]`` is pattern ``p``'s head-count of role ``ROLES[r]``; ``cm_inside[p]``
    its customer managers inside; ``value[p]`` the objective coefficient (yuan/day);
    ``moves[p]`` people placed differently from the current plan. ``min_staff`` is the
    outlet's least head-count per role; ``uncovered[p]`` names the zones pattern ``p``
    leaves without anybody on duty at some time of the opening day (``cover_zones``
    lists the zones that must be covered; empty: no such rule). ``retuned[p]`` counts the
    flexible posts whose thresholds pattern ``p`` changes (empty: none); :func:`stabilise`
    counts each as one change beside the moves, the transfer limit does not (nobody moves).
    """

    name: str
    tier: str
    second_level: bool
    vip_customers: float
    counts: np.ndarray
    cm_inside: np.ndarray
    value: np.ndarray
    moves: np.ndarray
    min_staff: Mapping[str, int] = field(default_factory=dict)
    cover_zones: tuple[str, ...] = ()
    uncovered: tuple[tuple[str, ...], ...] = ()
    retuned: np.ndarray | None = None

    @property
    def totals(self) -> np.ndarray:
        """Total head-count of each pattern."""
        return np.asarray(self.counts.sum(axis=1), dtype=float)

    def same_people(self, a: int, b: int) -> bool:
        """Patterns ``a`` and ``b`` place the same people (head-counts and CMs inside): they differ only in a
        flexible post's thresholds, if at all."""
        return bool(np.array_equal(self.counts[a], self.counts[b]) and self.cm_inside[a] == self.cm_inside[b])

    @property
    def changes(self) -> np.ndarray:
        """What :func:`stabilise` keeps fewest: each pattern's moves plus its retuned flexible posts."""
        return self.moves if self.retuned is None else self.moves + self.retuned


@dataclass(frozen=True, eq=False)
class Terms:
    """A rule's coefficients: ``coef[k]`` on pattern ``pattern[k]`` of outlet ``outlet[k]``.

    Held as three arrays (16 bytes a term) rather than a list of tuples (about 100): the
    rules of 2,000 outlets × 50 patterns have about a million terms, and every
    :class:`Solution` keeps its rules for the constraints table. Iterating gives
    ``(outlet, pattern, coefficient)`` as Python numbers, in order.
    """

    outlet: np.ndarray  # int32
    pattern: np.ndarray  # int32
    coef: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.coef)

    def __iter__(self) -> Iterator[tuple[int, int, float]]:
        return zip(self.outlet.tolist(), self.pattern.tolist(), self.coef.tolist(), strict=True)

    @staticmethod
    def of(o: int, coef: np.ndarray, nonzero: bool = True) -> Terms:
        """Outlet ``o``'s coefficients by pattern; only the nonzero ones (NaN counts as nonzero) unless
        ``nonzero`` is false."""
        coef = np.asarray(coef, dtype=float)
        where = np.flatnonzero(coef) if nonzero else np.arange(len(coef))
        return Terms(np.full(len(where), o, dtype=np.int32), where.astype(np.int32), coef[where])

    @staticmethod
    def join(parts: Sequence[Terms]) -> Terms:
        """``parts`` one after the other."""
        if not parts:
            return Terms(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        return Terms(np.concatenate([t.outlet for t in parts]), np.concatenate([t.pattern for t in parts]),
                     np.concatenate([t.coef for t in parts]))


@dataclass(frozen=True)
class Row:
    """One linear rule ``Σ coef·x  (<= | >=)  rhs`` with the words that explain it."""

    group: str
    text: str
    terms: Terms
    sense: str  # "<=" or ">="
    rhs: float


@dataclass(kw_only=True, frozen=True)
class Solution:
    """A solved MILP: status, chosen pattern per outlet, objective, bound, gap, binding rules, and
    ``rows``: every rule of the policy over the outlets it was solved for (the constraints table reads them)."""

    status: str
    solver: str
    choice: tuple[int, ...]
    objective: float
    bound: float | None
    gap: float | None
    gap_limit: float
    binding: tuple[str, ...]
    seconds: float
    rows: tuple[Row, ...] = ()


class InfeasibleError(ValueError):
    """No plan satisfies every rule; ``diagnosis`` names the rules in conflict and by how much."""

    def __init__(self, diagnosis: list[str]) -> None:
        super().__init__("no staffing plan satisfies every rule:\n  " + "\n  ".join(diagnosis))
        self.diagnosis = diagnosis


def outlet_rules(opt: OutletOptions, policy: Policy, o: int = 0) -> list[Row]:
    """The policy's rules on one outlet alone (tier bounds, minimum CMs, inside : outside, VIP maintenance)."""
    return _per_outlet([opt], policy, first=o)


def satisfied(rows: Sequence[Row], n_patterns: int) -> np.ndarray:
    """``[p, i]`` = pattern ``p`` alone meets rule ``rows[i]`` (rules of a single outlet)."""
    out = np.ones((n_patterns, len(rows)), dtype=bool)
    for i, row in enumerate(rows):
        lhs = np.zeros(n_patterns)
        np.add.at(lhs, row.terms.pattern, row.terms.coef)  # unbuffered: a repeated pattern's terms all add
        out[:, i] = _holds(lhs, row.sense, row.rhs)
    return out


def outlet_meets(opt: OutletOptions, policy: Policy) -> np.ndarray:
    """``[p, i]`` = pattern ``p`` meets the ``i``-th of the policy's rules on ``opt``'s outlet alone: the same
    answer as :func:`satisfied` of :func:`outlet_rules`, read from the coefficients without building rows
    (the search checks every combination of moves with it)."""
    parts = _rule_parts(opt, policy)
    lhs = _outlet_lhs(opt, parts)
    out = np.ones(lhs.shape, dtype=bool)
    for i, (_, _, _, sense, rhs) in enumerate(parts):
        out[:, i] = _holds(lhs[:, i], sense, rhs)
    return out


def _outlet_lhs(opt: OutletOptions, parts: list[_Part]) -> np.ndarray:
    """``[p, i]``: the left side of rule ``parts[i]`` on ``opt``'s outlet for pattern ``p``, as the sum of the
    rule's terms from 0 (a zero coefficient, which has no term, adds +0)."""
    n = len(opt.value)
    return np.column_stack([np.zeros(n) + coef for _, _, coef, _, _ in parts]) if parts else np.zeros((n, 0))


def _holds(lhs: np.ndarray, sense: str, rhs: float) -> np.ndarray:
    """Where a rule's left side ``lhs`` meets ``sense`` ``rhs``, within :data:`ROW_SLACK`."""
    return lhs >= rhs - ROW_SLACK if sense == ">=" else lhs <= rhs + ROW_SLACK


#: One rule on one outlet: group, text, coefficient per pattern, sense ("<=" or ">="), right-hand side.
_Part = tuple[str, str, np.ndarray, str, float]


def _per_outlet(outlets: Sequence[OutletOptions], policy: Policy, first: int = 0) -> list[Row]:
    return [Row(group, text, Terms.of(o, coef), sense, rhs) for o, opt in enumerate(outlets, start=first)
            for group, text, coef, sense, rhs in _rule_parts(opt, policy)]


def _rule_parts(opt: OutletOptions, policy: Policy) -> list[_Part]:
    """The policy's rules on one outlet alone, each as ``(group, text, coefficient per pattern, sense, rhs)``:
    the one place they are written (as MILP rows by :func:`_per_outlet`, as checks by :func:`outlet_meets`)."""
    rows: list[_Part] = []
    cms = opt.counts[:, _CM].astype(float)
    inside = opt.cm_inside.astype(float)
    lo, hi = policy.tier_bounds.get(opt.tier, (None, None))
    if lo is not None:
        rows.append(("tier_bounds", f"{opt.name}: {opt.tier} outlets need at least {lo} people",
                     opt.totals, ">=", lo))
    if hi is not None:
        rows.append(("tier_bounds", f"{opt.name}: {opt.tier} outlets have at most {hi} people",
                     opt.totals, "<=", hi))
    if opt.second_level and policy.min_customer_managers is not None:
        rows.append(("min_customer_managers", f"{opt.name}: at least {policy.min_customer_managers} "
                     "customer managers", cms, ">=", policy.min_customer_managers))
    if opt.second_level and policy.inside_outside is not None:
        r = policy.inside_outside
        out = cms - inside
        ins = inside if r.reading == "customer_managers" else opt.totals - out
        who = "" if r.reading == "customer_managers" else " (all staff)"
        pairs = [("inside", ins, "outside", out)] + ([("outside", out, "inside", ins)] if r.symmetric else [])
        for a_name, a, b_name, b in pairs:
            rows.append(("inside_outside", f"{opt.name}{who}: {a_name} >= {r.low:g} x {b_name} - "
                         f"{r.tolerance_people:g}", a - r.low * b, ">=", -r.tolerance_people))
            rows.append(("inside_outside", f"{opt.name}{who}: {a_name} <= {r.high:g} x {b_name} + "
                         f"{r.tolerance_people:g}", a - r.high * b, "<=", r.tolerance_people))
    for role, least in opt.min_staff.items():
        staff = opt.counts[:, ROLES.index(role)].astype(float)
        rows.append(("min_staff", f"{opt.name}: at least {least} {role}", staff, ">=", least))
    for zone in opt.cover_zones:
        gaps = np.asarray([zone in u for u in opt.uncovered], dtype=float)
        rows.append(("cover", f"{opt.name}: somebody on duty at {zone} all day, lunch included",
                     gaps, "<=", 0.0))
    if policy.vip is not None and opt.vip_customers > 0:
        v = policy.vip
        slots = (opt.counts[:, _CM] + opt.counts[:, _WM]) * v.book_size
        need = v.maintainers_per_vip * opt.vip_customers
        rows.append(("vip_maintenance", f"{opt.name}: (CM + WM) x {v.book_size:g} VIP slots >= "
                     f"{v.maintainers_per_vip:g} x {opt.vip_customers:g} VIPs = {need:g}",
                     slots, ">=", need))
    return rows


def _regional(outlets: Sequence[OutletOptions], policy: Policy) -> list[Row]:
    rows: list[Row] = []
    if policy.total_headcount is not None:
        terms = Terms.join([Terms.of(o, opt.totals) for o, opt in enumerate(outlets)])
        rows.append(Row("pool.total", f"total head-count pool {policy.total_headcount}", terms, "<=",
                        policy.total_headcount))
    for role, pool in policy.role_pools.items():
        r = ROLES.index(role)
        terms = Terms.join([Terms.of(o, opt.counts[:, r]) for o, opt in enumerate(outlets)])
        rows.append(Row(f"pool.{role}", f"{role} pool {pool}", terms, "<=", pool))
    if policy.max_moves is not None:
        terms = Terms.join([Terms.of(o, opt.moves) for o, opt in enumerate(outlets)])
        rows.append(Row("transfers", f"at most {policy.max_moves} people moved", terms, "<=", policy.max_moves))
    if policy.tier_monotone:
        rows += _monotone(outlets)
    if policy.outside_staff is not None:
        rule = policy.outside_staff
        second = [o for o, opt in enumerate(outlets) if opt.second_level]
        need = math.ceil(rule.share * len(second) - ROW_SLACK)
        terms = Terms.join([Terms.of(o, (outlets[o].counts[:, _CM] - outlets[o].cm_inside) >= rule.min_people)
                            for o in second])
        rows.append(Row("outside_staff", f"at least {need} of {len(second)} second-level outlets with "
                        f">= {rule.min_people} outside", terms, ">=", need))
    return rows


def _monotone(outlets: Sequence[OutletOptions]) -> list[Row]:
    """Mean head-count of each present tier ≥ that of the next present tier down."""
    present = [t for t in TIERS if any(opt.tier == t for opt in outlets)]
    rows = []
    for upper, lower in itertools.pairwise(present):
        parts: list[Terms] = []
        for tier, sign in ((upper, 1.0), (lower, -1.0)):
            members = [o for o, opt in enumerate(outlets) if opt.tier == tier]
            parts += [Terms.of(o, sign * outlets[o].totals / len(members)) for o in members]
        rows.append(Row("tier_monotone", f"mean head-count {upper} >= {lower}", Terms.join(parts), ">=", 0.0))
    return rows


def rules(outlets: Sequence[OutletOptions], policy: Policy) -> list[Row]:
    """Every linear rule of the policy over these outlets' patterns (one-pattern rows excluded)."""
    return _per_outlet(outlets, policy) + _regional(outlets, policy)


def _build(outlets: Sequence[OutletOptions], rows: list[Row], elastic: bool, soft: Sequence[bool] | None = None,
           weights: Sequence[np.ndarray] | None = None
           ) -> tuple[pulp.LpProblem, list[list[pulp.LpVariable]], list[pulp.LpVariable]]:
    """The model; ``elastic`` minimises the slack of the rows marked ``soft`` (all rows by default);
    otherwise it maximises ``weights`` per outlet and pattern (default: the patterns' value)."""
    prob = pulp.LpProblem("staffing", pulp.LpMinimize if elastic else pulp.LpMaximize)
    x = [[prob.add_variable(f"x_{o}_{p}", 0, 1, cat=pulp.LpBinary) for p in range(len(opt.value))]
         for o, opt in enumerate(outlets)]
    slacks: list[pulp.LpVariable] = []
    if elastic:
        soft = [True] * len(rows) if soft is None else soft
        slacks = [prob.add_variable(f"slack_{i}", lowBound=0, upBound=None if s else 0)
                  for i, s in enumerate(soft)]
        prob += pulp.lpSum(slacks)
    else:
        coef = [opt.value for opt in outlets] if weights is None else weights
        prob += pulp.LpAffineExpression([(x[o][p], float(v)) for o, w in enumerate(coef) for p, v in enumerate(w)])
    for o, xs in enumerate(x):
        prob += pulp.LpAffineExpression([(v, 1.0) for v in xs]) == 1, f"one_pattern_{o}"
    for i, row in enumerate(rows):
        if not row.terms and not elastic:
            continue  # no pattern enters it: met whatever is chosen (solve refuses one broken at zero first)
        expr = pulp.LpAffineExpression([(x[o][p], c) for o, p, c in row.terms])
        if elastic:
            expr = expr + (slacks[i] if row.sense == ">=" else -slacks[i])
        prob += (expr >= row.rhs) if row.sense == ">=" else (expr <= row.rhs), f"rule_{i}"
    return prob, x, slacks


def _solver(name: str, gap: float, time_limit: float | None, log: Path | None) -> Any:
    if name == "highs":
        return pulp.HiGHS(msg=False, gapRel=gap, timeLimit=time_limit)
    if name == "cbc":
        # Bundled CBC can spend minutes in its ZeroHalf cut generator on these models
        # (measured in the project's design notes); switch it off.
        # PuLP 3.3 deprecates its bundled CBC (PuLP 4 wants a separately installed one); the bundled
        # binary is what every PuLP install has, so use it and keep the notice out of users' output.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(msg=False, gapRel=gap, timeLimit=time_limit, options=["zeroHalfCuts off"],
                                     logPath=str(log) if log else None)
    raise ValueError(f"solver: {name!r} is not allowed; allowed: {', '.join(SOLVERS)}")


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the solver's own banner, which HiGHS prints from C++ whatever ``msg`` says."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _run(prob: pulp.LpProblem, solver: str, gap: float, time_limit: float | None
         ) -> tuple[str, float | None, float | None, float]:
    """Solve; return (status, bound, gap, seconds). Bound and gap in the model's sense when known."""
    with tempfile.TemporaryDirectory() as tmp, _quiet_stdout():
        log = Path(tmp) / "cbc.log" if solver == "cbc" else None
        prob.solve(_solver(solver, gap, time_limit, log))
        status = pulp.LpStatus[prob.status]
        bound, achieved = _bound(prob, solver, log)
    return status, bound, achieved, float(prob.solutionTime)


def _bound(prob: pulp.LpProblem, solver: str, log: Path | None) -> tuple[float | None, float | None]:
    if solver == "highs":
        info = prob.solverModel.getInfo()
        sign = -1.0 if prob.sense == pulp.LpMaximize else 1.0
        return sign * float(info.mip_dual_bound), float(info.mip_gap)
    text = log.read_text() if log is not None and log.exists() else ""
    objective = re.search(r"Objective value:\s+(\S+)", text)
    if re.search(r"Optimal solution found", text) and objective:
        # CBC proved optimality within the gap limit; it prints no final bound of its own.
        return float(objective.group(1)), None
    return None, None


def _allowed(outlets: Sequence[OutletOptions], policy: Policy) -> list[np.ndarray]:
    """Per outlet, the patterns meeting every rule on that outlet alone."""
    return [np.flatnonzero(outlet_meets(opt, policy).all(axis=1)) for opt in outlets]


def _restrict(opt: OutletOptions, keep: np.ndarray) -> OutletOptions:
    return replace(opt, counts=opt.counts[keep], cm_inside=opt.cm_inside[keep], value=opt.value[keep],
                   moves=opt.moves[keep], uncovered=tuple(opt.uncovered[k] for k in keep) if opt.uncovered else (),
                   retuned=None if opt.retuned is None else opt.retuned[keep])


def solve(outlets: Sequence[OutletOptions], policy: Policy, *, solver: str = "highs", gap: float = DEFAULT_GAP,
          time_limit: float | None = None) -> Solution:
    """Choose one pattern per outlet maximising total value under ``policy``.

    Rules on a single outlet (tier bounds, minimum CMs, inside : outside, VIP
    maintenance) are applied by leaving out the patterns that break them, which is
    exact for a one-pattern-per-outlet model and leaves the solver only the regional
    rules (pools, transfers, the monotone tier rule). The elastic diagnosis still sees
    every rule.

    Raises:
        InfeasibleError: with the diagnosis from :func:`diagnose`.
        RuntimeError: the solver stopped without a usable solution (time limit, error).
    """
    allowed = _allowed(outlets, policy)
    if any(a.size == 0 for a in allowed):
        raise InfeasibleError(diagnose(outlets, policy, solver=solver))
    kept = [_restrict(opt, a) for opt, a in zip(outlets, allowed, strict=True)]
    regional = _regional(kept, policy)
    if any(not r.terms and not satisfied([r], 1)[0, 0] for r in regional):
        # a regional rule no allowed pattern enters and that fails at zero (e.g. no pattern has the outside
        # staff [rules.outside_staff] asks for): no choice can meet it, so say so instead of dropping it
        raise InfeasibleError(diagnose(outlets, policy, solver=solver))
    prob, x, _ = _build(kept, regional, elastic=False)
    status, bound, achieved, seconds = _run(prob, solver, gap, time_limit)
    if status == "Infeasible":
        raise InfeasibleError(diagnose(outlets, policy, solver=solver))
    if status != "Optimal":
        raise RuntimeError(f"solver {solver} stopped with status {status}; no plan to report")
    choice = tuple(int(a[np.argmax([v.value() or 0.0 for v in xs])]) for a, xs in zip(allowed, x, strict=True))
    objective = float(sum(outlets[o].value[p] for o, p in enumerate(choice)))
    if achieved is None and bound is not None:
        achieved = abs(bound - objective) / max(abs(objective), TINY)
    if gap > DEFAULT_GAP and (achieved is None or achieved > DEFAULT_GAP):
        status = FEASIBLE_WITHIN_GAP  # proved only within the gap the user allowed, not optimal
    every = tuple(rules(outlets, policy))
    return Solution(status=status, solver=solver, choice=choice, objective=objective, bound=bound, gap=achieved,
                    gap_limit=gap,
                    binding=tuple(r.text for r in every if binds(r, choice)), seconds=seconds, rows=every)


def stabilise(outlets: Sequence[OutletOptions], policy: Policy, best: Solution, tolerance: float, *,
              solver: str = "highs") -> Solution:
    """Among plans worth at least ``best.objective − tolerance``, the one with the fewest moves, then most value.

    ``tolerance`` is the noise of the estimates (yuan/day): plans within it of the best
    are statistically indistinguishable from it, so the one that moves fewest people is
    the one to sign — and the one a re-run with another seed is likeliest to repeat.
    Two solves on the same rules as :func:`solve`: fewest moves subject to the value
    floor, then most value subject to that many moves. A flexible post's changed
    thresholds count as one change each (:attr:`OutletOptions.changes`): a threshold
    within the noise of today's stays. ``best`` is returned when ``tolerance`` is 0 or
    nothing better is found.
    """
    if tolerance <= 0:
        return best
    allowed = _allowed(outlets, policy)
    kept = [_restrict(opt, a) for opt, a in zip(outlets, allowed, strict=True)]
    regional = _regional(kept, policy)
    floor = Row("stability", "value within the noise of the best",
                Terms.join([Terms.of(o, opt.value, nonzero=False) for o, opt in enumerate(kept)]),
                ">=", best.objective - tolerance)
    prob, x, _ = _build(kept, [*regional, floor], elastic=False, weights=[-opt.changes for opt in kept])
    if _run(prob, solver, 0.0, None)[0] != "Optimal":
        return best
    fewest = sum(float(opt.changes[int(np.argmax([v.value() or 0.0 for v in xs]))]) for opt, xs in zip(kept, x,
                                                                                                        strict=True))
    cap = Row("stability", "fewest moves", Terms.join([Terms.of(o, opt.changes, nonzero=False)
                                                       for o, opt in enumerate(kept)]), "<=", fewest + 1e-6)
    prob, x, _ = _build(kept, [*regional, floor, cap], elastic=False)
    status, _, _, seconds = _run(prob, solver, 0.0, None)
    if status != "Optimal":
        return best
    choice = tuple(int(a[np.argmax([v.value() or 0.0 for v in xs])]) for a, xs in zip(allowed, x, strict=True))
    objective = float(sum(outlets[o].value[p] for o, p in enumerate(choice)))
    # bound and gap stay those of the value-optimal solve: they prove the best, which the choice is within noise of
    return replace(best, choice=choice, objective=objective,
                   binding=tuple(r.text for r in rules(outlets, policy) if binds(r, choice)),
                   seconds=best.seconds + seconds)


def rule_value(row: Row, choice: Sequence[int]) -> float:
    """The left-hand side of ``row`` when outlet ``o`` takes pattern ``choice[o]``."""
    t = row.terms
    chosen = np.asarray(choice, dtype=np.int64)[t.outlet] == t.pattern
    values: list[float] = t.coef[chosen].tolist()
    return sum(values)  # Python's sum, term by term in order, as the rule reads


def binds(row: Row, choice: Sequence[int]) -> bool:
    """True when the chosen plan meets ``row`` with equality (within 1e-6 of its limit).

    A ``cover`` rule (a yes/no filter: the zone is staffed all day or not) never binds in
    this sense; the patterns it leaves out are in the candidates table.
    """
    return row.group != "cover" and abs(rule_value(row, choice) - row.rhs) <= 1e-6


def diagnose(outlets: Sequence[OutletOptions], policy: Policy, *, solver: str = "highs") -> list[str]:
    """Name the rules that cannot all hold, and by how much.

    1. An outlet none of whose patterns meets all the rules on that outlet alone is
       named with the rules its closest pattern (fewest rules broken, then the smallest
       shortfall) still breaks.
    2. Otherwise an elastic copy with a slack on every regional rule (pools, transfers,
       monotone tiers), the outlet rules kept hard, finds the smallest total violation,
       e.g. ``customer_manager pool 48: the plan closest to every rule has 60 (12 over)``;
       then, keeping those rules hard and every other rule soft, the rules that would
       have to give instead are named too: both sides of the conflict.
    """
    lines = _outlet_conflicts(outlets, policy)
    if lines:
        return lines
    per, regional = _per_outlet(outlets, policy), _regional(outlets, policy)
    rows = per + regional
    first = _elastic(outlets, rows, [i >= len(per) for i in range(len(rows))], solver)
    if first is None:
        return ["the elastic model could not be solved either"]
    lines = _violations(rows, *first)
    if not lines:
        return ["no single rule is violated, yet the model is infeasible (numerical trouble)"]
    given = {i for i, (_, amount) in enumerate(zip(rows, first[1], strict=True)) if amount > 1e-6}
    second = _elastic(outlets, rows, [i not in given for i in range(len(rows))], solver)
    other = _violations(rows, *second) if second is not None else []
    if other:
        shown = other[:6] + ([f"... and {len(other) - 6} more"] if len(other) > 6 else [])
        lines += ["keeping those, these would have to give instead:"] + [f"  {line}" for line in shown]
    else:
        tried = sorted({rows[i].group for i in range(len(rows)) if i not in given})
        lines.append(f"no other rule can give way instead: keeping {'those' if len(given) > 1 else 'that'} and "
                     f"letting every other rule bend ({', '.join(tried) or 'none left'}) still leaves no plan, so "
                     "the rule(s) above must change (or the outlets' candidates: a wider search.step)")
    return lines


def _elastic(outlets: Sequence[OutletOptions], rows: list[Row], soft: Sequence[bool], solver: str
             ) -> tuple[list[int], list[float]] | None:
    """Solve the elastic copy; the chosen patterns and each row's slack, or None when it is infeasible."""
    prob, x, slacks = _build(outlets, rows, elastic=True, soft=soft)
    status, _, _, _ = _run(prob, solver, DEFAULT_GAP, None)
    if status != "Optimal":
        return None
    return [int(np.argmax([v.value() or 0.0 for v in xs])) for xs in x], [s.value() or 0.0 for s in slacks]


def _violations(rows: list[Row], choice: list[int], amounts: list[float]) -> list[str]:
    lines = []
    for row, amount in zip(rows, amounts, strict=True):
        if amount > 1e-6:
            word = "over" if row.sense == "<=" else "short"
            lines.append(f"{row.text}: the plan closest to every rule has {_fmt(rule_value(row, choice))} "
                         f"({_fmt(amount)} {word})")
    return lines


def _outlet_conflicts(outlets: Sequence[OutletOptions], policy: Policy) -> list[str]:
    """Outlets where no pattern meets every rule on that outlet, with what the closest pattern breaks."""
    lines = []
    for o, opt in enumerate(outlets):
        rows = outlet_rules(opt, policy, o)
        ok = outlet_meets(opt, policy)
        if not rows or ok.all(axis=1).any():
            continue
        lhs = _outlet_lhs(opt, _rule_parts(opt, policy))
        gap = np.array([[max(0.0, r.rhs - v) if r.sense == ">=" else max(0.0, v - r.rhs)
                         for r, v in zip(rows, lhs[p], strict=True)] for p in range(len(opt.value))])
        scale = np.maximum(np.abs(lhs).max(axis=0), TINY)  # shortfalls compared in the rule's own units
        best = int(np.lexsort(((gap / scale).sum(axis=1), (~ok).sum(axis=1)))[0])
        for i, row in enumerate(rows):
            if not ok[best, i]:
                word = "over" if row.sense == "<=" else "short"
                lines.append(f"{row.text}: no candidate pattern of this outlet meets it with the outlet's other "
                             f"rules; the closest has {_fmt(lhs[best, i])} ({_fmt(gap[best, i])} {word})")
    return lines


def _fmt(x: float) -> str:
    return f"{x:.0f}" if math.isclose(x, round(x), abs_tol=1e-6) else f"{x:.2f}"
