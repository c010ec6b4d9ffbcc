"""Start-up stays light: heavy libraries are imported by the paths that use them, not by ``import sim``.

``scipy.stats`` alone once cost half a second of every command, test and spawned
worker (see ``benchmarks/startup.py``); these checks catch an eager import coming back.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Imported only where needed: sweep designs (scipy.stats.qmc), queueing theory (scipy),
#: plots (matplotlib), the optimiser (pulp, highspy; the light ``optimize`` face and its
#: ``optimize.bounds`` may load), clusters (dask), progress bars (tqdm).
LAZY = ("scipy", "matplotlib", "pulp", "highspy", "dask", "distributed", "tqdm", "optimize.method",
        "optimize.milp")


@pytest.mark.parametrize("module", ["sim", "branchlab.cli"])
def test_importing_loads_none_of_the_heavy_optional_libraries(module: str) -> None:
    code = f"import sys, {module}; print(' '.join(m for m in {LAZY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


def test_the_model_alone_loads_no_pandas_sweeps_or_plots() -> None:
    """A worker or the simulate path imports ``sim.model``: the package face must not drag in pandas."""
    code = ("import sys, sim.model; print(' '.join(m for m in ('pandas', 'sim.sweeps', 'sim.plots', 'sim.replicate')"
            " if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
    code = "import sim, sim.sweeps; print(sim.replicate.__module__, sim.queueing.__name__, callable(sim.replicate))"
    names = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    # the public names arrive on first use, and the submodule sim.replicate never shadows the function
    assert names == ["sim.replicate", "sim.queueing", "True"]
