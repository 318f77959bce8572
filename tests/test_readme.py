"""The README's promises: its technique table is the registry, its commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

from tools.generate import REGENERATE, block, regenerated, technique_table

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _block(name: str) -> str:
    return block(README, name)


def test_technique_table_is_the_registry() -> None:
    assert _block("techniques") == technique_table(), f"stale: regenerate it with {REGENERATE}"


def test_regenerating_changes_only_the_table() -> None:
    table = technique_table()
    stale = README.replace(table, table.replace("| numpy_mask |", "| numpy_mask_old |"))
    assert stale != README
    assert regenerated(stale) == README


def test_quick_start_has_one_command_each_for_tests_and_benchmarks() -> None:
    for name, needle in [("test-command", "pytest"), ("bench-command", "--benchmark-only")]:
        lines = [line for line in _block(name).splitlines() if not line.startswith("```")]
        assert len(lines) == 1
        assert lines[0].startswith("python -m pip install -e ")
        assert needle in lines[0]


def _command(name: str) -> str:
    (line,) = [line for line in _block(name).splitlines() if not line.startswith("```")]
    return line


def test_the_cost_command_installs_the_cost_extra_and_runs_the_cost_mode() -> None:
    from benchmarks.instrument.cost.decision import COST_COMMAND

    command = _command("cost-command")
    assert command.startswith('python -m pip install -e ".[cost')
    assert command.endswith(f"&& {COST_COMMAND}")


def test_the_compare_command_compares_with_main() -> None:
    assert _command("compare-command") == "python -m pytest --benchmark-only --recolor-compare main"
