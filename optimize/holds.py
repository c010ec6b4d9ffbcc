"""The stress test's result as a planner reads it (a leaf module: exports and reports import it
without the optimiser)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def holds_table(stress: pd.DataFrame) -> pd.DataFrame:
    """The stress frame as a planner reads it: each move and, per variant, ``holds`` / ``reverses`` / ``drops``."""
    if stress.empty:
        return stress
    variants = [c for c in stress.columns if " x" in c]
    out = stress.loc[:, ["outlet", "role", "placement", "change"]].copy()
    for v in variants:
        sign = np.sign(stress[v]) * np.sign(stress["change"])
        out[v] = np.where(sign > 0, "holds", np.where(sign < 0, "reverses", "drops"))
    out["holds in"] = [f"{h} of {n}" for h, n in zip(stress["holds"], stress["variants"], strict=True)]
    return out
