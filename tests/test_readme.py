"""The README is the front page: short, its commands the ones CI runs, its links alive."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.generate import block

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The front page's budget: what a newcomer reads before the docs.
MAX_LINES = 150


def _block(name: str) -> str:
    return block(README, name)


def test_quick_start_has_one_command_each_for_tests_and_benchmarks() -> None:
    for name, needle in [("test-command", "pytest"), ("bench-command", "--benchmark-only")]:
        lines = [line for line in _block(name).splitlines() if not line.startswith("```")]
        assert len(lines) == 1
        assert re.match(r"python -m pip install (--no-compile )?-e ", lines[0]), lines[0]
        assert needle in lines[0]


def _command(name: str) -> str:
    (line,) = [line for line in _block(name).splitlines() if not line.startswith("```")]
    return line


def test_the_cost_command_installs_the_cost_extra_and_runs_the_cost_mode() -> None:
    from benchmarks.instrument.cost.decision import COST_COMMAND

    command = _command("cost-command")
    assert command.startswith('python -m pip install -e ".[cost')
    assert command.endswith(f"&& {COST_COMMAND}")


@pytest.mark.parametrize("name", ["bench-command", "cost-command"])
def test_the_measuring_commands_install_the_lock_and_the_test_command_does_not(name: str) -> None:
    """Stored figures are judged with the versions they were measured with; the tests with
    whatever a user gets."""
    lock = "-c benchmarks/constraints.txt"
    assert lock in _command(name).partition(" && ")[0]
    assert "-c " not in _command("test-command")
    assert (ROOT / "benchmarks" / "constraints.txt").is_file()


def test_the_compare_command_compares_with_main() -> None:
    assert _command("compare-command") == "python -m pytest --benchmark-only --recolor-compare main"


def test_the_readme_stays_within_its_budget() -> None:
    assert len(README.splitlines()) <= MAX_LINES, "move the detail into docs/"


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (r"\bissues? #?\d+", "an issue number"),
        (r"(?<![\w/.-])#\d+\b", "an issue number"),
        (r"(?<![#\w])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b", "a commit hash"),
        (r"\bsessions?\b", "a working session"),
    ],
)
def test_the_readme_names_no_issue_commit_or_session(pattern: str, what: str) -> None:
    found = re.findall(pattern, README, flags=re.IGNORECASE)
    assert not found, f"the README names {what}: {found}; that belongs in git history"


def test_every_file_the_readme_links_exists() -> None:
    targets = re.findall(r"\]\(([^)#:]+)\)", README)
    assert targets
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert not missing
