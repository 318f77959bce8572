"""Another commit's tree, for comparing with it: a temporary git worktree.

``--recolor-compare REF`` measures each case in this tree, as it is
(uncommitted changes included), and in REF's tree, whose package the
adapter probes for what it has (``reference_subjects``). REF's tree is checked out
into a temporary worktree that is removed afterwards, also when the run is
interrupted with Ctrl-C. A run killed outright cannot clean up; its worktree's
folder name carries its process id, and the next run removes it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: The folder the instrument is imported from, inside the git repository compared.
ROOT = Path(__file__).resolve().parents[len(__name__.split(".")) - 1]


class GitRefError(Exception):
    """REF cannot be checked out; the message is one line that says why."""


def _git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def resolve(ref: str, *, asked_by: str = "--recolor-compare") -> str:
    """The commit REF names, or GitRefError whose message begins with ``asked_by``, what the
    user gave REF to (an option, or a command's argument)."""
    if shutil.which("git") is None:
        raise GitRefError(f"{asked_by} {ref} needs git, which is not installed here")
    if _git("rev-parse", "--is-inside-work-tree").returncode != 0:
        raise GitRefError(f"{asked_by} {ref}: {ROOT} is not inside a git repository")
    found = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise GitRefError(
            f"{asked_by}: no commit named {ref!r} here (try a branch such as main, HEAD~N, a "
            "tag or a sha; 'git fetch' first if it is a remote's)"
        )
    return found.stdout.strip()


def clean_head() -> str | None:
    """HEAD's full sha when the tree being measured is exactly it (no changes); else None.

    What a stored figure names as the code it measured, so that a later
    verdict can be confirmed against that very code.
    """
    head = _git("rev-parse", "--verify", "--quiet", "HEAD")
    # Changes to tracked files only: results and baselines may lie about untracked.
    if head.returncode != 0 or _git("diff", "--quiet", "HEAD").returncode != 0:
        return None
    return head.stdout.strip()


def has_commit(commit: str) -> bool:
    """Whether this clone holds ``commit`` (a shallow clone may not)."""
    return _git("cat-file", "-e", f"{commit}^{{commit}}").returncode == 0


def first_parent_commits(good: str, bad: str) -> list[str]:
    """The first-parent commits after ``good`` up to ``bad``, oldest first."""
    listed = _git("rev-list", "--first-parent", "--reverse", f"{good}..{bad}")
    if listed.returncode != 0:
        raise GitRefError(f"git rev-list {good}..{bad} failed: {listed.stderr.strip()}")
    return listed.stdout.split()


#: A worktree's folder says which process made it: recolor-ref-<pid>-<random>.
_FOLDER = re.compile(r"recolor-ref-(\d+)-")


def remove_leftovers() -> list[str]:
    """Remove the worktrees of runs that were killed before they could (SIGKILL, SIGTERM)."""
    listing = _git("worktree", "list", "--porcelain").stdout.splitlines()
    removed = []
    for path in (
        line.removeprefix("worktree ") for line in listing if line.startswith("worktree ")
    ):
        match = _FOLDER.match(Path(path).name)
        if match and not _alive(int(match.group(1))):
            _git("worktree", "remove", "--force", path)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    _git("worktree", "prune")
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """Check REF out into a temporary worktree; yield the folder that matches this tree's ROOT."""
    commit = resolve(ref)
    remove_leftovers()
    top = Path(_git("rev-parse", "--show-toplevel").stdout.strip())
    folder = Path(tempfile.mkdtemp(prefix=f"recolor-ref-{os.getpid()}-"))
    added = _git("worktree", "add", "--detach", "--quiet", str(folder), commit)
    if added.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise GitRefError(
            f"--recolor-compare {ref}: git worktree add failed: {added.stderr.strip()}"
        )
    try:
        yield folder / ROOT.relative_to(top)
    finally:
        _git("worktree", "remove", "--force", str(folder))
        shutil.rmtree(folder, ignore_errors=True)
        _git("worktree", "prune")
