"""Days of a known model, for tests that stand a formula in for the simulator (:class:`optimize.evaluate.Evaluator`)."""

from __future__ import annotations

import numpy as np

from optimize.evaluate import METRICS


def metric_days(n: int, **columns: float | np.ndarray) -> np.ndarray:
    """``n`` days as :meth:`optimize.evaluate.Evaluator.run` gives them: every metric 0 but ``columns``, by metric
    name (``value_yuan``; a zone's KPI as ``cash__service_level``: the dot written as two underscores)."""
    days = np.zeros((n, len(METRICS)))
    for name, values in columns.items():
        days[:, METRICS.index(name.replace("__", "."))] = values
    return days
