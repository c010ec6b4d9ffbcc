"""The vocabulary, once: zone, role, need and tier names, and the integer codes beside them.

The names (``ZONES``, ``ROLES``, ``NEEDS``, ``TIERS`` …) are what scenario, region and
rules files and every table use. The event loop and the day's log keep codes as plain
``int`` in lists and numpy arrays (fast to compare, and to count with ``np.bincount``).
Each enum's order is the order of the matching tuple of names: :class:`Zone` indexes
:data:`SERVICE_ZONES`, :class:`Need` indexes :data:`NEEDS`, :class:`Role` indexes
:data:`ROLES` (a test keeps them in step), and ``labels(E)`` gives the lower-case names.
"""

from __future__ import annotations

from enum import IntEnum

#: The six functional zones (六大功能分区), in display order.
ZONES = ("lobby", "waiting", "cash", "non_cash", "self_service", "wealth")
#: Zones where staff serve customers (the others are seats and machines).
STAFFED_ZONES = ("lobby", "cash", "non_cash", "wealth")
#: Zones with a service queue: staffed zones plus self-service machines.
SERVICE_ZONES = ("lobby", "cash", "non_cash", "self_service", "wealth")
#: Zones whose queues occupy the waiting area's seats.
SEATED_ZONES = ("cash", "non_cash", "wealth")
#: Staff roles (岗位) the model knows.
ROLES = (
    "outlet_head",
    "operations_manager",
    "lobby_manager",
    "deputy_lobby_manager",
    "cash_teller",
    "low_counter_teller",
    "customer_manager",
    "wealth_manager",
    "security_guide",
)
#: What a customer came for. A referral visit (teller → CM/WM) is a fifth, internal need.
NEEDS = ("cash", "non_cash", "self_service_eligible", "wealth")
#: The needs a visit serves: the customer's own and a referral.
SERVICE_NEEDS = (*NEEDS, "referral")
#: The four outlet tiers (网点分级), highest first.
TIERS = ("flagship", "backbone", "advancing", "potential")
#: Zones that complete a customer's visit (the lobby only greets and triages).
CUSTOMER_ZONES = ("cash", "non_cash", "self_service", "wealth")


class Role(IntEnum):
    """A staff role (岗位, ``ROLES``)."""

    OUTLET_HEAD = 0
    OPERATIONS_MANAGER = 1
    LOBBY_MANAGER = 2
    DEPUTY_LOBBY_MANAGER = 3
    CASH_TELLER = 4
    LOW_COUNTER_TELLER = 5
    CUSTOMER_MANAGER = 6
    WEALTH_MANAGER = 7
    SECURITY_GUIDE = 8


class Zone(IntEnum):
    """A zone with a queue (``SERVICE_ZONES``): the lobby greets, the others serve."""

    LOBBY = 0
    CASH = 1
    NON_CASH = 2
    SELF_SERVICE = 3
    WEALTH = 4


class Need(IntEnum):
    """What a customer came for (``NEEDS``)."""

    CASH = 0
    NON_CASH = 1
    SELF_SERVICE_ELIGIBLE = 2
    WEALTH = 3


class VisitKind(IntEnum):
    """Why a customer joined a queue: their own need, a teller's referral, or to be greeted."""

    PRIMARY = 0
    REFERRAL = 1
    GREETING = 2


class VisitStatus(IntEnum):
    """How a visit (one queue joined) ended; ``WAITING``/``SERVING`` only while the day runs.

    ``BYPASSED``: waiting to be greeted when the last greeter went off duty, so sent on
    ungreeted. ``UNSERVED``: still queued when the day's last event ran.
    """

    WAITING = 0
    SERVING = 1
    DONE = 2
    ABANDONED = 3
    BALKED = 4
    BYPASSED = 5
    UNSERVED = 6


class StaffState(IntEnum):
    """A staff member's state in the event loop."""

    OFF = 0
    IDLE = 1
    BUSY = 2


class ZoneKpi(IntEnum):
    """Columns of the per-zone KPI table (``sim.metrics.ZONE_KPIS``)."""

    MEAN_WAIT_MIN = 0
    P90_WAIT_MIN = 1
    SERVICE_LEVEL = 2
    ABANDON_RATE = 3
    UTILISATION = 4
    QUEUE_LEN_MEAN = 5
    CUSTOMERS = 6


#: ``visit_staff`` of a visit served by a self-service machine.
MACHINE = -2
#: ``visit_staff`` of a visit nobody served.
NO_STAFF = -1
#: A route's zone when no open zone can serve the need: the customer is lost.
NO_ZONE = -1


def labels(codes: type[IntEnum]) -> tuple[str, ...]:
    """The lower-case member names of an enum, in code order (the names used in tables)."""
    return tuple(member.name.lower() for member in codes)
