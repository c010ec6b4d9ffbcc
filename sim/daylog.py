"""One simulated day's log as numpy arrays, and its readable tables (pandas, imported on use)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.codes import VisitKind, VisitStatus, labels
from sim.customers import Customers, field_marketing, sales_uniforms
from sim.events import DayRun
from sim.layout import Staffing
from sim.scenario import NEEDS, ROLES, SERVICE_ZONES, Scenario

if TYPE_CHECKING:
    import pandas as pd

VISIT_KINDS = labels(VisitKind)
VISIT_STATUSES = labels(VisitStatus)


def wait_end_min(start_min: np.ndarray, end_min: np.ndarray) -> np.ndarray:
    """When each visit's wait ended (min): at service start or, for a visit never served,
    when the customer left the queue (walk-out, balk, bypass); NaN if still queued."""
    ended: np.ndarray = np.where(np.isnan(start_min), end_min, start_min)
    return ended


def wait_min(join_min: np.ndarray, start_min: np.ndarray, end_min: np.ndarray) -> np.ndarray:
    """The wait of each visit (min): from joining the queue until :func:`wait_end_min`
    (a balk waits 0); NaN when still queued at the end of the day. The one definition
    of a wait, used by the log's tables and by every KPI."""
    wait: np.ndarray = wait_end_min(start_min, end_min) - join_min
    return wait


@dataclass(frozen=True, slots=True)
class DayLog:
    """Everything one simulated day produced, as numpy arrays (cheap to keep and to pickle).

    ``customers``: draws per customer (arrival order). Visits: one row per queue a
    customer joined — ``visit_customer``, ``visit_zone`` (:class:`~sim.codes.Zone`),
    ``visit_kind`` (:class:`~sim.codes.VisitKind`), ``visit_join_min``,
    ``visit_start_min`` (NaN if never served), ``visit_end_min`` (service end, walk-out
    or balk time), ``visit_staff`` (index into ``staff.ids``; ``MACHINE`` −2,
    ``NO_STAFF`` −1), ``visit_status`` (:class:`~sim.codes.VisitStatus`).
    ``no_service`` and ``diverted`` list customer indices. ``sales_u`` holds the
    uniforms of the sales draws ``[customer, visit kind, bundle slot]`` (see
    :func:`sim.metrics.credit_sales`); ``field_new_customers`` the field-marketing wins.
    """

    scenario: Scenario
    staff: Staffing
    customers: Customers
    visit_customer: np.ndarray
    visit_zone: np.ndarray
    visit_kind: np.ndarray
    visit_join_min: np.ndarray
    visit_start_min: np.ndarray
    visit_end_min: np.ndarray
    visit_staff: np.ndarray
    visit_status: np.ndarray
    no_service: np.ndarray
    diverted: np.ndarray
    sales_u: np.ndarray
    field_new_customers: int

    @property
    def visit_wait_min(self) -> np.ndarray:
        """Each visit's wait (min), as defined by :func:`wait_min`."""
        return wait_min(self.visit_join_min, self.visit_start_min, self.visit_end_min)

    def customers_frame(self) -> pd.DataFrame:
        """One row per customer: arrival (min from opening), segment and need by name, patience."""
        import pandas as pd

        c = self.customers
        return pd.DataFrame({
            "customer": np.arange(c.arrival_min.size), "arrival_min": c.arrival_min,
            "segment": np.asarray(list(self.scenario.segments), dtype=object)[c.segment],
            "need": np.asarray(NEEDS, dtype=object)[c.need], "patience_min": c.patience_min,
        })

    def visits_frame(self) -> pd.DataFrame:
        """One row per queue joined, with zone, kind, status and staff by name (``machine``/``""``)."""
        import pandas as pd

        # MACHINE (-2) and NO_STAFF (-1) index the two names appended to the staff ids.
        staff_names = np.asarray([*self.staff.ids, "machine", ""], dtype=object)
        return pd.DataFrame({
            "customer": self.visit_customer, "zone": np.asarray(SERVICE_ZONES, dtype=object)[self.visit_zone],
            "kind": np.asarray(VISIT_KINDS, dtype=object)[self.visit_kind], "join_min": self.visit_join_min,
            "start_min": self.visit_start_min, "end_min": self.visit_end_min, "wait_min": self.visit_wait_min,
            "staff": staff_names[self.visit_staff],
            "status": np.asarray(VISIT_STATUSES, dtype=object)[self.visit_status],
        })

    def staff_frame(self) -> pd.DataFrame:
        """The staff event log: duty start/end and each service start/end, by person, in time order."""
        import pandas as pd

        rows = [(self.staff.ids[k], ROLES[self.staff.roles[k]], t, event, "", -1)
                for k, intervals in enumerate(self.staff.duty) for on, off in intervals
                for t, event in ((on, "on_duty"), (off, "off_duty"))]
        for v in np.flatnonzero(self.visit_staff >= 0):
            k = int(self.visit_staff[v])
            for t, event in ((self.visit_start_min[v], "service_start"), (self.visit_end_min[v], "service_end")):
                if np.isfinite(t):
                    rows.append((self.staff.ids[k], ROLES[self.staff.roles[k]], float(t), event,
                                 SERVICE_ZONES[self.visit_zone[v]], int(self.visit_customer[v])))
        frame = pd.DataFrame(rows, columns=["staff", "role", "time_min", "event", "zone", "customer"])
        return frame.sort_values(["time_min", "staff"], kind="stable", ignore_index=True)


def to_log(scenario: Scenario, run: DayRun, rngs: dict[str, np.random.Generator]) -> DayLog:
    """Turn a finished day's visit lists into :class:`DayLog` arrays, drawing its sales
    uniforms (unless drawn before the day, when selling takes time: the same numbers) and
    field marketing. Visits still waiting at the end become ``UNSERVED``."""
    status = np.asarray(run.visit_status, dtype=np.int64)
    status[status == VisitStatus.WAITING] = VisitStatus.UNSERVED
    selling = run.customers.selling
    return DayLog(
        scenario, run.staff, run.customers,
        np.asarray(run.visit_customer, dtype=np.int64), np.asarray(run.visit_zone, dtype=np.int64),
        np.asarray(run.visit_kind, dtype=np.int64), np.asarray(run.visit_join_min, dtype=float),
        np.asarray(run.visit_start_min, dtype=float), np.asarray(run.visit_end_min, dtype=float),
        np.asarray(run.visit_staff, dtype=np.int64), status,
        np.asarray(run.no_service, dtype=np.int64), np.asarray(run.diverted, dtype=np.int64),
        sales_uniforms(scenario, run.n, rngs["sales"]) if selling is None else selling.sales_u,
        field_marketing(scenario, rngs["field"]),
    )
