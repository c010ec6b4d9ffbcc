"""Batch parameter sweeps: a design over scenario fields, run anywhere, resumable on disk.

A sweep file (TOML) names a base scenario and the fields to vary by dotted path::

    [sweep]
    scenario = "backbone_outlet.toml"   # relative to the sweep file
    design = "grid"                     # grid | lhs | sobol
    points = 64                         # lhs / sobol only
    replications = 2
    seed = 7
    common_random_numbers = true        # every point sees the same customers

    [fields."staff.cash_teller.count"]
    values = [2, 3, 4]                  # grid: explicit values ...
    [fields."arrivals.daily_customers"]
    low = 300                           # ... or low / high (+ steps for a grid)
    high = 500
    steps = 3

Integer fields (those whose base value is a whole number, or ``integer = true``) are
rounded. Every design point is validated against the scenario format before anything
runs. Seeds come from the point index and replication only — with
``common_random_numbers`` from the replication only — never from worker or order, so
every executor gives bit-identical rows.

On disk (``--out DIR``): ``manifest.json`` (sweep hash, package version, seeds, design),
``points.csv`` (the design), and ``results/part-*.parquet`` (``.csv`` without pyarrow),
each part written atomically as points finish: one row per point × replication with
the swept fields and every outlet KPI, or the error of a point that raised. A killed
sweep resumed with ``resume=True`` skips finished points and ends with exactly the rows
of an uninterrupted run.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import itertools
import json
import math
import time
import tomllib
import traceback
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.executors import Executor, make_executor
from sim.fileio import write_atomic
from sim.metrics import OUTLET_KPIS
from sim.replicate import SUMMARY_COLUMNS, run_days, summarise
from sim.scenario import Scenario, _Table, from_dict, load_scenario, with_overrides

DESIGNS = ("grid", "lhs", "sobol")


@dataclass(frozen=True)
class SweepField:
    """One swept field: explicit ``values``, or a ``low``–``high`` range (``steps`` for grids)."""

    path: str
    values: tuple[Any, ...] = ()
    low: float = math.nan
    high: float = math.nan
    steps: int = 0
    integer: bool = False

    def grid(self) -> list[Any]:
        if self.values:
            return list(self.values)
        return [self.cast(v) for v in np.linspace(self.low, self.high, self.steps)]

    def scale(self, u: np.ndarray) -> list[Any]:
        return [self.cast(self.low + x * (self.high - self.low)) for x in u]

    def cast(self, value: float) -> Any:
        return round(value) if self.integer else float(value)


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: base scenario, design points (field → value) and seeds."""

    source: str
    base: Scenario
    fields: tuple[SweepField, ...]
    design: str
    points: tuple[Mapping[str, Any], ...]
    replications: int
    seed: int
    common_random_numbers: bool = True
    digest: str = field(default="", compare=False)

    def seed_of(self, point: int) -> int:
        """Base seed of a point: the sweep seed with common random numbers, else one per point."""
        if self.common_random_numbers:
            return self.seed
        return int(np.random.SeedSequence([self.seed, point]).generate_state(1)[0])


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def load_sweep_file(path: str | Path) -> Sweep:
    """Read and validate a sweep file; every design point is checked before anything runs.

    Raises:
        ScenarioError: naming the sweep file and field (or the scenario file and field).
    """
    path = Path(path)
    src = str(path)
    try:
        raw_bytes = path.read_bytes()
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except OSError as exc:
        raise ScenarioError(src, "", f"cannot read the file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(src, "", f"not valid TOML: {exc}") from None
    root = _Table(src, "", data)
    head = root.table("sweep", required=True)
    scen_path = path.parent / head.string("scenario")
    base = load_scenario(scen_path)
    design = head.string("design", "grid", choices=DESIGNS)
    reps = head.integer("replications", 1, ge=1)
    seed = head.integer("seed", 0)
    crn = head.boolean("common_random_numbers", True)
    n_points = head.integer("points", ge=1) if design != "grid" else 0
    head.finish()
    fields = []
    for name, t in _field_tables(root):
        base_value = _lookup(base.raw, name)
        integer = t.boolean("integer", isinstance(base_value, int) and not isinstance(base_value, bool))
        if t.has("values"):
            if design != "grid":
                raise t.fail("values", f"explicit values need design = \"grid\", not {design!r}; give low and high")
            values = t.raw("values")
            if not isinstance(values, list) or not values:
                raise t.fail("values", "expected a non-empty list")
            fields.append(SweepField(name, tuple(values), integer=integer))
        else:
            low, high = t.number("low"), t.number("high")
            if high < low:
                raise t.fail("high", f"must be >= low ({low:g})")
            steps = t.integer("steps", ge=1) if design == "grid" else 0
            fields.append(SweepField(name, (), low, high, steps, integer))
        t.finish()
    if not fields:
        raise root.fail("fields", "at least one field to vary is required")
    root.finish()
    points = _design(design, fields, n_points, seed)
    for k, point in enumerate(points):
        try:
            with_overrides(base, point)
        except ScenarioError as exc:
            bad = next((f for f in point if exc.field.startswith(f) or f.startswith(exc.field)), exc.field)
            raise ScenarioError(src, f"fields.{bad}", f"design point {k} ({point}) is not a valid scenario: "
                                f"{exc}") from None
    digest = hashlib.sha256(raw_bytes + scen_path.read_bytes()).hexdigest()
    return Sweep(src, base, tuple(fields), design, tuple(points), reps, seed, crn, digest)


def _field_tables(root: _Table) -> Iterator[tuple[str, _Table]]:
    """The ``[fields."dotted.path"]`` tables, with the path checked for shape."""
    outer = root.table("fields")
    for name in outer.data:
        if not all(part for part in name.split(".")):
            raise outer.fail(name, "a dotted field path like \"staff.cash_teller.count\" is expected")
        outer.used.add(name)
        yield name, outer.table(name)


def _design(design: str, fields: list[SweepField], n: int, seed: int) -> list[dict[str, Any]]:
    if design == "grid":
        combos = itertools.product(*(f.grid() for f in fields))
        return [dict(zip((f.path for f in fields), combo, strict=True)) for combo in combos]
    from scipy.stats import qmc  # about 0.5 s to import: only LHS and Sobol designs need it

    sampler: qmc.QMCEngine
    if design == "lhs":
        sampler = qmc.LatinHypercube(d=len(fields), rng=np.random.default_rng(seed))
    else:
        sampler = qmc.Sobol(d=len(fields), scramble=True, rng=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Sobol balance warning when n is not a power of 2
        u = sampler.random(n)
    columns = [f.scale(u[:, j]) for j, f in enumerate(fields)]
    return [dict(zip((f.path for f in fields), row, strict=True)) for row in zip(*columns, strict=True)]


@dataclass(frozen=True)
class PointTask:
    """Everything a worker needs to run one design point (picklable, self-contained)."""

    index: int
    overrides: Mapping[str, Any]
    base_raw: Mapping[str, Any]
    source: str
    seed: int
    replications: int


def run_point(task: PointTask) -> list[dict[str, Any]]:
    """Run one design point's replications; rows with all outlet KPIs, or its error."""
    rows = []
    head = {"point": task.index, **{f"field:{k}": v for k, v in task.overrides.items()}, "seed": task.seed}
    try:
        scenario = with_overrides(from_dict(task.base_raw, task.source), task.overrides)
        for r, kpis in enumerate(run_days(scenario, task.seed, task.replications)):
            rows.append({**head, "replication": r, **dict(zip(OUTLET_KPIS, kpis.outlet.tolist(), strict=True)),
                         "error": ""})
    except Exception as exc:  # a failing point is recorded, the sweep goes on
        message = f"{type(exc).__name__}: {exc}"
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
        rows = [{**head, "replication": r, **dict.fromkeys(OUTLET_KPIS, math.nan), "error": message + where}
                for r in range(task.replications)]
    return rows


def run_points(tasks: list[PointTask]) -> list[list[dict[str, Any]]]:
    """Run a chunk of design points (one executor task); the rows of each point."""
    return [run_point(task) for task in tasks]


@dataclass(frozen=True)
class SweepReport:
    """What a sweep run did: points run now, skipped as already done, failed, wall time."""

    out: Path
    points: int
    ran: int
    skipped: int
    failed: int
    seconds: float


class _PartWriter:
    """Buffers rows and writes them as atomic part files every ``flush_seconds``."""

    def __init__(self, folder: Path, flush_seconds: float, parquet: bool) -> None:
        self.folder = folder
        self.flush_seconds = flush_seconds
        self.parquet = parquet
        self.rows: list[dict[str, Any]] = []
        self.last = time.monotonic()
        self.count = len(list(folder.glob("part-*")))

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.rows += rows
        if time.monotonic() - self.last >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.rows:
            return
        frame = pd.DataFrame(self.rows)
        self.rows = []
        self.count += 1
        final = self.folder / f"part-{self.count:06d}.{'parquet' if self.parquet else 'csv'}"
        tmp = final.with_name(f".{final.name}.tmp")
        if self.parquet:
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        tmp.replace(final)


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _read_parts(folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    parts = sorted(folder.glob("part-*.parquet")) + sorted(folder.glob("part-*.csv"))
    frames = [pd.read_parquet(p, columns=columns) if p.suffix == ".parquet" else pd.read_csv(p, usecols=columns,
                                                                                             keep_default_na=False,
                                                                                             na_values=[""])
              for p in parts]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def _manifest(sweep: Sweep) -> dict[str, Any]:
    return {
        "sweep": sweep.source, "sha256": sweep.digest, "package_version": importlib.metadata.version("branchlab"),
        "design": sweep.design, "points": len(sweep.points), "replications": sweep.replications,
        "seed": sweep.seed, "common_random_numbers": sweep.common_random_numbers,
        "seed_rule": "point seed = sweep seed (common random numbers) or SeedSequence([seed, point]); "
                     "replication r draws stream k from SeedSequence(point seed, spawn_key=(r, k))",
        "fields": [f.path for f in sweep.fields],
    }


def _design_csv(design: Sweep) -> Iterator[str]:
    """The design as CSV lines (point, then one column per field), streamed."""
    names = [f.path for f in design.fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["point", *(f"field:{n}" for n in names)])
    for k, point in enumerate(design.points):
        writer.writerow([k, *(point[n] for n in names)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def sweep(
    design: Sweep, out: str | Path, *, executor: str | Executor = "processes", workers: int | None = None,
    scheduler: str | None = None, resume: bool = False, progress: bool = True, flush_seconds: float = 2.0,
    points: list[int] | None = None,
) -> SweepReport:
    """Run a sweep into ``out``; see the module docstring for the files.

    Args:
        design: a sweep from :func:`load_sweep_file`.
        out: output folder (created).
        executor: ``serial``, ``processes`` (default) or ``dask``, or an executor object.
        workers: worker processes (default: all cores).
        scheduler: a Dask scheduler address; without it Dask starts a LocalCluster.
        resume: continue a sweep already in ``out``, skipping finished points.
        progress: show a progress bar (terminal or notebook).
        flush_seconds: how often finished rows are written to a new part file.
        points: run only these point indices (default: all).
    """
    from tqdm.auto import tqdm

    out = Path(out)
    results = out / "results"
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if not resume:
            raise FileExistsError(f"{out}: already holds a sweep; pass resume=True (--resume) or choose another --out")
        if old.get("sha256") != design.digest:
            raise FileExistsError(f"{out}: holds a different sweep (sweep or scenario file changed); "
                                  "choose another --out")
    results.mkdir(parents=True, exist_ok=True)
    write_atomic(manifest_path, json.dumps(_manifest(design), indent=2) + "\n")
    write_atomic(out / "points.csv", _design_csv(design))
    done = set(_read_parts(results, ["point"])["point"].astype(int)) if resume else set()
    wanted = range(len(design.points)) if points is None else points
    todo = [k for k in wanted if k not in done]
    own = isinstance(executor, str)
    ex = make_executor(executor, workers, scheduler) if isinstance(executor, str) else executor
    # Points travel in small chunks: fewer round trips to the workers, while leaving
    # about twenty chunks per worker so the last ones finish together.
    size = max(1, min(8, len(todo) // (20 * ex.workers)))
    tasks = ([PointTask(k, design.points[k], design.base.raw, design.base.source, design.seed_of(k),
                        design.replications) for k in todo[i : i + size]] for i in range(0, len(todo), size))
    writer = _PartWriter(results, flush_seconds, _has_pyarrow())
    failed = 0
    start = time.perf_counter()
    try:
        with tqdm(total=len(todo), desc="points", unit="pt", disable=not progress) as bar:
            for chunk in ex.imap(run_points, tasks):
                for rows in chunk:
                    writer.add(rows)
                    failed += any(r["error"] for r in rows)
                bar.update(len(chunk))
    finally:
        writer.flush()
        if own:
            ex.close()
    return SweepReport(out, len(design.points), len(todo), len(wanted) - len(todo), failed,
                       time.perf_counter() - start)


def load_sweep(out: str | Path, *, rows: bool = False) -> pd.DataFrame:
    """A finished (or partial) sweep's results.

    With ``rows=True``: one row per point × replication, sorted. Otherwise one row per
    point with its swept fields and, per outlet KPI, ``<kpi>_mean``, ``<kpi>_ci95_low``,
    ``<kpi>_ci95_high`` across replications, and ``failed`` (replications with an error).
    """
    frame = _read_parts(Path(out) / "results")
    frame["error"] = frame["error"].fillna("")
    frame = frame.sort_values(["point", "replication"], ignore_index=True)
    if rows:
        return frame
    field_cols = [c for c in frame.columns if c.startswith("field:")]
    out_rows = []
    for point, group in frame.groupby("point", sort=True):
        summary = summarise(group[list(OUTLET_KPIS)].to_numpy(dtype=float))
        rec: dict[str, Any] = {"point": point, **{c[len("field:"):]: group[c].iloc[0] for c in field_cols}}
        for j, kpi in enumerate(OUTLET_KPIS):
            for stat in ("mean", "ci95_low", "ci95_high"):
                rec[f"{kpi}_{stat}"] = summary[j, SUMMARY_COLUMNS.index(stat)]
        rec["failed"] = int((group["error"] != "").sum())
        out_rows.append(rec)
    return pd.DataFrame(out_rows)


def report_line(report: SweepReport) -> str:
    """One line summing up a sweep run, for the terminal."""
    rate = report.ran / report.seconds if report.seconds > 0 else math.nan
    return (f"{report.ran} points run ({report.skipped} already done), {report.failed} failed, "
            f"{report.seconds:.1f} s ({rate:.1f} points/s) → {report.out}")

