"""The README's promises: its technique table is the registry, its commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

from recolor import TECHNIQUES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _block(name: str) -> str:
    return README.split(f"<!-- {name} -->")[1].split(f"<!-- /{name} -->")[0].strip()


def test_technique_table_is_the_registry() -> None:
    rows = _block("techniques").splitlines()[2:]
    expected = [
        f"| {t.name} | {t.description} | {'several' if t.multithreaded else 'one'} "
        f"| {t.requires or '-'} |"
        for t in TECHNIQUES.values()
    ]
    assert rows == expected, "regenerate the README table from recolor.TECHNIQUES"


def test_quick_start_has_one_command_each_for_tests_and_benchmarks() -> None:
    for name, needle in [("test-command", "pytest"), ("bench-command", "--benchmark-only")]:
        lines = [line for line in _block(name).splitlines() if not line.startswith("```")]
        assert len(lines) == 1
        assert lines[0].startswith("python -m pip install -e ")
        assert needle in lines[0]
