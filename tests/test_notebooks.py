"""The planner notebooks run top to bottom in small mode, as a planner would run them.

Each notebook starts with one parameter cell (tagged ``parameters``). Like papermill, the
test inserts a cell right after it that sets small values, plus a filter that turns any
warning into an error; then it executes the notebook in a fresh kernel and fails on any
error, on anything written to stderr, or when the charts are missing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: Small settings per notebook, and the charts (PNG outputs) each must show.
SMALL: dict[str, tuple[dict[str, Any], int]] = {
    "01_outlet_day": ({"REPLICATIONS": 3, "WHAT_IF_REPLICATIONS": 3}, 5),
    "02_sweeps_and_sensitivity": ({"REPLICATIONS": 2, "SOBOL_BASE": 8, "SOBOL_REPLICATIONS": 1, "BOOTSTRAP": 20}, 5),
    "03_staffing_plan": ({"REPLICATIONS": 4, "FRONTIER": 1, "EXECUTOR": "serial",
                          "OUTLETS": ["Central Plaza", "Station Road", "New District", "Hillside"],
                          "SEARCH": {"step": 1, "total_step": 1, "combos": 1, "screen_replications": 3}}, 4),
    "04_validation": ({"CASES": ["M/M/1 rho=0.5"]}, 1),
    "05_pay_and_ranking": ({"QUARTERS": 3, "REPLICATIONS": 2, "EXECUTOR": "serial", "DAYS_PER_QUARTER": 10,
                            "OUTLETS": ["Station Road", "New District", "Hillside"]}, 3),
    "06_days_and_rosters": ({"REPLICATIONS": 3, "EXECUTOR": "serial", "OUTLETS": ["Station Road", "Hillside"],
                             "SEARCH": {"step": 1, "total_step": 1, "combos": 1, "screen_replications": 2}}, 4),
    "07_which_pay_scheme": ({"QUARTERS": 3, "REPLICATIONS": 2, "EXECUTOR": "serial", "DAYS_PER_QUARTER": 8,
                             "OUTLETS": ["Station Road", "Hillside"]}, 3),
}


def _code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_every_notebook_has_small_settings() -> None:
    assert {p.stem for p in NOTEBOOKS} == set(SMALL)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in _code_cells(notebook):
        assert cell.get("outputs") == [], f"{path.name}: strip outputs before committing"
        assert cell.get("execution_count") is None, f"{path.name}: strip execution counts before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_small(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    settings, charts = SMALL[path.stem]
    params = _code_cells(notebook)[0]
    assert "parameters" in params.metadata.get("tags", []), "the first code cell must be the parameter cell"
    for name in settings:  # a renamed parameter would silently run full size
        assert re.search(rf"^{name} = ", params.source, re.MULTILINE), f"{path.name}: no parameter {name}"
    small = "\n".join(f"{name} = {value!r}" for name, value in settings.items())
    injected = nbformat.v4.new_code_cell(f"import warnings\nwarnings.simplefilter('error')\n{small}")
    notebook.cells.insert(notebook.cells.index(params) + 1, injected)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": path.parent}})
    client.execute()
    outputs = [out for cell in _code_cells(notebook) for out in cell.get("outputs", [])]
    stderr = [out.get("text", "") for out in outputs if out.get("name") == "stderr"]
    assert not stderr, f"{path.name} wrote to stderr: {stderr}"
    assert sum("image/png" in out.get("data", {}) for out in outputs) >= charts
    if path.stem == "01_outlet_day":  # every slider move re-simulated and redrew
        text = "".join(out.get("text", "") for out in outputs if out.get("name") == "stdout")
        assert "4 changes: median" in text
    if path.stem == "03_staffing_plan":  # the export wrote and listed every file
        shown = "".join(out.get("data", {}).get("text/plain", "") for out in outputs)
        assert all(name in shown for name in ("recommendation.csv", "recommendation.json", "report.html"))
