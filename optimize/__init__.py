"""branchlab's staffing optimiser (next milestone): assign staff across outlets, tiers and roles.

It will build on :mod:`sim` (candidate staffing patterns evaluated by replications with
common random numbers) and solve a PuLP model; see DESIGN.md. Nothing is public yet.
"""

__all__: list[str] = []
