"""An earlier commit checked out beside this one, for the side-by-side benchmarks (``--ref``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_worktree(revision: str, where: Path) -> Path:
    """Check ``revision`` out into a detached git worktree at ``where`` (remove it with :func:`remove_worktree`).

    Raises ``ValueError`` naming the revision and git's message when git cannot check it out."""
    added = subprocess.run(["git", "worktree", "add", "--detach", "-q", str(where), revision], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    if added.returncode != 0:
        raise ValueError(f"git cannot check out {revision!r}: {added.stderr.strip()}")
    return where


def remove_worktree(where: Path) -> None:
    """Remove the worktree :func:`add_worktree` made at ``where`` (nothing if it is gone)."""
    subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, capture_output=True, check=False)
