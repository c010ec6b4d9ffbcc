"""Package faces that load on use (PEP 562): a package's public names are imported from their
modules the first time they are read, so importing one light submodule stays light.

:func:`install` turns the calling package into such a face: reading ``pkg.name`` imports
``home[name]`` and returns its ``name``; any other attribute is tried as a submodule
(``sim.queueing``). A submodule named like a public function (``sim.replicate``, the
module, beside ``sim.replicate``, the function) never replaces the function on the
package when it is imported.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping
from typing import Any


class _Face(types.ModuleType):
    """A package whose public names load on first use and are never shadowed by a same-named submodule."""

    _home: Mapping[str, str]

    def __getattr__(self, name: str) -> Any:
        home = self.__dict__.get("_home", {})
        if name in home:
            value = getattr(importlib.import_module(home[name]), name)
            self.__dict__[name] = value
            return value
        try:
            return importlib.import_module(f"{self.__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None

    def __dir__(self) -> list[str]:
        return sorted({*self.__dict__, *self.__dict__.get("_home", {})})

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__.get("_home", {}) and isinstance(value, types.ModuleType):
            return  # the import system binding the submodule: keep the public name
        super().__setattr__(name, value)


def install(package: str, home: Mapping[str, str]) -> None:
    """Make ``package`` (already in ``sys.modules``: call from its ``__init__``) a face over ``home``:
    public name → the module that defines it."""
    module = sys.modules[package]
    module.__dict__["_home"] = dict(home)
    module.__class__ = _Face
