"""sim.fileio: atomic writes (mode, symlinks, crashes, bytes) and the one-writer folder lock."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.fileio import LOCK_NAME, FolderBusyError, FolderLock, write_atomic


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.usefixtures("umask_022")
def test_new_file_gets_the_umask_mode_not_the_temp_file_mode(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.json", "{}\n")
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    os.umask(0o027)
    write_atomic(tmp_path / "b.json", "{}\n")
    assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o640


@pytest.mark.usefixtures("umask_022")
def test_rewriting_keeps_the_existing_mode(tmp_path: Path) -> None:
    target = tmp_path / "kept.csv"
    target.write_text("old\n")
    target.chmod(0o600)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_writing_onto_a_symlink_rewrites_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "store" / "results.json"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert real.read_text() == "new\n"


def test_bytes_and_streamed_chunks(tmp_path: Path) -> None:
    write_atomic(tmp_path / "b.bin", bytes(range(256)))
    assert (tmp_path / "b.bin").read_bytes() == bytes(range(256))
    write_atomic(tmp_path / "t.txt", (f"{i}\n" for i in range(3)))
    assert (tmp_path / "t.txt").read_text() == "0\n1\n2\n"


def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("complete old file\n")

    def chunks() -> Iterator[str]:
        yield "half of the new"
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(target, chunks())
    assert target.read_text() == "complete old file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_second_writer_is_refused_naming_the_owner(tmp_path: Path) -> None:
    with FolderLock(tmp_path / "runs"):
        owner = json.loads((tmp_path / "runs" / LOCK_NAME).read_text())
        assert owner["pid"] == os.getpid()
        assert owner["host"] == socket.gethostname()
        with pytest.raises(FolderBusyError, match=f"pid {os.getpid()} on host {socket.gethostname()}"):
            FolderLock(tmp_path / "runs").acquire()
    assert not (tmp_path / "runs" / LOCK_NAME).exists()  # released: the file is gone
    with FolderLock(tmp_path / "runs") as again:  # and the folder can be locked again
        assert again.stale_owner is None


def test_lock_left_by_a_killed_owner_is_stale_and_taken_over(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    code = (f"import os, sys; from pathlib import Path; from sim.fileio import FolderLock; "
            f"FolderLock(Path({str(folder)!r})).acquire(); os.kill(os.getpid(), 9)")
    dead = subprocess.run([sys.executable, "-c", code], check=False)
    assert dead.returncode == -9
    left = json.loads((folder / LOCK_NAME).read_text())
    assert left["pid"] != os.getpid()
    with FolderLock(folder) as lock:
        assert lock.stale_owner == left
        assert json.loads((folder / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_without_flock_the_recorded_pid_decides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fcntl", None)  # as on a platform without fcntl
    folder = tmp_path / "runs"
    folder.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = {"pid": sleeper.pid, "host": socket.gethostname(), "since": "earlier"}
    try:
        (folder / LOCK_NAME).write_text(json.dumps(owner))
        with pytest.raises(FolderBusyError, match=f"pid {sleeper.pid} on host"):
            FolderLock(folder).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    with FolderLock(folder) as lock:  # its owner is dead now: stale, taken over
        assert lock.stale_owner == owner
