"""The documentation is checked like code: generated tables, runnable examples, a clean build."""

from __future__ import annotations

import json
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
from tests.project import copy_project
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


#: Broken internal links, each with the target its warning names.
BROKEN_LINKS = {
    "{doc}`no-such-page`": "no-such-page",
    "[a heading](#no-such-heading)": "no-such-heading",
    "[a page](nowhere.md)": "nowhere.md",
}


def test_the_docs_build_with_no_warning_but_one_for_each_broken_link(tmp_path: Path) -> None:
    """One build (a build takes seconds) of the docs with broken links added to a page: each
    is warned of at its line and fails the build, and nothing else is warned of."""
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs, ignore=shutil.ignore_patterns("_build"))
    # What the pages read from outside docs/: the changelog, and the baselines' figures.
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    (tmp_path / "benchmarks").mkdir()
    for baseline in ("baseline.json", "cost_baseline.json"):
        shutil.copy(ROOT / "benchmarks" / baseline, tmp_path / "benchmarks" / baseline)
    page = docs / "user" / "library.md"
    text = page.read_text(encoding="utf-8")
    first_line = text.count("\n") + 2
    added = "".join(f"\nSee {broken}.\n" for broken in BROKEN_LINKS)
    page.write_text(text + added, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    built = subprocess.run(
        [*SPHINX, str(docs), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert built.returncode != 0
    warnings = [line for line in built.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert len(warnings) == len(BROKEN_LINKS), built.stderr
    for index, target in enumerate(BROKEN_LINKS.values()):
        lines = [line for line in warnings if f"'{target}'" in line]
        assert len(lines) == 1, (target, built.stderr)
        assert f"library.md:{first_line + 2 * index}: WARNING" in lines[0], lines[0]
    assert (tmp_path / "html" / "api.html").exists()  # --keep-going: every page is written


SHELLS = ("", "console", "shell", "bash")


def _commands() -> list[tuple[str, str]]:
    """Every command of the docs' shell blocks (a bare fence, or console, shell, bash), by page.

    Example output goes in ``text`` blocks. The ``recolor`` commands have a test of their own.
    """
    found = []
    for page in PAGES:
        for language in SHELLS:
            for code in _blocks(page, language):
                for line in code.splitlines():
                    command = line.split("  #")[0].strip()
                    if command and not command.startswith("recolor "):
                        found.append((_name(page), command))
    return found


def _extras() -> set[str]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        tomllib = pytest.importorskip("tomli")
    with (ROOT / "pyproject.toml").open("rb") as file:
        return set(tomllib.load(file)["project"]["optional-dependencies"])


def _check_pip(argv: list[str]) -> None:
    """``python -m pip install ...``: installed by CI, here only checked: every extra exists,
    every file it names is there."""
    assert argv[:2] == ["pip", "install"], argv
    words = iter(argv[2:])
    for word in words:
        if word in ("-c", "-r"):
            assert (ROOT / next(words)).is_file()
        elif word.startswith("."):
            extras = word.partition("[")[2].rstrip("]")
            assert set(filter(None, extras.split(","))) <= _extras(), word


def _run_in(folder: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(folder)}
    return subprocess.run(
        [sys.executable, *argv], cwd=folder, capture_output=True, text=True, env=environment
    )


def _shallow() -> bool:
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True
    )
    return shallow.stdout.strip() != "false"


def _skip_without_every_pinned_distribution() -> None:
    """tools.pin_constraints pins from an environment with every extra, and says so."""
    from tools.pin_constraints import PINNED, installed

    try:
        installed(PINNED)
    except SystemExit as missing:  # its own message names the package and the install
        pytest.skip(str(missing))


def _check_python(argv: list[str], tmp_path: Path) -> None:
    """``python -m MODULE ...``: run verbatim where that is safe, else as far as it is."""
    module, arguments = argv[1], argv[2:]
    if module == "pip":
        _check_pip(argv[1:])
    elif module == "venv":
        (tmp_path / "here").mkdir()
        made = _run_in(tmp_path / "here", ["-m", "venv", "--without-pip", *arguments])
        assert made.returncode == 0, made.stderr
    elif module == "pytest":
        # Collected, never run (a record or a count would take minutes), with every option
        # checked; another environment's interpreter is this one.
        given = [
            f"--recolor-compare-env={sys.executable}"
            if word.startswith("--recolor-compare-env")
            else word
            for word in arguments
        ]
        # Collecting one module of the benchmarks, the smallest: every option is checked
        # when pytest configures (the whole folder took 1.08 s a command, this 0.76 s).
        collected = _run_in(
            ROOT,
            [
                "-m",
                "pytest",
                *given,
                "--collect-only",
                "-q",
                "-p",
                "no:cacheprovider",
                "benchmarks/bench_threads.py",
            ],
        )
        assert collected.returncode in (0, 5), collected.stdout[-2000:] + collected.stderr
    elif module in ("tools.generate", "tools.pin_constraints"):
        if module == "tools.pin_constraints":
            _skip_without_every_pinned_distribution()
        # They write files of the repository: verbatim, in a copy of it.
        copy_project(tmp_path, "")
        for name in ("docs", "README.md", "CHANGELOG.md"):
            copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
            copy(ROOT / name, tmp_path / name)
        ran = _run_in(tmp_path, argv)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    elif module == "benchmarks.instrument.history":
        # gh-pages is not in this clone: the command as written, on a data.js of its own,
        # whose series are too short to need the detector (its environment is another).
        data = tmp_path / "data.js"
        push = {"commit": {"id": "a" * 40}, "tool": "customSmallerIsBetter"}
        bench = {"name": "c", "value": 1.0, "unit": "x copy", "extra": ""}
        entries = {"s": [{**push, "benches": [bench]}] * 3}
        data.write_text("window.BENCHMARK_DATA = " + json.dumps({"entries": entries}))
        given = [str(data) if word.endswith("data.js") else word for word in arguments]
        ran = _run_in(ROOT, ["-m", module, *given])
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "Too short to judge" in ran.stdout
    elif module.startswith("benchmarks.instrument.cost."):
        if _shallow():
            pytest.skip("a shallow clone holds not the history these commands name")
        # Counting a range takes minutes: every argument checked, nothing counted.
        ran = _run_in(ROOT, [*argv, "--dry-run"])
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert ran.stdout.startswith("would ")
    else:
        raise AssertionError(f"a command this test does not know: python {' '.join(argv)}")


def _check_git(command: str, tmp_path: Path) -> None:
    """A git command of the docs, in a clone whose origin is a bare repository of its own."""
    origin, clone = tmp_path / "origin.git", tmp_path / "clone"
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    subprocess.run(["git", "clone", "--quiet", str(origin), str(clone)], check=True)
    identity = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    environment = {**os.environ, **identity}
    subprocess.run(
        ["git", "commit", "--quiet", "--allow-empty", "-m", "work"],
        cwd=clone,
        check=True,
        env=environment,
    )
    branch = subprocess.run(
        ["git", "branch", "--show-current"], cwd=clone, capture_output=True, text=True
    ).stdout
    ran = subprocess.run(
        ["bash", "-c", command], cwd=clone, capture_output=True, text=True, env=environment
    )
    assert ran.returncode == 0, ran.stderr
    after = subprocess.run(
        ["git", "branch", "--show-current"], cwd=clone, capture_output=True, text=True
    ).stdout
    assert after == branch, "the command left the reader on another branch"
    pushed = subprocess.run(
        ["git", "branch", "--list"], cwd=origin, capture_output=True, text=True
    ).stdout
    assert "gh-pages" in pushed


@pytest.mark.parametrize(("page", "command"), _commands(), ids=lambda value: str(value))
def test_every_shell_command_of_the_docs_holds(page: str, command: str, tmp_path: Path) -> None:
    """Each command as written: run where it is safe to, else checked as far as it can be."""
    if command.startswith("git "):
        _check_git(command, tmp_path)
        return
    for part in command.split(" && "):
        argv = shlex.split(part)
        if argv[0].endswith("python") and argv[1] == "-m":
            _check_python(argv[1:], tmp_path)
        else:
            raise AssertionError(f"{page}: a command this test does not know: {part}")
