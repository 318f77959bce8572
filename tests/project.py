"""A copy of the project in a test's folder, for runs that change its code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_project(root: Path, bench_file: str) -> None:
    """The packages and pytest's configuration under ``root``, with one more benchmark file.

    The tests' deterministic measurement source and the toy suite come along
    (a worker imports them from the tree it runs in), and the .gitignore that
    keeps results untracked.
    """
    for name in ("recolor", "benchmarks", "tools"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pyproject.toml", ".gitignore"):
        shutil.copy(REPO / name, root / name)
    (root / "tests").mkdir(exist_ok=True)
    for name in ("__init__.py", "deterministic_source.py"):
        shutil.copy(REPO / "tests" / name, root / "tests" / name)
    shutil.copytree(
        REPO / "tests" / "toy_suite",
        root / "tests" / "toy_suite",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (root / "benchmarks" / "bench_tiny.py").write_text(bench_file)


class ScratchRepository:
    """A copy of the project under ``root`` as a git repository of its own, commit by commit."""

    def __init__(self, root: Path) -> None:
        self.root = root
        copy_project(root, "")
        (root / "benchmarks" / "bench_tiny.py").unlink()
        self.git("init", "--quiet")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        """Commit everything as it is now; the new commit's sha."""
        self.git("add", "-A")
        self.git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")

    def add_a_pass(self) -> None:
        """One more np.equal over the words in numpy_packed: a real, costlier change."""
        module = self.root / "recolor" / "techniques" / "numpy_techniques.py"
        line = "    flips = np.equal(words, old_word).view(np.uint8).astype(words.dtype)\n"
        text = module.read_text()
        assert line in text, "numpy_packed no longer compares this way: update the helper"
        module.write_text(text.replace(line, line + "    np.equal(words, new_word)\n"))
