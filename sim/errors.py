"""The one exception bad input raises, naming the file, the field path and what is allowed."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario or sweep file (or dictionary) that cannot be used as given.

    The message always reads ``<source>: <field.path>: <problem>; <what is allowed>``
    so a planner can find and fix the line without reading a traceback.
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")
