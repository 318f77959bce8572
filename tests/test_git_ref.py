"""REF's temporary worktree: found, refused in one line, and never left behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from benchmarks.instrument import gitref

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def test_a_worktree_is_removed_after_use() -> None:
    with gitref.worktree("HEAD") as root:
        assert (root / "recolor" / "__init__.py").exists()
        folder = root
    assert not folder.exists()
    listing = subprocess.run(
        ["git", "worktree", "list"], cwd=gitref.ROOT, capture_output=True, text=True
    ).stdout
    assert str(folder) not in listing


def test_the_worktree_of_a_killed_run_is_removed_by_the_next() -> None:
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()  # its pid names a process that no longer runs
    folder = Path(tempfile.gettempdir()) / f"recolor-ref-{exited.pid}-leftover"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(folder), "HEAD"],
        cwd=gitref.ROOT,
        check=True,
    )
    try:
        assert str(folder) in gitref.remove_leftovers()
        assert not folder.exists()
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=gitref.ROOT)


def test_a_ref_git_does_not_know_is_one_line() -> None:
    with pytest.raises(gitref.GitRefError, match=r"^--recolor-compare: no commit named 'nope-x'"):
        gitref.resolve("nope-x")
