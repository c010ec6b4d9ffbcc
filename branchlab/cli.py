"""The ``branchlab`` command line: ``simulate``, ``validate``, ``sweep``, ``optimize``, ``quarter``, ``fit``.

Options mirror the Python API (:mod:`sim`). Bad input — a bad option value, a bad
scenario, an output path that cannot be written — ends with one line naming the file or
option, the problem and what is allowed, and exit status 2, before any simulation runs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, NoReturn

import pandas as pd

from branchlab import fit_cmd, optimize_cmd, quarter_cmd
from branchlab.options import SEED, add_executor, ignored_options, whole
from branchlab.outputs import Output, UsageError, check_output, refuse_clobber, refuse_file_as_folder
from sim import ScenarioError, ScenarioWarning, load_scenario, replicate
from sim.executors import ExecutorError
from sim.fileio import write_atomic
from sim.replicate import MAX_REPLICATIONS

_GROUPS = ("zones", "outlet", "by_hour", "by_segment", "by_role")


#: Sphinx/reStructuredText markup in help texts: ``literal``, :role:`target` (also ``~a.b`` and ``text <target>``).
_MARKUP = re.compile(r"``(.+?)``|:[a-z]+(?::[a-z]+)?:`(~?)(?:([^`<]+?)\s*<[^`>]+>|([^`]+))`")


def plain(text: str) -> str:
    """``text`` without reStructuredText markup, as a terminal shows help: ````branchlab```` → ``branchlab``,
    ``:func:`sim.replicate``` → ``sim.replicate``, ``:mod:`~optimize.export``` → ``export``."""
    def keep(match: re.Match[str]) -> str:
        literal, short, titled, target = match.groups()
        if literal is not None:
            return str(literal)
        if titled is not None:
            return str(titled)
        return str(target).rpartition(".")[2] if short else str(target)

    return _MARKUP.sub(keep, text)


class _PlainHelp(argparse.HelpFormatter):
    """Help text with the docstrings' markup removed (descriptions, epilogs and every option's help)."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return plain(super()._expand_help(action))


def package_version() -> str:
    """The installed branchlab version (``importlib.metadata``), or the source tree's when not installed."""
    try:
        return metadata.version("branchlab")
    except metadata.PackageNotFoundError:
        from branchlab import __version__

        return __version__


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as :class:`UsageError` (one line, no usage block) and plain help text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _PlainHelp)  # sub-command parsers are _Parsers too
        super().__init__(*args, **kwargs)

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        # argparse drops a "--" value ("--seed=--") and hands the option an empty list, skipping its type:
        # refuse it here, once for every option of every command
        if action.nargs is None and action.option_strings and arg_strings == ["--"]:
            raise argparse.ArgumentError(action, "expected a value, got '--'")
        return super()._get_values(action, arg_strings)

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("branchlab").strip()  # "simulate" in a sub-command's parser
        raise UsageError(f"{command}: {message}" if command else message)


def _seconds(text: str) -> float:
    """An argparse ``type``: a finite number of seconds ≥ 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 86_400.0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0 to 86400, got {text!r}")
    return value


def _simulate(args: argparse.Namespace) -> int:
    out = check_output(args.json, "--json") if args.json else None
    refuse_clobber([("scenario", args.scenario)], [Output("--json", out)] if out else [])
    executor = args.executor or ("processes" if args.workers else "serial")
    scenario = load_scenario(args.scenario)
    from tqdm.auto import tqdm

    with tqdm(total=args.replications, desc="replications", unit="day", disable=args.quiet, leave=False,
              file=sys.stderr) as bar:
        result = replicate(scenario, args.replications, args.seed, executor=executor, workers=args.workers,
                           progress=lambda done: bar.update(done - bar.n))
    print(f"{scenario.outlet.name} ({scenario.outlet.tier}) — {args.replications} replications, seed {args.seed}")
    print("mean ± 95% CI half-width; waits in minutes, value in yuan\n")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for group in args.show:
            print(f"[{group}]")
            print(result.table(group).to_string())
            print()
    if out is not None:
        write_atomic(out, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    out = check_output(args.json, "--json") if args.json else None
    if args.plot:
        from matplotlib.backend_bases import FigureCanvasBase

        check_output(args.plot, "--plot", sorted(f".{s}" for s in FigureCanvasBase.get_supported_filetypes()))
    given = (("--json", args.json), ("--plot", args.plot))
    refuse_clobber([], [Output(option, path) for option, path in given if path])
    from sim import validation

    frame = validation.run(quick=args.quick, seed=args.seed,
                           progress=None if args.quiet else lambda name: print(f"… {name}", file=sys.stderr))
    shown = frame.drop(columns=["ci95_low", "ci95_high", "abs_error"]).assign(
        rel_error=frame["rel_error"].map(lambda x: f"{x:+.2%}"))
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        print(shown.to_string(index=False))
    failed = int((~frame["passed"]).sum())
    print(f"\n{len(frame) - failed} of {len(frame)} checks passed")
    if out is not None:
        records = frame.to_dict(orient="records")
        write_atomic(out, json.dumps({"seed": args.seed, "quick": args.quick, "checks": records}, indent=2) + "\n")
        print(f"wrote {out}")
    if args.plot:
        from sim.plots import plot_validation, save_figure

        save_figure(plot_validation(frame), args.plot)
        print(f"wrote {args.plot}")
    return 1 if failed else 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.executors import ExecutorError
    from sim.fileio import FolderBusyError
    from sim.sweeps import RESULTS_FOLDER, SWEEP_FILES, load_sweep_file, report_line, sweep

    if not args.out.strip():
        raise UsageError("--out: an empty path; give a folder (it is created if missing)")
    design = load_sweep_file(args.sweep)
    refuse_clobber([("sweep file", design.source), ("scenario", design.base.source)],
                   [Output("--out", args.out, SWEEP_FILES, (RESULTS_FOLDER,))])
    refuse_file_as_folder(args.out, f"--out {args.out}")
    if not args.quiet:
        print(f"{args.sweep}: {len(design.points)} points × {design.replications} replications "
              f"({design.design}), executor {args.executor}", file=sys.stderr)
    try:
        report = sweep(design, args.out, executor=args.executor, workers=args.workers, scheduler=args.scheduler,
                       resume=args.resume, progress=not args.quiet, flush_seconds=args.flush_seconds)
    except (FileExistsError, FolderBusyError, ExecutorError) as exc:
        raise UsageError(str(exc)) from None
    print(report_line(report))
    if report.failed:
        print(f"{report.failed} points failed: their rows carry the error (sim.load_sweep(DIR, rows=True))",
              file=sys.stderr)
        return 100 + min(report.failed, 99)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="branchlab", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}",
                        help="print the branchlab version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    seed = SEED

    p = sub.add_parser("simulate", help="replicate one outlet scenario and print its KPIs with 95%% CIs")
    p.add_argument("scenario", help="scenario TOML file (see scenarios/)")
    p.add_argument("-n", "--replications", type=whole(1, MAX_REPLICATIONS), default=30,
                   help=f"independent days, 1 to {MAX_REPLICATIONS:,} (default 30)")
    p.add_argument("--seed", type=seed, default=0, help="base seed, >= 0 (default 0)")
    p.add_argument("--json", metavar="OUT", help="also write the KPIs as JSON to OUT")
    p.add_argument("--show", nargs="+", choices=_GROUPS, default=["outlet", "zones"], metavar="TABLE",
                   help=f"which tables to print, any of {', '.join(_GROUPS)} (default: outlet zones)")
    add_executor(p, None, "the days")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_simulate)

    v = sub.add_parser("validate", help="compare the model, configured as textbook queues, with queueing theory")
    v.add_argument("--quick", action="store_true", help="the quick set (about a minute and a half)")
    v.add_argument("--seed", type=seed, default=2024, help="base seed, >= 0 (default 2024)")
    v.add_argument("--json", metavar="OUT", help="write every check as JSON to OUT")
    v.add_argument("--plot", metavar="PATH", help="save a simulated-vs-analytic plot (PNG, PDF, SVG...) to PATH")
    v.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    v.set_defaults(run=_validate)

    s = sub.add_parser("sweep", help="run a parameter sweep into a results folder (resumable)",
                       epilog="exit status: 0 all points ran, 2 bad input, 100+N when N points failed (N <= 99)")
    s.add_argument("sweep", help="sweep TOML file (see scenarios/sweep_small.toml)")
    s.add_argument("--out", required=True, metavar="DIR", help="results folder")
    add_executor(s, "processes", "points")
    s.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a LocalCluster)")
    s.add_argument("--resume", action="store_true",
                   help="continue a sweep already in DIR: finished points are skipped, failed ones run again")
    s.add_argument("--flush-seconds", type=_seconds, default=2.0, help="write finished rows this often (default 2)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(run=_sweep)
    optimize_cmd.register(sub)
    quarter_cmd.register(sub)
    fit_cmd.register(sub)
    return parser


def command_help(command: str | None = None, width: int = 100) -> str:
    """The ``--help`` text of ``branchlab`` (``command=None``) or of one command, wrapped at ``width`` columns.

    The documentation site's command pages show it, so the options are described in one
    place, the parser. An unknown command raises :class:`KeyError`.
    """
    parser = _parser()
    if command is not None:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[command]
    formatter = parser.formatter_class
    parser.formatter_class = lambda prog: formatter(prog, width=width)  # type: ignore[call-arg]
    return parser.format_help()


def _one_line(text: str) -> str:
    """``text`` with control characters and line breaks written as escapes (``\\n``, ``\\x0c``):
    an error message is always one line, and a file name cannot move the terminal's cursor."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``branchlab`` console script; returns the exit status.

    0 success, 1 failed validation checks, 2 bad input (one ``branchlab: ...`` line on
    stderr), 100+N a sweep with N failed points, 130 interrupted.
    """
    formatted = warnings.formatwarning
    warnings.formatwarning = _format_warning(formatted)
    try:
        args = _parser().parse_args(argv)
        for note in ignored_options(args):
            print(f"branchlab: warning: {note}", file=sys.stderr)
        status: Any = args.run(args)
    except (UsageError, ScenarioError, ExecutorError) as exc:
        print(f"branchlab: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("branchlab: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = formatted
    return int(status)


def _format_warning(other: Callable[..., str]) -> Callable[..., str]:
    """A ``warnings.formatwarning`` that writes scenario warnings as one ``branchlab: warning: ...``
    line (no source path or code line of the package) and leaves others to ``other``."""
    def format_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                       line: str | None = None) -> str:
        if issubclass(category, ScenarioWarning):
            return f"branchlab: warning: {_one_line(str(message))}\n"
        return other(message, category, filename, lineno, line)
    return format_warning


if __name__ == "__main__":
    sys.exit(main())
