"""Region-file errors name what is wrong (hostile review): the allowed list names every key the table takes,
a misspelt key is named rather than the field it should have been, and two exclusive forms are refused as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimize import load_region
from tests.conftest import assert_refused
from tests.test_optimize_recommend import SMALL, _region


@pytest.mark.parametrize(("table", "field", "message"), [
    ('[day_types]\nprofiles = "month"', "day_types.profiles", "allowed here: every_day_type, profile, risk_level"),
    ('[day_types]\nprofile = "month"\n[day_types.types.busy]\nshare = 1\nvolume = 1.2', "day_types.types",
     "not both"),
    ("[day_types.types.busy]\nshare = 1\nvolum = 1.2", "day_types.types.busy.volum", "unknown key"),
])
def test_day_type_tables_name_the_problem(tmp_path: Path, table: str, field: str, message: str) -> None:
    path = _region(tmp_path, text=SMALL + f"\n{table}\n")
    assert_refused(lambda: load_region(path), f"{path}: {field}:", message)


def test_an_infeasible_day_type_run_says_it_was_the_robust_run(tmp_path: Path) -> None:
    """With day types recommend optimises for the average day first; when only the run over the day types
    has no plan, the diagnosis says so (it used to read as if no plan existed at all)."""
    from optimize.milp import InfeasibleError
    from tests.test_optimize_recommend import _run

    storm = ("\n[day_types]\nevery_day_type = true\n[day_types.types.calm]\nshare = 0.5\nvolume = 1.0\n"
             "[day_types.types.storm]\nshare = 0.5\nvolume = 4.0\n")
    with pytest.raises(InfeasibleError) as err:
        _run(_region(tmp_path, text=SMALL + storm))
    first, *rest = err.value.diagnosis
    assert first.startswith("over the day types (calm, storm; the average-day plan was found)")
    assert rest
    assert all("breaks storm" in line for line in rest)
