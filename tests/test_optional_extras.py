"""Nothing that pytest collects imports an optional extra that is not installed.

``--doctest-modules`` imports every module under the test paths
(``recolor/``, ``benchmarks/``, ``tests/``, ``tools/``), so a module that
imports numba at its top stops the whole run where numba is missing. conftest.py leaves such modules out by the table
``MODULES_NEEDING``; these tests keep that table whole. ``.ci/run`` proves the
rest by running the README's test command once more without numba.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import conftest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: Extras for running the project's own tools, not features of recolor.
TOOL_EXTRAS = {"test", "bench", "lint"}


def _optional_packages() -> set[str]:
    """The import names of the packages that only recolor's feature extras install."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    packages = set()
    for extra, requirements in extras.items():
        if extra in TOOL_EXTRAS:
            continue
        for requirement in requirements:
            name = requirement.split(";")[0]
            for separator in "<>=!~[ ":
                name = name.split(separator)[0]
            packages.add(name.replace("-", "_").lower())
    return packages - {"recolor"}  # an extra may include another: "recolor[bench]"


def _top_level_imports(path: Path) -> set[str]:
    """The packages a module imports when it is imported: everywhere but in function bodies."""
    names: set[str] = set()
    stack: list[ast.AST] = [ast.parse(path.read_text(), filename=str(path))]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
        stack.extend(
            child
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        )
    return names


COLLECTED = sorted(
    path.relative_to(ROOT).as_posix()
    for folder in PYPROJECT["tool"]["pytest"]["ini_options"]["testpaths"]
    for path in (ROOT / folder).rglob("*.py")
)


def test_the_feature_extras_are_known() -> None:
    assert {"numba", "matplotlib", "pytest_codspeed"} <= _optional_packages()


@pytest.mark.parametrize("path", COLLECTED)
def test_a_module_importing_an_extra_at_its_top_is_left_out_without_it(path: str) -> None:
    needed = _top_level_imports(ROOT / path) & _optional_packages()
    for package in needed:
        assert path in conftest.MODULES_NEEDING.get(package, []), (
            f"{path} imports {package} at its top: add it to MODULES_NEEDING[{package!r}] in "
            f"conftest.py, or import {package} inside the function that needs it"
        )


def test_every_module_in_the_table_exists_and_needs_its_package() -> None:
    for package, paths in conftest.MODULES_NEEDING.items():
        assert package in _optional_packages()
        for path in paths:
            assert package in _top_level_imports(ROOT / path), (path, package)
