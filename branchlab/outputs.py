"""Output paths of the command line, checked before any work.

Two checks run before a command simulates anything. :func:`check_output` proves an
output file could be written (its folder exists and accepts new files). :func:`refuse_clobber`
proves no output would overwrite one of the command's own input files — the scenario,
sweep file, region file, rules file or a scenario one of them names — nor another output
of the same run. "The same file" is decided by the file system, not by spelling: a path
through ``./`` or ``..``, a symbolic link or a hard link to an input counts as the input.
A folder output (``--out DIR``) is checked through the names the command writes in it
and the sub-folders it owns (creates, rewrites and deletes files in).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.fileio import file_in_the_way


class UsageError(Exception):
    """A command-line value that cannot be used; printed as one ``branchlab: ...`` line."""


def check_output(path: str, option: str, suffixes: Sequence[str] = ()) -> Path:
    """Fail now, before any work, if an output file could not be written at ``path``.

    The file itself is written later, atomically (a temporary file in the same folder,
    renamed over it): so its folder must exist and accept new files, and ``path`` must be
    a regular file or not exist yet. ``suffixes``, when given, are the allowed endings.
    """
    target = Path(path)
    try:
        if target.exists() and not stat.S_ISREG(target.stat().st_mode):
            kind = "a folder" if target.is_dir() else "not a regular file"
            raise UsageError(f"{option} {path}: is {kind}; give a file name")
        if suffixes and target.suffix.lower() not in suffixes:
            raise UsageError(f"{option} {path}: the name must end in one of {', '.join(suffixes)}")
        folder = target.parent
        if not folder.is_dir():
            refuse_file_as_folder(folder, f"{option} {path}", "give a file name in an existing folder")
            raise UsageError(f"{option} {path}: folder {str(folder)!r} does not exist")
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{option} {path}: cannot write there ({reason})") from None
    return target


#: What an output folder option's message asks for.
GIVE_FOLDER = "give a folder (it is created if missing)"


def refuse_file_as_folder(folder: str | Path, option: str, hint: str = GIVE_FOLDER) -> None:
    """Fail now if ``folder``, or the nearest of its parents that exists, is a file: no folder can be made
    there. ``option`` starts the message (``--out results``), ``hint`` ends it.

    Raises:
        UsageError: naming the file in the way.
    """
    blocker = file_in_the_way(folder)
    if blocker is not None:
        raise UsageError(f"{option}: {str(blocker)!r} is a file, not a folder; {hint}")


@dataclass(frozen=True)
class Output:
    """What one output option writes: a file, or a folder with ``files`` and ``folders`` in it.

    ``option`` is the option as typed (``--json``, ``--out``); ``files`` are the names the
    command writes (or replaces, or deletes) directly in the folder ``path``; ``folders``
    are its sub-folders the command owns, where nothing of the user's may live.
    """

    option: str
    path: str | Path
    files: Sequence[str] = ()
    folders: Sequence[str] = ()

    def written(self) -> list[Path]:
        """Every path this output writes directly: the file, or the folder and each name in it."""
        return [Path(self.path), *(Path(self.path) / name for name in self.files)]


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same resolved path, or (both existing) the same inode."""
    try:
        return os.path.realpath(a) == os.path.realpath(b) or os.path.samefile(a, b)
    except (OSError, ValueError):  # one of them does not exist (yet), or a name no file can have
        return False


def _inside(path: str | Path, folder: Path) -> bool:
    """Whether ``path``, links resolved, lies somewhere under ``folder``."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))
    except (OSError, ValueError):  # a name no file can have
        return False


def refuse_clobber(inputs: Iterable[tuple[str, str | Path]], outputs: Iterable[Output]) -> None:
    """Raise :class:`UsageError` if an output would overwrite an input file or another output.

    Args:
        inputs: ``(what, path)`` for every file the command reads, e.g.
            ``("scenario", "scenarios/backbone_outlet.toml")``.
        outputs: every output of the command (options not given left out).

    Raises:
        UsageError: one line naming the option, its path and the input (or other option)
            it would overwrite.
    """
    inputs = list(inputs)
    seen: list[tuple[str, Path]] = []  # (option, path) of the outputs checked so far
    for out in outputs:
        for what, source in inputs:
            for target in out.written():
                if same_file(target, source):
                    where = "" if target == Path(out.path) else f" (it writes {target.name} there)"
                    raise UsageError(f"{out.option} {out.path}: would overwrite the input {what} {source}{where}; "
                                     f"give another {'folder' if out.files else 'file name'}")
            for sub in out.folders:
                if _inside(source, Path(out.path) / sub):
                    raise UsageError(f"{out.option} {out.path}: the input {what} {source} lies in {sub}/, which "
                                     "this command rewrites; move it or give another folder")
        for option, earlier in seen:
            if same_file(earlier, out.path):
                raise UsageError(f"{out.option} {out.path}: is the file {option} writes; give another file name")
        seen.append((out.option, Path(out.path)))
