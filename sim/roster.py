"""Rosters: each inside person's own shift and lunch, as a decision beside the head-count plan.

A scenario's ``[staff.ROLE]`` block gives a role one shift and a staggered lunch; a
:class:`Roster` gives named people their own (``cash_teller`` person 2 works 09:30-17:00
with lunch 12:15-13:00). :func:`apply_roster` returns the scenario with the roster in force,
through the per-person :attr:`sim.scenario_types.Role.shifts` field (typed replacement), so
everything keyed on the scenario's content — the optimiser's cache of simulated days above
all (:meth:`~sim.scenario_types.Scenario.content_key`) — sees a different roster as a
different scenario. A notebook can simulate a hand-made roster::

    early = PersonShift(role="cash_teller", person=0, start_min=0, end_min=420, lunch_start_min=150,
                        lunch_end_min=195)
    late = PersonShift(role="cash_teller", person=1, start_min=60, end_min=480, lunch_start_min=210,
                       lunch_end_min=255)
    days = [sim.simulate(apply_roster(scenario, Roster(shifts=(early, late))), seed, r) for r in range(20)]

Times are minutes from opening, as everywhere in ``sim``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.errors import ScenarioError
from sim.scenario_types import Scenario


@dataclass(frozen=True, kw_only=True)
class PersonShift:
    """One inside person's day: ``person`` (0-based, within the role's people inside) of ``role`` works
    ``start_min``–``end_min`` with lunch ``lunch_start_min``–``lunch_end_min`` (equal: no lunch), minutes
    from opening."""

    role: str
    person: int
    start_min: float
    end_min: float
    lunch_start_min: float
    lunch_end_min: float

    @property
    def duty(self) -> tuple[tuple[float, float], ...]:
        """On-duty intervals (minutes from opening): the shift minus the lunch."""
        return tuple((a, b) for a, b in ((self.start_min, self.lunch_start_min),
                                         (self.lunch_end_min, self.end_min)) if b > a)


@dataclass(frozen=True, kw_only=True)
class Roster:
    """Who works when: one :class:`PersonShift` per rostered person. Within each role the people listed are
    the first ones (persons 0 … n−1, in any order); the others keep the role's shift and lunch."""

    shifts: tuple[PersonShift, ...]

    def roles(self) -> tuple[str, ...]:
        """The rostered roles, in order of first appearance."""
        return tuple(dict.fromkeys(s.role for s in self.shifts))

    def of(self, role: str) -> tuple[PersonShift, ...]:
        """``role``'s shifts in person order."""
        return tuple(sorted((s for s in self.shifts if s.role == role), key=lambda s: s.person))


def apply_roster(scenario: Scenario, roster: Roster) -> Scenario:
    """``scenario`` with ``roster`` in force: each listed person's shift and lunch replace the role's
    (:attr:`~sim.scenario_types.Role.shifts`, typed replacement; the cache key follows from the typed fields).

    Raises:
        ScenarioError: naming ``staff.ROLE.shifts``: a role the scenario does not have, more people than
            it has inside, persons not numbered 0 … n−1, a time off the whole minute, a shift outside
            opening hours or a lunch outside the shift.
    """
    outlet = scenario.outlet
    roles = dict(scenario.roles)
    for rid in roster.roles():
        where = f"staff.{rid}.shifts"
        if rid not in roles:
            raise ScenarioError(scenario.source, where, "the roster names a role the scenario has no [staff] block for")
        people = roster.of(rid)
        role = roles[rid]
        if [s.person for s in people] != list(range(len(people))) or len(people) > role.inside:
            raise ScenarioError(scenario.source, where, f"the roster must list persons 0..n-1 of the {role.inside} "
                                f"inside, each once; got {sorted(s.person for s in people)}")
        for s in people:
            times = (s.start_min, s.end_min, s.lunch_start_min, s.lunch_end_min)
            if any(t != round(t) for t in times):
                raise ScenarioError(scenario.source, f"{where}[{s.person}]",
                                    f"times must be whole minutes, got {times}")
            if not (0 <= s.start_min < s.end_min <= outlet.day_min
                    and s.start_min <= s.lunch_start_min <= s.lunch_end_min <= s.end_min):
                raise ScenarioError(scenario.source, f"{where}[{s.person}]", "the shift must lie within opening "
                                    f"hours and the lunch within the shift, got {times} minutes from opening")
        roles[rid] = replace(role, shifts=tuple((s.start_min, s.end_min, s.lunch_start_min, s.lunch_end_min)
                                                for s in people))
    return replace(scenario, roles=roles)
