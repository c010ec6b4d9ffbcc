"""The optimiser's option bounds, declared once for the Python API and the command line.

A leaf module (nothing heavy imported), so the ``branchlab`` parser can state the bounds
without loading the solver.
"""

from __future__ import annotations

#: Most days per pattern (and per plan in verification) one run may ask for.
MAX_DAYS = 10_000
#: Most people either side of today's budget the frontier may span.
MAX_FRONTIER = 1000
