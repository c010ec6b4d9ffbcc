"""The engine's decision type: a staffing plan (head-count per role, customer managers inside, flexible posts).

A plan is applied to a scenario by :meth:`sim.scenario_types.Scenario.with_staffing`; the optimiser's
candidate patterns, the quarters' daily staffing and the sweeps all speak in it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from sim.codes import ROLES, SERVICE_ZONES
from sim.tomlio import show


def person_id(role: str, k: int) -> str:
    """The model's name for inside person ``k`` (1-based) of ``role``: ``"cash_teller_2"``. One place for the
    naming, which the model's staff list (:func:`sim.layout.staffing`) and the quarters' day specs share;
    code that needs a person's role carries it, never parses it back out of this name."""
    return f"{role}_{k}"


#: Where each role's pair sits in :attr:`StaffingPlan.counts` (:data:`ROLES` order).
_ROLE_AT = {rid: i for i, rid in enumerate(ROLES)}
#: Every ``(role, count)`` pair made so far, shared by the plans that hold it: a 2,000-outlet province's search
#: makes about 90,000 plans from a few hundred distinct pairs (a pair is 64 bytes, a plan holds one a role).
_PAIRS: dict[tuple[str, int], tuple[str, int]] = {}


class FlexThreshold(NamedTuple):
    """When a zone's flexible post opens and closes (:class:`sim.scenario_types.Flex`): its staff leave their
    own work when more than ``open_above`` customers wait in the zone's queue, and go back when fewer than
    ``close_below`` wait (customers, ``1 <= close_below <= max(open_above, 1)``)."""

    zone: str
    open_above: int
    close_below: int


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    """Head-count per role (岗位), how many customer managers work inside (内勤), and the flexible posts' thresholds.

    ``counts`` holds ``(role, count)`` pairs in :data:`ROLES` order, every role present
    (0 when absent); ``cm_inside`` customer managers work in the outlet and the other
    ``cm_outside`` do field marketing (外勤). ``flex`` holds the thresholds of the outlet's
    flexible posts (岗位弹性设置, ``[dispatch.flex.ZONE]``) by zone, when the plan sets them:
    the same people called to a busy zone sooner or later is a different plan. Empty for an
    outlet without flexible posts, so such plans are the head-counts alone. Frozen and
    hashable, so it can key caches and sets of candidate patterns. Build one with :meth:`of`.
    """

    counts: tuple[tuple[str, int], ...]
    cm_inside: int
    flex: tuple[FlexThreshold, ...] = ()

    @classmethod
    def of(cls, counts: Mapping[str, int], cm_inside: int | None = None,
           flex: tuple[FlexThreshold, ...] = ()) -> StaffingPlan:
        """A plan from ``{role: count}`` (missing roles = 0); ``cm_inside`` defaults to all CMs inside;
        ``flex`` the flexible posts' thresholds (kept sorted by zone).

        Raises:
            ValueError: an unknown role, a negative or non-integer count, ``cm_inside``
                outside ``0 … customer_manager``, or a threshold out of its range or a zone twice.
        """
        unknown = sorted(set(counts) - set(ROLES))
        if unknown:
            raise ValueError(f"staffing plan: unknown role(s) {', '.join(unknown)}; allowed: {', '.join(ROLES)}")
        clean: list[tuple[str, int]] = []
        for rid in ROLES:
            value = counts.get(rid, 0)
            if not _is_whole(value) or value < 0:
                raise ValueError(f"staffing plan: {rid}: a whole number >= 0 is required, got {show(value)}")
            pair = (rid, int(value))
            clean.append(_PAIRS.setdefault(pair, pair))
        cms = dict(clean)["customer_manager"]
        inside = cms if cm_inside is None else cm_inside
        if not _is_whole(inside) or not 0 <= inside <= cms:
            raise ValueError(f"staffing plan: customer_manager inside: must be a whole number in 0..{cms}, "
                             f"got {show(inside)}")
        return cls(tuple(clean), int(inside), _thresholds(flex))

    def with_flex(self, threshold: FlexThreshold) -> StaffingPlan:
        """A copy whose flexible post at ``threshold.zone`` opens and closes at ``threshold``'s counts."""
        return StaffingPlan(self.counts, self.cm_inside,
                            _thresholds((*(t for t in self.flex if t.zone != threshold.zone), threshold)))

    def count(self, role: str) -> int:
        """Head-count of ``role`` (0 when the plan has none)."""
        return self.counts[_ROLE_AT[role]][1]

    @property
    def cm_outside(self) -> int:
        """Customer managers doing field marketing outside the outlet (外勤)."""
        return self.count("customer_manager") - self.cm_inside

    @property
    def total(self) -> int:
        """Total head-count over all roles."""
        return sum(c for _, c in self.counts)

    def as_dict(self) -> dict[str, int]:
        """``{role: count}`` for the roles with people, plus ``customer_manager_inside``."""
        out = {r: c for r, c in self.counts if c}
        out["customer_manager_inside"] = self.cm_inside
        return out


def _thresholds(flex: tuple[FlexThreshold, ...]) -> tuple[FlexThreshold, ...]:
    """``flex`` checked (a tuple of :class:`FlexThreshold`, a service zone each, whole counts in range, each zone
    once) and sorted by zone."""
    if not isinstance(flex, tuple) or isinstance(flex, FlexThreshold) or \
            not all(isinstance(t, FlexThreshold) for t in flex):
        raise ValueError(f"staffing plan: flex: a tuple of FlexThreshold(zone, open_above, close_below) is required, "
                         f"got {show(flex)}")
    out = []
    for t in flex:
        if t.zone not in SERVICE_ZONES:
            raise ValueError(f"staffing plan: flexible post {show(t.zone)}: not a service zone; allowed: "
                             f"{', '.join(SERVICE_ZONES)}")
        above, below = t.open_above, t.close_below
        if not (_is_whole(above) and above >= 0 and _is_whole(below) and 1 <= below <= max(above, 1)):
            raise ValueError(f"staffing plan: flexible post {t.zone}: open_above a whole number >= 0 and "
                             f"close_below one in 1..max(open_above, 1) are required, got {show(above)}, "
                             f"{show(below)}")
        out.append(FlexThreshold(str(t.zone), int(above), int(below)))
    zones = [t.zone for t in out]
    if len(set(zones)) < len(zones):
        raise ValueError(f"staffing plan: a flexible post's zone given twice: {', '.join(zones)}")
    return tuple(sorted(out))


def _is_whole(value: object) -> bool:
    """A whole number: a Python or NumPy integer, or an integral finite float (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or (math.isfinite(value) and float(value).is_integer())
