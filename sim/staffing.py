"""The engine's decision type: a staffing plan (head-count per role, customer managers inside).

A plan is applied to a scenario by :meth:`sim.scenario_types.Scenario.with_staffing`; the optimiser's
candidate patterns, the quarters' daily staffing and the sweeps all speak in it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from sim.codes import ROLES
from sim.tomlio import show


def person_id(role: str, k: int) -> str:
    """The model's name for inside person ``k`` (1-based) of ``role``: ``"cash_teller_2"``. One place for the
    naming, which the model's staff list (:func:`sim.layout.staffing`) and the quarters' day specs share;
    code that needs a person's role carries it, never parses it back out of this name."""
    return f"{role}_{k}"


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    """Head-count per role (岗位) and how many customer managers work inside (内勤).

    ``counts`` holds ``(role, count)`` pairs in :data:`ROLES` order, every role present
    (0 when absent); ``cm_inside`` customer managers work in the outlet and the other
    ``cm_outside`` do field marketing (外勤). Frozen and hashable, so it can key caches
    and sets of candidate patterns. Build one with :meth:`of`.
    """

    counts: tuple[tuple[str, int], ...]
    cm_inside: int

    @classmethod
    def of(cls, counts: Mapping[str, int], cm_inside: int | None = None) -> StaffingPlan:
        """A plan from ``{role: count}`` (missing roles = 0); ``cm_inside`` defaults to all CMs inside.

        Raises:
            ValueError: an unknown role, a negative or non-integer count, or ``cm_inside``
                outside ``0 … customer_manager``.
        """
        unknown = sorted(set(counts) - set(ROLES))
        if unknown:
            raise ValueError(f"staffing plan: unknown role(s) {', '.join(unknown)}; allowed: {', '.join(ROLES)}")
        clean: list[tuple[str, int]] = []
        for rid in ROLES:
            value = counts.get(rid, 0)
            if not _is_whole(value) or value < 0:
                raise ValueError(f"staffing plan: {rid}: a whole number >= 0 is required, got {show(value)}")
            clean.append((rid, int(value)))
        cms = dict(clean)["customer_manager"]
        inside = cms if cm_inside is None else cm_inside
        if not _is_whole(inside) or not 0 <= inside <= cms:
            raise ValueError(f"staffing plan: customer_manager inside: must be a whole number in 0..{cms}, "
                             f"got {show(inside)}")
        return cls(tuple(clean), int(inside))

    def count(self, role: str) -> int:
        """Head-count of ``role`` (0 when the plan has none)."""
        return dict(self.counts)[role]

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


def _is_whole(value: object) -> bool:
    """A whole number: a Python or NumPy integer, or an integral finite float (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or (math.isfinite(value) and float(value).is_integer())
