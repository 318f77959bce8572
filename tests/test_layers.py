"""The layers are contracts (import-linter, in pyproject.toml), and a broken one fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = [
    sys.executable,
    "-c",
    "from importlinter.cli import lint_imports_command; lint_imports_command()",
]


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(LINT_IMPORTS, cwd=root, capture_output=True, text=True, check=False)


def test_the_tree_keeps_every_contract() -> None:
    checked = _lint_imports(REPO)
    assert checked.returncode == 0, checked.stdout
    assert "0 broken" in checked.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("recolor/core/colors.py", "import recolor.cli.options", "recolor's layers"),
        ("recolor/techniques/numpy_techniques.py", "import recolor.files.read", "recolor's layers"),
        ("recolor/api.py", "import benchmarks.cases", "recolor imports neither"),
        (
            "benchmarks/instrument/wallclock/timing.py",
            "import recolor",
            "the instrument imports nothing",
        ),
        (
            "benchmarks/instrument/wallclock/measure.py",
            "import benchmarks.calls",
            "the instrument imports",
        ),
        (
            "benchmarks/instrument/wallclock/worker.py",
            "import benchmarks.instrument.plugin",
            "the workers",
        ),
        ("tests/toy_suite/adapter.py", "import recolor", "the toy suite imports nothing"),
        (
            "benchmarks/instrument/cost/worker.py",
            "import benchmarks.instrument.wallclock",
            "the wall clock and callgrind",
        ),
        ("recolor/core/sample.py", "import recolor.core.threads", None),  # allowed: no cycle
        ("recolor/core/threads.py", "import recolor.core.choice", "no import cycles"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str | None
) -> None:
    for folder in ("recolor", "benchmarks", "tools", "tests/toy_suite"):
        shutil.copytree(
            REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "tests/__init__.py", tmp_path / "tests/__init__.py")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    if contract == "no import cycles":  # choice imports threads? make it so, then close the loop
        choice = tmp_path / "recolor/core/choice.py"
        choice.write_text(choice.read_text() + "\nimport recolor.core.threads  # noqa\n")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    checked = _lint_imports(tmp_path)
    if contract is None:
        assert checked.returncode == 0, checked.stdout
        return
    assert checked.returncode != 0
    broken = [row for row in checked.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(row.startswith(contract) for row in broken), checked.stdout
