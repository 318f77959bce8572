"""The docs' recipe for adding a technique works as written, on a copy of the package."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools.generate import CONTRIBUTING_PAGE, REGENERATE, ROOT, TECHNIQUES_PAGE, block

REPO = ROOT


def _snippet() -> tuple[Path, str]:
    """The contributing page's snippet, and the path its first line names."""
    code = block(CONTRIBUTING_PAGE.read_text(encoding="utf-8"), "new-technique")
    code = code.removeprefix("```python\n").removesuffix("```").strip() + "\n"
    path = re.match(r'"""(recolor/techniques/\w+\.py)"""', code)
    assert path, "the snippet's first line names the file it goes in"
    return Path(path[1]), code


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def test_the_readme_recipe_adds_a_technique_as_written(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for folder in ("recolor", "tests", "benchmarks", "tools", "docs"):
        shutil.copytree(REPO / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, copy / name)

    # 1. One function and one registration, in a new module.
    path, code = _snippet()
    assert not (copy / path).exists()
    (copy / path).write_text(code, encoding="utf-8")
    # 2. The command the page gives regenerates the table and the public list.
    assert f"\n{REGENERATE}\n" in CONTRIBUTING_PAGE.read_text(encoding="utf-8")
    regenerate = _run([sys.executable, "-m", *REGENERATE.split()[2:]], copy)
    assert regenerate.returncode == 0, regenerate.stderr
    page = copy / TECHNIQUES_PAGE.relative_to(ROOT)
    assert "| numpy_where |" in block(page.read_text(encoding="utf-8"), "techniques")

    # The contract tests, the registry's and the docs', on the new technique.
    tests = ["tests/test_techniques.py", "tests/test_validation.py", "tests/test_properties.py"]
    tests += ["tests/test_registry.py", "tests/test_docs.py"]
    selection = "numpy_where or test_registry or technique_table"
    contract = _run(
        [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider", "-k", selection],
        copy,
    )
    assert contract.returncode == 0, contract.stdout[-3000:]
    passed = re.search(r"(\d+) passed", contract.stdout)
    assert passed, contract.stdout[-2000:]
    assert int(passed[1]) >= 60, contract.stdout[-2000:]

    # The strict mypy .ci/run applies to the package.
    typed = _run([sys.executable, "-m", "mypy", str(path)], copy)
    assert typed.returncode == 0, typed.stdout
