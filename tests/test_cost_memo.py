"""One count per code: the same code in the same environment is counted once in a session."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from benchmarks import adapter as suite_adapter
from benchmarks.cases import Case
from benchmarks.instrument.cost import attribution, callgrind, memo

CASE = Case("numpy_packed", 64)


def _package_tree(folder: Path) -> Path:
    """A tree whose packages are a copy of this one's."""
    for init in callgrind.ROOT.glob("*/__init__.py"):
        package = init.parent.name
        shutil.copytree(
            callgrind.ROOT / package, folder / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return folder


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[Path | None]:
    """The trees callgrind counted in, each count a fake one whose cost names its tree."""
    trees: list[Path | None] = []

    def fake_count(
        suite: Any, folder: Path, case: Any, root: Path | None = None, **options: Any
    ) -> tuple[dict[Path, callgrind.Cost], str]:
        trees.append(root)
        folder.mkdir(parents=True, exist_ok=True)
        dumps = {}
        for index in range(callgrind.COUNTED_CALLS):
            path = folder / f"callgrind.out.1.{index + 1}"
            path.write_text(f"dump {index} of {root}\n")
            dumps[path] = callgrind.Cost(1000 * len(trees) + index, 0, 0)
        return dumps, "X86_V3"

    monkeypatch.setattr(callgrind, "count_into", fake_count)
    return trees


def test_the_same_code_elsewhere_is_counted_once_and_its_dumps_are_copied(
    tmp_path: Path, counted: list[Path | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attribution, "DUMPS", tmp_path / "dumps")
    copy = _package_tree(tmp_path / "copy")
    with memo.once_per_code() as reused:
        first, cpu, first_dump = attribution.count_kept(suite_adapter, CASE, None)
        second, second_cpu, second_dump = attribution.count_kept(suite_adapter, CASE, copy)
    assert counted == [None]
    assert reused.counts == 1
    assert (second, second_cpu) == (first, cpu)
    assert second_dump.parent != first_dump.parent  # each side's dumps its own to keep or discard
    assert second_dump.read_bytes() == first_dump.read_bytes()
    attribution.discard([first_dump])
    assert second_dump.exists()


def test_another_code_another_case_or_a_filler_is_counted(
    tmp_path: Path, counted: list[Path | None]
) -> None:
    copy = _package_tree(tmp_path / "copy")
    (copy / "recolor" / "core" / "colors.py").write_text(
        (copy / "recolor" / "core" / "colors.py").read_text() + "\n# one more line\n"
    )
    with memo.once_per_code() as reused:
        memo.measure(suite_adapter, CASE, None)
        memo.measure(suite_adapter, CASE, copy)
        memo.measure(suite_adapter, Case("numpy_packed", 128), None)
        memo.measure(suite_adapter, CASE, None, filler_units=10)
        memo.measure(suite_adapter, CASE, None, interpreter="/usr/bin/python3")
    assert len(counted) == 5
    assert reused.counts == 0


def test_outside_the_block_every_count_runs(counted: list[Path | None]) -> None:
    with memo.once_per_code():
        memo.measure(suite_adapter, CASE, None)
    memo.measure(suite_adapter, CASE, None)
    memo.measure(suite_adapter, CASE, None)
    assert counted == [None, None, None]


def test_the_trees_digest_is_its_packages_content_not_its_place(tmp_path: Path) -> None:
    here = memo.tree_digest(callgrind.ROOT)
    copy = _package_tree(tmp_path / "copy")
    assert memo.tree_digest(copy) == here
    (copy / "recolor" / "__pycache__").mkdir(exist_ok=True)
    (copy / "recolor" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    (copy / "notes.txt").write_text("not in a package")
    assert memo.tree_digest(copy) == here
    (copy / "benchmarks" / "new_module.py").write_text("")
    assert memo.tree_digest(copy) != here
