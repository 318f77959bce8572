"""A copy of the project in a test's folder, for runs that change its code."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_project(root: Path, bench_file: str) -> None:
    """The packages and pytest's configuration under ``root``, with one more benchmark file."""
    for name in ("recolor", "benchmarks", "tools"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    (root / "benchmarks" / "bench_tiny.py").write_text(bench_file)
