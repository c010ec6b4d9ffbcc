"""File output that is written whole or not at all, and one writer per output folder.

- :func:`write_atomic`: text or bytes go to a temporary file beside the target, flushed
  to disk (``fsync``) and renamed over it, so a crash leaves the old file or the new one,
  never a truncated one. New files get the usual mode (``0o666`` less the umask); a file
  that already exists keeps its mode; a symbolic link is followed, so its target is
  rewritten and the link stays.
- :func:`publish_set`: several files published as one set: all staged whole first, the
  files they replace moved aside, then renamed into place; any failure (an exception or
  Ctrl-C) puts the old set back, so readers never see one run's file beside another's.
- :func:`csv_text`: a table as CSV with text cells that a spreadsheet would run as a
  formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first) quoted with ``'``.
- :class:`FolderLock`: an exclusive lock on a folder (a lock file holding the owner's
  pid, host and start time, locked with ``flock``), so two processes never write into
  the same results folder. The operating system drops the lock when its owner dies, so
  a lock file left by a killed run is noticed as stale and taken over. Where ``flock``
  is not available the recorded pid decides: a dead process on this host is stale.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Name of the lock file :class:`FolderLock` keeps in the folder it guards.
LOCK_NAME = ".lock"


def file_in_the_way(folder: str | os.PathLike[str]) -> Path | None:
    """The file (or other non-folder) that keeps a folder from being made at ``folder``: ``folder`` itself or
    the nearest of its parents that exists, if that is not a folder; ``None`` when nothing is in the way."""
    path = Path(folder)
    nearest = next((a for a in (path, *path.parents) if a.exists()), None)
    return nearest if nearest is not None and not nearest.is_dir() else None


def write_atomic(path: str | os.PathLike[str], data: str | bytes | Iterable[str]) -> None:
    """Write ``data`` (text, bytes, or text chunks streamed one by one) to ``path`` atomically.

    The data go to a temporary file in the same folder, which is flushed to disk and
    renamed over ``path`` once complete: a crash mid-write leaves the previous file (or
    none), never a truncated one. The folder is created when missing.
    """
    path = Path(os.path.realpath(path))  # a symlink's target is rewritten, the link kept
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    # 0o666 masked by the umask (by the kernel), as for any new file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in [data] if isinstance(data, str | bytes) else data:
                fh.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: First characters that make a spreadsheet read a text cell as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV (no index); text cells starting with a :data:`FORMULA_START` character get a
    leading ``'`` so a spreadsheet shows them as text instead of running them. Numbers are untouched."""
    def defuse(value: object) -> object:
        return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value

    text = frame.astype(object).map(defuse) if len(frame.columns) else frame
    return str(text.to_csv(index=False))


def publish_set(folder: Path, files: Mapping[str, bytes], stale: Iterable[str] = ()) -> list[Path]:
    """Write ``files`` (name → bytes) into ``folder`` as one set, and remove the ``stale`` names.

    Every file is first staged whole under a hidden name (synced, :func:`write_atomic`).
    Then each existing target (and each stale file) is moved aside to a hidden backup and
    the staged files are renamed into place. If anything fails on the way — including
    ``KeyboardInterrupt`` — the new files are removed and the backups moved back, so the
    folder holds the old set as it was; on success the backups are deleted. (A process
    killed outright during the few renames leaves hidden ``.*.old`` backups beside a
    mixed set; renaming them back restores the old set.)
    """
    token = uuid.uuid4().hex[:12]
    staged: list[tuple[Path, Path]] = []
    moved: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for name, data in files.items():
            tmp = folder / f".{name}.{token}.staged"
            staged.append((tmp, folder / name))
            write_atomic(tmp, data)
        for target in [folder / n for n in files] + [folder / n for n in stale if n not in files]:
            if target.exists() or target.is_symlink():
                backup = folder / f".{target.name}.{token}.old"
                os.replace(target, backup)
                moved.append((backup, target))
        for tmp, target in staged:
            os.replace(tmp, target)
            placed.append(target)
    except BaseException:
        for target in placed:
            target.unlink(missing_ok=True)
        for backup, target in moved:
            os.replace(backup, target)
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for backup, _ in moved:
        backup.unlink(missing_ok=True)
    return [target for _, target in staged]


class FolderBusyError(RuntimeError):
    """Another live process holds the folder's lock; the message names it (pid, host, since)."""


class FolderLock:
    """An exclusive, non-blocking lock on ``folder`` (created when missing), as a context manager.

    The lock file ``folder/.lock`` records the owner's pid, host and start time (JSON) and
    is held with an advisory ``flock`` for as long as the lock is. A second process gets
    :class:`FolderBusyError` at once, naming the owner. When the owner dies (even by
    ``kill -9``) the operating system releases the ``flock``; the file it leaves is stale
    and the next process takes it over (:attr:`stale_owner` then describes the dead one).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.stale_owner: dict[str, object] | None = None
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock, or raise :class:`FolderBusyError` naming its live owner."""
        self.folder.mkdir(parents=True, exist_ok=True)
        while self._fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            owner = _read_owner(fd)
            locked = _flock(fd)
            if locked is False or (locked is None and _alive_elsewhere(owner)):
                os.close(fd)
                raise FolderBusyError(f"{self.folder}: another process is writing here ({_describe(owner)}); "
                                      "wait for it to finish or choose another folder")
            if _same_file(fd, self.path):
                self._fd = fd
            else:  # the previous owner removed the file while we opened it: start again
                os.close(fd)
        self.stale_owner = _read_owner(self._fd) or None
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, (json.dumps(record) + "\n").encode(), 0)
        os.fsync(self._fd)
        return self

    def release(self) -> None:
        """Remove the lock file and drop the lock (nothing when not held)."""
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _read_owner(fd: int) -> dict[str, object]:
    """The owner record in an open lock file ({} when empty or unreadable)."""
    try:
        record = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _flock(fd: int) -> bool | None:
    """Try an exclusive ``flock`` on ``fd``: True taken, False held by another, None unsupported here."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without advisory locks (some network mounts)
        return None
    return True


def _alive_elsewhere(owner: dict[str, object]) -> bool:
    """Without ``flock``: is the recorded owner another live process (on another host: assumed so)?"""
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    if owner.get("host") != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _describe(owner: dict[str, object]) -> str:
    if not owner:
        return "owner unknown"
    return f"pid {owner.get('pid')} on host {owner.get('host')} since {owner.get('since')}"


def _same_file(fd: int, path: Path) -> bool:
    """True when the open file ``fd`` is still the file named ``path``."""
    try:
        return os.path.samestat(os.fstat(fd), path.stat())
    except FileNotFoundError:
        return False
