"""The one exception bad input raises, and the one warning for input that is legal but suspect.

Both name the file, the field path and what is wrong, so a planner can find and fix
the line without reading a traceback.
"""

from __future__ import annotations

import warnings


def _one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters escaped, so messages stay one line."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _where(source: str, field: str) -> str:
    return _one_line(f"{source}: {field}" if field else source)


class ScenarioError(ValueError):
    """A scenario or sweep file (or dictionary) that cannot be used as given.

    The message always reads ``<source>: <field.path>: <problem>; <what is allowed>``
    so a planner can find and fix the line without reading a traceback.
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{_where(source, field)}: {_one_line(problem)}")


class ScenarioWarning(UserWarning):
    """A scenario that loads and runs but is probably not what was meant.

    For example staff assigned only to zones the outlet does not declare: they serve
    nobody. The message reads ``<source>: <field.path>: <problem>`` like
    :class:`ScenarioError`; Python prints it on stderr once per message.
    """


def warn(source: str, field: str, problem: str) -> None:
    """Issue a :class:`ScenarioWarning` naming ``source`` and ``field`` (shown once per message)."""
    warnings.warn(ScenarioWarning(f"{_where(source, field)}: {_one_line(problem)}"), stacklevel=3)
