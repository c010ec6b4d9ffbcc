"""On a Dask LocalCluster the evaluator's batches give the serial days, and the cluster keeps short developer logs.

Dask's scheduler keeps its last ``distributed.admin.low-level-log-length`` messages to each worker, with
the tasks' pickled scenarios in them; :class:`sim.executors.DaskExecutor` sets it to
:data:`sim.executors.DASK_LOG_LENGTH` on the LocalCluster it starts (issue 19, the main process's memory).
Run in a child process: a LocalCluster's sockets and threads outlive a test in this one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import dask, numpy as np
from optimize.evaluate import Evaluator
from sim.executors import DASK_LOG_LENGTH, make_executor
from tests.test_evaluate_batches import _requests

if __name__ == "__main__":
    serial = Evaluator(make_executor("serial"), None, batch_days=1).run(_requests())
    ex = make_executor("dask", 2)
    try:
        length = dask.config.get("distributed.admin.low-level-log-length")
        batched = Evaluator(ex, None, batch_days=6).run(_requests())
    finally:
        ex.close()
    same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(serial, batched, strict=True))
    print(f"log={length} wanted={DASK_LOG_LENGTH} same={same} rows={sum(len(a) for a in batched)}")
"""


@pytest.mark.slow
def test_dask_batches_give_the_serial_days_and_short_logs(tmp_path: Path) -> None:
    script = tmp_path / "dask_batches.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          check=False, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "log=100 wanted=100 same=True rows=25"
