"""The documentation is checked like code: generated tables, runnable examples, a clean build."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import recolor
from recolor.cli import main
from tools.generate import REGENERATE, TECHNIQUES_PAGE, block, regenerated, technique_table

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.rglob("*.md"), ROOT / "README.md"])
#: Installed by the docs extra, which the test extra includes.
SPHINX = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]


def _blocks(page: Path, language: str) -> list[str]:
    """The page's fenced blocks whose info string is ``language`` ("" for a bare fence)."""
    found: list[str] = []
    opened: str | None = None
    lines: list[str] = []
    for line in page.read_text(encoding="utf-8").splitlines():
        if opened is None and line.startswith("```"):
            opened, lines = line[3:].strip(), []
        elif opened is not None and line.strip() == "```":
            if opened == language:
                found.append("\n".join(lines) + "\n")
            opened = None
        elif opened is not None:
            lines.append(line)
    return found


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_technique_table_is_the_registry() -> None:
    page = TECHNIQUES_PAGE.read_text(encoding="utf-8")
    assert block(page, "techniques") == technique_table(), f"stale: run {REGENERATE}"


def test_regenerating_changes_only_the_table() -> None:
    page = TECHNIQUES_PAGE.read_text(encoding="utf-8")
    table = technique_table()
    stale = page.replace(table, table.replace("| numpy_mask |", "| numpy_mask_old |"))
    assert stale != page
    assert regenerated(stale) == page


PYTHON_EXAMPLES = [
    pytest.param(code, id=f"{_name(page)}-{index}")
    for page in PAGES
    for index, code in enumerate(_blocks(page, "python"))
    if not code.startswith('"""recolor/techniques/')  # the recipe: tests/test_adding_a_technique.py
]


@pytest.mark.parametrize("code", PYTHON_EXAMPLES)
def test_every_python_example_runs(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if "import dask" in code:
        pytest.importorskip(
            "dask.array", reason='needs the dask extra: pip install "recolor[dask]"'
        )
    exec(compile(code, "<docs example>", "exec"), {})


def _shell_lines() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for code in _blocks(page, ""):
            for line in code.splitlines():
                if line.startswith("recolor "):
                    found.append((_name(page), line.split("  #")[0].strip()))
    return found


def _inputs(folder: Path) -> None:
    """The files the examples name: a portrait, and a folder of JPEG photos."""
    image = recolor.sample_image(48, 48)
    Image.fromarray(image).save(folder / "me.png")
    (folder / "photos").mkdir()
    for name in ("a.jpg", "b.jpg"):
        Image.fromarray(np.ascontiguousarray(image[:, :, :3])).save(folder / "photos" / name)


@pytest.mark.parametrize(("page", "line"), _shell_lines(), ids=lambda value: str(value))
def test_every_recolor_command_of_the_docs_runs(
    page: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verbatim, but for a race: it gets a small size and one round, the test's budget."""
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    argv = shlex.split(line)[1:]
    if argv[0] == "bench":
        if "--plot" in argv:
            pytest.importorskip("matplotlib")
        argv += ["--size", "32x32", "--repeat", "1"]
    if "--workers" in argv or "--scheduler" in argv:
        pytest.importorskip(
            "distributed", reason='needs the dask extra: pip install "recolor[dask]"'
        )
    if argv[0] == "apply" and "*" in argv[1]:  # the shell's glob
        argv[1:2] = [str(path.relative_to(tmp_path)) for path in sorted(tmp_path.glob(argv[1]))]
    assert main(argv) == 0


def test_the_docs_build_without_a_warning(tmp_path: Path) -> None:
    built = subprocess.run(
        [*SPHINX, str(DOCS), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "api.html").exists()


@pytest.mark.parametrize(
    "broken", ["{doc}`no-such-page`", "[a heading](#no-such-heading)", "[a page](nowhere.md)"]
)
def test_a_broken_internal_link_fails_the_build(tmp_path: Path, broken: str) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs, ignore=shutil.ignore_patterns("_build"))
    # What the pages read from outside docs/: the changelog, and the baselines' figures.
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    (tmp_path / "benchmarks").mkdir()
    for baseline in ("baseline.json", "cost_baseline.json"):
        shutil.copy(ROOT / "benchmarks" / baseline, tmp_path / "benchmarks" / baseline)
    page = docs / "user" / "library.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\nSee {broken}.\n", encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    built = subprocess.run(
        [*SPHINX, str(docs), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert built.returncode != 0
    assert "library.md" in built.stderr
