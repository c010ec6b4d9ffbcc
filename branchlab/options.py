"""One table of the options several ``branchlab`` commands share: each bound declared once.

Every command takes its ``--seed``, ``--workers``, ``--replications``-like counts and
``--executor`` through these argparse types, so a bad value gives the same one-line
error in every command before any work: a whole number out of range, a seed past
:data:`sim.streams.MAX_SEED`, more workers than :data:`sim.executors.MAX_WORKERS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sim.executors import EXECUTORS, MAX_WORKERS
from sim.streams import MAX_SEED

#: Most quarters one ``branchlab quarter`` run may simulate (25 years).
MAX_QUARTERS = 100
#: Most independent replications of a quarter study.
MAX_QUARTER_REPLICATIONS = 1000


def whole(low: int, high: int, high_text: str = "") -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``low`` to ``high`` (written ``high_text``)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low:,} to {high_text or f'{high:,}'}, got {text!r}")
        return value
    return parse


#: ``--seed``: 0 … 2**63 − 1.
SEED = whole(0, MAX_SEED, "2**63 - 1")
#: ``--workers``: 1 … MAX_WORKERS.
WORKERS = whole(1, MAX_WORKERS)


def add_executor(p: Any, default: str | None, what: str = "simulations") -> None:
    """``--executor``, ``--workers`` (and nothing else) with the shared choices and bounds."""
    p.add_argument("--executor", choices=EXECUTORS, default=default,
                   help=f"where {what} run (default {default or 'serial, or processes when --workers is given'})")
    p.add_argument("--workers", type=WORKERS, default=None,
                   help=f"worker processes, 1 to {MAX_WORKERS} (default: all cores)")


def ignored_options(args: argparse.Namespace) -> list[str]:
    """Warnings for options given that the run will not use (``--workers`` serially, ``--scheduler`` without Dask)."""
    out = []
    executor = getattr(args, "executor", None)
    if getattr(args, "workers", None) is not None and executor == "serial":
        out.append("--workers is ignored with --executor serial")
    if getattr(args, "scheduler", None) and executor != "dask":
        out.append("--scheduler is ignored unless --executor dask")
    return out
