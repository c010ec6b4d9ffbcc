"""The transfer list: who goes where, as a planner hands it to the outlet heads.

A recommended plan changes head-counts per (outlet, role, placement); people do not
appear or vanish, so the changes are read as transfers. For each role, outlets that
lose people give them and outlets that gain take them, matched greedily: first within
the same outlet (a customer manager moving between inside and outside work, 内勤 ↔
外勤), then between outlets in the same placement, then across placements, largest
amounts first, so the list has few rows. What cannot be matched is either a
**surplus** (people left without a post: ``to_outlet`` empty, to be placed by the
sub-branch) or a **hire** (posts no one of that role leaves: ``from_outlet`` empty).

Every person is counted once: for each (outlet, role, placement), today's head-count
minus the people it gives plus the people it takes is the recommended head-count; and
the people listed, surplus and hires counted half, equal the moves the MILP's
``max_moves`` rule counts (:func:`optimize.problem.moves`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

#: Columns of ``transfers.csv``, in order. ``kind``: ``transfer``, ``conversion``, ``surplus`` or ``hire``.
TRANSFER_COLUMNS = ("from_outlet", "to_outlet", "role", "placement", "people", "kind")


def _placement(give: str, take: str) -> str:
    return give if give == take else f"{give} -> {take}"


def transfer_list(plan: pd.DataFrame, conversions: Sequence[tuple[str, str, int]] = ()) -> pd.DataFrame:
    """Transfers turning today's plan into the recommended one (see the module docstring).

    Args:
        plan: :attr:`optimize.result.Recommendation.plan` rows (``outlet``, ``role``,
            ``placement``, ``change``).
        conversions: ``(from_role, to_role, people)`` the plan converts: that many of the
            ``from`` role's surplus are matched with the ``to`` role's open posts as
            ``conversion`` rows (role ``"from -> to"``) before anything is called surplus or hire.

    Returns:
        One row per transfer with the columns of :data:`TRANSFER_COLUMNS`.
    """
    rows: list[dict[str, object]] = []
    records = [(str(r["outlet"]), str(r["role"]), str(r["placement"]), int(r["change"]))
               for r in plan.to_dict("records")]
    roles = list(dict.fromkeys(r[1] for r in records))
    gives = {role: [_Open(o, p, -c) for o, r, p, c in records if r == role and c < 0] for role in roles}
    takes = {role: [_Open(o, p, c) for o, r, p, c in records if r == role and c > 0] for role in roles}
    for role in roles:
        _match(rows, role, gives[role], takes[role])
    for source, target, people in conversions:  # converted people: one role's leftovers fill another's posts
        left = people
        for g in sorted(gives.get(source, []), key=lambda x: (x.outlet, -x.people)):
            for t in sorted(takes.get(target, []), key=lambda x: (x.outlet != g.outlet, -x.people)):
                n = min(left, g.people, t.people)
                if n <= 0:
                    continue
                rows.append({"from_outlet": g.outlet, "to_outlet": t.outlet, "role": f"{source} -> {target}",
                             "placement": t.placement, "people": n, "kind": "conversion"})
                g.people, t.people, left = g.people - n, t.people - n, left - n
    for role in roles:
        rows += [{"from_outlet": g.outlet, "to_outlet": "", "role": role, "placement": g.placement,
                  "people": g.people, "kind": "surplus"} for g in gives[role] if g.people]
        rows += [{"from_outlet": "", "to_outlet": t.outlet, "role": role, "placement": t.placement,
                  "people": t.people, "kind": "hire"} for t in takes[role] if t.people]
    return pd.DataFrame(rows, columns=list(TRANSFER_COLUMNS))


def _match(rows: list[dict[str, object]], role: str, gives: list[_Open], takes: list[_Open]) -> None:
    """Pair one role's leavers with its open posts: same outlet first, then same placement, then any."""
    for same_outlet, same_place in ((True, False), (False, True), (False, False)):
        for g in sorted(gives, key=lambda x: -x.people):
            for t in sorted(takes, key=lambda x: -x.people):
                if not g.people or not t.people or (same_outlet and g.outlet != t.outlet) or \
                        (same_place and g.placement != t.placement):
                    continue
                n = min(g.people, t.people)
                rows.append({"from_outlet": g.outlet, "to_outlet": t.outlet, "role": role,
                             "placement": _placement(g.placement, t.placement), "people": n, "kind": "transfer"})
                g.people -= n
                t.people -= n


@dataclass
class _Open:
    """People an (outlet, placement) still has to give or take while transfers are matched."""

    outlet: str
    placement: str
    people: int


def surplus(transfers: pd.DataFrame) -> pd.DataFrame:
    """The people the plan leaves without a post: ``role``, ``from_outlet``, ``placement``, ``people``."""
    rows = transfers[transfers["kind"] == "surplus"]
    return rows.loc[:, ["role", "from_outlet", "placement", "people"]].reset_index(drop=True)
