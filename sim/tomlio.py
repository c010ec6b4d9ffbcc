"""Reading TOML input files and walking nested tables: the one place for both.

Every input file of branchlab (scenario, sweep) is a TOML file turned into nested
dictionaries, then read field by field through a :class:`Table` that knows the file
and the dotted field path, so any problem stops with one
:class:`~sim.errors.ScenarioError` line: ``<file>: <field.path>: <problem>; <allowed>``.

- :func:`read_toml` / :func:`parse_toml`: file → dictionary, with one error style for a
  missing or unreadable file, a file that is not UTF-8 text, and invalid TOML. A UTF-8
  byte-order mark (written by some Windows editors) is accepted.
- :func:`plain_copy`: a deep copy of caller data as plain ``dict``/``list`` with string
  keys (so later changes to the caller's object never leak in; NumPy arrays become lists).
- :func:`get_path` / :func:`set_path`: dotted paths such as ``"staff.cash_teller.count"``;
  :func:`with_values`: a copy with some set, sharing the tables no path touches.
- :class:`Table`: typed, bounded getters and the unknown-key check.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import ScenarioError

#: Largest hour accepted in a clock time ``"HHHH:MM"`` (about 417 days): enough for
#: long analytic runs of one "day", small enough that per-hour tables stay small.
MAX_CLOCK_HOURS = 10_000
#: Largest input file read (bytes): scenario, sweep and region files are small texts.
MAX_FILE_BYTES = 10_000_000
_CLOCK = re.compile(r"^([0-9]{1,6}):([0-5][0-9])$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Default of a :class:`Table` getter meaning "no default: the key is required".
REQUIRED: Any = object()
#: Immutable value types that :func:`plain_copy` returns as they are without a closer look.
_LEAVES = frozenset({str, int, float, bool, type(None)})
#: Longest rendering of a value inside an error message.
_SHOW_CHARS = 80


#: branchlab's kinds of TOML file: the top-level tables that mark each, and what reads it.
FILE_KINDS = (
    ("an outlet scenario", ("outlet",), "branchlab simulate, or name it in a region file"),
    ("a region file", ("region", "outlets"), "branchlab optimize or branchlab quarter, alone"),
    ("a sweep file", ("sweep",), "branchlab sweep"),
    ("a quarter rules file", ("pay", "ranking", "hiring", "horizon", "scorecard", "tiers", "office_team"),
     "branchlab quarter ... --rules"),
)


def other_kind(data: Mapping[str, Any], wanted: str) -> tuple[str, str] | None:
    """When ``data`` is plainly another kind of branchlab file than ``wanted`` (one of
    :data:`FILE_KINDS`' names): the top-level key that shows it, and a hint saying which
    kind it is and what reads it. ``None`` otherwise."""
    for kind, marks, reader in FILE_KINDS:
        found = next((m for m in marks if m in data), None)
        if kind != wanted and found is not None:
            return found, f"this is {kind}, not {wanted} (it is read by {reader})"
    return None


def parse_toml(raw: bytes, source: str) -> dict[str, Any]:
    """Decode ``raw`` as UTF-8 (an optional byte-order mark is skipped) and parse it as TOML.

    Raises:
        ScenarioError: naming ``source``: not UTF-8 text, or not valid TOML.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(source, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                            "save the file as UTF-8 TOML") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"not valid TOML: {exc}") from None


def _not_readable(path: Path) -> str | None:
    """Why ``path`` is not a small regular file to read (a pipe or device would hang or never end), or None."""
    if path.is_dir():
        return "cannot read the file (it is a folder)"
    if not path.exists():
        return "cannot read the file (no such file)"
    if not path.is_file():
        return "cannot read the file (not a regular file)"
    if path.stat().st_size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES // 1_000_000} MB; input files are small TOML texts"
    return None


def read_bytes(path: object) -> bytes:
    """The bytes of the file at ``path`` (a ``str`` or path-like object).

    Raises:
        ScenarioError: ``path`` is not a path, or the file cannot be read (missing,
            a folder, no permission), naming the file.
    """
    if not isinstance(path, str | os.PathLike):
        raise ScenarioError("<no file>", "", f"expected a file path (str or pathlib.Path), got {show(path)}")
    try:
        problem = _not_readable(Path(path))
        if problem is None:
            return Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot read the file ({exc.strerror or exc})") from None
    except ValueError as exc:  # e.g. an embedded NUL character in the path
        raise ScenarioError(repr(str(path)), "", f"not a usable file path ({exc})") from None
    raise ScenarioError(str(path), "", problem)


def read_toml(path: object) -> dict[str, Any]:
    """Read a UTF-8 TOML file (byte-order mark allowed) into nested dictionaries.

    Raises:
        ScenarioError: naming the file: not a path, missing or unreadable, not UTF-8
            text, or not valid TOML.
    """
    return parse_toml(read_bytes(path), str(path))


def plain_copy(data: object, source: str, path: str = "") -> Any:
    """Deep copy of ``data``: mappings become ``dict`` (keys must be strings); lists, tuples and NumPy arrays ``list``.

    Other values (numbers, strings, booleans, dates) are kept as they are.

    Raises:
        ScenarioError: a key that is not a string, naming ``source`` and the path.
    """
    if type(data) in _LEAVES:
        return data
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise ScenarioError(source, path or "<top level>", f"keys must be strings, got {show(key)}")
            out[key] = value if type(value) in _LEAVES else plain_copy(value, source, f"{path}.{key}" if path else key)
        return out
    if isinstance(data, np.ndarray):
        return plain_copy(data.tolist(), source, path)
    if isinstance(data, list | tuple):
        return [v if type(v) in _LEAVES else plain_copy(v, source, f"{path}[{i}]") for i, v in enumerate(data)]
    return data


def show(value: object) -> str:
    """``repr(value)`` for an error message, cut to a readable length."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        text = f"<a {type(value).__name__} too long to show>"
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 3] + "..."


def _split(dotted: str, source: str) -> list[str]:
    keys = dotted.split(".") if isinstance(dotted, str) else [""]
    if not all(keys):
        raise ScenarioError(source, str(dotted), 'expected a dotted field path like "staff.cash_teller.count"')
    return keys


def get_path(data: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    """The value at ``dotted`` (e.g. ``"arrivals.daily_customers"``) in nested mappings, else ``default``."""
    node: Any = data
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def set_path(data: dict[str, Any], dotted: str, value: Any, source: str = "<data>") -> None:
    """Set the value at ``dotted`` in nested dictionaries, creating missing tables on the way.

    Raises:
        ScenarioError: an empty path part, or a path that passes through a value that is not a table.
    """
    keys = _split(dotted, source)
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ScenarioError(source, ".".join(keys[: depth + 1]), "is a value, not a table")
        node = child
    node[keys[-1]] = value


def with_values(data: Mapping[str, Any], values: Mapping[str, Any], source: str = "<data>") -> dict[str, Any]:
    """``data`` with each ``dotted: value`` of ``values`` set (as :func:`set_path` sets them, in order), as a new
    dictionary that shares every table no path passes through with ``data``; the tables on the paths are copied
    (shallow), so ``data`` itself is left as it was. For file forms, which nothing changes in place: a thousand
    outlets overriding a few fields of one tier's scenario hold one copy of the rest.

    Raises:
        ScenarioError: as :func:`set_path`.
    """
    out = dict(data)
    copied = {id(out)}  # tables of ``out`` this call made: set into, never copied again
    for dotted, value in values.items():
        node = out
        for key in _split(dotted, source)[:-1]:  # copy the shared tables on the path; set_path does the rest
            child = node.get(key)
            if not isinstance(child, dict):
                break  # missing: set_path makes it; a value: set_path says so
            if id(child) not in copied:
                child = node[key] = dict(child)
                copied.add(id(child))
            node = child
        set_path(out, dotted, value, source)
    return out


def _is_number(value: object) -> bool:
    """A real number (Python or NumPy), not a boolean."""
    return type(value) in (int, float) or (isinstance(value, numbers.Real) and not isinstance(value, bool))


class Table:
    """One TOML table being read: typed getters that know their dotted field path.

    Each getter marks its key as used; :meth:`finish` then rejects any key nobody
    read (typos must not pass silently). Numbers may be Python or NumPy numbers;
    whole numbers must be integers.

    Args:
        source: the file name (or ``"<scenario>"``) used in error messages.
        path: dotted path of this table in the file (``""`` for the top level).
        data: the table's contents; anything but a dict is an error.
    """

    def __init__(self, source: str, path: str, data: object) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(source, path or "<top level>", f"expected a table, got {show(data)}")
        self.source = source
        self.path = path
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        """The dotted field path of ``key`` in this table (``"[i]"`` keys index a list: ``path[i]``)."""
        if not self.path:
            return key
        return f"{self.path}{key}" if key.startswith("[") else f"{self.path}.{key}"

    def fail(self, key: str, problem: str) -> ScenarioError:
        """An error naming the file and ``key``'s field path (to ``raise``)."""
        return ScenarioError(self.source, self.where(key), problem)

    def has(self, key: str) -> bool:
        """True when the table holds ``key`` (does not mark it used)."""
        return key in self.data

    def mark_used(self, *keys: str) -> None:
        """Mark ``keys`` as read, for callers that read :attr:`data` directly."""
        self.used.update(keys)

    def raw(self, key: str, default: Any = REQUIRED) -> Any:
        """The value of ``key`` unchecked, or ``default``; missing without a default is an error."""
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is REQUIRED:
            raise self.fail(key, "missing; this field is required")
        return default

    def number(
        self, key: str, default: Any = REQUIRED, *, gt: float | None = None, ge: float | None = None,
        le: float | None = None,
    ) -> float:
        """A finite real number (Python or NumPy) within the given bounds, as ``float``."""
        value = self.raw(key, default)
        try:
            number = float(value) if _is_number(value) else math.nan
        except OverflowError:  # an integer beyond the float range
            number = math.inf
        if not math.isfinite(number):
            raise self.fail(key, f"expected a finite number, got {show(value)}")
        if gt is not None and not number > gt:
            raise self.fail(key, f"must be > {gt:g}, got {show(value)}")
        if ge is not None and not number >= ge:
            raise self.fail(key, f"must be >= {ge:g}, got {show(value)}")
        if le is not None and not number <= le:
            raise self.fail(key, f"must be <= {le:g}, got {show(value)}")
        return number

    def number_list(
        self, key: str, default: Any = REQUIRED, *, gt: float | None = None, ge: float | None = None,
        le: float | None = None,
    ) -> tuple[float, ...]:
        """A list of numbers, each within the bounds (an error names the item, ``key[i]``)."""
        value = self.raw(key, default)
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of numbers, got {show(value)}")
        items = Table(self.source, self.where(key), {f"[{i}]": v for i, v in enumerate(value)})
        return tuple(items.number(f"[{i}]", gt=gt, ge=ge, le=le) for i in range(len(value)))

    def integer_list(self, key: str, default: Any = REQUIRED, *, ge: int = 0, le: int | None = None,
                     distinct: bool = False) -> tuple[int, ...]:
        """A list of whole numbers, each in ``ge … le`` (an error names the item, ``key[i]``), with no value
        twice when ``distinct``."""
        value = self.raw(key, default)
        if not isinstance(value, list | tuple):
            raise self.fail(key, f"expected a list of whole numbers, got {show(value)}")
        items = Table(self.source, self.where(key), {f"[{i}]": v for i, v in enumerate(value)})
        out = tuple(items.integer(f"[{i}]", ge=ge, le=le) for i in range(len(value)))
        if distinct and len(set(out)) < len(out):
            raise self.fail(key, f"each value at most once, got {show(list(out))}")
        return out

    def probability(self, key: str, default: Any = REQUIRED) -> float:
        """A number in [0, 1]."""
        return self.number(key, default, ge=0.0, le=1.0)

    def integer(self, key: str, default: Any = REQUIRED, *, ge: int = 0, le: int | None = None) -> int:
        """A whole number (Python or NumPy integer) in ``ge … le``, as ``int``."""
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.fail(key, f"expected a whole number, got {show(value)}")
        whole = int(value)
        if whole < ge:
            raise self.fail(key, f"must be >= {ge}, got {show(whole)}")
        if le is not None and whole > le:
            raise self.fail(key, f"must be <= {le}, got {show(whole)}")
        return whole

    def string(self, key: str, default: Any = REQUIRED, choices: tuple[str, ...] | None = None) -> str:
        """A string, from ``choices`` when given."""
        value = self.raw(key, default)
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {show(value)}")
        if choices is not None and value not in choices:
            raise self.fail(key, f"{show(value)} is not allowed; allowed: {', '.join(choices)}")
        return str(value)

    def boolean(self, key: str, default: Any = REQUIRED) -> bool:
        """``true`` or ``false``."""
        value = self.raw(key, default)
        if not isinstance(value, bool | np.bool_):
            raise self.fail(key, f"expected true or false, got {show(value)}")
        return bool(value)

    def clock(self, key: str, default: Any = REQUIRED) -> float:
        """A clock time ``"H:MM"`` as minutes after midnight; hours ``0 … MAX_CLOCK_HOURS`` (past 24 allowed)."""
        value = self.raw(key, default)
        match = _CLOCK.match(value) if isinstance(value, str) else None
        if match is None or int(match.group(1)) > MAX_CLOCK_HOURS:
            raise self.fail(key, f'expected a clock time "HH:MM" with hours 0..{MAX_CLOCK_HOURS} '
                            f"(past 24 allowed for long runs), got {show(value)}")
        return 60.0 * int(match.group(1)) + int(match.group(2))

    def table(self, key: str, *, required: bool = False) -> Table:
        """The sub-table ``key`` (empty when absent and not ``required``)."""
        return Table(self.source, self.where(key), self.raw(key, REQUIRED if required else {}))

    def subtables(self, key: str, names: tuple[str, ...] | None = None) -> Iterator[tuple[str, Table]]:
        """Each sub-table of table ``key`` with its name: in ``names`` when given, else a lower-case identifier."""
        outer = self.table(key)
        for name in outer.data:
            if names is not None and name not in names:
                raise outer.fail(name, f"unknown name; allowed: {', '.join(names)}")
            if names is None and not _NAME.match(name):
                raise outer.fail(name, "names are lower-case letters, digits and _ (starting with a letter)")
            outer.used.add(name)
            yield name, outer.table(name)

    def require_kind(self, wanted: str, key: str | None = None) -> None:
        """Refuse another kind of branchlab file than ``wanted`` (see :func:`other_kind`) with a
        hint, when it lacks ``key`` (a table every ``wanted`` file has; ``None``: none is required)."""
        other = None if key is not None and self.has(key) else other_kind(self.data, wanted)
        if other is not None:
            raise self.fail(key or other[0], f"missing: {other[1]}" if key else other[1])

    def finish(self, allowed: Iterable[str] = ()) -> None:
        """Reject keys nobody read; the error lists ``allowed`` (every key the table may
        hold, when some are read only in some cases) together with the keys read."""
        for key in self.data:
            if key not in self.used:
                listed = ", ".join(sorted(set(allowed) | self.used)) or "none"
                raise self.fail(key, f"unknown key; allowed here: {listed}")
