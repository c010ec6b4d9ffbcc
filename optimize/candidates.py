"""A candidate staffing pattern of one outlet: the plan, where it came from and its fate.

The optimiser's stages (:mod:`optimize.stages`) generate candidates, drop the hopeless
ones by the analytic screen, prune those that break a service limit or are dominated,
and mark those that fail verification. Each decision is a :class:`Fate` — a kind and the
reason in words — so stages and tables test the kind, never parse the words; the words
are what ``candidates.csv`` shows in its ``status`` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sim.staffing import StaffingPlan


class Origin(StrEnum):
    """Where a candidate pattern came from (``candidates.csv``'s ``origin``)."""

    #: Today's plan of the outlet, always a candidate.
    CURRENT = "current"
    #: One person added, removed or moved from today's plan.
    SINGLE_MOVE = "single move"
    #: Single moves that each helped, combined.
    COMBINED = "combined"
    #: A head-count pattern the solve chose, at another threshold of a flexible post (:func:`optimize.stages.retune`).
    RETUNED = "retuned"


class FateKind(StrEnum):
    """What the method decided about a candidate."""

    #: Still in the running.
    KEPT = "kept"
    #: Left out by the analytic Erlang screen before any simulation.
    DROPPED = "dropped"
    #: Left out after simulation: it breaks a service limit or another pattern dominates it.
    PRUNED = "pruned"
    #: Chosen by the MILP (or a live alternative of an outlet whose choice failed, late in verification:
    #: :func:`optimize.stages.verify_ahead`), then broke a limit on the fresh days of verification.
    FAILED = "failed verification"


@dataclass(frozen=True)
class Fate:
    """A candidate's fate: its kind and, unless kept, why (``"breaks walkout_rate 0.061 > 0.05 (mean)"``)."""

    kind: FateKind
    reason: str = ""

    def __str__(self) -> str:
        return self.kind.value if self.kind is FateKind.KEPT else f"{self.kind.value}: {self.reason}"

    @property
    def kept(self) -> bool:
        """True while the candidate is in the running."""
        return self.kind is FateKind.KEPT

    @staticmethod
    def parse(text: str) -> Fate:
        """The fate written as ``text`` by :meth:`__str__` (``candidates.csv``'s ``status``).

        Raises:
            ValueError: ``text`` is not a fate.
        """
        if text == FateKind.KEPT.value:
            return KEPT
        kind, sep, reason = text.partition(": ")
        if not sep or kind not in {k.value for k in FateKind}:
            raise ValueError(f"not a candidate's fate: {text!r}")
        return Fate(FateKind(kind), reason)


#: The fate of a candidate still in the running.
KEPT = Fate(FateKind.KEPT)


def breaks(reasons: list[str]) -> Fate:
    """Pruned for breaking the limits named in ``reasons`` (kept when there are none)."""
    return Fate(FateKind.PRUNED, "breaks " + "; ".join(reasons)) if reasons else KEPT


@dataclass
class Candidate:
    """One staffing pattern of an outlet, where it came from, and its fate so far (the only mutable part)."""

    plan: StaffingPlan
    origin: Origin
    fate: Fate = KEPT
