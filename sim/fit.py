"""Calibrating an outlet from its own queue-ticket log: the log format, the estimators, the fitted scenario.

**The log** (CSV, UTF-8, a byte-order mark accepted; lines starting with ``#`` are
comments): one row per ticket the lobby's ticket machine printed, with a header row
naming the columns (any order; other columns are ignored):

============== ======== ================================================================
column         needed   meaning
============== ======== ================================================================
ticket_time    yes      when the ticket was taken (the customer joined the queue)
called_time    yes      when the ticket was called to a counter; for an **abandoned**
                        ticket: when it left the queue (the customer walked out, or was
                        called and found gone)
end_time       yes      when service ended; **empty for an abandoned ticket**
zone           yes      ``cash`` | ``non_cash`` | ``wealth`` | ``self_service``
vip            yes      ``0``/``1``, ``true``/``false``, ``yes``/``no``
business_type  no       free text (kept, counted in the report)
staff_id       no       who served it (per-person speeds)
date           no       ``YYYY-MM-DD``; without it (and with clock times) the log is one day
============== ======== ================================================================

Times are ``HH:MM`` or ``HH:MM:SS`` (seconds recommended: a whole-minute log rounds
short services to 0), or full ISO date-times (``2025-03-03T09:14:05``, optionally with
a UTC offset) whose date then gives the day. Other systems' exports are read through a
column mapping ``{their_name: our_name}`` (``--map THEIRS=ours``). A bad cell stops the
read with one :class:`~sim.errors.ScenarioError` line naming the file, the row (the
line number in the file, the header being a row too) and the column, e.g.
``log.csv: row 12, end_time: 09:14:00 is before called_time 09:20:00``.

**What is estimated** (each with a 95% interval; minutes and hours of the clock):

- arrivals: tickets per hour of the day, averaged over the log's days (Garwood's exact
  Poisson interval, widened by √(dispersion index) when the daily counts vary more than
  Poisson's), the daily total, and the over-dispersion check: the index of dispersion
  ``I = variance / mean`` of the daily counts, with ``(D − 1)·I ~ χ²(D − 1)`` under a
  Poisson day (a small p-value says the days differ more than chance: a busy Monday,
  a pay day);
- the VIP share, overall and per hour, and the zone (need) mix, for VIPs and others
  (Wilson intervals);
- service time per zone (``end − called`` of served tickets): exponential, lognormal
  and gamma fitted by maximum likelihood, chosen by AIC, with the Kolmogorov–Smirnov
  p-value of each (indicative: the parameters come from the same data); mean and cv
  with delta-method intervals;
- per-person speed (zone mean service ÷ the person's mean, as in ``staff.<role>.speed``);
- **patience from censored data**: an abandoned ticket's wait (``called − ticket``) *is*
  its patience; a served ticket's wait is a lower bound on it (right-censored: the
  customer would have waited at least that long). Exponential (closed form: mean =
  total waiting exposure / walk-outs) and lognormal (censored maximum likelihood)
  fits, chosen by AIC, and a Kaplan–Meier curve — for all tickets, VIPs and the rest.

**What the log cannot say** — opening hours, zones and positions, staff and shifts,
sales, products, fees, field marketing, walk-out values — is kept from a template
scenario, and the written TOML says which table came from where.

The fitted scenario (:func:`scenario_data`, :func:`scenario_toml`) loads with
:func:`sim.load_scenario`; :func:`backtest` simulates it and compares its waits and
walk-outs by hour with the log's.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize as sopt
from scipy import special, stats

from sim.codes import NEEDS, VisitKind, VisitStatus, Zone
from sim.daylog import DayLog
from sim.errors import ScenarioError
from sim.scenario import file_form, format_clock, from_dict
from sim.scenario_types import MAX_CV, MAX_DURATION_MIN, MIN_CV, Scenario
from sim.tomlio import plain_copy

#: Columns of the log format, in the order :func:`ticket_log_csv` writes them.
LOG_COLUMNS = ("date", "ticket_time", "called_time", "end_time", "zone", "business_type", "vip", "staff_id")
#: Columns a log must have.
REQUIRED_COLUMNS = ("ticket_time", "called_time", "end_time", "zone", "vip")
#: Zones a ticket can be for (the lobby greets; it issues the tickets).
LOG_ZONES = ("cash", "non_cash", "self_service", "wealth")
#: The need (``sim.codes.NEEDS``) a ticket of each zone stands for.
ZONE_NEED = {"cash": "cash", "non_cash": "non_cash", "self_service": "self_service_eligible", "wealth": "wealth"}
#: Fewest tickets a fit needs.
MIN_TICKETS = 50
#: Fewest served tickets (with a positive service time) to fit a zone's service time.
MIN_SERVICE = 10
#: Fewest abandoned tickets to fit patience.
MIN_ABANDONED = 5
#: Tickets taken up to this many minutes after closing count in the last opening hour
#: (customers inside at closing); later ones are an error.
LATE_MIN = 60.0
#: Largest log read (bytes).
MAX_LOG_BYTES = 200_000_000
#: Patience groups: every ticket, VIPs, the others.
GROUPS = ("all", "vip", "non_vip")
#: The fitted families and their number of parameters.
FAMILIES = {"exponential": 1, "lognormal": 2, "gamma": 2}
#: A walk-out at zero wait is taken to have waited this long (min: half a second), so densities stay finite.
MIN_PATIENCE_MIN = 1.0 / 120.0

_Z = 1.959963984540054  # the 0.975 normal quantile
_CLOCK = re.compile(r"^([0-9]{1,2}):([0-5][0-9])(?::([0-5][0-9](?:\.[0-9]+)?))?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TRUE, _FALSE = ("1", "true", "yes", "y", "t"), ("0", "false", "no", "n", "f")


# ---- the log ---------------------------------------------------------------------------

@dataclass(kw_only=True, frozen=True)
class TicketLog:
    """A validated ticket log as arrays, one entry per ticket, in file order.

    ``day`` indexes ``dates``; ``ticket_min``, ``called_min`` and ``end_min`` are minutes
    after midnight of the ticket's day (``end_min`` NaN for an abandoned ticket, whose
    ``called_min`` is when it left the queue); ``zone`` indexes :data:`LOG_ZONES`;
    ``row`` is each ticket's line in the file (for messages); ``columns`` maps our
    column names to the file's.
    """

    source: str
    dates: tuple[str, ...]
    day: np.ndarray
    ticket_min: np.ndarray
    called_min: np.ndarray
    end_min: np.ndarray
    zone: np.ndarray
    vip: np.ndarray
    staff_id: np.ndarray
    business_type: np.ndarray
    row: np.ndarray
    columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of tickets."""
        return int(self.ticket_min.size)

    @property
    def n_days(self) -> int:
        """Number of days in the log (days without a ticket cannot be seen)."""
        return len(self.dates)

    @property
    def abandoned(self) -> np.ndarray:
        """True for tickets that left the queue unserved (``end_time`` empty)."""
        out: np.ndarray = np.isnan(self.end_min)
        return out

    @property
    def wait_min(self) -> np.ndarray:
        """Minutes from ticket to call (to leaving, for an abandoned ticket): the sim's wait."""
        out: np.ndarray = self.called_min - self.ticket_min
        return out

    @property
    def service_min(self) -> np.ndarray:
        """Minutes from call to end of service (NaN for abandoned tickets)."""
        out: np.ndarray = self.end_min - self.called_min
        return out

    def column(self, ours: str) -> str:
        """The file's name of our column ``ours`` (for messages)."""
        return self.columns.get(ours, ours)


def _cell_error(source: str, row: int, column: str, problem: str) -> ScenarioError:
    return ScenarioError(source, f"row {row}, {column}", problem)


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each CSV record of ``text``, skipping blank and ``#`` comment lines."""
    kept = [(i + 1, line) for i, line in enumerate(text.splitlines(keepends=True))
            if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.reader(line for _, line in kept)
    for cells in reader:
        yield kept[reader.line_num - 1][0], cells


class _Times:
    """Parses the time cells of one log and insists they all use one format and one UTC offset."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.kind: str | None = None
        self.first: tuple[int, str] = (0, "")
        self.offset: timedelta | None = None

    def parse(self, text: str, row: int, column: str) -> float | datetime:
        """Minutes after midnight (``HH:MM[:SS]``) or a datetime (ISO)."""
        match = _CLOCK.match(text)
        value: float | datetime
        if match:
            hours = int(match.group(1))
            if hours > 23:
                raise _cell_error(self.source, row, column, f"{text!r}: hours must be 0..23")
            kind, value = "HH:MM[:SS]", 60.0 * hours + int(match.group(2)) + float(match.group(3) or 0) / 60.0
        else:
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise _cell_error(self.source, row, column, f"{text!r} is not a time; use HH:MM, HH:MM:SS or an "
                                  "ISO date-time such as 2025-03-03T09:14:05") from None
            kind = "an ISO date-time"
        if self.kind is None:
            self.kind, self.first = kind, (row, column)
        elif kind != self.kind:
            raise _cell_error(self.source, row, column, f"mixed time formats: {text!r} is {kind}, but row "
                              f"{self.first[0]} ({self.first[1]}) gives {self.kind}; use one format in the log")
        if isinstance(value, datetime):
            offset = value.utcoffset()
            if (row, column) == self.first:
                self.offset = offset
            elif offset != self.offset:
                raise _cell_error(self.source, row, column, f"mixed time zones: {text!r} has UTC offset "
                                  f"{_offset(offset)}, row {self.first[0]} has {_offset(self.offset)}; "
                                  "give every time in one zone")
        return value


def _offset(offset: timedelta | None) -> str:
    if offset is None:
        return "none"
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _header(source: str, row: int, cells: list[str], column_map: Mapping[str, str]) -> dict[str, int]:
    """Our column name → index in the record, after the mapping; checks duplicates and required columns."""
    index: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff")
        ours = column_map.get(name, name.lower())  # our own names in any case
        if ours in LOG_COLUMNS:
            if ours in index:
                raise _cell_error(source, row, name or f"column {i + 1}", f"a second {ours!r} column "
                                  f"(column {index[ours] + 1} is one already); give each column once")
            index[ours] = i
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        raise ScenarioError(source, f"row {row}", f"missing column(s) {', '.join(missing)} in the header; the log "
                            f"needs {', '.join(REQUIRED_COLUMNS)} (map your names with --map THEIRS=ours)")
    return index


def check_column_map(column_map: Mapping[str, str], source: str = "--map") -> dict[str, str]:
    """A column mapping ``{their_name: our_name}`` checked: every target one of :data:`LOG_COLUMNS`, each once."""
    out: dict[str, str] = {}
    for theirs, ours in column_map.items():
        if ours not in LOG_COLUMNS:
            raise ScenarioError(source, theirs, f"{ours!r} is not a column of the log format; ours are "
                                f"{', '.join(LOG_COLUMNS)}")
        if ours in out.values():
            raise ScenarioError(source, theirs, f"{ours!r} is mapped from two columns; map one column to it")
        out[str(theirs)] = str(ours)
    return out


def parse_log(text: str, source: str = "<log>", column_map: Mapping[str, str] | None = None) -> TicketLog:
    """Validate a ticket log given as CSV text (see the module docstring for the format).

    Raises:
        ScenarioError: one line naming ``source``, the row and the column: a missing
            column, a time that is not a time, mixed time formats or time zones, a date
            not ``YYYY-MM-DD``, a call before its ticket, an end before its call, an
            unknown zone, a VIP flag that is not 0/1, a duplicated row, or no rows at all.
    """
    mapping = check_column_map(column_map or {})
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise ScenarioError(source, "", "empty file: no header and no tickets; see the log format in the README")
    head_row, head = first
    present = [c.strip().lstrip("\ufeff") for c in head]
    absent = [theirs for theirs in mapping if theirs not in present]
    if absent:
        raise ScenarioError(source, f"row {head_row}", f"--map names column(s) {', '.join(map(repr, absent))} that "
                            f"the log's header does not have; its columns: {', '.join(present)}")
    index = _header(source, head_row, head, mapping)
    names = {ours: head[i].strip().lstrip("\ufeff") for ours, i in index.items()}
    times = _Times(source)
    seen: dict[tuple[str, ...], int] = {}
    rows: list[tuple[Any, ...]] = []
    first_date: tuple[int, str] | None = None
    for row, cells in records:
        if len(cells) != len(head):
            raise ScenarioError(source, f"row {row}", f"has {len(cells)} cells, the header has {len(head)}")
        cell = {ours: cells[i].strip() for ours, i in index.items()}
        key = tuple(cell[c] for c in LOG_COLUMNS if c in cell)
        if key in seen:
            raise ScenarioError(source, f"row {row}", f"duplicates row {seen[key]} (every column the same); "
                                "remove the repeated ticket")
        seen[key] = row
        day = cell.get("date", "")
        if "date" in cell:
            if not day:
                raise _cell_error(source, row, names["date"], "empty; every ticket needs its date (YYYY-MM-DD)")
            if not _DATE.match(day):
                shown = f" (row {first_date[0]}: {first_date[1]})" if first_date else ""
                raise _cell_error(source, row, names["date"], f"mixed date formats: {day!r} is not YYYY-MM-DD like "
                                  f"the rest of the log{shown}")
            try:
                date.fromisoformat(day)
            except ValueError:
                raise _cell_error(source, row, names["date"], f"{day!r} is not a calendar date") from None
            first_date = first_date or (row, day)
        parsed: dict[str, float | datetime | None] = {}
        for col in ("ticket_time", "called_time", "end_time"):
            parsed[col] = times.parse(cell[col], row, names[col]) if cell[col] else None
        ticket = parsed["ticket_time"]
        if ticket is None:
            raise _cell_error(source, row, names["ticket_time"], "empty; every ticket has the time it was taken")
        if parsed["called_time"] is None:
            raise _cell_error(source, row, names["called_time"], "empty; a served ticket needs called_time and "
                              "end_time, an abandoned one (end_time empty) needs called_time = when it left the queue")
        if isinstance(ticket, datetime):
            iso_day = ticket.date().isoformat()
            if day and day != iso_day:
                raise _cell_error(source, row, names["date"], f"{day} differs from the date of ticket_time ({iso_day})")
            day = iso_day
            midnight = datetime.combine(ticket.date(), datetime.min.time(), tzinfo=ticket.tzinfo)
            minutes = {c: None if not isinstance(v, datetime) else (v - midnight).total_seconds() / 60.0
                       for c, v in parsed.items()}
        else:
            minutes = {c: v for c, v in parsed.items() if not isinstance(v, datetime)}
        t, c, e = minutes["ticket_time"], minutes["called_time"], minutes.get("end_time")
        assert t is not None
        assert c is not None
        if c < t:
            raise _cell_error(source, row, names["called_time"], f"{cell['called_time']} is before ticket_time "
                              f"{cell['ticket_time']}: a ticket is called after it is taken")
        if e is not None and e < c:
            raise _cell_error(source, row, names["end_time"], f"{cell['end_time']} is before called_time "
                              f"{cell['called_time']}: service ends after the call")
        zone = cell["zone"].lower().replace("-", "_").replace(" ", "_")
        if zone not in LOG_ZONES:
            raise _cell_error(source, row, names["zone"], f"unknown zone {cell['zone']!r}; allowed: "
                              f"{', '.join(LOG_ZONES)}")
        flag = cell["vip"].lower()
        if flag not in _TRUE + _FALSE:
            raise _cell_error(source, row, names["vip"], f"{cell['vip']!r} is not a VIP flag; use 0/1 or true/false")
        rows.append((day or "day 1", t, c, math.nan if e is None else e, LOG_ZONES.index(zone), flag in _TRUE,
                     cell.get("staff_id", ""), cell.get("business_type", ""), row))
    if not rows:
        raise ScenarioError(source, f"row {head_row}", "no tickets: the file has a header but no rows")
    dates = tuple(sorted({r[0] for r in rows}))
    where = {d: i for i, d in enumerate(dates)}
    cols = list(zip(*rows, strict=True))
    return TicketLog(
        source=source, dates=dates, day=np.array([where[d] for d in cols[0]], dtype=np.int64),
        ticket_min=np.array(cols[1], dtype=float), called_min=np.array(cols[2], dtype=float),
        end_min=np.array(cols[3], dtype=float), zone=np.array(cols[4], dtype=np.int64),
        vip=np.array(cols[5], dtype=bool), staff_id=np.array(cols[6], dtype=object),
        business_type=np.array(cols[7], dtype=object), row=np.array(cols[8], dtype=np.int64),
        columns={ours: names[ours] for ours in names},
    )


def read_log(path: str | Path, column_map: Mapping[str, str] | None = None) -> TicketLog:
    """Read and validate a ticket log CSV file (UTF-8); see :func:`parse_log`.

    Raises:
        ScenarioError: the file is missing, not a regular file, too large, not UTF-8, or a row is bad.
    """
    source = str(path)
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(source, "", "cannot read the log (no such file)" if not p.exists() else
                            "cannot read the log (not a regular file)")
    if p.stat().st_size > MAX_LOG_BYTES:
        raise ScenarioError(source, "", f"larger than {MAX_LOG_BYTES // 1_000_000} MB; split the log by month")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(source, "", f"cannot read the log ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(source, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                            "export the log as UTF-8 CSV") from None
    return parse_log(text, source, column_map)


def ticket_log_from_days(days: Sequence[DayLog], first_date: date = date(2025, 3, 3),
                         source: str = "<simulated>") -> TicketLog:
    """The ticket log a queue system would have printed for simulated days (one per weekday from ``first_date``).

    One ticket per primary visit to cash, non_cash, self_service or wealth that was served
    or walked out (balks and referral visits print none); ``vip`` is the customer's
    segment's ``priority``, ``business_type`` the customer's need, ``staff_id`` the
    server (empty at machines). Times are exact (minutes after midnight).
    """
    parts: list[tuple[np.ndarray, ...]] = []
    dates: list[str] = []
    day = first_date
    for d, log in enumerate(days):
        while day.weekday() >= 5:
            day += timedelta(days=1)
        dates.append(day.isoformat())
        day += timedelta(days=1)
        keep = ((log.visit_kind == VisitKind.PRIMARY) & (log.visit_zone >= Zone.CASH)
                & np.isin(log.visit_status, (VisitStatus.DONE, VisitStatus.ABANDONED)))
        v = np.flatnonzero(keep)
        v = v[np.argsort(log.visit_join_min[v], kind="stable")]
        cust = log.visit_customer[v]
        done = log.visit_status[v] == VisitStatus.DONE
        open_min = log.scenario.outlet.open_min
        priority = np.array([s.priority for s in log.scenario.segments.values()], dtype=bool)
        staff_names = np.asarray([*log.staff.ids, "", ""], dtype=object)
        parts.append((
            np.full(v.size, d, dtype=np.int64), open_min + log.visit_join_min[v],
            open_min + np.where(done, log.visit_start_min[v], log.visit_end_min[v]),
            np.where(done, open_min + log.visit_end_min[v], np.nan), log.visit_zone[v] - Zone.CASH,
            priority[log.customers.segment[cust]], staff_names[log.visit_staff[v]],
            np.asarray(NEEDS, dtype=object)[log.customers.need[cust]],
        ))
    cols = [np.concatenate([p[i] for p in parts]) for i in range(8)]
    return TicketLog(source=source, dates=tuple(dates), day=cols[0], ticket_min=cols[1].astype(float),
                     called_min=cols[2].astype(float),
                     end_min=cols[3].astype(float), zone=cols[4].astype(np.int64), vip=cols[5].astype(bool),
                     staff_id=cols[6].astype(object),
                     business_type=cols[7].astype(object), row=np.arange(2, cols[0].size + 2, dtype=np.int64))


def _hms(minutes: float) -> str:
    seconds = round(minutes * 60.0)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def ticket_log_csv(log: TicketLog, comments: Sequence[str] = ()) -> str:
    """``log`` as CSV text in the log format (times ``HH:MM:SS``), after ``# comment`` lines."""
    out = io.StringIO()
    for line in comments:
        out.write(f"# {line}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    for i in range(log.n):
        writer.writerow([log.dates[log.day[i]], _hms(log.ticket_min[i]), _hms(log.called_min[i]),
                         "" if np.isnan(log.end_min[i]) else _hms(log.end_min[i]), LOG_ZONES[log.zone[i]],
                         log.business_type[i], int(log.vip[i]), log.staff_id[i]])
    return out.getvalue()


# ---- estimates -------------------------------------------------------------------------

@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval (``low``, ``high``; NaN when not estimable)."""

    value: float
    low: float
    high: float

    def covers(self, x: float) -> bool:
        """True when ``x`` lies in the interval."""
        return bool(self.low <= x <= self.high)

    def text(self, fmt: str = ".3g") -> str:
        """``"v (lo–hi)"`` for reports."""
        return f"{self.value:{fmt}} ({self.low:{fmt}}–{self.high:{fmt}})"


def wilson(k: int, n: int) -> Estimate:
    """The share ``k / n`` with its Wilson 95% interval (NaN for ``n = 0``)."""
    if n <= 0:
        return Estimate(math.nan, math.nan, math.nan)
    p = k / n
    centre = (p + _Z * _Z / (2 * n)) / (1 + _Z * _Z / n)
    half = _Z * math.sqrt(p * (1 - p) / n + _Z * _Z / (4 * n * n)) / (1 + _Z * _Z / n)
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half))


def poisson_interval(k: int) -> tuple[float, float]:
    """Garwood's exact 95% interval of a Poisson mean from one count ``k``."""
    low = 0.0 if k == 0 else float(stats.chi2.ppf(0.025, 2 * k)) / 2.0
    return low, float(stats.chi2.ppf(0.975, 2 * k + 2)) / 2.0


@dataclass(kw_only=True, frozen=True)
class Arrivals:
    """Tickets per hour of the opening day, from a log of ``days`` days.

    ``counts[d, h]``: tickets of day ``d`` in hourly slot ``h`` (from opening; late
    tickets in the last slot). ``rate[h]``: tickets per hour (per day) with its
    interval. ``dispersion_index``: variance / mean of the daily totals (1 for
    Poisson days), ``dispersion_p`` the one-sided χ² p-value of over-dispersion.
    """

    hours: tuple[str, ...]
    slot_min: tuple[float, ...]
    counts: np.ndarray
    rate: tuple[Estimate, ...]
    daily: Estimate
    dispersion_index: float
    dispersion_p: float

    @property
    def days(self) -> int:
        """Days in the log."""
        return int(self.counts.shape[0])


def fit_arrivals(log: TicketLog, template: Scenario) -> Arrivals:
    """Hourly ticket rates over the template's opening hours, with the over-dispersion check.

    Raises:
        ScenarioError: a ticket taken before opening or more than :data:`LATE_MIN` after closing.
    """
    outlet = template.outlet
    slots = outlet.slot_min
    rel = log.ticket_min - outlet.open_min
    bad = np.flatnonzero((rel < 0) | (rel >= outlet.day_min + LATE_MIN))
    if bad.size:
        i = int(bad[0])
        when = "before the outlet opens" if rel[i] < 0 else f"more than {LATE_MIN:g} min after it closes"
        raise _cell_error(log.source, int(log.row[i]), log.column("ticket_time"),
                          f"{format_clock(log.ticket_min[i])} is {when} ({format_clock(outlet.open_min)}-"
                          f"{format_clock(outlet.close_min)}, from the template {template.source}); give a template "
                          "with the outlet's opening hours (--outlet-template)")
    slot = np.minimum((rel // 60.0).astype(np.int64), len(slots) - 1)
    counts = np.zeros((log.n_days, len(slots)), dtype=np.int64)
    np.add.at(counts, (log.day, slot), 1)
    totals = counts.sum(axis=1)
    d = log.n_days
    if d >= 2 and totals.mean() > 0:
        index = float(totals.var(ddof=1) / totals.mean())
        p = float(stats.chi2.sf((d - 1) * index, d - 1))
    else:
        index, p = math.nan, math.nan
    widen = math.sqrt(index) if index > 1 else 1.0

    def rate(k: int, exposure_h: float) -> Estimate:
        low, high = poisson_interval(k)
        est = k / exposure_h
        return Estimate(est, max(0.0, est - (est - low / exposure_h) * widen), est + (high / exposure_h - est) * widen)

    rates = tuple(rate(int(counts[:, h].sum()), d * slots[h] / 60.0) for h in range(len(slots)))
    hours = tuple(format_clock(outlet.open_min + 60.0 * h) for h in range(len(slots)))
    return Arrivals(hours=hours, slot_min=slots, counts=counts, rate=rates, daily=rate(int(totals.sum()), float(d)),
                    dispersion_index=index, dispersion_p=p)


@dataclass(kw_only=True, frozen=True)
class DistFit:
    """One family fitted by maximum likelihood to durations (minutes).

    ``params``: ``mean`` (exponential), ``mu``/``sigma`` of the log (lognormal),
    ``shape``/``scale`` (gamma). ``mean`` and ``cv`` carry 95% delta-method intervals;
    ``ks_p`` is the Kolmogorov–Smirnov p-value (NaN for censored data).
    """

    kind: str
    params: Mapping[str, float]
    mean: Estimate
    cv: Estimate
    loglik: float
    aic: float
    ks_p: float
    n: int

    def cdf(self, t: np.ndarray) -> np.ndarray:
        """The fitted distribution function at ``t`` (minutes)."""
        t = np.asarray(t, dtype=float)
        if self.kind == "exponential":
            out: np.ndarray = stats.expon.cdf(t, scale=self.params["mean"])
        elif self.kind == "lognormal":
            out = stats.lognorm.cdf(t, self.params["sigma"], scale=math.exp(self.params["mu"]))
        else:
            out = stats.gamma.cdf(t, self.params["shape"], scale=self.params["scale"])
        return out

    def scenario_table(self) -> dict[str, Any]:
        """The scenario's ``{distribution, mean_min[, cv]}`` table of this fit (rounded, within the loader's bounds)."""
        mean = min(_round(self.mean.value), MAX_DURATION_MIN)
        if self.kind == "exponential":
            return {"distribution": "exponential", "mean_min": mean}
        return {"distribution": self.kind, "mean_min": mean, "cv": min(max(_round(self.cv.value), MIN_CV), MAX_CV)}


def _round(x: float, digits: int = 4) -> float:
    """``x`` to ``digits`` significant digits (for the written scenario)."""
    return float(f"{x:.{digits}g}")


def _log_interval(value: float, se_log: float) -> Estimate:
    if not math.isfinite(se_log):
        return Estimate(value, math.nan, math.nan)
    return Estimate(value, value * math.exp(-_Z * se_log), value * math.exp(_Z * se_log))


def _exponential(n_events: int, exposure: float) -> tuple[float, Estimate]:
    """Mean (exposure / events) and its χ² interval (exact for complete data)."""
    mean = exposure / n_events
    low = 2 * exposure / float(stats.chi2.ppf(0.975, 2 * n_events))
    high = 2 * exposure / float(stats.chi2.ppf(0.025, 2 * n_events))
    return mean, Estimate(mean, low, high)


def _gamma_shape(x: np.ndarray) -> float:
    """The gamma MLE of the shape: the root of log k − ψ(k) = log mean − mean log (Newton's method)."""
    s = math.log(float(x.mean())) - float(np.log(x).mean())
    k = (3.0 - s + math.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)
    for _ in range(50):
        step = (math.log(k) - float(special.digamma(k)) - s) / (1.0 / k - float(special.polygamma(1, k)))
        k = max(k - step, k / 10.0)
        if abs(step) < 1e-10 * k:
            break
    return k


def fit_durations(x: np.ndarray) -> dict[str, DistFit]:
    """Exponential, lognormal and gamma fitted by maximum likelihood to positive durations ``x`` (min).

    Intervals: exponential mean by χ²; lognormal mean on the log scale with
    var(log mean) = σ²(1 + σ²/2)/n and cv from σ's interval (var(log σ) = 1/(2n));
    gamma mean with var(log mean) = 1/(n k) and cv = k^(−1/2) from var(k) = 1/(n(ψ'(k) − 1/k)).
    """
    x = np.asarray(x, dtype=float)
    n = int(x.size)
    logs = np.log(x)
    out: dict[str, DistFit] = {}
    mean, est = _exponential(n, float(x.sum()))
    ll = -n * math.log(mean) - n
    out["exponential"] = DistFit(kind="exponential", params={"mean": mean}, mean=est, cv=Estimate(1.0, 1.0, 1.0),
                                 loglik=ll, aic=2 - 2 * ll,
                                 ks_p=float(stats.kstest(x, stats.expon(scale=mean).cdf).pvalue), n=n)
    mu, sigma = float(logs.mean()), float(logs.std())
    ll = float(-logs.sum() - n * math.log(sigma) - n / 2 * math.log(2 * math.pi) - n / 2)
    cv = math.sqrt(math.expm1(sigma * sigma))
    se_ls = 1 / math.sqrt(2 * n)
    s_lo, s_hi = sigma * math.exp(-_Z * se_ls), sigma * math.exp(_Z * se_ls)
    out["lognormal"] = DistFit(
        kind="lognormal", params={"mu": mu, "sigma": sigma},
        mean=_log_interval(math.exp(mu + sigma * sigma / 2), sigma * math.sqrt((1 + sigma * sigma / 2) / n)),
        cv=Estimate(cv, math.sqrt(math.expm1(s_lo * s_lo)), math.sqrt(math.expm1(s_hi * s_hi))),
        loglik=ll, aic=4 - 2 * ll,
        ks_p=float(stats.kstest(x, stats.lognorm(sigma, scale=math.exp(mu)).cdf).pvalue), n=n)
    k = _gamma_shape(x)
    m = float(x.mean())
    ll = float(stats.gamma.logpdf(x, k, scale=m / k).sum())
    info = float(special.polygamma(1, k)) - 1 / k
    se_lk = 1 / (k * math.sqrt(n * info))
    out["gamma"] = DistFit(
        kind="gamma", params={"shape": k, "scale": m / k}, mean=_log_interval(m, 1 / math.sqrt(n * k)),
        cv=Estimate(1 / math.sqrt(k), 1 / math.sqrt(k * math.exp(_Z * se_lk)),
                    1 / math.sqrt(k * math.exp(-_Z * se_lk))),
        loglik=ll, aic=4 - 2 * ll, ks_p=float(stats.kstest(x, stats.gamma(k, scale=m / k).cdf).pvalue), n=n)
    return out


def best(fits: Mapping[str, DistFit]) -> str:
    """The family with the smallest AIC."""
    return min(fits, key=lambda kind: fits[kind].aic)


@dataclass(frozen=True)
class ServiceFit:
    """Service times of one zone: the fitted families and the AIC choice (``None``: too few, template kept)."""

    zone: str
    n: int
    zero: int
    fits: Mapping[str, DistFit]
    chosen: str | None
    values: np.ndarray


def fit_service(log: TicketLog, zone: str) -> ServiceFit:
    """Fit the service time of ``zone`` from its served tickets (zero-length services are left out and counted)."""
    x = log.service_min[(log.zone == LOG_ZONES.index(zone)) & ~log.abandoned]
    positive = x[x > 0]
    if positive.size < MIN_SERVICE or float(np.log(positive).std()) <= 1e-9:
        return ServiceFit(zone, int(x.size), int(x.size - positive.size), {}, None, positive)
    fits = fit_durations(positive)
    return ServiceFit(zone, int(x.size), int(x.size - positive.size), fits, best(fits), positive)


# ---- patience from censored waits -----------------------------------------------------

@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan–Meier estimate of the patience survival S(t) = P(patience > t).

    ``time``: the distinct walk-out times; ``survival`` S just after each, with
    Greenwood 95% bands ``low``/``high``; ``at_risk`` and ``events`` at each.
    """

    time: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> KaplanMeier:
    """Kaplan–Meier from ``time`` (min) and ``event`` (True: walked out then; False: still waiting, censored).

    At each distinct event time t the survival is multiplied by 1 − d/n, with d the
    events at t and n those still at risk (time ≥ t: a censored time equal to t counts as
    at risk). Greenwood: var S = S² Σ d / (n (n − d)).
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    order = np.sort(time)
    ts = np.unique(time[event])
    d = np.array([np.count_nonzero(time[event] == t) for t in ts], dtype=float)
    n = (order.size - np.searchsorted(order, ts, side="left")).astype(float)
    s = np.cumprod(1.0 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(np.where(n > d, d / (n * np.maximum(n - d, 1.0)), np.inf))
        half = np.where(s > 0, _Z * s * np.sqrt(green), 0.0)
    return KaplanMeier(ts, s, np.clip(s - half, 0.0, 1.0), np.clip(s + half, 0.0, 1.0), n, d)


def _lognormal_censored(t: np.ndarray, c: np.ndarray, start_mean: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Censored lognormal MLE: events ``t`` and positive censoring times ``c``.

    Returns (mu, log sigma), their covariance (inverse observed information, from a
    central-difference Hessian of the analytic gradient) and the log-likelihood.
    """
    logt, logc = np.log(t), np.log(c)

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        mu, eta = float(theta[0]), float(theta[1])
        s = math.exp(eta)
        z, zc = (logt - mu) / s, (logc - mu) / s
        logsf = stats.norm.logsf(zc)
        ll = float(np.sum(-logt - eta - 0.5 * math.log(2 * math.pi) - z * z / 2) + np.sum(logsf))
        hazard = np.exp(stats.norm.logpdf(zc) - logsf)
        g_mu = float(np.sum(z) / s + np.sum(hazard) / s)
        g_eta = float(np.sum(z * z - 1.0) + np.sum(hazard * zc))
        return -ll, -np.array([g_mu, g_eta])

    s2 = math.log(2.0)
    theta0 = np.array([math.log(start_mean) - s2 / 2, 0.5 * math.log(s2)])
    res = sopt.minimize(nll, theta0, jac=True, method="BFGS", options={"gtol": 1e-8, "maxiter": 500})
    theta = np.asarray(res.x, dtype=float)
    h = 1e-5
    hess = np.empty((2, 2))
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        hess[:, j] = (nll(theta + step)[1] - nll(theta - step)[1]) / (2 * h)
    hess = (hess + hess.T) / 2
    try:
        cov = np.linalg.inv(hess) if np.all(np.linalg.eigvalsh(hess) > 0) else np.full((2, 2), np.nan)
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.nan)
    return theta, cov, -float(res.fun)


@dataclass(kw_only=True, frozen=True)
class PatienceFit:
    """Patience of one group of tickets from censored waits (``chosen`` ``None``: too few walk-outs)."""

    group: str
    events: int
    censored: int
    exposure_min: float
    fits: Mapping[str, DistFit]
    chosen: str | None
    km: KaplanMeier


def fit_patience(wait: np.ndarray, abandoned: np.ndarray, group: str = "all") -> PatienceFit:
    """Patience from waits: a walk-out's wait is its patience, a served ticket's wait a lower bound.

    Exponential: the censored MLE of the mean is the total waiting exposure (every
    ticket's wait, walk-outs and served alike) over the number of walk-outs, with the
    χ² interval on 2·events degrees of freedom. Lognormal: the censored likelihood
    ∏ f(t_i) ∏ S(c_j) maximised numerically, intervals by the delta method from the
    observed information (mean on the log scale, cv from σ). Chosen by AIC.
    """
    wait = np.asarray(wait, dtype=float)
    abandoned = np.asarray(abandoned, dtype=bool)
    t = np.maximum(wait[abandoned], MIN_PATIENCE_MIN)
    c = wait[~abandoned]
    km = kaplan_meier(np.concatenate([t, c]), np.concatenate([np.ones(t.size, bool), np.zeros(c.size, bool)]))
    exposure = float(t.sum() + c.sum())
    if t.size < MIN_ABANDONED:
        return PatienceFit(group=group, events=int(t.size), censored=int(c.size), exposure_min=exposure, fits={},
                           chosen=None, km=km)
    mean, est = _exponential(int(t.size), exposure)
    ll = -t.size * math.log(mean) - exposure / mean
    fits = {"exponential": DistFit(kind="exponential", params={"mean": mean}, mean=est, cv=Estimate(1.0, 1.0, 1.0),
                                   loglik=ll, aic=2 - 2 * ll, ks_p=math.nan, n=int(t.size))}
    theta, cov, ll = _lognormal_censored(t, c[c > 0], mean)
    mu, sigma = float(theta[0]), math.exp(float(theta[1]))
    grad = np.array([1.0, sigma * sigma])
    se_mean = math.sqrt(float(grad @ cov @ grad)) if np.all(np.isfinite(cov)) else math.nan
    se_eta = math.sqrt(float(cov[1, 1])) if np.isfinite(cov[1, 1]) else math.nan
    cv = math.sqrt(math.expm1(min(sigma * sigma, 700.0)))
    cv_est = Estimate(cv, math.nan, math.nan)
    if math.isfinite(se_eta):
        lo, hi = sigma * math.exp(-_Z * se_eta), sigma * math.exp(_Z * se_eta)
        cv_est = Estimate(cv, math.sqrt(math.expm1(min(lo * lo, 700.0))), math.sqrt(math.expm1(min(hi * hi, 700.0))))
    fits["lognormal"] = DistFit(kind="lognormal", params={"mu": mu, "sigma": sigma},
                                mean=_log_interval(math.exp(min(mu + sigma * sigma / 2, 700.0)), se_mean), cv=cv_est,
                                loglik=ll, aic=4 - 2 * ll, ks_p=math.nan, n=int(t.size))
    return PatienceFit(group=group, events=int(t.size), censored=int(c.size), exposure_min=exposure, fits=fits,
                       chosen=best(fits), km=km)


# ---- the whole fit ---------------------------------------------------------------------

@dataclass(kw_only=True, frozen=True)
class Fit:
    """Everything :func:`fit_log` estimated from one log, and the fitted scenario.

    ``zone_mix[group][zone]`` and ``vip_by_hour`` are shares with Wilson intervals;
    ``staff_speed`` rows are ``(zone, staff_id, services, mean_service_min, speed,
    low, high)``; ``notes`` say what was kept from the template and why;
    ``scenario`` is the fitted scenario, validated, and ``data`` its dictionary.
    """

    log: TicketLog
    template: Scenario
    arrivals: Arrivals
    vip_share: Estimate
    vip_by_hour: tuple[Estimate, ...]
    zone_mix: Mapping[str, Mapping[str, Estimate]]
    service: Mapping[str, ServiceFit]
    staff_speed: tuple[tuple[str, str, int, float, float, float, float], ...]
    patience: Mapping[str, PatienceFit]
    business_types: Mapping[str, int]
    notes: tuple[str, ...]
    data: Mapping[str, Any]
    scenario: Scenario
    comments: Mapping[str, str]


def _group_mask(log: TicketLog, group: str) -> np.ndarray:
    mask: np.ndarray = np.ones(log.n, bool) if group == "all" else (log.vip if group == "vip" else ~log.vip)
    return mask


def _staff_speed(log: TicketLog, service: Mapping[str, ServiceFit]
                 ) -> tuple[tuple[str, str, int, float, float, float, float], ...]:
    """Per person and zone: speed = zone mean service / the person's mean, with a 95% interval (≥ 5 services)."""
    rows = []
    served = ~log.abandoned & (log.service_min > 0)
    for zone, sf in service.items():
        if sf.values.size == 0:
            continue
        zmean = float(sf.values.mean())
        in_zone = served & (log.zone == LOG_ZONES.index(zone)) & (log.staff_id != "")
        for person in sorted(set(log.staff_id[in_zone].tolist())):
            x = log.service_min[in_zone & (log.staff_id == person)]
            if x.size < 5:
                continue
            m = float(x.mean())
            se_log = float(x.std(ddof=1)) / (m * math.sqrt(x.size))
            rows.append((zone, str(person), int(x.size), m, zmean / m, zmean / m * math.exp(-_Z * se_log),
                         zmean / m * math.exp(_Z * se_log)))
    return tuple(rows)


def fit_log(log: TicketLog, template: Scenario) -> Fit:
    """Fit every estimate of the module docstring and build the fitted scenario from ``template``.

    Raises:
        ScenarioError: fewer than :data:`MIN_TICKETS` tickets, a ticket outside the
            template's opening hours, or a fitted scenario the loader refuses.
    """
    if log.n < MIN_TICKETS:
        raise ScenarioError(log.source, "", f"{log.n} tickets; at least {MIN_TICKETS} are needed to fit a scenario")
    arrivals = fit_arrivals(log, template)
    rel = log.ticket_min - template.outlet.open_min
    slot = np.minimum((rel // 60.0).astype(np.int64), len(arrivals.hours) - 1)
    n_vip = int(log.vip.sum())
    vip_by_hour = tuple(wilson(int(log.vip[slot == h].sum()), int((slot == h).sum()))
                        for h in range(len(arrivals.hours)))
    mix = {g: {z: wilson(int((log.zone[_group_mask(log, g)] == i).sum()), int(_group_mask(log, g).sum()))
               for i, z in enumerate(LOG_ZONES)} for g in GROUPS}
    service = {z: fit_service(log, z) for z in LOG_ZONES if np.any(log.zone == LOG_ZONES.index(z))}
    patience = {g: fit_patience(log.wait_min[_group_mask(log, g)], log.abandoned[_group_mask(log, g)], g)
                for g in GROUPS}
    kinds: dict[str, int] = {}
    for b in log.business_type.tolist():
        kinds[str(b)] = kinds.get(str(b), 0) + 1
    partial = Fit(log=log, template=template, arrivals=arrivals, vip_share=wilson(n_vip, log.n),
                  vip_by_hour=vip_by_hour, zone_mix=mix, service=service,
                  staff_speed=_staff_speed(log, service), patience=patience,
                  business_types=dict(sorted(kinds.items(), key=lambda kv: -kv[1])), notes=(), data={},
                  scenario=template, comments={})
    data, comments, notes = scenario_data(partial)
    try:
        scenario = from_dict(data, f"{log.source} (fitted)")
    except ScenarioError as exc:
        raise ScenarioError(log.source, "", f"the fitted scenario does not load: {exc}") from None
    return Fit(log=log, template=template, arrivals=arrivals, vip_share=partial.vip_share, vip_by_hour=vip_by_hour,
               zone_mix=mix, service=service, staff_speed=partial.staff_speed, patience=patience,
               business_types=partial.business_types, notes=tuple(notes), data=data, scenario=scenario,
               comments=comments)


def _shares(values: Mapping[str, float], digits: int = 6) -> dict[str, float]:
    """Shares rounded to ``digits`` decimals, the largest adjusted so that they sum to 1."""
    total = sum(values.values())
    out = {k: round(v / total, digits) for k, v in values.items()}
    top = max(out, key=lambda k: out[k])
    out[top] = round(1.0 - sum(v for k, v in out.items() if k != top), digits)
    return out


def scenario_data(fit: Fit) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The fitted scenario as a dictionary (the template's, with the fitted fields replaced),
    the comments to write beside fields and tables (dotted path → text), and notes on what was kept."""
    tpl = fit.template
    log = fit.log
    data = plain_copy(file_form(tpl, "a fitted scenario"), tpl.source)
    comments: dict[str, str] = {}
    notes: list[str] = []
    fitted = "fitted from the log"
    data["outlet"]["name"] = f"{tpl.outlet.name} (fitted to {Path(log.source).name})"
    comments["outlet"] = f"kept from the template {tpl.source}: opening hours and tier (the log cannot say)"
    arr = fit.arrivals
    data["arrivals"] = {"daily_customers": _round(arr.daily.value, 6),
                        "hourly_profile": [_round(r.value, 5) for r in arr.rate]}
    disp = ("no sign of over-dispersion" if not arr.dispersion_p < 0.05 else "over-dispersed: days differ more than "
            "Poisson; consider a sweep over arrivals.daily_customers") if math.isfinite(arr.dispersion_p) else \
        "one day: over-dispersion not testable"
    comments["arrivals"] = (f"{fitted}: tickets per day and per hour over {arr.days} day(s); dispersion index "
                            f"{arr.dispersion_index:.3g} (p = {arr.dispersion_p:.3g}, {disp})")
    comments["arrivals.daily_customers"] = f"95% CI {arr.daily.low:.1f}-{arr.daily.high:.1f}"
    comments["arrivals.hourly_profile"] = "tickets per hour: " + ", ".join(
        f"{h} {r.low:.1f}-{r.high:.1f}" for h, r in zip(arr.hours, arr.rate, strict=True))
    # segments: the template's, VIP share and needs from the log
    segs = data.get("segments", {})
    priority = {sid for sid, s in tpl.segments.items() if s.priority}
    n_vip = int(log.vip.sum())
    if n_vip and not priority:
        first = next(iter(segs.values()))
        segs["vip"] = {**plain_copy(first, tpl.source), "priority": True}
        priority = {"vip"}
        notes.append("the template has no priority segment: a 'vip' segment was added with the sales values of "
                     f"{next(iter(tpl.segments))!r}")
    if not n_vip and priority:
        for sid in priority:
            segs.pop(sid)
        _drop_from_dispatch(data, priority)
        notes.append(f"no VIP tickets in the log: the template's priority segments ({', '.join(sorted(priority))}) "
                     "were left out")
        priority = set()
    others = [sid for sid in segs if sid not in priority]
    if not others:
        raise ScenarioError(log.source, "", "every ticket is a VIP, and the template has no other segment to hold "
                            "the rest; check the vip column")
    share_of = {sid: float(segs[sid].get("share", 1.0)) for sid in segs}
    vip = fit.vip_share.value
    raw_shares = {}
    for group, members, total in (("vip", sorted(priority), vip), ("non_vip", others, 1.0 - vip)):
        weight = sum(share_of[s] for s in members) or 1.0
        for sid in members:
            raw_shares[sid] = total * share_of[sid] / weight
        mix = fit.zone_mix[group]
        counts = {ZONE_NEED[z]: mix[z].value for z in LOG_ZONES}
        needs = _shares(counts) if sum(counts.values()) > 0 else None
        pf = fit.patience[group] if fit.patience[group].chosen else fit.patience["all"]
        for sid in members:
            if needs is not None:
                segs[sid]["needs"] = {k: v for k, v in needs.items() if v > 0}
                comments[f"segments.{sid}.needs"] = f"{fitted} ({group} tickets' zones)"
            if pf.chosen is not None:
                chosen = pf.fits[pf.chosen]
                segs[sid]["patience"] = chosen.scenario_table()
                if pf.censored == 0:
                    notes.append(f"segments.{sid}.patience: every {pf.group} ticket walked out (none served), so "
                                 "the fitted patience is only how long they waited, not how long they would wait; "
                                 "check the log's end_time column before using it")
                comments[f"segments.{sid}.patience"] = (
                    f"{fitted} ({pf.group}, censored MLE, {pf.chosen} by AIC): mean {chosen.mean.text()} min, "
                    f"{pf.events} walk-outs, {pf.censored} served")
            else:
                notes.append(f"segments.{sid}.patience: fewer than {MIN_ABANDONED} walk-outs in the log; kept from "
                             "the template")
    for sid, value in _shares(raw_shares).items():
        segs[sid]["share"] = value
        comments[f"segments.{sid}.share"] = (
            f"{fitted}: VIP share {fit.vip_share.text('.3f')}; split by the template's shares" if sid in priority else
            f"{fitted}: non-VIP share, split among {', '.join(others)} by the template's shares")
    comments["segments"] = ("shares, needs and patience fitted from the log; segment names, bundles, propensity and "
                            "walk-out values kept from the template (the log cannot say)")
    # service per zone
    service = data.setdefault("service", {})
    for zone, sf in fit.service.items():
        if tpl.zones[zone].positions <= 0:
            notes.append(f"zone {zone}: {sf.n} tickets in the log but the template has no positions there; "
                         "customers of that need are routed as the model routes around absent zones")
        if sf.chosen is None:
            notes.append(f"service.{zone}: fewer than {MIN_SERVICE} served tickets with a positive service time; "
                         "kept from the template")
            continue
        chosen = sf.fits[sf.chosen]
        entry = chosen.scenario_table()
        old = service.get(zone, {})
        referral = old.get("by_need", {}).get("referral") if isinstance(old, dict) else None
        if referral is not None:
            entry["by_need"] = {"referral": referral}
            comments[f"service.{zone}.by_need"] = "referral visits kept from the template (the log has none)"
        service[zone] = entry
        ks = chosen.ks_p
        comments[f"service.{zone}"] = (
            f"{fitted}: {sf.chosen} chosen by AIC among {', '.join(f'{k} {f.aic:.1f}' for k, f in sf.fits.items())}; "
            f"KS p = {ks:.3g}; {sf.values.size} services" + (f" ({sf.zero} of length 0 left out)" if sf.zero else ""))
        comments[f"service.{zone}.mean_min"] = f"95% CI {chosen.mean.low:.4g}-{chosen.mean.high:.4g}"
        if "cv" in entry:
            comments[f"service.{zone}.cv"] = f"95% CI {chosen.cv.low:.4g}-{chosen.cv.high:.4g}"
    # triage: the log's self-service tickets are the customers who went to the machines
    triage = data.setdefault("triage", {})
    triage["divert_probability_staffed"] = 1.0
    triage["divert_probability_unstaffed"] = 1.0
    comments["triage"] = ("diversion set to 1: the needs above are the zones customers were served in, so every "
                          "self_service_eligible customer goes to the machines; VIP identification kept from the "
                          "template")
    kept = [k for k in data if k not in ("outlet", "arrivals", "segments", "service", "triage")]
    for key in kept:
        comments[key] = f"kept from the template {tpl.source} (the log cannot say)"
    if any(sp for sp in fit.staff_speed):
        notes.append("per-person speeds are in the report; the log's staff ids are not the scenario's roles, so "
                     "staff.<role>.speed is kept from the template")
    return data, comments, notes


def _drop_from_dispatch(data: dict[str, Any], segments: set[str]) -> None:
    """Remove ``segments`` from the dispatch preferences (and what becomes empty)."""
    dispatch = data.get("dispatch", {})
    prefer = dispatch.get("prefer", {})
    for zone in list(prefer):
        for role in list(prefer[zone]):
            prefer[zone][role] = [s for s in prefer[zone][role] if s not in segments]
            if not prefer[zone][role]:
                del prefer[zone][role]
        if not prefer[zone]:
            del prefer[zone]
    if dispatch and not prefer:
        dispatch.pop("prefer", None)
        dispatch["rule"] = "staff_order"


# ---- the TOML writer -----------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
#: Tables written inline (``needs = {cash = 0.5, ...}``) rather than as ``[a.b]`` sections.
INLINE_KEYS = ("needs", "patience")


def _key(k: str) -> str:
    return k if _BARE.match(k) else _string(k)


def _string(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v!r} to TOML")
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def toml_text(data: Mapping[str, Any], comments: Mapping[str, str] = {}, header: Sequence[str] = ()) -> str:
    """Nested dictionaries as TOML text, with ``# comments`` above tables and after fields (dotted path → text).

    Tables become ``[a.b]`` sections except those under :data:`INLINE_KEYS`, written
    inline. The text is parsed back and compared with ``data`` before it is returned.
    """
    lines = [f"# {h}" if h else "#" for h in header]

    def note(path: str) -> str:
        return f"  # {comments[path]}" if path in comments else ""

    def section(path: tuple[str, ...], table: Mapping[str, Any]) -> None:
        dotted = ".".join(path)
        plain = {k: v for k, v in table.items() if not isinstance(v, dict) or k in INLINE_KEYS}
        subs = {k: v for k, v in table.items() if isinstance(v, dict) and k not in INLINE_KEYS}
        if path and (plain or not subs or dotted in comments):
            lines.append("")
            if dotted in comments:
                lines.append(f"# {comments[dotted]}")
            lines.append(f"[{'.'.join(_key(p) for p in path)}]")
        for k, v in plain.items():
            lines.append(f"{_key(k)} = {_value(v)}{note('.'.join((*path, k)))}")
        for k, v in subs.items():
            section((*path, k), v)

    section((), data)
    text = "\n".join(lines).lstrip("\n") + "\n"
    if tomllib.loads(text) != json.loads(json.dumps(data)):
        raise AssertionError("the TOML writer did not round-trip")  # pragma: no cover - a bug in this writer
    return text


def scenario_toml(fit: Fit) -> str:
    """The fitted scenario as commented TOML text, loadable by :func:`sim.load_scenario`."""
    log = fit.log
    ab = int(log.abandoned.sum())
    header = [
        f"Fitted by `branchlab fit` from the ticket log {log.source}: {log.n} tickets ({ab} abandoned) over "
        f"{log.n_days} day(s), {log.dates[0]} to {log.dates[-1]}.",
        f"Template: {fit.template.source}. Each table below says whether it was fitted from the log (with 95% CIs)",
        "or kept from the template because a ticket log cannot say it (hours, zones, staff, sales, value).",
        *(f"Note: {n}" for n in fit.notes),
    ]
    return toml_text(fit.data, fit.comments, header)


# ---- back-test -------------------------------------------------------------------------

def hourly_outcomes(log: TicketLog, open_min: float, slots: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day and hourly slot: tickets, total wait (min) and walk-outs (``[day, slot]`` arrays)."""
    slot = np.clip(((log.ticket_min - open_min) // 60.0).astype(np.int64), 0, slots - 1)
    shape = (log.n_days, slots)
    tickets, wait, walked = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    np.add.at(tickets, (log.day, slot), 1.0)
    np.add.at(wait, (log.day, slot), log.wait_min)
    np.add.at(walked, (log.day, slot), log.abandoned.astype(float))
    return tickets, wait, walked


def _over_days(values: np.ndarray) -> Estimate:
    """Mean over days (NaN days left out) with a Student-t 95% interval."""
    from sim.student_t import t_quantile

    v = values[np.isfinite(values)]
    if v.size == 0:
        return Estimate(math.nan, math.nan, math.nan)
    m = float(v.mean())
    if v.size < 2:
        return Estimate(m, math.nan, math.nan)
    half = t_quantile(0.975, int(v.size) - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return Estimate(m, m - half, m + half)


def outcome_table(log: TicketLog, open_min: float, hours: Sequence[str]) -> list[dict[str, Any]]:
    """Per hour of ticket and overall: tickets per day, mean wait (min) and walk-out rate, each a mean
    over days with a 95% interval (rows of ``{hour, metric, mean, low, high}``)."""
    tickets, wait, walked = hourly_outcomes(log, open_min, len(hours))
    rows = []
    with np.errstate(invalid="ignore", divide="ignore"):
        per = {"tickets": tickets, "mean_wait_min": wait / tickets, "abandon_rate": walked / tickets}
        per_all = {"tickets": tickets.sum(1), "mean_wait_min": wait.sum(1) / tickets.sum(1),
                   "abandon_rate": walked.sum(1) / tickets.sum(1)}
    for metric, values in per.items():
        for h, hour in enumerate(hours):
            e = _over_days(values[:, h])
            rows.append({"hour": hour, "metric": metric, "mean": e.value, "low": e.low, "high": e.high})
        e = _over_days(per_all[metric])
        rows.append({"hour": "all", "metric": metric, "mean": e.value, "low": e.low, "high": e.high})
    return rows


def backtest(fit: Fit, days: int = 20, seed: int = 0) -> list[dict[str, Any]]:
    """Simulate the fitted scenario for ``days`` days and set its hourly waits and walk-outs beside the log's.

    Both sides go through the same ticket conversion and the same per-day summaries;
    intervals are over days (the log's own days, the simulated days). Rows:
    ``{hour, metric, source ("log" | "fitted"), mean, low, high}``.
    """
    from sim.model import simulate

    sims = [simulate(fit.scenario, seed=seed, replication=r) for r in range(days)]
    simlog = ticket_log_from_days(sims)
    open_min, hours = fit.template.outlet.open_min, fit.arrivals.hours
    rows = [{**r, "source": "log"} for r in outcome_table(fit.log, open_min, hours)]
    rows += [{**r, "source": "fitted"} for r in outcome_table(simlog, open_min, hours)]
    return rows
