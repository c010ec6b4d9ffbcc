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
rounded. A grid whose values repeat (explicit values, or ``steps`` that round to the same
whole number, such as 2..3 in 5 steps) is refused, never silently shrunk. At most
:data:`MAX_POINTS` points. Every design point is validated against the scenario format
before anything runs. Seeds come from the point index and replication only — with
``common_random_numbers`` from the replication only — never from worker or order, so
every executor gives bit-identical rows.

On disk (``--out DIR``): ``manifest.json`` (sweep hash, package version, seeds, design),
``points.csv`` (the design), and ``results/part-<pid>-<token>-<n>.parquet`` (``.csv``
without pyarrow), each part written atomically as points finish: one row per point ×
replication with the swept fields and every outlet KPI, or the error of a point that
raised. One run writes into a folder at a time (:class:`sim.fileio.FolderLock`; a
second gets an error naming the first). A killed sweep resumed with ``resume=True``
skips finished points, runs failed points again, and ends with exactly the rows of an
uninterrupted run; :func:`load_sweep` refuses a folder where a (point, replication)
pair appears twice.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import itertools
import json
import math
import numbers
import os
import time
import traceback
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import seeds
from sim.errors import ScenarioError
from sim.executors import Executor, check_executor, make_executor
from sim.fileio import LOCK_NAME, FolderLock, write_atomic
from sim.metrics import OUTLET_KPIS
from sim.replicate import MAX_REPLICATIONS, SUMMARY_COLUMNS, run_days, summarise
from sim.scenario import file_form, from_dict, load_scenario, with_overrides
from sim.scenario_types import Scenario
from sim.streams import MAX_SEED
from sim.tomlio import Table, get_path, parse_toml, read_bytes, show

DESIGNS = ("grid", "lhs", "sobol")
#: Most design points a sweep may have (each is validated up front, about 0.3 ms apiece).
MAX_POINTS = 100_000
#: Largest sweep seed (a signed 64-bit integer).
#: The ``--out`` folder's sweep description, design table and results folder.
MANIFEST, POINTS, RESULTS_FOLDER = "manifest.json", "points.csv", "results"
#: Files a sweep writes directly in its ``--out`` folder (beside ``results/``), the lock included.
SWEEP_FILES = (MANIFEST, POINTS, LOCK_NAME)
#: Keys of the ``[sweep]`` table and of each ``[fields."..."]`` table.
HEAD_KEYS = ("scenario", "design", "points", "replications", "seed", "common_random_numbers")
FIELD_KEYS = ("values", "low", "high", "steps", "integer")


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
        return round(float(value)) if self.integer else float(value)


@dataclass(kw_only=True, frozen=True)
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
        return seeds.mixed(self.seed, point)


def load_sweep_file(path: str | Path) -> Sweep:
    """Read and validate a sweep file; every design point is checked before anything runs.

    Raises:
        ScenarioError: naming the sweep file and field (or the scenario file and field).
    """
    src = str(path)
    raw_bytes = read_bytes(path)
    root = Table(src, "", parse_toml(raw_bytes, src))
    root.require_kind("a sweep file", "sweep")
    head = root.table("sweep", required=True)
    scen_path = Path(path).parent / head.string("scenario")
    if scen_path.is_dir():  # say so against the sweep file's field, not against the folder
        raise head.fail("scenario", f"{scen_path} is a folder; the base scenario's file is required")
    if not scen_path.exists():
        relative = not Path(head.string("scenario")).is_absolute()
        where = " (a relative path is read from the sweep file's folder)" if relative else ""
        raise head.fail("scenario", f"{scen_path} does not exist{where}")
    base = load_scenario(scen_path)
    design = head.string("design", "grid", choices=DESIGNS)
    reps = head.integer("replications", 1, ge=1, le=MAX_REPLICATIONS)
    seed = head.integer("seed", 0, le=MAX_SEED)
    crn = head.boolean("common_random_numbers", True)
    n_points = head.integer("points", ge=1, le=MAX_POINTS) if design != "grid" else 0
    head.finish(HEAD_KEYS)
    fields = [_sweep_field(name, table, design, base) for name, table in _field_tables(root)]
    if not fields:
        raise root.fail("fields", "at least one field to vary is required")
    root.finish(("sweep", "fields"))
    size = math.prod(len(f.values) or f.steps for f in fields) if design == "grid" else n_points
    if size > MAX_POINTS:
        raise root.fail("fields", f"the grid has {size:,} points; at most {MAX_POINTS:,} are allowed")
    points = _design(design, fields, n_points, seed)
    _check_points(src, base, points)
    digest = hashlib.sha256(raw_bytes + read_bytes(scen_path)).hexdigest()
    return Sweep(source=src, base=base, fields=tuple(fields), design=design, points=tuple(points), replications=reps,
                 seed=seed, common_random_numbers=crn, digest=digest)


def _sweep_field(name: str, t: Table, design: str, base: Scenario) -> SweepField:
    """One ``[fields."dotted.path"]`` table as a :class:`SweepField`; grid values must not repeat."""
    base_value = get_path(file_form(base, "a sweep"), name)
    whole = isinstance(base_value, numbers.Integral) and not isinstance(base_value, bool)
    integer = t.boolean("integer", whole)
    if t.has("values"):
        if design != "grid":
            raise t.fail("values", f"explicit values need design = \"grid\", not {design!r}; give low and high")
        values = t.raw("values")
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_POINTS:
            raise t.fail("values", f"expected a list of 1 to {MAX_POINTS:,} values")
        sweep_field = SweepField(name, tuple(values), integer=integer)
    else:
        low, high = t.number("low"), t.number("high")
        if high < low:
            raise t.fail("high", f"must be >= low ({low:g})")
        steps = t.integer("steps", ge=1, le=MAX_POINTS) if design == "grid" else 0
        sweep_field = SweepField(name, (), low, high, steps, integer)
    t.finish(FIELD_KEYS)
    if design == "grid":
        grid = sweep_field.grid()
        if len(_distinct(grid)) < len(grid):
            shown = ", ".join(show(v) for v in grid[:12]) + (", ..." if len(grid) > 12 else "")
            if sweep_field.values:
                raise t.fail("values", f"values repeat ({shown}), so grid points would run twice; list each once")
            rounded = " after rounding to whole numbers" if integer else ""
            raise t.fail("steps", f"{steps} steps from {low:g} to {high:g} repeat values{rounded} ({shown}); "
                         "use fewer steps or list the values")
    return sweep_field


def _distinct(values: list[Any]) -> set[Any]:
    """The distinct values, by equality: inside lists and tables too (``[1, 1]`` equals ``[1.0, 1.0]``)."""
    return {_hashable(v) for v in values}


def _hashable(value: Any) -> Any:
    """``value`` with lists as tuples and tables as sorted item tuples, so that equal values hash alike."""
    if isinstance(value, list | tuple):
        return ("list", *(_hashable(v) for v in value))
    if isinstance(value, dict):
        return ("table", *sorted((str(k), _hashable(v)) for k, v in value.items()))
    return value if isinstance(value, str | numbers.Number) else repr(value)


def _field_tables(root: Table) -> Iterator[tuple[str, Table]]:
    """The ``[fields."dotted.path"]`` tables, with the path checked for shape."""
    outer = root.table("fields")
    for name in outer.data:
        if not all(part for part in name.split(".")):
            raise outer.fail(name, "a dotted field path like \"staff.cash_teller.count\" is expected")
        outer.mark_used(name)
        yield name, outer.table(name)


def _check_points(src: str, base: Scenario, points: list[dict[str, Any]]) -> None:
    """Every design point must give a valid scenario; the error names the point and its field."""
    for k, point in enumerate(points):
        try:
            with_overrides(base, point)
        except ScenarioError as exc:
            bad = next((f for f in point if exc.field.startswith(f) or f.startswith(exc.field)), exc.field)
            raise ScenarioError(src, f"fields.{bad}", f"design point {k} ({point}) is not a valid scenario: "
                                f"{exc}") from None


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
    """Buffers rows and writes them as atomic part files every ``flush_seconds``.

    Part names carry the writer's pid, a random token and a counter, so no two runs
    (even ones that ignored the folder lock) can write the same name.
    """

    def __init__(self, folder: Path, flush_seconds: float, parquet: bool) -> None:
        self.folder = folder
        self.flush_seconds = flush_seconds
        self.parquet = parquet
        self.rows: list[dict[str, Any]] = []
        self.last = time.monotonic()
        self.prefix = f"part-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.count = 0

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
        suffix = "parquet" if self.parquet else "csv"
        write_atomic(self.folder / f"{self.prefix}-{self.count:06d}.{suffix}", _part_bytes(frame, self.parquet))


def _part_bytes(frame: pd.DataFrame, parquet: bool) -> bytes:
    """A part file's contents: Parquet, or UTF-8 CSV."""
    return frame.to_parquet(index=False) if parquet else frame.to_csv(index=False).encode("utf-8")


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _part_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.parquet")) + sorted(folder.glob("part-*.csv"))


def _read_part(part: Path, columns: list[str] | None = None) -> pd.DataFrame:
    if part.suffix == ".parquet":
        return pd.read_parquet(part, columns=columns)
    return pd.read_csv(part, usecols=columns, keep_default_na=False, na_values=[""])


def _read_parts(folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    frames = [_read_part(p, columns) for p in _part_files(folder)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def _finished(results: Path) -> tuple[set[int], set[int]]:
    """Points on disk that ran cleanly, and points with an error in any replication."""
    frame = _read_parts(results, ["point", "error"])
    failed = frame["error"].fillna("").astype(str) != ""
    bad = set(frame.loc[failed, "point"].astype(int))
    return set(frame["point"].astype(int)) - bad, bad


def _drop_rows(results: Path, points: set[int]) -> None:
    """Remove the rows of ``points`` from the part files (each part rewritten atomically)."""
    for part in _part_files(results) if points else []:
        frame = _read_part(part)
        keep = ~frame["point"].isin(points)
        if keep.all():
            continue
        if keep.any():
            write_atomic(part, _part_bytes(frame[keep], part.suffix == ".parquet"))
        else:
            part.unlink()


def _manifest(sweep: Sweep) -> dict[str, Any]:
    return {
        "sweep": sweep.source, "sha256": sweep.digest, "package_version": importlib.metadata.version("branchlab"),
        "design": sweep.design, "points": len(sweep.points), "replications": sweep.replications,
        "seed": sweep.seed, "common_random_numbers": sweep.common_random_numbers,
        "seed_rule": "point seed = sweep seed (common random numbers) or SeedSequence([seed, point]); "
                     "replication r draws stream k from SeedSequence(point seed, spawn_key=(r, k))",
        "fields": [f.path for f in sweep.fields],
    }


def _read_manifest(out: Path) -> dict[str, Any] | None:
    """The folder's ``manifest.json`` (None when there is none)."""
    path = out / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ScenarioError(str(path), "", f"not a readable sweep manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise ScenarioError(str(path), "", "not a sweep manifest (expected a JSON object)")
    return manifest


def _check_folder(out: Path, design: Sweep, resume: bool) -> None:
    """Refuse to write into ``out`` when it holds another sweep, or this one without ``resume``."""
    manifest = _read_manifest(out)
    if manifest is None and not _part_files(out / RESULTS_FOLDER):
        return
    if not resume:
        raise FileExistsError(f"{out}: already holds a sweep; pass resume=True (--resume) or choose another --out")
    if manifest is not None and manifest.get("sha256") != design.digest:
        raise FileExistsError(f"{out}: holds a different sweep (sweep or scenario file changed); "
                              "choose another --out")


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


def _wanted(design: Sweep, points: Iterable[int] | None) -> list[int]:
    """The point indices to run (all by default), checked, without repeats, in order."""
    n = len(design.points)
    if points is None:
        return list(range(n))
    if isinstance(points, str | bytes) or not isinstance(points, Iterable):
        raise ValueError(f"points: expected a list of point indices, got {show(points)}")
    chosen = list(points)
    for k in chosen:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k < n:
            raise ValueError(f"points: {show(k)} is not a point of this sweep; allowed: whole numbers 0 to {n - 1}")
    return sorted({int(k) for k in chosen})


def sweep(
    design: Sweep, out: str | Path, *, executor: str | Executor = "processes", workers: int | None = None,
    scheduler: str | None = None, resume: bool = False, progress: bool = True, flush_seconds: float = 2.0,
    points: Iterable[int] | None = None,
) -> SweepReport:
    """Run a sweep into ``out``; see the module docstring for the files.

    Everything that can be checked is checked before anything is written: the point
    indices, the executor and worker count, the folder (another sweep, or this one
    without ``resume``), the Dask scheduler, and the folder lock.

    Args:
        design: a sweep from :func:`load_sweep_file`.
        out: output folder (created).
        executor: ``serial``, ``processes`` (default) or ``dask``, or an executor object.
        workers: worker processes (default: all cores).
        scheduler: a Dask scheduler address; without it Dask starts a LocalCluster.
        resume: continue a sweep already in ``out``: finished points are skipped, failed
            points are run again (their old rows removed first).
        progress: show a progress bar (terminal or notebook).
        flush_seconds: how often finished rows are written to a new part file.
        points: run only these point indices (default: all).

    Raises:
        ValueError: a point index outside the design.
        sim.executors.ExecutorError: an executor that cannot start.
        FileExistsError: ``out`` holds another sweep, or this one without ``resume``.
        sim.fileio.FolderBusyError: another process is writing into ``out``.
    """
    out = Path(out)
    wanted = _wanted(design, points)
    if isinstance(executor, str):
        check_executor(executor, workers)
    _check_folder(out, design, resume)
    ex = make_executor(executor, workers, scheduler) if isinstance(executor, str) else executor
    try:
        with FolderLock(out):
            _check_folder(out, design, resume)  # again: another run may have started meanwhile
            return _run(design, out, ex, wanted, resume=resume, progress=progress, flush_seconds=flush_seconds)
    finally:
        if isinstance(executor, str):
            ex.close()


def _run(design: Sweep, out: Path, ex: Executor, wanted: list[int], *, resume: bool, progress: bool,
         flush_seconds: float) -> SweepReport:
    """Write the manifest and design, then run the points not yet finished (the folder is locked)."""
    from tqdm.auto import tqdm

    results = out / RESULTS_FOLDER
    results.mkdir(parents=True, exist_ok=True)
    write_atomic(out / MANIFEST, json.dumps(_manifest(design), indent=2) + "\n")
    write_atomic(out / POINTS, _design_csv(design))
    done, failed_before = _finished(results) if resume else (set(), set())
    _drop_rows(results, failed_before & set(wanted))  # failed points run again
    todo = [k for k in wanted if k not in done]
    # Points travel in small chunks: fewer round trips to the workers, while leaving
    # about twenty chunks per worker so the last ones finish together.
    size = max(1, min(8, len(todo) // (20 * ex.workers)))
    base = file_form(design.base, "a sweep")
    tasks = ([PointTask(k, design.points[k], base, design.base.source, design.seed_of(k), design.replications)
              for k in todo[i : i + size]] for i in range(0, len(todo), size))
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
    return SweepReport(out, len(design.points), len(todo), len(wanted) - len(todo), failed,
                       time.perf_counter() - start)


def load_sweep(out: str | Path, *, rows: bool = False) -> pd.DataFrame:
    """A finished (or partial) sweep's results.

    With ``rows=True``: one row per point × replication, sorted. Otherwise one row per
    point with its swept fields and, per outlet KPI, ``<kpi>_mean``, ``<kpi>_ci95_low``,
    ``<kpi>_ci95_high`` across replications, and ``failed`` (replications with an error).

    Raises:
        ScenarioError: ``out`` holds no sweep (no ``manifest.json``), or a (point,
            replication) pair appears twice (two runs wrote into the folder).
    """
    out = Path(out)
    manifest = _read_manifest(out)
    if manifest is None:
        raise ScenarioError(str(out), "", "holds no sweep (no manifest.json); give the --out folder of a sweep")
    names = [str(name) for name in manifest.get("fields", [])]
    columns = ["point", *(f"field:{n}" for n in names), "seed", "replication", *OUTLET_KPIS, "error"]
    frame = _read_parts(out / RESULTS_FOLDER)
    frame = frame if len(frame.columns) else pd.DataFrame(columns=columns)
    repeated = frame.duplicated(["point", "replication"], keep="first")
    if repeated.any():
        first = frame[repeated].iloc[0]
        raise ScenarioError(str(out), "results", f"{int(repeated.sum())} rows repeat a (point, replication) pair "
                            f"(e.g. point {first['point']}, replication {first['replication']}): more than one run "
                            "wrote here; run the sweep again into a new folder")
    frame["error"] = frame["error"].fillna("")
    frame = frame.sort_values(["point", "replication"], ignore_index=True)
    return frame if rows else _summary(frame, names)


def _summary(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """One row per point: swept fields, mean and 95% CI of each outlet KPI, failed replications."""
    stats = ("mean", "ci95_low", "ci95_high")
    columns = ["point", *names, *(f"{kpi}_{stat}" for kpi in OUTLET_KPIS for stat in stats), "failed"]
    out_rows = []
    for point, group in frame.groupby("point", sort=True):
        summary = summarise(group[list(OUTLET_KPIS)].to_numpy(dtype=float))
        rec: dict[str, Any] = {"point": point, **{n: group[f"field:{n}"].iloc[0] for n in names}}
        for j, kpi in enumerate(OUTLET_KPIS):
            for stat in stats:
                rec[f"{kpi}_{stat}"] = summary[j, SUMMARY_COLUMNS.index(stat)]
        rec["failed"] = int((group["error"] != "").sum())
        out_rows.append(rec)
    return pd.DataFrame(out_rows, columns=columns)


def report_line(report: SweepReport) -> str:
    """One line summing up a sweep run, for the terminal."""
    rate = report.ran / report.seconds if report.seconds > 0 else math.nan
    return (f"{report.ran} points run ({report.skipped} already done), {report.failed} failed, "
            f"{report.seconds:.1f} s ({rate:.1f} points/s) → {report.out}")

